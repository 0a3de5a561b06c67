"""The pipeline: preprocess → shape → post-process → texture → LODs → save, each reporting progress.

One function runs one request from start to finish for every front end (CLI, GUI worker, tests);
progress and cancel travel as a callback and a token, so the GUI wraps them in signals and the
CLI in a progress bar. Expected failures come back as a failed result with a message a person can
act on; the output file appears only when everything succeeded (written under a temporary name,
then renamed), so a failed or cancelled run leaves nothing behind.
"""

from __future__ import annotations

import datetime as _dt
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from app.core.base.cancel import CancelToken
from app.core.base.errors import Cancelled, InputError, SweedleError
from app.core.base.progress import Progress, ProgressCallback
from app.core.base.provenance import Provenance
from app.core.base.version import VERSION
from app.core.formats.file_set import write_file_set
from app.core.formats.glb import write_glb
from app.core.formats.glb_reader import read_glb
from app.core.formats.obj import write_obj
from app.core.generation.cutout_step import cutout_provenance, subject_mask
from app.core.generation.engines.base import ShapeInput, resolve_params
from app.core.generation.engines.registry import get_engine
from app.core.generation.maps_step import maps_step, saved_full_detail
from app.core.generation.request import GenerationRequest, GenerationResult, JobStatus, LodInfo, file_digest
from app.core.generation.texturing import texture_step
from app.core.imaging import foreground_mask, frame_subject, load_image
from app.core.mesh.cleanup import clean, weld
from app.core.mesh.lod import build_lods
from app.core.mesh.normalize import normalize
from app.core.mesh.normals import welded_vertex_normals
from app.core.mesh.orient import fix_winding
from app.core.mesh.types import Lod, LodSet, Material, Mesh
from app.core.mesh.validate import validate
from app.core.paths import models_dir

log = logging.getLogger(__name__)

STAGES: dict[str, float] = {
    "preprocess": 0.10,
    "shape": 0.35,
    "post-process": 0.08,
    "texture": 0.17,
    "lods": 0.15,
    "maps": 0.05,
    "save": 0.10,
}
"""Stage name → share of the whole run, for the overall progress fraction."""

OUTPUT_FORMATS = ("glb", "obj")
UNWRAP_MAX_TRIANGLES = 100_000
"""A mesh to be unwrapped is reduced to this first: xatlas time grows steeply with size."""


class _Tracker:
    """Turns per-stage progress into `Progress` reports and records each stage's wall time."""

    def __init__(self, on_progress: ProgressCallback | None, cancel: CancelToken) -> None:
        self._on_progress = on_progress
        self._cancel = cancel
        self._done = 0.0
        self._stage = ""
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self._cancel.raise_if_cancelled()
        self._stage = name
        self.report(0.0, "")
        self._cancel.raise_if_cancelled()
        start = time.perf_counter()
        yield
        self.timings[name] = time.perf_counter() - start
        self.report(1.0, "")
        self._done += STAGES[name]

    def report(self, fraction: float, message: str) -> None:
        if self._on_progress is None:
            return
        fraction = min(max(fraction, 0.0), 1.0)
        overall = min(self._done + STAGES[self._stage] * fraction, 1.0)
        self._on_progress(Progress(self._stage, fraction, overall, message))


def generate(
    request: GenerationRequest,
    output_path: Path,
    fmt: str = "glb",
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> GenerationResult:
    """Run one request and write `output_path`; never raises for expected failures."""
    cancel = cancel or CancelToken()
    tracker = _Tracker(on_progress, cancel)
    run = _run if request.mesh_path is None else _run_retexture
    try:
        return run(request, Path(output_path), fmt, tracker, cancel)
    except Cancelled:
        return GenerationResult(request, JobStatus.CANCELLED, message="cancelled", timings=tracker.timings)
    except SweedleError as exc:
        return GenerationResult(request, JobStatus.FAILED, message=str(exc), timings=tracker.timings)
    except MemoryError:
        return GenerationResult(
            request,
            JobStatus.FAILED,
            message="ran out of memory: lower the resolution, the texture size or the LOD0 budget",
            timings=tracker.timings,
        )
    except Exception as exc:  # a bug: report it on one line, keep the batch and the app alive
        log.exception("generation of %s failed unexpectedly", request.image_path)
        return GenerationResult(
            request,
            JobStatus.FAILED,
            message=f"unexpected error (please report it): {type(exc).__name__}: {exc}",
            timings=tracker.timings,
        )


def _run(
    request: GenerationRequest, output_path: Path, fmt: str, tracker: _Tracker, cancel: CancelToken
) -> GenerationResult:
    if fmt not in OUTPUT_FORMATS:
        raise InputError(f"unknown output format {fmt!r}; use one of: {', '.join(OUTPUT_FORMATS)}")
    engine = get_engine(request.engine)
    available = engine.availability()
    if not available.ok:
        raise InputError(f"the {engine.label} engine cannot run here: {available.reason}")
    params = resolve_params(engine.params, request.params)
    if request.bake == "always" and params.get("camera", "front") != "front":
        raise InputError(
            f"a texture baked anew projects the picture from the front, but camera is {params['camera']}: "
            "use camera=front, or let the engine texture it (bake auto)"
        )

    with tracker.stage("preprocess"):
        if request.image_path is None:
            from app.core.generation.text_to_image import prompt_picture

            picture = prompt_picture(request, engine, params, tracker.report, cancel)
            image, picture_details = picture.image, picture.details
        else:
            image, picture_details = load_image(request.image_path), {}
        tracker.report(0.3, "finding the subject")
        mask = subject_mask(request, image, cancel)
        tracker.report(0.8, "framing")
        framed = frame_subject(image, mask, request.texture_size)
        views = {}
        for view, path in request.views.items():
            tracker.report(0.9, f"{view} view")
            view_image = load_image(path)
            views[view] = frame_subject(
                view_image, foreground_mask(view_image, models_dir(), cancel), request.texture_size
            )

    with tracker.stage("shape"):
        shaped = engine.generate(ShapeInput(framed, request.seed, views), params, tracker.report, cancel)

    with tracker.stage("post-process"):
        mesh = fix_winding(clean(shaped.mesh))
        tracker.report(0.5, "scaling to real-world size")
        mesh = normalize(mesh, request.height_m, pivot="bottom-center")
        mesh.normals = welded_vertex_normals(mesh.vertices, mesh.faces)
        full_detail = mesh
        budget = _lod0_budget(request, shaped.material)
        if budget is not None and mesh.triangle_count > budget:
            tracker.report(0.7, f"reducing LOD0 to {budget} triangles")
            mesh = build_lods(mesh, [budget], cancel, measure_samples=0)[1].mesh

    with tracker.stage("texture"):
        material = shaped.material
        texture_details: dict[str, object] = {"method": engine.name}
        notice = ""
        if _textures_anew(request, material) or mesh.uvs is None:
            textured = texture_step(
                request,
                mesh,
                framed,
                views,
                hunyuan_shape=engine.name == "hunyuan",
                engine_params=params,
                progress=tracker.report,
                cancel=cancel,
            )
            mesh, material = textured.mesh, textured.material
            texture_details, notice = textured.details, textured.notice
        else:
            material = replace(material, roughness=request.roughness, metallic=0.0)

    with tracker.stage("lods"):
        targets = _lod_targets(request, mesh.triangle_count)
        lods = build_lods(mesh, targets, cancel, on_progress=tracker.report)
        report = validate(lods[0].mesh).to_dict()

    with tracker.stage("maps"):
        baked = maps_step(
            request, lods, full_detail, material, progress=tracker.report, cancel=cancel, budgets=targets
        )
        lods, material = baked.lods, baked.material
        notice = "; ".join(line for line in (notice, baked.notice) if line)

    with tracker.stage("save"):
        lodset = LodSet(
            name=request.asset_name,
            lods=lods,
            material=material,
            provenance=Provenance.of_engine(
                engine.name,
                replace(shaped.facts, details=shaped.facts.details | picture_details),
                engine_version=engine.version,
                model=shaped.model_id,
                seed=request.seed,
                parameters={**request.provenance_params(), **params},
                timings=dict(tracker.timings),
                source_image=Path(request.image_path).name if request.image_path else "made from the prompt",
                source_sha256=file_digest(request.image_path) if request.image_path else "",
                prompt=request.prompt,
                app_version=VERSION,
                created=_now(),
                extra={"mask": mask.method, "maps": baked.details}
                | cutout_provenance(request, mask)
                | _texture_provenance(texture_details),
            )
            .with_texture_licence(texture_details)
            .to_dict(),
            full_detail=full_detail,
        )
        _write(lodset, output_path, fmt)
    return _done(request, output_path, lods, tracker, report, lodset, notice)


def _run_retexture(
    request: GenerationRequest, output_path: Path, fmt: str, tracker: _Tracker, cancel: CancelToken
) -> GenerationResult:
    """Re-texture: the saved mesh is kept (LOD0, and the LODs rebuilt at their triangle counts); only
    the texture is made again, from `request.image_path`."""
    assert request.mesh_path is not None and request.image_path is not None
    if fmt not in OUTPUT_FORMATS:
        raise InputError(f"unknown output format {fmt!r}; use one of: {', '.join(OUTPUT_FORMATS)}")
    with tracker.stage("preprocess"):
        image = load_image(request.image_path)
        tracker.report(0.3, "finding the subject")
        mask = subject_mask(request, image, cancel)
        framed = frame_subject(image, mask, request.texture_size)
    with tracker.stage("shape"):
        tracker.report(0.0, f"keeping the mesh of {Path(request.mesh_path).name}")
        saved = read_glb(Path(request.mesh_path))
    with tracker.stage("post-process"):
        vertices, faces, _index = weld(saved.lod0.vertices, saved.lod0.faces)
        mesh = Mesh(vertices, faces, welded_vertex_normals(vertices, faces))
        full_detail = saved_full_detail(Path(request.mesh_path)) or mesh
        if mesh.triangle_count > UNWRAP_MAX_TRIANGLES:  # xatlas would take hours; the LODs follow it
            tracker.report(0.5, f"reducing LOD0 to {UNWRAP_MAX_TRIANGLES} triangles for the UV unwrap")
            mesh = build_lods(mesh, [UNWRAP_MAX_TRIANGLES], cancel, measure_samples=0)[1].mesh
        mesh.normals = welded_vertex_normals(mesh.vertices, mesh.faces)
    original = Provenance.from_dict(saved.provenance)
    with tracker.stage("texture"):
        textured = texture_step(
            request,
            mesh,
            framed,
            {},
            hunyuan_shape=original.engine == "hunyuan",
            engine_params={},
            progress=tracker.report,
            cancel=cancel,
        )
    with tracker.stage("lods"):
        targets = [lod.mesh.triangle_count for lod in saved.lods[1:]]
        lods = build_lods(textured.mesh, targets, cancel, on_progress=tracker.report)
        report = validate(lods[0].mesh).to_dict()
    with tracker.stage("maps"):
        baked = maps_step(
            request,
            lods,
            full_detail,
            textured.material,
            progress=tracker.report,
            cancel=cancel,
            budgets=targets,
        )
        lods = baked.lods
    with tracker.stage("save"):
        provenance = replace(
            original,
            engine=original.engine or "import",
            parameters=original.parameters | request.provenance_params(),
            source_image=Path(request.image_path).name,
            source_sha256=file_digest(request.image_path),
            created=_now(),
            timings=dict(tracker.timings),
            extra=original.extra
            | _texture_provenance(textured.details)
            | {"retextured_from": Path(request.mesh_path).name, "maps": baked.details}
            | cutout_provenance(request, mask),
        ).with_texture_licence(textured.details)
        lodset = LodSet(
            name=request.asset_name,
            lods=lods,
            material=baked.material,
            provenance=provenance.to_dict(),
            full_detail=full_detail,
        )
        _write(lodset, output_path, fmt)
    notice = "; ".join(line for line in (textured.notice, baked.notice) if line)
    return _done(request, output_path, lods, tracker, report, lodset, notice)


def _textures_anew(request: GenerationRequest, material: Material) -> bool:
    """Whether the texture step replaces what the engine gave (always when it gave no texture)."""
    return (
        request.bake == "always" or request.texture_method == "paint" or material.base_color_texture is None
    )


def _texture_provenance(texture: dict[str, Any]) -> dict[str, Any]:
    """How the texture was made, kept with the provenance's other stage records."""
    return {"texture": texture}


def _write(lodset: LodSet, output_path: Path, fmt: str) -> None:
    output_path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "glb":
        write_glb(lodset, output_path)
    else:
        write_file_set(output_path, lambda staged: write_obj(lodset, staged))  # all or nothing


def _done(
    request: GenerationRequest,
    output_path: Path,
    lods: list[Lod],
    tracker: _Tracker,
    report: dict[str, Any],
    lodset: LodSet,
    notice: str,
) -> GenerationResult:
    infos = [
        LodInfo(lod.level, lod.mesh.triangle_count, lod.mesh.vertex_count, lod.error_pct) for lod in lods
    ]
    return GenerationResult(
        request,
        JobStatus.DONE,
        output_path=output_path,
        message=notice,
        lods=infos,
        timings=tracker.timings,
        report=report,
        lodset=lodset,
    )


def _lod0_budget(request: GenerationRequest, material: Material) -> int | None:
    """The LOD0 budget asked for; a mesh to be unwrapped is also capped at UNWRAP_MAX_TRIANGLES."""
    if _textures_anew(request, material):
        return min(request.lod0_triangles or UNWRAP_MAX_TRIANGLES, UNWRAP_MAX_TRIANGLES)
    return request.lod0_triangles


def _lod_targets(request: GenerationRequest, lod0_triangles: int) -> list[int]:
    targets = [t.resolve(lod0_triangles) for t in request.lods]
    previous = lod0_triangles
    for target, spec in zip(targets, request.lods, strict=True):
        if target >= previous:
            raise InputError(
                f"LOD target {spec.label()} ({target} triangles) is not below the previous level "
                f"({previous} triangles): each LOD must have fewer triangles than the one before"
            )
        previous = target
    return targets


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")

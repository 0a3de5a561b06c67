"""Save a finished generation into the library: the one after-job save, which the queue runner
(the window's jobs and `sweedle queue run`) and `sweedle generate` all call, so every front end
stores the same files and fields. Files are gathered here (GLB with its LODs, source picture,
mask, texture and maps, thumbnail); `Library.add_version` stores them crash-safely.

The rule against duplicate versions lives here too, for both front ends: before running a job,
`find_identical` looks for a version made from the same picture (SHA-256) with the same engine
and engine version, the same settings (engine defaults filled in) and the same seed. Such a job
would only produce the same asset again, so the front ends reuse that version instead unless the
user asks to generate anyway.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.base.disk_errors import disk_error_message
from app.core.base.errors import InputError
from app.core.base.provenance import Provenance
from app.core.formats.glb import glb_bytes
from app.core.formats.images import encode_png
from app.core.generation.cutout_step import mask_file
from app.core.generation.engines.base import resolve_params
from app.core.generation.engines.registry import get_engine
from app.core.generation.request import GenerationRequest, GenerationResult, JobStatus, LodInfo
from app.core.imaging.user_mask import KEPT_MASK
from app.core.library.cutout_record import cutout_record, without_cutout_record
from app.core.library.material_files import material_files
from app.core.library.migrate import LibraryError
from app.core.library.records import (
    GLB_FILE,
    TEXTURE_FILE,
    THUMBNAIL_FILE,
    AssetRecord,
    LodRecord,
    SourceType,
    VersionRecord,
    source_file_name,
)
from app.core.library.repository import Library, NewVersion
from app.core.library.store import FileContent
from app.core.library.thumbnails import thumbnail_png

if TYPE_CHECKING:
    from app.core.mesh.types import LodSet


def save_generation(library: Library, result: GenerationResult, asset_id: int | None = None) -> AssetRecord:
    """Record a finished generation as a new asset, or as a new version of an asset; the record
    returned has it as its current version (`summary.glb_path` is the library's copy).

    Without `asset_id`, a result made from the same source picture as an asset outside the trash
    becomes that asset's newest version (generating again keeps both). Every failure is a
    LibraryError with one line to show (a result that did not finish, a file that cannot be read
    or written), so a front end reports it and goes on with its next job.
    """
    if not result.ok or result.lodset is None:
        raise LibraryError(
            f"only a finished generation can be saved (this one {result.status}: {result.message})"
        )
    try:
        new = _new_version(result, result.lodset)
    except OSError as exc:
        raise LibraryError(disk_error_message(exc.filename or "a file of the job", exc, "read")) from exc
    return library.add_version(new, asset_id)


def _new_version(result: GenerationResult, lodset: LodSet) -> NewVersion:
    """What `result` stores: its files (read now) and the fields of its version."""
    request = result.request
    prov = Provenance.from_dict(lodset.provenance)
    files: dict[str, FileContent] = {}
    output = result.output_path
    if output is not None and output.suffix.lower() == ".glb" and output.is_file():
        files[GLB_FILE] = output
    else:
        files[GLB_FILE] = glb_bytes(lodset)
    source = Path(request.image_path) if request.image_path is not None else None
    source_key = None
    if source is not None and source.is_file():
        data = source.read_bytes()
        source_key = _sha256(data)
        files[source_file_name(source)] = data
    mask = mask_file(request)
    if mask is not None and mask.is_file():
        files[KEPT_MASK] = mask.read_bytes()
    if lodset.material.base_color_texture is not None:
        files[TEXTURE_FILE] = encode_png(lodset.material.base_color_texture)
    files |= material_files(lodset)
    files[THUMBNAIL_FILE] = thumbnail_png(lodset)
    bounds = result.report.get("bounds") or [list(map(float, row)) for row in lodset.lod0.bounds()]
    return NewVersion(
        name=request.asset_name,
        source_type=SourceType.GENERATED,
        engine=prov.engine or request.engine,
        lods=[LodRecord(i.level, i.triangles, i.vertices, i.error_pct) for i in result.lods],
        files=files,
        source_key=source_key,
        source_name=source.name if source is not None else "",
        prompt=request.prompt,
        engine_version=prov.engine_version,
        model_id=prov.model,
        model_version=prov.model_revision,
        licence=prov.licence,
        seed=request.seed,
        parameters=(prov.parameters or request.provenance_params()) | cutout_record(lodset.provenance),
        timings=dict(result.timings),
        device=prov.device,
        bounds={"min": bounds[0], "max": bounds[1]},
        height_m=float(bounds[1][1] - bounds[0][1]),
    )


@dataclass(frozen=True)
class IdenticalVersion:
    """A library version that a request would only make again."""

    asset_id: int
    asset_name: str
    version: VersionRecord

    @property
    def glb_path(self) -> Path:
        return self.version.glb_path

    def describe(self) -> str:
        return (
            f"identical to version {self.version.version} of {self.asset_name!r} in the library "
            "(same picture, engine, settings and seed), so that version was reused"
        )


def find_identical(library: Library, request: GenerationRequest) -> IdenticalVersion | None:
    """The finished version `request` would reproduce, made current again if it was not; None when
    there is none. Requests made from a prompt or with extra views are never matched (neither is
    recorded in a way that proves the inputs were the same), nor are re-textures of a saved mesh."""
    if (
        request.image_path is None
        or request.views
        or request.mesh_path is not None
        or not Path(request.image_path).is_file()
    ):
        return None
    engine = get_engine(request.engine)
    try:
        params = resolve_params(engine.params, request.params)
        expected = _canonical({**request.provenance_params(), **params})
    except InputError:
        return None  # the job itself reports the bad parameter
    asset = library.asset_for_source(_sha256(Path(request.image_path).read_bytes()))
    if asset is None:
        return None
    for version in sorted(asset.versions, key=lambda v: (not v.current, -v.version)):
        if (
            version.status == "done"
            and version.engine == engine.name
            and version.engine_version == engine.version
            and version.seed == request.seed
            and _canonical(without_cutout_record(version.parameters)) == expected
            and version.glb_path.is_file()
        ):
            if not version.current:
                library.promote(asset.id, version.id)
            return IdenticalVersion(asset.id, asset.name, version)
    return None


def reused_result(
    request: GenerationRequest, found: IdenticalVersion, output_path: Path, lodset: LodSet | None = None
) -> GenerationResult:
    """A finished result that stands for the reused version (the caller has put its file at
    `output_path`, or points there)."""
    return GenerationResult(
        request,
        JobStatus.DONE,
        output_path=output_path,
        message=found.describe(),
        lods=[LodInfo(lod.level, lod.triangles, lod.vertices, lod.error_pct) for lod in found.version.lods],
        lodset=lodset,
        reused=True,
    )


def _canonical(params: dict[str, Any]) -> str:
    """Parameters as the library's JSON column gives them back, comparable as text."""
    return json.dumps(params, sort_keys=True, default=str)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

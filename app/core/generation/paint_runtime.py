"""The torch side of Hunyuan Paint: device, VRAM preflight, loading, the two diffusion runs, OOM, unload.

The delighting model (hy3dgen's `Light_Shadow_Remover`, 50 steps) removes the picture's lighting;
the multi-view paint model (hy3dgen's `HunyuanPaintPipeline`) then makes six views of the mesh from
it, conditioned on our normal and position pictures. Both run through hy3dgen's own classes: the
delighter through its `__call__`, the paint pipeline through its `__call__` with tensors built
here (hy3dgen's `Multiview_Diffusion_Net` wrapper sends the conditions to "cuda" and fixes the
seed to 0). StepProgress comes from a forward hook on the delighter's UNet and the paint pipeline's
per-step callback; both check cancel at every step.

The loaded models stay here between jobs (the generation worker thread owns them); on CUDA they
wait in system memory between jobs so the shape model has the VRAM, and the shape model waits
there while they paint. `unload` frees them. Imported only when a paint job runs.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from safetensors import SafetensorError

from app.core.base.cancel import CancelToken
from app.core.base.errors import Cancelled, GenerationError
from app.core.base.progress import StepProgress
from app.core.generation.engines.hunyuan_torch import import_hy3dgen_paint
from app.core.generation.paint_build import delight_model, paint_pipeline, quiet_diffusers, quiet_schedulers
from app.core.generation.torch_device import choose_device, import_torch, release_memory
from app.core.texture.paint_cameras import PAINT_CAMERAS, ConditionMaps
from app.core.texture.paint_options import PaintOptions
from app.core.weights.catalog import ModelSpec, spec
from app.core.weights.diffusers_folder import CheckedDiffusers
from app.core.weights.store import ModelStore, read_manifest

log = logging.getLogger(__name__)
DELIGHT_ID = "hunyuan3d-delight-v2-0"
PAINT_ID = "hunyuan3d-paint-v2-0"
DELIGHT_STEPS = 50
"""hy3dgen's delighter always runs 50 steps."""
CPU_NOTICE = "no CUDA GPU: painting on the CPU in float32, which takes hours with the real models"
LOW_VRAM_FACTOR = 0.6
"""Low-VRAM mode keeps one diffusion model on the GPU at a time; it needs about this share."""
_LOAD_ERRORS = (RuntimeError, KeyError, ValueError, TypeError, OSError, SafetensorError, StopIteration)


@dataclass
class PaintedViews:
    images: list[np.ndarray]
    """(S, S, 3) uint8 per camera, in `PAINT_CAMERAS` order."""
    delighted: np.ndarray
    """The picture the views were painted from, with its lighting removed."""
    details: dict[str, Any] = field(default_factory=dict)
    """Provenance: models, revisions, licence, device, dtype, steps, seed, timings."""


@dataclass
class _Loaded:
    delight: Any
    paint: Any
    key: tuple[Any, ...]
    revisions: dict[str, str]
    load_seconds: float


def paint_models() -> tuple[ModelSpec, ModelSpec]:
    return spec(DELIGHT_ID), spec(PAINT_ID)


def can_paint_here(requested: str = "auto") -> tuple[bool, str]:
    """Whether automatic texturing should paint: a CUDA GPU with room for low-VRAM mode at least."""
    torch = import_torch()
    if requested == "cpu" or not torch.cuda.is_available():
        return False, "no CUDA GPU (painting on the CPU takes hours with the real models)"
    total = torch.cuda.get_device_properties(0).total_memory / 2**30
    need = spec(PAINT_ID).vram_gb * LOW_VRAM_FACTOR
    if total < need:
        return False, f"the GPU has {total:.1f} GB of VRAM; Hunyuan Paint needs about {need:.1f} GB"
    return True, ""


def preflight(device: str, low_vram: bool) -> tuple[bool, str]:
    """Free VRAM against what painting needs: go on, switch to low-VRAM mode, or refuse saying what to do."""
    if device != "cuda":
        return low_vram, ""
    torch = import_torch()
    free, total = torch.cuda.mem_get_info()
    free_gb, need = free / 2**30, spec(PAINT_ID).vram_gb
    if free_gb >= need and not low_vram:
        return False, ""
    if free_gb >= need * LOW_VRAM_FACTOR:
        if low_vram:
            return True, ""
        return True, (
            f"only {free_gb:.1f} GB of {total / 2**30:.1f} GB VRAM is free and Hunyuan Paint needs about "
            f"{need:g} GB: painting in low-VRAM mode (slower; one model on the GPU at a time)"
        )
    raise GenerationError(
        f"only {free_gb:.1f} GB of VRAM is free; Hunyuan Paint needs about {need:g} GB (about "
        f"{need * LOW_VRAM_FACTOR:.1f} GB in low-VRAM mode): close other programs that use the GPU, "
        "or choose texture projection"
    )


def oom_message(options: PaintOptions, low_vram: bool) -> str:
    """What to lower when the GPU runs out of memory while painting."""
    lower = [f"lower the paint resolution (now {options.resolution} px)"] if options.resolution > 256 else []
    if not low_vram:
        lower.append("turn on low-VRAM mode")
    lower += ["close other programs that use the GPU", "or choose texture projection"]
    return "the GPU ran out of memory while painting the texture: " + ", ".join(lower)


class PaintRuntime:
    """Holds the loaded delight and paint models between jobs; used from the generation thread."""

    def __init__(self) -> None:
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def paint(
        self,
        reference: np.ndarray,
        conditions: ConditionMaps,
        options: PaintOptions,
        seed: int,
        progress: StepProgress,
        cancel: CancelToken,
        store: ModelStore | None = None,
    ) -> PaintedViews:
        """Six views of the mesh the conditions show, painted from the RGBA picture `reference`."""
        torch = import_torch()
        device, dtype_name = choose_device(options.device)
        low_vram, notice = preflight(device, options.low_vram)
        if device == "cpu":
            notice = CPU_NOTICE
        if notice:
            progress(0.0, notice)
        total = DELIGHT_STEPS + options.steps
        with self._lock:
            progress(0.0, "loading the Hunyuan Paint models")
            loaded, load_seconds = self._ensure_loaded(store or ModelStore(), device, dtype_name)
            timings = {"load_s": load_seconds}
            try:
                start = time.perf_counter()
                delighted = self._delight(loaded, reference, device, low_vram, progress, total, cancel)
                timings["delight_s"] = time.perf_counter() - start
                start = time.perf_counter()
                images = self._multiview(
                    loaded, delighted, conditions, options, seed, device, low_vram, progress, total, cancel
                )
                timings["paint_s"] = time.perf_counter() - start
            except torch.cuda.OutOfMemoryError:
                self._park(device)
                release_memory()
                raise GenerationError(oom_message(options, low_vram)) from None
            except Cancelled:
                self._park(device)
                raise
            self._park(device)
            release_memory()
        delight_spec, paint_spec = paint_models()
        details = {
            "paint_models": [
                f"{delight_spec.repo}/{delight_spec.subfolder}",
                f"{paint_spec.repo}/{paint_spec.subfolder}",
            ],
            "paint_revisions": loaded.revisions,
            "licence": paint_spec.licence,
            "paint_device": device,
            "paint_dtype": dtype_name,
            "paint_low_vram": low_vram,
            "paint_steps": options.steps,
            "delight_steps": DELIGHT_STEPS,
            "paint_resolution": options.resolution,
            "paint_guidance": options.guidance,
            "paint_seed": seed,
            "paint_timings": timings,
        }
        return PaintedViews(images, np.asarray(delighted), details)

    def unload(self) -> None:
        if self._loaded is None:
            return
        self._loaded = None
        release_memory()

    # -- loading --------------------------------------------------------------------------------

    def _ensure_loaded(self, store: ModelStore, device: str, dtype_name: str) -> tuple[_Loaded, float]:
        """The loaded models (in system memory), and the seconds spent loading them now (0: kept)."""
        torch = import_torch()
        delight_spec, paint_spec = paint_models()
        checked = {}
        for model in (delight_spec, paint_spec):
            found = store.check(model)
            assert isinstance(found, CheckedDiffusers), f"{model.id} is not a diffusers model"
            checked[model.id] = found
        key = (dtype_name, *(_fingerprint(found) for found in checked.values()))
        if self._loaded is not None and self._loaded.key == key:
            return self._loaded, 0.0
        self.unload()
        modules = import_hy3dgen_paint()
        dtype = torch.float16 if dtype_name == "float16" else torch.float32
        start = time.perf_counter()
        current = delight_spec
        try:
            delight = delight_model(modules, checked[DELIGHT_ID])
            with quiet_diffusers():
                delight.pipeline.to(dtype=dtype)
            current = paint_spec
            paint = paint_pipeline(modules, checked[PAINT_ID], dtype)
        except torch.cuda.OutOfMemoryError:
            release_memory()
            raise GenerationError(
                "the GPU ran out of memory while loading Hunyuan Paint: close other programs that use "
                "the GPU, or choose texture projection"
            ) from None
        except _LOAD_ERRORS as exc:
            first = (str(exc).strip().splitlines() or [""])[0][:300]
            raise GenerationError(
                f"{current.label} in {store.path(current)} could not be loaded "
                f"({type(exc).__name__}: {first}): the files do not match hy3dgen 2.0.2; re-import or "
                f"re-download it (sweedle models download {current.id})"
            ) from None
        revisions = {
            model.id: str(read_manifest(store.path(model)).get("revision", "local"))
            for model in (delight_spec, paint_spec)
        }
        self._loaded = _Loaded(delight, paint, key, revisions, time.perf_counter() - start)
        return self._loaded, self._loaded.load_seconds

    def _park(self, device: str) -> None:
        """On CUDA the idle models wait in system memory, leaving the VRAM to the shape model."""
        if device == "cuda" and self._loaded is not None:
            with quiet_diffusers():
                self._loaded.delight.pipeline.to("cpu")
                self._loaded.paint.to("cpu")

    # -- the two diffusion runs -----------------------------------------------------------------

    def _delight(
        self,
        loaded: _Loaded,
        reference: np.ndarray,
        device: str,
        low_vram: bool,
        progress: StepProgress,
        total: int,
        cancel: CancelToken,
    ) -> Any:
        from PIL import Image

        remover = loaded.delight
        remover.device = device
        with quiet_diffusers():
            remover.pipeline.to(device)
        done = [0]

        def after_step(_module: Any, _args: Any, _output: Any) -> None:
            done[0] += 1
            cancel.raise_if_cancelled()
            progress(done[0] / total, f"delighting the picture: step {done[0]}/{DELIGHT_STEPS}")

        hook = remover.pipeline.unet.register_forward_hook(after_step)
        try:
            cancel.raise_if_cancelled()
            with quiet_schedulers():
                delighted = remover(Image.fromarray(reference, "RGBA"))
        finally:
            hook.remove()
            if low_vram:
                with quiet_diffusers():
                    remover.pipeline.to("cpu")
        return delighted

    def _multiview(
        self,
        loaded: _Loaded,
        delighted: Any,
        conditions: ConditionMaps,
        options: PaintOptions,
        seed: int,
        device: str,
        low_vram: bool,
        progress: StepProgress,
        total: int,
        cancel: CancelToken,
    ) -> list[np.ndarray]:
        torch = import_torch()
        pipe = loaded.paint
        with quiet_diffusers():
            pipe.to(device)
        if low_vram:
            pipe.vae.enable_slicing()  # decode the six views one at a time
        else:
            pipe.vae.disable_slicing()
        size = options.resolution
        dtype = pipe.vae.dtype

        def as_tensor(pictures: np.ndarray) -> Any:
            batch = torch.from_numpy(np.ascontiguousarray(pictures.transpose(0, 3, 1, 2)))
            return batch.unsqueeze(0).to(device=device, dtype=dtype)

        def on_step(_pipe: Any, step: int, _t: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
            cancel.raise_if_cancelled()
            progress(
                (DELIGHT_STEPS + step + 1) / total, f"painting six views: step {step + 1}/{options.steps}"
            )
            return kwargs

        cameras = [camera.camera_info for camera in PAINT_CAMERAS]
        cancel.raise_if_cancelled()
        with quiet_schedulers(), torch.no_grad():
            images = pipe(
                delighted.resize((size, size)),
                num_inference_steps=options.steps,
                guidance_scale=options.guidance,
                width=size,
                height=size,
                num_in_batch=len(cameras),
                camera_info_gen=[cameras],
                camera_info_ref=[[0]],
                normal_imgs=as_tensor(conditions.normals),
                position_imgs=as_tensor(conditions.positions),
                generator=torch.Generator(device=device).manual_seed(int(seed)),
                callback_on_step_end=on_step,
            ).images
        if low_vram:
            with quiet_diffusers():
                pipe.to("cpu")
        return [np.asarray(image.convert("RGB")) for image in images]


def _fingerprint(checked: CheckedDiffusers) -> tuple[Any, ...]:
    """Where the checked weights are, their sizes and times: a re-imported model is loaded again."""
    stats = []
    for item in checked.files:
        if item.source is not None and item.source.suffix == ".safetensors":
            stat = item.source.stat()
            stats.append((str(item.source), stat.st_size, stat.st_mtime_ns))
    return (str(checked.folder.resolve()), *sorted(stats))


RUNTIME = PaintRuntime()
"""The one paint runtime of this process, kept loaded between jobs."""

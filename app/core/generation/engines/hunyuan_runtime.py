"""The torch side of the Hunyuan engine: device, loading, VRAM preflight, one job, OOM, unload.

Imported only when a Hunyuan job runs, so starting the app never imports torch. The loaded
pipeline stays here between jobs (the worker thread owns it); `unload` frees it. The pipeline is
built by `hunyuan_build` from what the model store checked right before the load (the allow-listed
hy3dgen classes, safetensors weights; never hy3dgen's own loader, which imports any class a config
names) and run through hy3dgen's own `__call__`; progress comes from its per-step callback and a
forward hook on the geometry decoder, which runs once per decoding chunk. Both check cancel.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image
from safetensors import SafetensorError

from app.core.base.cancel import CancelToken
from app.core.base.errors import Cancelled, GenerationError
from app.core.base.progress import StepProgress
from app.core.generation.engines.hunyuan_build import shape_pipeline, shape_vae
from app.core.generation.engines.hunyuan_torch import import_hy3dgen_shapegen
from app.core.generation.torch_device import import_torch, release_memory
from app.core.weights.catalog import ModelSpec, spec
from app.core.weights.store import CheckedWeights, ModelStore, read_manifest

log = logging.getLogger(__name__)
DIFFUSION_SHARE = 0.75
"""Share of the shape stage's progress bar given to diffusion steps; decoding gets the rest."""
_LOAD_ERRORS = (RuntimeError, KeyError, ValueError, TypeError, ArithmeticError, OSError, SafetensorError)
"""What building hy3dgen's parts from checked settings and weights that do not fit them can raise."""
LOW_VRAM_FACTOR = 0.6
"""Low-VRAM mode keeps only the running sub-model on the GPU; it needs about this share of the VRAM."""


@dataclass
class Loaded:
    pipe: Any
    spec: ModelSpec
    device: str
    dtype_name: str
    low_vram: bool
    flashvdm: bool
    revision: str
    load_seconds: float
    hooks: list[Any] = field(default_factory=list)

    source: tuple[str, int, int] = ("", 0, 0)
    """Weight file path, size and mtime: a re-imported model is loaded again, not served stale."""
    parked: bool = False
    """Waiting in system memory while another model used the GPU."""

    def key(self) -> tuple[Any, ...]:
        return (self.spec.id, self.device, self.low_vram, self.flashvdm, self.source)


@dataclass
class JobOutput:
    vertices: np.ndarray
    faces: np.ndarray
    timings: dict[str, float]


def preflight(model: ModelSpec, device: str, low_vram: bool) -> tuple[bool, str]:
    """Compare free VRAM with what the variant needs: go on, switch to low-VRAM mode, or refuse."""
    if device != "cuda":
        return low_vram, ""
    torch = import_torch()
    free, total = torch.cuda.mem_get_info()
    free_gb, need = free / 2**30, model.vram_gb
    if free_gb >= need:
        return low_vram, ""
    if free_gb >= need * LOW_VRAM_FACTOR:
        return True, (
            f"only {free_gb:.1f} GB of {total / 2**30:.1f} GB VRAM is free and {model.label} needs about "
            f"{need:g} GB: switched to low-VRAM mode (slower; idle parts wait in system memory)"
        )
    raise GenerationError(
        f"only {free_gb:.1f} GB of VRAM is free; {model.label} needs about {need:g} GB "
        f"(about {need * LOW_VRAM_FACTOR:.1f} GB in low-VRAM mode): close other programs that use the GPU, "
        "or choose Hunyuan3D-2mini, or run on the CPU (device=cpu, slow)"
    )


class HunyuanRuntime:
    def __init__(self) -> None:
        self.loaded: Loaded | None = None

    def ensure_loaded(
        self, model: ModelSpec, store: ModelStore, device: str, low_vram: bool, flashvdm: bool
    ) -> Loaded:
        checked = store.check(model)
        assert isinstance(checked, CheckedWeights), f"{model.id} is not a shape model"
        folder, weights = checked.folder, checked.weights
        stat = weights.stat()
        source = (str(weights.resolve()), stat.st_size, stat.st_mtime_ns)
        if self.loaded is not None and self.loaded.key() == (model.id, device, low_vram, flashvdm, source):
            if self.loaded.parked:
                if not low_vram:  # low-VRAM mode moves each part to the GPU when it runs
                    self.loaded.pipe.to(device)
                self.loaded.parked = False
            return self.loaded
        self.unload()
        torch = import_torch()
        shapegen = import_hy3dgen_shapegen()
        logging.getLogger("hy3dgen.shapgen").setLevel(logging.WARNING)
        dtype = torch.float16 if device == "cuda" else torch.float32
        start = time.perf_counter()
        try:
            pipe = shape_pipeline(shapegen, checked, device, dtype)
            used_flashvdm = self._decoder(pipe, model, store, device, dtype) if flashvdm else False
        except torch.cuda.OutOfMemoryError:
            release_memory()
            raise GenerationError(
                f"the GPU ran out of memory while loading {model.label}: close other programs that use the "
                "GPU, turn on low-VRAM mode (low_vram=1) or choose Hunyuan3D-2mini"
            ) from None
        except _LOAD_ERRORS as exc:
            raise GenerationError(
                f"{model.label} in {folder} could not be loaded ({type(exc).__name__}: {_first_line(exc)}): "
                f"the files do not match hy3dgen 2.0.2; re-import or re-download it "
                f"(sweedle models download {model.id})"
            ) from None
        loaded = Loaded(
            pipe,
            model,
            device,
            "float16" if device == "cuda" else "float32",
            low_vram,
            used_flashvdm,
            str(read_manifest(folder).get("revision", "local")),
            time.perf_counter() - start,
            source=source,
        )
        if low_vram and device == "cuda":
            loaded.hooks = _offload_idle_parts(pipe, device)
        self.loaded = loaded
        return loaded

    @staticmethod
    def _decoder(pipe: Any, model: ModelSpec, store: ModelStore, device: str, dtype: Any) -> bool:
        """FlashVDM: the turbo VAE when it is installed, else the variant's own VAE with FlashVDM decoding."""
        if model.turbo_vae is not None:
            vae_spec = spec(model.turbo_vae)
            if store.state(vae_spec).usable:
                checked = store.check(vae_spec)
                assert isinstance(checked, CheckedWeights), f"{vae_spec.id} is not a VAE"
                pipe.vae = shape_vae(checked, device, dtype)
        pipe.vae.enable_flashvdm_decoder(
            enabled=True, adaptive_kv_selection=True, topk_mode="mean", mc_algo="mc"
        )
        return True

    def run(
        self,
        loaded: Loaded,
        image: Image.Image | dict[str, Image.Image],
        params: dict[str, Any],
        seed: int,
        progress: StepProgress,
        cancel: CancelToken,
    ) -> JobOutput:
        torch = import_torch()
        steps = int(params["steps"])
        resolution = int(params["octree_resolution"])
        chunks = int(params["num_chunks"])
        decode_total = None if loaded.flashvdm else math.ceil((resolution + 1) ** 3 / chunks)
        timings: dict[str, float] = {}
        clock = {"start": time.perf_counter(), "decode": 0.0}
        decoded = [0]

        def on_step(step: int, _t: Any, _outputs: Any) -> None:
            cancel.raise_if_cancelled()
            progress(DIFFUSION_SHARE * (step + 1) / steps, f"diffusion step {step + 1}/{steps}")

        def on_chunk(_module: Any, _args: Any, _output: Any) -> None:
            if decoded[0] == 0:
                clock["decode"] = time.perf_counter()
            decoded[0] += 1
            cancel.raise_if_cancelled()
            n = decoded[0]
            share = n / decode_total if decode_total else 1.0 - 1.0 / (1.0 + n / 8.0)
            of = f"/{decode_total}" if decode_total else ""
            progress(DIFFUSION_SHARE + (1 - DIFFUSION_SHARE) * min(share, 1.0), f"decoding chunk {n}{of}")

        hook = loaded.pipe.vae.geo_decoder.register_forward_hook(on_chunk)
        try:
            cancel.raise_if_cancelled()
            generator = torch.Generator(device="cpu").manual_seed(int(seed))
            outputs = loaded.pipe(
                image=image,
                num_inference_steps=steps,
                guidance_scale=float(params["guidance"]),
                generator=generator,
                octree_resolution=resolution,
                num_chunks=chunks,
                output_type="mesh",
                enable_pbar=False,
                callback=on_step,
                callback_steps=1,
            )
        except torch.cuda.OutOfMemoryError:
            release_memory()
            raise GenerationError(
                f"the GPU ran out of memory during generation (octree resolution {resolution}, "
                f"num_chunks {chunks}): lower octree_resolution (e.g. 256 or 196) or num_chunks, turn on "
                "low-VRAM mode (low_vram=1), or close other programs that use the GPU"
            ) from None
        except Cancelled:
            release_memory()
            raise
        finally:
            hook.remove()
        end = time.perf_counter()
        decode_start = clock["decode"] or end
        timings["diffusion_s"] = decode_start - clock["start"]
        timings["decode_s"] = end - decode_start
        mesh = outputs[0] if outputs else None
        if mesh is None:
            raise GenerationError(
                "Hunyuan3D found no surface in this picture (the model's output had no inside/outside "
                "boundary): try another seed, more steps, or a picture with the subject clearly cut out"
            )
        faces = np.ascontiguousarray(np.asarray(mesh.mesh_f)[:, ::-1])
        return JobOutput(np.asarray(mesh.mesh_v, dtype=np.float32), faces, timings)

    def park(self) -> None:
        """On CUDA, move the loaded pipeline to system memory (the texture models need the VRAM)."""
        if self.loaded is None or self.loaded.device != "cuda" or self.loaded.parked:
            return
        pipe = self.loaded.pipe
        for part in (pipe.conditioner, pipe.model, pipe.vae):  # pipe.device stays: inputs still go to CUDA
            part.to("cpu")
        self.loaded.parked = True
        release_memory()

    def unload(self) -> None:
        if self.loaded is None:
            return
        for hook in self.loaded.hooks:
            hook.remove()
        self.loaded = None
        release_memory()




def _offload_idle_parts(pipe: Any, device: str) -> list[Any]:
    """Low-VRAM mode: each sub-model moves to the GPU when it runs and the others wait in system memory.

    (hy3dgen's own `enable_model_cpu_offload` cannot run: it reads a `components` attribute the
    pipeline never defines.)
    """
    parts = {"conditioner": pipe.conditioner, "model": pipe.model, "vae": pipe.vae}
    for module in parts.values():
        module.to("cpu")

    def make_hook(name: str) -> Callable[..., None]:
        def before_forward(_module: Any, _args: Any) -> None:
            for other, module in parts.items():
                module.to(device if other == name else "cpu")

        return before_forward

    hooks = [module.register_forward_pre_hook(make_hook(name)) for name, module in parts.items()]
    geo = pipe.vae.geo_decoder  # decoding calls the geometry decoder directly, not vae.forward
    hooks.append(geo.register_forward_pre_hook(lambda _m, _a: pipe.vae.to(device)))
    return hooks


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else ""


def pil_image(rgb: np.ndarray, alpha: np.ndarray) -> Image.Image:
    """A framed subject as the RGBA picture hy3dgen's image processor expects."""
    a = alpha if alpha.dtype == np.uint8 else np.clip(alpha * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(np.dstack([rgb.astype(np.uint8), a]), "RGBA")

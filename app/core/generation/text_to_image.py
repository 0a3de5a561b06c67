"""Text-to-3D's first step: the prompt becomes a picture with hy3dgen's HunyuanDiT text-to-image.

hy3dgen's `HunyuanDiTPipeline` loads the diffusers pipeline with perturbed-attention guidance on,
exactly as the official app does, from a private staging folder that holds only what the model
store checked right before (allow-listed classes, safetensors weights; see `diffusers_folder`), never
from the hub; the picture is then made with its own prompt suffix and negative prompt, 25 steps
and PAG scale 1.3, through the diffusers call with a per-step callback so progress is reported
and cancel is checked at every step. It runs
on the device and dtype the shape step uses (CUDA float16, else CPU float32). Between jobs the
loaded pipeline is kept; on CUDA it waits in system memory so the shape model has the VRAM.
Torch is imported only when a prompt job runs.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.core.base.cancel import CancelToken
from app.core.base.errors import Cancelled, GenerationError, InputError
from app.core.base.progress import StepProgress
from app.core.generation.engines.base import Engine
from app.core.generation.request import GenerationRequest
from app.core.imaging.loading import LoadedImage
from app.core.weights.catalog import spec
from app.core.weights.diffusers_folder import CheckedDiffusers
from app.core.weights.store import ModelStore, read_manifest

MODEL_ID = "hunyuandit-t2i"
STEPS = 25
PAG_SCALE = 1.3
IMAGE_SIZE = 1024
"""hy3dgen's text2image settings; the size is a parameter so tests can run a tiny model small."""
PICTURE_SHARE = 0.25
"""Share of the preprocess stage's progress given to making the picture; finding the subject follows."""
PROMPT_CHARS = 60
"""hy3dgen keeps the first 60 characters of the prompt before its own style suffix."""


@dataclass
class Picture:
    image: LoadedImage
    details: dict[str, Any]
    """Provenance: model, revision, device, dtype, steps, seed, size, timings."""


@dataclass
class _Loaded:
    dit: Any
    key: tuple[str, int, str, str]
    revision: str
    load_seconds: float


class TextToImage:
    """Holds the loaded HunyuanDiT pipeline between jobs; used from the generation worker thread."""

    def __init__(self) -> None:
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def make_picture(
        self,
        prompt: str,
        seed: int,
        device: str,
        progress: StepProgress,
        cancel: CancelToken,
        size: int = IMAGE_SIZE,
        store: ModelStore | None = None,
    ) -> Picture:
        """A picture of `prompt` on a white background, as a LoadedImage the image pipeline takes."""
        from app.core.generation.torch_device import import_torch, release_memory

        torch = import_torch()
        with self._lock:
            progress(0.0, "loading the HunyuanDiT text-to-image model")
            loaded, load_seconds = self._ensure_loaded(store or ModelStore(), device)
            pipe = loaded.dit.pipe
            start = time.perf_counter()

            def on_step(_pipe: Any, step: int, _t: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
                cancel.raise_if_cancelled()
                progress((step + 1) / STEPS, f"picture from the prompt: step {step + 1}/{STEPS}")
                return kwargs

            try:
                cancel.raise_if_cancelled()
                pipe.to(device)
                with torch.no_grad():
                    image = pipe(
                        prompt=prompt[:PROMPT_CHARS] + loaded.dit.pos_txt,
                        negative_prompt=loaded.dit.neg_txt,
                        num_inference_steps=STEPS,
                        pag_scale=PAG_SCALE,
                        width=size,
                        height=size,
                        generator=torch.Generator(device=device).manual_seed(int(seed)),
                        return_dict=False,
                        callback_on_step_end=on_step,
                        use_resolution_binning=False,  # 1024 is already a trained size; tests run smaller
                    )[0][0]
            except torch.cuda.OutOfMemoryError:
                self._park(device)
                release_memory()
                raise GenerationError(
                    "the GPU ran out of memory while making the picture from the prompt (HunyuanDiT needs "
                    "about 11 GB): close other programs that use the GPU, or give a picture instead of a "
                    "prompt"
                ) from None
            except Cancelled:
                self._park(device)
                raise
            self._park(device)
            release_memory()
        rgba = np.ascontiguousarray(np.asarray(image.convert("RGBA")))
        rgba.setflags(write=False)
        picture = LoadedImage(rgba, False, "HunyuanDiT", "RGB", Path("prompt.png"))
        details = {
            "text_to_image_model": spec(MODEL_ID).repo,
            "text_to_image_revision": loaded.revision,
            "text_to_image_device": device,
            "text_to_image_dtype": loaded.key[3],
            "text_to_image_steps": STEPS,
            "text_to_image_size": size,
            "text_to_image_timings": {"load_s": load_seconds, "generate_s": time.perf_counter() - start},
        }
        return Picture(picture, details)

    def _ensure_loaded(self, store: ModelStore, device: str) -> tuple[_Loaded, float]:
        """The loaded pipeline for `device`, and the seconds spent loading it now (0 when it was kept)."""
        from app.core.generation.engines.hunyuan_torch import import_hy3dgen_shapegen
        from app.core.generation.torch_device import import_torch

        model = spec(MODEL_ID)
        checked = store.check(model)
        assert isinstance(checked, CheckedDiffusers), f"{model.id} is not a diffusers model"
        folder = checked.folder
        index = folder / "model_index.json"
        dtype_name = "float16" if device == "cuda" else "float32"
        key = (str(folder.resolve()), index.stat().st_mtime_ns, device, dtype_name)
        if self._loaded is not None and self._loaded.key == key:
            return self._loaded, 0.0
        self.unload()
        torch = import_torch()
        import_hy3dgen_shapegen()  # makes torchvision importable next to a CPU torch before diffusers
        from safetensors import SafetensorError

        with warnings.catch_warnings():  # diffusers' auto-pipeline imports every pipeline, some deprecated
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            from hy3dgen.text2image import HunyuanDiTPipeline

        start = time.perf_counter()
        staging = Path(tempfile.mkdtemp(prefix="sweedle-hunyuandit-"))
        try:
            checked.stage(staging)
            dit = HunyuanDiTPipeline(model_path=str(staging), device=device)
        except torch.cuda.OutOfMemoryError:
            from app.core.generation.torch_device import release_memory

            release_memory()
            raise GenerationError(
                "the GPU ran out of memory while loading the HunyuanDiT text-to-image model (about 11 GB): "
                "close other programs that use the GPU, or give a picture instead of a prompt"
            ) from None
        except (OSError, ValueError, KeyError, RuntimeError, TypeError, SafetensorError) as exc:
            first = (str(exc).strip().splitlines() or [""])[0][:300]
            raise GenerationError(
                f"{model.label} in {folder} could not be loaded ({type(exc).__name__}: {first}): "
                f"re-import or re-download it (sweedle models download {model.id})"
            ) from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if dtype_name == "float32":  # hy3dgen loads float16; the CPU runs float32
            dit.pipe.to(dtype=torch.float32)
        dit.pipe.set_progress_bar_config(disable=True)
        loaded = _Loaded(
            dit, key, str(read_manifest(folder).get("revision", "local")), time.perf_counter() - start
        )
        self._loaded = loaded
        return loaded, loaded.load_seconds

    def _park(self, device: str) -> None:
        """On CUDA the idle pipeline waits in system memory, leaving the VRAM to the shape model."""
        if device == "cuda" and self._loaded is not None:
            self._loaded.dit.pipe.to("cpu")

    def unload(self) -> None:
        if self._loaded is None:
            return
        self._loaded = None
        from app.core.generation.torch_device import release_memory

        release_memory()


RUNTIME = TextToImage()
"""The one text-to-image pipeline of this process, kept loaded between jobs."""


def prompt_picture(
    request: GenerationRequest,
    engine: Engine,
    params: dict[str, Any],
    report: StepProgress,
    cancel: CancelToken,
) -> Picture:
    """The picture for a prompt-only request, or an InputError saying why this engine cannot make one."""
    available = engine.text_availability()
    if not available.ok:
        raise InputError(f"text-to-3D is not available: {available.reason}")
    from app.core.generation.torch_device import choose_device

    device, _dtype = choose_device(str(params.get("device", "auto")))
    return RUNTIME.make_picture(
        request.prompt, request.seed, device, lambda f, m: report(PICTURE_SHARE * f, m), cancel, IMAGE_SIZE
    )

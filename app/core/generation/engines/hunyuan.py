"""Hunyuan3D-2 shape generation through hy3dgen 2.0.2, on a CUDA GPU (fp16) or, slowly, the CPU.

This module is what the registry imports at start-up, so it must stay light: it checks for torch
and hy3dgen with `find_spec` and asks the model store what is installed; torch itself is imported
by `hunyuan_runtime` on the first job. The loaded pipeline stays in the runtime between jobs;
`unload()` frees it. The mesh comes out untextured (the texture stage bakes the picture on).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, ClassVar

from app.core.base.cancel import CancelToken
from app.core.base.errors import InputError
from app.core.base.progress import StepProgress
from app.core.base.provenance import EngineFacts
from app.core.generation.engines.base import Availability, EngineOutput, ParamSpec, ShapeInput
from app.core.generation.engines.hunyuan_setup import install_steps_line, missing_packages
from app.core.generation.torch_device import choose_device
from app.core.weights.catalog import UNSUPPORTED_NOTE, ModelSpec, shape_variants, spec

if TYPE_CHECKING:
    from app.core.generation.engines.hunyuan_runtime import HunyuanRuntime
    from app.core.weights.store import ModelStore

DEVICES = ("auto", "cuda", "cpu")
VIEWS = ("front", "left", "back", "right")
CPU_WARNING = (
    "no CUDA GPU: running on the CPU in float32; this will be slow (expect minutes to tens of minutes "
    "per asset with real weights instead of seconds on a GPU; Turbo variants and octree_resolution 196 "
    "help most)"
)



def _model_store() -> ModelStore:
    """The model store, imported when first asked: its folder checks (and YAML) stay off the start
    of `sweedle generate` with another engine."""
    from app.core.weights.store import ModelStore

    return ModelStore()


class HunyuanEngine:
    name = "hunyuan"
    label = "Hunyuan3D-2 (local GPU)"
    version = "hy3dgen-2.0.2"
    views = ("front", "back", "left", "right")
    note = UNSUPPORTED_NOTE
    params = (
        ParamSpec("variant", str, "hunyuan3d-2", help="model variant (sweedle models list)"),
        ParamSpec("steps", int, 0, 0, 200, "diffusion steps; 0 = the variant's own (30 / Fast 10 / Turbo 5)"),
        ParamSpec("guidance", float, 5.0, 0.0, 30.0, "guidance scale"),
        ParamSpec("octree_resolution", int, 256, 16, 512, "decoding grid: 196 low, 256 standard, 384 high"),
        ParamSpec("num_chunks", int, 8000, 1000, 500000, "query points decoded per chunk (lower saves VRAM)"),
        ParamSpec("flashvdm", int, 1, 0, 1, "1 = FlashVDM fast decoding (turbo VAE when installed)"),
        ParamSpec("low_vram", int, 0, 0, 1, "1 = keep idle sub-models in system memory"),
        ParamSpec("device", str, "auto", help="auto (CUDA fp16 when available), cuda or cpu"),
    )
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "Turbo": {"steps": 5, "octree_resolution": 196},
        "Fast": {"steps": 10, "octree_resolution": 256},
        "Standard": {"steps": 30, "octree_resolution": 384},
    }

    def __init__(self) -> None:
        self._runtime: HunyuanRuntime | None = None
        self.last_notice = ""
        """The latest warning a front end should show (CPU slowness, switch to low-VRAM mode)."""

    def availability(self) -> Availability:
        missing = missing_packages()
        if missing:
            return Availability(False, f"{', '.join(missing)} not installed: {install_steps_line()}")
        if not any(_model_store().state(v).usable for v in shape_variants()):
            return Availability(
                False,
                "no Hunyuan3D-2 model is installed: open Models… to import or download one "
                "(or: sweedle models download hunyuan3d-2-turbo)",
            )
        return Availability(True)

    def text_availability(self) -> Availability:
        """Text-to-3D needs HunyuanDiT text-to-image weights in the store as well as a shape model."""
        shape = self.availability()
        if not shape.ok:
            return shape
        t2i = _model_store().state(spec("hunyuandit-t2i"))
        if not t2i.usable:
            return Availability(
                False,
                t2i.problem
                or "text-to-3D needs the HunyuanDiT text-to-image model: open Models… and download "
                "hunyuandit-t2i (about 14 GB), or give a picture instead",
            )
        return Availability(True)

    def variant(self, params: dict[str, Any]) -> ModelSpec:
        choice = str(params.get("variant", "hunyuan3d-2"))
        try:
            model = spec(choice)
        except InputError:
            model = None
        if model is None or model.kind != "shape":
            names = ", ".join(v.id for v in shape_variants())
            raise InputError(
                f"unknown Hunyuan variant {choice!r}; choose one of: {names}. {UNSUPPORTED_NOTE}"
            )
        return model

    def generate(
        self,
        shape_input: ShapeInput,
        params: dict[str, Any],
        progress: StepProgress,
        cancel: CancelToken,
    ) -> EngineOutput:
        from app.core.generation.engines import hunyuan_runtime as rt

        model = self.variant(params)
        requested = str(params.get("device", "auto"))
        if requested not in DEVICES:
            raise InputError(f"device={requested!r} is not valid: use auto, cuda or cpu")
        images = self._images(model, shape_input)
        run_params = {**params, "steps": int(params["steps"]) or model.default_steps}

        progress(0.0, "loading PyTorch and hy3dgen")
        device, dtype_name = choose_device(requested)
        low_vram, notice = rt.preflight(model, device, bool(params["low_vram"]))
        self.last_notice = notice or (CPU_WARNING if device == "cpu" else "")
        if self.last_notice:
            progress(0.0, self.last_notice)
        if self._runtime is None:
            self._runtime = rt.HunyuanRuntime()
        before = self._runtime.loaded
        flashvdm = bool(params["flashvdm"])
        loaded = self._runtime.ensure_loaded(model, _model_store(), device, low_vram, flashvdm)
        cancel.raise_if_cancelled()
        out = self._runtime.run(loaded, images, run_params, shape_input.seed, progress, cancel)
        facts = EngineFacts(
            variant=model.id,
            model_revision=loaded.revision,
            licence=model.licence,
            device=device,
            dtype=dtype_name,
            details={
                "model_repo": model.repo,
                "model_subfolder": model.subfolder,
                "low_vram": loaded.low_vram,
                "flashvdm": loaded.flashvdm,
                "steps": run_params["steps"],
                "timings": {"load_s": 0.0 if loaded is before else loaded.load_seconds, **out.timings},
            },
        )
        from app.core.mesh.types import Material, Mesh  # numpy: not at the window's start

        return EngineOutput(
            Mesh(out.vertices, out.faces), Material(name="Hunyuan"), f"{model.repo}/{model.subfolder}", facts
        )

    def _images(self, model: ModelSpec, shape_input: ShapeInput) -> Any:
        from app.core.generation.engines.hunyuan_runtime import pil_image

        front = pil_image(shape_input.front.rgb, shape_input.front.alpha)
        if not model.multiview:
            return front
        views = {"front": front}
        for name, framed in shape_input.views.items():
            views[name] = pil_image(framed.rgb, framed.alpha)
        missing = [v for v in VIEWS if v not in views]
        if len(views) < 2:
            raise InputError(
                f"{model.label} takes several views: give at least one more of {', '.join(missing)} "
                "(e.g. --view back=back.png)"
            )
        return views

    def unload(self) -> None:
        """Free the loaded pipelines, shape, text-to-image and paint (and their VRAM); the next job
        loads them again."""
        if self._runtime is not None:
            self._runtime.unload()
        from app.core.generation.text_to_image import RUNTIME

        RUNTIME.unload()
        if "app.core.generation.paint_runtime" in sys.modules:  # never loaded: nothing to free
            from app.core.generation.paint_runtime import RUNTIME as PAINT

            PAINT.unload()

    def park(self) -> None:
        """Move a loaded shape model to system memory while another model needs the GPU; the next
        shape job moves it back."""
        if self._runtime is not None:
            self._runtime.park()

    @property
    def loaded_variant(self) -> str | None:
        loaded = self._runtime.loaded if self._runtime is not None else None
        return loaded.spec.id if loaded is not None else None

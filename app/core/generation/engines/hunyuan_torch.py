"""Importing torch, torchvision and hy3dgen safely; only the Hunyuan runtime imports this module.

PyPI's torchvision is a CUDA build; next to a CPU torch its compiled ops fail to register and the
import dies with "operator torchvision::nms does not exist". hy3dgen needs only
torchvision.transforms, so when (and only when) those ops are missing, their two schemas are
declared before torchvision is first imported. Hugging Face libraries are kept offline: weights
come from the model store, never from the network during a job.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass
from importlib.util import find_spec
from types import ModuleType

from app.core.base.errors import GenerationError
from app.core.generation.engines.hunyuan_setup import install_steps_line
from app.core.generation.torch_device import import_torch

_TORCHVISION_OPS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
_library_handle: object | None = None




def import_hy3dgen_shapegen() -> ModuleType:
    """hy3dgen.shapegen, with torchvision made importable next to a CPU torch."""
    torch = import_torch()
    _ensure_torchvision_ops(torch)
    try:
        import hy3dgen.shapegen as shapegen
    except ImportError as exc:
        raise GenerationError(f"hy3dgen cannot be imported ({exc}): {install_steps_line()}") from exc
    return shapegen


@dataclass(frozen=True)
class PaintModules:
    """hy3dgen's texture diffusion code: the multi-view paint pipeline, its UNet, the delighter."""

    pipeline: ModuleType
    unet: ModuleType
    delight: ModuleType


def import_hy3dgen_paint() -> PaintModules:
    """hy3dgen.texgen's diffusion modules, without its renderer.

    `hy3dgen/texgen/__init__.py` imports `pipelines.py`, which imports the differentiable renderer
    (whose rasteriser is the compiled `custom_rasterizer`). The texture step needs none of that, so
    the package is registered without running its `__init__`, and only the diffusion modules load.
    """
    torch = import_torch()
    _ensure_torchvision_ops(torch)
    try:
        if "hy3dgen.texgen" not in sys.modules:
            spec = find_spec("hy3dgen.texgen")
            if spec is None or not spec.submodule_search_locations:
                raise ImportError("hy3dgen.texgen is missing from the hy3dgen package")
            import hy3dgen

            package = ModuleType("hy3dgen.texgen")
            package.__path__ = list(spec.submodule_search_locations)
            package.__package__ = "hy3dgen.texgen"
            sys.modules["hy3dgen.texgen"] = package
            hy3dgen.texgen = package  # type: ignore[attr-defined]
        return PaintModules(
            importlib.import_module("hy3dgen.texgen.hunyuanpaint.pipeline"),
            importlib.import_module("hy3dgen.texgen.hunyuanpaint.unet.modules"),
            importlib.import_module("hy3dgen.texgen.utils.dehighlight_utils"),
        )
    except ImportError as exc:
        raise GenerationError(
            f"hy3dgen's texture models cannot be imported ({exc}): {install_steps_line()}"
        ) from exc


def _ensure_torchvision_ops(torch: ModuleType) -> None:
    global _library_handle
    if _library_handle is not None or "torchvision" in sys.modules:
        return
    try:
        torch.ops.torchvision.nms  # noqa: B018 - probing whether the compiled ops registered
        return
    except (AttributeError, RuntimeError):
        pass
    spec = find_spec("torchvision")
    if spec is None or spec.origin is None:
        return
    try:
        torch.ops.load_library(os.path.join(os.path.dirname(spec.origin), "_C.so"))
        torch.ops.torchvision.nms  # noqa: B018
        return
    except (OSError, RuntimeError, AttributeError):
        pass
    library = torch.library.Library("torchvision", "DEF")
    for schema in _TORCHVISION_OPS:
        library.define(schema)
    _library_handle = library

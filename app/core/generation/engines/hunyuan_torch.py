"""Importing torch, torchvision and hy3dgen safely; only the Hunyuan runtime imports this module.

PyPI's torchvision is a CUDA build; next to a CPU torch its compiled ops fail to register and the
import dies with "operator torchvision::nms does not exist". hy3dgen needs only
torchvision.transforms, so when (and only when) those ops are missing, their two schemas are
declared before torchvision is first imported. Hugging Face libraries are kept offline: weights
come from the model store, never from the network during a job.
"""

from __future__ import annotations

import os
from types import ModuleType

from app.core.errors import GenerationError
from app.core.generation.engines.hunyuan_setup import install_steps_line

_TORCHVISION_OPS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
_library_handle: object | None = None


def import_torch() -> ModuleType:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import torch
    except ImportError as exc:
        raise GenerationError(f"PyTorch is not installed: {install_steps_line()}") from exc
    return torch


def import_hy3dgen_shapegen() -> ModuleType:
    """hy3dgen.shapegen, with torchvision made importable next to a CPU torch."""
    torch = import_torch()
    _ensure_torchvision_ops(torch)
    try:
        import hy3dgen.shapegen as shapegen
    except ImportError as exc:
        raise GenerationError(f"hy3dgen cannot be imported ({exc}): {install_steps_line()}") from exc
    return shapegen


def _ensure_torchvision_ops(torch: ModuleType) -> None:
    global _library_handle
    if _library_handle is not None or "torchvision" in __import__("sys").modules:
        return
    try:
        torch.ops.torchvision.nms  # noqa: B018 - probing whether the compiled ops registered
        return
    except (AttributeError, RuntimeError):
        pass
    from importlib.util import find_spec

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

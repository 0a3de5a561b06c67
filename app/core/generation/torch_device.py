"""Torch for every model runtime (shape, text-to-image, paint): imported only when a job needs it,
offline, with the device and precision chosen once and memory handed back after a model is freed."""

from __future__ import annotations

import gc
import os
from types import ModuleType

from app.core.base.errors import GenerationError
from app.core.generation.engines.hunyuan_setup import install_steps_line


def import_torch() -> ModuleType:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import torch
    except ImportError as exc:
        raise GenerationError(f"PyTorch is not installed: {install_steps_line()}") from exc
    return torch


def choose_device(requested: str) -> tuple[str, str]:
    """("cuda", "float16") when CUDA is there (or asked for), else ("cpu", "float32")."""
    torch = import_torch()
    if requested == "cpu":
        return "cpu", "float32"
    if torch.cuda.is_available():
        return "cuda", "float16"
    if requested == "cuda":
        raise GenerationError(
            "device=cuda was asked for but PyTorch sees no CUDA GPU here; use device=auto or cpu"
        )
    return "cpu", "float32"


def release_memory() -> None:
    gc.collect()
    torch = import_torch()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()

"""hy3dgen's texture models, built by our code from folders the model store checked a moment before.

The delighting model is a plain diffusers InstructPix2Pix folder: hy3dgen's own
`Light_Shadow_Remover` loads it, from a private staging folder that holds only the checked files
(as the HunyuanDiT loader does). The paint model's index names its UNet from `unet/modules.py` in
the model folder, which diffusers would import, and hy3dgen's UNet loader reads a pickle; so its
parts are built here from hy3dgen's installed classes, the checked configs and the safetensors
weights, and put together as hy3dgen's `HunyuanPaintPipeline` with the scheduler hy3dgen's
`Multiview_Diffusion_Net` uses. The text encoder is never loaded: the pipeline feeds its UNet its
own learned prompt embeddings. Imported only when a paint job runs (it needs torch).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from app.core.generation.engines.hunyuan_torch import PaintModules
from app.core.generation.torch_device import import_torch
from app.core.weights.diffusers_folder import CheckedDiffusers

NUMPY_COPY_WARNING = "__array__ implementation doesn't accept a copy keyword"
"""diffusers' Euler schedulers turn a tensor into a numpy array in a way numpy 2 deprecates."""


@contextmanager
def quiet_schedulers() -> Iterator[None]:
    """The one deprecation diffusers' schedulers raise on every step under numpy 2, silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=NUMPY_COPY_WARNING, category=DeprecationWarning)
        yield


@contextmanager
def quiet_diffusers() -> Iterator[None]:
    """diffusers' loading bar and its advice on float16 and `accelerate` kept off the terminal: the
    loader puts the models on the job's device and dtype itself."""
    from diffusers.utils import logging as diffusers_logging

    logger = logging.getLogger("diffusers")
    level = logger.level
    logger.setLevel(logging.ERROR)
    diffusers_logging.disable_progress_bar()
    try:
        yield
    finally:
        diffusers_logging.enable_progress_bar()
        logger.setLevel(level)


def delight_model(modules: PaintModules, checked: CheckedDiffusers) -> Any:
    """hy3dgen's `Light_Shadow_Remover`, in system memory in float16 (the caller places it)."""
    staging = Path(tempfile.mkdtemp(prefix="sweedle-delight-"))
    try:
        checked.stage(staging)
        config = SimpleNamespace(device="cpu", light_remover_ckpt_path=str(staging))
        with quiet_schedulers(), quiet_diffusers():
            return modules.delight.Light_Shadow_Remover(config)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def paint_pipeline(modules: PaintModules, checked: CheckedDiffusers, dtype: Any) -> Any:
    """hy3dgen's `HunyuanPaintPipeline` with its UNet2p5DConditionModel, in system memory."""
    torch = import_torch()
    from diffusers import AutoencoderKL, EulerAncestralDiscreteScheduler, UNet2DConditionModel

    with torch.device("meta"):  # no random initialisation of 1.7 billion parameters to overwrite
        base = UNet2DConditionModel.from_config(checked.config("unet/config.json"))
        unet = modules.unet.UNet2p5DConditionModel(base)
        vae = AutoencoderKL.from_config(checked.config("vae/config.json"))
    unet.load_state_dict(_tensors(checked.weights("unet"), dtype), strict=True, assign=True)
    vae.load_state_dict(_tensors(checked.weights("vae"), dtype), strict=True, assign=True)
    with quiet_schedulers():
        scheduler = EulerAncestralDiscreteScheduler.from_config(
            checked.config("scheduler/scheduler_config.json"), timestep_spacing="trailing"
        )
    pipe = modules.pipeline.HunyuanPaintPipeline(
        vae=vae, text_encoder=None, tokenizer=None, unet=unet, scheduler=scheduler, feature_extractor=None
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _tensors(files: list[Path], dtype: Any) -> dict[str, Any]:
    import safetensors.torch

    tensors: dict[str, Any] = {}
    for path in files:
        tensors.update(safetensors.torch.load_file(str(path), device="cpu"))
    return {name: value.to(dtype) if value.is_floating_point() else value for name, value in tensors.items()}

"""hy3dgen's shape pipeline and VAE, built by our code from a checked config and safetensors weights.

hy3dgen's own `from_single_file` imports whatever class its config names and reads `.ckpt`
weights with `torch.load`. Here the classes come from a fixed table of the hy3dgen classes the
allow-list names (no name from a file is ever imported), their arguments are the settings the
model store checked a moment before, and the weights are read only by safetensors, which never
unpickles. Imported only when a Hunyuan job runs (it needs torch).
"""

from __future__ import annotations

import copy
from types import ModuleType
from typing import Any

from app.core.weights import allowlist
from app.core.weights.store import CheckedWeights


def _classes() -> dict[str, type]:
    """The allow-list's class names mapped to the classes themselves, from hy3dgen's own modules."""
    from hy3dgen.shapegen import models, preprocessors, schedulers

    return {
        allowlist.DIT: models.Hunyuan3DDiT,
        allowlist.SHAPE_VAE: models.ShapeVAE,
        allowlist.SINGLE_IMAGE_ENCODER: models.SingleImageEncoder,
        allowlist.IMAGE_PROCESSOR: preprocessors.ImageProcessorV2,
        allowlist.MV_IMAGE_PROCESSOR: preprocessors.MVImageProcessorV2,
        allowlist.FLOW_MATCH: schedulers.FlowMatchEulerDiscreteScheduler,
        allowlist.CONSISTENCY_FLOW_MATCH: schedulers.ConsistencyFlowMatchEulerDiscreteScheduler,
    }


def _weights(checked: CheckedWeights) -> dict[str, Any]:
    import safetensors.torch

    return safetensors.torch.load_file(str(checked.weights), device="cpu")


def _part(classes: dict[str, type], checked: CheckedWeights, name: str) -> Any:
    part = checked.parts[name]
    return classes[part.target](**copy.deepcopy(dict(part.params)))


def shape_pipeline(shapegen: ModuleType, checked: CheckedWeights, device: str, dtype: Any) -> Any:
    """Hunyuan3DDiTFlowMatchingPipeline, as `from_single_file` would make it, minus its risks."""
    classes = _classes()
    by_part: dict[str, dict[str, Any]] = {}
    for key, value in _weights(checked).items():
        prefix, _, rest = key.partition(".")
        by_part.setdefault(prefix, {})[rest] = value
    parts = {name: _part(classes, checked, name) for name in allowlist.SHAPE_SECTIONS}
    parts["model"].load_state_dict(by_part["model"])
    parts["vae"].load_state_dict(by_part["vae"])
    if "conditioner" in by_part:
        parts["conditioner"].load_state_dict(by_part["conditioner"])
    return shapegen.Hunyuan3DDiTFlowMatchingPipeline(**parts, device=device, dtype=dtype)


def shape_vae(checked: CheckedWeights, device: str, dtype: Any) -> Any:
    """A stand-alone VAE (the FlashVDM turbo decoder), as `ShapeVAE.from_single_file` would make it."""
    vae = _part(_classes(), checked, "vae")
    vae.load_state_dict(_weights(checked))
    vae.to(device=device, dtype=dtype)
    return vae

"""A job's texture step: projection or Hunyuan Paint, chosen per job.

"projection" bakes the pictures onto the unwrapped mesh; "paint" has Hunyuan3D-2 Paint make six
views of the mesh and bakes those, and fails with a message a person can act on when it cannot
run; "auto" paints Hunyuan shapes when the paint weights are installed and whole and a CUDA GPU
can hold the models, and otherwise projects. When an automatic paint fails (damaged weights, a
load error, the GPU out of memory) the job falls back to projection and its result says so.
Torch is imported only when a paint is attempted.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.core.base.cancel import CancelToken
from app.core.base.errors import GenerationError
from app.core.base.progress import StepProgress
from app.core.generation.request import GenerationRequest
from app.core.imaging import FramedImage
from app.core.mesh.types import Material, Mesh
from app.core.texture.bake import View
from app.core.texture.paint_options import PaintOptions
from app.core.texture.pipeline import texture_mesh
from app.core.weights.paint_weights import paint_installed, paint_problem

log = logging.getLogger(__name__)


@dataclass
class Textured:
    mesh: Mesh
    material: Material
    details: dict[str, Any] = field(default_factory=dict)
    """Provenance: the method used, why, and the paint models' details."""
    notice: str = ""
    """A line for the result when the job did not texture the way it was asked to."""


def texture_step(
    request: GenerationRequest,
    mesh: Mesh,
    front: FramedImage,
    views: Mapping[str, FramedImage],
    *,
    hunyuan_shape: bool,
    engine_params: Mapping[str, Any],
    progress: StepProgress,
    cancel: CancelToken,
) -> Textured:
    """Texture `mesh` from the framed pictures the way `request.texture_method` asks."""
    method, reason, notice = _choose(request, hunyuan_shape, engine_params)
    if method == "paint":
        try:
            painted = _paint(request, mesh, front, views, engine_params, progress, cancel)
            painted.details["reason"] = reason
            return painted
        except GenerationError as exc:
            if request.texture_method != "auto":
                raise
            log.warning("automatic Hunyuan Paint failed, projecting instead: %s", exc)
            reason = f"Hunyuan Paint could not run: {exc}"
            notice = f"{reason}; the texture was projected from the pictures instead"
    bake_views = [View("front", front)] + [View(name, image) for name, image in views.items()]
    unwrapped, material = texture_mesh(
        mesh, bake_views, request.texture_size, roughness=request.roughness, progress=progress, cancel=cancel
    )
    return Textured(unwrapped, material, {"method": "projection", "reason": reason}, notice)


def _choose(
    request: GenerationRequest, hunyuan_shape: bool, engine_params: Mapping[str, Any]
) -> tuple[str, str, str]:
    """(method, why, notice for the result)."""
    if request.texture_method == "projection":
        return "projection", "asked for", ""
    if request.texture_method == "paint":
        problem = paint_problem()
        if problem:
            raise GenerationError(f"{problem}; or choose texture projection")
        return "paint", "asked for", ""
    if not hunyuan_shape:
        return "projection", "automatic: Hunyuan Paint is used for Hunyuan shapes", ""
    problem = paint_problem()
    if problem:
        fallback = f"{problem}; the texture was projected from the pictures instead"
        return "projection", f"automatic: {problem}", fallback if paint_installed() else ""
    from app.core.generation.engines.hunyuan_setup import missing_packages

    if missing_packages():
        return "projection", "automatic: PyTorch or hy3dgen is not installed", ""
    from app.core.generation.paint_runtime import can_paint_here

    ok, why = can_paint_here(_options(request, engine_params).device)
    if not ok:
        return "projection", f"automatic: {why}", ""
    return "paint", "automatic: a Hunyuan shape, with the paint models and a GPU", ""


def _options(request: GenerationRequest, engine_params: Mapping[str, Any]) -> PaintOptions:
    """The job's paint settings; a Hunyuan job's own device and low-VRAM choice apply to painting too."""
    options = request.paint
    device = options.device
    if device == "auto" and str(engine_params.get("device", "auto")) in ("cuda", "cpu"):
        device = str(engine_params["device"])
    low_vram = options.low_vram or bool(engine_params.get("low_vram", 0))
    return dataclasses.replace(options, device=device, low_vram=low_vram)


def _paint(
    request: GenerationRequest,
    mesh: Mesh,
    front: FramedImage,
    views: Mapping[str, FramedImage],
    engine_params: Mapping[str, Any],
    progress: StepProgress,
    cancel: CancelToken,
) -> Textured:
    from app.core.generation.engines.registry import get_engine
    from app.core.generation.paint_runtime import RUNTIME
    from app.core.texture.paint import paint_texture

    park = getattr(get_engine("hunyuan"), "park", None)
    if park is not None:
        park()  # the shape model waits in system memory while the paint models use the GPU
    painted = paint_texture(
        mesh,
        front,
        request.texture_size,
        RUNTIME,
        _options(request, engine_params),
        request.seed,
        user_views=views,
        roughness=request.roughness,
        progress=progress,
        cancel=cancel,
    )
    return Textured(painted.mesh, painted.material, {"method": "paint", **painted.details})

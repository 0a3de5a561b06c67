"""Texture a mesh with Hunyuan3D-2 Paint: six painted views of it, baked onto its atlas by our bake.

The mesh is unwrapped as for projection; our rasteriser draws the normal and position pictures
the paint model is conditioned on (`paint_cameras`); a painter (the torch runtime, passed in so
this module stays free of torch) delights the front picture and paints the six views; then the
views are baked onto the atlas by `bake`, each through its own camera with hy3dgen's view
priorities: our visibility test, view weights, fill of what no view saw, and gutter. A picture
the user gave for a side (back, left, right) takes that side instead of the painted view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from scipy import ndimage

from app.core.base.cancel import CancelToken
from app.core.base.progress import StepProgress
from app.core.base.rules import DEFAULT_ROUGHNESS
from app.core.imaging import FramedImage
from app.core.mesh.types import Material, Mesh
from app.core.texture.bake import View, bake
from app.core.texture.paint_cameras import PAINT_BORDER, PAINT_CAMERAS, ConditionMaps, render_conditions
from app.core.texture.paint_options import PaintOptions
from app.core.texture.unwrap import unwrap

RECENTRE_BORDER = 0.2
"""hy3dgen crops the picture to its subject and adds this border on each side before delighting."""
EDGE_PIXELS = 2
"""A painted view's outline pixels mix the object with its background: they paint nothing."""
UNWRAP_SHARE, CONDITIONS_SHARE, PAINT_SHARE = 0.15, 0.05, 0.7
"""Shares of the texture step's progress; the bake takes the rest."""


class Painter(Protocol):
    def paint(
        self,
        reference: np.ndarray,
        conditions: ConditionMaps,
        options: PaintOptions,
        seed: int,
        progress: StepProgress,
        cancel: CancelToken,
    ) -> Any:
        """A `PaintedViews`: `images` (six (S, S, 3) uint8 views), `delighted`, `details`."""
        ...


@dataclass
class Painted:
    mesh: Mesh
    """The mesh, unwrapped."""
    material: Material
    views: list[tuple[str, np.ndarray]]
    """The painted views by camera name, as the paint model made them."""
    conditions: ConditionMaps
    details: dict[str, Any] = field(default_factory=dict)


def paint_texture(
    mesh: Mesh,
    front: FramedImage,
    texture_size: int,
    painter: Painter,
    options: PaintOptions,
    seed: int,
    *,
    user_views: Mapping[str, FramedImage] | None = None,
    roughness: float = DEFAULT_ROUGHNESS,
    progress: StepProgress | None = None,
    cancel: CancelToken | None = None,
) -> Painted:
    """`mesh` unwrapped, with a base-colour texture baked from six views Hunyuan Paint made of it."""
    report = progress or (lambda _f, _m: None)
    cancel = cancel or CancelToken()
    unwrapped = unwrap(mesh, texture_size, cancel, lambda f, m: report(UNWRAP_SHARE * f, m))
    cancel.raise_if_cancelled()
    report(UNWRAP_SHARE, "drawing the mesh's normals and positions for the paint model")
    conditions = render_conditions(unwrapped, options.resolution)
    cancel.raise_if_cancelled()
    start = UNWRAP_SHARE + CONDITIONS_SHARE
    painted = painter.paint(
        recentred(front),
        conditions,
        options,
        seed,
        lambda f, m: report(start + PAINT_SHARE * f, m),
        cancel,
    )
    views = [(camera.name, image) for camera, image in zip(PAINT_CAMERAS, painted.images, strict=True)]
    given = dict(user_views or {})
    bake_views = [
        View(name, given[name]) if name in given else _painted_view(image, conditions, index)
        for index, (name, image) in enumerate(views)
    ]
    done = start + PAINT_SHARE
    texture = bake(
        unwrapped,
        bake_views,
        texture_size,
        back="fill",
        cancel=cancel,
        progress=lambda f, m: report(done + (1 - done) * f, m),
    )
    material = Material(name="BaseColor", base_color_texture=texture, metallic=0.0, roughness=roughness)
    details = {**painted.details, "sides_from_pictures": sorted(set(given) & {c.name for c in PAINT_CAMERAS})}
    return Painted(unwrapped, material, views, conditions, details)


def _painted_view(image: np.ndarray, conditions: ConditionMaps, index: int) -> View:
    """A painted view as the bake takes it: its alpha is where the mesh was drawn, minus the outline."""
    camera = PAINT_CAMERAS[index]
    inside = ndimage.minimum_filter(conditions.coverage[index], size=2 * EDGE_PIXELS + 1, mode="constant")
    size = image.shape[0]
    framed = FramedImage(
        np.ascontiguousarray(image), inside.astype(np.float32), (0, 0, size, size), 1.0, (0.0, 0.0)
    )
    return View(camera.name, framed, framing="farthest", border=PAINT_BORDER, weight=camera.weight)


def recentred(front: FramedImage) -> np.ndarray:
    """The framed picture as RGBA, cropped to its subject with hy3dgen's 20 % border, made square."""
    alpha = front.alpha if front.alpha.dtype == np.uint8 else np.clip(front.alpha * 255 + 0.5, 0, 255)
    rgba = np.dstack([front.rgb.astype(np.uint8), alpha.astype(np.uint8)])
    rows, cols = np.nonzero(rgba[..., 3] > 0)
    if len(rows) == 0:
        return rgba
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    crop = rgba[top:bottom, left:right]
    height, width = crop.shape[:2]
    pad_h, pad_w = int(height * RECENTRE_BORDER), int(width * RECENTRE_BORDER)
    side = max(height + 2 * pad_h, width + 2 * pad_w)
    out = np.zeros((side, side, 4), dtype=np.uint8)
    out[..., :3] = 255
    y = (side - height - 2 * pad_h) // 2 + pad_h
    x = (side - width - 2 * pad_w) // 2 + pad_w
    out[y : y + height, x : x + width] = crop
    return out

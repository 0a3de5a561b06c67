"""Named views and the framing that maps a mesh onto an image, shared by renders and the bake.

The "front" view with "fit" framing is the camera the shape models assume for their input: looking
down -Z at the front (+Z), orthographic, the subject's box centred with its longer side spanning
`1 - FRAMING_BORDER` of the image, as `imaging.framing.frame_subject` places the picture. So a
front render of a mesh lines up pixel for pixel with the framed picture it was made from, and
the texture bake projects that picture back with the same camera.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FRAMING_BORDER = 0.15
"""Empty border as a fraction of the image: Hunyuan3D-2's default, used by `frame_subject`."""
PERSPECTIVE_FOV_DEG = 30.0
"""Vertical field of view of the perspective camera."""


def _basis(back: tuple[float, float, float], up: tuple[float, float, float]) -> np.ndarray:
    """Rows: camera right, up and back (towards the camera) in world coordinates."""
    b = np.asarray(back, dtype=np.float64)
    b /= np.linalg.norm(b)
    r = np.cross(np.asarray(up, dtype=np.float64), b)
    r /= np.linalg.norm(r)
    return np.stack([r, np.cross(b, r), b])


_YAW, _PITCH = np.radians(35.0), np.radians(25.0)
VIEWS: dict[str, np.ndarray] = {
    "front": _basis((0, 0, 1), (0, 1, 0)),
    "back": _basis((0, 0, -1), (0, 1, 0)),
    "left": _basis((-1, 0, 0), (0, 1, 0)),
    "right": _basis((1, 0, 0), (0, 1, 0)),
    "top": _basis((0, 1, 0), (0, 0, -1)),
    "bottom": _basis((0, -1, 0), (0, 0, -1)),
    "three-quarter": _basis(
        (np.sin(_YAW) * np.cos(_PITCH), np.sin(_PITCH), np.cos(_YAW) * np.cos(_PITCH)), (0, 1, 0)
    ),
}
"""World → camera rotations. The camera sits on the named side: "left" is on -X (the viewer's
left when facing the front, Blender's Left view), "top" looks down with the back at the top of
the image, "bottom" looks up with the back at the top and the left on the right (Hunyuan3D-2
Paint's six cameras are front, right, back, left, top and bottom as oriented here),
"three-quarter" is front-right and 25° above."""
FRAMINGS = ("fit", "sphere", "farthest")


@dataclass(frozen=True)
class Projection:
    """Where a mesh's vertices land in an image."""

    points: np.ndarray
    """(N, 2) continuous pixel coordinates (x right, y down; pixel centres at +½)."""
    depth: np.ndarray
    """(N,) linear in screen space, smaller is nearer."""
    inv_w: np.ndarray | None
    """(N,) 1 / distance along the view axis for perspective-correct interpolation, or None."""
    rotation: np.ndarray
    """(3, 3) world → camera rotation (rows: right, up, back)."""
    scale: float
    """Pixels per world unit (orthographic), for converting depths to pixels."""


def project(
    vertices: np.ndarray,
    size: tuple[int, int],
    view: str = "front",
    *,
    ortho: bool = True,
    framing: str = "fit",
    border: float = FRAMING_BORDER,
) -> Projection:
    """Project `vertices` for a `size` (W, H) image.

    "fit" centres the view's projected box and scales its limiting side to `1 - border` of the
    image (for "front" that is the preprocessing's framing); "sphere" scales the bounding sphere
    to that size, so every view of one mesh shares one scale; "farthest" scales the sphere around
    the box centre through the farthest vertex instead (hy3dgen's texture cameras frame a mesh so).
    """
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; use one of: {', '.join(VIEWS)}")
    if framing not in FRAMINGS:
        raise ValueError(f"unknown framing {framing!r}; use one of: {', '.join(FRAMINGS)}")
    width, height = size
    rotation = VIEWS[view]
    v = np.asarray(vertices, dtype=np.float64).reshape(-1, 3)
    lo, hi = (v.min(axis=0), v.max(axis=0)) if len(v) else (np.zeros(3), np.zeros(3))
    centre = (lo + hi) / 2
    radius = max(float(np.linalg.norm(hi - lo)) / 2, 1e-12)
    if framing == "farthest" and len(v):
        radius = max(float(np.sqrt(((v - centre) ** 2).sum(axis=1).max())), 1e-12)
    cam = (v - centre) @ rotation.T
    inv_w = None
    if ortho:
        xy = cam[:, :2]
        depth = -cam[:, 2]
    else:
        distance = radius / np.sin(np.radians(PERSPECTIVE_FOV_DEG) / 2)
        w = distance - cam[:, 2]
        inv_w = 1.0 / w
        xy = cam[:, :2] * (distance * inv_w)[:, None]
        depth = -inv_w
    if framing == "fit" and len(xy):
        box_lo, box_hi = xy.min(axis=0), xy.max(axis=0)
        extent = np.maximum(box_hi - box_lo, 1e-12)
        scale = (1 - border) * min(width / extent[0], height / extent[1])
        mid = (box_lo + box_hi) / 2
    else:
        scale = (1 - border) * min(width, height) / (2 * radius)
        mid = np.zeros(2)
    points = np.empty_like(xy)
    points[:, 0] = width / 2 + (xy[:, 0] - mid[0]) * scale
    points[:, 1] = height / 2 - (xy[:, 1] - mid[1]) * scale
    return Projection(points, depth, inv_w, rotation, float(scale))

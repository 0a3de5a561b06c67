"""Test-side orthographic rasteriser: draws a mesh's front view as a binary silhouette.

Deliberately independent of the app's code (Pillow's polygon fill on each triangle), so a test
comparing it with the input mask checks the app rather than agreeing with itself.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw


def front_silhouette(
    vertices: np.ndarray, faces: np.ndarray, bbox_px: tuple[int, int, int, int], image_size: tuple[int, int]
) -> np.ndarray:
    """Rasterise the mesh seen from +Z, scaled so its bounds fill `bbox_px` (left, top, right, bottom).

    The scale comes from the height alone (uniform, like a camera), the horizontal placement from
    the bbox centre, so a squashed or shifted mesh lowers the overlap.
    """
    left, top, right, bottom = bbox_px
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    scale = (bottom - top) / float(hi[1] - lo[1])
    cx_mesh = (lo[0] + hi[0]) / 2.0
    cx_px = (left + right) / 2.0
    x = cx_px + (vertices[:, 0] - cx_mesh) * scale
    y = top + (hi[1] - vertices[:, 1]) * scale
    tri = faces
    # Only triangles facing the viewer: for a closed surface they cover the whole silhouette.
    e1 = vertices[tri[:, 1]] - vertices[tri[:, 0]]
    e2 = vertices[tri[:, 2]] - vertices[tri[:, 0]]
    facing = (e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]) > 0
    image = Image.new("L", image_size, 0)
    draw = ImageDraw.Draw(image)
    pts = np.stack([x, y], axis=1)[tri[facing]]
    for p in pts.tolist():
        draw.polygon([tuple(q) for q in p], fill=255)
    return np.asarray(image) > 127


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0

"""Vectorised triangle rasterisation into a visibility buffer: which triangle covers each pixel.

Scanline spans rather than per-pixel bounding boxes: every (triangle, row) pair gets the exact
run of pixel centres inside the triangle, so no candidate is tested and thrown away, and a huge
triangle splits into rows that are processed in bounded chunks. Depth is resolved with one
`np.minimum.at` over keys that pack (quantised depth, triangle id) into 64 bits, so the buffer
holds the nearest triangle and barycentrics are computed afterwards for covered pixels only.

Coordinates are continuous pixel coordinates: pixel (row i, column j) covers [j, j+1) × [i, i+1)
and is covered when its centre (j + ½, i + ½) lies inside a triangle (edges count as inside, so
neighbouring triangles leave no cracks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_CHUNK_PIXELS = 1 << 21
"""Fragments expanded at once: bounds the temporary memory to a few tens of MB."""
_EMPTY = np.iinfo(np.uint64).max
_ID_BITS = 32
_EDGE_SLACK = 1e-5
"""Pixels this close outside an edge (in pixels) count as inside, so shared edges never crack."""


@dataclass
class Coverage:
    """The visibility buffer: the winning triangle per pixel and where inside it the pixel lies."""

    triangle: np.ndarray
    """(H, W) int32 triangle index, -1 where nothing is drawn."""
    pixels: np.ndarray
    """(K,) flat indices of the covered pixels."""
    faces: np.ndarray
    """(K,) triangle index per covered pixel."""
    bary: np.ndarray
    """(K, 3) float32 barycentric weights per covered pixel (perspective-corrected if asked)."""


def rasterize(
    points: np.ndarray,
    faces: np.ndarray,
    size: tuple[int, int],
    depth: np.ndarray | None = None,
    *,
    cull_clockwise: bool = False,
    inv_w: np.ndarray | None = None,
) -> Coverage:
    """Rasterise triangles given by `points` (N, 2) in pixel coordinates into a `size` (W, H) buffer.

    `depth` (N,) is linear in screen space, smaller is nearer; without it the lowest triangle
    index wins where triangles overlap (a UV atlas has no overlaps). `cull_clockwise` drops
    triangles that wind clockwise on screen (y down), which are the back faces of a mesh whose
    front faces wind counter-clockwise seen from outside. `inv_w` (N,) makes the barycentrics
    perspective-correct.
    """
    width, height = size
    faces = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    corner_depth = _corner_depths(depth, faces)
    buffer = np.full(width * height, _EMPTY, dtype=np.uint64)
    a, b, c = (pts[faces[:, k]] for k in range(3))
    area2 = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    keep = np.abs(area2) > 1e-12
    if cull_clockwise:
        keep &= area2 < 0  # counter-clockwise in y-up is negative area in y-down pixel coordinates
    top = np.ceil(np.minimum(np.minimum(a[:, 1], b[:, 1]), c[:, 1]) - 0.5)
    bottom = np.floor(np.maximum(np.maximum(a[:, 1], b[:, 1]), c[:, 1]) - 0.5)
    top = np.maximum(top, 0)
    bottom = np.minimum(bottom, height - 1)
    keep &= bottom >= top
    keep &= np.maximum(np.maximum(a[:, 0], b[:, 0]), c[:, 0]) >= 0.5 - 1e-9
    keep &= np.minimum(np.minimum(a[:, 0], b[:, 0]), c[:, 0]) <= width - 0.5 + 1e-9
    tri = np.flatnonzero(keep)
    if len(tri):
        _draw(buffer, tri, (a, b, c), area2, top, bottom, corner_depth, width)
    return _coverage(buffer, pts, faces, (width, height), inv_w)


def _corner_depths(depth: np.ndarray | None, faces: np.ndarray) -> np.ndarray | None:
    """(M, 3) depth of each triangle's corners scaled to [0, 2^31), so fragment keys sort nearest first."""
    if depth is None or len(faces) == 0:
        return None
    d = np.asarray(depth, dtype=np.float64)[faces]
    lo, hi = float(d.min()), float(d.max())
    return (d - lo) * ((2.0**31 - 1) / max(hi - lo, 1e-30))


def _draw(
    buffer: np.ndarray,
    tri: np.ndarray,
    corners: tuple[np.ndarray, np.ndarray, np.ndarray],
    area2: np.ndarray,
    top: np.ndarray,
    bottom: np.ndarray,
    corner_depth: np.ndarray | None,
    width: int,
) -> None:
    rows = (bottom[tri] - top[tri] + 1).astype(np.int64)
    ends = np.cumsum(rows)
    rows_per_chunk = max(_CHUNK_PIXELS // width, 1)  # a row spans at most `width` pixels
    start = 0
    while start < len(tri):
        stop = int(np.searchsorted(ends, ends[start] - rows[start] + rows_per_chunk, "right"))
        stop = max(stop, start + 1)
        _draw_spans(buffer, tri[start:stop], rows[start:stop], corners, area2, top, corner_depth, width)
        start = stop


def _draw_spans(
    buffer: np.ndarray,
    tri: np.ndarray,
    rows: np.ndarray,
    corners: tuple[np.ndarray, np.ndarray, np.ndarray],
    area2: np.ndarray,
    top: np.ndarray,
    corner_depth: np.ndarray | None,
    width: int,
) -> None:
    span_tri = np.repeat(tri, rows)
    first = np.cumsum(rows) - rows
    row = top[span_tri] + (np.arange(len(span_tri)) - np.repeat(first, rows))
    y = row + 0.5
    sign = np.sign(area2[span_tri])
    lower = np.full(len(span_tri), -np.inf)
    upper = np.full(len(span_tri), np.inf)
    empty = np.zeros(len(span_tri), dtype=bool)
    a, b, c = corners
    for p, q in ((a, b), (b, c), (c, a)):
        # Inside edge p→q: sign * ((q - p) × (x - p)) >= 0, i.e. coef * x + rest >= 0.
        px, py = p[span_tri, 0], p[span_tri, 1]
        dx, dy = q[span_tri, 0] - px, q[span_tri, 1] - py
        coef = -sign * dy
        rest = sign * (dx * (y - py) + dy * px) + _EDGE_SLACK * (np.abs(dx) + np.abs(dy))
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = -rest / coef
        lower = np.where(coef > 0, np.maximum(lower, bound), lower)
        upper = np.where(coef < 0, np.minimum(upper, bound), upper)
        empty |= (coef == 0) & (rest < 0)
    x0 = np.maximum(np.ceil(lower - 0.5), 0)
    x1 = np.minimum(np.floor(upper - 0.5), width - 1)
    count = np.where(empty, 0, np.maximum(x1 - x0 + 1, 0)).astype(np.int64)
    live = count > 0
    if not live.any():
        return
    count, span_tri = count[live], span_tri[live]
    x0, row = x0[live].astype(np.int64), row[live].astype(np.int64)
    offsets = np.cumsum(count) - count
    frag_span = np.repeat(np.arange(len(count)), count)
    x = x0[frag_span] + (np.arange(int(count.sum())) - offsets[frag_span])
    frag_row = row[frag_span]
    frag_tri = span_tri[frag_span]
    keys = frag_tri.astype(np.uint64)
    if corner_depth is not None:
        bary = _barycentrics(frag_tri, x + 0.5, frag_row + 0.5, corners, area2)
        z = np.einsum("ij,ij->i", bary, corner_depth[frag_tri])
        keys |= np.clip(z, 0, 2.0**31 - 1).astype(np.uint64) << np.uint64(_ID_BITS)
    np.minimum.at(buffer, frag_row * width + x, keys)


def _barycentrics(
    tri: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    corners: tuple[np.ndarray, np.ndarray, np.ndarray],
    area2: np.ndarray,
) -> np.ndarray:
    """(K, 3) screen-space barycentrics of points (x, y) in triangles `tri`, clipped to the triangle."""
    a, b, c = (corner[tri] for corner in corners)
    inv = 1.0 / area2[tri]
    wa = ((b[:, 0] - x) * (c[:, 1] - y) - (b[:, 1] - y) * (c[:, 0] - x)) * inv
    wb = ((c[:, 0] - x) * (a[:, 1] - y) - (c[:, 1] - y) * (a[:, 0] - x)) * inv
    bary = np.clip(np.stack([wa, wb, 1.0 - wa - wb], axis=1), 0.0, 1.0)
    return bary / np.maximum(bary.sum(axis=1, keepdims=True), 1e-12)


def _coverage(
    buffer: np.ndarray, pts: np.ndarray, faces: np.ndarray, size: tuple[int, int], inv_w: np.ndarray | None
) -> Coverage:
    width, height = size
    pixels = np.flatnonzero(buffer != _EMPTY)
    tri = (buffer[pixels] & np.uint64(0xFFFFFFFF)).astype(np.int64)
    triangle = np.full(width * height, -1, dtype=np.int32)
    triangle[pixels] = tri
    if len(faces):
        corners = tuple(pts[faces[:, k]] for k in range(3))
        a, b, c = corners
        area2 = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
        bary = _barycentrics(tri, pixels % width + 0.5, pixels // width + 0.5, corners, area2)
    else:
        bary = np.zeros((0, 3))
    if inv_w is not None and len(pixels):
        bary = bary * np.asarray(inv_w, dtype=np.float64)[faces[tri]]
        bary /= np.maximum(bary.sum(axis=1, keepdims=True), 1e-30)
    return Coverage(triangle.reshape(height, width), pixels, tri, bary.astype(np.float32))

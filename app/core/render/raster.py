"""Vectorised triangle rasterisation into a visibility buffer: which triangle covers each pixel.

Scanline spans rather than per-pixel bounding boxes: every (triangle, row) pair gets the exact
run of pixel centres inside the triangle, so no candidate is tested and thrown away, and a huge
triangle splits into rows that are processed in bounded chunks. Depth is resolved with one
`np.minimum.at` over keys that pack (quantised depth, triangle id) into 64 bits (without depth,
over 32-bit triangle ids), so the buffer holds the nearest triangle and barycentrics are computed
afterwards for covered pixels only, in bounded chunks from a per-triangle table (a corner and the
inverse of its edge matrix): a 4096² UV atlas has ~10M covered texels, and float64 temporaries
over all of them at once cost gigabytes.

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
_NO_TRIANGLE = np.iinfo(np.int32).max
_BARY_CHUNK = 1 << 19
"""Covered pixels whose barycentrics are computed at once (float64 temporaries of ~40 MB)."""
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
    grow: int = 0,
) -> Coverage:
    """Rasterise triangles given by `points` (N, 2) in pixel coordinates into a `size` (W, H) buffer.

    `depth` (N,) is linear in screen space, smaller is nearer; without it the lowest triangle
    index wins where triangles overlap (a UV atlas has no overlaps). `cull_clockwise` drops
    triangles that wind clockwise on screen (y down), which are the back faces of a mesh whose
    front faces wind counter-clockwise seen from outside. `inv_w` (N,) makes the barycentrics
    perspective-correct.

    `grow` (rings of pixels, without `depth`): a pixel no triangle covers, next to one that is
    covered (8-neighbourhood), takes that pixel's triangle, with barycentrics clipped to the
    triangle's border; repeated `grow` times. Covered pixels keep their triangle. A UV atlas grown
    by one texel gives every texel that bilinear filtering reads from a chart the colour of the
    chart's own surface, not the gutter's.
    """
    if grow and depth is not None:
        raise ValueError("grow is for triangles without depth (a UV atlas)")
    width, height = size
    faces = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    corner_depth = _corner_depths(depth, faces)
    if corner_depth is None:
        buffer = np.full(width * height, _NO_TRIANGLE, dtype=np.int32)
    else:
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
    left = np.minimum(np.minimum(a[:, 0], b[:, 0]), c[:, 0])
    right = np.maximum(np.maximum(a[:, 0], b[:, 0]), c[:, 0])
    keep &= right >= 0.5 - 1e-9
    keep &= left <= width - 0.5 + 1e-9
    tri = np.flatnonzero(keep)
    table = _bary_table(pts, faces)
    if len(tri):
        columns = np.clip(np.floor(right - 0.5) - np.ceil(left - 0.5) + 1, 1, width)
        spans = _Spans((a, b, c), area2, top, corner_depth, table, width)
        _draw(buffer, tri, bottom, columns, spans)
    for _ in range(grow):
        _grow_ring(buffer.reshape(height, width))
    return _coverage(buffer, table, faces, (width, height), inv_w)


def _corner_depths(depth: np.ndarray | None, faces: np.ndarray) -> np.ndarray | None:
    """(M, 3) depth of each triangle's corners scaled to [0, 2^31), so fragment keys sort nearest first."""
    if depth is None or len(faces) == 0:
        return None
    d = np.asarray(depth, dtype=np.float64)[faces]
    lo, hi = float(d.min()), float(d.max())
    return (d - lo) * ((2.0**31 - 1) / max(hi - lo, 1e-30))


@dataclass(frozen=True)
class _Spans:
    """What drawing a chunk of triangles' rows needs besides the chunk."""

    corners: tuple[np.ndarray, np.ndarray, np.ndarray]
    area2: np.ndarray
    top: np.ndarray
    corner_depth: np.ndarray | None
    table: np.ndarray
    width: int


def _draw(
    buffer: np.ndarray, tri: np.ndarray, bottom: np.ndarray, columns: np.ndarray, spans: _Spans
) -> None:
    """Draw `tri` in chunks of at most _CHUNK_PIXELS fragments, bounded by each triangle's box
    (`columns` wide), so a chunk of small triangles is not cut as short as one of huge ones."""
    rows = (bottom[tri] - spans.top[tri] + 1).astype(np.int64)
    box = rows * columns[tri].astype(np.int64)
    ends = np.cumsum(box)
    start = 0
    while start < len(tri):
        stop = int(np.searchsorted(ends, ends[start] - box[start] + _CHUNK_PIXELS, "right"))
        stop = max(stop, start + 1)
        _draw_spans(buffer, tri[start:stop], rows[start:stop], spans)
        start = stop


def _span_bounds(spans: _Spans, span_tri: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last pixel column whose centre is inside each (triangle, row) span."""
    sign = np.sign(spans.area2[span_tri])
    lower = np.full(len(span_tri), -np.inf)
    upper = np.full(len(span_tri), np.inf)
    empty = np.zeros(len(span_tri), dtype=bool)
    a, b, c = spans.corners
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
    first = np.maximum(np.ceil(lower - 0.5), 0)
    last = np.minimum(np.floor(upper - 0.5), spans.width - 1)
    return first, np.where(empty, first - 1, last)


def _draw_spans(buffer: np.ndarray, tri: np.ndarray, rows: np.ndarray, spans: _Spans) -> None:
    span_tri = np.repeat(tri, rows)
    first = np.cumsum(rows) - rows
    row = spans.top[span_tri] + (np.arange(len(span_tri)) - np.repeat(first, rows))
    x0, x1 = _span_bounds(spans, span_tri, row + 0.5)
    count = np.maximum(x1 - x0 + 1, 0).astype(np.int64)
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
    at = frag_row * spans.width + x
    if spans.corner_depth is None:
        np.minimum.at(buffer, at, frag_tri.astype(np.int32))
        return
    keys = frag_tri.astype(np.uint64)
    bary = _table_barycentrics(spans.table[frag_tri], x + 0.5, frag_row + 0.5)
    z = np.einsum("ij,ij->i", bary, spans.corner_depth[frag_tri])
    keys |= np.clip(z, 0, 2.0**31 - 1).astype(np.uint64) << np.uint64(_ID_BITS)
    np.minimum.at(buffer, at, keys)


_NEIGHBOURS = ((0, -1), (0, 1), (-1, 0), (1, 0), (-1, -1), (-1, 1), (1, -1), (1, 1))
"""Where a ring pixel looks for a triangle, sides before corners."""


def _grow_ring(triangle: np.ndarray) -> None:
    """Give each uncovered pixel of the (H, W) int32 buffer next to a covered one its triangle."""
    covered = triangle != _NO_TRIANGLE
    near = covered.copy()
    height, width = triangle.shape
    for dy, dx in _NEIGHBOURS:
        target = near[max(dy, 0) : height + min(dy, 0), max(dx, 0) : width + min(dx, 0)]
        target |= covered[max(-dy, 0) : height + min(-dy, 0), max(-dx, 0) : width + min(-dx, 0)]
    rows, cols = np.nonzero(near & ~covered)
    taken = np.full(len(rows), _NO_TRIANGLE, dtype=np.int32)
    for dy, dx in _NEIGHBOURS:
        r, c = rows + dy, cols + dx
        inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
        found = np.full(len(rows), _NO_TRIANGLE, dtype=np.int32)
        found[inside] = triangle[r[inside], c[inside]]
        np.copyto(taken, found, where=taken == _NO_TRIANGLE)
    triangle[rows, cols] = taken


def _bary_table(pts: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(M, 6) per triangle: corner a and the rows of the inverse of [b - a, c - a], so a point's
    weights of b and c are that inverse times (point - a)."""
    a, b, c = (pts[faces[:, k]] for k in range(3))
    e1, e2 = b - a, c - a
    det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    inv = np.divide(1.0, det, out=np.zeros_like(det), where=det != 0)
    return np.column_stack([a, e2[:, 1] * inv, -e2[:, 0] * inv, -e1[:, 1] * inv, e1[:, 0] * inv])


def _table_barycentrics(table: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(K, 3) barycentrics from `table` rows (one per point), clipped to the triangle."""
    dx, dy = x - table[:, 0], y - table[:, 1]
    bary = np.empty((len(x), 3))
    bary[:, 1] = table[:, 2] * dx + table[:, 3] * dy
    bary[:, 2] = table[:, 4] * dx + table[:, 5] * dy
    bary[:, 0] = 1.0 - bary[:, 1] - bary[:, 2]
    np.clip(bary, 0.0, 1.0, out=bary)
    bary /= np.maximum(bary.sum(axis=1, keepdims=True), 1e-12)
    return bary


def _coverage(
    buffer: np.ndarray, table: np.ndarray, faces: np.ndarray, size: tuple[int, int], inv_w: np.ndarray | None
) -> Coverage:
    width, height = size
    empty = _NO_TRIANGLE if buffer.dtype == np.int32 else _EMPTY
    pixels = np.flatnonzero(buffer != empty)
    if buffer.dtype == np.int32:
        tri = buffer[pixels]
    else:
        tri = (buffer[pixels] & np.uint64(0xFFFFFFFF)).astype(np.int32)
    del buffer
    triangle = np.full(width * height, -1, dtype=np.int32)
    triangle[pixels] = tri
    bary = np.zeros((len(pixels), 3), dtype=np.float32)
    if len(faces) and len(pixels):
        corner_inv_w = None if inv_w is None else np.asarray(inv_w, dtype=np.float64)[faces]
        for start in range(0, len(pixels), _BARY_CHUNK):
            part = slice(start, start + _BARY_CHUNK)
            at, t = pixels[part], tri[part]
            chunk = _table_barycentrics(table[t], at % width + 0.5, at // width + 0.5)
            if corner_inv_w is not None:
                chunk *= corner_inv_w[t]
                chunk /= np.maximum(chunk.sum(axis=1, keepdims=True), 1e-30)
            bary[part] = chunk
    return Coverage(triangle.reshape(height, width), pixels, tri, bary)

"""Triangulate the inside of an implicit 2D region with marching squares.

The result is a conforming triangulation whose outline follows the zero level of the field at
sub-cell accuracy: corner vertices sit on grid points inside the region, boundary vertices on
grid edges where the field changes sign, and adjacent cells share every vertex they have in
common. Lifting it to a front and a back surface that share the boundary vertices therefore gives
a closed, manifold solid with no extra stitching.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_T_MIN = 0.05
"""Keep boundary vertices this far (in cells) from corners so no triangle degenerates."""


@dataclass
class RegionTriangulation:
    points: np.ndarray
    """(N, 2) float32 (x, y) in grid units: x = column, y = row (rows grow downwards)."""
    faces: np.ndarray
    """(M, 3) int32, counter-clockwise when y points UP (i.e. seen from +Z with y flipped)."""
    corner_count: int
    """Points [0, corner_count) are grid corners inside the region; the rest lie on its outline."""
    corner_index: np.ndarray
    """(H, W) int32 point index of each inside grid corner, -1 outside."""


def _case_polygons() -> dict[tuple[int, bool], list[tuple[int, int, int]]]:
    """Triangles per (case, saddle_connected), as slots 0-3 = corners c0..c3, 4-7 = edges e0..e3.

    Corners go counter-clockwise (y up): c0 bottom-left, c1 bottom-right, c2 top-right, c3 top-left;
    edge e_k joins c_k and c_(k+1).
    """
    table: dict[tuple[int, bool], list[tuple[int, int, int]]] = {}
    for case in range(1, 16):
        bits = [(case >> k) & 1 for k in range(4)]
        for connected in (True, False):
            if case in (5, 10) and not connected:
                tris = []
                for k in range(4):
                    if bits[k]:
                        tris.append((4 + (k - 1) % 4, k, 4 + k))
                table[(case, False)] = tris
                continue
            poly: list[int] = []
            for k in range(4):
                if bits[k]:
                    poly.append(k)
                if bits[k] != bits[(k + 1) % 4]:
                    poly.append(4 + k)
            first_corner = next(i for i, s in enumerate(poly) if s < 4)
            poly = poly[first_corner:] + poly[:first_corner]
            table[(case, connected)] = [(poly[0], poly[i], poly[i + 1]) for i in range(1, len(poly) - 1)]
    return table


_CASES = _case_polygons()


def triangulate_region(field: np.ndarray) -> RegionTriangulation:
    """Triangulate {field > 0}. The outermost ring of `field` must be <= 0 (outside)."""
    f = np.asarray(field, dtype=np.float32)
    if (f[0] > 0).any() or (f[-1] > 0).any() or (f[:, 0] > 0).any() or (f[:, -1] > 0).any():
        raise ValueError("the field's outermost ring must be outside the region")
    h, w = f.shape
    inside = f > 0

    corner_index = np.full((h, w), -1, dtype=np.int32)
    rows, cols = np.nonzero(inside)
    n_corners = len(rows)
    corner_index[rows, cols] = np.arange(n_corners, dtype=np.int32)

    def crossings(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        t = a / (a - b)
        return np.clip(t, _T_MIN, 1.0 - _T_MIN)

    hi, hj = np.nonzero(inside[:, :-1] != inside[:, 1:])
    h_index = np.full((h, w - 1), -1, dtype=np.int32)
    h_index[hi, hj] = n_corners + np.arange(len(hi), dtype=np.int32)
    h_pts = np.stack([hj + crossings(f[hi, hj], f[hi, hj + 1]), hi.astype(np.float32)], axis=1)

    vi, vj = np.nonzero(inside[:-1, :] != inside[1:, :])
    v_index = np.full((h - 1, w), -1, dtype=np.int32)
    v_index[vi, vj] = n_corners + len(hi) + np.arange(len(vi), dtype=np.int32)
    v_pts = np.stack([vj.astype(np.float32), vi + crossings(f[vi, vj], f[vi + 1, vj])], axis=1)

    points = np.concatenate([np.stack([cols, rows], axis=1).astype(np.float32), h_pts, v_pts]).astype(
        np.float32
    )

    # Per cell (i, j): slots c0..c3 then e0..e3, see _case_polygons for the order.
    slots = np.stack(
        [
            corner_index[1:, :-1],
            corner_index[1:, 1:],
            corner_index[:-1, 1:],
            corner_index[:-1, :-1],
            h_index[1:, :],
            v_index[:, 1:],
            h_index[:-1, :],
            v_index[:, :-1],
        ],
        axis=-1,
    ).reshape(-1, 8)
    ins = inside.astype(np.uint8)
    case = (ins[1:, :-1] | (ins[1:, 1:] << 1) | (ins[:-1, 1:] << 2) | (ins[:-1, :-1] << 3)).reshape(-1)
    centre = (f[1:, :-1] + f[1:, 1:] + f[:-1, 1:] + f[:-1, :-1]).reshape(-1) > 0

    faces = []
    for (c, connected), tris in _CASES.items():
        selected = case == c
        if c in (5, 10):
            selected &= centre == connected
        elif not connected:
            continue
        cells = np.nonzero(selected)[0]
        if len(cells) == 0:
            continue
        faces.append(slots[cells][:, np.asarray(tris)].reshape(-1, 3))
    all_faces = np.concatenate(faces) if faces else np.zeros((0, 3), dtype=np.int32)
    return RegionTriangulation(points, all_faces.astype(np.int32), n_corners, corner_index)

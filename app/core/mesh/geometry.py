"""Vectorised geometry on position arrays: bounds, triangle corners, areas, unit vectors.

The small numeric kernels every mesh pass shares, kept free of any mesh type so cleanup, normals,
metrics, validation and the file formats all call the same code.
"""

from __future__ import annotations

import numpy as np

_UP = np.array([0.0, 1.0, 0.0], dtype=np.float32)


def vertex_bounds(vertices: np.ndarray) -> np.ndarray:
    """(2, 3) min and max corner; per column, which is ~10x faster than `min(axis=0)` on (N, 3)."""
    if len(vertices) == 0:
        return np.zeros((2, 3), dtype=np.float64)
    columns = [vertices[:, k] for k in range(3)]
    return np.array([[c.min() for c in columns], [c.max() for c in columns]], dtype=np.float64)


def face_corners(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, ...]:
    """The three corners of every triangle as (3, M) float32 coordinate rows.

    Contiguous rows and float32 (the positions' own precision) keep memory traffic, which
    dominates these passes, low; callers accumulate sums in float64.
    """
    rows = np.ascontiguousarray(np.asarray(vertices, dtype=np.float32).T)
    return tuple(np.take(rows, faces[:, k], axis=1) for k in range(3))


def cross_rows(u: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Cross product of (3, M) coordinate rows."""
    return np.stack([u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0]])


def double_areas(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Twice each triangle's area."""
    a, b, c = face_corners(vertices, faces)
    cross = cross_rows(b - a, c - a)
    return np.sqrt(np.einsum("ij,ij->j", cross, cross))


def signed_volume_terms(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Six times each triangle's signed volume against the bounds centre (centred for precision)."""
    lo, hi = vertex_bounds(vertices)
    a, b, c = face_corners(vertices - ((lo + hi) / 2).astype(np.float32), faces)
    return np.einsum("ij,ij->j", a, cross_rows(b, c))


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length as float32; a zero row becomes +Y rather than NaN."""
    lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
    fallback = np.broadcast_to(_UP, vectors.shape)
    unit = np.array(fallback, dtype=np.float32)
    np.divide(vectors, lengths, out=unit, where=lengths > 1e-20)
    return unit

"""Smooth vertex normals for shading.

Area weighting (summing unnormalised face normals) lets large triangles dominate, so slivers left
by marching cubes or simplification do not bend the shading.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from app.core.mesh.cleanup import cross_rows, face_corners, weld

_UP = np.array([0.0, 1.0, 0.0], dtype=np.float32)


def vertex_normals(vertices: ArrayLike, faces: ArrayLike) -> np.ndarray:
    """(N, 3) float32 unit area-weighted normals; a vertex without area around it gets +Y."""
    v = np.asarray(vertices, dtype=np.float32).reshape(-1, 3)
    f = np.asarray(faces).reshape(-1, 3)
    a, b, c = face_corners(v, f)
    face_normal = cross_rows(b - a, c - a)
    corners = f.ravel()
    summed = np.stack(
        [np.bincount(corners, weights=np.repeat(row, 3), minlength=len(v)) for row in face_normal], axis=1
    )
    length = np.sqrt(np.einsum("ij,ij->i", summed, summed))
    out = np.empty((len(v), 3), dtype=np.float32)
    good = length > 0
    out[good] = summed[good] / length[good, None]
    out[~good] = _UP
    return out


def welded_vertex_normals(vertices: ArrayLike, faces: ArrayLike) -> np.ndarray:
    """Vertex normals computed across UV seams, so split seam vertices shade identically."""
    welded_vertices, welded_faces, index_map = weld(vertices, faces)
    return vertex_normals(welded_vertices, welded_faces)[index_map]

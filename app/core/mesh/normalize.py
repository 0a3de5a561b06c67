"""Real-world size and pivot, so an asset drops into a game engine at the right scale and spot."""

from __future__ import annotations

import numpy as np

from app.core.base.errors import InputError
from app.core.mesh.types import Mesh

PIVOTS = ("bottom-center", "center", "original")


def normalize(mesh: Mesh, height_m: float, pivot: str = "bottom-center") -> Mesh:
    """Scale uniformly so the Y extent is `height_m` metres, then move the pivot to the origin.

    "bottom-center": the bounds' x/z centre at their lowest y (stands on the ground);
    "center": the bounds' centre; "original": the origin stays where it was (scale only).
    Uniform scaling keeps normals and uvs valid, so they are carried unchanged.
    """
    if pivot not in PIVOTS:
        raise InputError(f"unknown pivot {pivot!r}; use one of: {', '.join(PIVOTS)}")
    if not height_m > 0:
        raise InputError(f"height {height_m} m must be greater than zero")
    lo, hi = mesh.bounds().astype(np.float64)
    extent_y = hi[1] - lo[1]
    if mesh.vertex_count == 0 or not extent_y > 0:
        raise InputError(
            "the mesh has no height (it is empty or flat in Y), so it cannot be scaled to "
            f"{height_m} m; check the generator output"
        )
    scale = height_m / extent_y
    if pivot == "bottom-center":
        origin = np.array([(lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2])
    elif pivot == "center":
        origin = (lo + hi) / 2
    else:
        origin = np.zeros(3)
    vertices = (mesh.vertices.astype(np.float64) - origin) * scale
    return Mesh(
        vertices,
        mesh.faces.copy(),
        None if mesh.normals is None else mesh.normals.copy(),
        None if mesh.uvs is None else mesh.uvs.copy(),
    )

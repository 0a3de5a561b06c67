"""What the user chooses for an export, and the LodSet it turns into.

The library keeps each asset as generated (metres, +Y up, bottom-centre pivot); an export can
still resize it, move its pivot, cap LOD0, keep fewer LODs, shrink the texture and add a
collision hull. One transform (from LOD0's bounds) is applied to every LOD, so the LODs stay
aligned with each other.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
from PIL import Image
from scipy.spatial import ConvexHull, QhullError

from app.core.base.rules import check_texture_size
from app.core.export.errors import ExportError
from app.core.mesh.lod import simplify
from app.core.mesh.normalize import PIVOTS
from app.core.mesh.types import Lod, LodSet, Mesh


class Collision(StrEnum):
    NONE = "none"
    CONVEX = "convex"
    """One convex hull of LOD0 (Unreal UCX_, Godot -convcol)."""


@dataclass
class ExportOptions:
    height_m: float | None = None
    """Real-world height in metres; None keeps the asset's own height."""
    pivot: str = "bottom-center"
    """One of mesh.normalize.PIVOTS."""
    lod0_triangles: int | None = None
    """Triangle budget for LOD0; None keeps it as it is."""
    lod_levels: int | None = None
    """LODs after LOD0 to keep (0: LOD0 only); None keeps all."""
    texture_size: int | None = None
    """Largest texture side in pixels; None keeps the texture's own size."""
    collision: Collision = Collision.NONE
    godot_authored_lods: bool = False
    """Godot builds LODs itself; True ships the asset's own LODs as well (MSFT_lod)."""

    def check(self) -> None:
        if self.height_m is not None and not (np.isfinite(self.height_m) and self.height_m > 0):
            raise ExportError(f"The height must be a positive number of metres, not {self.height_m}.")
        if self.pivot not in PIVOTS:
            raise ExportError(f"Unknown pivot {self.pivot!r}; choose one of: {', '.join(PIVOTS)}.")
        if self.lod0_triangles is not None and self.lod0_triangles < 4:
            raise ExportError(f"The LOD0 triangle budget must be at least 4, not {self.lod0_triangles}.")
        if self.lod_levels is not None and self.lod_levels < 0:
            raise ExportError(f"The number of LOD levels cannot be negative ({self.lod_levels}).")
        if self.texture_size is not None:
            check_texture_size(self.texture_size)


def prepare(lodset: LodSet, options: ExportOptions) -> LodSet:
    """`lodset` as `options` ask: scaled and pivoted, LOD0 capped, LODs trimmed, texture shrunk."""
    options.check()
    lods = list(lodset.lods)
    if options.lod_levels is not None:
        lods = lods[: options.lod_levels + 1]
    if options.lod0_triangles is not None and lods[0].mesh.triangle_count > options.lod0_triangles:
        capped = simplify(lods[0].mesh, options.lod0_triangles)
        budget = capped.triangle_count
        lods = [Lod(0, capped, 0.0)] + [lod for lod in lods[1:] if lod.mesh.triangle_count < budget]
    scale, origin = _placement(lods[0].mesh, options)
    lods = [Lod(i, _placed(lod.mesh, scale, origin), lod.error_pct) for i, lod in enumerate(lods)]
    material = lodset.material
    texture = material.base_color_texture
    if (
        options.texture_size is not None
        and texture is not None
        and max(texture.shape[:2]) > options.texture_size
    ):
        material = replace(material, base_color_texture=_shrunk(texture, options.texture_size))
    return replace(lodset, lods=lods, material=material)


def convex_hull(mesh: Mesh) -> Mesh:
    """The convex hull of `mesh`'s vertices, outward-wound, for collision."""
    try:
        hull = ConvexHull(mesh.vertices.astype(np.float64))
    except QhullError as exc:
        raise ExportError("The asset is flat, so no convex collision hull can be built for it.") from exc
    used, faces = np.unique(hull.simplices, return_inverse=True)
    faces = faces.reshape(-1, 3)
    points = hull.points[used]
    a, b, c = (points[faces[:, i]] for i in range(3))
    outward = np.einsum("ij,ij->i", np.cross(b - a, c - a), a - points.mean(axis=0)) < 0
    faces[outward] = faces[outward][:, ::-1]
    return Mesh(points, faces)


def _placement(mesh: Mesh, options: ExportOptions) -> tuple[float, np.ndarray]:
    lo, hi = mesh.bounds().astype(np.float64)
    extent = hi[1] - lo[1]
    if not extent > 0:
        raise ExportError("The asset has no height (it is flat in Y), so it cannot be exported to scale.")
    scale = 1.0 if options.height_m is None else options.height_m / extent
    if options.pivot == "bottom-center":
        origin = np.array([(lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2])
    elif options.pivot == "center":
        origin = (lo + hi) / 2
    else:
        origin = np.zeros(3)
    return scale, origin


def _placed(mesh: Mesh, scale: float, origin: np.ndarray) -> Mesh:
    vertices = (mesh.vertices.astype(np.float64) - origin) * scale
    return Mesh(vertices, mesh.faces, mesh.normals, mesh.uvs)


def _shrunk(texture: np.ndarray, size: int) -> np.ndarray:
    height, width = texture.shape[:2]
    factor = size / max(height, width)
    new_size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.asarray(Image.fromarray(texture).resize(new_size, Image.Resampling.LANCZOS))

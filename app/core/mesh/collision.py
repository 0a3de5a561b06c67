"""Collision shapes for game engines: one convex hull, or a convex decomposition (V-HACD).

Engines simulate convex pieces, and a piece costs in proportion to its vertices: PhysX (Unity,
Unreal) caps a cooked convex mesh at 255 vertices and Unity documents 255 triangles, so every
piece is capped here at `HULL_VERTICES` vertices (at most 2·V−4 triangles) whatever the asset's
detail. The hull comes from Qhull (scipy) and is then thinned by farthest-point sampling of its
own vertices; a decomposition comes from V-HACD through `vhacdx` (MIT, binary wheels), an optional
dependency imported only when a decomposition is asked for (`pip install 'sweedle[collision]'`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from app.core.base.errors import InputError
from app.core.mesh.types import Mesh

HULL_VERTICES = 64
"""Most vertices of one convex piece (at most 124 triangles): light for every engine."""
PIECE_VERTICES = 32
"""Most vertices of each piece of a decomposition."""
DEFAULT_PIECES = 8
MAX_PIECES = 32
VOXELS = 100_000
"""V-HACD's voxel budget: enough to separate an asset's limbs, a few seconds on two cores."""
_SPEC = re.compile(r"^(none|hull|decompose)(?::(\d+))?$")


class CollisionKind(StrEnum):
    NONE = "none"
    HULL = "hull"
    """One convex hull of LOD0."""
    DECOMPOSE = "decompose"
    """Several convex pieces that follow the asset's concave shape (V-HACD)."""


@dataclass(frozen=True)
class Collision:
    """What collision an export carries; written as `none`, `hull` or `decompose[:N]`."""

    kind: CollisionKind = CollisionKind.NONE
    pieces: int = DEFAULT_PIECES
    """Most convex pieces of a decomposition (1..MAX_PIECES); unused otherwise."""

    @classmethod
    def parse(cls, text: str) -> Collision:
        """`none`, `hull`, `decompose` or `decompose:N`, or an InputError that lists them."""
        match = _SPEC.match(text.strip().lower())
        usage = f"none, hull, decompose or decompose:N (N pieces, 1 to {MAX_PIECES})"
        if match is None or (match.group(2) is not None and match.group(1) != "decompose"):
            raise InputError(f"Unknown collision {text!r}; use {usage}.")
        kind = CollisionKind(match.group(1))
        pieces = DEFAULT_PIECES if match.group(2) is None else int(match.group(2))
        if not 1 <= pieces <= MAX_PIECES:
            raise InputError(f"A decomposition takes 1 to {MAX_PIECES} pieces, not {pieces}; use {usage}.")
        return cls(kind, pieces)

    def __str__(self) -> str:
        return f"decompose:{self.pieces}" if self.kind is CollisionKind.DECOMPOSE else self.kind.value

    @property
    def wanted(self) -> bool:
        return self.kind is not CollisionKind.NONE


NO_COLLISION = Collision()


def collision_shapes(mesh: Mesh, collision: Collision) -> list[Mesh]:
    """The convex pieces `collision` asks for, built from `mesh` (LOD0, already placed): outward
    wound, no normals or UVs, each at most HULL_VERTICES vertices. Empty for `none`."""
    if collision.kind is CollisionKind.NONE:
        return []
    if collision.kind is CollisionKind.HULL:
        return [convex_hull(mesh.vertices, HULL_VERTICES)]
    return decompose(mesh, collision.pieces)


def convex_hull(points: np.ndarray, max_vertices: int = HULL_VERTICES) -> Mesh:
    """The convex hull of `points` with at most `max_vertices` vertices, outward-wound.

    A hull with more vertices keeps the `max_vertices` of them that spread farthest apart
    (starting from the extremes along each axis), so it stays close to the full hull where the
    shape reaches out and loses only shallow bulges."""
    from scipy.spatial import ConvexHull, QhullError  # the CLI's parser imports this module

    try:
        hull = ConvexHull(np.asarray(points, dtype=np.float64))
        corners = hull.points[hull.vertices]
        if len(corners) > max_vertices:
            hull = ConvexHull(corners[_spread(corners, max_vertices)])
    except (QhullError, ValueError) as exc:
        raise InputError("The asset is flat, so no convex collision shape can be built for it.") from exc
    used, faces = np.unique(hull.simplices, return_inverse=True)
    faces = faces.reshape(-1, 3)
    corners = hull.points[used]
    a, b, c = (corners[faces[:, i]] for i in range(3))
    inward = np.einsum("ij,ij->i", np.cross(b - a, c - a), a - corners.mean(axis=0)) < 0
    faces[inward] = faces[inward][:, ::-1]
    return Mesh(corners, faces)


def decompose(mesh: Mesh, pieces: int) -> list[Mesh]:
    """At most `pieces` convex pieces covering `mesh`, from V-HACD (vhacdx), each re-hulled and
    capped at PIECE_VERTICES vertices."""
    try:
        import vhacdx
    except ImportError as exc:
        raise InputError(
            "A convex decomposition needs the vhacdx package: install it with "
            "pip install 'sweedle[collision]', or choose collision 'hull'."
        ) from exc
    parts = vhacdx.compute_vhacd(
        mesh.vertices.astype(np.float64),
        mesh.faces.astype(np.uint32),
        maxConvexHulls=pieces,
        resolution=VOXELS,
        maxNumVerticesPerCH=PIECE_VERTICES,
    )
    shapes = []
    for points, _faces in parts:
        try:
            shapes.append(convex_hull(points, PIECE_VERTICES))
        except InputError:
            continue
    if not shapes:
        return [convex_hull(mesh.vertices, HULL_VERTICES)]
    return shapes


def _spread(points: np.ndarray, count: int) -> np.ndarray:
    """Indices of `count` of `points` chosen by farthest-point sampling, seeded with the six
    axis extremes so the shape keeps its bounding box."""
    seeds = list(dict.fromkeys([*np.argmin(points, axis=0).tolist(), *np.argmax(points, axis=0).tolist()]))
    chosen = seeds[:count]
    distance = np.min(np.linalg.norm(points[:, None, :] - points[chosen][None, :, :], axis=2), axis=1)
    while len(chosen) < count:
        nearest = int(np.argmax(distance))
        chosen.append(nearest)
        distance = np.minimum(distance, np.linalg.norm(points - points[nearest], axis=1))
    return np.array(chosen)

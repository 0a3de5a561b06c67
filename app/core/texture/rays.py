"""Ray casts against the full-detail shape through Embree (the `embreex` binding): a real BVH.

A 500k-triangle shape builds in a fraction of a second and answers short rays at millions per
second on one core, which is what makes a per-texel bake of a 2048² atlas affordable in Python.
embreex is a base dependency with wheels for Linux, Windows and macOS; where it cannot be
imported the bake is refused with `BakeUnavailable`, and the pipeline goes on without maps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.core.base.errors import SweedleError
from app.core.mesh.types import Mesh

RAY_CHUNK = 1 << 20
"""Rays per embreex call: bounds the temporary arrays (a few tens of MB)."""


class BakeUnavailable(SweedleError):
    """The ray-casting library cannot be loaded here; the message says what to install."""


@dataclass
class Hits:
    """Where rays met the surface: per ray, the triangle (-1 for a miss), its barycentric
    weights and the distance along the ray."""

    face: np.ndarray
    """(K,) int32 triangle index, -1 where nothing was hit."""
    bary: np.ndarray
    """(K, 3) float32 weights of the triangle's three corners."""
    distance: np.ndarray
    """(K,) float32 distance from the origin (the ray's limit where nothing was hit)."""

    @property
    def hit(self) -> np.ndarray:
        return self.face >= 0

    def interpolate(self, faces: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Per-vertex `values` (N, C) or (N,) blended at the hits (zeros at misses)."""
        corners = faces[np.maximum(self.face, 0)]
        if values.ndim == 1:
            blended = np.einsum("kj,kj->k", self.bary, values[corners])
        else:
            blended = np.einsum("kj,kjc->kc", self.bary, values[corners])
        blended[~self.hit] = 0
        return blended.astype(np.float32)


def _embree() -> tuple[Any, Any]:
    try:
        from embreex import rtcore_scene
        from embreex.mesh_construction import TriangleMesh
    except ImportError as exc:
        raise BakeUnavailable(
            f"normal and occlusion maps need the embreex ray caster, which cannot be loaded here ({exc}): "
            "install it with `pip install embreex`"
        ) from None
    return rtcore_scene, TriangleMesh


class SurfaceTracer:
    """A BVH over one mesh's triangles, built once and cast against many times."""

    def __init__(self, mesh: Mesh) -> None:
        rtcore_scene, triangle_mesh = _embree()
        self.mesh = mesh
        self._scene = rtcore_scene.EmbreeScene()
        triangle_mesh(
            self._scene,
            np.ascontiguousarray(mesh.vertices, dtype=np.float32),
            np.ascontiguousarray(mesh.faces, dtype=np.int32),
        )

    def first_hits(self, origins: np.ndarray, directions: np.ndarray, limit: float) -> Hits:
        """The nearest surface along each ray (unit `directions`) within `limit`."""
        count = len(origins)
        face = np.empty(count, dtype=np.int32)
        bary = np.empty((count, 3), dtype=np.float32)
        distance = np.empty(count, dtype=np.float32)
        for part, result in self._cast(origins, directions, limit, output=1):
            face[part] = result["primID"]
            bary[part, 1] = result["u"]
            bary[part, 2] = result["v"]
            distance[part] = result["tfar"]
        bary[:, 0] = 1.0 - bary[:, 1] - bary[:, 2]
        return Hits(face, bary, distance)

    def occluded(self, origins: np.ndarray, directions: np.ndarray, limit: float) -> np.ndarray:
        """(K,) bool: something lies along each ray within `limit` (cheaper than `first_hits`)."""
        blocked = np.empty(len(origins), dtype=bool)
        for part, result in self._cast(origins, directions, limit, query="OCCLUDED"):
            blocked[part] = result >= 0
        return blocked

    def _cast(
        self, origins: np.ndarray, directions: np.ndarray, limit: float, **query: Any
    ) -> Iterator[tuple[slice, Any]]:
        """Embree's answers RAY_CHUNK rays at a time (its buffers stay small), with the slice of
        the rays each answer is for."""
        count = len(origins)
        for start in range(0, count, RAY_CHUNK):
            part = slice(start, min(start + RAY_CHUNK, count))
            yield part, self._scene.run(
                np.ascontiguousarray(origins[part], dtype=np.float32),
                np.ascontiguousarray(directions[part], dtype=np.float32),
                dists=np.full(part.stop - part.start, limit, dtype=np.float32),
                **query,
            )

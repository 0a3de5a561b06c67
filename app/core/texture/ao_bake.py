"""Ambient occlusion of the full-detail shape, per vertex, by hemisphere rays through its BVH.

Occlusion is computed once on the full-detail vertices and then looked up wherever a texel's ray
met that surface: its cost follows the shape's size, not the texture's (4096² costs the same
rays as 1024²), and every LOD and re-bake reads the same values. Rays are cosine-distributed
(so the open fraction is the cosine-weighted visibility renderers call AO) from a fixed
stratified set turned by a random angle per vertex, which turns banding into fine noise that one
averaging pass over the neighbours removes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import sparse

from app.core.base.cancel import CancelToken
from app.core.mesh.types import Mesh
from app.core.texture.rays import RAY_CHUNK, SurfaceTracer

SMOOTHING_PASSES = 2


def vertex_occlusion(
    tracer: SurfaceTracer,
    normals: np.ndarray,
    rays: int,
    distance: float,
    *,
    seed: int = 0,
    cancel: CancelToken | None = None,
    progress: Callable[[float], None] | None = None,
) -> np.ndarray:
    """(N,) float32 in [0, 1] per vertex of `tracer.mesh`: the share of its hemisphere (around
    the unit `normals`) open within `distance`; 1 is fully open."""
    mesh = tracer.mesh
    samples = _cosine_hemisphere(rays)
    rng = np.random.default_rng(seed)
    per_chunk = max(1, RAY_CHUNK // rays)
    count = mesh.vertex_count
    open_share = np.empty(count, dtype=np.float32)
    offset = 1e-4 * max(mesh.diagonal(), 1e-9)
    for start in range(0, count, per_chunk):
        if cancel is not None:
            cancel.raise_if_cancelled()
        stop = min(start + per_chunk, count)
        n = normals[start:stop]
        u, w = _frames(n, rng.uniform(0, 2 * np.pi, stop - start))
        directions = (
            samples[None, :, 0:1] * u[:, None, :]
            + samples[None, :, 1:2] * w[:, None, :]
            + samples[None, :, 2:3] * n[:, None, :]
        ).reshape(-1, 3)
        origins = np.repeat(mesh.vertices[start:stop] + n * offset, rays, axis=0)
        blocked = tracer.occluded(origins, directions, distance).reshape(-1, rays)
        open_share[start:stop] = 1.0 - blocked.mean(axis=1)
        if progress is not None:
            progress(stop / count)
    return _smooth(open_share, mesh)


def _cosine_hemisphere(count: int) -> np.ndarray:
    """(count, 3) unit directions around +Z, cosine-weighted, stratified (Hammersley points
    through Malley's method: uniform on the disc, lifted to the hemisphere)."""
    i = np.arange(count)
    radius = np.sqrt((i + 0.5) / count)
    angle = 2 * np.pi * _radical_inverse(i)
    x, y = radius * np.cos(angle), radius * np.sin(angle)
    return np.stack([x, y, np.sqrt(np.maximum(0.0, 1 - x * x - y * y))], axis=1).astype(np.float32)


def _radical_inverse(i: np.ndarray) -> np.ndarray:
    """Van der Corput sequence in base 2."""
    result = np.zeros(len(i))
    factor = 0.5
    value = i.copy()
    while value.any():
        result += (value & 1) * factor
        value >>= 1
        factor /= 2
    return result


def _frames(normals: np.ndarray, turn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors completing each normal to an orthonormal frame, turned by `turn` radians."""
    helper = np.where(np.abs(normals[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    u = np.cross(normals, helper)
    u /= np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-12)
    w = np.cross(normals, u)
    cos, sin = np.cos(turn)[:, None], np.sin(turn)[:, None]
    return (cos * u + sin * w).astype(np.float32), (cos * w - sin * u).astype(np.float32)


def _smooth(values: np.ndarray, mesh: Mesh) -> np.ndarray:
    """Average each vertex with its edge neighbours (the sampling noise is per vertex)."""
    faces = mesh.faces
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    edges = np.concatenate([edges, edges[:, ::-1]])
    count = mesh.vertex_count
    ones = np.ones(len(edges), np.float32)
    adjacency = sparse.csr_matrix((ones, (edges[:, 0], edges[:, 1])), (count, count))
    adjacency.data[:] = 1.0
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    for _ in range(SMOOTHING_PASSES):
        values = (values + adjacency @ values) / (1.0 + degree)
    return values.astype(np.float32)

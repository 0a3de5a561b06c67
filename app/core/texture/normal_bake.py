"""Tangent-space normal bake: each texel of the low mesh's atlas takes the full-detail surface's
normal, written in the texel's MikkTSpace basis.

For a texel, the low mesh gives a surface point and its interpolated normal; rays from there
along the normal, outwards and inwards, find the nearest full-detail surface within the cage
distance that faces the same way (a surface met from behind, e.g. the far side of a thin part,
is not the one this texel stands for). That surface's smooth normal is then expressed in the
basis a renderer rebuilds at the texel: interpolated tangent T, interpolated normal N (neither
renormalised, as MikkTSpace's reference shader does) and B = sign · N × T, so that
normalize(x·T + y·B + z·N) gives the detail normal back exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.core.mesh.types import Mesh
from app.core.texture.rays import Hits, SurfaceTracer

MIN_FACING = 0.0
"""A hit counts only where the detail surface's normal has a positive component along the low
surface's normal."""
MIN_Z = 0.02
"""Encoded normals keep at least this much along the surface normal: a detail normal at or
past 90° (an undercut the low mesh cannot show) is bent back to just inside the hemisphere."""


@dataclass
class TexelFrames:
    """The low mesh at a set of texels: surface point and the tangent basis a renderer rebuilds."""

    points: np.ndarray
    """(K, 3) float32 positions."""
    normal: np.ndarray
    """(K, 3) float32 interpolated vertex normal (not renormalised)."""
    tangent: np.ndarray
    """(K, 3) float32 interpolated tangent (not renormalised)."""
    sign: np.ndarray
    """(K,) float32 bitangent sign, ±1."""

    @classmethod
    def at(cls, mesh: Mesh, faces: np.ndarray, bary: np.ndarray) -> TexelFrames:
        """Frames of `mesh` (with normals and tangents) at texels inside `faces` with `bary`."""
        if mesh.normals is None or mesh.tangents is None:
            raise ValueError("texel frames need a mesh with normals and tangents")
        corners = mesh.faces[faces]
        blend = lambda values: np.einsum("kj,kjc->kc", bary, values[corners]).astype(np.float32)  # noqa: E731
        tangents = blend(mesh.tangents)
        return cls(
            points=blend(mesh.vertices),
            normal=blend(mesh.normals),
            tangent=tangents[:, :3],
            sign=np.where(tangents[:, 3] < 0, -1.0, 1.0).astype(np.float32),
        )

    def unit_normals(self) -> np.ndarray:
        length = np.linalg.norm(self.normal, axis=1, keepdims=True)
        return (self.normal / np.maximum(length, 1e-12)).astype(np.float32)


def find_detail(
    tracer: SurfaceTracer, detail_normals: np.ndarray, frames: TexelFrames, cage: float, offset: float
) -> Hits:
    """The full-detail surface each texel stands for: the nearer of the hits outwards and inwards
    along the texel's normal within `cage`, among surfaces facing the same way.

    Each ray starts `offset` behind its texel so a detail surface through the texel itself is
    found (not skipped for starting on it); reported distances are from the texel.
    """
    n = frames.unit_normals()
    best: Hits | None = None
    for direction in (n, -n):
        hits = tracer.first_hits(frames.points - direction * offset, direction, cage + offset)
        hits.distance -= offset
        facing = np.einsum("kc,kc->k", hits.interpolate(tracer.mesh.faces, detail_normals), n)
        hits.face[facing <= MIN_FACING] = -1
        if best is None:
            best = hits
            continue
        closer = hits.hit & (~best.hit | (np.abs(hits.distance) < np.abs(best.distance)))
        best.face[closer] = hits.face[closer]
        best.bary[closer] = hits.bary[closer]
        best.distance[closer] = hits.distance[closer]
    assert best is not None
    return best


def encode_normals(detail: np.ndarray, frames: TexelFrames) -> np.ndarray:
    """(K, 3) uint8 tangent-space colours of world-space unit normals `detail` at `frames`
    (green = +bitangent, the OpenGL convention)."""
    t, n = frames.tangent.astype(np.float64), frames.normal.astype(np.float64)
    b = frames.sign[:, None] * np.cross(n, t)
    # Rows of the inverse of the column matrix [T B N]: (B×N, N×T, T×B) / det.
    det = np.einsum("kc,kc->k", t, np.cross(b, n))
    det = np.where(np.abs(det) > 1e-20, det, 1e-20)
    d = detail.astype(np.float64)
    coords = np.stack(
        [
            np.einsum("kc,kc->k", d, np.cross(b, n)),
            np.einsum("kc,kc->k", d, np.cross(n, t)),
            np.einsum("kc,kc->k", d, np.cross(t, b)),
        ],
        axis=1,
    ) / det[:, None]
    coords /= np.maximum(np.linalg.norm(coords, axis=1, keepdims=True), 1e-20)
    bent = coords[:, 2] < MIN_Z
    if bent.any():
        flat = coords[bent, :2]
        scale = np.sqrt(1 - MIN_Z**2) / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-20)
        coords[bent, :2] = flat * scale
        coords[bent, 2] = MIN_Z
    return np.clip(np.rint((coords * 0.5 + 0.5) * 255), 0, 255).astype(np.uint8)


FLAT_NORMAL = np.array([128, 128, 255], dtype=np.uint8)
"""The colour of "no change": the surface's own normal."""

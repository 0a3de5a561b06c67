"""Tangent-space normal bake: each texel of the low mesh's atlas takes the full-detail surface's
normal, written in the texel's MikkTSpace basis.

For a texel, the low mesh gives a surface point and its interpolated normal; a ray along that
normal from the cage (the surface pushed out by the cage distance) inwards finds the full-detail
surface it stands for, if that surface faces the same way (one met from behind, e.g. the far side
of a thin part, is not it); texels where that fails look for the nearest such surface outwards
and inwards from the texel itself. That surface's smooth normal is then expressed in the
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
        blend = lambda values: np.einsum("kj,kjc->kc", bary, values[corners])  # noqa: E731
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
) -> tuple[Hits, np.ndarray]:
    """The full-detail surface each texel stands for, and its interpolated normal there (not
    normalised; zero where none was found).

    First as bake tools do it: a ray from the cage (`cage` out along the texel's normal) inwards,
    `2 · cage` long, whose first hit counts if that surface faces the same way as the texel.
    Where that fails (the cage point lies inside another part of the shape, in a crease), the
    nearer of the hits outwards and inwards from the texel itself, among surfaces facing the
    same way; those rays start `offset` behind the texel so a surface through it is found.
    """
    n = frames.unit_normals()
    hits = tracer.first_hits(frames.points + n * cage, -n, 2 * cage)
    normals = _facing(hits, tracer, detail_normals, n)
    missed = np.flatnonzero(~hits.hit)
    if len(missed):
        points, towards = frames.points[missed], n[missed]
        for direction in (towards, -towards):
            retry = tracer.first_hits(points - direction * offset, direction, cage + offset)
            retry_normals = _facing(retry, tracer, detail_normals, towards)
            distance = retry.distance - offset
            current = hits.face[missed] >= 0
            closer = retry.hit & (~current | (np.abs(distance) < np.abs(hits.distance[missed])))
            chosen = missed[closer]
            hits.face[chosen] = retry.face[closer]
            hits.bary[chosen] = retry.bary[closer]
            hits.distance[chosen] = distance[closer]
            normals[chosen] = retry_normals[closer]
    normals[~hits.hit] = 0
    return hits, normals


def _facing(hits: Hits, tracer: SurfaceTracer, detail_normals: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The detail normals at `hits`; hits on a surface facing away from `n` become misses."""
    normals = hits.interpolate(tracer.mesh.faces, detail_normals)
    hits.face[np.einsum("kc,kc->k", normals, n) <= MIN_FACING] = -1
    return normals


def encode_normals(detail: np.ndarray, frames: TexelFrames) -> np.ndarray:
    """(K, 3) uint8 tangent-space colours of world-space normals `detail` at `frames` (green =
    +bitangent, the OpenGL convention).

    Solves [T B N]·c = d for c with B = sign·N×T: by Cramer's rule, c is proportional to
    (d·(T|N|² - N(N·T)), sign·d·(N×T), d·(N|T|² - T(N·T))), the common positive factor
    dropping out when c is normalised.
    """
    t, n = frames.tangent, frames.normal
    nt = np.einsum("kc,kc->k", n, t)[:, None]
    nn = np.einsum("kc,kc->k", n, n)[:, None]
    tt = np.einsum("kc,kc->k", t, t)[:, None]
    coords = np.empty((len(detail), 3), dtype=np.float32)
    coords[:, 0] = np.einsum("kc,kc->k", detail, t * nn - n * nt)
    coords[:, 1] = frames.sign * np.einsum("kc,kc->k", detail, np.cross(n, t))
    coords[:, 2] = np.einsum("kc,kc->k", detail, n * tt - t * nt)
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

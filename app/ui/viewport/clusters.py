"""Triangle clusters: a LOD's triangles in spatially compact runs, each with bounds that let a frame
skip the runs that cannot show (all back-facing, or outside the view) before the GPU sees them.

Why: back faces are culled by the GPU, but only after their vertices were shaded and each triangle
was set up; on a software rasterizer (llvmpipe) that is a fifth of a 1M-triangle frame's main-thread
time, and on any GPU it is vertex work for nothing. A cluster is `CLUSTER_SIZE` consecutive triangles
of the reordered index buffer; its normal cone (axis and the cosine of its half-angle) and bounding
sphere prove, with a margin, that every triangle in it faces away from the eye, so skipping it
never changes a pixel. The order (Morton curve of the triangle centres, vertices renumbered by first
use) also keeps each run's vertices close together, which suits every vertex cache. No GL, no Qt:
staging computes this on the pool; the renderer asks for the visible runs once a frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLUSTER_SIZE = 256
"""Triangles per cluster: small enough for tight normal cones, large enough that a frame tests a
few thousand clusters of a 1M-triangle mesh in well under a millisecond."""

FACING_MARGIN = 0.05
"""A cluster is skipped only when the sine of the angle between every view ray and every triangle
plane in it exceeds this: a nearly edge-on triangle, which snapping to the pixel grid could flip
to front-facing, is always left to the GPU's own culling."""

_MORTON_BITS = 21


def _spread_bits(values: np.ndarray) -> np.ndarray:
    """21-bit integers with two zero bits inserted after each bit (one axis of a 3D Morton code)."""
    v = values.astype(np.uint64) & np.uint64((1 << _MORTON_BITS) - 1)
    for shift, mask in (
        (32, 0x1F00000000FFFF),
        (16, 0x1F0000FF0000FF),
        (8, 0x100F00F00F00F00F),
        (4, 0x10C30C30C30C30C3),
        (2, 0x1249249249249249),
    ):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def spatial_order(positions: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Triangles sorted along a Morton curve of their centres, and vertices renumbered in the order
    the sorted triangles first use them: returns (new faces, old index of each new vertex).
    Winding is kept; a vertex no triangle uses is dropped."""
    if len(faces) == 0:
        return faces, np.zeros(0, dtype=np.int64)
    corners = positions.astype(np.float32, copy=False)[faces]
    centres = corners[:, 0] + corners[:, 1]
    centres += corners[:, 2]  # three times the centre: the scale does not matter
    centres[~np.isfinite(centres)] = 0.0  # a broken vertex may go anywhere in the order
    low = centres.min(axis=0)
    extent = max(float((centres.max(axis=0) - low).max()), 1e-30)
    cells = ((centres - low) * (((1 << _MORTON_BITS) - 1) / extent)).astype(np.uint64)
    code = _spread_bits(cells[:, 0]) | (_spread_bits(cells[:, 1]) << np.uint64(1))
    code |= _spread_bits(cells[:, 2]) << np.uint64(2)
    sorted_faces = faces[np.argsort(code, kind="stable")]
    flat = sorted_faces.ravel()
    first_use = np.full(len(positions), flat.size, dtype=np.int64)
    np.minimum.at(first_use, flat, np.arange(flat.size))
    old_of_new = np.argsort(first_use, kind="stable")[: np.count_nonzero(first_use < flat.size)]
    new_of_old = np.empty(len(positions), dtype=np.int64)
    new_of_old[old_of_new] = np.arange(len(old_of_new))
    return new_of_old[sorted_faces], old_of_new


@dataclass(frozen=True)
class Clusters:
    """Bounds of each run of `size` triangles of one index buffer (the last run may be shorter)."""

    size: int
    triangles: int
    centres: np.ndarray
    """(C, 3) bounding sphere centres."""
    radii: np.ndarray
    axes: np.ndarray
    """(C, 3) unit normal cone axes."""
    cone_cos: np.ndarray
    """Cosine of each cone's half-angle: every triangle normal n has dot(n, axis) >= it (<= 0 for
    a cluster that can never be wholly back-facing, or holds a degenerate triangle)."""

    @classmethod
    def of(cls, positions: np.ndarray, faces: np.ndarray, size: int = CLUSTER_SIZE) -> Clusters:
        """Bounds of every run of `size` triangles of `faces` (float32 is plenty: the facing test
        keeps a margin far above its rounding; the sphere is the one round the run's box)."""
        count = len(faces)
        if count == 0:
            empty = np.zeros((0, 3))
            return cls(size, 0, empty, np.zeros(0), empty, np.zeros(0))
        corners = positions.astype(np.float32, copy=False)[faces]
        normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
        lengths = np.sqrt(np.einsum("ij,ij->i", normals, normals))[:, None]
        normals = np.divide(normals, lengths, out=np.zeros_like(normals), where=lengths > 0)
        starts = np.arange(0, count, size)
        axes = np.add.reduceat(normals, starts, axis=0, dtype=np.float64)
        axis_lengths = np.linalg.norm(axes, axis=1, keepdims=True)
        axes = np.divide(axes, axis_lengths, out=np.zeros_like(axes), where=axis_lengths > 0)
        run_of_triangle = np.repeat(np.arange(len(starts)), size)[:count]
        cosines = np.einsum("ij,ij->i", normals, axes.astype(np.float32)[run_of_triangle])
        cone_cos = np.minimum.reduceat(cosines, starts).astype(np.float64)
        points = corners.reshape(-1, 3)
        low = np.minimum.reduceat(points, starts * 3, axis=0).astype(np.float64)
        high = np.maximum.reduceat(points, starts * 3, axis=0).astype(np.float64)
        radii = np.linalg.norm(high - low, axis=1) / 2
        return cls(size, count, (low + high) / 2, radii, axes, cone_cos)

    def visible_runs(self, view: np.ndarray, projection: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(first index, index count) of each run of consecutive clusters that may show: not
        wholly back-facing and not wholly outside the view volume of `projection @ view`."""
        rotation = view[:3, :3]
        cone_sin = np.sqrt(np.maximum(1.0 - self.cone_cos**2, 0.0))
        if projection[3, 3] == 1.0:  # orthographic: every view ray runs along the camera's -Z
            along = self.axes @ -rotation[2]
            across = np.sqrt(np.maximum(1.0 - along**2, 0.0))
            back = along * self.cone_cos - across * cone_sin >= FACING_MARGIN
        else:
            eye = -rotation.T @ view[:3, 3]
            offset = self.centres - eye
            distance = np.linalg.norm(offset, axis=1)
            along = np.einsum("cj,cj->c", offset, self.axes)
            across = np.sqrt(np.maximum(distance**2 - along**2, 0.0))
            # the least dot(n, p - eye) over the cone and the sphere, against the margin on |p - eye|
            nearest = along * self.cone_cos - across * cone_sin - self.radii
            back = nearest >= FACING_MARGIN * (distance + self.radii)
        back &= self.cone_cos > 0
        planes = _frustum_planes(projection @ view)
        outside = (self.centres @ planes[:, :3].T + planes[:, 3] < -self.radii[:, None]).any(axis=1)
        shown = ~(back | outside)
        edges = np.flatnonzero(np.diff(np.concatenate([[False], shown, [False]]).astype(np.int8)))
        starts, ends = edges[0::2], edges[1::2]
        first = starts * self.size * 3
        count = np.minimum(ends * self.size, self.triangles) * 3 - first
        return first, count


def _frustum_planes(view_projection: np.ndarray) -> np.ndarray:
    """(6, 4) planes (unit normal pointing inwards, offset) of a clip-space view volume."""
    m = view_projection
    planes = np.array([m[3] + m[0], m[3] - m[0], m[3] + m[1], m[3] - m[1], m[3] + m[2], m[3] - m[2]])
    return planes / np.linalg.norm(planes[:, :3], axis=1, keepdims=True)

"""Welding and repair of generator output before it becomes LOD0.

Generators and UV unwrapping leave duplicate vertices, degenerate and duplicate triangles and
specks of floating geometry; each breaks topology checks or wastes triangles. Everything here is
sort- and graph-based (no per-element Python loops) so it runs on million-triangle meshes.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from app.core.mesh.geometry import double_areas, vertex_bounds
from app.core.mesh.topology import face_components
from app.core.mesh.types import Mesh

_HASH_MULTIPLIERS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5, 0x85EBCA77C2B2AE63],
    dtype=np.uint64,
)
_DEGENERATE_AREA = 1e-12
"""Twice a triangle's area, relative to the squared bbox diagonal, below which it has no area:
below what float32 positions resolve."""


def group_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group identical rows of a (N, K) uint32 array, K <= 5.

    Returns (inverse, first): `first` holds the index of the first row of each group in increasing
    order and `inverse` maps every row to its group, so groups keep the input's order (good for
    cache locality downstream). Hashes the rows into one uint64 and sorts that (5-10x faster than
    `np.unique(axis=0)`); a hash collision is detected and falls back to an exact lexsort.
    """
    n = len(rows)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    wide = rows.astype(np.uint64)
    hashed = wide[:, 0] * _HASH_MULTIPLIERS[0]
    for k in range(1, rows.shape[1]):
        hashed = (hashed ^ (hashed >> np.uint64(29))) + wide[:, k] * _HASH_MULTIPLIERS[k]
    order = np.argsort(hashed)
    sorted_hash = hashed[order]
    same = sorted_hash[1:] == sorted_hash[:-1]
    tied = np.flatnonzero(same)
    if np.any(rows[order[tied]] != rows[order[tied + 1]]):
        order = np.lexsort(rows.T[::-1])
        same = np.all(rows[order[1:]] == rows[order[:-1]], axis=1)
    starts = np.concatenate([[True], ~same])
    first = np.minimum.reduceat(order, np.flatnonzero(starts))
    is_first = np.zeros(n, dtype=bool)
    is_first[first] = True
    rank = (np.cumsum(is_first) - 1)[first]
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = rank[np.cumsum(starts) - 1]
    return inverse, np.flatnonzero(is_first)


def _float_bits(values: np.ndarray) -> np.ndarray:
    """Bit patterns of float32 values with -0.0 folded into 0.0, so equal numbers compare equal."""
    return (np.asarray(values, dtype=np.float32) + np.float32(0.0)).view(np.uint32)


def weld(vertices: ArrayLike, faces: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge vertices at bit-identical positions: the topology every check needs.

    UV seams and hard edges split vertices, which makes a closed surface look open; welding undoes
    that. Returns (welded_vertices, welded_faces, index_map) with `welded_faces ==
    index_map[faces]`; vertices keep their first occurrence's order.
    """
    vertices = np.asarray(vertices, dtype=np.float32).reshape(-1, 3)
    index_map, first = group_rows(_float_bits(vertices))
    index_map = index_map.astype(np.int32)
    return vertices[first], index_map[np.asarray(faces).reshape(-1, 3)], index_map


def repeated_vertex(welded_faces: np.ndarray) -> np.ndarray:
    """Mask of triangles that use one (welded) vertex twice: slivers between coincident points."""
    f = welded_faces
    return (f[:, 0] == f[:, 1]) | (f[:, 1] == f[:, 2]) | (f[:, 2] == f[:, 0])


def degenerate_faces(vertices: np.ndarray, welded_faces: np.ndarray) -> np.ndarray:
    """Mask of triangles with a repeated (welded) vertex or no area."""
    return _degenerate(vertices, welded_faces, double_areas(vertices, welded_faces))


def _degenerate(vertices: np.ndarray, welded_faces: np.ndarray, double_area: np.ndarray) -> np.ndarray:
    lo, hi = vertex_bounds(vertices)
    return repeated_vertex(welded_faces) | (double_area <= _DEGENERATE_AREA * float((hi - lo) @ (hi - lo)))


def cancel_folds(welded_faces: np.ndarray) -> np.ndarray:
    """Mask of the triangles to keep among ones sharing the same three (welded) vertices, where
    two wound opposite ways are a fold enclosing nothing (quadric collapse leaves them on flat
    regions): both go. Same-way copies are duplicates: one stays."""
    f = welded_faces
    group, _ = group_rows(np.sort(f, axis=1).astype(np.uint32))
    odd = ((f[:, 0] > f[:, 1]).astype(np.int64) + (f[:, 0] > f[:, 2]) + (f[:, 1] > f[:, 2])) % 2
    surplus = 2 * np.bincount(group, weights=odd).astype(np.int64) - np.bincount(group)
    _, first_of_kind = group_rows(np.stack([group, odd], axis=1).astype(np.uint32))
    wanted = np.where(
        odd[first_of_kind] == 1, surplus[group[first_of_kind]] > 0, surplus[group[first_of_kind]] < 0
    )
    keep = np.zeros(len(f), dtype=bool)
    keep[first_of_kind[wanted]] = True
    return keep


def vertex_keys(vertices: np.ndarray, uvs: np.ndarray | None) -> np.ndarray:
    """Rows that are equal exactly when position and (if given) uv are: what `group_rows` merges."""
    keys = _float_bits(vertices)
    return keys if uvs is None else np.hstack([keys, _float_bits(uvs)])


def merge_vertices(mesh: Mesh) -> Mesh:
    """Merge vertices with the same position and, when there are UVs, the same uv (so UV seams
    survive); the first of each keeps its normal."""
    merged, first = group_rows(vertex_keys(mesh.vertices, mesh.uvs))
    return Mesh(
        mesh.vertices[first],
        merged[mesh.faces],
        None if mesh.normals is None else mesh.normals[first],
        None if mesh.uvs is None else mesh.uvs[first],
    )


def keep_faces(mesh: Mesh, keep: np.ndarray) -> Mesh:
    """`mesh` with only the triangles in `keep` and the vertices they use, attributes aligned."""
    faces = mesh.faces[keep]
    used = np.zeros(mesh.vertex_count, dtype=bool)
    used[faces.ravel()] = True
    return Mesh(
        mesh.vertices[used],
        (np.cumsum(used) - 1)[faces],
        None if mesh.normals is None else mesh.normals[used],
        None if mesh.uvs is None else mesh.uvs[used],
    )


def clean(mesh: Mesh, min_component_fraction: float = 0.01) -> Mesh:
    """Merge duplicate vertices, drop degenerate and duplicate triangles, floating specks and
    unused vertices.

    Vertices merge only when position AND uv match, so UV seams survive. Topology questions
    (duplicates: the same three vertices, either winding; pieces) are asked on the position-welded
    mesh, and `fix_winding` settles the winding of the copy that stays. A piece is dropped when
    both its triangle count and its area are below `min_component_fraction` of the largest's.
    """
    mesh = merge_vertices(mesh)
    welded_vertices, welded, _ = weld(mesh.vertices, mesh.faces)
    double_area = double_areas(welded_vertices, welded)
    keep = ~_degenerate(welded_vertices, welded, double_area)
    kept = np.flatnonzero(keep)
    _, first_of_set = group_rows(np.sort(welded[kept], axis=1).astype(np.uint32))
    keep[kept] = False
    keep[kept[first_of_set]] = True
    if keep.any():
        count, label = face_components(welded[keep], len(welded_vertices))
        tri_count = np.bincount(label, minlength=count)
        area = np.bincount(label, weights=double_area[keep], minlength=count)
        tiny = (tri_count < min_component_fraction * tri_count.max()) & (
            area < min_component_fraction * area.max()
        )
        keep[keep] = ~tiny[label]
    return keep_faces(mesh, keep)

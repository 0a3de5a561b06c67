"""Per-vertex tangents the MikkTSpace way, so a baked normal map shades the same in every engine.

Unity, Unreal, Godot, Blender and glTF viewers rebuild the tangent basis with Morten Mikkelsen's
MikkTSpace (`mikktspace.c`) when a file carries none, and bake tools assume it: a normal map
only looks right where the renderer's basis is the one it was baked in. This is that algorithm
in numpy, checked against Blender's `calc_tangents` (which runs `mikktspace.c`) in the tests:

- UVs are taken with v pointing up (OpenGL's t = 1 - glTF's v), as Blender's glTF importer and
  exporter do, so the bitangent follows the image's up direction and a green-up map reads right;
- corners with equal position, normal and UV are one vertex (MikkTSpace welds by value);
- each triangle's tangent is dP/du (its UV orientation decides the bitangent sign); a vertex's
  tangent is the sum over its triangles of their tangents projected onto the vertex normal's
  plane, weighted by the corner angle (of the edges projected the same way), normalised;
- a vertex's triangles are grouped as MikkTSpace groups them: fans joined across shared edges
  whose triangles wind the same way in UV (a mirrored chart is its own group, with the opposite
  bitangent sign); triangles without a usable UV area contribute nothing and take a
  neighbour's group.

One difference from `mikktspace.c`, on meshes our pipeline does not make: a vertex whose
contributions cancel gets a vector perpendicular to its normal instead of a zero tangent (which
the glTF validator refuses).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from app.core.mesh.geometry import unit_rows
from app.core.mesh.normals import shading_normals
from app.core.mesh.types import Mesh

_TINY = np.finfo(np.float32).tiny
"""MikkTSpace's `NotZero` threshold (FLT_MIN)."""


def corner_tangents(
    vertices: np.ndarray, normals: np.ndarray, uvs: np.ndarray, faces: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """MikkTSpace tangent of every triangle corner.

    Returns ((M, 3, 4) float32 tangents, xyz unit and w = ±1; (M, 3) int64 group ids): two
    corners with the same group id have the same tangent, corners of one vertex in different
    groups need separate vertices in a file. `uvs` are glTF UVs (v down).
    """
    faces = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    positions = np.asarray(vertices, dtype=np.float32).reshape(-1, 3)
    normals = np.asarray(normals, dtype=np.float32).reshape(-1, 3)
    texcoords = np.asarray(uvs, dtype=np.float32).reshape(-1, 2) * np.float32([1, -1]) + np.float32([0, 1])
    welded = _weld_by_value(positions, normals, texcoords)
    face_tangent, orient, good = _face_tangents(positions, texcoords, faces)

    corner_vertex = welded[faces]  # (M, 3) welded ids
    n = normals[faces]  # (M, 3, 3) the corner's normal
    projected = _project(face_tangent[:, None, :], n)
    weight = _corner_angles(positions, faces, n)
    contribution = (projected * (weight * good[:, None])[..., None]).reshape(-1, 3)

    group, count = _fan_groups(corner_vertex, orient, good)
    flat_group = group.ravel()
    grouped = flat_group >= 0
    summed = np.stack(
        [
            np.bincount(flat_group[grouped], weights=contribution[grouped, c], minlength=count)
            for c in range(3)
        ],
        axis=1,
    )
    group_orient = np.zeros(count, dtype=np.int64)
    group_orient[flat_group[grouped]] = np.repeat(orient, 3)[grouped]

    tangent = np.tile(np.float32([1, 0, 0]), (len(flat_group), 1))
    tangent[grouped] = summed[flat_group[grouped]]
    length = np.linalg.norm(tangent, axis=-1)
    tangent /= np.maximum(length, _TINY)[:, None]
    lost = length <= _TINY
    if lost.any():
        tangent[lost] = _any_perpendicular(n.reshape(-1, 3)[lost])
    sign = np.where(grouped & (group_orient[np.maximum(flat_group, 0)] == 1), 1.0, -1.0)
    result = np.column_stack([tangent, sign]).astype(np.float32).reshape(-1, 3, 4)
    # Corners in no group are told apart by their (unique) corner index.
    ids = np.where(grouped, flat_group, count + np.arange(len(flat_group)))
    return result, ids.reshape(-1, 3)


def _fan_groups(corner_vertex: np.ndarray, orient: np.ndarray, good: np.ndarray) -> tuple[np.ndarray, int]:
    """(M, 3) MikkTSpace group of every corner (-1 for none), and the number of groups.

    A group is a fan of usable triangles around one welded vertex, joined across shared edges
    (paired as MikkTSpace pairs them: a directed edge with its reverse) where both sides have the
    same UV orientation. A triangle with no usable UV area contributes nothing and takes the
    group of a usable neighbour across an edge at that vertex, else of any usable corner of the
    vertex; a corner with neither is in no group (MikkTSpace's default tangent space).
    """
    faces_count = len(corner_vertex)
    corners = faces_count * 3
    welded_count = int(corner_vertex.max(initial=-1)) + 1
    start = corner_vertex.ravel()
    end = corner_vertex[:, [1, 2, 0]].ravel()
    key = start * welded_count + end
    reverse = end * welded_count + start
    order = np.argsort(key, kind="stable")
    found = np.minimum(np.searchsorted(key[order], reverse), corners - 1)
    partner = np.where(key[order[found]] == reverse, order[found], -1)
    half = np.flatnonzero(partner >= 0)
    other = partner[half]
    face_a, face_b = half // 3, other // 3
    # Half-edge h runs from corner h to the next corner of its face; its partner runs back.
    following = lambda h: h - h % 3 + (h % 3 + 1) % 3  # noqa: E731
    pairs = np.concatenate([np.stack([half, following(other)], 1), np.stack([following(half), other], 1)])
    both = np.concatenate([face_a, face_a]), np.concatenate([face_b, face_b])
    joined = good[both[0]] & good[both[1]] & (orient[both[0]] == orient[both[1]])
    links = pairs[joined]
    graph = sparse.coo_matrix((np.ones(len(links)), (links[:, 0], links[:, 1])), shape=(corners, corners))
    count, labels = connected_components(graph, directed=False)
    good_corner = np.repeat(good, 3)
    group = np.where(good_corner, labels, -1)
    # Renumber the groups of usable corners densely.
    used, group[good_corner] = np.unique(group[good_corner], return_inverse=True)
    count = len(used)
    lonely = np.flatnonzero(~good_corner)
    if len(lonely):
        neighbour = np.full(corners, -1)
        across = pairs[good_corner[pairs[:, 1]] & ~good_corner[pairs[:, 0]]]
        neighbour[across[:, 0]] = group[across[:, 1]]
        at_vertex = np.full(welded_count, -1)
        at_vertex[start[good_corner]] = group[good_corner]
        group[lonely] = np.where(neighbour[lonely] >= 0, neighbour[lonely], at_vertex[start[lonely]])
    return group.reshape(-1, 3), count


def with_tangents(mesh: Mesh) -> Mesh:
    """`mesh` with `tangents` set from its shading normals and UVs.

    A vertex whose corners fall into different tangent groups (a mirrored UV chart meeting
    another at one vertex) is split into one vertex per group, appended after the others, so
    existing vertex indices keep their meaning; usually nothing is split. Raises ValueError for
    a mesh without UVs.
    """
    if mesh.uvs is None:
        raise ValueError("tangents need UVs: unwrap the mesh first")
    normals = shading_normals(mesh)
    tangents, group = corner_tangents(mesh.vertices, normals, mesh.uvs, mesh.faces)
    corner_vertex = mesh.faces.astype(np.int64).ravel()
    group = group.ravel()
    flat_tangents = tangents.reshape(-1, 4)

    # The first group seen at each vertex keeps the vertex; every other (vertex, group) pair
    # becomes a new vertex.
    order = np.lexsort((group, corner_vertex))
    pair_start = np.ones(len(order), dtype=bool)
    pair_start[1:] = (corner_vertex[order][1:] != corner_vertex[order][:-1]) | (
        group[order][1:] != group[order][:-1]
    )
    pair_id = np.cumsum(pair_start) - 1
    pair_vertex = corner_vertex[order][pair_start]
    vertex_start = np.ones(len(pair_vertex), dtype=bool)
    vertex_start[1:] = pair_vertex[1:] != pair_vertex[:-1]
    extra = ~vertex_start
    target = np.where(vertex_start, pair_vertex, mesh.vertex_count + np.cumsum(extra) - 1)
    new_index = np.empty(len(order), dtype=np.int64)
    new_index[order] = target[pair_id]

    count = mesh.vertex_count + int(extra.sum())
    source = np.concatenate([np.arange(mesh.vertex_count), pair_vertex[extra]])
    out_tangents = np.empty((count, 4), dtype=np.float32)
    unused = np.ones(count, dtype=bool)
    unused[new_index] = False
    out_tangents[new_index] = flat_tangents
    out_tangents[unused, :3] = _any_perpendicular(normals[source[unused]])
    out_tangents[unused, 3] = 1.0
    return Mesh(
        mesh.vertices[source],
        new_index.reshape(-1, 3),
        normals[source],
        mesh.uvs[source],
        out_tangents,
        None if mesh.lightmap_uvs is None else mesh.lightmap_uvs[source],
    )


def _weld_by_value(positions: np.ndarray, normals: np.ndarray, texcoords: np.ndarray) -> np.ndarray:
    """(N,) id per vertex, equal for vertices with identical position, normal and UV."""
    rows = np.ascontiguousarray(np.concatenate([positions, normals, texcoords], axis=1) + np.float32(0))
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, welded = np.unique(keys, return_inverse=True)
    return welded.ravel().astype(np.int64)


def _face_tangents(
    positions: np.ndarray, texcoords: np.ndarray, faces: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per triangle: unit dP/du (M, 3), UV orientation preserving (M,) int, usable (M,) bool."""
    p0, p1, p2 = (positions[faces[:, k]].astype(np.float64) for k in range(3))
    t0, t1, t2 = (texcoords[faces[:, k]].astype(np.float64) for k in range(3))
    d1, d2 = p1 - p0, p2 - p0
    t21, t31 = t1 - t0, t2 - t0
    area = t21[:, 0] * t31[:, 1] - t21[:, 1] * t31[:, 0]
    v_os = t31[:, 1:2] * d1 - t21[:, 1:2] * d2
    v_ot = -t31[:, 0:1] * d1 + t21[:, 0:1] * d2
    orient = (area > 0).astype(np.int64)
    length_s = np.linalg.norm(v_os, axis=1)
    length_t = np.linalg.norm(v_ot, axis=1)
    good = (np.abs(area) > _TINY) & (length_s > _TINY) & (length_t > _TINY)
    sign = np.where(orient == 1, 1.0, -1.0)
    tangent = np.where(good[:, None], v_os * (sign / np.maximum(length_s, _TINY))[:, None], 0.0)
    return tangent.astype(np.float32), orient, good


def _project(vectors: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """`vectors` minus their component along `normals`, normalised where not zero."""
    flat = vectors - normals * np.sum(vectors * normals, axis=-1, keepdims=True)
    length = np.linalg.norm(flat, axis=-1, keepdims=True)
    return np.where(length > _TINY, flat / np.maximum(length, _TINY), flat)


def _corner_angles(positions: np.ndarray, faces: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """(M, 3) angle at each corner between its two edges, projected onto the corner's normal plane."""
    here = positions[faces]
    previous = here[:, [2, 0, 1]]
    following = here[:, [1, 2, 0]]
    a = _project(previous - here, normals)
    b = _project(following - here, normals)
    return np.arccos(np.clip(np.sum(a * b, axis=-1), -1.0, 1.0))


def _any_perpendicular(normals: np.ndarray) -> np.ndarray:
    """A unit vector perpendicular to each normal (for vertices with no tangent direction)."""
    shape = normals.shape
    flat = normals.reshape(-1, 3)
    helper = np.where(np.abs(flat[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    return unit_rows(np.cross(flat, helper)).reshape(shape).astype(np.float32)

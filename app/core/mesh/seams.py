"""Thin out UV seams before simplification, so locked seams do not set a floor on LOD budgets.

The simplifier keeps every vertex of a UV seam in place (each side of a seam is an open border to
it, and moving one side alone would crack the surface), so a mesh with S seam vertices cannot go
much below 4·S triangles. Here a seam vertex is removed by collapsing it into its neighbour along
the seam on both sides at once: both copies move to the same point, so the seam stays closed and
the surface watertight. Each pass removes the seam vertices that deviate least from the line
through their two seam neighbours (local minima along the seam, so no two neighbours go in one
pass), skipping collapses that would change the topology (the link condition) or turn a triangle
over.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from app.core.mesh.cleanup import group_rows, keep_faces, weld
from app.core.mesh.geometry import cross_rows, face_corners
from app.core.mesh.topology import EdgeTable
from app.core.mesh.types import Mesh

MAX_PASSES = 16
MIN_FACING_AFTER = 0.2
"""cos of the largest turn a triangle's normal may take in one collapse."""


def thin_seams(mesh: Mesh, goal: int, min_triangles: int = 0) -> Mesh:
    """`mesh` with at most about `goal` seam vertices (fewer removals where the seam's shape or
    topology does not allow them) and at least `min_triangles` triangles (each collapse takes
    one triangle from each side). Vertices on real open borders and seam junctions stay."""
    for _ in range(MAX_PASSES):
        thinned = _one_pass(mesh, goal, min_triangles)
        if thinned is None:
            break
        mesh = thinned
    return mesh


def _one_pass(mesh: Mesh, goal: int, min_triangles: int) -> Mesh | None:
    """One round of collapses, or None when the seams are at `goal` or nothing can go."""
    welded, welded_faces, index_map = weld(mesh.vertices, mesh.faces)
    copies = np.bincount(index_map, minlength=len(welded))
    if int((copies > 1).sum()) <= goal:
        return None
    seams = _seam_edges(mesh.faces, index_map)
    if seams is None:
        return None
    pairs, sides = seams
    degree = np.bincount(pairs.ravel(), minlength=len(welded))
    seam_count = int((degree > 0).sum())
    if seam_count <= goal:
        return None
    # Along a seam: two seam neighbours, two copies, no other border or junction.
    ends = np.concatenate([pairs[:, 0], pairs[:, 1]])
    others = np.concatenate([pairs[:, 1], pairs[:, 0]])
    order = np.argsort(ends, kind="stable")
    ends, others = ends[order], others[order]
    movable = (degree == 2) & (copies == 2)
    first = np.searchsorted(ends, np.arange(len(welded)))
    candidates = np.flatnonzero(movable)
    left = others[first[candidates]]
    right = others[first[candidates] + 1]
    score = np.full(len(welded), np.inf)
    score[candidates] = _deviation(welded, candidates, left, right) + 1e-12 * candidates
    own = score[candidates]
    chosen = (own < score[left]) & (own < score[right]) & (left != right)
    candidates, left, right, own = candidates[chosen], left[chosen], right[chosen], own[chosen]
    excess = min(seam_count - goal, (mesh.triangle_count - min_triangles) // 2)
    if excess <= 0:
        return None
    if len(candidates) > excess:
        keep = np.argsort(own, kind="stable")[:excess]
        candidates, left, right = candidates[keep], left[keep], right[keep]
    # Into the nearer neighbour: the shorter edge goes.
    nearer = np.linalg.norm(welded[left] - welded[candidates], axis=1) <= np.linalg.norm(
        welded[right] - welded[candidates], axis=1
    )
    target = np.where(nearer, left, right)
    # One collapse per target: two into one vertex could break what each link check allowed.
    _, single = np.unique(target, return_index=True)
    candidates, target = candidates[single], target[single]
    ok = _link_condition(welded_faces, len(welded), candidates, target)
    if not ok.any():
        return None
    thinned = _collapse(mesh, index_map, pairs, sides, candidates[ok], target[ok])
    if thinned is None or not _closed_like(welded_faces, thinned):
        return None
    return thinned


def _seam_edges(faces: np.ndarray, index_map: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(welded vertex pairs of the seam edges, (E, 2, 2) the split vertex pairs of each edge's two
    sides), or None without seams. A seam edge is a welded edge that is an open border on
    exactly two sides of the unwelded mesh."""
    half = np.stack([faces, faces[:, [1, 2, 0]]], axis=2).reshape(-1, 2).astype(np.int64)
    group, _ = group_rows(np.sort(half, axis=1).astype(np.uint32))
    border = half[np.bincount(group)[group] == 1]
    if len(border) == 0:
        return None
    welded_ends = index_map[border]
    key, _ = group_rows(np.sort(welded_ends, axis=1).astype(np.uint32))
    count = np.bincount(key)
    twice = count[key] == 2
    order = np.argsort(key[twice], kind="stable")
    sides = border[twice][order].reshape(-1, 2, 2)
    if len(sides) == 0:
        return None
    return index_map[sides[:, 0]], sides


def _deviation(points: np.ndarray, at: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Distance of each vertex from the line through its two seam neighbours."""
    p, a, b = (points[i].astype(np.float64) for i in (at, left, right))
    direction = b - a
    length = np.maximum(np.linalg.norm(direction, axis=1), 1e-30)
    return np.linalg.norm(np.cross(p - a, direction), axis=1) / length


def _link_condition(faces: np.ndarray, count: int, v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Collapsing edge v→u keeps a manifold when v and u share exactly two neighbours (the
    apexes of the edge's two triangles)."""
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    adjacency = sparse.csr_matrix(
        (np.ones(len(edges), dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(count, count)
    )
    adjacency = ((adjacency + adjacency.T) > 0).astype(np.int8)
    shared = np.asarray(adjacency[v].multiply(adjacency[u]).sum(axis=1)).ravel()
    return shared == 2


def _collapse(
    mesh: Mesh,
    index_map: np.ndarray,
    pairs: np.ndarray,
    sides: np.ndarray,
    v: np.ndarray,
    u: np.ndarray,
) -> Mesh | None:
    """Move both copies of every v onto the copies of u beside them; collapses that would turn
    a triangle over are left out."""
    count = len(index_map)
    keys = np.minimum(pairs[:, 0], pairs[:, 1]) * count + np.maximum(pairs[:, 0], pairs[:, 1])
    order = np.argsort(keys)
    wanted = np.minimum(v, u) * count + np.maximum(v, u)
    edge = order[np.minimum(np.searchsorted(keys[order], wanted), len(order) - 1)]
    found = keys[edge] == wanted
    split = sides[edge[found]].reshape(-1, 2)
    from_v = index_map[split[:, 0]] == np.repeat(v[found], 2)
    remap = np.arange(mesh.vertex_count)
    remap[np.where(from_v, split[:, 0], split[:, 1])] = np.where(from_v, split[:, 1], split[:, 0])
    before = _normals(mesh.vertices, mesh.faces)
    for _ in range(4):
        faces = remap[mesh.faces]
        alive = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 2] != faces[:, 0])
        turned = alive & (np.einsum("ij,ij->i", before, _normals(mesh.vertices, faces)) < MIN_FACING_AFTER)
        if not turned.any():
            break
        # Undo on both sides of the seam, or it would crack.
        undo = np.flatnonzero(np.isin(index_map, index_map[mesh.faces[turned]]))
        remap[undo] = undo
    else:
        return None
    if (remap == np.arange(mesh.vertex_count)).all():
        return None
    return keep_faces(Mesh(mesh.vertices, faces, mesh.normals, mesh.uvs), alive)


def _closed_like(welded_faces: np.ndarray, mesh: Mesh) -> bool:
    """The thinned mesh has no more open or crowded edges than the input had."""
    _, faces, _ = weld(mesh.vertices, mesh.faces)
    return _odd_edges(faces) <= _odd_edges(welded_faces)


def _odd_edges(faces: np.ndarray) -> int:
    """Edges not shared by exactly two triangles."""
    count = int(faces.max(initial=-1)) + 1
    return int((EdgeTable.from_faces(faces, count).count != 2).sum())


def _normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    a, b, c = face_corners(vertices.astype(np.float64), faces)
    n = cross_rows(b - a, c - a).T
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-30)

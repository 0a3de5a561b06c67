"""Topology and geometry checks that decide whether an asset is game-ready.

Every check runs on the position-welded mesh: UV seams split vertices, which would make a closed
surface look open. Edges are grouped by one integer sort and fans by one graph pass, so a
million-triangle mesh validates in about a second.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from app.core.mesh.cleanup import (
    cross_rows,
    degenerate_faces,
    face_components,
    face_corners,
    vertex_bounds,
    weld,
)
from app.core.mesh.types import Mesh


def _sort_order(key: np.ndarray, max_key: int) -> np.ndarray:
    """argsort of non-negative int64 keys; ties keep index order.

    Packs key and index into one int64 and sorts values, which is about twice as fast as
    `argsort`; falls back to a stable argsort when both do not fit in 63 bits.
    """
    index_bits = max(1, (len(key) - 1).bit_length())
    if index_bits + max(1, max_key.bit_length()) > 63:
        return np.argsort(key, kind="stable")
    packed = (key << index_bits) | np.arange(len(key), dtype=np.int64)
    packed.sort()
    return packed & ((1 << index_bits) - 1)


@dataclass(frozen=True)
class EdgeTable:
    """The half-edges of welded triangles grouped by undirected edge.

    Half-edge `h = 3 * face + j` runs from `faces[face, j]` to `faces[face, (j + 1) % 3]`, so it
    is also the id of the corner it starts at.
    """

    order: np.ndarray
    """Half-edge ids sorted by undirected edge: each edge's half-edges are one run."""
    count: np.ndarray
    """Number of half-edges (faces) on each undirected edge, i.e. the length of its run."""
    forward_count: np.ndarray
    """Number of those half-edges that run from the lower to the higher vertex index."""
    forward: np.ndarray
    """Per half-edge: runs from the lower to the higher vertex index."""
    partner: np.ndarray
    """Per half-edge: the other half-edge of its edge when exactly two faces share it, else itself."""

    @classmethod
    def from_faces(cls, faces: np.ndarray, vertex_count: int) -> EdgeTable:
        a = faces.astype(np.int64)
        b = a[:, [1, 2, 0]].ravel()
        a = a.ravel()
        key = np.minimum(a, b) * vertex_count + np.maximum(a, b)
        order = _sort_order(key, vertex_count * vertex_count)
        sorted_key = key[order]
        start = np.flatnonzero(np.concatenate([[True], sorted_key[1:] != sorted_key[:-1]]))
        count = np.diff(np.append(start, len(order)))
        forward = a < b
        forward_count = np.add.reduceat(forward[order], start) if len(order) else count
        first = start[count == 2]
        partner = np.arange(len(order))
        partner[order[first]] = order[first + 1]
        partner[order[first + 1]] = order[first]
        return cls(order, count, forward_count, forward, partner)


def next_and_previous(face_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Per half-edge (= corner): the next and the previous one in its triangle."""
    half = np.arange(3 * face_count)
    return half + np.tile([1, 1, -2], face_count), half + np.tile([2, -1, -1], face_count)


def fixed_degree_graph(neighbours: np.ndarray) -> csr_matrix:
    """Sparse graph from a (nodes, k) neighbour table (a node lists itself for an empty slot).

    Built straight into CSR form, skipping the sort a COO conversion would do.
    """
    nodes, k = neighbours.shape
    return csr_matrix(
        (np.ones(neighbours.size), neighbours.ravel(), np.arange(0, neighbours.size + 1, k)),
        shape=(nodes, nodes),
    )


def signed_volume_terms(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Six times each triangle's signed volume against the bounds centre (centred for precision)."""
    lo, hi = vertex_bounds(vertices)
    a, b, c = face_corners(vertices - ((lo + hi) / 2).astype(np.float32), faces)
    return np.einsum("ij,ij->j", a, cross_rows(b, c))


@dataclass
class ValidationReport:
    """What `validate` found, in plain values so `to_dict()` goes straight to JSON."""

    watertight: bool
    """Every welded edge has exactly two faces."""
    edge_manifold: bool
    """No edge has more than two faces."""
    vertex_manifold: bool
    """The faces around every vertex form one connected fan."""
    winding_consistent: bool
    """No directed edge is used twice (neighbours wind the same way)."""
    outward: bool | None
    """Positive signed volume; None when the mesh is open."""
    components: int
    triangles: int
    vertices: int
    degenerate_faces: int
    boundary_edges: int
    non_manifold_edges: int
    bounds: list[list[float]]
    size: list[float]
    volume: float | None
    """Enclosed volume in cubic mesh units; None when the mesh is open."""

    @property
    def manifold(self) -> bool:
        return self.edge_manifold and self.vertex_manifold

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "manifold": self.manifold}


def _fans_are_single(faces: np.ndarray, edges: EdgeTable) -> bool:
    """Whether every vertex has one fan of faces around it.

    Each corner links to the corners of the same vertex in the faces across its two edges (when
    exactly two faces share the edge); the connected groups of corners are then the fans.
    """
    if len(faces) == 0:
        return True
    following, previous = next_and_previous(len(faces))
    partner = edges.partner
    same = edges.forward == edges.forward[partner]
    # A corner's own vertex is the start of its outgoing half-edge and the end of its incoming
    # one (`previous`); across each, the matching corner of the neighbour depends on whether the
    # neighbour runs the edge the same way. An unshared edge links the corner to itself.
    out_link = np.where(same, partner, following[partner])
    incoming = partner[previous]
    in_link = np.where(same[previous], following[incoming], incoming)
    links = np.stack([out_link, in_link], axis=1)
    fans, _ = connected_components(fixed_degree_graph(links), directed=False)
    return fans == np.count_nonzero(np.bincount(faces.ravel()))


def validate(mesh: Mesh) -> ValidationReport:
    """Check topology on the position-welded mesh and measure bounds, size and volume."""
    vertices, faces, _ = weld(mesh.vertices, mesh.faces)
    edges = EdgeTable.from_faces(faces, len(vertices))
    boundary = int(np.count_nonzero(edges.count == 1))
    non_manifold = int(np.count_nonzero(edges.count > 2))
    watertight = len(faces) > 0 and boundary == 0 and non_manifold == 0
    consistent = bool(np.all(edges.forward_count <= 1) and np.all(edges.count - edges.forward_count <= 1))
    volume = float(signed_volume_terms(vertices, faces).sum(dtype=np.float64) / 6) if watertight else None
    lo, hi = vertex_bounds(mesh.vertices)
    return ValidationReport(
        watertight=watertight,
        edge_manifold=non_manifold == 0,
        vertex_manifold=bool(_fans_are_single(faces, edges)),
        winding_consistent=consistent,
        outward=None if volume is None else volume > 0,
        components=face_components(faces, len(vertices))[0],
        triangles=mesh.triangle_count,
        vertices=mesh.vertex_count,
        degenerate_faces=int(np.count_nonzero(degenerate_faces(vertices, faces))),
        boundary_edges=boundary,
        non_manifold_edges=non_manifold,
        bounds=[lo.tolist(), hi.tolist()],
        size=(hi - lo).tolist(),
        volume=volume,
    )

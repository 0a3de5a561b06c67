"""Triangle-mesh connectivity as arrays: half-edges grouped by edge, pieces, sparse graphs.

Shared by validation (watertight, manifold), winding repair and the LOD chain's pinch detection,
so every one of them asks the same question the same way. Everything is sort- and graph-based.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components


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


def face_components(faces: np.ndarray, vertex_count: int) -> tuple[int, np.ndarray]:
    """(count, per-face label) of the pieces of a mesh, faces joined through shared vertices."""
    if len(faces) == 0:
        return 0, np.zeros(0, dtype=np.int64)
    rows = np.concatenate([faces[:, 0], faces[:, 1]])
    cols = np.concatenate([faces[:, 1], faces[:, 2]])
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(vertex_count,) * 2)
    _, vertex_label = connected_components(graph.tocsr(), directed=False)
    face_label = vertex_label[faces[:, 0]]
    used = np.zeros(vertex_label.max() + 1, dtype=bool)
    used[face_label] = True
    compact = np.cumsum(used) - 1
    return int(used.sum()), compact[face_label]

"""Topology and geometry checks that decide whether an asset is game-ready.

Every check runs on the position-welded mesh: UV seams split vertices, which would make a closed
surface look open. Edges are grouped by one integer sort and fans by one graph pass, so a
million-triangle mesh validates in about a second.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.sparse.csgraph import connected_components

from app.core.mesh.cleanup import degenerate_faces, weld
from app.core.mesh.geometry import signed_volume_terms, vertex_bounds
from app.core.mesh.topology import EdgeTable, face_components, fixed_degree_graph, next_and_previous
from app.core.mesh.types import Mesh


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

"""UV seams are thinned before simplification, so a seamed mesh still reaches small LOD budgets
and stays closed (locked seams used to set a floor of about four triangles per seam vertex)."""

from __future__ import annotations

import numpy as np
import trimesh

from app.core.mesh.cleanup import weld
from app.core.mesh.lod import build_lods
from app.core.mesh.seams import thin_seams
from app.core.mesh.types import Mesh
from app.core.mesh.validate import validate


def _two_chart_sphere(subdivisions: int = 5) -> Mesh:
    """An icosphere cut along its equator into two UV charts: a seam with two copies per vertex."""
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions)
    vertices, faces = np.asarray(sphere.vertices), np.asarray(sphere.faces)
    upper = vertices[faces].mean(axis=1)[:, 2] > 0
    out_vertices, out_uvs, out_faces = [], [], []
    for offset, picked in ((0.0, upper), (0.5, ~upper)):
        used = np.unique(faces[picked])
        index = np.full(len(vertices), -1)
        index[used] = np.arange(len(used)) + sum(len(v) for v in out_vertices)
        out_vertices.append(vertices[used])
        out_uvs.append(np.column_stack([offset + (vertices[used, 0] + 1) / 4, (vertices[used, 1] + 1) / 2]))
        out_faces.append(index[faces[picked]])
    return Mesh(np.concatenate(out_vertices), np.concatenate(out_faces), uvs=np.concatenate(out_uvs))


def _seam_vertices(mesh: Mesh) -> int:
    welded, _, index_map = weld(mesh.vertices, mesh.faces)
    return int((np.bincount(index_map, minlength=len(welded)) > 1).sum())


def test_thinning_keeps_the_seam_closed_and_every_uv() -> None:
    mesh = _two_chart_sphere(3)
    before = _seam_vertices(mesh)
    thinned = thin_seams(mesh, 20)
    # On a fine mesh a seam vertex moves only as far as its triangles reach: it thins, not to 20.
    assert _seam_vertices(thinned) < 0.8 * before
    report = validate(thinned)
    assert report.watertight and report.manifold and report.outward
    # Survivors keep their own UV: each (position, uv) of the result was in the input.
    rows = {tuple(r) for r in np.hstack([mesh.vertices, mesh.uvs]).round(6)}
    assert all(tuple(r) in rows for r in np.hstack([thinned.vertices, thinned.uvs]).round(6))
    # No triangle turned over: every normal still points away from the centre.
    v, f = thinned.vertices.astype(np.float64), thinned.faces
    normals = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    assert (np.einsum("ij,ij->i", normals, v[f].mean(axis=1)) > 0).all()


def test_a_seamed_mesh_reaches_a_small_lod_budget_and_stays_watertight() -> None:
    mesh = _two_chart_sphere()
    seams = _seam_vertices(mesh)
    target = 2 * seams  # below the ~4 triangles per locked seam vertex floor
    lods = build_lods(mesh, [target], measure_samples=0)
    assert abs(lods[1].mesh.triangle_count - target) <= max(2, 0.02 * target)
    report = validate(lods[1].mesh)
    assert report.watertight and report.manifold
    assert lods[1].mesh.uvs is not None


def test_a_mesh_without_seams_is_left_alone() -> None:
    sphere = trimesh.creation.icosphere(subdivisions=3)
    mesh = Mesh(sphere.vertices, sphere.faces, uvs=np.asarray(sphere.vertices)[:, :2])
    assert thin_seams(mesh, 0) is mesh

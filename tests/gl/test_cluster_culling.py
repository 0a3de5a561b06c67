"""Cluster culling skips only what cannot show: the reordered index buffer holds the same triangles
with the same winding, every triangle that faces the eye inside the view is in a drawn run, and
the viewport's pixels are the same as drawing every triangle, from outside, close up (runs outside
the view skipped), in orthographic view and with the wireframe over the surface."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from app.core.mesh.types import Lod, LodSet, Material, Mesh
from app.ui.viewport.camera import Camera
from app.ui.viewport.clusters import Clusters, spatial_order


def _bumpy_sphere(subdivisions: int = 5) -> Mesh:
    """About 20k triangles, their order shuffled as a foreign file's may be."""
    shape = trimesh.creation.icosphere(subdivisions=subdivisions, radius=0.5)
    vertices = np.asarray(shape.vertices)
    bumps = 1 + 0.06 * np.sin(9 * vertices[:, 0]) * np.sin(7 * vertices[:, 1] + 1) * np.cos(
        8 * vertices[:, 2]
    )
    faces = np.random.default_rng(3).permutation(np.asarray(shape.faces))
    return Mesh(vertices * bumps[:, None] + np.array([0, 0.5, 0]), faces)


def _canonical(faces: np.ndarray) -> set[tuple[int, int, int]]:
    """Each triangle rotated to start at its smallest index: the same triangle, the same winding."""
    rolled = np.stack([np.roll(faces, -k, axis=1) for k in range(3)], axis=1)
    first = rolled[np.arange(len(faces)), faces.argmin(axis=1)]
    return set(map(tuple, first.tolist()))


def _cameras(mesh: Mesh) -> list[Camera]:
    cameras = []
    for yaw, pitch, zoom, ortho in [
        (30, 35, 1.0, False),
        (-120, -20, 1.0, False),
        (70, 10, 0.3, False),
        (200, 60, 1.0, True),
    ]:
        camera = Camera(yaw=yaw, pitch=pitch, ortho=ortho)
        camera.frame(mesh.bounds(), 4 / 3)
        camera.zoom(zoom)
        cameras.append(camera)
    return cameras


def test_spatial_order_keeps_every_triangle_and_its_winding() -> None:
    mesh = _bumpy_sphere(3)
    faces, old_vertex = spatial_order(mesh.vertices, mesh.faces)
    assert sorted(old_vertex.tolist()) == list(range(mesh.vertex_count))
    assert _canonical(old_vertex[faces]) == _canonical(mesh.faces)
    first_use = np.unique(faces.ravel(), return_index=True)[1]
    assert (np.diff(first_use) > 0).all(), "vertices are numbered in the order the triangles first use them"


def test_every_triangle_facing_the_eye_in_view_is_drawn() -> None:
    mesh = _bumpy_sphere()
    faces, old_vertex = spatial_order(mesh.vertices, mesh.faces)
    positions = mesh.vertices[old_vertex].astype(np.float64)
    clusters = Clusters.of(positions, faces, size=64)  # tight cones on this small bumpy sphere
    corners = positions[faces]
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    for camera in _cameras(mesh):
        view = camera.view_matrix().astype(np.float64)
        projection = camera.projection_matrix(4 / 3, mesh.diagonal() / 2).astype(np.float64)
        if camera.ortho:
            facing = normals @ camera.rotation()[2] > 0
        else:
            facing = np.einsum("ij,ij->i", normals, camera.eye() - corners[:, 0]) > 0
        clip = np.einsum(
            "ij,tkj->tki", projection @ view, np.concatenate([corners, np.ones((*corners.shape[:2], 1))], 2)
        )
        outside = [
            (clip[..., axis] > clip[..., 3]).all(1) | (clip[..., axis] < -clip[..., 3]).all(1)
            for axis in range(3)
        ]
        shown = facing & ~np.logical_or.reduce(outside)
        drawn = np.zeros(len(faces), dtype=bool)
        for first, count in zip(*clusters.visible_runs(view, projection), strict=True):
            drawn[first // 3 : (first + count) // 3] = True
        assert drawn[shown].all(), f"{np.count_nonzero(shown & ~drawn)} triangles that show were skipped"
        assert drawn.mean() < 0.8, f"only {1 - drawn.mean():.0%} of the triangles were skipped"


def test_no_triangles_and_a_broken_vertex_cull_nothing_they_should_not() -> None:
    camera = Camera()
    view, projection = camera.view_matrix(), camera.projection_matrix(4 / 3)
    faces, old_vertex = spatial_order(np.zeros((3, 3)), np.zeros((0, 3), dtype=np.int32))
    assert len(faces) == len(old_vertex) == 0
    first, count = Clusters.of(np.zeros((0, 3)), faces).visible_runs(view, projection)
    assert len(first) == len(count) == 0
    mesh = _bumpy_sphere(2)
    positions = mesh.vertices.copy()
    positions[0] = np.nan
    faces, old_vertex = spatial_order(positions, mesh.faces)
    clusters = Clusters.of(positions[old_vertex], faces, size=16)
    runs = clusters.visible_runs(view, projection)
    broken = np.flatnonzero((old_vertex[faces] == 0).any(axis=1)) // 16
    assert all(any(f <= b * 48 < f + c for f, c in zip(*runs, strict=True)) for b in broken)


@pytest.fixture
def every_triangle(monkeypatch):
    """Makes the renderer draw every triangle, as it did before cluster culling."""

    def use(enabled: bool) -> None:
        if enabled:
            monkeypatch.setattr(
                Clusters,
                "visible_runs",
                lambda self, view, projection: (np.array([0]), np.array([self.triangles * 3])),
            )
        else:
            monkeypatch.undo()

    return use


def test_the_viewport_shows_the_same_pixels_as_drawing_every_triangle(viewport, grab, every_triangle):
    mesh = _bumpy_sphere()
    viewport.set_lodset(LodSet("bumpy", [Lod(0, mesh)], Material()))
    for wireframe in (False, True):
        viewport.set_wireframe(wireframe)
        for camera in _cameras(mesh):
            viewport.camera.yaw, viewport.camera.pitch, viewport.camera.ortho = (
                camera.yaw,
                camera.pitch,
                camera.ortho,
            )
            viewport.camera.target, viewport.camera.distance = camera.target, camera.distance
            culled = grab(viewport)
            every_triangle(True)
            whole = grab(viewport)
            every_triangle(False)
            assert (whole != whole[:1, :1]).any(axis=-1).mean() > 0.1, "the mesh is in view"
            assert np.array_equal(culled, whole), (
                f"{np.count_nonzero((culled != whole).any(-1))} pixels differ"
            )

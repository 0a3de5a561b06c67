"""The paint model's condition pictures, drawn by our rasteriser: hy3dgen 2.0.2's colour conventions
(re-derived here from its renderer's formulas, not by running it) and a pixel-exact match with the
cameras the bake projects the painted views back through."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from app.core.imaging import FramedImage
from app.core.mesh.cleanup import weld
from app.core.mesh.types import Mesh
from app.core.render.raster import rasterize
from app.core.texture.bake import View, bake
from app.core.texture.paint_cameras import PAINT_BORDER, PAINT_CAMERAS, render_conditions
from app.core.texture.unwrap import unwrap

CENTRE = np.array([0.3, 1.2, -0.4])


def _box(cells: int = 4) -> Mesh:
    """A cube of half-side 1 around CENTRE, each side a grid of `cells` × `cells` quads, wound
    outward; the middle of a side has only flat surroundings, so its smooth normal is the side's."""
    vertices: list[tuple[float, ...]] = []
    faces: list[tuple[int, int, int]] = []
    grid = np.linspace(-1.0, 1.0, cells + 1)
    for axis in range(3):
        for sign in (-1.0, 1.0):
            u, v = [a for a in range(3) if a != axis]
            base = len(vertices)
            for a in grid:
                for b in grid:
                    point = [0.0, 0.0, 0.0]
                    point[axis], point[u], point[v] = sign, a, b
                    vertices.append(tuple(point))
            for i in range(cells):
                for j in range(cells):
                    p, q = base + i * (cells + 1) + j, base + (i + 1) * (cells + 1) + j
                    faces += [(p, q, q + 1), (p, q + 1, p + 1)]
    welded, welded_faces, _ = weld(
        np.array(vertices, np.float32) + CENTRE.astype(np.float32), np.array(faces)
    )
    mesh = Mesh(welded, welded_faces.astype(np.int32))
    centres = mesh.vertices[mesh.faces].mean(axis=1) - CENTRE
    normals = np.cross(*(mesh.vertices[mesh.faces[:, k]] - mesh.vertices[mesh.faces[:, 0]] for k in (1, 2)))
    inward = np.einsum("ij,ij->i", normals, centres) < 0
    mesh.faces[inward] = mesh.faces[inward][:, ::-1]
    return mesh


def _facing(mesh: Mesh, point: np.ndarray) -> int:
    """A face that holds `point` (on the cube's surface)."""
    corners = mesh.vertices[mesh.faces].astype(np.float64)
    distance = np.linalg.norm(corners.mean(axis=1) - point, axis=1)
    return int(np.argmin(distance))


def _sphere(rows: int = 24, cols: int = 48) -> Mesh:
    theta = np.linspace(0, np.pi, rows + 1)
    phi = np.linspace(0, 2 * np.pi, cols, endpoint=False)
    t, p = np.meshgrid(theta, phi, indexing="ij")
    points = np.stack([np.sin(t) * np.cos(p), np.cos(t), np.sin(t) * np.sin(p)], axis=-1).reshape(-1, 3)
    faces = []
    for r in range(rows):
        for c in range(cols):
            a, b = r * cols + c, r * cols + (c + 1) % cols
            d, e = a + cols, b + cols
            faces += [(a, b, e), (a, e, d)]
    vertices, welded, _ = weld(
        points.astype(np.float32) * np.float32(0.8) + CENTRE.astype(np.float32), np.array(faces)
    )
    keep = (welded[:, 0] != welded[:, 1]) & (welded[:, 1] != welded[:, 2]) & (welded[:, 0] != welded[:, 2])
    mesh = Mesh(vertices, welded[keep].astype(np.int32))
    v = mesh.vertices.astype(np.float64)
    if (
        np.einsum("ij,ij->i", v[mesh.faces[:, 0]], np.cross(v[mesh.faces[:, 1]], v[mesh.faces[:, 2]])).sum()
        < 0
    ):
        mesh = Mesh(mesh.vertices, mesh.faces[:, ::-1].copy())
    return mesh


def _hy3dgen_colours(mesh: Mesh, point: np.ndarray, face: int) -> tuple[np.ndarray, np.ndarray]:
    """hy3dgen 2.0.2's normal and position colours of `point` on `face`, from its own formulas:
    `MeshRender.set_mesh` negates x and y and swaps y and z, centres the box and scales the farthest
    vertex to 1.15 / 2; `render_normal(use_abs_coor=True)` takes the cross product of the moved
    triangle's edges; `render_position` gives 0.5 - p / 1.15."""
    moved = mesh.vertices.astype(np.float64).copy()
    moved[:, [0, 1]] = -moved[:, [0, 1]]
    moved[:, [1, 2]] = moved[:, [2, 1]]
    centre = (moved.max(axis=0) + moved.min(axis=0)) / 2
    scale = np.linalg.norm(moved - centre, axis=1).max() * 2.0
    moved = (moved - centre) * (1.15 / scale)
    a, b, c = moved[mesh.faces[face]]
    normal = np.cross(b - a, c - a)
    normal /= np.linalg.norm(normal)
    p = np.array([-point[0], point[2], -point[1]]) - centre
    return (normal + 1) * 0.5, 0.5 - p * (1.15 / scale) / 1.15


@pytest.mark.parametrize(
    ("camera", "point"),
    [
        ("front", (0.0, 0.0, 1.0)),
        ("back", (0.0, 0.0, -1.0)),
        ("right", (1.0, 0.0, 0.0)),
        ("left", (-1.0, 0.0, 0.0)),
        ("top", (0.0, 1.0, 0.0)),
        ("bottom", (0.0, -1.0, 0.0)),
    ],
)
def test_each_camera_sees_its_side_in_hy3dgens_colours(camera: str, point: tuple[float, ...]) -> None:
    mesh = _box()
    conditions = render_conditions(mesh, 96)
    index = [c.name for c in PAINT_CAMERAS].index(camera)
    on_surface = np.asarray(point) + CENTRE
    normal, position = _hy3dgen_colours(mesh, on_surface, _facing(mesh, on_surface))
    drawn_normal = conditions.normals[index][48, 48] * 2 - 1  # smooth normals: compare directions
    drawn_normal /= np.linalg.norm(drawn_normal)
    assert np.allclose(drawn_normal, normal * 2 - 1, atol=0.02), (camera, drawn_normal, normal)
    drawn_position = conditions.positions[index][48, 48]
    assert np.allclose(drawn_position, position, atol=0.02), (camera, drawn_position, position)
    assert np.allclose(conditions.normals[index][2, 2], 1.0) and conditions.coverage[index][2, 2] == 0.0


def test_the_farthest_vertex_sits_at_hy3dgens_framing() -> None:
    conditions = render_conditions(_box(), 240)
    row = conditions.coverage[0][120]
    width = float(row.sum())
    # a cube's farthest corner is sqrt(3) half-sides away; hy3dgen puts it at 1.15 of a 1.2-wide window
    assert width == pytest.approx(240 * (1 - PAINT_BORDER) / np.sqrt(3), abs=1.5)


def test_image_up_and_right_follow_the_named_cameras() -> None:
    """Positions tell where a pixel is on the mesh: +Y at the top of the side views, the back (-Z) at
    the top of the top and bottom views, +X on the right of the front, top and bottom-left views."""
    conditions = render_conditions(_box(), 64)
    red, green, blue = (conditions.positions[..., c] for c in range(3))  # (x, -z, y) around the centre
    names = [c.name for c in PAINT_CAMERAS]
    for name in ("front", "back", "left", "right"):
        i = names.index(name)
        assert blue[i][20, 32] > blue[i][44, 32], f"{name}: up is not +Y"
    assert red[names.index("front")][32, 44] > red[names.index("front")][32, 20]
    assert red[names.index("back")][32, 44] < red[names.index("back")][32, 20]
    for name in ("top", "bottom"):
        i = names.index(name)
        assert green[i][20, 32] > green[i][44, 32], f"{name}: the back is not at the top"
    assert red[names.index("top")][32, 44] > red[names.index("top")][32, 20]
    assert red[names.index("bottom")][32, 44] < red[names.index("bottom")][32, 20]


def test_baking_the_position_pictures_gives_back_each_texels_position() -> None:
    """If a painted view and the bake disagreed about a camera by a pixel or a mirror, the baked
    positions would not be the texels' own."""
    mesh = unwrap(_sphere(), 256)
    conditions = render_conditions(mesh, 128)
    views = []
    for i, camera in enumerate(PAINT_CAMERAS):
        inside = ndimage.minimum_filter(conditions.coverage[i], size=5, mode="constant")
        rgb = np.clip(conditions.positions[i] * 255 + 0.5, 0, 255).astype(np.uint8)
        views.append(
            View(
                camera.name,
                FramedImage(rgb, inside, (0, 0, 128, 128), 1.0, (0.0, 0.0)),
                "farthest",
                PAINT_BORDER,
            )
        )
    texture = bake(mesh, views, 256, back="fill")
    cov = rasterize(mesh.uvs * np.float32(256), mesh.faces, (256, 256))
    points = np.einsum("kj,kjc->kc", cov.bary, mesh.vertices.astype(np.float64)[mesh.faces[cov.faces]])
    lo, hi = mesh.vertices.min(axis=0), mesh.vertices.max(axis=0)
    centre = (lo + hi) / 2
    radius = np.linalg.norm(mesh.vertices - centre, axis=1).max()
    offset = (points - centre) / (2 * radius)
    expected = 255 * (0.5 + np.stack([offset[:, 0], -offset[:, 2], offset[:, 1]], axis=1))
    got = texture.reshape(-1, 3)[cov.pixels].astype(np.float64)
    error = np.abs(got - expected).max(axis=1)
    assert np.median(error) < 3 and np.percentile(error, 95) < 10, (
        np.median(error),
        np.percentile(error, 95),
    )

"""The software renderer: coverage without cracks or overlaps, depth order, culling, views,
framing that matches the preprocessing, texture sampling and thumbnails."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.mesh.types import Lod, LodSet, Material, Mesh
from app.core.render.camera import FRAMING_BORDER, project
from app.core.render.raster import rasterize
from app.core.render.soft import render, render_thumbnail

_FACE_COLOURS = {
    "+x": (255, 0, 0),
    "-x": (0, 255, 0),
    "+y": (0, 0, 255),
    "-y": (255, 255, 0),
    "+z": (255, 0, 255),
    "-z": (0, 255, 255),
}


def _coloured_box(size: tuple[float, float, float] = (1.0, 2.0, 0.5)) -> tuple[Mesh, Material]:
    """A box whose six faces each map to one solid colour of a 6×1 texture (counter-clockwise
    from outside, as the mesh model requires)."""
    hx, hy, hz = (s / 2 for s in size)
    quads = {
        "+x": [(hx, -hy, hz), (hx, -hy, -hz), (hx, hy, -hz), (hx, hy, hz)],
        "-x": [(-hx, -hy, -hz), (-hx, -hy, hz), (-hx, hy, hz), (-hx, hy, -hz)],
        "+y": [(-hx, hy, hz), (hx, hy, hz), (hx, hy, -hz), (-hx, hy, -hz)],
        "-y": [(-hx, -hy, -hz), (hx, -hy, -hz), (hx, -hy, hz), (-hx, -hy, hz)],
        "+z": [(-hx, -hy, hz), (hx, -hy, hz), (hx, hy, hz), (-hx, hy, hz)],
        "-z": [(hx, -hy, -hz), (-hx, -hy, -hz), (-hx, hy, -hz), (hx, hy, -hz)],
    }
    vertices, faces, uvs = [], [], []
    texture = np.zeros((1, 6, 3), dtype=np.uint8)
    for i, (name, quad) in enumerate(quads.items()):
        base = len(vertices)
        vertices += quad
        uvs += [((i + 0.5) / 6, 0.5)] * 4
        faces += [(base, base + 1, base + 2), (base, base + 2, base + 3)]
        texture[0, i] = _FACE_COLOURS[name]
    return Mesh(np.array(vertices), np.array(faces), uvs=np.array(uvs)), Material(base_color_texture=texture)


def test_two_triangles_of_a_square_cover_each_pixel_exactly_once() -> None:
    points = np.array([[1.0, 1.0], [9.0, 1.0], [9.0, 7.0], [1.0, 7.0]])
    faces = np.array([[0, 3, 2], [0, 2, 1]])
    cov = rasterize(points, faces, (12, 10))
    assert (cov.triangle >= 0).sum() == 8 * 6
    assert (cov.triangle[1:7, 1:9] >= 0).all()
    assert set(np.unique(cov.triangle[1:7, 1:9])) == {0, 1}
    assert np.allclose(cov.bary.sum(axis=1), 1.0)


def test_grown_coverage_adds_a_ring_of_pixels_and_never_takes_a_covered_centre() -> None:
    """Two charts ¾ pixel apart: growing by one pixel covers the pixels round each chart, with
    barycentrics on the chart's border, while a pixel whose centre a triangle covers keeps it
    even where a lower-numbered triangle's growth reaches it."""
    square = np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0]])
    points = np.vstack([square + np.array([5.0, 3.0]), square + np.array([9.25, 3.0])])  # columns 5-8, 9-12
    faces = np.array([[0, 3, 2], [0, 2, 1], [4, 7, 6], [4, 6, 5]])
    exact = rasterize(points, faces, (20, 12))
    grown = rasterize(points, faces, (20, 12), grow=1)
    covered, reached = exact.triangle >= 0, grown.triangle >= 0
    assert covered.sum() == 32 and (exact.triangle[3:7, 9] >= 2).all()
    assert np.array_equal(grown.triangle[covered], exact.triangle[covered])
    assert reached[2:8, 4:14].all() and reached.sum() == 6 * 10  # each chart's square grown by one
    assert np.allclose(grown.bary.sum(axis=1), 1.0) and (grown.bary >= 0).all()
    ring = ~covered.ravel()[grown.pixels]
    assert ring.any() and (grown.bary[ring].min(axis=1) < 1e-6).all()  # on an edge or a corner
    with pytest.raises(ValueError, match="without depth"):
        rasterize(points, faces, (20, 12), np.zeros(8), grow=1)


def test_a_triangle_much_larger_than_a_chunk_is_drawn_whole() -> None:
    points = np.array([[-10.0, -10.0], [5000.0, -10.0], [-10.0, 5000.0]])
    cov = rasterize(points, np.array([[0, 2, 1]]), (2100, 1100))
    assert (cov.triangle == 0).all()


def test_nearer_triangle_wins_whatever_the_drawing_order() -> None:
    quad = np.array([[0.0, 0.0], [8.0, 0.0], [8.0, 8.0], [0.0, 8.0]])
    points = np.vstack([quad, quad + 2])
    faces = np.array([[0, 3, 2], [0, 2, 1], [4, 7, 6], [4, 6, 5]])
    for near_second in (True, False):
        depth = np.array([1.0] * 4 + [0.0] * 4) if near_second else np.array([0.0] * 4 + [1.0] * 4)
        cov = rasterize(points, faces, (10, 10), depth)
        overlap = cov.triangle[2:8, 2:8]
        assert ((overlap >= 2) if near_second else (overlap < 2)).all()


def test_back_faces_are_culled() -> None:
    points = np.array([[0.0, 0.0], [8.0, 0.0], [0.0, 8.0]])
    assert (rasterize(points, np.array([[0, 2, 1]]), (8, 8), cull_clockwise=True).triangle >= 0).any()
    assert (rasterize(points, np.array([[0, 1, 2]]), (8, 8), cull_clockwise=True).triangle < 0).all()


@pytest.mark.parametrize(
    ("view", "face"),
    [("front", "+z"), ("back", "-z"), ("right", "+x"), ("left", "-x"), ("top", "+y")],
)
def test_each_view_sees_its_side(view: str, face: str) -> None:
    mesh, material = _coloured_box()
    image = render(mesh, material, size=(64, 64), view=view)
    assert tuple(image[32, 32, :3]) == _FACE_COLOURS[face]
    assert image[32, 32, 3] == 255
    assert image[0, 0, 3] == 0


def test_three_quarter_view_shows_front_right_and_top() -> None:
    mesh, material = _coloured_box((1.0, 1.0, 1.0))
    image = render(mesh, material, size=(96, 96), view="three-quarter")
    seen = {tuple(c) for c in image[image[..., 3] > 0][:, :3]}
    assert {_FACE_COLOURS[f] for f in ("+z", "+x", "+y")} <= seen
    assert not seen & {_FACE_COLOURS[f] for f in ("-z", "-x", "-y")}


def test_front_fit_framing_is_the_preprocessing_framing() -> None:
    """The box's longer side spans (1 - border) of the image, centred, as frame_subject frames."""
    mesh, material = _coloured_box((1.0, 2.0, 0.5))
    size = 200
    image = render(mesh, material, size=(size, size), view="front")
    rows = np.flatnonzero(image[..., 3].any(axis=1))
    cols = np.flatnonzero(image[..., 3].any(axis=0))
    span = size * (1 - FRAMING_BORDER)
    assert rows[-1] - rows[0] + 1 == pytest.approx(span, abs=1)
    assert cols[-1] - cols[0] + 1 == pytest.approx(span / 2, abs=1)
    assert (rows[0] + rows[-1] + 1) / 2 == pytest.approx(size / 2, abs=0.5)
    assert (cols[0] + cols[-1] + 1) / 2 == pytest.approx(size / 2, abs=0.5)


def test_sphere_framing_keeps_one_scale_across_views() -> None:
    mesh, _ = _coloured_box((1.0, 2.0, 0.5))
    front = project(mesh.vertices, (100, 100), "front", framing="sphere")
    side = project(mesh.vertices, (100, 100), "right", framing="sphere")
    assert front.scale == pytest.approx(side.scale)
    assert project(mesh.vertices, (100, 100), "right").scale > side.scale


def test_perspective_shows_the_near_face_larger_than_the_far_one() -> None:
    square = np.array([[-1, -1, -5], [1, -1, -5], [1, 1, -5], [-1, 1, -5]], dtype=float)
    far = Mesh(square, np.array([[0, 1, 2], [0, 2, 3]]))
    both = Mesh(
        np.vstack([far.vertices, far.vertices * [1, 1, -1]]),
        np.vstack([far.faces, far.faces + 4]),
    )
    proj = project(both.vertices, (100, 100), "front", ortho=False)
    near_width = np.ptp(proj.points[4:, 0])
    far_width = np.ptp(proj.points[:4, 0])
    assert near_width > far_width * 1.2


def test_lit_shading_darkens_faces_turned_from_the_light_and_flat_colour_ignores_the_texture() -> None:
    mesh, material = _coloured_box((1.0, 1.0, 1.0))
    textured = render(mesh, material, size=(96, 96), view="three-quarter")
    lit = render(mesh, material, size=(96, 96), view="three-quarter", shading="lit")
    inside = textured[..., 3] > 0
    assert (lit[inside][:, :3].astype(int) <= textured[inside][:, :3].astype(int)).all()
    assert (lit[inside][:, :3] != textured[inside][:, :3]).any()
    flat = render(mesh, material, size=(96, 96), view="three-quarter", shading="flat-colour")
    colours = flat[flat[..., 3] > 0][:, :3]
    assert (np.ptp(colours, axis=1) <= 3).all()  # grey clay, no texture colour
    assert len({tuple(c) for c in colours}) == 3  # one shade per visible side


def test_background_and_empty_mesh() -> None:
    empty = Mesh(np.zeros((0, 3)), np.zeros((0, 3)))
    image = render(empty, None, size=(8, 4), background=(10, 20, 30, 255))
    assert image.shape == (4, 8, 4)
    assert (image == [10, 20, 30, 255]).all()


def test_bad_arguments_are_refused_with_the_valid_choices() -> None:
    mesh, material = _coloured_box()
    with pytest.raises(ValueError, match="three-quarter"):
        render(mesh, material, view="sideways")
    with pytest.raises(ValueError, match="flat-colour"):
        render(mesh, material, shading="toon")
    with pytest.raises(ValueError, match="sphere"):
        render(mesh, material, framing="zoom")


def test_thumbnail_is_antialiased_rgba_on_transparency() -> None:
    mesh, material = _coloured_box((1.0, 1.0, 1.0))
    thumb = render_thumbnail(LodSet("box", [Lod(0, mesh)], material), size=48)
    assert thumb.shape == (48, 48, 4)
    assert thumb[0, 0, 3] == 0
    assert thumb[24, 24, 3] == 255
    assert ((thumb[..., 3] > 0) & (thumb[..., 3] < 255)).any()  # soft edges

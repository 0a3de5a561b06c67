"""The viewport draws what it should: pixels read back from the real viewport on llvmpipe."""

from __future__ import annotations

import numpy as np
from gl_meshes import box, lodset_of, sphere, textured_quad

from app.core.mesh.types import Mesh
from app.ui.viewport.gl_widget import ViewportWidget
from app.ui.viewport.renderer import Shading


def _foreground(image: np.ndarray, background: np.ndarray) -> np.ndarray:
    return np.abs(image.astype(int) - background.astype(int)).max(axis=2) > 12


def _projected_rect(widget: ViewportWidget, points: np.ndarray) -> tuple[float, float, float, float]:
    """Pixel rectangle (left, top, right, bottom) spanned by `points` under the widget's camera."""
    camera = widget.camera
    projection = camera.projection_matrix(widget.width() / widget.height(), 1.0)
    clip = (projection @ camera.view_matrix() @ np.c_[points, np.ones(len(points))].T).T
    ndc = clip[:, :2] / clip[:, 3:]
    x = (ndc[:, 0] + 1) / 2 * widget.width()
    y = (1 - ndc[:, 1]) / 2 * widget.height()
    return x.min(), y.min(), x.max(), y.max()


def test_mesh_is_drawn_where_the_camera_puts_it(viewport, grab):
    background = grab(viewport)
    mesh = box()
    viewport.set_lodset(lodset_of(mesh))
    viewport.set_view("front")
    viewport.set_shading(Shading.SOLID)
    image = grab(viewport)
    mask = _foreground(image, background)
    rows, cols = np.nonzero(mask)
    left, top, right, bottom = _projected_rect(viewport, mesh.vertices)
    assert abs(cols.min() - left) <= 1.5 and abs(cols.max() + 1 - right) <= 1.5
    assert abs(rows.min() - top) <= 1.5 and abs(rows.max() + 1 - bottom) <= 1.5
    inside = mask[round(top) + 1 : round(bottom) - 1, round(left) + 1 : round(right) - 1]
    assert inside.all()
    assert mask.sum() < mask.size * 0.6  # the box, not a screen-filling accident


def test_empty_viewport_shows_the_vertical_gradient(viewport, grab):
    image = grab(viewport).astype(int)
    assert (image[2].mean(axis=0) > image[-3].mean(axis=0) + 20).all()
    assert np.ptp(image[60], axis=0).max() <= 1  # no horizontal variation


def test_grid_is_drawn_on_the_ground(viewport, grab):
    viewport.set_lodset(None)
    viewport.set_view("top")
    plain = grab(viewport)
    viewport.set_grid_visible(True)
    with_grid = grab(viewport)
    assert _foreground(with_grid, plain).mean() > 0.02
    red = (with_grid[..., 0].astype(int) - with_grid[..., 2]) > 60
    blue = (with_grid[..., 2].astype(int) - with_grid[..., 0]) > 60
    assert red.any() and blue.any()  # the X and Z axes


def test_wireframe_overlay_differs_from_solid_only_on_the_mesh(viewport, grab):
    viewport.set_lodset(lodset_of(sphere(2)))
    viewport.set_shading(Shading.SOLID)
    background_mask = _foreground(grab(viewport), grab_background(viewport, grab))
    solid = grab(viewport)
    viewport.set_wireframe(True)
    wire = grab(viewport)
    changed = _foreground(wire, solid)
    assert changed.sum() > 0.1 * background_mask.sum()
    assert not (changed & ~_dilate(background_mask)).any()
    assert wire[changed].mean() < solid[changed].mean() - 30  # dark edges over the lit surface


def grab_background(viewport, grab) -> np.ndarray:
    lodset = viewport.lodset
    viewport.set_lodset(None, frame=False)
    background = grab(viewport)
    viewport.set_lodset(lodset, frame=False)
    return background


def _dilate(mask: np.ndarray) -> np.ndarray:
    grown = mask.copy()
    grown[1:] |= mask[:-1]
    grown[:-1] |= mask[1:]
    grown[:, 1:] |= mask[:, :-1]
    grown[:, :-1] |= mask[:, 1:]
    return grown


def test_switching_lod_changes_the_silhouette(viewport, grab, qtbot):
    viewport.set_lodset(lodset_of(sphere(3), sphere(0), errors=[0.0, 8.0]))
    viewport.set_shading(Shading.SOLID)
    fine = grab(viewport)
    with qtbot.waitSignal(viewport.sig_lod_changed) as blocker:
        viewport.set_lod(1)
    assert blocker.args == [1]
    coarse = grab(viewport)
    assert _foreground(coarse, fine).sum() > 50
    viewport.set_lod(0)
    assert np.array_equal(grab(viewport), fine)


def test_texture_is_sampled_with_gltf_uv_orientation(viewport, grab):
    texture = np.zeros((8, 8, 3), dtype=np.uint8)
    texture[:4] = (220, 30, 30)  # top half of the image red
    texture[4:] = (30, 200, 30)  # bottom half green
    viewport.set_lodset(lodset_of(textured_quad(), texture=texture))
    viewport.set_view("front")
    image = grab(viewport).astype(int)
    left, top, right, bottom = (round(v) for v in _projected_rect(viewport, textured_quad().vertices))
    x = (left + right) // 2
    upper, lower = image[top + (bottom - top) // 4, x], image[bottom - (bottom - top) // 4, x]
    assert upper[0] > upper[1] + 60, upper
    assert lower[1] > lower[0] + 60, lower
    viewport.set_shading(Shading.SOLID)
    grey = grab(viewport).astype(int)[top + (bottom - top) // 4, x]
    assert np.ptp(grey) < 12, grey


def test_normals_and_matcap_modes(viewport, grab):
    viewport.set_lodset(lodset_of(textured_quad()))
    viewport.set_view("front")
    viewport.set_shading(Shading.NORMALS)
    centre = grab(viewport)[60, 80].astype(int)
    assert np.allclose(centre, (128, 128, 255), atol=4), centre  # +Z normal
    viewport.set_shading(Shading.MATCAP)
    matcap = grab(viewport)[60, 80].astype(int)
    assert matcap[0] > matcap[2] + 20, matcap  # warm clay, not the normal colour


def test_back_faces_are_culled_unless_asked_for(viewport, grab):
    viewport.set_lodset(lodset_of(textured_quad()))
    viewport.set_view("back")
    background = grab_background(viewport, grab)
    assert not _foreground(grab(viewport), background).any()
    viewport.set_back_faces(True)
    assert _foreground(grab(viewport), background).mean() > 0.1


def test_resize_keeps_the_mesh_centred(viewport, grab):
    viewport.set_lodset(lodset_of(sphere(2)))
    viewport.set_view("front")
    viewport.resize(200, 80)
    viewport.frame()
    image = grab(viewport)
    assert image.shape[:2] == (80, 200)
    rows, cols = np.nonzero(_foreground(image, grab_background(viewport, grab)))
    assert abs((cols.min() + cols.max()) / 2 - 100) <= 2
    assert abs((rows.min() + rows.max()) / 2 - 40) <= 2


def test_oblique_view_matches_the_camera_matrices(viewport, grab):
    """From an oblique angle the bounding rectangle of the drawn pixels is that of the projected
    corners: a transposed or mis-ordered matrix would move or mirror it."""
    mesh = box((1.0, 0.3, 0.2))
    viewport.set_lodset(lodset_of(mesh))
    viewport.set_shading(Shading.SOLID)
    background = grab_background(viewport, grab)
    viewport.camera.yaw, viewport.camera.pitch = 50.0, 35.0
    viewport.frame()
    rows, cols = np.nonzero(_foreground(grab(viewport), background))
    left, top, right, bottom = _projected_rect(viewport, mesh.vertices)
    assert abs(cols.min() - left) <= 1.5 and abs(cols.max() + 1 - right) <= 1.5
    assert abs(rows.min() - top) <= 1.5 and abs(rows.max() + 1 - bottom) <= 1.5


def test_nearer_surface_hides_the_farther_whatever_the_draw_order(viewport, grab):
    """Two front-facing quads, the far one drawn last: the depth test must keep the near one."""
    near, far = textured_quad(), textured_quad()
    far_vertices = far.vertices * 2 + np.array([0, -0.5, -0.5])
    vertices = np.vstack([near.vertices, far_vertices])
    faces = np.vstack([near.faces, far.faces + 4])
    uvs = np.vstack([near.uvs * [0.5, 1], far.uvs * [0.5, 1] + [0.5, 0]])  # near: left half, far: right
    texture = np.zeros((4, 4, 3), dtype=np.uint8)
    texture[:, :2] = (220, 30, 30)
    texture[:, 2:] = (30, 200, 30)
    viewport.set_lodset(lodset_of(Mesh(vertices, faces, uvs=uvs), texture=texture))
    viewport.set_view("front")
    centre = grab(viewport)[viewport.height() // 2, viewport.width() // 2].astype(int)
    assert centre[0] > centre[1] + 60, centre  # red: the near quad

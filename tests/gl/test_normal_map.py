"""The viewport shows the baked maps: pixels read back from the real viewport on llvmpipe, and
the same normal-mapped LOD rendered by Blender (its own importer, MikkTSpace and normal-map node)
agrees with ours normal for normal."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from bake_scenes import displaced_sphere, reduced_and_unwrapped
from blender_render import RenderJob, render
from gl_meshes import textured_quad
from scipy import ndimage

from app.core.formats.glb import write_glb
from app.core.mesh.tangents import with_tangents
from app.core.mesh.types import Lod, LodSet, Material, MaterialMaps
from app.core.texture.maps import BakeSettings, bake_maps
from app.ui.viewport.renderer import Shading

VIEW = 1.2
"""Width and height of the orthographic view in metres, in both renderers."""


def _quad_with(normal: tuple[int, int, int], occlusion: int = 255) -> LodSet:
    """The unit quad facing +Z (u along +X, image up along +Y) with a uniform normal map."""
    quad = with_tangents(textured_quad())
    maps = MaterialMaps(
        normal=np.full((8, 8, 3), normal, dtype=np.uint8), occlusion=np.full((8, 8), occlusion, np.uint8)
    )
    return LodSet("quad", [Lod(0, quad)], Material(maps=maps))


def _centre(image: np.ndarray) -> np.ndarray:
    row, column = image.shape[0] // 2, image.shape[1] // 2
    return image[row - 4 : row + 4, column - 4 : column + 4].reshape(-1, 3).mean(axis=0)


def _decoded(rgb: np.ndarray) -> np.ndarray:
    n = rgb.astype(np.float64) / 255 * 2 - 1
    return n / np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-9)


def test_normal_map_bends_the_shading_the_right_way_and_toggles(viewport, grab):
    tilt = np.array([0.6, 0.0, 0.8])  # towards the tangent: +u, which is world +X on this quad
    viewport.set_lodset(_quad_with(tuple(np.rint((tilt * 0.5 + 0.5) * 255).astype(int))))
    viewport.set_view("front")
    viewport.set_shading(Shading.NORMALS)
    bent = _decoded(_centre(grab(viewport)))
    np.testing.assert_allclose(bent, tilt, atol=0.03)
    viewport.set_normal_map(False)
    np.testing.assert_allclose(_decoded(_centre(grab(viewport))), [0, 0, 1], atol=0.03)
    viewport.set_normal_map(True)
    up = np.array([0.0, 0.6, 0.8])  # green +Y: towards the image's top, world +Y here
    viewport.set_lodset(_quad_with(tuple(np.rint((up * 0.5 + 0.5) * 255).astype(int))), frame=False)
    np.testing.assert_allclose(_decoded(_centre(grab(viewport))), up, atol=0.03)


def test_occlusion_darkens_the_ambient_light_and_toggles(viewport, grab):
    viewport.set_view("front")
    viewport.set_shading(Shading.SOLID)
    viewport.set_lodset(_quad_with((128, 128, 255), occlusion=255))
    open_quad = _centre(grab(viewport))
    viewport.set_lodset(_quad_with((128, 128, 255), occlusion=0), frame=False)
    occluded = _centre(grab(viewport))
    assert (occluded < open_quad - 8).all()
    viewport.set_occlusion(False)
    np.testing.assert_allclose(_centre(grab(viewport)), open_quad, atol=1)


def test_viewport_normals_agree_with_blenders(viewport, grab, tmp_path: Path):
    """Our viewport and Blender (Cycles, its own glTF importer and MikkTSpace) shade the same
    normal-mapped low-poly sphere with the same normals; without the map ours is far off."""
    source = displaced_sphere(subdivisions=6)
    low = reduced_and_unwrapped(source, 3000, 1024)
    lod, maps = bake_maps(low, source, 1024, BakeSettings())
    lodset = LodSet("sphere", [Lod(0, lod)], Material(name="M", maps=maps))
    path = tmp_path / "sphere.glb"
    write_glb(lodset, path)
    (blender,) = render([RenderJob(str(path), str(tmp_path / "b.png"), mode="normals", samples=4)])
    size = blender.shape[0]
    viewport.resize(size, size)
    viewport.set_lodset(lodset)
    camera = viewport.camera
    camera.set_view("front")
    camera.ortho = True
    camera.target = np.zeros(3)
    camera.distance = (VIEW / 2) / math.tan(math.radians(camera.fov_y) / 2)
    viewport.set_shading(Shading.NORMALS)
    ours = grab(viewport)
    viewport.set_normal_map(False)
    bare = grab(viewport)
    assert ours.shape[:2] == (size, size)
    inside = ndimage.binary_erosion(blender[..., 3] > 0.99, iterations=3)
    assert inside.mean() > 0.4
    theirs = _decoded(np.rint(blender[..., :3] * 255))[inside]
    with_map = np.degrees(np.arccos(np.clip((_decoded(ours)[inside] * theirs).sum(-1), -1, 1)))
    without = np.degrees(np.arccos(np.clip((_decoded(bare)[inside] * theirs).sum(-1), -1, 1)))
    # Seen here: 0.9° mean (0.8° median; 8-bit colours alone are ~0.5°) with the map, 7.6° without.
    assert np.median(with_map) < 1.5 and with_map.mean() < 2.0, (np.median(with_map), with_map.mean())
    assert without.mean() > 4 * with_map.mean(), (without.mean(), with_map.mean())

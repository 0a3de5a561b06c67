"""Texture bake acceptance: a front render of the baked mesh reproduces the picture inside the
mask, every texel of the used UV islands is painted, the back is not the picture's backdrop,
multi-view pictures paint their own sides, cancel stops unwrap and bake, and the pipeline and
re-texture write a textured PBR asset."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from app.core.base.cancel import CancelToken
from app.core.base.errors import Cancelled
from app.core.formats.glb_reader import read_glb
from app.core.generation.engines.base import ShapeInput
from app.core.generation.engines.relief import ReliefEngine
from app.core.generation.request import GenerationRequest, JobStatus
from app.core.generation.stages import generate
from app.core.imaging import FramedImage, foreground_mask, frame_subject, load_image
from app.core.mesh.lod import build_lods
from app.core.mesh.types import LodSet, Material, Mesh
from app.core.paths import models_dir
from app.core.render.raster import rasterize
from app.core.render.soft import render
from app.core.texture import bake as bake_module
from app.core.texture.bake import View, bake
from app.core.texture.pipeline import retexture, texture_mesh

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "robot.png"
SIZE = 512


@pytest.fixture(scope="module")
def relief() -> tuple[Mesh, FramedImage]:
    """A small Relief mesh of the sample (~10k triangles) and the picture framed as it was made."""
    image = load_image(SAMPLE)
    framed = frame_subject(image, foreground_mask(image, models_dir(), None), SIZE)
    engine = ReliefEngine()
    params = {"thickness": 0.6, "resolution": 64, "smoothing": 1.5}
    shaped = engine.generate(ShapeInput(framed), params, lambda _f, _m: None, CancelToken())
    return Mesh(shaped.mesh.vertices, shaped.mesh.faces), framed


@pytest.fixture(scope="module")
def baked(relief: tuple[Mesh, FramedImage]) -> tuple[Mesh, Material, FramedImage]:
    mesh, framed = relief
    textured, material = texture_mesh(mesh, [View("front", framed)], SIZE, roughness=0.6, back="fill")
    return textured, material, framed


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / max(mse, 1e-12))


def test_front_render_reproduces_the_picture_inside_the_mask(
    baked: tuple[Mesh, Material, FramedImage],
) -> None:
    """PSNR ≥ 30 dB inside the mask (eroded by 2 px: the mesh outline is a polygon through the
    mask's anti-aliased edge). 30 dB is an RMS error of 8/255, about 3 %: the texture is resampled
    twice (picture → atlas → render) and shows bilinear softening, which costs a few dB; a
    misplaced projection (one pixel shift, a mirrored or wrong-scale picture) drops to ~20 dB."""
    mesh, material, framed = baked
    image = render(mesh, material, size=(SIZE, SIZE), view="front")
    inside = ndimage.binary_erosion(framed.alpha > 0.99, iterations=2) & (image[..., 3] == 255)
    assert inside.sum() > 0.3 * (framed.alpha > 0.5).sum()
    assert _psnr(image[..., :3][inside], framed.rgb[inside]) >= 30.0
    shifted = np.roll(framed.rgb, 2, axis=1)
    assert _psnr(image[..., :3][inside], shifted[inside]) < 30.0  # the threshold can fail


def test_every_texel_of_the_used_uv_islands_is_painted(relief: tuple[Mesh, FramedImage]) -> None:
    """A subject of one colour: every texel inside the islands, seen or filled, comes out that colour."""
    mesh, framed = relief
    red = FramedImage(np.zeros_like(framed.rgb), framed.alpha, framed.crop_box, framed.scale, framed.offset)
    red.rgb[...] = (200, 30, 40)
    textured, material = texture_mesh(mesh, [View("front", red)], 256, back="fill")
    islands = rasterize(textured.uvs * 256, textured.faces, (256, 256)).triangle >= 0
    texels = material.base_color_texture[islands].astype(int)
    assert islands.sum() > 0.3 * islands.size
    assert np.abs(texels - [200, 30, 40]).max() <= 2
    assert np.abs(material.base_color_texture.astype(int) - [200, 30, 40]).max() <= 2  # gutter too


@pytest.mark.parametrize("back", ["fill", "mirror"])
def test_back_is_not_the_pictures_backdrop(relief: tuple[Mesh, FramedImage], back: str) -> None:
    mesh, framed = relief
    textured, material = texture_mesh(mesh, [View("front", framed)], 256, back=back)
    image = render(textured, material, size=(256, 256), view="back")
    seen = image[image[..., 3] == 255][:, :3].astype(int)
    backdrop = framed.rgb[framed.alpha < 0.01].astype(int).mean(axis=0)  # black in the framed picture
    near_backdrop = np.abs(seen - backdrop).max(axis=1) < 24
    assert near_backdrop.mean() < 0.02
    assert seen.mean() > 150  # the robot is white; its back is filled from its white shell
    if back == "mirror":
        front = render(textured, material, size=(256, 256), view="front")
        assert _psnr(image[..., :3], front[:, ::-1, :3]) > 25  # the picture seen through from behind


def _quad_box() -> Mesh:
    from test_render import _coloured_box

    return _coloured_box((1.0, 1.0, 1.0))[0]


def _framed_view(mesh: Mesh, colour: tuple[int, int, int], view: str) -> FramedImage:
    image = render(
        mesh, Material(base_color_factor=(*(c / 255 for c in colour), 1.0)), size=(128, 128), view=view
    )
    rgb = np.zeros((128, 128, 3), dtype=np.uint8)
    rgb[...] = colour
    return FramedImage(rgb, image[..., 3] / 255.0, (0, 0, 128, 128), 1.0, (0.0, 0.0))


def test_each_view_paints_what_it_sees(relief: tuple[Mesh, FramedImage]) -> None:
    box = _quad_box()
    colours = {"front": (220, 40, 40), "back": (40, 40, 220), "left": (40, 200, 40), "right": (230, 200, 30)}
    views = [View(name, _framed_view(box, colour, name)) for name, colour in colours.items()]
    textured, material = texture_mesh(box, views, 256)
    for name, colour in colours.items():
        image = render(textured, material, size=(64, 64), view=name)
        centre = image[20:44, 20:44, :3].reshape(-1, 3).astype(int)
        assert np.abs(centre - colour).max() <= 8, name  # bilinear blending near chart edges


def test_cancel_stops_the_unwrap_and_kills_its_process(relief: tuple[Mesh, FramedImage]) -> None:
    mesh, framed = relief
    cancel = CancelToken()

    def progress(_fraction: float, message: str) -> None:
        if message.startswith("unwrapping"):
            cancel.cancel()

    with pytest.raises(Cancelled):
        texture_mesh(mesh, [View("front", framed)], 256, progress=progress, cancel=cancel)
    assert not [child for child in multiprocessing.active_children() if child.name == "sweedle-unwrap"]


def test_cancel_stops_the_bake(relief: tuple[Mesh, FramedImage]) -> None:
    mesh, framed = relief
    textured, _ = texture_mesh(mesh, [View("front", framed)], 256)
    cancel = CancelToken()
    steps: list[str] = []

    def progress(_fraction: float, message: str) -> None:
        steps.append(message)
        if message.startswith("projecting"):
            cancel.cancel()

    with pytest.raises(Cancelled):
        bake(textured, [View("front", framed)], 256, cancel=cancel, progress=progress)
    assert "texture baked" not in steps


def test_several_views_trace_each_texel_to_the_surface_once(
    baked: tuple[Mesh, Material, FramedImage], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four views: the atlas is rasterised once and each texel's surface point and normal are
    interpolated once (a further view costs its projection only), and painting in small chunks
    gives the same texture as in one."""
    textured, _, framed = baked
    views = [View(name, framed) for name in ("front", "back", "left", "right")]
    whole = bake(textured, views, 256, back="fill")
    atlas_rasters: list[tuple[int, int]] = []
    traced: list[int] = []
    real_rasterize, real_surface = bake_module.rasterize, bake_module._texel_surface

    def counting_rasterize(points, faces, size, depth=None, **options):  # type: ignore[no-untyped-def]
        if depth is None:
            atlas_rasters.append(size)
        return real_rasterize(points, faces, size, depth, **options)

    def counting_surface(attributes, faces, cov, part):  # type: ignore[no-untyped-def]
        traced.append(part.stop - part.start)
        return real_surface(attributes, faces, cov, part)

    monkeypatch.setattr(bake_module, "rasterize", counting_rasterize)
    monkeypatch.setattr(bake_module, "_texel_surface", counting_surface)
    monkeypatch.setattr(bake_module, "TEXEL_CHUNK", 5000)
    chunked = bake(textured, views, 256, back="fill")
    atlas = real_rasterize(textured.uvs * 256, textured.faces, (256, 256), grow=bake_module.TEXEL_GROWTH)
    covered = int((atlas.triangle >= 0).sum())
    assert atlas_rasters == [(256, 256)]
    assert len(traced) > 2 and sum(traced) == covered
    assert np.array_equal(chunked, whole)


def test_bad_bake_input_is_refused_clearly(relief: tuple[Mesh, FramedImage]) -> None:
    mesh, framed = relief
    with pytest.raises(ValueError, match="unwrap it first"):
        bake(mesh, [View("front", framed)], 256)
    with pytest.raises(ValueError, match="three-quarter"):
        bake(_quad_box(), [View("above", framed)], 256)


def test_pipeline_bakes_and_writes_a_pbr_texture_every_lod_shares(tmp_path: Path) -> None:
    request = GenerationRequest(
        SAMPLE, lods=(), texture_size=256, roughness=0.4, bake="always", params={"resolution": 48}
    )
    stages: list[str] = []
    result = generate(request, tmp_path / "robot.glb", on_progress=lambda p: stages.append(p.stage))
    assert result.status is JobStatus.DONE, result.message
    assert "texture" in stages and stages.index("texture") < stages.index("lods")
    lodset = read_glb(tmp_path / "robot.glb")
    assert lodset.material.roughness == pytest.approx(0.4)
    assert lodset.material.metallic == 0.0
    assert lodset.material.base_color_texture.shape == (256, 256, 3)
    assert all(lod.mesh.uvs is not None for lod in lodset.lods)


def test_pipeline_cancel_during_the_texture_stage_writes_nothing(tmp_path: Path) -> None:
    cancel = CancelToken()

    def progress(p: object) -> None:
        if getattr(p, "stage", "") == "texture" and getattr(p, "fraction", 0) > 0:
            cancel.cancel()

    request = GenerationRequest(SAMPLE, lods=(), texture_size=256, bake="always", params={"resolution": 48})
    result = generate(request, tmp_path / "robot.glb", on_progress=progress, cancel=cancel)
    assert result.status is JobStatus.CANCELLED
    assert not list(tmp_path.iterdir())


def test_retexture_keeps_the_mesh_and_rebuilds_lods(relief: tuple[Mesh, FramedImage]) -> None:
    mesh, _ = relief
    lodset = LodSet("robot", build_lods(mesh, [mesh.triangle_count // 2], measure_samples=0), Material())
    out = retexture(lodset, SAMPLE, 256, roughness=0.7)
    assert out.material.base_color_texture.shape == (256, 256, 3)
    assert out.material.roughness == 0.7
    assert out.lod0.triangle_count == mesh.triangle_count
    assert np.array_equal(np.unique(out.lod0.vertices, axis=0), np.unique(mesh.vertices, axis=0))
    assert len(out.lods) == 2 and out.lods[1].mesh.uvs is not None

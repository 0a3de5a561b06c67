"""Image loading, masks and framing: every format quirk a user's file may have, and every refusal."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from app.core.base.cancel import CancelToken
from app.core.base.errors import Cancelled, InputError
from app.core.imaging import (
    MAX_PIXELS,
    MIN_SIDE,
    LoadedImage,
    MaskResult,
    foreground_mask,
    frame_subject,
    load_image,
    loading,
)
from app.core.imaging import mask as mask_module

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "images"
RGB_SAMPLES = ("tsr_poly_fox", "tsr_teapot")


def _png(path: Path, width: int, height: int, bit_depth: int, colour_type: int, raw: bytes) -> Path:
    """A PNG written by hand, for what Pillow cannot write (48-bit RGB) or must not decode."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )
    return path


def _rows(pixels: np.ndarray) -> bytes:
    """PNG scanlines with filter type 0; `pixels` is (H, W[, C]) big-endian or uint8."""
    return b"".join(b"\0" + row.tobytes() for row in pixels)


def _ring_on_backdrop(size: int = 200, backdrop: float | np.ndarray = 127.0) -> np.ndarray:
    """A red ring (a disc with a see-through hole) on a plain backdrop."""
    y, x = np.mgrid[0:size, 0:size] + 0.5
    r = np.hypot(x - size / 2, y - size / 2)
    rgb = np.empty((size, size, 3), dtype=np.float64)
    rgb[:] = np.asarray(backdrop, dtype=np.float64)[..., None] if np.ndim(backdrop) == 2 else backdrop
    rgb[(r < size * 0.35) & (r > size * 0.12)] = (200, 30, 30)
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def _loaded(rgba: np.ndarray, name: str = "synthetic.png") -> LoadedImage:
    has_alpha = bool(rgba[..., 3].min() < 250)
    return LoadedImage(
        rgba=rgba, has_alpha=has_alpha, source_format="PNG", source_mode="RGBA", path=Path(name)
    )


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


# --- loading -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.png")), ids=lambda p: p.stem)
def test_every_sample_loads_as_straight_rgba(path: Path) -> None:
    image = load_image(path)
    with Image.open(path) as source:
        size, mode = source.size, source.mode
    assert image.rgba.dtype == np.uint8 and image.rgba.shape == (size[1], size[0], 4)
    assert image.source_format == "PNG" and image.source_mode == mode and image.path == path
    assert image.has_alpha is (path.stem not in RGB_SAMPLES)
    assert not image.rgba.flags.writeable


def test_palette_transparency_becomes_alpha(tmp_path: Path) -> None:
    p = Image.new("P", (64, 64), 0)
    p.putpalette([0, 0, 0, 255, 0, 0, 0, 0, 255] + [0] * 759)
    p.paste(1, (16, 16, 48, 48))
    p.paste(2, (0, 60, 64, 64))
    path = tmp_path / "pal.png"
    p.save(path, transparency=bytes([0, 255, 128]))
    image = load_image(path)
    assert image.has_alpha and image.source_mode == "P"
    assert image.rgba[0, 0, 3] == 0
    assert tuple(image.rgba[32, 32]) == (255, 0, 0, 255)
    assert tuple(image.rgba[62, 5]) == (0, 0, 255, 128)


def test_unused_transparency_and_opaque_alpha_mean_no_alpha(tmp_path: Path) -> None:
    p = Image.new("P", (40, 40), 1)
    p.putpalette([0, 0, 0, 10, 20, 30] + [0] * 762)
    p.save(tmp_path / "unused.png", transparency=0)
    Image.new("RGBA", (40, 40), (9, 8, 7, 255)).save(tmp_path / "opaque.png")
    assert not load_image(tmp_path / "unused.png").has_alpha
    opaque = load_image(tmp_path / "opaque.png")
    assert not opaque.has_alpha and tuple(opaque.rgba[3, 3]) == (9, 8, 7, 255)


def test_16_bit_grey_is_scaled_not_clipped(tmp_path: Path) -> None:
    grey = np.zeros((32, 40), dtype=">u2")
    grey[:, 10:20], grey[:, 20:30], grey[:, 30:] = 32768, 65535, 1000
    path = _png(tmp_path / "grey16.png", 40, 32, 16, 0, _rows(grey))
    image = load_image(path)
    assert image.source_mode.startswith("I;16")
    assert [int(v) for v in image.rgba[5, [0, 15, 25, 35], 0]] == [0, 128, 255, 4]
    assert tuple(image.rgba[5, 25]) == (255, 255, 255, 255) and not image.has_alpha


def test_16_bit_grey_written_by_pillow(tmp_path: Path) -> None:
    values = np.full((32, 32), 65535, dtype=np.uint16)
    values[:, :16] = 32768
    path = tmp_path / "pillow16.png"
    Image.fromarray(values).save(path)
    assert [int(v) for v in load_image(path).rgba[0, [0, 31], 1]] == [128, 255]


def test_16_bit_rgb_and_rgba_keep_their_colours(tmp_path: Path) -> None:
    rgb = np.zeros((32, 32, 3), dtype=">u2")
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 65535, 32768, 0
    rgb_image = load_image(_png(tmp_path / "rgb16.png", 32, 32, 16, 2, _rows(rgb)))
    assert tuple(rgb_image.rgba[7, 7]) == (255, 128, 0, 255) and not rgb_image.has_alpha
    rgba = np.zeros((32, 32, 4), dtype=">u2")
    rgba[..., 2], rgba[..., 3] = 65535, 32768
    rgba[:16, :, 3] = 0
    rgba_image = load_image(_png(tmp_path / "rgba16.png", 32, 32, 16, 6, _rows(rgba)))
    assert rgba_image.has_alpha
    assert tuple(rgba_image.rgba[20, 3]) == (0, 0, 255, 128) and rgba_image.rgba[3, 3, 3] == 0


def test_grey_alpha_one_bit_and_float_modes(tmp_path: Path) -> None:
    la = Image.new("LA", (32, 32), (200, 255))
    la.paste((50, 0), (0, 0, 32, 8))
    la.save(tmp_path / "la.png")
    image = load_image(tmp_path / "la.png")
    assert image.has_alpha and tuple(image.rgba[20, 5]) == (200, 200, 200, 255) and image.rgba[2, 2, 3] == 0

    bits = Image.new("1", (40, 32), 0)
    bits.paste(1, (20, 0, 40, 32))
    bits.save(tmp_path / "bits.png")
    assert [int(v) for v in load_image(tmp_path / "bits.png").rgba[0, [0, 39], 0]] == [0, 255]

    floats = np.zeros((32, 32), dtype=np.float32)
    floats[:, 16:] = 0.5
    Image.fromarray(floats).save(tmp_path / "float.tif")
    image = load_image(tmp_path / "float.tif")
    assert image.source_mode == "F" and [int(v) for v in image.rgba[0, [0, 31], 0]] == [0, 128]


def test_32_bit_integer_grey_is_read_as_16_bit_data(tmp_path: Path) -> None:
    values = np.zeros((32, 32), dtype=np.int32)
    values[:, 16:] = 40000
    path = tmp_path / "int32.tif"
    Image.fromarray(values).save(path)
    image = load_image(path)
    assert image.source_mode == "I" and [int(v) for v in image.rgba[0, [0, 31], 0]] == [0, 156]


def test_premultiplied_modes_come_out_straight() -> None:
    premultiplied = Image.new("RGBA", (4, 4), (200, 100, 50, 128)).convert("RGBa")
    rgba, had_alpha = loading._to_rgba(premultiplied)
    assert had_alpha and np.abs(np.asarray(rgba)[0, 0].astype(int) - (200, 100, 50, 128)).max() <= 2
    grey = Image.new("LA", (4, 4), (200, 128)).convert("La")
    rgba, had_alpha = loading._to_rgba(grey)
    assert had_alpha and np.abs(np.asarray(rgba)[0, 0].astype(int) - (200, 200, 200, 128)).max() <= 2


def test_cmyk_jpeg_comes_out_in_the_right_colours(tmp_path: Path) -> None:
    cmyk = Image.new("CMYK", (64, 64), (0, 255, 255, 0))  # red
    cmyk.paste((255, 0, 0, 0), (0, 32, 64, 64))  # cyan
    path = tmp_path / "cmyk.jpg"
    cmyk.save(path, quality=95)
    image = load_image(path)
    assert image.source_format == "JPEG" and image.source_mode == "CMYK" and not image.has_alpha
    red, cyan = image.rgba[10, 30, :3].astype(int), image.rgba[50, 30, :3].astype(int)
    assert red[0] > 220 and red[1] < 40 and red[2] < 40
    assert cyan[0] < 40 and cyan[1] > 220 and cyan[2] > 220


@pytest.mark.parametrize(("orientation", "corner"), [(6, (0, -1)), (8, (-1, 0)), (3, (-1, -1))])
def test_exif_orientation_is_applied(orientation: int, corner: tuple[int, int], tmp_path: Path) -> None:
    stored = np.zeros((40, 80, 3), dtype=np.uint8)
    stored[:10, :10] = 255  # mark the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"rotated{orientation}.jpg"
    Image.fromarray(stored).save(path, exif=exif, quality=95)
    rgba = load_image(path).rgba
    assert rgba.shape[:2] == ((40, 80) if orientation == 3 else (80, 40))
    rows = slice(0, 10) if corner[0] == 0 else slice(-10, None)
    cols = slice(0, 10) if corner[1] == 0 else slice(-10, None)
    assert rgba[rows, cols, 0].mean() > 200
    assert rgba[:10, :10, 0].mean() < 50


def test_animated_gif_uses_the_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (48, 48), c) for c in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    image = load_image(path)
    assert image.source_format == "GIF" and tuple(image.rgba[5, 5]) == (255, 0, 0, 255)


@pytest.mark.parametrize(("fmt", "options"), [("WEBP", {"lossless": True}), ("BMP", {}), ("TIFF", {})])
def test_other_formats_load(fmt: str, options: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / f"img.{fmt.lower()}"
    Image.fromarray(_ring_on_backdrop(64)).save(path, format=fmt, **options)
    image = load_image(path)
    assert image.source_format == fmt
    assert tuple(image.rgba[32, 32 + 15]) == (200, 30, 30, 255)
    assert tuple(image.rgba[0, 0]) == (127, 127, 127, 255)


def test_path_with_spaces_and_non_ascii_letters(tmp_path: Path) -> None:
    folder = tmp_path / "été dossier"
    folder.mkdir()
    path = folder / "ça va.png"
    Image.fromarray(_ring_on_backdrop(64)).save(path)
    image = load_image(str(path))
    assert image.path == path and image.rgba.shape == (64, 64, 4)


def test_content_decides_the_format_not_the_extension(tmp_path: Path) -> None:
    path = tmp_path / "really-a-png.jpg"
    Image.fromarray(_ring_on_backdrop(64)).save(path, format="PNG")
    assert load_image(path).source_format == "PNG"


def _bad_file(case: str, tmp: Path) -> tuple[Path, str]:
    """One unusable input and a phrase its message must contain."""
    if case == "text":
        path = tmp / "notes.png"
        path.write_text("hello, this is not a picture\n")
        return path, "looks like a text file"
    if case == "binary":
        path = tmp / "noise.png"
        path.write_bytes(bytes(range(256)) * 4)
        return path, "is not a picture Sweedle can read; Sweedle opens PNG, JPEG, WebP, BMP, TIFF and GIF"
    if case == "truncated":
        path = tmp / "cut.png"
        data = (SAMPLES / "tsr_robot.png").read_bytes()
        path.write_bytes(data[: len(data) // 3])
        return path, "is truncated or corrupt"
    if case == "header-only":
        path = tmp / "stub.png"
        path.write_bytes((SAMPLES / "tsr_robot.png").read_bytes()[:20])
        return path, "is truncated or corrupt"
    if case == "empty":
        path = tmp / "empty.png"
        path.write_bytes(b"")
        return path, "is empty (0 bytes)"
    if case == "huge":
        # Header of a 30000×30000 1-bit PNG with only two rows of data: decoding it would fail
        # as truncated, so the size message proves the refusal came from the header alone.
        path = _png(tmp / "huge.png", 30000, 30000, 1, 0, b"\0" * 3751 * 2)
        return path, "is 30000×30000 (900 megapixels); the limit is 64 megapixels: scale it down first"
    if case == "pillow-warning-zone":
        path = _png(tmp / "big.png", 10000, 10000, 1, 0, b"\0" * 1251)
        return path, "is 10000×10000 (100 megapixels)"
    if case == "just-over":
        path = _png(tmp / "over.png", 8000, 8001, 1, 0, b"\0" * 1001)
        return path, "is 8000×8001 (64.0 megapixels); the limit is 64 megapixels"
    if case == "tiny":
        path = tmp / "tiny.png"
        Image.new("RGB", (1, 1)).save(path)
        return path, "is 1×1 pixels; images must be at least 32 pixels on each side"
    if case == "thin":
        path = tmp / "thin.png"
        Image.new("RGB", (500, 31)).save(path)
        return path, "is 500×31 pixels"
    if case == "folder":
        path = tmp / "folder.png"
        path.mkdir()
        return path, "is a folder, not an image"
    if case == "missing":
        return tmp / "gone.png", "was not found"
    raise AssertionError(case)


BAD_CASES = [
    "text", "binary", "truncated", "header-only", "empty", "huge", "pillow-warning-zone",
    "just-over", "tiny", "thin", "folder", "missing",
]  # fmt: skip


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_files_are_refused_with_a_specific_message(case: str, tmp_path: Path) -> None:
    path, phrase = _bad_file(case, tmp_path)
    with pytest.raises(InputError) as info:
        load_image(path)
    message = str(info.value)
    assert phrase in message, message
    assert message.startswith(path.name) and str(tmp_path) not in message
    assert "\n" not in message and any(sep in message.removeprefix(path.name) for sep in ":;")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "locked.png"
    Image.new("RGB", (40, 40)).save(path)
    path.chmod(0)
    with pytest.raises(InputError, match="permission denied"):
        load_image(path)


def test_file_without_read_permission_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.png"
    Image.new("RGB", (40, 40)).save(path)
    monkeypatch.setattr(loading.os, "access", lambda *args, **kwargs: False)  # as if chmod 0, even as root
    with pytest.raises(InputError, match=r"^locked\.png cannot be read \(permission denied\)"):
        load_image(path)


def test_limits_are_the_documented_ones() -> None:
    assert (MAX_PIXELS, MIN_SIDE) == (64_000_000, 32)


def test_loading_leaves_pillows_global_limit_alone(tmp_path: Path) -> None:
    before = Image.MAX_IMAGE_PIXELS
    path, _ = _bad_file("huge", tmp_path)
    with pytest.raises(InputError):
        load_image(path)
    load_image(SAMPLES / "tsr_robot.png")
    assert before == Image.MAX_IMAGE_PIXELS


# --- mask ----------------------------------------------------------------------------------


def test_alpha_mask_is_the_alpha_channel() -> None:
    image = load_image(SAMPLES / "hunyuan_052.png")
    mask = foreground_mask(image)
    assert mask.method == "alpha" and mask.alpha.dtype == np.float32
    np.testing.assert_array_equal(mask.alpha, image.rgba[..., 3] / np.float32(255))


def test_fully_transparent_image_has_no_subject(tmp_path: Path) -> None:
    path = tmp_path / "clear.png"
    rgba = np.zeros((64, 64, 4), dtype=np.uint8)
    rgba[0, 0] = (255, 255, 255, 255)  # one visible pixel is still nothing to model
    Image.fromarray(rgba).save(path)
    with pytest.raises(InputError, match=r"^clear\.png is fully transparent: there is no subject to model"):
        foreground_mask(load_image(path))


@pytest.mark.parametrize("stem", RGB_SAMPLES)
def test_plain_background_samples_are_cut_out(stem: str) -> None:
    image = load_image(SAMPLES / f"{stem}.png")
    mask = foreground_mask(image)
    assert mask.method == "border-colour"
    assert mask.alpha.dtype == np.float32 and mask.alpha.shape == image.rgba.shape[:2]
    assert mask.alpha.min() >= 0.0 and mask.alpha.max() <= 1.0
    rgb = image.rgba[..., :3].astype(int)
    # Reference: pixels off the (127, 127, 127) backdrop, with specks and fringe opened away.
    reference = ndimage.binary_opening(np.abs(rgb - 127).max(axis=2) > 8, iterations=2)
    predicted = mask.alpha > 0.5
    assert _iou(predicted, reference) >= 0.95
    for edge in (mask.alpha[:4], mask.alpha[-4:], mask.alpha[:, :4], mask.alpha[:, -4:]):
        assert edge.max() == 0.0


def test_teapot_handle_hole_is_background_and_the_pot_is_not() -> None:
    alpha = foreground_mask(load_image(SAMPLES / "tsr_teapot.png")).alpha
    assert alpha[427, 707] == 0.0 and alpha[400:450, 690:720].max() == 0.0  # inside the handle
    assert alpha[437, 436] == 1.0 and alpha[420, 770] == 1.0  # the body, the handle itself


def test_fox_white_parts_stay_and_gaps_between_its_legs_go() -> None:
    image = load_image(SAMPLES / "tsr_poly_fox.png")
    alpha = foreground_mask(image).alpha
    assert tuple(image.rgba[960, 600, :3]) == (247, 249, 248)  # white tail tip
    assert alpha[960, 600] == 1.0 and alpha[978, 541] == 1.0 and alpha[600, 700] == 1.0
    assert alpha[907, 707] == 0.0 and alpha[893, 745] == 0.0  # backdrop seen between the legs
    assert alpha[560, 220] == 0.0


def test_graded_noisy_backdrop_keeps_the_ring_and_its_hole() -> None:
    size = 240
    y, x = np.mgrid[0:size, 0:size]
    rng = np.random.default_rng(7)
    backdrop = 110.0 + 25.0 * x / size + 10.0 * y / size + rng.normal(0, 1.5, (size, size))
    rgb = _ring_on_backdrop(size, backdrop)
    rgba = np.dstack([rgb, np.full((size, size), 255, np.uint8)])
    mask = foreground_mask(_loaded(rgba))
    truth = np.all(rgb == (200, 30, 30), axis=2)
    assert mask.method == "border-colour"
    assert _iou(mask.alpha > 0.5, truth) >= 0.97
    assert mask.alpha[size // 2, size // 2] == 0.0 and mask.alpha[size // 2, int(size * 0.75)] == 1.0


def test_big_pictures_are_keyed_at_a_reduced_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mask_module, "KEY_MAX_PIXELS", 30_000)  # a 480² picture is keyed at 160²
    rgb = _ring_on_backdrop(480)
    mask = foreground_mask(_loaded(np.dstack([rgb, np.full((480, 480), 255, np.uint8)])))
    assert mask.alpha.shape == (480, 480) and mask.alpha.dtype == np.float32
    assert np.count_nonzero((mask.alpha > 0) & (mask.alpha < 1)) > 1000  # a soft, scaled-back edge
    assert _iou(mask.alpha > 0.5, np.all(rgb == (200, 30, 30), axis=2)) >= 0.96
    assert mask.alpha[240, 240] == 0.0 and mask.alpha[240, 360] == 1.0 and mask.alpha[0].max() == 0.0


def test_noise_without_a_subject_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (128, 128, 3), dtype=np.uint8)).save(path)
    with pytest.raises(InputError) as info:
        foreground_mask(load_image(path))
    message = str(info.value)
    assert message.startswith("photo.png: no subject found")
    assert "--mask FILE.png" in message and "mask editor" in message


def test_plain_picture_without_a_subject_is_refused() -> None:
    rgba = np.full((64, 64, 4), 200, dtype=np.uint8)
    rgba[..., 3] = 255
    with pytest.raises(InputError, match=r"^blank\.png: no subject found"):
        foreground_mask(_loaded(rgba, "blank.png"))


def test_a_cancelled_token_stops_the_mask() -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        foreground_mask(load_image(SAMPLES / "tsr_teapot.png"), cancel=token)


# --- framing -------------------------------------------------------------------------------


def _box_subject(width: int = 400, height: int = 300) -> tuple[LoadedImage, MaskResult]:
    """A 100×50 green box at (250, 80) with a 3×3 red marker centred on source pixel (271, 96)."""
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    rgba[..., :3] = 127
    rgba[80:130, 250:350] = (0, 200, 0, 255)
    rgba[95:98, 270:273] = (255, 0, 0, 255)
    rgba[..., 3] = 255
    alpha = np.zeros((height, width), dtype=np.float32)
    alpha[80:130, 250:350] = 1.0
    return _loaded(rgba), MaskResult(alpha, "border-colour")


@pytest.mark.parametrize("size", [256, 512, 1024])
def test_framing_centres_the_box_at_85_percent(size: int) -> None:
    image, mask = _box_subject()
    framed = frame_subject(image, mask, size)
    assert framed.crop_box == (250, 80, 350, 130)
    assert framed.scale == pytest.approx(size * 0.85 / 100)
    assert framed.rgb.shape == (size, size, 3) and framed.rgb.dtype == np.uint8
    assert framed.alpha.shape == (size, size) and framed.alpha.dtype == np.float32
    assert framed.alpha.min() >= 0.0 and framed.alpha.max() <= 1.0
    rows, cols = np.nonzero(framed.alpha > 0.5)
    assert cols.max() - cols.min() + 1 == pytest.approx(size * 0.85, abs=1.5)
    assert rows.max() - rows.min() + 1 == pytest.approx(size * 0.85 / 2, abs=1.5)
    assert (cols.min() + cols.max()) / 2 == pytest.approx((size - 1) / 2, abs=1.0)
    assert (rows.min() + rows.max()) / 2 == pytest.approx((size - 1) / 2, abs=1.0)


def test_framing_mapping_puts_a_known_pixel_where_it_says() -> None:
    image, mask = _box_subject()
    framed = frame_subject(image, mask, 512, border_ratio=0.2)
    redness = np.clip(framed.rgb[..., 0].astype(float) - framed.rgb[..., 1], 0, None)
    rows, cols = np.nonzero(redness > 100)
    weights = redness[rows, cols]
    found = (np.average(cols, weights=weights), np.average(rows, weights=weights))
    expected = (271 * framed.scale + framed.offset[0], 96 * framed.scale + framed.offset[1])
    assert found == pytest.approx(expected, abs=0.5)
    # And the box corners: source pixel (250, 80) is the box's first pixel.
    assert 250 * framed.scale + framed.offset[0] == pytest.approx(512 * 0.1 + (framed.scale - 1) / 2)


def test_framing_keeps_the_colour_and_drops_the_backdrop_fringe() -> None:
    image, mask = _box_subject()
    framed = frame_subject(image, mask, 512)
    marker = ndimage.binary_dilation(framed.rgb[..., 0] > 60, iterations=8) & (framed.rgb[..., 2] < 60)
    visible = (framed.alpha > 0.02) & ~marker
    solid = (framed.alpha > 0.5) & ~marker
    assert solid.sum() > 90_000 and (visible & ~solid).sum() > 1000
    assert framed.rgb[visible][:, [0, 2]].max() <= 2  # no grey backdrop mixed into the rim
    assert np.abs(framed.rgb[solid][:, 1].astype(int) - 200).max() <= 3  # no overshoot either
    assert framed.alpha[0, 0] == 0.0 and framed.alpha[256, 200] == 1.0


def test_framing_a_subject_touching_the_edge_and_a_tall_subject() -> None:
    rgba = np.full((200, 300, 4), 255, dtype=np.uint8)
    alpha = np.zeros((200, 300), dtype=np.float32)
    alpha[:, 10:40] = 1.0  # full height, touching top and bottom
    framed = frame_subject(_loaded(rgba), MaskResult(alpha, "border-colour"), 400, border_ratio=0.15)
    assert framed.crop_box == (10, 0, 40, 200)
    rows, cols = np.nonzero(framed.alpha > 0.5)
    assert rows.max() - rows.min() + 1 == pytest.approx(340, abs=1.5)
    assert cols.max() - cols.min() + 1 == pytest.approx(51, abs=1.5)


@pytest.mark.parametrize("seed", range(8))
def test_framing_any_box_any_size_keeps_the_geometry(seed: int) -> None:
    rng = np.random.default_rng(seed)
    height, width = (int(v) for v in rng.integers(32, 300, 2))
    left, top = int(rng.integers(0, width - 2)), int(rng.integers(0, height - 2))
    right, bottom = int(rng.integers(left + 2, width + 1)), int(rng.integers(top + 2, height + 1))
    alpha = np.zeros((height, width), dtype=np.float32)
    alpha[top:bottom, left:right] = 1.0
    size, ratio = int(rng.integers(64, 700)), float(rng.choice([0.0, 0.1, 0.15, 0.3]))
    rgba = np.full((height, width, 4), 255, dtype=np.uint8)
    framed = frame_subject(_loaded(rgba), MaskResult(alpha, "border-colour"), size, ratio)
    assert framed.crop_box == (left, top, right, bottom)
    rows, cols = np.nonzero(framed.alpha > 0.5)
    longer = max(rows.max() - rows.min(), cols.max() - cols.min()) + 1
    assert longer == pytest.approx(size * (1 - ratio), abs=1.5)
    centre = ((cols.min() + cols.max()) / 2, (rows.min() + rows.max()) / 2)
    assert centre == pytest.approx(((size - 1) / 2, (size - 1) / 2), abs=1.0)
    # The box's centre, in source pixel indices, maps exactly onto the canvas centre.
    mapped = tuple(
        c * framed.scale + o
        for c, o in zip(((left + right - 1) / 2, (top + bottom - 1) / 2), framed.offset, strict=True)
    )
    assert mapped == pytest.approx(((size - 1) / 2, (size - 1) / 2), abs=1e-9)


def test_framing_the_samples_end_to_end() -> None:
    for stem in ("tsr_poly_fox", "hunyuan_052", "sf3d_axe"):
        image = load_image(SAMPLES / f"{stem}.png")
        framed = frame_subject(image, foreground_mask(image), 1024)
        rows, cols = np.nonzero(framed.alpha > 0.5)
        longer = max(rows.max() - rows.min(), cols.max() - cols.min()) + 1
        assert longer == pytest.approx(1024 * 0.85, abs=2), stem


def test_framing_an_empty_mask_is_refused() -> None:
    image, mask = _box_subject()
    with pytest.raises(InputError, match="no subject found"):
        frame_subject(image, MaskResult(np.zeros_like(mask.alpha), "alpha"), 256)

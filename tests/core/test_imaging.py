"""Image loading, masks and framing: every format quirk a user's file may have, and every refusal."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from app.core.errors import InputError
from app.core.imaging import MAX_PIXELS, foreground_mask, frame_subject, load_image

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "images"


def _subject_on_grey(size: int = 200) -> np.ndarray:
    """A red disc with a hole (a ring) on a plain grey background."""
    y, x = np.mgrid[0:size, 0:size]
    r = np.hypot(x - size / 2, y - size / 2)
    rgb = np.full((size, size, 3), 127, dtype=np.uint8)
    rgb[(r < size * 0.35) & (r > size * 0.12)] = (200, 30, 30)
    return rgb


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.png")), ids=lambda p: p.stem)
def test_every_sample_loads_as_rgba(path: Path) -> None:
    image = load_image(path)
    assert image.rgba.dtype == np.uint8 and image.rgba.shape[2] == 4
    rgb_only = path.stem in ("tsr_poly_fox", "tsr_teapot")
    assert image.has_alpha is (not rgb_only)


def test_palette_transparency_becomes_alpha(tmp_path: Path) -> None:
    p = Image.new("P", (64, 64), 0)
    p.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    p.paste(1, (16, 16, 48, 48))
    p.info["transparency"] = 0
    path = tmp_path / "pal.png"
    p.save(path, transparency=0)
    image = load_image(path)
    assert image.has_alpha and image.source_mode == "P"
    assert image.rgba[0, 0, 3] == 0 and tuple(image.rgba[32, 32]) == (255, 0, 0, 255)


def test_16_bit_grey_is_scaled_not_clipped(tmp_path: Path) -> None:
    values = np.zeros((64, 64), dtype=np.uint16)
    values[:, 32:] = 65535
    values[:32, :32] = 32768
    path = tmp_path / "grey16.png"
    Image.fromarray(values).save(path)
    with Image.open(path) as written:
        assert written.mode.startswith("I;16")
    rgba = load_image(path).rgba
    assert rgba[40, 40, 0] == 255 and rgba[10, 10, 0] == 128 and rgba[40, 10, 0] == 0


def test_cmyk_jpeg_comes_out_in_the_right_colours(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    Image.fromarray(_subject_on_grey()).convert("CMYK").save(path, quality=95)
    image = load_image(path)
    assert image.source_mode == "CMYK"
    r, g, b = image.rgba[100, 100 + 45, :3].astype(int)
    assert r > 150 and g < 80 and b < 80


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    array = np.zeros((40, 80, 3), dtype=np.uint8)
    array[:10, :10] = (255, 255, 255)  # marked top-left corner
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    path = tmp_path / "rotated.jpg"
    Image.fromarray(array).save(path, exif=exif, quality=95)
    rgba = load_image(path).rgba
    assert rgba.shape[:2] == (80, 40)
    assert rgba[:10, -10:, 0].mean() > 200 and rgba[:10, :10, 0].mean() < 50


def test_animated_gif_uses_the_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (48, 48), c) for c in ((255, 0, 0), (0, 0, 255))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert tuple(load_image(path).rgba[5, 5, :3]) == (255, 0, 0)


@pytest.mark.parametrize("fmt", ["WEBP", "BMP", "TIFF"])
def test_other_formats_load(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"img.{fmt.lower()}"
    kwargs = {"lossless": True} if fmt == "WEBP" else {}
    Image.fromarray(_subject_on_grey(64)).save(path, format=fmt, **kwargs)
    assert load_image(path).rgba[32 + 15, 32, 0] == 200


def test_path_with_spaces_and_non_ascii_letters(tmp_path: Path) -> None:
    folder = tmp_path / "été dossier"
    folder.mkdir()
    path = folder / "ça va.png"
    Image.fromarray(_subject_on_grey(64)).save(path)
    assert load_image(path).path == path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bad_files(tmp: Path) -> dict[str, tuple[Path, str]]:
    text = tmp / "notes.png"
    text.write_text("hello, not a picture\n")
    robot = (SAMPLES / "tsr_robot.png").read_bytes()
    truncated = tmp / "cut.png"
    truncated.write_bytes(robot[: len(robot) // 3])
    empty = tmp / "empty.png"
    empty.write_bytes(b"")
    huge = tmp / "huge.png"
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 1, 0, 0, 0, 0)
    huge.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\0" * 3751))
        + _png_chunk(b"IEND", b"")
    )
    tiny = tmp / "tiny.png"
    Image.new("RGB", (1, 1)).save(tiny)
    folder = tmp / "folder.png"
    folder.mkdir()
    return {
        "text": (text, "looks like a text file"),
        "truncated": (truncated, "truncated or corrupt"),
        "empty": (empty, "empty (0 bytes)"),
        "huge": (huge, "30000×30000 (900 megapixels)"),
        "tiny": (tiny, "1×1 pixels"),
        "folder": (folder, "is a folder"),
        "missing": (tmp / "gone.png", "no such file"),
    }


@pytest.mark.parametrize("case", ["text", "truncated", "empty", "huge", "tiny", "folder", "missing"])
def test_bad_files_are_refused_with_a_specific_message(case: str, tmp_path: Path) -> None:
    path, phrase = _bad_files(tmp_path)[case]
    with pytest.raises(InputError) as info:
        load_image(path)
    message = str(info.value)
    assert path.name in message and phrase in message, message
    assert "\n" not in message


def test_pixel_cap_is_the_documented_one() -> None:
    assert MAX_PIXELS == 64_000_000


def test_fully_transparent_image_has_no_subject(tmp_path: Path) -> None:
    path = tmp_path / "clear.png"
    Image.new("RGBA", (64, 64), (255, 255, 255, 0)).save(path)
    with pytest.raises(InputError, match="fully transparent"):
        foreground_mask(load_image(path))


def test_opaque_alpha_falls_back_to_the_background_cut(tmp_path: Path) -> None:
    path = tmp_path / "opaque.png"
    Image.fromarray(_subject_on_grey()).convert("RGBA").save(path)
    mask = foreground_mask(load_image(path))
    assert mask.method == "border-colour"


def test_border_colour_mask_cuts_a_ring_including_its_hole(tmp_path: Path) -> None:
    path = tmp_path / "ring.png"
    Image.fromarray(_subject_on_grey()).save(path)
    mask = foreground_mask(load_image(path))
    assert mask.method == "border-colour"
    truth = (np.abs(_subject_on_grey().astype(int) - 127).sum(axis=2) > 30)
    predicted = mask.alpha > 0.5
    iou = (truth & predicted).sum() / (truth | predicted).sum()
    assert iou > 0.95
    assert mask.alpha[100, 100] < 0.5  # the hole in the middle is background
    assert mask.alpha[0].max() == 0.0


@pytest.mark.parametrize("stem", ["tsr_teapot", "tsr_poly_fox"])
def test_plain_background_samples_are_cut_out(stem: str) -> None:
    image = load_image(SAMPLES / f"{stem}.png")
    mask = foreground_mask(image)
    assert mask.method == "border-colour"
    rgb = image.rgba[..., :3].astype(int)
    # Reference: pixels clearly off the grey backdrop, specks opened away (soft shadows differ).
    reference = ndimage.binary_opening(np.abs(rgb - 127).max(axis=2) > 20, iterations=2)
    predicted = mask.alpha > 0.5
    iou = (reference & predicted).sum() / (reference | predicted).sum()
    assert iou > 0.93
    assert predicted[:4].sum() == 0 and predicted[-4:].sum() == 0


def test_teapot_handle_hole_is_background() -> None:
    image = load_image(SAMPLES / "tsr_teapot.png")
    alpha = foreground_mask(image).alpha
    h, w = alpha.shape
    # The hole inside the handle, on the right of the pot, at mid height.
    assert alpha[int(h * 0.5), int(w * 0.81)] < 0.5
    assert alpha[int(h * 0.5), int(w * 0.5)] > 0.5  # while the pot itself is subject


def test_busy_background_is_refused_with_advice(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    path = tmp_path / "photo.png"
    Image.fromarray(rng.integers(0, 255, (128, 128, 3), dtype=np.uint8)).save(path)
    with pytest.raises(InputError, match="no transparent or plain background") as info:
        foreground_mask(load_image(path))
    assert "models_cache/rembg" in str(info.value)


def test_framing_centres_the_subject_at_85_percent_with_an_exact_mapping() -> None:
    image = load_image(SAMPLES / "tsr_chair.png")
    mask = foreground_mask(image)
    framed = frame_subject(image, mask, 1024)
    rows, cols = np.nonzero(framed.alpha > 0.5)
    height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
    assert max(height, width) == pytest.approx(1024 * 0.85, abs=3)
    assert (rows.min() + rows.max()) / 2 == pytest.approx(511.5, abs=3)
    assert (cols.min() + cols.max()) / 2 == pytest.approx(511.5, abs=3)
    # A known source pixel lands where (scale, offset) say it does.
    left, top, right, bottom = framed.crop_box
    sx, sy = (left + right) // 2, (top + bottom) // 2
    fx = round(sx * framed.scale + framed.offset[0])
    fy = round(sy * framed.scale + framed.offset[1])
    source = image.rgba[sy, sx, :3].astype(int)
    assert np.abs(framed.rgb[fy, fx].astype(int) - source).max() < 40


def test_png_bytes_in_memory_are_not_needed(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.fromarray(_subject_on_grey(64)).save(buffer, format="PNG")
    path = tmp_path / "wrong-extension.jpg"
    path.write_bytes(buffer.getvalue())
    assert load_image(path).source_format == "PNG"

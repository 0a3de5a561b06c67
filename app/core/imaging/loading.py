"""Safe image loading: any picture Pillow reads becomes straight-alpha RGBA uint8, or an InputError.

A user drops arbitrary files on the app, so every way a file can be unusable (missing, empty,
not an image, truncated, a decompression bomb, too small) ends in a one-line message that names
the file and says what to do; nothing else escapes.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, UnidentifiedImageError

from app.core.errors import InputError

MAX_PIXELS: int = 64_000_000
MIN_SIDE: int = 32

OPAQUE_LEVEL = 250
"""Alpha at or above this everywhere counts as no transparency (matte exports often hold 254/255)."""

_FORMATS_HINT = "use a PNG, JPEG, WebP, BMP or TIFF picture"
_IMAGE_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"RIFF")
_WIDE_GREY_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")
_UNPREMULTIPLIED = {"La": "LA", "RGBa": "RGBA"}
_ALPHA_MODES = ("RGBA", "LA", "PA")
_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_log = logging.getLogger(__name__)
_PIL_GLOBALS_LOCK = threading.Lock()
"""Serialises loads: they briefly change Pillow's process-wide pixel limit and warning filters."""


@dataclass(frozen=True)
class LoadedImage:
    """A decoded picture; `rgba` is read-only so the frozen value cannot change under a reader."""

    rgba: np.ndarray
    has_alpha: bool
    source_format: str
    source_mode: str
    path: Path


def load_image(path: str | os.PathLike[str]) -> LoadedImage:
    """Decode `path` (first frame, EXIF orientation applied) or raise an InputError saying why not."""
    file = Path(path)
    _check_file(file)
    with _PIL_GLOBALS_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        im = _open_header(file)
        try:
            _check_size(file, im.size)
            source_format, source_mode = im.format or "unknown", im.mode
            rgba, has_alpha = _decode(file, im)
        finally:
            im.close()
    for warning in caught:
        _log.info("%s: %s", file.name, warning.message)
    rgba.setflags(write=False)
    return LoadedImage(rgba, has_alpha, source_format, source_mode, file)


def _check_file(file: Path) -> None:
    """Refuse what is not a readable, non-empty regular file before Pillow sees it."""
    name = file.name or str(file)
    try:
        st = file.stat()
    except FileNotFoundError:
        raise InputError(f"{name} was not found: check the path and that the file still exists") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise InputError(f"{name} cannot be read ({reason}): check the path") from None
    if file.is_dir():
        raise InputError(f"{name} is a folder, not an image: choose a picture file inside it")
    if st.st_size == 0:
        raise InputError(f"{name} is empty (0 bytes): re-export or re-download the picture")
    if not os.access(file, os.R_OK):
        raise _permission_denied(file)


def _open_header(file: Path) -> Image.Image:
    """Identify the file and read only its header, without Pillow's own bomb check.

    Pillow warns above ~89 MP and raises above ~179 MP without saying the size; our lower cap is
    checked right after on the header size, so Pillow's check is off for this call only.
    """
    saved_limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        return Image.open(file)
    except UnidentifiedImageError:
        raise InputError(_unreadable_message(file)) from None
    except PermissionError:
        raise _permission_denied(file) from None
    except Exception as exc:  # any header failure means a corrupt file
        raise _corrupt(file, _reason(exc)) from None
    finally:
        Image.MAX_IMAGE_PIXELS = saved_limit


def _corrupt(file: Path, reason: str) -> InputError:
    return InputError(f"{file.name} is truncated or corrupt ({reason}): re-export or re-download it")


def _permission_denied(file: Path) -> InputError:
    return InputError(f"{file.name} cannot be read (permission denied): check the file's permissions")


def _unreadable_message(file: Path) -> str:
    try:
        with open(file, "rb") as fh:
            head = fh.read(512)
    except OSError:
        head = b""
    if head.startswith(_IMAGE_SIGNATURES):
        return str(_corrupt(file, "its header is damaged"))
    if _looks_like_text(head):
        return f"{file.name} looks like a text file, not an image: {_FORMATS_HINT}"
    return f"{file.name} is not an image Pillow can read: {_FORMATS_HINT}"


def _looks_like_text(head: bytes) -> bool:
    """UTF-8 (or ASCII) without control characters; one bad sequence is a character cut at 512 bytes."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    return (
        bool(text) and text.count("\ufffd") <= 1 and all(ch.isprintable() or ch in "\r\n\t\f" for ch in text)
    )


def _check_size(file: Path, size: tuple[int, int]) -> None:
    width, height = size
    pixels = width * height
    if pixels > MAX_PIXELS:
        megapixels = pixels / 1e6
        shown = f"{megapixels:.0f}" if megapixels >= 100 else f"{megapixels:.1f}"
        raise InputError(
            f"{file.name} is {width}×{height} ({shown} megapixels); the limit is "
            f"{MAX_PIXELS // 1_000_000} megapixels: scale it down first"
        )
    if min(width, height) < MIN_SIDE:
        raise InputError(
            f"{file.name} is {width}×{height} pixels; images must be at least {MIN_SIDE} pixels "
            "on each side: use a larger picture"
        )


def _decode(file: Path, im: Image.Image) -> tuple[np.ndarray, bool]:
    """Decode the first frame to oriented RGBA; a failure here means damaged pixel data."""
    try:
        im.load()
        orientation = _orientation(im)
        rgba_image, had_alpha = _to_rgba(im)
        if orientation in _ORIENTATION_TRANSPOSE:
            rgba_image = rgba_image.transpose(_ORIENTATION_TRANSPOSE[orientation])
        rgba = np.asarray(rgba_image)
    except MemoryError:
        raise InputError(
            f"{file.name} is too large to decode in the memory available: scale it down first"
        ) from None
    except Exception as exc:  # decoders raise many types on damaged data
        raise _corrupt(file, _reason(exc)) from None
    has_alpha = had_alpha and bool(rgba[..., 3].min() < OPAQUE_LEVEL)
    return rgba, has_alpha


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation, or 1 when absent or unreadable (a bad EXIF block is not fatal)."""
    try:
        return int(im.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:  # metadata is optional
        return 1


def _to_rgba(im: Image.Image) -> tuple[Image.Image, bool]:
    """Straight-alpha RGBA and whether the source carried transparency of any kind."""
    if im.mode in _WIDE_GREY_MODES:
        return _wide_grey_to_rgba(im)
    source = im.convert(_UNPREMULTIPLIED[im.mode]) if im.mode in _UNPREMULTIPLIED else im
    had_alpha = source.mode in _ALPHA_MODES or "transparency" in source.info
    return source.convert("RGBA"), had_alpha


def _wide_grey_to_rgba(im: Image.Image) -> tuple[Image.Image, bool]:
    """16-bit, 32-bit and float grey scaled to 8 bits (Pillow's own convert clips at 255).

    Integers are 16-bit data (PNG, TIFF, PGM) unless they exceed it; floats are 0-1 or 0-255.
    """
    values = np.asarray(im)
    if values.dtype.kind == "f":
        values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    top = float(values.max())
    if im.mode == "F" and top <= 1.0:
        factor = 255.0
    elif im.mode == "F" and top <= 255.0:
        factor = 1.0
    else:
        factor = 255.0 / max(top, 65535.0)
    scaled = values.astype(np.float32) * np.float32(factor)
    grey = np.rint(np.clip(scaled, 0, 255, out=scaled), out=scaled).astype(np.uint8)
    alpha = np.full(grey.shape, 255, np.uint8)
    key = im.info.get("transparency")
    had_alpha = isinstance(key, int)
    if had_alpha:
        alpha[values == key] = 0
    return Image.fromarray(np.dstack([grey, grey, grey, alpha])), had_alpha


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().rstrip(".")
    return text.splitlines()[0] if text else type(exc).__name__

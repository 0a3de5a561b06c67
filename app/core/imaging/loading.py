"""Safe image loading: an allowed picture becomes straight-alpha RGBA uint8, anything else an InputError.

A user drops arbitrary files on the app, so every way a file can be unusable (missing, empty,
not a regular file, not an allowed format whatever its name, truncated, a decompression bomb,
too small) ends in a one-line message that names the file and says what to do; nothing else
escapes. Which formats are decoded, and the pixel limit, live in `pictures`.
"""

from __future__ import annotations

import logging
import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
from PIL import ExifTags, Image

from app.core.base.errors import InputError
from app.core.imaging.pictures import PILLOW_GLOBALS_LOCK, check_pixels, corrupt, open_picture, reason

MIN_SIDE: int = 32

OPAQUE_LEVEL = 250
"""Alpha at or above this everywhere counts as no transparency (matte exports often hold 254/255)."""

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
    with _open_regular_file(file) as fh, PILLOW_GLOBALS_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # a damaged EXIF block or a short read is noted, not fatal
        im = open_picture(fh, file.name)
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


def _open_regular_file(file: Path) -> IO[bytes]:
    """Open `file` for Pillow, refusing what is not a readable, non-empty regular file.

    The checks run on the opened descriptor (non-blocking, so a FIFO cannot hang the open), so
    the file cannot be swapped between the check and the read.
    """
    name = file.name or str(file)
    if file.exists() and not file.is_dir() and not os.access(file, os.R_OK):
        raise _permission_denied(file)
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise InputError(f"{name} was not found: check the path and that the file still exists") from None
    except PermissionError:
        raise _permission_denied(file) from None
    except (OSError, ValueError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise InputError(f"{name} cannot be read ({why}): check the path") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{name} is a folder, not an image: choose a picture file inside it")
        if not stat.S_ISREG(st.st_mode):
            kind = _special_kind(st.st_mode)
            raise InputError(f"{name} is {kind}, not a picture file: choose a picture file")
        if st.st_size == 0:
            raise InputError(f"{name} is empty (0 bytes): re-export or re-download the picture")
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def _permission_denied(file: Path) -> InputError:
    return InputError(f"{file.name} cannot be read (permission denied): check the file's permissions")


def _check_size(file: Path, size: tuple[int, int]) -> None:
    check_pixels(file.name, size)
    width, height = size
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
        raise corrupt(file.name, reason(exc)) from None
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

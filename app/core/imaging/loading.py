"""Safe image loading: any picture a user may drop, or a one-line reason why not.

Pillow decodes lazily, so size limits are checked from the header before any pixel is
allocated (a 30000×30000 PNG is refused in microseconds, not after 3.6 GB). Every decoder
failure becomes an InputError naming the file, so a bad file never reaches the user as a
traceback.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from app.core.errors import InputError

MAX_PIXELS = 64_000_000
MIN_SIDE = 32
_OPAQUE = 250

# Our own check below is stricter and clearer; Pillow's guard must never warn or raise first.
Image.MAX_IMAGE_PIXELS = None


@dataclass(frozen=True)
class LoadedImage:
    rgba: np.ndarray
    """(H, W, 4) uint8, straight alpha, EXIF orientation applied."""
    has_alpha: bool
    """The source had transparency that is actually used (some pixel below ~98 % opaque)."""
    source_format: str
    source_mode: str
    path: Path


def load_image(path: str | os.PathLike[str]) -> LoadedImage:
    p = Path(path)
    name = p.name
    if not p.exists():
        raise InputError(f"{name}: no such file ({p})")
    if p.is_dir():
        raise InputError(f"{name} is a folder, not an image file")
    try:
        size = p.stat().st_size
        if size == 0:
            raise InputError(f"{name} is empty (0 bytes): it was not fully saved or copied")
        with open(p, "rb") as fh:
            head = fh.read(64)
    except PermissionError:
        raise InputError(f"{name} cannot be read: permission denied") from None
    except OSError as exc:
        raise InputError(f"{name} cannot be read: {exc.strerror or exc}") from None

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(p) as image:
                _check_size(name, image.size)
                image.seek(0)
                fmt = image.format or p.suffix.lstrip(".").upper()
                mode = image.mode
                oriented = ImageOps.exif_transpose(image)
                rgba, has_alpha = _to_rgba(oriented)
    except InputError:
        raise
    except UnidentifiedImageError:
        raise InputError(f"{name} is not an image Pillow can read{_looks_like(head)}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        detail = str(exc).lower()
        if "truncated" in detail or isinstance(exc, EOFError) or "broken data" in detail:
            raise InputError(f"{name} is truncated or corrupt: save or copy it again") from None
        raise InputError(f"{name} could not be decoded ({exc}): save it again as PNG") from None
    except MemoryError:
        raise InputError(f"{name} is too large to decode in the memory available") from None
    return LoadedImage(rgba=rgba, has_alpha=has_alpha, source_format=fmt, source_mode=mode, path=p)


def _check_size(name: str, size: tuple[int, int]) -> None:
    w, h = size
    if w * h > MAX_PIXELS:
        raise InputError(
            f"{name} is {w}×{h} ({w * h / 1e6:.0f} megapixels); the limit is "
            f"{MAX_PIXELS // 1_000_000} megapixels: scale it down first"
        )
    if min(w, h) < MIN_SIDE:
        raise InputError(f"{name} is {w}×{h} pixels; images must be at least {MIN_SIDE} pixels on each side")


def _looks_like(head: bytes) -> str:
    sample = head[:64]
    if sample and all(32 <= b < 127 or b in (9, 10, 13) for b in sample):
        return " (it looks like a text file)"
    return ""


def _to_rgba(image: Image.Image) -> tuple[np.ndarray, bool]:
    """8-bit straight-alpha RGBA, scaling high-bit-depth data instead of clipping it."""
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        grey = np.asarray(image, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or grey.max(initial=0) > 255 else 255.0
        if mode == "F":
            top = 1.0 if grey.max(initial=0) <= 1.0 else 255.0
        g8 = np.clip(grey / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        rgba = np.dstack([g8, g8, g8, np.full_like(g8, 255)])
        return rgba, False
    has_alpha = mode in ("RGBA", "LA", "La", "RGBa", "PA") or (
        mode in ("P", "L", "RGB") and "transparency" in image.info
    )
    if mode == "CMYK":
        image = image.convert("RGB")
    rgba = np.asarray(image.convert("RGBA"))
    if has_alpha:
        has_alpha = bool((rgba[..., 3] < _OPAQUE).any())
    return np.ascontiguousarray(rgba), has_alpha

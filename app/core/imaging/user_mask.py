"""A mask the artist made: a file given with `--mask`, or the one the window's mask editor saved.

The file is a picture like any other (the same loader, the same format allow-list): white where
the subject is, black where it is not, grey for soft edges; a picture with transparency counts
by its alpha instead, so a cut-out PNG works as its own mask. It must match the picture's size
and mark some, but not all, of it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.core.base.errors import InputError
from app.core.imaging.loading import LoadedImage, load_image
from app.core.imaging.mask import MIN_VISIBLE_FRACTION, MaskResult

FULL_FRACTION = 0.995
"""A mask covering more than this share of the picture leaves no background to remove."""
MASK_METHOD = "mask file"
KEPT_MASK = "mask.png"
"""The name a library version keeps the artist's mask under, beside its source picture."""


def load_mask(path: Path, image: LoadedImage) -> MaskResult:
    """The mask in `path` for `image`, checked; an InputError names the file and what to change."""
    loaded = load_image(path)
    rgba = loaded.rgba
    if loaded.has_alpha:
        alpha = rgba[..., 3].astype(np.float32) / np.float32(255)
    else:
        grey = rgba[..., 0] * 0.299 + rgba[..., 1] * 0.587 + rgba[..., 2] * 0.114
        alpha = (grey / 255.0).astype(np.float32)
    check_mask(alpha, path.name, image)
    return MaskResult(alpha, MASK_METHOD)


def kept_mask(picture: Path) -> Path | None:
    """The mask kept beside a library version's source picture, if it has one."""
    candidate = Path(picture).parent / KEPT_MASK
    return candidate if Path(picture).name.startswith("source.") and candidate.is_file() else None


def check_mask(alpha: np.ndarray, mask_name: str, image: LoadedImage) -> None:
    """Refuse a mask that does not fit `image`, marks nothing, or marks everything."""
    height, width = image.rgba.shape[:2]
    if alpha.shape != (height, width):
        raise InputError(
            f"the mask {mask_name} is {alpha.shape[1]}×{alpha.shape[0]} pixels but {image.path.name} is "
            f"{width}×{height}: make the mask at the picture's size"
        )
    covered = np.count_nonzero(alpha > 0.5) / alpha.size
    if covered < MIN_VISIBLE_FRACTION:
        raise InputError(
            f"the mask {mask_name} marks no subject (it is black or nearly so): paint the subject white"
        )
    if covered > FULL_FRACTION:
        raise InputError(
            f"the mask {mask_name} covers the whole of {image.path.name}: paint the background black"
        )

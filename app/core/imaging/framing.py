"""Centre the subject on a square canvas at a fixed fill, and say exactly how pixels moved.

Image-to-3D models expect the subject centred with a known margin (Hunyuan3D-2's recenter puts
the bounding box's longer side at `size * (1 - border_ratio)`); later stages project the mesh
back onto the source picture, so the source-to-framed mapping is returned exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from app.core.base.errors import InputError
from app.core.imaging.loading import LoadedImage
from app.core.imaging.mask import MaskResult

MARGIN_PX = 4
"""Framed pixels resampled around the subject's box, so soft edges and filter tails survive."""
ALPHA_LEVELS = 192
"""Alpha steps while resampling: 255/192 leaves room for the bicubic filter's ~10 % overshoot."""


@dataclass(frozen=True)
class FramedImage:
    """The subject on an S×S canvas; coordinates are pixel indices (pixel centres).

    framed = src * scale + offset, for x and y alike. `crop_box` is (left, top, right, bottom) of
    the subject's box in source pixels, right and bottom exclusive (Pillow's convention).
    """

    rgb: np.ndarray
    alpha: np.ndarray
    crop_box: tuple[int, int, int, int]
    scale: float
    offset: tuple[float, float]


def frame_subject(image: LoadedImage, mask: MaskResult, size: int, border_ratio: float = 0.15) -> FramedImage:
    """Scale and centre the box of `mask.alpha > 0.5` so its longer side spans size*(1-border_ratio)."""
    if size < 1 or not 0.0 <= border_ratio < 1.0:
        raise ValueError(f"bad framing: size {size}, border_ratio {border_ratio}")
    if mask.alpha.shape != image.rgba.shape[:2]:
        raise ValueError(f"mask {mask.alpha.shape} does not match image {image.rgba.shape[:2]}")
    crop_box = _subject_box(image, mask)
    left, top, right, bottom = crop_box
    scale = size * (1.0 - border_ratio) / max(right - left, bottom - top)
    # Continuous coordinates (pixel edges on integers): the box centre lands on the canvas centre.
    shift_x = size / 2 - scale * (left + right) / 2
    shift_y = size / 2 - scale * (top + bottom) / 2
    height, width = mask.alpha.shape
    x0, x1 = _span(left, right, width, scale, shift_x, size)
    y0, y1 = _span(top, bottom, height, scale, shift_y, size)
    rgb = np.zeros((size, size, 3), dtype=np.uint8)
    alpha = np.zeros((size, size), dtype=np.float32)
    box = ((x0 - shift_x) / scale, (y0 - shift_y) / scale, (x1 - shift_x) / scale, (y1 - shift_y) / scale)
    rgb[y0:y1, x0:x1], alpha[y0:y1, x0:x1] = _resample(image.rgba, mask, box, (x1 - x0, y1 - y0))
    offset = (shift_x + 0.5 * scale - 0.5, shift_y + 0.5 * scale - 0.5)
    return FramedImage(rgb, alpha, crop_box, scale, offset)


def _subject_box(image: LoadedImage, mask: MaskResult) -> tuple[int, int, int, int]:
    solid = mask.alpha > 0.5
    rows = np.flatnonzero(solid.any(axis=1))
    cols = np.flatnonzero(solid.any(axis=0))
    if rows.size == 0:
        raise InputError(f"{image.path.name}: no subject found (the mask is empty)")
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _span(lo: int, hi: int, extent: int, scale: float, shift: float, size: int) -> tuple[int, int]:
    """Framed pixel range to fill: the box plus a margin, inside both the canvas and the source."""
    start = max(0, math.floor(shift + scale * lo) - MARGIN_PX, math.ceil(shift - 1e-9))
    stop = min(size, math.ceil(shift + scale * hi) + MARGIN_PX, math.floor(shift + scale * extent + 1e-9))
    return start, stop


def _resample(
    rgba: np.ndarray, mask: MaskResult, box: tuple[float, float, float, float], out: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Bicubic-resample the source region `box`, with the mask as alpha, to `out` pixels.

    Pillow resamples RGBA premultiplied, so backdrop colour does not fringe the subject's edge.
    The mask is stored at ALPHA_LEVELS (not 255) so the filter's overshoot at a hard edge is not
    clamped, which would break the colour/alpha ratio and brighten the rim.
    """
    left, top = max(0, math.floor(box[0])), max(0, math.floor(box[1]))
    right = min(rgba.shape[1], math.ceil(box[2]))
    bottom = min(rgba.shape[0], math.ceil(box[3]))
    # Clamped: the box may overrun the source by rounding error, which Pillow refuses.
    local = (
        max(0.0, box[0] - left),
        max(0.0, box[1] - top),
        min(float(right - left), box[2] - left),
        min(float(bottom - top), box[3] - top),
    )
    region = np.empty((bottom - top, right - left, 4), dtype=np.uint8)
    region[..., :3] = rgba[top:bottom, left:right, :3]
    region[..., 3] = np.rint(mask.alpha[top:bottom, left:right] * np.float32(ALPHA_LEVELS))
    framed = np.asarray(Image.fromarray(region).resize(out, Image.Resampling.BICUBIC, box=local))
    alpha = framed[..., 3].astype(np.float32) / np.float32(ALPHA_LEVELS)
    return framed[..., :3], np.minimum(alpha, np.float32(1.0))

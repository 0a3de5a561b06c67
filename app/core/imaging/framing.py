"""Framing: crop, centre and pad the subject the way image-to-3D models expect.

Hunyuan3D-2's preprocessing (ImageProcessorV2.recenter, border ratio 0.15) puts the subject's
bounding box, longer side at 85 % of a square canvas, in the middle. Every engine gets the same
framing so the projection bake can map the mesh back onto the picture with the returned affine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from app.core.errors import InputError
from app.core.imaging.loading import LoadedImage
from app.core.imaging.mask import MaskResult


@dataclass(frozen=True)
class FramedImage:
    rgb: np.ndarray
    """(S, S, 3) uint8 subject on a square canvas (outside the mask: whatever the source had)."""
    alpha: np.ndarray
    """(S, S) float32 in [0, 1]."""
    crop_box: tuple[int, int, int, int]
    """(left, top, right, bottom) of the subject's bounding box in source pixels."""
    scale: float
    """Framed pixels per source pixel."""
    offset: tuple[float, float]
    """framed = source * scale + offset, for (x, y) pixel coordinates."""


def frame_subject(image: LoadedImage, mask: MaskResult, size: int, border_ratio: float = 0.15) -> FramedImage:
    rows, cols = np.nonzero(mask.alpha > 0.5)
    if len(rows) == 0:
        raise InputError(f"{image.path.name}: the subject mask is empty")
    left, top, right, bottom = int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1
    scale = size * (1.0 - border_ratio) / max(right - left, bottom - top)
    offset = (size / 2 - (left + right) / 2 * scale, size / 2 - (top + bottom) / 2 * scale)

    src_h, src_w = mask.alpha.shape
    # The framed pixels the source covers, rounded inwards, and the exact source box they map from.
    x0, y0 = max(0, math.ceil(offset[0])), max(0, math.ceil(offset[1]))
    x1 = min(size, math.floor(src_w * scale + offset[0]))
    y1 = min(size, math.floor(src_h * scale + offset[1]))
    box = ((x0 - offset[0]) / scale, (y0 - offset[1]) / scale, (x1 - offset[0]) / scale, (y1 - offset[1]) / scale)
    box = (max(box[0], 0.0), max(box[1], 0.0), min(box[2], src_w), min(box[3], src_h))
    target = (x1 - x0, y1 - y0)
    rgb = np.zeros((size, size, 3), dtype=np.uint8)
    alpha = np.zeros((size, size), dtype=np.float32)
    source_rgb = Image.fromarray(image.rgba[..., :3])
    rgb[y0:y1, x0:x1] = np.asarray(source_rgb.resize(target, Image.Resampling.BICUBIC, box=box))
    source_alpha = Image.fromarray(np.ascontiguousarray(mask.alpha, dtype=np.float32), mode="F")
    alpha[y0:y1, x0:x1] = np.asarray(source_alpha.resize(target, Image.Resampling.BILINEAR, box=box))
    return FramedImage(
        rgb=np.asarray(rgb, dtype=np.uint8),
        alpha=np.clip(alpha, 0.0, 1.0),
        crop_box=(left, top, right, bottom),
        scale=float(scale),
        offset=(float(offset[0]), float(offset[1])),
    )

"""Push-pull fill: extend known texels into unknown ones.

Bilinear sampling and mipmaps read texels just outside a silhouette or a UV island; if those hold
the photo's background (often black or white), edges get a dark or light fringe. A push-pull
pyramid fills every unknown texel with a smooth average of the nearest known colours in O(pixels),
which is much cheaper than a distance transform with nearest-colour lookup at 1024² and up.

The full-size level is never held as float: the first halving reads it in bands of rows, and the
final pass rewrites only the texels that are not fully known, in bands too, so a 4096² fill needs
about a quarter of the float memory of the texture rather than several times it.
"""

from __future__ import annotations

import numpy as np


def _halve(premul: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum 2x2 blocks of premultiplied colour and weight (odd sizes padded with zero weight)."""
    h, w = weight.shape
    if h % 2 or w % 2:
        premul = np.pad(premul, ((0, h % 2), (0, w % 2), (0, 0)))
        weight = np.pad(weight, ((0, h % 2), (0, w % 2)))
    p = premul[0::2, 0::2] + premul[1::2, 0::2] + premul[0::2, 1::2] + premul[1::2, 1::2]
    s = weight[0::2, 0::2] + weight[1::2, 0::2] + weight[0::2, 1::2] + weight[1::2, 1::2]
    scale = np.where(s > 1.0, 1.0 / np.maximum(s, 1e-12), 1.0).astype(np.float32)
    return p * scale[..., None], s * scale


def _upsample(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    h2, w2, c = image.shape
    up = np.broadcast_to(image[:, None, :, None, :], (h2, 2, w2, 2, c)).reshape(2 * h2, 2 * w2, c)
    return up[: shape[0], : shape[1]]


_BAND_ROWS = 256
"""Rows of the full-size level handled at once (even, so bands halve cleanly)."""


def _halve_full(rgb: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`_halve` of the full-size level (premultiplied `rgb`), computed in bands of rows."""
    h, w = weight.shape
    premul = np.empty(((h + 1) // 2, (w + 1) // 2, rgb.shape[2]), dtype=np.float32)
    sums = np.empty(((h + 1) // 2, (w + 1) // 2), dtype=np.float32)
    for top in range(0, h, _BAND_ROWS):
        band = slice(top, min(top + _BAND_ROWS, h))
        part = rgb[band].astype(np.float32) * weight[band, :, None]
        half = slice(top // 2, (band.stop + 1) // 2)
        premul[half], sums[half] = _halve(part, weight[band])
    return premul, sums


def push_pull_fill(rgb: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Return `rgb` with texels where `known` is 0 replaced by colours pulled from known texels.

    `known` is a (H, W) weight in [0, 1]; partially known texels (anti-aliased edges) are blended.
    Texels with weight 1 are returned unchanged.
    """
    weight = np.clip(known.astype(np.float32), 0.0, 1.0)
    if not (weight > 0).any() or max(weight.shape) == 1:  # nothing to pull from, or nothing to fill
        return rgb.copy()
    levels: list[tuple[np.ndarray, np.ndarray]] = [_halve_full(rgb, weight)]
    while max(levels[-1][1].shape) > 1:
        levels.append(_halve(*levels[-1]))
    filled = levels[-1][0] / np.maximum(levels[-1][1], 1e-12)[..., None]
    for p, w in reversed(levels[:-1]):
        filled = p + _upsample(filled, w.shape) * (1.0 - w)[..., None]
    out = rgb.copy()
    for top in range(0, weight.shape[0], _BAND_ROWS):
        band = slice(top, min(top + _BAND_ROWS, weight.shape[0]))
        rows, cols = np.nonzero(weight[band] < 1.0)
        w = weight[band][rows, cols][:, None]
        rows += top
        blended = rgb[rows, cols].astype(np.float32) * w + filled[rows // 2, cols // 2] * (1.0 - w)
        out[rows, cols] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    return out

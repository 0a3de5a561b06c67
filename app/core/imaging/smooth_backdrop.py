"""A graded backdrop (a linear or radial gradient, a vignette, soft studio light) as a smooth surface.

GrabCut models the backdrop by colour alone, so on a gradient the subject's colours that also
occur somewhere in the backdrop (a white snowman on a backdrop fading to white) are lost, and the
bright centre of a radial gradient, unlike the border, is kept. Where the backdrop is smooth, the
colour it should have at each pixel is known instead: a low-order polynomial surface fitted to the
backdrop's pixels. The picture minus that surface is a flat backdrop, and what stands off it is the
subject, unless the backdrop reaches it from the border without crossing an edge (the peak of a
radial gradient, which the surface cannot bend to).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

SURFACE_DEGREE = 4
"""Degree of the polynomial in x and y: a linear or radial gradient fits to ~2 Lab units."""
FIT_LIMITS = (24.0, 12.0, 6.0, 4.0)
"""Residual (Lab units) under which a pixel counts as backdrop in each refit: loose first, so the
peak of a radial gradient is fitted before the subject is cut away from the fit."""
SMOOTH_SPREAD = 2.0
"""Median residual of the backdrop (Lab units) above which it is not smooth: gradients stay
under 1.5 in the cutout benchmark, a night sky in a photo is near 2.6, textures far above."""
NOT_SMOOTH = 2 * SMOOTH_SPREAD
"""A first fit with a quarter of the backdrop this far off is not refined: a textured backdrop or
a photo (the subject's parts first taken for backdrop can be most of the rest); saves ~0.3 s."""
STANDS_OFF = 8.0
"""Residual (Lab units) from which a pixel stands off the backdrop."""
FLOOD_STEP = 3
"""Largest colour step (per Lab channel, 8-bit) between neighbours inside the backdrop."""
FIT_SAMPLES = 10_000


@dataclass(frozen=True)
class SmoothBackdrop:
    flat: np.ndarray
    """HxWx3 uint8 Lab picture with the backdrop surface taken out (a flat backdrop), for GrabCut."""
    stands_off: np.ndarray
    """HxW bool: unlike the backdrop surface and not reached by it from the border."""
    surely_backdrop: np.ndarray
    """HxW bool: within half the stand-off distance of the surface."""
    spread: float
    """Median distance of the backdrop's pixels to the surface, Lab units."""


def smooth_backdrop(lab: np.ndarray, unlike: np.ndarray) -> SmoothBackdrop | None:
    """The backdrop of an HxWx3 float32 Lab (8-bit scaled) picture as a smooth surface, or None when
    it is not smooth. `unlike` marks the pixels first taken for the subject (left out of the fit)."""
    height, width = unlike.shape
    outside = ~ndi.binary_dilation(unlike, iterations=3)
    if np.count_nonzero(outside) < 0.2 * unlike.size:
        return None
    terms = _surface_terms(height, width)
    use = outside
    for limit in FIT_LIMITS:
        rows, cols = np.nonzero(use)
        if rows.size < terms.shape[-1] * 10:
            return None
        step = max(1, rows.size // FIT_SAMPLES)
        rows, cols = rows[::step], cols[::step]
        design = terms[rows, cols].astype(np.float64)
        normal = design.T @ design + 1e-6 * np.eye(design.shape[1])
        coeffs = np.linalg.solve(normal, design.T @ lab[rows, cols])
        surface = terms @ coeffs.astype(np.float32)
        residual = np.sqrt(np.sum((lab - surface) ** 2, axis=2))
        level = float(np.median(residual[outside]))
        if limit == FIT_LIMITS[0] and np.percentile(residual[outside], 25) > NOT_SMOOTH:
            return None
        use = residual <= max(limit, 3.0 * level)
    if level > SMOOTH_SPREAD:
        return None
    flat = np.clip(lab - surface + surface[outside].mean(axis=0), 0, 255).astype(np.uint8)
    distance = max(STANDS_OFF, 3.0 * level)
    stands_off = ndi.binary_opening((residual > distance) & ~_flooded(flat))
    return SmoothBackdrop(flat, stands_off, residual < 0.5 * distance, level)


def _surface_terms(height: int, width: int) -> np.ndarray:
    """HxWxT: the polynomial's terms x^i y^j (i + j <= SURFACE_DEGREE) at every pixel."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    xs /= max(1, width - 1)
    ys /= max(1, height - 1)
    degree = SURFACE_DEGREE
    return np.stack([xs**i * ys**j for i in range(degree + 1) for j in range(degree + 1 - i)], axis=-1)


def _flooded(image: np.ndarray) -> np.ndarray:
    """Pixels reached from the border through steps of at most FLOOD_STEP per channel: a smooth
    backdrop is reached everywhere, the subject's outline stops the flood."""
    import cv2

    height, width = image.shape[:2]
    reached = np.zeros((height + 2, width + 2), np.uint8)
    step = (FLOOD_STEP,) * 3
    flags = 4 | cv2.FLOODFILL_MASK_ONLY | (1 << 8)
    smoothed = cv2.GaussianBlur(image, (0, 0), 0.8)
    ring = np.zeros((height, width), bool)
    ring[[0, -1]] = True
    ring[:, [0, -1]] = True
    rows, cols = np.nonzero(ring)
    for row, col in zip(rows[::3], cols[::3], strict=True):
        if not reached[row + 1, col + 1]:
            cv2.floodFill(smoothed, reached, (int(col), int(row)), (0, 0, 0), step, step, flags)
    return reached[1:-1, 1:-1] > 0

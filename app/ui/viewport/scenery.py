"""What the viewport draws besides the asset, as plain arrays: the floor grid with its axes, and
the clay matcap (made here rather than shipped as an image, so it is one function to tune)."""

from __future__ import annotations

import math

import numpy as np

GRID_COLOUR = (0.36, 0.36, 0.38, 1.0)
MAJOR_COLOUR = (0.46, 0.46, 0.49, 1.0)
X_AXIS_COLOUR = (0.85, 0.28, 0.30, 1.0)
Z_AXIS_COLOUR = (0.30, 0.50, 0.90, 1.0)


def grid_step(size: float) -> float:
    """A power of ten that gives the subject's largest extent about 5 to 50 cells."""
    return 10.0 ** math.floor(math.log10(max(size, 1e-3) / 5))


def grid_lines(bounds: np.ndarray) -> np.ndarray:
    """(N, 7) float32 position + RGBA rows, two per line, of a grid on the ground (y = 0) centred
    on the origin (the asset's pivot) and wide enough to hold the asset's footprint; the X axis
    red and the Z axis blue, every tenth line brighter."""
    lo, hi = np.asarray(bounds, dtype=np.float64)
    step = grid_step(float(np.max(hi - lo)))
    reach = max(float(np.max(np.abs([lo[[0, 2]], hi[[0, 2]]]))) * 1.5, 10 * step)
    count = math.ceil(reach / step)
    extent = count * step
    rows = []
    for i in range(-count, count + 1):
        offset = i * step
        major = i % 10 == 0
        x_colour = Z_AXIS_COLOUR if i == 0 else MAJOR_COLOUR if major else GRID_COLOUR
        z_colour = X_AXIS_COLOUR if i == 0 else MAJOR_COLOUR if major else GRID_COLOUR
        rows += [(offset, 0.0, -extent, *x_colour), (offset, 0.0, extent, *x_colour)]
        rows += [(-extent, 0.0, offset, *z_colour), (extent, 0.0, offset, *z_colour)]
    return np.array(rows, dtype=np.float32)


def clay_matcap(size: int = 256) -> np.ndarray:
    """(size, size, 3) uint8 image of a lit clay sphere, indexed by the view-space normal's xy
    (row 0 is the top, +y)."""
    y, x = np.mgrid[1 : -1 : size * 1j, -1 : 1 : size * 1j]
    z = np.sqrt(np.clip(1 - x * x - y * y, 0, 1))
    normal = np.stack([x, y, z], axis=-1)
    key = np.array([-0.4, 0.6, 0.7])
    key /= np.linalg.norm(key)
    diffuse = np.clip(normal @ key, 0, 1)
    half = key + np.array([0.0, 0.0, 1.0])
    half /= np.linalg.norm(half)
    specular = np.clip(normal @ half, 0, 1) ** 40 * 0.35
    rim = (1 - z) ** 3 * 0.25
    base = np.array([0.78, 0.66, 0.58])
    colour = base * (0.22 + 0.78 * diffuse)[..., None] + (specular + rim)[..., None]
    return (np.clip(colour, 0, 1) ** (1 / 2.2) * 255 + 0.5).astype(np.uint8)

"""The mask editor's state without Qt: the working mask, its undo/redo history and brush strokes.

The editor works on the picture reduced to at most WORK_SIDE pixels (strokes and GrabCut stay
interactive); the mask is scaled to the picture's own size, feathered, only when it is written
for a job. Each edit is one history step; a refinement that arrives later for a stroke replaces
that stroke's step, so one Undo takes back the stroke and its refinement together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageFilter

WORK_SIDE = 1024
HISTORY = 50
"""Undo steps kept (a 1024² mask is 4 MB; fifty are 200 MB at most)."""


@dataclass
class EditorSource:
    """A picture opened in the editor: the picture and its automatic mask, at working size."""

    rgb: np.ndarray
    """hxwx3 uint8, at most WORK_SIDE on the longer side."""
    automatic: np.ndarray
    """hxw float32 in [0, 1]: the cutout the pipeline would make by itself."""
    full_size: tuple[int, int]
    """(width, height) of the picture itself: the mask a job gets is this size."""
    method: str
    confidence: float
    doubt: str = ""
    start: np.ndarray | None = None
    """The mask to start from when it is not the automatic one (a mask kept with a version)."""


@dataclass
class MaskHistory:
    """The current mask and the steps to undo and redo."""

    current: np.ndarray
    undo_steps: list[np.ndarray] = field(default_factory=list)
    redo_steps: list[np.ndarray] = field(default_factory=list)
    generation: int = 0
    """Goes up with every change: a refinement computed for an older mask is dropped."""

    def push(self, mask: np.ndarray) -> None:
        self.undo_steps.append(self.current)
        del self.undo_steps[:-HISTORY]
        self.redo_steps.clear()
        self._set(mask)

    def replace(self, mask: np.ndarray) -> None:
        """Refine the last step in place (no new undo step)."""
        self._set(mask)

    def undo(self) -> bool:
        if not self.undo_steps:
            return False
        self.redo_steps.append(self.current)
        self._set(self.undo_steps.pop())
        return True

    def redo(self) -> bool:
        if not self.redo_steps:
            return False
        self.undo_steps.append(self.current)
        self._set(self.redo_steps.pop())
        return True

    def _set(self, mask: np.ndarray) -> None:
        self.current = mask.astype(np.float32, copy=False)
        self.generation += 1


def stamp(layer: np.ndarray, points: list[tuple[float, float]], radius: float) -> None:
    """Paint discs of `radius` along the polyline through `points` ((x, y) in layer pixels)."""
    height, width = layer.shape
    spaced: list[tuple[float, float]] = []
    for index, point in enumerate(points):
        if index == 0:
            spaced.append(point)
            continue
        x0, y0 = points[index - 1]
        steps = max(1, int(np.hypot(point[0] - x0, point[1] - y0) / max(1.0, radius / 2)))
        dx, dy = point[0] - x0, point[1] - y0
        spaced += [(x0 + dx * t / steps, y0 + dy * t / steps) for t in range(1, steps + 1)]
    for x, y in spaced:
        left, right = max(0, int(x - radius)), min(width, int(x + radius) + 1)
        top, bottom = max(0, int(y - radius)), min(height, int(y + radius) + 1)
        if left >= right or top >= bottom:
            continue
        rows, cols = np.ogrid[top:bottom, left:right]
        layer[top:bottom, left:right] |= (cols - x) ** 2 + (rows - y) ** 2 <= radius * radius


def full_size_mask(mask: np.ndarray, full_size: tuple[int, int], feather: float) -> np.ndarray:
    """The working mask at the picture's size as 8-bit alpha, its edge softened by `feather`
    working pixels (a Gaussian blur)."""
    image = Image.fromarray(np.clip(mask * 255.0, 0, 255).astype(np.uint8))
    if feather > 0:
        image = image.filter(ImageFilter.GaussianBlur(feather))
    return np.asarray(image.resize(full_size, Image.Resampling.BILINEAR))


def shown_mask(mask: np.ndarray, feather: float) -> np.ndarray:
    """The mask as the overlay shows it (feathered like the one a job gets)."""
    if feather <= 0:
        return mask
    image = Image.fromarray(np.clip(mask * 255.0, 0, 255).astype(np.uint8))
    return np.asarray(image.filter(ImageFilter.GaussianBlur(feather)), np.float32) / 255.0

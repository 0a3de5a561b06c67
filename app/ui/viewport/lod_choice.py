"""Automatic LOD by screen size, as a game would switch: no Qt, no GL."""

from __future__ import annotations

DEFAULT_MAX_ERROR_PX = 1.0
"""An LOD whose deviation from LOD0 stays under a pixel cannot be told apart from LOD0."""


def auto_lod_level(
    error_pcts: list[float], diagonal: float, pixels_per_metre: float, max_px: float = DEFAULT_MAX_ERROR_PX
) -> int:
    """The coarsest LOD whose error, seen on screen, stays within `max_px` pixels: how a game that
    switches by screen size would pick (errors are % of LOD0's bounding-box diagonal)."""
    level = 0
    for i, error in enumerate(error_pcts):
        if error / 100 * diagonal * pixels_per_metre <= max_px:
            level = i
    return level

"""Where the picture was taken from, for the Relief engine: the solid is built in the camera's
frame (the picture plane, depth towards the camera) and turned so the ground is level.

A subject photographed from above (a house or a burger seen at a three-quarter angle, a rug
seen straight down) would otherwise stand as an upright wall: its picture plane is vertical.
Turning the solid by the camera's elevation about the left-right axis puts the picture plane
where the camera saw it, so a top-down subject lies on the ground. The side turned away from
such a camera is the one the subject rests on, so it is flattened in proportion: as round as
the front for a level camera, flat for one looking straight down.

The engine's settings read the camera names here at the window's start, so numpy loads only
when a solid is turned.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

CAMERAS = ("front", "raised", "top")
DEFAULT_ELEVATION = 30.0


def elevation_deg(camera: str, elevation: float) -> float:
    """The camera's angle above the horizon: 0 for front, `elevation` for raised, 90 for top."""
    return {"front": 0.0, "raised": float(elevation), "top": 90.0}[camera]


def underside(heights: np.ndarray, elevation: float) -> np.ndarray:
    """Heights of the side away from the camera: the front's, capped at cos(elevation) of the
    tallest, so the part the subject rests on is flat when the camera looks down on it."""
    if elevation <= 0:
        return heights
    import numpy as np

    cap = math.cos(math.radians(elevation)) * float(heights.max(initial=0.0))
    return np.minimum(heights, np.float32(cap))


def to_world(vertices: np.ndarray, elevation: float) -> np.ndarray:
    """Camera frame (x right, y up in the picture, z towards the camera) → world (+Y up): the
    camera's up and back axes tilted down by `elevation` degrees about X."""
    if elevation <= 0:
        return vertices
    import numpy as np

    c, s = math.cos(math.radians(elevation)), math.sin(math.radians(elevation))
    y, z = vertices[:, 1].astype(np.float64), vertices[:, 2].astype(np.float64)
    out = vertices.copy()
    out[:, 1] = y * c + z * s
    out[:, 2] = z * c - y * s
    return out

"""The viewport's orbit camera: plain numpy, no Qt and no GL, so its math is tested on its own.

A turntable camera in Blender's manner: it circles a target at a distance, yaw about world +Y
and pitch above the horizon, so the horizon never tilts. Matrices are row-major float32 (upload
them with transpose=True). Perspective and orthographic share one scale at the target (the ortho
half-height is what the perspective frustum spans at the target's distance), so toggling keeps
the subject the same size on screen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

VIEWS: dict[str, tuple[float, float]] = {
    "front": (0.0, 0.0),
    "back": (180.0, 0.0),
    "right": (90.0, 0.0),
    "left": (-90.0, 0.0),
    "top": (0.0, 90.0),
    "bottom": (0.0, -90.0),
}
"""Named views as (yaw, pitch) in degrees; glTF's front faces +Z, so "front" looks down -Z."""

MIN_DISTANCE = 1e-4


def _rotation_x(degrees: float) -> np.ndarray:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]], dtype=np.float64)


def _rotation_y(degrees: float) -> np.ndarray:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]], dtype=np.float64)


@dataclass
class Camera:
    target: np.ndarray = field(default_factory=lambda: np.zeros(3))
    distance: float = 3.0
    yaw: float = 30.0
    """Degrees about world +Y; 0 looks at the front (+Z side) of the subject."""
    pitch: float = 15.0
    """Degrees above the horizon, kept within [-90, 90]."""
    fov_y: float = 35.0
    ortho: bool = False

    def rotation(self) -> np.ndarray:
        """World-to-camera rotation (3, 3)."""
        return _rotation_x(self.pitch) @ _rotation_y(-self.yaw)

    def eye(self) -> np.ndarray:
        return self.target + self.rotation().T @ np.array([0.0, 0.0, self.distance])

    def view_matrix(self) -> np.ndarray:
        rotation = self.rotation()
        view = np.eye(4)
        view[:3, :3] = rotation
        view[:3, 3] = -rotation @ self.target - np.array([0.0, 0.0, self.distance])
        return view.astype(np.float32)

    def half_height(self) -> float:
        """Half the view's height in metres at the target's distance."""
        return self.distance * math.tan(math.radians(self.fov_y) / 2)

    def clip_range(self, radius: float) -> tuple[float, float]:
        """Near and far planes that keep a sphere of `radius` round the target (and the grid) in view."""
        far = self.distance + max(radius, self.distance) * 4
        if self.ortho:
            return -far, far
        return max(self.distance * 0.01, self.distance - radius * 2, MIN_DISTANCE), far

    def projection_matrix(self, aspect: float, radius: float = 1.0) -> np.ndarray:
        near, far = self.clip_range(radius)
        aspect = max(aspect, 1e-6)
        proj = np.zeros((4, 4))
        if self.ortho:
            top = self.half_height()
            proj[0, 0] = 1 / (top * aspect)
            proj[1, 1] = 1 / top
            proj[2, 2] = -2 / (far - near)
            proj[2, 3] = -(far + near) / (far - near)
            proj[3, 3] = 1
        else:
            f = 1 / math.tan(math.radians(self.fov_y) / 2)
            proj[0, 0] = f / aspect
            proj[1, 1] = f
            proj[2, 2] = (far + near) / (near - far)
            proj[2, 3] = 2 * far * near / (near - far)
            proj[3, 2] = -1
        return proj.astype(np.float32)

    def pixels_per_metre(self, viewport_height: float) -> float:
        """Screen pixels per metre at the target's distance."""
        return viewport_height / (2 * self.half_height())

    def orbit(self, d_yaw: float, d_pitch: float) -> None:
        self.yaw = (self.yaw + d_yaw + 180.0) % 360.0 - 180.0
        self.pitch = float(np.clip(self.pitch + d_pitch, -90.0, 90.0))

    def pan(self, dx_px: float, dy_px: float, viewport_height: float) -> None:
        """Slide the target so the scene follows the pointer: +dx right, +dy down, in pixels."""
        metres = 1 / self.pixels_per_metre(max(viewport_height, 1.0))
        right, up = self.rotation()[0], self.rotation()[1]
        self.target = self.target + (-dx_px * right + dy_px * up) * metres

    def zoom(self, factor: float) -> None:
        """Scale the distance to the target: factor < 1 moves closer."""
        self.distance = max(self.distance * factor, MIN_DISTANCE)

    def set_view(self, name: str) -> None:
        self.yaw, self.pitch = VIEWS[name]

    def frame(self, bounds: np.ndarray, aspect: float, margin: float = 1.15) -> None:
        """Aim at the centre of `bounds` (min corner, max corner) from a distance that fits its
        bounding sphere in both the view's height and width."""
        lo, hi = np.asarray(bounds, dtype=np.float64)
        radius = max(float(np.linalg.norm(hi - lo)) / 2, MIN_DISTANCE)
        half_fov_y = math.radians(self.fov_y) / 2
        half_fov = min(half_fov_y, math.atan(math.tan(half_fov_y) * max(aspect, 1e-6)))
        self.target = (lo + hi) / 2
        self.distance = radius * margin / math.sin(half_fov)

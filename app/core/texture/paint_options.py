"""What a job asks of the texture step: the method, and Hunyuan Paint's settings."""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.core.base.errors import InputError

TEXTURE_METHODS = ("auto", "paint", "projection")
"""How a texture is made: "projection" bakes the pictures onto the mesh, "paint" has Hunyuan3D-2
Paint make six views first, "auto" paints Hunyuan shapes when its weights and a GPU are there."""
PAINT_DEVICES = ("auto", "cuda", "cpu")


@dataclass(frozen=True)
class PaintOptions:
    """Hunyuan Paint's settings, for jobs that paint their texture."""

    steps: int = 30
    """Multi-view diffusion steps (hy3dgen's own 30); the delighting runs its fixed 50."""
    resolution: int = 512
    """Each view's side in pixels: the paint model's 512; lower saves time and VRAM."""
    guidance: float = 2.0
    low_vram: bool = False
    """Keep only the running diffusion model on the GPU (slower)."""
    device: str = "auto"
    """auto (the GPU when there is one), cuda or cpu."""

    def __post_init__(self) -> None:
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or not 1 <= self.steps <= 200:
            raise InputError(f"paint steps {self.steps!r} is out of range: use a whole number from 1 to 200")
        if not isinstance(self.resolution, int) or self.resolution % 64 or not 64 <= self.resolution <= 1024:
            raise InputError(
                f"paint resolution {self.resolution!r} is not valid: use a multiple of 64 from 64 to 1024"
            )
        if not (isinstance(self.guidance, int | float) and math.isfinite(self.guidance)):
            raise InputError(f"paint guidance {self.guidance!r} is not a finite number")
        if not 0.0 <= self.guidance <= 30.0:
            raise InputError(f"paint guidance {self.guidance} is out of range (0 to 30)")
        if self.device not in PAINT_DEVICES:
            raise InputError(f"paint device {self.device!r} is not valid: use auto, cuda or cpu")

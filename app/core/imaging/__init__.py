"""Picture in, clean subject out: safe loading, the foreground mask and square framing (no Qt)."""

from app.core.imaging.framing import FramedImage, frame_subject
from app.core.imaging.loading import MIN_SIDE, LoadedImage, load_image
from app.core.imaging.mask import MaskResult, foreground_mask
from app.core.imaging.pictures import ALLOWED_FORMATS, MAX_PIXELS

__all__ = [
    "ALLOWED_FORMATS",
    "MAX_PIXELS",
    "MIN_SIDE",
    "FramedImage",
    "LoadedImage",
    "MaskResult",
    "foreground_mask",
    "frame_subject",
    "load_image",
]

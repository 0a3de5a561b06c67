"""Preview pictures with the subject mask overlaid, computed off the GUI thread (Qt-free work)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.formats.suffixes import MESH_SUFFIXES, PICTURE_SUFFIXES

if TYPE_CHECKING:
    import numpy as np

PREVIEW_SIDE = 384
IMAGE_SUFFIXES = frozenset(PICTURE_SUFFIXES)


@dataclass(frozen=True)
class Preview:
    path: Path
    rgba: np.ndarray
    """HxWx4 uint8: the picture, with everything outside the mask dimmed and tinted."""
    size: tuple[int, int]
    mask_method: str


def build_preview(path: Path, side: int = PREVIEW_SIDE) -> Preview:
    """Load, mask and shrink `path`; raises the loader's InputError for unreadable files and for
    any content outside the format allow-list, whatever the file's name (the name only routed it
    here). Qt never decodes the file: the slot shows the pixels decoded here.

    Runs in the thread pool, which is also where numpy, Pillow and the imaging code first load.
    """
    import numpy as np
    from PIL import Image

    from app.core.imaging import foreground_mask, load_image
    from app.core.paths import models_dir

    image = load_image(path)
    mask = foreground_mask(image, models_dir())
    height, width = image.rgba.shape[:2]
    scale = min(1.0, side / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    rgba = np.asarray(Image.fromarray(np.ascontiguousarray(image.rgba)).resize(size, Image.Resampling.BOX))
    alpha = (
        np.asarray(
            Image.fromarray((mask.alpha * 255).astype(np.uint8)).resize(size, Image.Resampling.BOX),
            np.float32,
        )[..., None]
        / 255.0
    )
    rgb = rgba[..., :3].astype(np.float32)
    outside = rgb * 0.25 + np.array([120.0, 40.0, 40.0]) * 0.35
    shown = rgb * alpha + outside * (1.0 - alpha)
    out = np.empty((size[1], size[0], 4), np.uint8)
    out[..., :3] = np.clip(shown, 0, 255).astype(np.uint8)
    out[..., 3] = 255
    return Preview(Path(path), out, (width, height), mask.method)


def picture_only(path: Path, side: int = PREVIEW_SIDE) -> Preview:
    """The picture shrunk, without the mask: what a slot shows when the subject could not be
    found, so the user sees which picture the message is about. Raises the loader's InputError."""
    import numpy as np
    from PIL import Image

    from app.core.imaging import load_image

    image = load_image(path)
    height, width = image.rgba.shape[:2]
    scale = min(1.0, side / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    rgba = np.asarray(Image.fromarray(np.ascontiguousarray(image.rgba)).resize(size, Image.Resampling.BOX))
    rgb = rgba[..., :3].astype(np.float32) * (rgba[..., 3:4].astype(np.float32) / 255.0)
    out = np.empty((size[1], size[0], 4), np.uint8)
    out[..., :3] = rgb.astype(np.uint8)
    out[..., 3] = 255
    return Preview(Path(path), out, (width, height), "")


def is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def is_mesh(path: Path) -> bool:
    return path.suffix.lower() in MESH_SUFFIXES


def describe_refusal(path: Path) -> str:
    kinds = ", ".join(sorted(s.lstrip(".").upper() for s in IMAGE_SUFFIXES - {".jpeg", ".tif"}))
    return f"{path.name} is not a picture Sweedle can use: drop a {kinds} image (or a mesh on the viewport)"

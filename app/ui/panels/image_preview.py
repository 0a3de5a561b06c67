"""Preview pictures with the subject mask overlaid, computed off the GUI thread (Qt-free work)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.formats.suffixes import MESH_SUFFIXES, PICTURE_SUFFIXES

if TYPE_CHECKING:
    import numpy as np

    from app.ui.panels.mask_history import EditorSource

PREVIEW_SIDE = 384
IMAGE_SUFFIXES = frozenset(PICTURE_SUFFIXES)


@dataclass(frozen=True)
class Preview:
    path: Path
    rgba: np.ndarray
    """HxWx4 uint8: the picture, with everything outside the mask dimmed and tinted."""
    size: tuple[int, int]
    mask_method: str
    editor: EditorSource | None = None
    """The picture and its mask at the mask editor's working size (None: no mask was found)."""

    @property
    def confidence(self) -> float:
        return self.editor.confidence if self.editor is not None else 1.0


def build_preview(path: Path, side: int = PREVIEW_SIDE) -> Preview:
    """Load, mask and shrink `path`; raises the loader's InputError for unreadable files and for
    any content outside the format allow-list, whatever the file's name (the name only routed it
    here). Qt never decodes the file: the slot shows the pixels decoded here.

    Runs in the thread pool, which is also where numpy, Pillow and the imaging code first load.
    """
    from app.core.imaging import foreground_mask, load_image
    from app.core.imaging.user_mask import kept_mask, load_mask
    from app.core.paths import models_dir
    from app.ui.panels.mask_history import WORK_SIDE, EditorSource

    image = load_image(path)
    kept = kept_mask(Path(path))
    automatic = foreground_mask(image, models_dir())
    mask = load_mask(kept, image) if kept is not None else automatic
    height, width = image.rgba.shape[:2]
    editor = EditorSource(
        rgb=_shrunk(image.rgba[..., :3], WORK_SIDE),
        automatic=_shrunk_mask(automatic.alpha, WORK_SIDE),
        full_size=(width, height),
        method=automatic.method,
        confidence=automatic.confidence,
        doubt=automatic.doubt,
        start=_shrunk_mask(mask.alpha, WORK_SIDE) if kept is not None else None,
    )
    shown = masked_preview(image.rgba, mask.alpha, side)
    return Preview(Path(path), shown, (width, height), mask.method, editor)


def masked_preview(rgba: np.ndarray, mask: np.ndarray, side: int = PREVIEW_SIDE) -> np.ndarray:
    """The picture shrunk to `side`, everything outside `mask` (any size) dimmed and tinted."""
    import numpy as np
    from PIL import Image

    height, width = rgba.shape[:2]
    scale = min(1.0, side / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    shrunk = np.asarray(Image.fromarray(np.ascontiguousarray(rgba)).resize(size, Image.Resampling.BOX))
    alpha = (
        np.asarray(
            Image.fromarray((np.clip(mask, 0, 1) * 255).astype(np.uint8)).resize(size, Image.Resampling.BOX),
            np.float32,
        )[..., None]
        / 255.0
    )
    rgb = shrunk[..., :3].astype(np.float32)
    outside = rgb * 0.25 + np.array([120.0, 40.0, 40.0]) * 0.35
    shown = rgb * alpha + outside * (1.0 - alpha)
    out = np.empty((size[1], size[0], 4), np.uint8)
    out[..., :3] = np.clip(shown, 0, 255).astype(np.uint8)
    out[..., 3] = 255
    return out


def _shrunk(rgb: np.ndarray, side: int) -> np.ndarray:
    import numpy as np
    from PIL import Image

    height, width = rgb.shape[:2]
    scale = min(1.0, side / max(height, width))
    if scale == 1.0:
        return np.ascontiguousarray(rgb)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(np.ascontiguousarray(rgb)).resize(size, Image.Resampling.BOX))


def _shrunk_mask(mask: np.ndarray, side: int) -> np.ndarray:
    import numpy as np

    grey = (np.clip(mask, 0, 1) * 255).astype(np.uint8)
    return _shrunk(grey, side).astype(np.float32) / np.float32(255)


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

"""The subject's mask: alpha when the picture has it, else a local rembg model, else a classical cut.

Never downloads: rembg is used only when its model file is already in the models store. The
classical fallback handles what artists usually have without transparency, a subject on a plain
or studio background: it models the background from the image border (a smooth quadratic colour
field, so vignetting and gradients pass), removes what matches it and is connected to the border,
plus enclosed holes of the same colour (a teapot's handle).
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from app.core.errors import InputError
from app.core.generation.request import CancelToken
from app.core.imaging.loading import LoadedImage

REMBG_MODELS = ("isnet-general-use", "u2net", "birefnet-general", "u2netp")
_WORK_SIDE = 512
_BORDER = 3
_MIN_VISIBLE = 0.001


@dataclass(frozen=True)
class MaskResult:
    alpha: np.ndarray
    """(H, W) float32 in [0, 1]."""
    method: str
    """"alpha", "rembg:<model>" or "border-colour"."""


def foreground_mask(
    image: LoadedImage, models_dir: Path | None = None, cancel: CancelToken | None = None
) -> MaskResult:
    name = image.path.name
    if image.has_alpha:
        alpha = image.rgba[..., 3].astype(np.float32) / 255.0
        if (alpha > 0.5).mean() < _MIN_VISIBLE:
            raise InputError(f"{name} is fully transparent: there is no subject to model")
        return MaskResult(alpha, "alpha")
    if cancel:
        cancel.raise_if_cancelled()
    rembg_model = _local_rembg_model(models_dir)
    if rembg_model is not None:
        return _rembg_mask(image, rembg_model)
    return MaskResult(_border_colour_mask(image, cancel), "border-colour")


def _local_rembg_model(models_dir: Path | None) -> Path | None:
    if models_dir is None or importlib.util.find_spec("rembg") is None:
        return None
    for model in REMBG_MODELS:
        candidate = models_dir / "rembg" / f"{model}.onnx"
        if candidate.is_file():
            return candidate
    return None


def _rembg_mask(image: LoadedImage, model_file: Path) -> MaskResult:
    # rembg looks for <U2NET_HOME>/<model>.onnx and downloads only when it is missing.
    os.environ["U2NET_HOME"] = str(model_file.parent)
    import rembg

    session = rembg.new_session(model_file.stem)
    cut = rembg.remove(Image.fromarray(image.rgba[..., :3]), session=session, only_mask=True)
    alpha = np.asarray(cut.convert("L"), dtype=np.float32) / 255.0
    if (alpha > 0.5).mean() < _MIN_VISIBLE:
        raise InputError(f"{image.path.name}: the background-removal model found no subject")
    return MaskResult(alpha, f"rembg:{model_file.stem}")


def _border_colour_mask(image: LoadedImage, cancel: CancelToken | None) -> np.ndarray:
    name = image.path.name
    h, w = image.rgba.shape[:2]
    scale = min(1.0, _WORK_SIDE / max(h, w))
    small_size = (max(8, round(w * scale)), max(8, round(h * scale)))
    small = np.asarray(
        Image.fromarray(image.rgba[..., :3]).resize(small_size, Image.Resampling.BOX), dtype=np.float32
    )
    sh, sw = small.shape[:2]

    border = np.zeros((sh, sw), dtype=bool)
    border[:_BORDER], border[-_BORDER:], border[:, :_BORDER], border[:, -_BORDER:] = True, True, True, True
    background = _background_field(small, border)
    distance = np.linalg.norm(small - background, axis=2)
    spread = float(np.percentile(distance[border], 95))
    if spread > 24.0:
        raise InputError(
            f"{name} has no transparent or plain background, so the subject cannot be cut out: "
            "remove the background first (save as PNG with transparency), or put a background-removal "
            "model in the models folder (models_cache/rembg/)"
        )
    if cancel:
        cancel.raise_if_cancelled()

    threshold = max(18.0, 3.0 * spread)
    like_background = distance < threshold
    labels, count = ndimage.label(like_background)
    touching = np.unique(labels[border & like_background])
    is_background = np.isin(labels, touching[touching > 0])
    # Enclosed regions of clearly background colour (a handle's hole) are background too.
    if count:
        ids = np.arange(1, count + 1)
        sizes = ndimage.sum_labels(np.ones_like(distance), labels, ids)
        mean_distance = ndimage.mean(distance, labels, ids)
        holes = ids[(sizes >= 0.0005 * sh * sw) & (mean_distance < threshold * 0.5)]
        is_background |= np.isin(labels, holes)

    foreground = ndimage.binary_opening(~is_background, iterations=1)
    foreground = ndimage.binary_closing(foreground, iterations=1) & ~border
    labels, count = ndimage.label(foreground)
    if count == 0:
        raise InputError(f"{name}: no subject found: the whole picture matches its background colour")
    sizes = ndimage.sum_labels(foreground, labels, np.arange(1, count + 1))
    keep = np.flatnonzero(sizes >= 0.002 * sizes.max()) + 1
    foreground = np.isin(labels, keep)
    if foreground.mean() < _MIN_VISIBLE:
        raise InputError(f"{name}: no subject found: the picture is almost all background")

    soft = Image.fromarray(foreground.astype(np.float32), mode="F").resize((w, h), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(soft, dtype=np.float32), 0.0, 1.0)


def _background_field(rgb: np.ndarray, border: np.ndarray) -> np.ndarray:
    """Least-squares quadratic colour field fitted to the border pixels, evaluated everywhere."""
    h, w = border.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    x, y = xx / w - 0.5, yy / h - 0.5
    basis = np.stack([np.ones_like(x), x, y, x * x, y * y, x * y], axis=-1)
    coeffs, *_ = np.linalg.lstsq(basis[border], rgb[border], rcond=None)
    return (basis @ coeffs).astype(np.float32)

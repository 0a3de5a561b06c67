"""Which pixels are the subject: the picture's own alpha, a local rembg model, or a plain backdrop.

Generators need a clean cut-out. Transparency is trusted as is; without it a locally installed
rembg model is used (never downloaded); failing that, a studio picture on a plain (possibly
slightly graded) backdrop is separated by its colour distance to the backdrop. Anything else is
refused with a message that says how to get a usable picture.
"""

from __future__ import annotations

import functools
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from scipy import ndimage as ndi

from app.core.errors import GenerationError, InputError
from app.core.generation.request import CancelToken
from app.core.imaging.loading import LoadedImage

REMBG_MODELS: tuple[str, ...] = ("isnet-general-use", "u2net", "birefnet-general", "u2netp")
"""Tried in this order in `<models_dir>/rembg/<name>.onnx`: best general-purpose quality first."""

MIN_VISIBLE_FRACTION = 0.01
KEY_MAX_PIXELS = 4_000_000
"""The plain-backdrop key runs at most at this size (~2000×2000); bigger pictures are reduced."""
BORDER_PX = 3
INLIER_TOL = 20.0
"""Border pixels farther than this from the backdrop model are not backdrop (units ~ 8-bit levels)."""
MIN_PLAIN_FRACTION = 0.6
"""At least this share of the border must be backdrop: a subject may touch the edge, not fill it."""
MAX_BACKDROP_NOISE = 6.0
MIN_THRESHOLD = 6.0
HOLE_TOLERANCE = 3.0
HOLE_MATCH_FRACTION = 0.5
"""An enclosed region is see-through backdrop when at least half of it is within HOLE_TOLERANCE."""
HOLE_MIN_AREA_FRACTION = 1e-4
SPECK_FRACTION = 0.002

_log = logging.getLogger(__name__)
_CROSS = ndi.generate_binary_structure(2, 1)
_SQUARE = ndi.generate_binary_structure(2, 2)


@dataclass(frozen=True)
class MaskResult:
    """Foreground coverage per pixel in [0, 1] and how it was obtained (recorded as provenance)."""

    alpha: np.ndarray
    method: str


def foreground_mask(
    image: LoadedImage, models_dir: Path | None = None, cancel: CancelToken | None = None
) -> MaskResult:
    """The subject's mask: alpha channel, else a local rembg model, else a plain-backdrop key."""
    if image.has_alpha:
        return _alpha_mask(image)
    model = _rembg_model(models_dir)
    if model is not None:
        result = _rembg_mask(image, *model)
        if result is not None:
            return result
    return _backdrop_mask(image, cancel)


def _alpha_mask(image: LoadedImage) -> MaskResult:
    alpha = image.rgba[..., 3].astype(np.float32) / np.float32(255)
    if np.count_nonzero(image.rgba[..., 3] > 127) < MIN_VISIBLE_FRACTION * alpha.size:
        raise InputError(f"{image.path.name} is fully transparent: there is no subject to model")
    return MaskResult(alpha, "alpha")


def _rembg_model(models_dir: Path | None) -> tuple[str, Path] | None:
    if models_dir is None:
        return None
    folder = Path(models_dir) / "rembg"
    for name in REMBG_MODELS:
        if (folder / f"{name}.onnx").is_file():
            return name, folder
    return None


def _rembg_mask(image: LoadedImage, name: str, folder: Path) -> MaskResult | None:
    """rembg with a model already on disk; None when rembg cannot be imported (optional extra)."""
    os.environ["U2NET_HOME"] = str(folder)
    os.environ["MODEL_CHECKSUM_DISABLED"] = "1"
    try:
        import rembg  # noqa: F401  # optional: imported only when a model is installed
    except Exception as exc:  # a broken optional install must not stop the app
        _log.info("rembg unavailable (%s); using the plain-background key", exc)
        return None
    try:
        session = _rembg_session(name, str(folder))
        predicted = session.predict(Image.fromarray(np.ascontiguousarray(image.rgba[..., :3])))[0]
    except Exception as exc:  # onnxruntime raises many types for a bad model
        raise GenerationError(
            f"background-removal model {name} in {folder} could not run ({exc}): "
            f"replace or delete {name}.onnx"
        ) from None
    alpha = np.asarray(predicted.convert("L"), dtype=np.float32) / np.float32(255)
    if np.count_nonzero(alpha > 0.5) < MIN_VISIBLE_FRACTION * alpha.size:
        raise InputError(
            f"{image.path.name}: no subject found by the background-removal model: "
            "use a picture where the subject is clearly visible"
        )
    return MaskResult(alpha, f"rembg:{name}")


@functools.lru_cache(maxsize=2)
def _rembg_session(name: str, folder: str) -> Any:
    """Sessions load a large network; keep the last ones (folder is part of the key on purpose)."""
    import rembg

    return rembg.new_session(name)


def _backdrop_mask(image: LoadedImage, cancel: CancelToken | None) -> MaskResult:
    """Key out a plain backdrop; big pictures are keyed at a reduced size, then scaled back.

    Keying 64 megapixels at full size takes seconds and gigabytes for an edge that ends up
    resampled anyway; the scaled-back mask is bilinear, so its edge is slightly soft.
    """
    token = cancel if cancel is not None else CancelToken()
    height, width = image.rgba.shape[:2]
    factor = max(1, math.ceil(math.sqrt(height * width / KEY_MAX_PIXELS)))
    rgb = image.rgba[..., :3]
    if factor > 1:
        rgb = np.asarray(Image.fromarray(image.rgba).reduce(factor))[..., :3]
    foreground = _key_backdrop(image, rgb, token)
    if factor == 1:
        return MaskResult(foreground.astype(np.float32), "border-colour")
    box = (0.0, 0.0, width / factor, height / factor)
    scaled = Image.fromarray(foreground.astype(np.uint8) * np.uint8(255)).resize(
        (width, height), Image.Resampling.BILINEAR, box=box
    )
    return MaskResult(np.asarray(scaled, dtype=np.float32) / np.float32(255), "border-colour")


def _key_backdrop(image: LoadedImage, rgb: np.ndarray, token: CancelToken) -> np.ndarray:
    """Backdrop connected to the border, plus enclosed see-through holes, removed; returns the rest."""
    planes = _opponent_planes(rgb)
    height, width = planes.shape[1:]
    rows, cols = _border_coords(height, width)
    samples = planes[:, rows, cols]
    coeffs, noise = _fit_backdrop(image, samples, u=cols / (width - 1), v=rows / (height - 1))
    token.raise_if_cancelled()
    dist2 = _distance2(planes, coeffs)
    threshold = max(MIN_THRESHOLD, 3.0 * noise)
    token.raise_if_cancelled()
    background = _connected_background(dist2, threshold, max(HOLE_TOLERANCE, 1.5 * noise))
    token.raise_if_cancelled()
    foreground = _cleanup(~background)
    if not foreground.any():
        raise InputError(
            f"{image.path.name}: no subject found on its plain background: use a picture where "
            "the subject stands out from the backdrop"
        )
    return foreground


def _opponent_planes(rgb: np.ndarray) -> np.ndarray:
    """(3, H, W) luma and two scaled colour differences: a cheap, roughly perceptual space."""
    planes = np.ascontiguousarray(np.moveaxis(rgb, -1, 0), dtype=np.float32)
    red, green, blue = planes
    luma = 0.299 * red + 0.587 * green + 0.114 * blue
    planes[0] = 0.713 * (red - luma)
    planes[2] = 0.564 * (blue - luma)
    planes[1] = luma
    return planes


def _border_coords(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    ring = np.zeros((height, width), dtype=bool)
    ring[:BORDER_PX] = ring[-BORDER_PX:] = True
    ring[:, :BORDER_PX] = ring[:, -BORDER_PX:] = True
    rows, cols = np.nonzero(ring)
    return rows, cols


def _fit_backdrop(
    image: LoadedImage, samples: np.ndarray, u: np.ndarray, v: np.ndarray
) -> tuple[np.ndarray, float]:
    """Robust plane per channel over the border (allows a slight gradient) and its noise level.

    `samples` is (3, N) border colours at relative positions u (x) and v (y) in [0, 1]. Returns
    (3, 3) coefficients [constant, per-x, per-y] per channel and the 90th percentile of the
    backdrop's distance to the plane.
    """
    colours = samples.T
    first = np.linalg.norm(colours - np.median(colours, axis=0), axis=1)
    inliers = first <= INLIER_TOL
    if inliers.mean() < MIN_PLAIN_FRACTION:
        raise _no_plain_background(image)
    design = np.stack([np.ones_like(u), u, v], axis=1)
    coeffs = np.linalg.lstsq(design[inliers], colours[inliers], rcond=None)[0].T
    residual = np.linalg.norm(colours - design @ coeffs.T, axis=1)
    inliers = residual <= INLIER_TOL / 2
    noise = float(np.percentile(residual[inliers], 90)) if inliers.any() else float("inf")
    if inliers.mean() < MIN_PLAIN_FRACTION or noise > MAX_BACKDROP_NOISE:
        raise _no_plain_background(image)
    return coeffs, noise


def _no_plain_background(image: LoadedImage) -> InputError:
    return InputError(
        f"{image.path.name} has no transparent or plain background, so the subject cannot be "
        "cut out: remove the background first (save a PNG with transparency) or install a "
        "background-removal model (e.g. isnet-general-use.onnx) into models_cache/rembg/"
    )


def _distance2(planes: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """Squared distance of every pixel to the backdrop plane (separable: row term + column term)."""
    height, width = planes.shape[1:]
    u = np.linspace(0.0, 1.0, width, dtype=np.float32)
    v = np.linspace(0.0, 1.0, height, dtype=np.float32)
    total = np.zeros((height, width), dtype=np.float32)
    for plane, (c0, cx, cy) in zip(planes, coeffs, strict=True):
        diff = plane - (c0 + cx * u)[None, :].astype(np.float32)
        diff -= (cy * v)[:, None].astype(np.float32)
        diff *= diff
        total += diff
    return total


def _connected_background(dist2: np.ndarray, threshold: float, tight: float) -> np.ndarray:
    """Backdrop-coloured regions touching the border, plus enclosed ones that match it closely.

    An enclosed region (a teapot handle's hole) is backdrop only when most of its pixels are
    almost exactly the backdrop colour and it is not tiny; grey paint on the subject is not.
    """
    labels, count = ndi.label(dist2 <= threshold * threshold, structure=_CROSS)
    flat = labels.ravel()
    sizes = np.bincount(flat, minlength=count + 1)
    matches = np.bincount(flat, weights=(dist2 <= tight * tight).ravel(), minlength=count + 1)
    is_background = (sizes >= max(16.0, HOLE_MIN_AREA_FRACTION * dist2.size)) & (
        matches >= HOLE_MATCH_FRACTION * sizes
    )
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    is_background[edge] = True
    is_background[0] = False
    return is_background[labels]


def _cleanup(foreground: np.ndarray) -> np.ndarray:
    """Open to drop fringe and specks, close to seal hairline cracks, keep only sizeable parts."""
    opened = ndi.binary_opening(foreground, structure=_CROSS)
    padded = np.pad(opened, 1, mode="edge")
    closed = ndi.binary_closing(padded, structure=_CROSS)[1:-1, 1:-1]
    labels, count = ndi.label(closed, structure=_SQUARE)
    if count == 0:
        return closed
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    sizes[0] = 0
    keep = sizes >= SPECK_FRACTION * sizes.max()
    keep[0] = False
    return keep[labels]

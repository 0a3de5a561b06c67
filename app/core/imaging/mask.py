"""Which pixels are the subject: the picture's own alpha, a cutout model, or the classical cutout.

Generators need a clean cut-out. Transparency is trusted as is; without it a cutout model from the
model store is used when one is installed (never downloaded on its own); failing that, the
classical cutout: a studio picture on a plain (possibly slightly graded) backdrop is keyed by
its colour distance to the backdrop when GrabCut agrees with the key, anything else is cut out by
GrabCut seeded from the border and the subject's framing. Every mask carries a confidence; the
front ends ask the artist for a mask when it is low.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from app.core.base.cancel import CancelToken
from app.core.base.errors import InputError
from app.core.base.rules import CUTOUT_MODES
from app.core.imaging.loading import LoadedImage

LOW_CONFIDENCE = 0.5
"""Below this the cutout is probably wrong: the window opens the mask editor, the CLI stops and
says how to give a mask."""
KEY_AGREEMENT = 0.9
"""The plain-backdrop key is used when GrabCut's mask overlaps it at least this much (IoU)."""
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

_CROSS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)
"""4-connectivity, as `ndimage.generate_binary_structure(2, 1)`: the window's start-up imports this
module for its constants, and SciPy loads only when a mask is computed."""
_SQUARE = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class MaskResult:
    """Foreground coverage per pixel in [0, 1], how it was obtained and how sure that is (recorded
    as provenance)."""

    alpha: np.ndarray
    method: str
    confidence: float = 1.0
    doubt: str = ""
    """Why the confidence is low, in words; empty when nothing looked wrong."""


def foreground_mask(
    image: LoadedImage,
    models_dir: Path | None = None,
    cancel: CancelToken | None = None,
    mode: str = "auto",
) -> MaskResult:
    """The subject's mask by `mode` (one of CUTOUT_MODES); see the module docstring for `auto`."""
    if mode not in CUTOUT_MODES:
        raise InputError(f"cutout {mode!r} is not valid: use {', '.join(CUTOUT_MODES)}")
    if mode == "alpha" or (mode == "auto" and image.has_alpha):
        return _alpha_mask(image)
    if mode in ("auto", "model"):
        from app.core.imaging.cutout_model import model_mask

        result = model_mask(image, models_dir, cancel, required=mode == "model")
        if result is not None:
            return result
    return classical_mask(image, cancel)


def _alpha_mask(image: LoadedImage) -> MaskResult:
    if not image.has_alpha:
        raise InputError(
            f"{image.path.name} has no transparency to cut the subject out by: use --cutout auto, "
            "or give a mask with --mask FILE.png"
        )
    alpha = image.rgba[..., 3].astype(np.float32) / np.float32(255)
    if np.count_nonzero(image.rgba[..., 3] > 127) < MIN_VISIBLE_FRACTION * alpha.size:
        raise InputError(f"{image.path.name} is fully transparent: there is no subject to model")
    return MaskResult(alpha, "alpha")


def classical_mask(image: LoadedImage, cancel: CancelToken | None = None) -> MaskResult:
    """The plain-backdrop key when GrabCut agrees with it (it is exact on studio backdrops and
    finds see-through holes), else GrabCut's own mask and confidence."""
    from app.core.imaging.classical import classical_cut

    cut = classical_cut(np.ascontiguousarray(image.rgba[..., :3]), cancel=cancel)
    subject = cut.alpha > 0.5
    if np.count_nonzero(subject) < MIN_VISIBLE_FRACTION * subject.size:
        raise InputError(
            f"{image.path.name}: no subject found: give a mask (--mask FILE.png, white where the "
            "subject is) or cut it out in the window's mask editor"
        )
    try:
        keyed = _backdrop_mask(image, cancel)
    except InputError:
        keyed = None
    if keyed is not None and _overlap(keyed.alpha > 0.5, subject) >= KEY_AGREEMENT:
        return MaskResult(keyed.alpha, keyed.method, max(cut.confidence, 0.9))
    return MaskResult(cut.alpha, "grabcut", cut.confidence, cut.doubt)


def _overlap(one: np.ndarray, two: np.ndarray) -> float:
    union = np.count_nonzero(one | two)
    return np.count_nonzero(one & two) / union if union else 0.0


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
    return InputError(f"{image.path.name} has no plain backdrop to key out")


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
    from scipy import ndimage as ndi

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
    from scipy import ndimage as ndi

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

"""Cutout test pictures with a known answer: the sample subjects pasted onto backgrounds.

The benchmark and the cutout tests need pictures whose true mask is known, so they are built:
each RGBA sample is pasted at a chosen size and position onto a photo that ships with
scikit-image, textured noise, a gradient or a checkerboard; the true mask is where the pasted
alpha is above one half. Two samples (the teapot and the fox) are opaque pictures on a plain
grey backdrop; their alpha is taken from Sweedle's plain-backdrop key, which separates them
exactly. Everything is seeded, so a scene is the same picture on every run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from app.core.imaging import foreground_mask, load_image
from app.core.imaging.loading import LoadedImage

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "images"
KINDS = ("photo", "noise", "gradient", "checker")
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "stereo_motorcycle", "immunohistochemistry", "brick")
"""scikit-image's bundled photos (brick is grey, shown as grey RGB; the motorcycle is its left view)."""
PLACEMENTS: tuple[tuple[float, float, float], ...] = (
    (0.70, 0.50, 0.50),
    (0.50, 0.30, 0.35),
    (0.40, 0.70, 0.65),
)
"""(subject's longer side as a share of the canvas's shorter side, centre x, centre y)."""


@dataclass(frozen=True)
class Scene:
    name: str
    kind: str
    image: LoadedImage
    truth: np.ndarray
    """HxW bool: where the pasted subject's alpha is above one half."""


def subjects(folder: Path = SAMPLES) -> list[tuple[str, np.ndarray]]:
    """Each sample cropped to its subject, as straight-alpha RGBA."""
    found = []
    for path in sorted(folder.glob("*.png")):
        image = load_image(path)
        rgba = np.array(image.rgba)
        if not image.has_alpha:
            rgba[..., 3] = np.rint(foreground_mask(image).alpha * 255).astype(np.uint8)
        rows = np.flatnonzero((rgba[..., 3] > 127).any(axis=1))
        cols = np.flatnonzero((rgba[..., 3] > 127).any(axis=0))
        found.append((path.stem, rgba[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]))
    return found


def background(kind: str, index: int, size: tuple[int, int]) -> np.ndarray:
    """An HxWx3 uint8 background of `kind`; `index` picks among variants of that kind."""
    width, height = size
    rng = np.random.default_rng(1000 * KINDS.index(kind) + index)
    if kind == "photo":
        import skimage.data

        photo = getattr(skimage.data, PHOTOS[index % len(PHOTOS)])()
        photo = photo[0] if isinstance(photo, tuple) else photo
        if photo.ndim == 2:
            photo = np.dstack([photo] * 3)
        return np.asarray(Image.fromarray(photo[..., :3]).resize(size, Image.Resampling.BICUBIC))
    if kind == "noise":
        base = rng.integers(40, 216, 3).astype(np.float32)
        tint = rng.normal(0.0, 1.0, 3).astype(np.float32) * 0.25 + 1.0
        texture = np.zeros((height, width), np.float32)
        for octave, scale in enumerate((64, 16, 4)):
            small = rng.normal(0.0, 1.0, (max(2, height // scale), max(2, width // scale))).astype(np.float32)
            layer = np.asarray(Image.fromarray(small).resize(size, Image.Resampling.BICUBIC))
            texture += layer * (28.0, 14.0, 8.0)[octave]
        grain = rng.normal(0.0, 6.0, (height, width, 3)).astype(np.float32)
        return np.clip(base + texture[..., None] * tint + grain, 0, 255).astype(np.uint8)
    if kind == "gradient":
        start, stop = rng.integers(0, 256, (2, 3)).astype(np.float32)
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        if index % 2 == 0:
            angle = rng.uniform(0, np.pi)
            t = xs * np.cos(angle) + ys * np.sin(angle)
            t -= t.min()
        else:
            t = np.hypot(xs - width * rng.uniform(0.2, 0.8), ys - height * rng.uniform(0.2, 0.8))
        t = t / t.max()
        return np.clip(start + (stop - start) * t[..., None], 0, 255).astype(np.uint8)
    if kind == "checker":
        cell = (16, 40, 96)[index % 3]
        one, two = rng.integers(0, 256, (2, 3)).astype(np.uint8)
        ys, xs = np.mgrid[0:height, 0:width]
        return np.where((((xs // cell) + (ys // cell)) % 2 == 0)[..., None], one, two).astype(np.uint8)
    raise ValueError(f"unknown background kind {kind}")


def composite(
    subject: np.ndarray, backdrop: np.ndarray, placement: tuple[float, float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """The subject pasted over `backdrop` (straight alpha, 'over'); the picture and its true mask."""
    height, width = backdrop.shape[:2]
    share, cx, cy = placement
    scale = share * min(width, height) / max(subject.shape[:2])
    size = (max(1, round(subject.shape[1] * scale)), max(1, round(subject.shape[0] * scale)))
    pasted = np.asarray(Image.fromarray(subject).resize(size, Image.Resampling.LANCZOS))
    left = int(np.clip(round(cx * width - size[0] / 2), 0, width - size[0]))
    top = int(np.clip(round(cy * height - size[1] / 2), 0, height - size[1]))
    alpha = np.zeros((height, width), np.float32)
    colour = np.zeros((height, width, 3), np.float32)
    alpha[top : top + size[1], left : left + size[0]] = pasted[..., 3] / 255.0
    colour[top : top + size[1], left : left + size[0]] = pasted[..., :3]
    mixed = colour * alpha[..., None] + backdrop.astype(np.float32) * (1.0 - alpha[..., None])
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8), alpha > 0.5


def scenes(
    size: tuple[int, int] = (1024, 1024), kinds: tuple[str, ...] = KINDS, shift: int = 0
) -> Iterator[Scene]:
    """Every subject on every kind of background; the placement turns with the subject's number,
    and `shift` turns it further (shifts 0, 1 and 2 give each subject every placement)."""
    for number, (name, subject) in enumerate(subjects()):
        for kind in kinds:
            placement = PLACEMENTS[(number + shift) % len(PLACEMENTS)]
            backdrop = background(kind, number + 14 * shift, size)
            picture, truth = composite(subject, backdrop, placement)
            rgba = np.dstack([picture, np.full(picture.shape[:2], 255, np.uint8)])
            rgba.setflags(write=False)
            image = LoadedImage(rgba, False, "PNG", "RGB", Path(f"{name}-on-{kind}.png"))
            yield Scene(f"{name}/{kind}", kind, image, truth)


def iou(mask: np.ndarray, truth: np.ndarray) -> float:
    union = np.count_nonzero(mask | truth)
    return np.count_nonzero(mask & truth) / union if union else 1.0

"""The classical cutout, no model needed: GrabCut (OpenCV) seeded from the border and the framing.

A photo or a concept sheet seldom has a plain backdrop, but its border is almost always
background and the subject is what stands apart from it. So the border's colours are learnt
(k-means in Lab), pixels unlike all of them are the subject's likely pixels, the strongest such
region (large, distinct, central, not running off the frame) gives the subject's framing box,
and GrabCut separates the two, seeded by that box, at a working size of WORK_SIDE pixels. On a
graded backdrop (a gradient, a vignette) the backdrop is first fitted as a smooth surface and
taken out of the picture (`smooth_backdrop`), so GrabCut sees a flat one. The edge is then
sharpened at (up to) full size by projecting each edge pixel's colour between the
nearby subject and backdrop colours.

The confidence says how much of the picture fits that story: a busy border (a scene rather than
a backdrop), parts unlike the backdrop left out, or backdrop-like parts kept all lower it. The
mask editor calls `classical_cut` with the artist's box and strokes as seeds instead.

OpenCV is imported inside the functions: this module loads with the imaging code, off start-up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from app.core.base.cancel import CancelToken

WORK_SIDE = 384
"""Longest side GrabCut runs at: ~0.3 s here, and the edge is refined at full size afterwards."""
BORDER_SHARE = 0.02
BOX_MARGIN = 0.06
"""The framing box grows by this share of the longer side on each side."""
ITERATIONS = 4
BORDER_CLUSTERS = 8
REFINE_MAX_PIXELS = 4_000_000
"""The edge is refined at most at this size (~2000×2000); bigger pictures get it upsampled."""
BUSY_BORDER = 10.5
"""Lab distance (90th percentile) of border pixels to their own colour clusters at which the
border counts as half scene, half backdrop: plain, graded, textured and checked backdrops stay
under 9.5 in the benchmark, most photographs are above 10.5."""
RETRY_OUTLINE = 0.8
"""A cut whose outline is on clear picture edges less than this share of its length is cut again."""
FAINT_OUTLINE = 0.3
"""A region whose outline is under this share of the strongest region's is a glow, not a part."""
BOX_LIKE_OUTSIDE = 6.0
"""Lab distance under which a pixel in the artist's box has a colour common outside it."""
STROKE_MARGIN = 0.08
"""Strokes refine the mask only this far around them (share of the longer side)."""


@dataclass(frozen=True)
class Seeds:
    """What the artist marked in the mask editor, in the pixels of the picture given."""

    box: tuple[int, int, int, int] | None = None
    """(left, top, right, bottom), right and bottom exclusive: the subject is inside."""
    keep: np.ndarray | None = None
    """HxW bool: painted with the keep brush (surely subject)."""
    remove: np.ndarray | None = None
    """HxW bool: painted with the remove brush (surely background)."""
    prior: np.ndarray | None = None
    """HxW float in [0, 1]: the mask before these strokes; strokes change it only near them."""


@dataclass(frozen=True)
class ClassicalCut:
    alpha: np.ndarray
    """HxW float32 in [0, 1], at the size of the picture given."""
    confidence: float
    doubt: str
    """Why the confidence is low, in words; empty when nothing looked wrong."""


def classical_cut(
    rgb: np.ndarray, seeds: Seeds | None = None, cancel: CancelToken | None = None
) -> ClassicalCut:
    """The subject of an HxWx3 uint8 picture; with `seeds`, the artist's box and strokes lead."""
    import cv2

    token = cancel if cancel is not None else CancelToken()
    height, width = rgb.shape[:2]
    factor = min(1.0, WORK_SIDE / max(height, width))
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if factor < 1.0 else np.ascontiguousarray(rgb)
    token.raise_if_cancelled()
    if seeds is None:
        labels, story = _automatic_seeds(small)
    else:
        labels, story = _artist_seeds(small, seeds, factor), None
    token.raise_if_cancelled()
    smooth = None if story is None else _smooth_backdrop_cut(small, story)
    if smooth is not None:
        cut, story = smooth
    else:
        cut = _grabcut(_flattened(small, labels) if seeds is not None else small, labels)
    if story is not None and smooth is None:
        cut = _outlined(_without_specks(cut), story.edges)
        if outline_share(cut, story.edges) < RETRY_OUTLINE:
            token.raise_if_cancelled()
            cut = _outlined_retry(small, labels, cut, story)
    token.raise_if_cancelled()
    alpha = _refined(rgb, cut)
    if seeds is not None and seeds.prior is not None:
        area = _stroke_area(seeds, size)
        if area is not None:
            near = _resized(area.astype(np.float32), (width, height)) > 0.0
            alpha = np.where(near, alpha, seeds.prior.astype(np.float32))
    if story is None:
        return ClassicalCut(alpha, 1.0, "")
    confidence, doubt = _confidence(cut, story)
    return ClassicalCut(alpha, confidence, doubt)


@dataclass(frozen=True)
class _Story:
    """What the automatic seeding saw, for the confidence."""

    unlike_border: np.ndarray
    border_spread: float
    edges: np.ndarray
    """Colour gradient magnitude at working size: a subject has an outline, a glow does not."""


def _automatic_seeds(small: np.ndarray) -> tuple[np.ndarray, _Story]:
    """GrabCut labels: border surely background, the rest probable background but for the
    unlike-border pixels inside the framing box, probable subject; and what was seen on the way.
    Outside the box is only probable background: parts of the subject that look like the border
    (a robot's grey legs on a dark checkerboard) may fall outside it, and GrabCut gets them back."""
    import cv2

    height, width = small.shape[:2]
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    border = _ring(height, width, max(2, round(BORDER_SHARE * max(height, width))))
    samples = np.ascontiguousarray(lab[border])
    clusters = min(BORDER_CLUSTERS, len(np.unique(samples, axis=0)))
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    cv2.setRNGSeed(1)  # k-means starts from random centres: the same picture gives the same mask
    _, _, centres = cv2.kmeans(samples, clusters, None, criteria, 2, cv2.KMEANS_PP_CENTERS)
    distance = _nearest_distance(lab, centres)
    spread = float(np.percentile(distance[border], 90))
    distance = cv2.GaussianBlur(distance, (0, 0), 1.5)
    top = float(np.percentile(distance, 99.5))
    scaled = np.clip(distance / max(top, 1e-6) * 255.0, 0, 255).astype(np.uint8)
    _, unlike = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    unlike = ndi.binary_opening(unlike > 0) & ~border
    edges = _edges(lab)
    chosen = _subject_regions(unlike, distance, border, edges)
    labels = np.full((height, width), cv2.GC_PR_BGD, np.uint8)
    left, top_row, right, bottom = _framing(chosen, height, width)
    labels[top_row:bottom, left:right] = cv2.GC_PR_BGD
    inside = np.zeros_like(unlike)
    inside[top_row:bottom, left:right] = True
    labels[(inside & unlike) | chosen] = cv2.GC_PR_FGD
    labels[border] = cv2.GC_BGD
    return labels, _Story(unlike, spread, edges)


def _smooth_backdrop_cut(small: np.ndarray, story: _Story) -> tuple[np.ndarray, _Story] | None:
    """On a smooth (graded) backdrop: GrabCut on the picture with the backdrop surface taken out,
    seeded by what stands off that surface; None when the backdrop is not smooth."""
    import cv2

    from app.core.imaging.smooth_backdrop import smooth_backdrop

    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    backdrop = smooth_backdrop(lab, story.unlike_border)
    if backdrop is None:
        return None
    height, width = backdrop.stands_off.shape
    labels = np.full((height, width), cv2.GC_PR_BGD, np.uint8)
    labels[backdrop.stands_off] = cv2.GC_PR_FGD
    border = _ring(height, width, max(2, round(BORDER_SHARE * max(height, width))))
    labels[(border & ~backdrop.stands_off) | backdrop.surely_backdrop] = cv2.GC_BGD
    cut = _outlined(_without_specks(_grabcut(backdrop.flat, labels)), story.edges)
    if not cut.any():
        return None
    unlike = backdrop.stands_off | (cut & ~backdrop.surely_backdrop)
    return cut, _Story(unlike, backdrop.spread, story.edges)


def _flattened(small: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The picture for GrabCut from the artist's seeds: with a smooth backdrop around what they
    marked as background, that backdrop taken out (Lab, flat), else the picture itself."""
    import cv2

    from app.core.imaging.smooth_backdrop import smooth_backdrop

    certain = labels == cv2.GC_BGD
    if np.count_nonzero(certain) < 0.2 * certain.size:
        return small
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    backdrop = smooth_backdrop(lab, ~certain)
    return small if backdrop is None else backdrop.flat


def _nearest_distance(lab: np.ndarray, centres: np.ndarray) -> np.ndarray:
    best = np.full(lab.shape[:2], np.inf, np.float32)
    for centre in centres:
        np.minimum(best, np.sqrt(np.sum((lab - centre) ** 2, axis=2)), out=best)
    return best


def _subject_regions(
    unlike: np.ndarray, distance: np.ndarray, border: np.ndarray, edges: np.ndarray
) -> np.ndarray:
    """The unlike-border regions that make the subject: large, distinct, central, outlined (a
    radial gradient's glow is distinct but has no outline) and not running off the frame
    (scenery does; a framed subject does not)."""
    labels, count = ndi.label(unlike)
    if count == 0:
        return unlike
    height, width = unlike.shape
    index = np.arange(1, count + 1)
    rows, cols = np.mgrid[0:height, 0:width]
    centred = np.exp(-((cols / width - 0.5) ** 2 + (rows / height - 0.5) ** 2) / (2 * 0.3**2))
    area = ndi.sum(np.ones_like(distance), labels, index)
    strength = ndi.mean(distance, labels, index)
    central = ndi.mean(centred, labels, index)
    touching = ndi.sum(ndi.binary_dilation(border, iterations=2), labels, index) / (4 * np.sqrt(area))
    outline = _outline_strength(labels, index, edges)
    score = area * strength * central * np.where(touching > 0.15, 0.2, 1.0)
    score *= np.where(outline < FAINT_OUTLINE * outline.max(), 0.05, 1.0)
    return np.isin(labels, index[score >= 0.15 * score.max()])


def _edges(lab: np.ndarray) -> np.ndarray:
    import cv2

    total = np.zeros(lab.shape[:2], np.float32)
    for channel in range(3):
        plane = np.ascontiguousarray(lab[..., channel])
        total += np.hypot(cv2.Sobel(plane, cv2.CV_32F, 1, 0), cv2.Sobel(plane, cv2.CV_32F, 0, 1))
    return total


def _outline_strength(labels: np.ndarray, index: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Mean edge strength along each labelled region's outline."""
    outline = np.where(ndi.binary_erosion(labels > 0), 0, labels)
    return np.nan_to_num(np.asarray(ndi.mean(edges, outline, index), np.float64))


def _outlined(cut: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The cut without parts whose outline is faint next to the strongest part's (a glow)."""
    labels, count = ndi.label(cut)
    if count <= 1:
        return cut
    index = np.arange(1, count + 1)
    outline = _outline_strength(labels, index, edges)
    return np.isin(labels, index[outline >= FAINT_OUTLINE * outline.max()])


def _framing(chosen: np.ndarray, height: int, width: int) -> tuple[int, int, int, int]:
    rows, cols = np.nonzero(chosen)
    if rows.size == 0:  # nothing stands out: assume a centred subject
        return width // 4, height // 4, 3 * width // 4, 3 * height // 4
    margin = round(BOX_MARGIN * max(height, width))
    return (
        max(0, int(cols.min()) - margin),
        max(0, int(rows.min()) - margin),
        min(width, int(cols.max()) + 1 + margin),
        min(height, int(rows.max()) + 1 + margin),
    )


def _artist_seeds(small: np.ndarray, seeds: Seeds, factor: float) -> np.ndarray:
    """GrabCut labels from the editor: the box bounds the subject, strokes are certain, the
    previous mask is the probable answer everywhere else. `factor` is working size / picture."""
    import cv2

    height, width = small.shape[:2]
    size = (width, height)
    labels = np.full((height, width), cv2.GC_PR_BGD, np.uint8)
    if seeds.prior is not None:
        labels[_resized(seeds.prior, size) > 0.5] = cv2.GC_PR_FGD
    if seeds.box is not None:
        left, top, right, bottom = (round(v * factor) for v in seeds.box)
        left, top = max(0, left), max(0, top)
        right, bottom = min(width, max(right, left + 1)), min(height, max(bottom, top + 1))
        labels[:] = cv2.GC_BGD
        labels[top:bottom, left:right] = cv2.GC_PR_FGD
        labels[(labels == cv2.GC_PR_FGD) & _like_outside(small, labels == cv2.GC_BGD)] = cv2.GC_PR_BGD
    if seeds.keep is not None:
        labels[_resized(seeds.keep.astype(np.float32), size) > 0.25] = cv2.GC_FGD
    if seeds.remove is not None:
        labels[_resized(seeds.remove.astype(np.float32), size) > 0.25] = cv2.GC_BGD
    return labels


def _like_outside(small: np.ndarray, outside: np.ndarray) -> np.ndarray:
    """Pixels within BOX_LIKE_OUTSIDE (Lab) of a colour common outside the artist's box: a box
    filled with probable subject teaches GrabCut the backdrop's colours inside it as subject (a
    checkerboard's squares in the box are kept), so those start as probable backdrop instead."""
    import cv2

    if np.count_nonzero(outside) < BORDER_CLUSTERS * 10:
        return np.zeros_like(outside)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    samples = np.ascontiguousarray(lab[outside])
    samples = samples[:: max(1, len(samples) // 20_000)]
    clusters = min(BORDER_CLUSTERS, len(np.unique(samples, axis=0)))
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    cv2.setRNGSeed(1)
    _, _, centres = cv2.kmeans(samples, clusters, None, criteria, 2, cv2.KMEANS_PP_CENTERS)
    return _nearest_distance(lab, centres) < BOX_LIKE_OUTSIDE


def _grabcut(small: np.ndarray, labels: np.ndarray) -> np.ndarray:
    import cv2

    probable = (labels == cv2.GC_PR_FGD) | (labels == cv2.GC_FGD)
    if probable.all() or not probable.any():
        return probable
    background = np.zeros((1, 65), np.float64)
    foreground = np.zeros((1, 65), np.float64)
    work = labels.copy()
    cv2.grabCut(small, work, None, background, foreground, ITERATIONS, cv2.GC_INIT_WITH_MASK)
    return (work == cv2.GC_FGD) | (work == cv2.GC_PR_FGD)


def _stroke_area(seeds: Seeds, size: tuple[int, int]) -> np.ndarray | None:
    """Where strokes may change the previous mask: around them (None: anywhere, for a box)."""
    if seeds.box is not None:
        return None
    width, height = size
    painted = np.zeros((height, width), bool)
    for layer in (seeds.keep, seeds.remove):
        if layer is not None:
            painted |= _resized(layer.astype(np.float32), size) > 0.0
    reach = max(2, round(STROKE_MARGIN * max(width, height)))
    return ndi.binary_dilation(painted, iterations=reach) if painted.any() else painted


def _without_specks(cut: np.ndarray) -> np.ndarray:
    labels, count = ndi.label(cut)
    if count <= 1:
        return cut
    sizes = ndi.sum(cut, labels, np.arange(1, count + 1))
    return np.isin(labels, 1 + np.flatnonzero(sizes >= 0.05 * sizes.max()))


def _refined(rgb: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """The working-size cut at the picture's size, its edge pixels placed between the local
    subject and backdrop colours (a cheap matting step; the mask stays hard elsewhere)."""
    import cv2

    height, width = rgb.shape[:2]
    shrink = max(1.0, math.sqrt(height * width / REFINE_MAX_PIXELS))
    size = (max(1, round(width / shrink)), max(1, round(height / shrink)))
    picture = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if shrink > 1.0 else rgb
    soft = cv2.GaussianBlur(cut.astype(np.float32), (0, 0), 0.7)
    soft = cv2.resize(soft, size, interpolation=cv2.INTER_LINEAR)
    band = max(2, round(1.5 * size[0] / cut.shape[1]))
    alpha = _colour_projection(picture, soft > 0.5, band)
    if shrink > 1.0:
        alpha = cv2.resize(alpha, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.clip(alpha, 0.0, 1.0).astype(np.float32)


def _colour_projection(picture: np.ndarray, hard: np.ndarray, band: int) -> np.ndarray:
    import cv2

    image = picture.astype(np.float32)
    inside = hard.astype(np.float32)
    kernel = (2 * band + 1, 2 * band + 1)
    weight_in, weight_out = cv2.blur(inside, kernel), cv2.blur(1.0 - inside, kernel)
    subject = cv2.blur(image * inside[..., None], kernel) / np.maximum(weight_in, 1e-3)[..., None]
    backdrop = cv2.blur(image * (1.0 - inside)[..., None], kernel) / np.maximum(weight_out, 1e-3)[..., None]
    contrast = subject - backdrop
    strength = np.sum(contrast * contrast, axis=2)
    share = np.sum((image - backdrop) * contrast, axis=2) / np.maximum(strength, 1e-3)
    edge = (weight_in > 0.02) & (weight_out > 0.02) & (strength > 100.0)
    return np.where(edge, np.clip(share, 0.0, 1.0), inside)


def _confidence(cut: np.ndarray, story: _Story) -> tuple[float, str]:
    """How well the picture fits 'one subject on a backdrop like its border', and what did not."""
    area = max(1, int(np.count_nonzero(cut)))
    outlined = outline_share(cut, story.edges)
    left_out = np.count_nonzero(story.unlike_border & ~cut) / area
    kept_plain = np.count_nonzero(~story.unlike_border & cut) / area
    share = area / cut.size
    busy = 1.0 / (1.0 + math.exp((story.border_spread - BUSY_BORDER) / 0.8))
    terms: list[tuple[float, str]] = [
        (busy, "the picture's border is a busy scene"),
        (math.exp(-left_out / 0.25), "parts unlike the backdrop were left out"),
        (math.exp(-max(0.0, kept_plain - 0.15) / 0.3), "parts that look like the backdrop were kept"),
        (1.0 if 0.003 <= share <= 0.9 else 0.2, "the subject is tiny or fills the picture"),
        (min(1.0, max(0.05, (outlined - 0.35) / 0.3)), "the cut does not follow edges in the picture"),
    ]
    confidence = float(np.prod([value for value, _ in terms]))
    worst = min(terms, key=lambda term: term[0])
    return round(confidence, 3), (worst[1] if worst[0] < 0.8 else "")


def _outlined_retry(small: np.ndarray, labels: np.ndarray, cut: np.ndarray, story: _Story) -> np.ndarray:
    """Cut again with only the areas enclosed by clear edges as probable subject: a glow that is
    unlike the border (a radial gradient's bright spot) has no outline and drops out. Kept when
    its outline follows the picture's edges better."""
    import cv2

    strong = story.edges > 0.25 * float(np.percentile(story.edges, 99))
    enclosed = ndi.binary_fill_holes(ndi.binary_closing(strong, iterations=2))
    seeds = labels.copy()
    seeds[(labels == cv2.GC_PR_FGD) & ~enclosed] = cv2.GC_PR_BGD
    if not np.any(seeds == cv2.GC_PR_FGD):
        return cut
    retry = _outlined(_without_specks(_grabcut(small, seeds)), story.edges)
    better = outline_share(retry, story.edges) > outline_share(cut, story.edges)
    return retry if better and retry.any() else cut


def outline_share(cut: np.ndarray, edges: np.ndarray) -> float:
    """Share of the cut's outline that lies on a clear edge of the picture (next to one pixel)."""
    outline = cut & ~ndi.binary_erosion(cut)
    if not outline.any():
        return 0.0
    strong = edges > 0.25 * float(np.percentile(edges, 99))
    return float(np.count_nonzero(outline & ndi.binary_dilation(strong)) / np.count_nonzero(outline))


def _ring(height: int, width: int, width_px: int) -> np.ndarray:
    ring = np.zeros((height, width), bool)
    ring[:width_px] = ring[-width_px:] = True
    ring[:, :width_px] = ring[:, -width_px:] = True
    return ring


def _resized(layer: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import cv2

    if (layer.shape[1], layer.shape[0]) == size:
        return layer.astype(np.float32)
    return cv2.resize(layer.astype(np.float32), size, interpolation=cv2.INTER_AREA)


"""Relief's texture: the picture where the front faces the camera, the subject's own colours
without its features everywhere else, in tens of milliseconds (no unwrap, no bake).

Relief's solid is two height fields over the picture's outline, so the picture seen along the
view axis is a planar UV map of each. One map shared by both puts the picture, mirrored, on the
back (a second face on the back of a head, mirrored logos); and where the surface turns away
from the camera near the outline, one picture pixel covers a long strip of surface: the outline's
pixels stretched into streaks along the depth (texels per surface length fall with the cosine
of the angle to the view axis). So:

- a colour field is made from the subject's rim (a band just inside the outline), spread inward
  by normalised convolution with a heavy-tailed kernel (a sum of Gaussians): at every place a
  smooth mix of the colours of the nearest edges of the subject, with no features (eyes, text
  and logos lie inside, away from the rim, and the blur removes what touches it);
- the front chart is the picture pixel for pixel (the front still lines up with it), blended
  into the field where the front surface faces the camera at less than FACING_PICTURE;
- the back gets its own chart, the field alone, shrunk into the framed picture's empty margin
  (framing leaves 7.5 % of the canvas on each side). Front and back meet at the outline, where
  both show the field, so the seam between the charts does not show;
- everything else is the field too, so bilinear filtering and mip-maps find the subject's
  colours round both charts (no separate gutter fill).

The seam costs LODs nothing: `mesh.seams` thins seams that would hold a level above its budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

FIELD_CELLS = 96
"""Colour-field cells across the subject's longest side."""
RIM_CELLS = 3.0
"""Depth of the band inside the outline whose colours make the field, in field cells."""
SPREAD = ((2.0, 1.0), (6.0, 0.1), (18.0, 0.01))
"""(sigma in field cells, weight) of the Gaussians whose sum spreads the rim inward: the narrow
one keeps the rim's colours near the rim, the wide ones reach the middle of large parts."""
FACING_PICTURE = (0.5, 0.8)
"""cos of the angle between the front surface and the view axis: below the first the texture is
the field, above the second the picture, smoothly between (the picture stretches 1/cos; lower
values keep more of it at the outline but leave stripes on the sides seen at three-quarters)."""
MAX_BACK_SCALE = 0.5
"""The back chart is never finer than half the front's texel density: the field is smooth."""
MIN_BACK_TEXELS = 8
"""A back chart shorter than this has no room in the margin: the front chart is shrunk."""
SHRUNK_FRONT = 0.75


@dataclass(frozen=True)
class ChartMap:
    """Where a framed-picture point lands in the texture: texel = point * scale + offset, in
    continuous pixel coordinates (UV = texel / texture size)."""

    scale: tuple[float, float]
    offset: tuple[float, float]

    def uvs(self, points: np.ndarray, size: int) -> np.ndarray:
        scale, offset = np.asarray(self.scale, np.float64), np.asarray(self.offset, np.float64)
        return ((points * scale + offset) / size).astype(np.float32)


@dataclass(frozen=True)
class FacingGrid:
    """cos of the angle between the front surface's normal and the view axis on Relief's grid;
    grid point (row i, column j) lies at framed pixel position origin + (j, i) * cell."""

    facing: np.ndarray
    origin: tuple[float, float]
    cell: float


@dataclass(frozen=True)
class _Chart:
    scale: float
    region: tuple[float, float, float, float]
    """The canvas region (left, top, right, bottom) the back chart shows."""
    texels: tuple[int, int, int, int]
    """Its rectangle in the texture: x, y, width, height."""


@dataclass
class ReliefTexture:
    image: np.ndarray
    """(S, S, 3) uint8 sRGB."""
    front: ChartMap
    back: ChartMap


def relief_texture(
    rgb: np.ndarray, alpha: np.ndarray, bbox: tuple[int, int, int, int], facing: FacingGrid
) -> ReliefTexture:
    """The texture and both charts' maps for a framed picture whose subject box (alpha > ½) is
    `bbox` = (left, top, right, bottom), right and bottom exclusive."""
    size = alpha.shape[0]
    field, per_cell = _colour_field(rgb, alpha, bbox)
    backdrop = np.asarray(Image.fromarray(field).resize((size, size), Image.Resampling.BILINEAR))
    texture = backdrop.copy()
    _paint_front(texture, rgb, alpha, bbox, facing)
    front_scale = 1.0
    chart = _back_chart_place(size, bbox, front_scale)
    if max(chart.texels[2:]) < MIN_BACK_TEXELS and chart.scale < MAX_BACK_SCALE:
        front_scale = SHRUNK_FRONT
        small = round(size * front_scale)
        shrunk = Image.fromarray(texture).resize((small, small), Image.Resampling.BOX)
        texture = backdrop.copy()
        texture[:small, :small] = np.asarray(shrunk)
        chart = _back_chart_place(size, bbox, front_scale)
    region, (x0, y0, width, height) = chart.region, chart.texels
    box = tuple(v / per_cell for v in region)
    texture[y0 : y0 + height, x0 : x0 + width] = np.asarray(
        Image.fromarray(field).resize((width, height), Image.Resampling.BILINEAR, box=box)
    )
    scale = (width / (region[2] - region[0]), height / (region[3] - region[1]))
    back = ChartMap(scale, (x0 - region[0] * scale[0], y0 - region[1] * scale[1]))
    front = ChartMap((front_scale, front_scale), (0.0, 0.0))
    return ReliefTexture(texture, front, back)


def _colour_field(
    rgb: np.ndarray, alpha: np.ndarray, bbox: tuple[int, int, int, int]
) -> tuple[np.ndarray, float]:
    """(n, n, 3) uint8 field over the whole canvas, and canvas pixels per field cell."""
    size = alpha.shape[0]
    longest = max(bbox[2] - bbox[0], bbox[3] - bbox[1])
    cells = max(4, min(size, round(size * FIELD_CELLS / longest)))
    rgba = np.dstack([rgb, np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)])
    # Pillow resamples RGBA premultiplied: the backdrop under soft edges does not leak in.
    small = np.asarray(Image.fromarray(rgba, "RGBA").resize((cells, cells), Image.Resampling.BOX))
    cover = small[..., 3].astype(np.float32) / 255
    depth = ndimage.distance_transform_edt(cover > 0.5)
    known = np.where(depth <= RIM_CELLS, cover, 0.0).astype(np.float32)
    premultiplied = np.dstack([small[..., :3].astype(np.float32) * known[..., None], known])
    spread = sum(
        weight * ndimage.gaussian_filter(premultiplied, (sigma, sigma, 0), mode="constant", truncate=3.0)
        for sigma, weight in SPREAD
    )
    # A whisker of the mean colour keeps cells no Gaussian reaches (far corners) defined.
    mean = premultiplied[..., :3].sum(axis=(0, 1)) / max(float(known.sum()), 1e-12)
    field = (spread[..., :3] + 1e-6 * mean) / (spread[..., 3:] + 1e-6)
    return np.clip(field + 0.5, 0, 255).astype(np.uint8), size / cells


def _paint_front(
    texture: np.ndarray,
    rgb: np.ndarray,
    alpha: np.ndarray,
    bbox: tuple[int, int, int, int],
    facing: FacingGrid,
) -> None:
    """Blend the picture over the field in `texture` where the front surface faces the camera."""
    size = alpha.shape[0]
    left, top = max(bbox[0] - 1, 0), max(bbox[1] - 1, 0)
    right, bottom = min(bbox[2] + 1, size), min(bbox[3] + 1, size)
    # Grid point j is the centre of Pillow's pixel j, at continuous coordinate j + ½.
    grid = Image.fromarray(np.ascontiguousarray(facing.facing, dtype=np.float32), "F")
    ox, oy = facing.origin
    grid_box = (
        max((left - ox) / facing.cell + 0.5, 0.0),
        max((top - oy) / facing.cell + 0.5, 0.0),
        min((right - ox) / facing.cell + 0.5, float(grid.width)),
        min((bottom - oy) / facing.cell + 0.5, float(grid.height)),
    )
    cos = np.asarray(grid.resize((right - left, bottom - top), Image.Resampling.BILINEAR, box=grid_box))
    lo, hi = FACING_PICTURE
    t = np.clip((cos - lo) / (hi - lo), 0.0, 1.0)
    weight = (t * t * (3 - 2 * t) * np.clip(alpha[top:bottom, left:right], 0.0, 1.0))[..., None]
    smooth = texture[top:bottom, left:right].astype(np.float32)
    picture = rgb[top:bottom, left:right].astype(np.float32)
    texture[top:bottom, left:right] = np.clip(smooth + (picture - smooth) * weight + 0.5, 0, 255)


def _back_chart_place(size: int, bbox: tuple[int, int, int, int], front_scale: float) -> _Chart:
    """The canvas region the back chart shows and its texel rectangle, as large as the widest
    free strip beside the front chart's subject box allows (at most MAX_BACK_SCALE)."""
    gutter = max(2, round(4 * size / 1024))
    region = (
        max(bbox[0] - 2.0, 0.0),
        max(bbox[1] - 2.0, 0.0),
        min(bbox[2] + 2.0, float(size)),
        min(bbox[3] + 2.0, float(size)),
    )
    width, height = region[2] - region[0], region[3] - region[1]
    left, top, right, bottom = (round(v * front_scale) for v in bbox)
    strips = (
        (1, 1, left - gutter, size - 1),
        (right + gutter, 1, size - 1, size - 1),
        (1, 1, size - 1, top - gutter),
        (1, bottom + gutter, size - 1, size - 1),
    )
    scale, (x0, y0, x1, y1) = max(
        (min((x1 - x0) / width, (y1 - y0) / height, MAX_BACK_SCALE), (x0, y0, x1, y1))
        for x0, y0, x1, y1 in strips
    )
    chart_w, chart_h = max(int(width * scale), 1), max(int(height * scale), 1)
    x, y = x0 + max(x1 - x0 - chart_w, 0) // 2, y0 + max(y1 - y0 - chart_h, 0) // 2
    return _Chart(scale, region, (x, y, chart_w, chart_h))

"""Measures of how a textured asset reads from behind and from the side, on software renders.

- `back_feature_correlation`: the picture's features (luminance minus its mean over ~2 % of
  the image, so faces, text and edges, not the overall colour layout) seen from behind, against
  the front's, mirrored so both line up, away from the outline: 1 when the front picture shows
  through on the back, about 0 when the back carries none of the front's features.
- `streak_energy`: on a render whose depth axis runs along one image axis (the left view: x;
  the top view: y), the fine detail across the depth axis that persists along it, relative to
  the front's fine detail. The outline's pixels stretched along the depth make stripes: colour
  changes across them and stays the same along them.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from app.core.mesh.types import Material, Mesh
from app.core.render.soft import render

_LUMA = np.array([0.299, 0.587, 0.114])


def luminance_and_mask(mesh: Mesh, material: Material, view: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Luminance (0..1) of the unlit textured render and its inside mask, eroded by 2 pixels so
    the silhouette's edge against the backdrop counts for nothing."""
    image = render(mesh, material, size=(size, size), view=view, shading="textured")
    luminance = image[..., :3].astype(np.float64) @ _LUMA / 255
    inside = ndimage.binary_erosion(image[..., 3] > 0, iterations=2)
    return luminance, inside


def _detail(luminance: np.ndarray, inside: np.ndarray, sigma: float) -> np.ndarray:
    """Luminance minus its Gaussian mean over the inside only (so the backdrop does not leak in)."""
    weight = ndimage.gaussian_filter(inside.astype(np.float64), sigma)
    mean = ndimage.gaussian_filter(luminance * inside, sigma) / np.maximum(weight, 1e-9)
    return luminance - mean


def back_feature_correlation(mesh: Mesh, material: Material, size: int = 192) -> float:
    """Pearson correlation of the back render's detail (mirrored) with the front render's."""
    front, front_in = luminance_and_mask(mesh, material, "front", size)
    back, back_in = luminance_and_mask(mesh, material, "back", size)
    back, back_in = back[:, ::-1], back_in[:, ::-1]
    sigma = size / 48
    # Away from the outline: near it both sides legitimately show the rim's colours.
    both = ndimage.binary_erosion(front_in & back_in, iterations=round(sigma))
    a = _detail(front, front_in, sigma)[both]
    b = _detail(back, back_in, sigma)[both]
    if a.std() < 1e-9 or b.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def _masked_blur1d(values: np.ndarray, inside: np.ndarray, sigma: float, axis: int) -> np.ndarray:
    weight = ndimage.gaussian_filter1d(inside.astype(np.float64), sigma, axis=axis)
    return ndimage.gaussian_filter1d(values * inside, sigma, axis=axis) / np.maximum(weight, 1e-9)


def across_detail(luminance: np.ndarray, inside: np.ndarray, across: int) -> np.ndarray:
    """Luminance minus its mean over a few pixels across: fine detail in that direction."""
    return luminance - _masked_blur1d(luminance, inside, 1.5, across)


def streak_energy(mesh: Mesh, material: Material, view: str, size: int = 192) -> float:
    """Fine detail across the depth axis that persists along it (averaged over 4σ ≈ 12 pixels
    of depth, which cancels detail that changes sign along the depth), relative to the fine
    detail of the front render: how much of the picture's detail is smeared along the depth."""
    along = 1 if view == "left" else 0
    luminance, inside = luminance_and_mask(mesh, material, view, size)
    detail = across_detail(luminance, inside, 1 - along)
    persisting = _masked_blur1d(detail, inside, 3.0, along)
    front, front_in = luminance_and_mask(mesh, material, "front", size)
    reference = np.concatenate(
        [across_detail(front, front_in, 0)[front_in], across_detail(front, front_in, 1)[front_in]]
    )
    return float((persisting[inside] ** 2).mean() / max((reference**2).mean(), 1e-12))


def front_feature_correlation(mesh: Mesh, material: Material, picture: np.ndarray, size: int = 192) -> float:
    """Correlation of the front render's detail with that of the same mesh wearing the framed
    `picture` as a plain planar projection (a front-camera Relief mesh is in framed pixels)."""
    planar = Mesh(mesh.vertices, mesh.faces, uvs=mesh.vertices[:, :2] * (1, -1) / picture.shape[0])
    ours, ours_in = luminance_and_mask(mesh, material, "front", size)
    theirs, theirs_in = luminance_and_mask(planar, Material(base_color_texture=picture), "front", size)
    both = ours_in & theirs_in
    sigma = size / 48
    a = _detail(ours, ours_in, sigma)[both]
    b = _detail(theirs, theirs_in, sigma)[both]
    return float(np.corrcoef(a, b)[0, 1])

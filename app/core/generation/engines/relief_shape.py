"""The Relief engine's geometry: silhouette → coverage field → marching squares → two height
fields meeting at the outline, turned for the camera (see relief.py for the idea)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image
from scipy import ndimage

from app.core.base.cancel import CancelToken
from app.core.base.errors import GenerationError
from app.core.base.progress import StepProgress
from app.core.generation.engines.relief_camera import elevation_deg, to_world, underside
from app.core.imaging import FramedImage
from app.core.mesh.region import triangulate_region
from app.core.mesh.types import Material, Mesh
from app.core.texture.relief_paint import FacingGrid, relief_texture

_MARGIN_CELLS = 2


def inflate(
    framed: FramedImage, params: dict[str, Any], progress: StepProgress, cancel: CancelToken
) -> tuple[Mesh, Material]:
    """The closed solid in framed-pixel units (+Y up, turned for the camera) with a front chart
    (the picture) and a back chart (its colours without features), and its material."""
    alpha = framed.alpha
    size = alpha.shape[0]
    rows, cols = np.nonzero(alpha > 0.5)
    if len(rows) == 0:
        raise GenerationError("the subject mask is empty after framing: nothing to inflate")
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    longest = float(max(bottom - top, right - left))
    cell = longest / params["resolution"]

    progress(0.1, "sampling the silhouette")
    field, origin = _coverage_field(alpha, (left, top, right, bottom), cell)
    cancel.raise_if_cancelled()

    progress(0.3, "triangulating the outline")
    region = triangulate_region(field)
    if region.corner_count == 0:
        raise GenerationError(
            "the subject is too thin to model at this resolution: raise the resolution parameter"
        )
    cancel.raise_if_cancelled()

    progress(0.5, "inflating front and back")
    heights, radius = _heights(field > 0, region.corner_index, params["smoothing"])
    heights *= params["thickness"] * radius
    elevation = elevation_deg(params["camera"], params["elevation"])

    progress(0.6, "painting the texture")
    facing = FacingGrid(_facing(heights, region.corner_index), origin, cell)
    texture = relief_texture(framed.rgb, alpha, (int(left), int(top), int(right), int(bottom)), facing)
    cancel.raise_if_cancelled()

    progress(0.85, "building the solid")
    mesh = _solid(region.points, region.faces, region.corner_count, heights, underside(heights, elevation))
    # Grid units → framed pixels; image rows grow down, +Y grows up.
    xy_px = mesh.vertices[:, :2] * cell + np.asarray(origin, dtype=np.float32)
    half = len(region.points)
    mesh.uvs = np.concatenate([texture.front.uvs(xy_px[:half], size), texture.back.uvs(xy_px[half:], size)])
    mesh.vertices[:, 0] = xy_px[:, 0]
    mesh.vertices[:, 1] = -xy_px[:, 1]
    mesh.vertices[:, 2] *= cell
    mesh.vertices = to_world(mesh.vertices, elevation)
    # The outline's back copies (the seam between the charts) sit exactly on the front ones.
    mesh.vertices[half + region.corner_count :] = mesh.vertices[region.corner_count : half]
    progress(1.0, "done")
    material = Material(name="BaseColor", base_color_texture=texture.image, roughness=0.8)
    return mesh, material


def _coverage_field(
    alpha: np.ndarray, bbox: tuple[int, int, int, int], cell: float
) -> tuple[np.ndarray, tuple[float, float]]:
    """Mask coverage around each grid point minus ½: its zero level is the anti-aliased outline."""
    left, top, right, bottom = bbox
    x0 = left - _MARGIN_CELLS * cell
    y0 = top - _MARGIN_CELLS * cell
    nx = int(np.ceil((right - left) / cell)) + 2 * _MARGIN_CELLS + 1
    ny = int(np.ceil((bottom - top) / cell)) + 2 * _MARGIN_CELLS + 1
    box = (x0 - cell / 2, y0 - cell / 2, x0 + (nx - 0.5) * cell, y0 + (ny - 0.5) * cell)
    image = Image.fromarray(np.ascontiguousarray(alpha, dtype=np.float32), mode="F")
    coverage = np.asarray(image.resize((nx, ny), Image.Resampling.BOX, box=box), dtype=np.float32)
    field = coverage - 0.5
    field[[0, -1], :] = -0.5
    field[:, [0, -1]] = -0.5
    return field, (x0, y0)


def _heights(inside: np.ndarray, corner_index: np.ndarray, smoothing: float) -> tuple[np.ndarray, float]:
    """Height in [0, 1] per inside corner (a circular arc of the distance to the outline), and the
    largest distance in cells: with height × that radius, a disc inflates into a ball."""
    distance = ndimage.distance_transform_edt(inside).astype(np.float32)
    # The outline lies between the last inside and the first outside grid point.
    distance = np.where(inside, np.maximum(distance - 0.5, 0.25), 0.0).astype(np.float32)
    if smoothing > 0:
        distance = ndimage.gaussian_filter(distance, smoothing)
        distance = np.where(inside, np.maximum(distance, 0.1), 0.0)
    per_corner = np.empty(int(corner_index.max()) + 1, dtype=np.float32)
    per_corner[corner_index[inside]] = distance[inside]
    radius = float(per_corner.max())
    u = np.minimum(per_corner / radius, 1.0)
    return np.sqrt(u * (2.0 - u)).astype(np.float32), radius


def _facing(heights: np.ndarray, corner_index: np.ndarray) -> np.ndarray:
    """cos of the angle between the front surface's normal and the view axis at every grid
    point (heights in cells; 0 outside, where the outline pulls the surface down to 0)."""
    grid = np.zeros(corner_index.shape, dtype=np.float32)
    inside = corner_index >= 0
    grid[inside] = heights[corner_index[inside]]
    dy, dx = np.gradient(grid)
    return (1.0 / np.sqrt(1.0 + dx * dx + dy * dy)).astype(np.float32)


def _solid(
    points: np.ndarray, faces: np.ndarray, corner_count: int, front: np.ndarray, back: np.ndarray
) -> Mesh:
    """A front copy of every point at +front height and a back copy at -back height; the outline
    points are at 0 on both, so the two copies of an outline point coincide (a UV seam)."""
    n = len(points)
    front_z = np.zeros(n, dtype=np.float32)
    front_z[:corner_count] = front
    back_z = np.zeros(n, dtype=np.float32)
    back_z[:corner_count] = -back
    vertices = np.concatenate([np.column_stack([points, front_z]), np.column_stack([points, back_z])])
    back_faces = (faces + n)[:, ::-1]
    return Mesh(vertices=vertices.astype(np.float32), faces=np.concatenate([faces, back_faces]))

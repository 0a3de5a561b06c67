"""Projection bake: paint an unwrapped mesh's texture from framed pictures of it.

Every texel of the atlas is traced to its point on the surface (rasterising the mesh in UV
space); each view's camera (`render.camera.project` with the preprocessing's framing) says where
that point lands in the view's picture, and a depth map of the mesh seen from that camera says
whether it is visible there. A view's weight falls with the angle between the surface and the
view (grazing surfaces would smear the outline's pixels) and with the picture's alpha, so where
several views see a point, the one that sees it best dominates. What no view sees is filled
from the nearest seen surface by harmonic interpolation over the welded mesh (colours diffuse
across seams and round the back smoothly), or, for a single front picture of a front/back
symmetric object, first by the picture seen through from behind (a mirrored back projection).
A ring of texels round each chart is traced to the chart's border too, so bilinear filtering at
a seam reads the chart's own surface; the rest of the UV gutter is filled by push-pull so
mip-maps show no seams.

The views are prepared first (camera, depth map, vertex colours for the fill); then the texels
are painted in chunks, each chunk's surface points and normals interpolated once and projected
into every view by the view's affine camera (the bake's cameras are orthographic), so a further
view costs its projection and sampling only, and memory stays bounded at 4096².
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse.linalg import spsolve

from app.core.base.cancel import CancelToken
from app.core.base.progress import StepProgress
from app.core.imaging import FramedImage
from app.core.mesh.cleanup import weld
from app.core.mesh.normals import vertex_normals
from app.core.mesh.types import Mesh
from app.core.render.camera import FRAMING_BORDER, VIEWS, project
from app.core.render.raster import Coverage, rasterize
from app.core.texture.fill import push_pull_fill

MIN_FACING = 0.2
"""cos of the steepest angle a view may paint at (~78°): steeper, it only smears its outline."""
FULL_CONFIDENCE = 0.35
"""Summed view weight (alpha × facing²) at which projected colour fully replaces the fill."""
SYMMETRY_TOLERANCE = 0.05
"""Front/back asymmetry (mean offset of the mid-surface, relative to the mean thickness) below
which a lone front picture is also projected onto the back."""
DEPTH_MAP_MAX = 1024
"""Largest visibility depth map side; finer adds time, not accuracy, at typical triangle sizes."""
BACK_MODES = ("auto", "mirror", "fill")
TEXEL_GROWTH = 1
"""Rings of texels round each chart painted from its border: bilinear filtering reads them, and
a gutter colour there would show the chart's seam."""
TEXEL_CHUNK = 1 << 18
"""Texels painted at once: their surface attributes and per-view temporaries stay at tens of MB."""


@dataclass(frozen=True)
class View:
    """A framed picture and the named camera (`render.camera.VIEWS`) it was taken from."""

    name: str
    image: FramedImage
    framing: str = "fit"
    """How the camera frames the mesh (`render.camera.project`): "fit" for the user's pictures,
    "farthest" for the paint model's views."""
    border: float = FRAMING_BORDER
    weight: float = 1.0
    """Priority where views overlap: colours blend by weight, while how sure a texel is (against
    the fill) does not depend on it, so a low-priority view still paints what only it sees."""


@dataclass
class _Paint:
    colour: np.ndarray
    """(K, 3) float32 sRGB 0..255, summed with the blend weights."""
    weight: np.ndarray
    """(K,) float32 summed weights (alpha × facing²): how well the views see each point."""
    blend: np.ndarray
    """(K,) float32 summed blend weights (the weights times each view's priority)."""

    @classmethod
    def empty(cls, count: int) -> _Paint:
        return cls(np.zeros((count, 3), np.float32), np.zeros(count, np.float32), np.zeros(count, np.float32))


@dataclass(frozen=True)
class _Camera:
    """A view ready to paint from: its picture, how world points land in it, what it can see."""

    view: View
    rgb: np.ndarray
    """(H * W,) uint32: the picture's RGB bytes and a zero, so one gather fetches a pixel."""
    alpha: np.ndarray
    """(H * W,) float32."""
    shape: tuple[int, int]
    to_image: np.ndarray
    """(3, 3) float32: a world position (row) times this, plus `offset`, is picture x, y and depth."""
    offset: np.ndarray
    towards: np.ndarray
    """(3,) float32 unit vector from the surface to the camera."""
    depth_map: np.ndarray
    to_depth: float
    """Depth-map pixels per picture pixel."""
    tolerance: float
    """Depth slack in world units (1.5 depth-map pixels)."""


def bake(
    mesh: Mesh,
    views: Sequence[View],
    texture_size: int,
    *,
    back: str = "auto",
    cancel: CancelToken | None = None,
    progress: StepProgress | None = None,
) -> np.ndarray:
    """(T, T, 3) uint8 base-colour texture for `mesh` (which must have UVs) from `views`.

    `back` decides what a single front view paints on the back: "mirror" projects it through,
    "fill" leaves the back to the fill from seen surfaces, "auto" mirrors only a front/back
    symmetric mesh.
    """
    if mesh.uvs is None:
        raise ValueError("bake needs a mesh with UVs: unwrap it first")
    if not views:
        raise ValueError("bake needs at least one view")
    if back not in BACK_MODES:
        raise ValueError(f"unknown back mode {back!r}; use one of: {', '.join(BACK_MODES)}")
    unknown = [v.name for v in views if v.name not in VIEWS]
    if unknown:
        raise ValueError(f"unknown view(s) {', '.join(unknown)}; use: {', '.join(VIEWS)}")
    cancel = cancel or CancelToken()
    report = progress or (lambda _f, _m: None)
    size = texture_size
    report(0.0, "tracing texels to the surface")
    cov = rasterize(mesh.uvs * np.float32(size), mesh.faces, (size, size), grow=TEXEL_GROWTH)
    welded, welded_faces, index_map = weld(mesh.vertices, mesh.faces)
    normals = vertex_normals(welded, welded_faces)[index_map]
    views = list(views)
    if back == "mirror" or (back == "auto" and _mirror_wanted(mesh, views)):
        front = next(v.image for v in views if v.name == "front")
        views.append(View("back", _mirrored(front)))
    vertex_paint = _Paint.empty(mesh.vertex_count)
    cameras = []
    for i, view in enumerate(views):
        cancel.raise_if_cancelled()
        report(0.05 + 0.25 * i / len(views), f"projecting the {view.name} picture")
        camera, points, depth = _camera(mesh, view)
        _add_view(vertex_paint, camera, points[:, 0], points[:, 1], depth, _dot(normals.T, camera.towards))
        cameras.append(camera)
    cancel.raise_if_cancelled()
    report(0.3, "filling surfaces no picture shows")
    vertex_fill = _harmonic_fill(vertex_paint, welded_faces, index_map, len(welded))
    attributes = np.column_stack([mesh.vertices, normals, vertex_fill]).astype(np.float32)
    texture = np.zeros((size * size, 3), dtype=np.uint8)
    texels = len(cov.pixels)
    for start in range(0, texels, TEXEL_CHUNK):
        cancel.raise_if_cancelled()
        part = slice(start, min(start + TEXEL_CHUNK, texels))
        report(0.35 + 0.55 * start / max(texels, 1), "painting the texels")
        texture[cov.pixels[part]] = _paint_texels(_texel_surface(attributes, mesh.faces, cov, part), cameras)
    cancel.raise_if_cancelled()
    report(0.9, "filling the UV gutter")
    known = np.zeros(size * size, dtype=np.float32)
    known[cov.pixels] = 1.0
    del cov
    texture = push_pull_fill(texture.reshape(size, size, 3), known.reshape(size, size))
    report(1.0, "texture baked")
    return texture


def _camera(mesh: Mesh, view: View) -> tuple[_Camera, np.ndarray, np.ndarray]:
    """`view` ready to paint from, and where the mesh's vertices land in its picture (points, depth)."""
    side = view.image.rgb.shape[0]
    proj = project(mesh.vertices, (side, side), view.name, framing=view.framing, border=view.border)
    depth_side = min(side, DEPTH_MAP_MAX)
    to_depth = depth_side / side
    depth_map = _depth_map(proj.points * to_depth, proj.depth, mesh.faces, depth_side)
    rotation = proj.rotation
    to_image = np.column_stack([rotation[0] * proj.scale, -rotation[1] * proj.scale, -rotation[2]])
    placed = np.column_stack([proj.points, proj.depth])
    vertices = np.asarray(mesh.vertices, dtype=np.float64).T
    offset = (placed - np.column_stack([_dot(vertices, to_image[:, i]) for i in range(3)])).mean(axis=0)
    camera = _Camera(
        view=view,
        rgb=_packed(view.image.rgb),
        alpha=np.asarray(view.image.alpha, dtype=np.float32).reshape(-1),
        shape=(side, view.image.rgb.shape[1]),
        to_image=to_image.astype(np.float32),
        offset=offset.astype(np.float32),
        towards=rotation[2].astype(np.float32),
        depth_map=depth_map,
        to_depth=to_depth,
        tolerance=1.5 / (proj.scale * to_depth),
    )
    return camera, proj.points, proj.depth


def _packed(rgb: np.ndarray) -> np.ndarray:
    rgbx = np.zeros((*rgb.shape[:2], 4), dtype=np.uint8)
    rgbx[..., :3] = rgb
    return rgbx.view(np.uint32).reshape(-1)


def _texel_surface(
    attributes: np.ndarray, faces: np.ndarray, cov: Coverage, part: slice
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Surface positions (3, K), unit normals (3, K) and fill colours (K, 3) behind the texels `part`
    of `cov`, from the per-vertex `attributes` (N, 9): computed once per texel, whatever the number
    of views. Rows per coordinate keep the per-view products contiguous."""
    corners = attributes[faces[cov.faces[part]]]
    values = np.einsum("kj,kjc->ck", cov.bary[part], corners)
    normals = values[3:6]
    normals /= np.maximum(np.sqrt(np.einsum("ck,ck->k", normals, normals)), 1e-12)
    return values[:3], normals, values[6:].T


def _paint_texels(surface: tuple[np.ndarray, np.ndarray, np.ndarray], cameras: list[_Camera]) -> np.ndarray:
    """(K, 3) uint8 colour of texels: the views' colours where they see well, the fill elsewhere."""
    positions, normals, fill = surface
    paint = _Paint.empty(len(fill))
    for camera in cameras:
        x, y, depth = (_dot(positions, camera.to_image[:, i]) + camera.offset[i] for i in range(3))
        _add_view(paint, camera, x, y, depth, _dot(normals, camera.towards))
    confidence = np.minimum(paint.weight / FULL_CONFIDENCE, 1.0)[:, None]
    projected = paint.colour / np.maximum(paint.blend, 1e-12)[:, None]
    colour = projected * confidence + fill * (1 - confidence)
    return np.clip(colour + 0.5, 0, 255).astype(np.uint8)


def _dot(rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """`vector @ rows` for (3, K) rows, written out: a threaded BLAS costs more to start than this
    product takes, and its threads spin on a busy machine."""
    return rows[0] * vector[0] + rows[1] * vector[1] + rows[2] * vector[2]


def _add_view(
    paint: _Paint, camera: _Camera, x: np.ndarray, y: np.ndarray, depth: np.ndarray, facing: np.ndarray
) -> None:
    """Add `camera`'s colours and weights to the points (picture positions, depths, facings) it sees."""
    seen = np.flatnonzero(facing > MIN_FACING)
    x, y = x[seen], y[seen]
    nearest = _lookup(camera.depth_map, x * camera.to_depth, y * camera.to_depth)
    visible = depth[seen] <= nearest + camera.tolerance
    seen, x, y = seen[visible], x[visible], y[visible]
    rgba = _sample(camera, x, y)
    weight = (facing[seen] * facing[seen] * rgba[:, 3]).astype(np.float32)
    blend = weight * np.float32(camera.view.weight)
    paint.colour[seen] += rgba[:, :3] * blend[:, None]
    paint.weight[seen] += weight
    paint.blend[seen] += blend


def _depth_map(points: np.ndarray, depth: np.ndarray, faces: np.ndarray, side: int) -> np.ndarray:
    """(side, side) nearest depth, +inf where the mesh is not drawn; each pixel takes the farthest
    of its 3×3 neighbourhood so points near a silhouette edge are not self-occluded."""
    cov = rasterize(points, faces, (side, side), depth, cull_clockwise=True)
    nearest = np.full(side * side, np.inf, dtype=np.float32)
    nearest[cov.pixels] = np.einsum("kj,kj->k", cov.bary, depth.astype(np.float32)[faces[cov.faces]])
    nearest = nearest.reshape(side, side)
    finite = np.where(np.isfinite(nearest), nearest, -np.inf)
    widest = ndimage.maximum_filter(finite, size=3, mode="constant", cval=-np.inf)
    return np.where(np.isfinite(nearest), np.maximum(nearest, widest), np.inf)


def _lookup(image: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    side = image.shape[0]
    cols = np.clip(x.astype(np.int64), 0, side - 1)
    rows = np.clip(y.astype(np.int64), 0, side - 1)
    return image[rows, cols]


def _sample(camera: _Camera, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(K, 4) float32 bilinear RGBA samples of `camera`'s picture at continuous pixel coordinates."""
    height, width = camera.shape
    x = np.clip(x - 0.5, 0, width - 1)
    y = np.clip(y - 0.5, 0, height - 1)
    x0 = np.minimum(x.astype(np.int64), max(width - 2, 0))
    y0 = np.minimum(y.astype(np.int64), max(height - 2, 0))
    fx, fy = (x - x0).astype(np.float32)[:, None], (y - y0).astype(np.float32)[:, None]
    at = y0 * width + x0
    right = np.minimum(x0 + 1, width - 1) - x0
    down = (np.minimum(y0 + 1, height - 1) - y0) * width

    def texels(index: np.ndarray) -> np.ndarray:
        rgba = np.empty((len(index), 4), dtype=np.float32)
        rgba[:, :3] = np.take(camera.rgb, index).view(np.uint8).reshape(-1, 4)[:, :3]
        rgba[:, 3] = np.take(camera.alpha, index)
        return rgba

    top = texels(at) * (1 - fx) + texels(at + right) * fx
    bottom = texels(at + down) * (1 - fx) + texels(at + down + right) * fx
    return top * (1 - fy) + bottom * fy


def _harmonic_fill(paint: _Paint, welded_faces: np.ndarray, index_map: np.ndarray, count: int) -> np.ndarray:
    """(N, 3) colour per (unwelded) vertex: seen vertices keep their projected colour, the others
    take the harmonic interpolation of it over the welded mesh's edge graph."""
    weight = np.bincount(index_map, weights=paint.weight, minlength=count)
    blend = np.bincount(index_map, weights=paint.blend, minlength=count)
    colour = np.stack(
        [np.bincount(index_map, weights=paint.colour[:, c], minlength=count) for c in range(3)], axis=1
    )
    known = (weight >= FULL_CONFIDENCE * 0.5) & (blend > 0)
    values = np.zeros((count, 3))
    values[known] = colour[known] / blend[known, None]
    if not known.any():
        return np.full((len(index_map), 3), 128.0, dtype=np.float32)
    unknown = ~known
    if unknown.any():
        edges = np.concatenate([welded_faces[:, [0, 1]], welded_faces[:, [1, 2]], welded_faces[:, [2, 0]]])
        edges = np.concatenate([edges, edges[:, ::-1]])
        adjacency = sparse.csr_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(count, count))
        adjacency.data[:] = 1.0
        degree = np.asarray(adjacency.sum(axis=1)).ravel()
        u, k = np.flatnonzero(unknown), np.flatnonzero(known)
        mean = values[known].mean(axis=0)
        # Laplace over the unknown vertices; a whisker of pull to the mean colour keeps parts that
        # touch no seen vertex (hidden inner shells) defined.
        system = sparse.diags(degree[u] + 1e-3) - adjacency[u][:, u]
        rhs = adjacency[u][:, k] @ values[k] + 1e-3 * mean
        values[u] = spsolve(system.tocsc(), rhs).reshape(-1, 3)
    return values[index_map].astype(np.float32)


def _mirror_wanted(mesh: Mesh, views: Sequence[View]) -> bool:
    """A lone front picture, and the mesh's mid-surface between front and back is nearly flat."""
    if [v.name for v in views] != ["front"]:
        return False
    side = 256
    front = project(mesh.vertices, (side, side), "front")
    cov_front = _depth_map(front.points, front.depth, mesh.faces, side)
    flipped = front.points.copy()
    back_depth = -front.depth
    cov_back = _depth_map(flipped, back_depth, _reversed(mesh.faces), side)
    both = np.isfinite(cov_front) & np.isfinite(cov_back)
    if both.sum() < 16:
        return False
    z_front, z_back = -cov_front[both], cov_back[both]
    thickness = float(np.mean(z_front - z_back))
    mid = (z_front + z_back) / 2
    return thickness > 0 and float(np.mean(np.abs(mid - np.median(mid)))) < SYMMETRY_TOLERANCE * thickness


def _reversed(faces: np.ndarray) -> np.ndarray:
    return faces[:, ::-1]


def _mirrored(image: FramedImage) -> FramedImage:
    """The front picture as a camera behind the object would see it through the object."""
    return FramedImage(
        image.rgb[:, ::-1].copy(), image.alpha[:, ::-1].copy(), image.crop_box, image.scale, image.offset
    )

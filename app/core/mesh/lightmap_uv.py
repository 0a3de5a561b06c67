"""A second UV set for baked lighting: every chart its own place in [0, 1], none overlapping.

Unity and Unreal bake lightmaps into a mesh's second UV set, which must not overlap (two
surfaces sharing a texel share its light) and needs a gap between charts (bilinear filtering
bleeds across it). The texture atlas is not that set: charts may be mirrored, overlap (a planar
projection), sit against each other, and their sizes follow the texture rather than the surface.

The texture's own charts are reused (no new seams, and it is fast: numpy and one loop over the
charts, ~0.1 s per 100k triangles, where xatlas takes ~1 s to rebuild charts from the same UVs):
a chart is a set of triangles joined through shared vertices that wind the same way in UV, so a
mirrored or folded part becomes its own chart. Each chart is scaled to its surface area (even
texel density, as lightmaps want), then charts are packed in shelves with `padding` texels between
them at a `resolution`-texel lightmap. A mesh without UVs is unwrapped by xatlas instead.

What is not caught: a chart that overlaps itself while every triangle winds the same way (a
spiral past a full turn, or two same-winding parts of a fold that touch at a vertex), which an
atlas unwrap does not make.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from app.core.mesh.types import Mesh

LIGHTMAP_RESOLUTION = 256
"""The lightmap side the padding is planned for (engines' per-asset lightmaps are 64-512 texels)."""
LIGHTMAP_PADDING = 2
"""Texels between charts, and from the border, at LIGHTMAP_RESOLUTION."""


def with_lightmap_uvs(
    mesh: Mesh, resolution: int = LIGHTMAP_RESOLUTION, padding: int = LIGHTMAP_PADDING
) -> Mesh:
    """`mesh` with `lightmap_uvs`. Usually the atlas's islands are the charts and the mesh is
    otherwise unchanged; where an island is mirrored or folded, vertices on a border between two
    new charts are split (their other attributes copied), adding a few vertices."""
    if mesh.uvs is None:
        return _unwrapped(mesh, resolution, padding)
    uv_areas = _uv_areas(mesh.uvs, mesh.faces)
    # Each (vertex, winding) pair is a node: triangles winding one way join through shared
    # vertices, and a vertex where both windings meet becomes two.
    node = mesh.faces.astype(np.int64) * 2 + (uv_areas >= 0)[:, None]
    graph = sparse.coo_matrix(
        (np.ones(2 * len(node), dtype=np.int8), (node[:, :2].ravel(), node[:, 1:].ravel())),
        shape=(2 * mesh.vertex_count, 2 * mesh.vertex_count),
    )
    _, labels = connected_components(graph, directed=False)
    used = np.zeros(2 * mesh.vertex_count, dtype=bool)
    used[node.ravel()] = True
    new_index = np.cumsum(used) - 1
    source = np.flatnonzero(used) // 2
    faces = new_index[node]
    _, chart_of_vertex = np.unique(labels[used], return_inverse=True)
    charts = chart_of_vertex[faces[:, 0]]
    scale = _density(mesh.vertices, uv_areas, mesh.faces, charts)
    local = mesh.uvs[source].astype(np.float64) * scale[chart_of_vertex, None]
    lightmap = _pack(local, chart_of_vertex, len(scale), resolution, padding)
    if len(source) == mesh.vertex_count:
        return replace(mesh, lightmap_uvs=lightmap)
    return Mesh(
        mesh.vertices[source],
        faces,
        None if mesh.normals is None else mesh.normals[source],
        mesh.uvs[source],
        None if mesh.tangents is None else mesh.tangents[source],
        lightmap,
    )


def _density(vertices: np.ndarray, uv_areas: np.ndarray, faces: np.ndarray, charts: np.ndarray) -> np.ndarray:
    """Per chart, the factor that makes its UV area equal its surface area (0 for a chart with
    no UV area, which then packs as a point and covers nothing)."""
    p = vertices[faces]
    u, v = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
    normal = np.stack(
        [
            u[:, 1] * v[:, 2] - u[:, 2] * v[:, 1],
            u[:, 2] * v[:, 0] - u[:, 0] * v[:, 2],
            u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0],
        ],
        axis=1,
    )
    surface = 0.5 * np.sqrt(np.einsum("ij,ij->i", normal, normal, dtype=np.float64))
    flat = 0.5 * np.abs(uv_areas)
    count = int(charts.max()) + 1
    surface_sum = np.bincount(charts, surface, minlength=count)
    flat_sum = np.bincount(charts, flat, minlength=count)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.sqrt(surface_sum / flat_sum)
    return np.where(np.isfinite(scale) & (flat_sum > 0), scale, 0.0)


def _uv_areas(uvs: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Twice each triangle's signed area in UV (positive: counter-clockwise)."""
    t = uvs[faces].astype(np.float64)
    u, v = t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]
    return u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]


def _pack(local: np.ndarray, chart: np.ndarray, count: int, resolution: int, padding: int) -> np.ndarray:
    """Charts placed in shelves (tallest first) inside [0, 1]², `padding` texels apart at
    `resolution`; the side is re-planned until the padding holds at the final scale."""
    low = np.full((count, 2), np.inf)
    high = np.full((count, 2), -np.inf)
    np.minimum.at(low, chart, local)
    np.maximum.at(high, chart, local)
    size = high - low
    side = np.sqrt(max(float(np.sum(np.prod(size, axis=1))), 1e-12) / 0.6)
    order = np.argsort(-size[:, 1], kind="stable")
    for _ in range(8):
        gap = side * padding / resolution
        offsets, used = _shelves(size, order, side - 2 * gap, gap)
        needed = max(used[0], used[1]) + 2 * gap
        if 0.97 * side <= needed <= side:
            break
        side = max(needed, 0.5 * (side + needed))
    side = max(side, needed)
    placed = (local - low[chart] + offsets[chart] + gap) / side
    return np.clip(placed, 0.0, 1.0).astype(np.float32)  # only rounding reaches past the border


def _shelves(
    size: np.ndarray, order: np.ndarray, width: float, gap: float
) -> tuple[np.ndarray, tuple[float, float]]:
    """Left-to-right rows of charts no wider than `width`; returns each chart's corner and the
    width and height used."""
    offsets = np.zeros((len(size), 2))
    x = y = row_height = widest = 0.0
    for i in order.tolist():
        w, h = float(size[i, 0]), float(size[i, 1])
        if x > 0 and x + w > width:
            y += row_height + gap
            x = row_height = 0.0
        offsets[i] = (x, y)
        x += w + gap
        widest = max(widest, x - gap)
        row_height = max(row_height, h)
    return offsets, (widest, y + row_height)


def _unwrapped(mesh: Mesh, resolution: int, padding: int) -> Mesh:
    """A mesh with no texture UVs: xatlas makes charts and packs them (seconds on big meshes)."""
    import xatlas

    atlas = xatlas.Atlas()
    normals = None if mesh.normals is None else mesh.normals.astype(np.float32)
    atlas.add_mesh(mesh.vertices, mesh.faces.astype(np.uint32), normals)
    pack = xatlas.PackOptions()
    pack.resolution = resolution
    pack.padding = padding
    atlas.generate(xatlas.ChartOptions(), pack)
    source, faces, uvs = atlas[0]
    return Mesh(
        mesh.vertices[source],
        faces,
        None if mesh.normals is None else mesh.normals[source],
        None,
        None if mesh.tangents is None else mesh.tangents[source],
        uvs,
    )

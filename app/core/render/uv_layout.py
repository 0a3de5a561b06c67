"""The UV layout picture an artist checks: the texture, dimmed, with every triangle's edges drawn
where they sit in UV space, so islands, seams, overlaps and wasted space show at a glance.

Plain numpy: each unique edge is sampled about once per pixel of its length and the samples are
counted in one pass, so a 100k-triangle LOD0 draws in a fraction of a second on any thread.
"""

from __future__ import annotations

import numpy as np

from app.core.mesh.types import Mesh

EDGE_RGB = (120, 230, 140)
BACKDROP_RGB = (28, 28, 30)
TEXTURE_DIM = 0.45
INNER_EDGE_KEEP = 0.8
"""Each inner edge crossing a pixel keeps this share of what was under it."""


def uv_layout(mesh: Mesh, texture: np.ndarray | None, size: int = 256) -> np.ndarray:
    """(size, size, 3) uint8: the texture (or a dark backdrop) with the mesh's UV edges on top:
    island borders (edges of one triangle only) bright, inner edges faint, so dense meshes still
    show their islands. A mesh without UVs gives the backdrop alone.

    UVs follow glTF (origin at the image's top-left), so the picture lines up with the texture.
    """
    picture = np.empty((size, size, 3), np.float32)
    picture[:] = BACKDROP_RGB
    if texture is not None and texture.size:
        picture = _resize_nearest(texture[..., :3], size).astype(np.float32) * TEXTURE_DIM
    if mesh.uvs is None or not len(mesh.faces):
        return picture.astype(np.uint8)
    pairs = np.sort(mesh.faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2).astype(np.int64), axis=1)
    keys, counts = np.unique(pairs[:, 0] * mesh.vertex_count + pairs[:, 1], return_counts=True)
    edges = np.stack([keys // mesh.vertex_count, keys % mesh.vertex_count], axis=1)
    colour = np.array(EDGE_RGB, np.float32)
    inner = np.bincount(_edge_pixels(mesh.uvs, edges[counts > 1], size), minlength=size * size)
    inner_alpha = (1.0 - INNER_EDGE_KEEP ** inner.reshape(size, size))[..., None]
    picture = picture * (1.0 - inner_alpha) + colour * inner_alpha
    border = _edge_pixels(mesh.uvs, edges[counts == 1], size)
    flat = picture.reshape(-1, 3)
    flat[border] = colour
    return np.clip(picture, 0, 255).astype(np.uint8)


def _edge_pixels(uvs: np.ndarray, edges: np.ndarray, size: int) -> np.ndarray:
    """Flat pixel indices along each edge, about one sample per pixel of its length."""
    if not len(edges):
        return np.zeros(0, np.int64)
    start = uvs[edges[:, 0]] * (size - 1)
    end = uvs[edges[:, 1]] * (size - 1)
    steps = np.clip(np.ceil(np.abs(end - start).max(axis=1)).astype(np.int64), 1, 4 * size) + 1
    owner = np.repeat(np.arange(len(edges)), steps)
    first = np.cumsum(steps) - steps
    t = (np.arange(len(owner)) - first[owner]) / (steps[owner] - 1).clip(min=1)
    points = start[owner] + (end - start)[owner] * t[:, None]
    x = np.clip(np.rint(points[:, 0]).astype(np.int64), 0, size - 1)
    y = np.clip(np.rint(points[:, 1]).astype(np.int64), 0, size - 1)
    return y * size + x


def _resize_nearest(image: np.ndarray, size: int) -> np.ndarray:
    height, width = image.shape[:2]
    rows = (np.arange(size) * height // size).clip(0, height - 1)
    cols = (np.arange(size) * width // size).clip(0, width - 1)
    return image[rows][:, cols]

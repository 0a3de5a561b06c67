"""An asset made ready for the GPU on any thread: interleaved vertices, uint32 indices and every
texture with its whole mip chain, so that what is left for the GUI thread is copying bytes.

Why: on the software rasterizer the window runs on, glGenerateMipmap of three 2048² maps and the
vertex packing took hundreds of milliseconds inside one paint. No GL, no Qt here: the pool (or a
worker) calls `stage_lodset`; `uploads.AssetUpload` copies the result a slice per frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.core.mesh.types import LodSet, MaterialMaps, Mesh, NormalConvention
from app.ui.viewport.clusters import Clusters, spatial_order


@dataclass(frozen=True)
class StagedTexture:
    levels: tuple[np.ndarray, ...]
    """Level 0 (the image, row 0 at the top) down to 1×1, each (H, W, 3|4) uint8 and contiguous."""
    srgb: bool


@dataclass(frozen=True)
class StagedLod:
    vertices: np.ndarray
    """gpu.VERTEX_DTYPE records, in the order the reordered triangles first use them."""
    indices: np.ndarray
    """uint32, the triangles in `clusters.spatial_order`: the same triangles, same winding."""
    has_tangents: bool
    clusters: Clusters


@dataclass(frozen=True)
class StagedAsset:
    lods: tuple[StagedLod, ...]
    base_color: StagedTexture | None
    normal: StagedTexture | None
    occlusion: StagedTexture | None
    base_factor: tuple[float, float, float, float]
    """Linear RGB and alpha."""
    bounds: np.ndarray

    @property
    def nbytes(self) -> int:
        lods = sum(lod.vertices.nbytes + lod.indices.nbytes for lod in self.lods)
        maps = (self.base_color, self.normal, self.occlusion)
        return lods + sum(level.nbytes for tex in maps if tex is not None for level in tex.levels)


_SRGB_TO_LINEAR = ((np.arange(256) / 255.0) ** 2.2).astype(np.float32)


def _to_srgb(linear: np.ndarray) -> np.ndarray:
    return np.rint(np.clip(linear, 0.0, 1.0) ** (1 / 2.2) * 255.0).astype(np.uint8)


def mip_chain(image: np.ndarray, srgb: bool) -> tuple[np.ndarray, ...]:
    """The image and its 2×2 box-filtered halvings down to 1×1, as GL sizes them (an odd side
    drops its last texel). An sRGB image is averaged in linear light, as a GPU's sRGB mipmaps are."""
    image = np.ascontiguousarray(image, dtype=np.uint8)
    levels = [image]
    current = _SRGB_TO_LINEAR[image] if srgb else image.astype(np.float32) / 255.0
    while max(current.shape[:2]) > 1:
        height, width = current.shape[:2]
        h2, w2 = max(height // 2, 1), max(width // 2, 1)
        rows = current[: h2 * 2].reshape(h2, 2, width, -1).mean(axis=1) if height > 1 else current
        current = rows[:, : w2 * 2].reshape(h2, w2, 2, -1).mean(axis=2) if width > 1 else rows
        level = _to_srgb(current) if srgb else np.rint(current * 255.0).astype(np.uint8)
        levels.append(np.ascontiguousarray(level))
    return tuple(levels)


def _texture(image: np.ndarray | None, srgb: bool) -> StagedTexture | None:
    if image is None:
        return None
    channels = image.shape[2] if image.ndim == 3 else 1
    if channels not in (3, 4):
        raise ValueError(f"a texture needs 3 or 4 channels, not {channels}")
    return StagedTexture(mip_chain(image, srgb), srgb)


def with_tangents_for(mesh: Mesh, maps: MaterialMaps) -> Mesh:
    """`mesh`, with MikkTSpace tangents computed when a normal map needs them and the file had
    none (Sweedle's own files always carry them; a foreign GLB may not)."""
    if maps.normal is None or mesh.tangents is not None or mesh.uvs is None:
        return mesh
    from app.core.mesh.tangents import with_tangents  # scipy: loaded by then, kept off start-up

    return with_tangents(mesh)


def stage_lodset(lodset: LodSet) -> StagedAsset:
    """Any thread: everything the GPU needs of `lodset`, in the layout it is copied in."""
    from app.ui.viewport.gpu import interleave  # numpy packing only; no GL call is made

    material = lodset.material
    maps = material.maps
    lods = []
    for lod in lodset.lods:
        mesh = with_tangents_for(lod.mesh, maps)
        faces, old_vertex = spatial_order(mesh.vertices, mesh.faces)
        vertices = interleave(mesh)[old_vertex]
        indices = np.ascontiguousarray(faces, dtype=np.uint32)
        clusters = Clusters.of(vertices["position"], faces)
        lods.append(StagedLod(vertices, indices, mesh.tangents is not None, clusters))
    occlusion = None if maps.occlusion is None else np.repeat(maps.occlusion[..., None], 3, axis=2)
    normal = None if maps.normal is None else maps.normal_for(NormalConvention.OPENGL)
    factor = material.base_color_factor
    return StagedAsset(
        lods=tuple(lods),
        base_color=_texture(material.base_color_texture, srgb=True),
        normal=_texture(normal, srgb=False),
        occlusion=_texture(occlusion, srgb=False),
        base_factor=(*(float(c) ** 2.2 for c in factor[:3]), float(factor[3])),  # type: ignore[arg-type]
        bounds=lodset.lod0.bounds(),
    )

"""What an artist checks before using an asset, measured from the asset itself: its size in metres,
triangles and vertices per LOD, the texture (size and a small preview), the UV layout and the
file's size. Computed off the GUI thread, from the same LodSet the viewport shows. The inspector
reads PREVIEW_SIZE and the records at the window's start, so numpy loads only when an asset is
measured."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from app.core.mesh.types import LodSet

PREVIEW_SIZE = 160


@dataclass(frozen=True)
class LodFacts:
    level: int
    triangles: int
    vertices: int
    error_pct: float


@dataclass(frozen=True)
class AssetFacts:
    name: str
    size_m: tuple[float, float, float]
    """Width (x), height (y) and depth (z) of LOD0's bounding box, in metres."""
    lods: tuple[LodFacts, ...]
    texture_size: tuple[int, int] | None
    """(width, height) of the base-colour texture in pixels; None when it has none."""
    texture_preview: np.ndarray | None
    """(PREVIEW_SIZE, PREVIEW_SIZE, 3) uint8, or None."""
    uv_picture: np.ndarray | None
    """(PREVIEW_SIZE, PREVIEW_SIZE, 3) uint8 UV layout of LOD0, or None without UVs."""
    file: Path | None
    file_bytes: int | None


def inspect_asset(lodset: LodSet, file: Path | None = None, size: int = PREVIEW_SIZE) -> AssetFacts:
    from app.core.render.uv_layout import uv_layout

    lo, hi = lodset.lod0.bounds()
    extent = (hi - lo).astype(float)
    texture = lodset.material.base_color_texture
    file_bytes = None
    if file is not None:
        try:
            file_bytes = file.stat().st_size
        except OSError:
            file_bytes = None
    return AssetFacts(
        name=lodset.name,
        size_m=(float(extent[0]), float(extent[1]), float(extent[2])),
        lods=tuple(
            LodFacts(lod.level, lod.mesh.triangle_count, lod.mesh.vertex_count, lod.error_pct)
            for lod in lodset.lods
        ),
        texture_size=None if texture is None else (int(texture.shape[1]), int(texture.shape[0])),
        texture_preview=None if texture is None else _fit(texture[..., :3], size),
        uv_picture=None if lodset.lod0.uvs is None else uv_layout(lodset.lod0, texture, size),
        file=file,
        file_bytes=file_bytes,
    )


def _fit(image: np.ndarray, size: int) -> np.ndarray:
    import numpy as np
    from PIL import Image

    return np.asarray(Image.fromarray(np.ascontiguousarray(image)).resize((size, size), Image.Resampling.BOX))

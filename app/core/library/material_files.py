"""The baked maps and the full-detail shape as files of a library version.

The version's GLB already embeds the maps; they are also kept as PNGs beside it (as the base
colour is, `texture.png`) so a person or another tool finds them, and the full-detail shape is
kept as `full_detail.npz`, the source a re-texture or a new LOD chain re-bakes from (it is in no
mesh file). A version saved before maps existed has none of these files: its full-detail shape
is then its LOD0.
"""

from __future__ import annotations

from pathlib import Path

from app.core.formats.full_detail import FULL_DETAIL_FILE, full_detail_bytes, read_full_detail
from app.core.formats.images import encode_png
from app.core.mesh.types import LodSet, Mesh

NORMAL_FILE = "normal.png"
"""Tangent-space normal map, MikkTSpace, green +Y (OpenGL)."""
OCCLUSION_FILE = "occlusion.png"
"""Ambient occlusion, grey, linear."""


def material_files(lodset: LodSet) -> dict[str, bytes]:
    """The files `lodset` adds to its version folder: its maps and its full-detail shape."""
    files: dict[str, bytes] = {}
    maps = lodset.material.maps
    if maps.normal is not None:
        files[NORMAL_FILE] = encode_png(maps.normal)
    if maps.occlusion is not None:
        files[OCCLUSION_FILE] = encode_png(maps.occlusion)
    if lodset.full_detail is not None:
        files[FULL_DETAIL_FILE] = full_detail_bytes(lodset.full_detail)
    return files


def version_full_detail(folder: Path) -> Mesh | None:
    """The full-detail shape saved in a version folder, or None when it has none."""
    path = Path(folder) / FULL_DETAIL_FILE
    return read_full_detail(path) if path.is_file() else None

"""Asset thumbnails: rendered on the CPU (no GL context needed, so any worker thread and the CLI
can make one) and stored as PNG in the asset's folder, where the browser loads them lazily."""

from __future__ import annotations

from app.core.formats.images import encode_png
from app.core.mesh.types import LodSet
from app.core.render.soft import render_thumbnail

THUMBNAIL_SIZE = 256
ENOUGH_TRIANGLES = 20_000
"""At 256 px a LOD this dense looks the same as LOD0 and renders several times faster."""


def thumbnail_png(lodset: LodSet, size: int = THUMBNAIL_SIZE) -> bytes:
    """PNG bytes of the asset seen from the three-quarter view, on transparency."""
    dense = [lod for lod in lodset.lods if lod.mesh.triangle_count >= ENOUGH_TRIANGLES]
    chosen = min(dense, key=lambda lod: lod.mesh.triangle_count) if dense else lodset.lods[0]
    return encode_png(render_thumbnail(lodset.with_lods([chosen]), size))

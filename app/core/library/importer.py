"""Import existing meshes (GLB, glTF, OBJ, PLY, STL) as library assets, with LODs and a thumbnail.

Files are read by `formats.mesh_files` (our reader for GLBs, trimesh for the rest). Geometry is
kept as it is (units, pivot): an import is the user's asset, not ours to move. Slow (LODs,
thumbnail): call it off the GUI thread.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from app.core.formats.glb import glb_bytes
from app.core.formats.images import encode_png
from app.core.formats.mesh_files import read_mesh_file
from app.core.generation.request import DEFAULT_LODS, LodTarget
from app.core.library.records import (
    GLB_FILE,
    TEXTURE_FILE,
    THUMBNAIL_FILE,
    AssetRecord,
    LodRecord,
    SourceType,
)
from app.core.library.repository import Library, NewVersion
from app.core.library.store import FileContent
from app.core.library.thumbnails import thumbnail_png
from app.core.mesh.lod import build_lods

MIN_LOD_TRIANGLES = 64
"""Below this, an imported mesh gets no LODs: there is nothing worth reducing."""


def import_mesh(library: Library, path: Path, name: str | None = None) -> AssetRecord:
    """Add the mesh file at `path` to the library; importing the same file again adds a version."""
    path = Path(path)
    lodset = read_mesh_file(path)
    suffix = path.suffix.lower()
    data = path.read_bytes()
    lod0 = lodset.lod0
    if len(lodset.lods) == 1 and lod0.triangle_count >= MIN_LOD_TRIANGLES:
        targets = sorted(
            {LodTarget.parse(t).resolve(lod0.triangle_count) for t in DEFAULT_LODS}, reverse=True
        )
        lodset = lodset.with_lods(build_lods(lod0, targets))
    files: dict[str, FileContent] = {
        GLB_FILE: glb_bytes(lodset),
        f"source{suffix}": data,
        THUMBNAIL_FILE: thumbnail_png(lodset),
    }
    if lodset.material.base_color_texture is not None:
        files[TEXTURE_FILE] = encode_png(lodset.material.base_color_texture)
    lo, hi = (list(map(float, row)) for row in lod0.bounds())
    new = NewVersion(
        name=name or path.stem,
        source_type=SourceType.IMPORTED,
        engine="import",
        lods=[
            LodRecord(lod.level, lod.mesh.triangle_count, lod.mesh.vertex_count, lod.error_pct)
            for lod in lodset.lods
        ],
        files=files,
        source_key=hashlib.sha256(data).hexdigest(),
        source_name=path.name,
        model_id=suffix[1:],
        parameters={"source_format": suffix[1:], "lods": len(lodset.lods) - 1},
        bounds={"min": lo, "max": hi},
        height_m=hi[1] - lo[1],
    )
    return library.add_version(new)

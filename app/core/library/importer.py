"""Import existing meshes (GLB, glTF, OBJ, PLY, STL) as library assets, with LODs and a thumbnail.

Files are read by `formats.mesh_files` (our reader for GLBs, trimesh for the rest). Geometry is
kept as it is (units, pivot): an import is the user's asset, not ours to move. Slow (LODs,
thumbnail): call it off the GUI thread; it reports progress by stage like the pipeline and can
be cancelled until it starts writing into the library, so nothing half-imported is ever saved.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from app.core.base.cancel import CancelToken
from app.core.base.progress import Progress, ProgressCallback
from app.core.base.rules import DEFAULT_LODS, LodTarget
from app.core.formats.glb import glb_bytes
from app.core.formats.images import encode_png
from app.core.formats.mesh_files import read_mesh_file
from app.core.formats.mesh_limits import MeshLimits
from app.core.library.records import (
    GLB_FILE,
    TEXTURE_FILE,
    THUMBNAIL_FILE,
    AssetRecord,
    LodRecord,
    SourceType,
    source_file_name,
)
from app.core.library.repository import Library, NewVersion
from app.core.library.store import FileContent
from app.core.library.thumbnails import thumbnail_png
from app.core.mesh.lod import build_lods

MIN_LOD_TRIANGLES = 64
"""Below this, an imported mesh gets no LODs: there is nothing worth reducing."""


_STAGES = {"read": (0.0, 0.25), "LODs": (0.25, 0.85), "thumbnail": (0.85, 0.95), "save": (0.95, 1.0)}
"""Each stage's share of an import, measured on a 1M-triangle soup (reading and welding, then the
LOD chain, dominate)."""


def import_mesh(
    library: Library,
    path: Path,
    name: str | None = None,
    limits: MeshLimits | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> AssetRecord:
    """Add the mesh file at `path` to the library; importing the same file again adds a version.
    `limits` default to the user's settings; a cancelled import raises Cancelled and saves nothing."""
    path = Path(path)
    report = _reporter(on_progress)
    report("read", 0.0, f"reading {path.name}")
    lodset = read_mesh_file(path, limits, cancel)
    suffix = path.suffix.lower()
    lod0 = lodset.lod0
    if len(lodset.lods) == 1 and lod0.triangle_count >= MIN_LOD_TRIANGLES:
        targets = sorted(
            {LodTarget.parse(t).resolve(lod0.triangle_count) for t in DEFAULT_LODS}, reverse=True
        )
        report("LODs", 0.0, f"{lod0.triangle_count:,} triangles")
        lodset = lodset.with_lods(
            build_lods(lod0, targets, cancel=cancel, on_progress=lambda f, m: report("LODs", f, m))
        )
    _check(cancel)
    report("thumbnail", 0.0, "")
    thumbnail = thumbnail_png(lodset)
    _check(cancel)
    report("save", 0.0, "")
    files: dict[str, FileContent] = {
        GLB_FILE: glb_bytes(lodset),
        source_file_name(path): path,
        THUMBNAIL_FILE: thumbnail,
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
        source_key=_digest(path),
        source_name=path.name,
        model_id=suffix[1:],
        parameters={"source_format": suffix[1:], "lods": len(lodset.lods) - 1},
        bounds={"min": lo, "max": hi},
        height_m=hi[1] - lo[1],
    )
    _check(cancel)
    record = library.add_version(new)
    report("save", 1.0, "saved")
    return record


def _reporter(on_progress: ProgressCallback | None) -> Callable[[str, float, str], None]:
    """report(stage, fraction of the stage, message) as the pipeline's Progress records."""

    def report(stage: str, fraction: float, message: str) -> None:
        if on_progress is not None:
            start, end = _STAGES[stage]
            on_progress(Progress(stage, fraction, start + (end - start) * fraction, message))

    return report


def _check(cancel: CancelToken | None) -> None:
    if cancel is not None:
        cancel.raise_if_cancelled()


def _digest(path: Path) -> str:
    """The file's SHA-256, read in blocks (a source mesh can be hundreds of megabytes)."""
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()

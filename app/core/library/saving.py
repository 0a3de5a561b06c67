"""Save a finished generation into the library: the call the GUI worker and the CLI make after
each successful job. Files are gathered here (GLB with its LODs, source picture, texture,
thumbnail); `Library.add_version` stores them crash-safely."""

from __future__ import annotations

import hashlib
from pathlib import Path

from app.core.formats.glb import glb_bytes
from app.core.formats.images import encode_png
from app.core.generation.request import GenerationResult
from app.core.library.migrate import LibraryError
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


def save_generation(
    library: Library, result: GenerationResult, prompt: str = "", asset_id: int | None = None
) -> AssetRecord:
    """Record a finished generation as a new asset, or as a new version of an asset.

    Without `asset_id`, a result made from the same source picture as an asset outside the trash
    becomes that asset's newest version (generating again keeps both). Raises LibraryError for a
    result that did not finish.
    """
    if not result.ok or result.model is None:
        raise LibraryError(
            f"only a finished generation can be saved (this one {result.status}: {result.message})"
        )
    lodset = result.model
    request = result.request
    prov = lodset.provenance
    files: dict[str, FileContent] = {}
    output = result.output_path
    if output is not None and output.suffix.lower() == ".glb" and output.is_file():
        files[GLB_FILE] = output
    else:
        files[GLB_FILE] = glb_bytes(lodset)
    source = Path(request.image_path) if request.image_path is not None else None
    source_key = None
    if source is not None and source.is_file():
        data = source.read_bytes()
        source_key = hashlib.sha256(data).hexdigest()
        files[f"source{source.suffix.lower()}"] = data
    if lodset.material.base_color_texture is not None:
        files[TEXTURE_FILE] = encode_png(lodset.material.base_color_texture)
    files[THUMBNAIL_FILE] = thumbnail_png(lodset)
    bounds = result.report.get("bounds") or [list(map(float, row)) for row in lodset.lod0.bounds()]
    new = NewVersion(
        name=request.asset_name,
        source_type=SourceType.GENERATED,
        engine=str(prov.get("engine", request.engine)),
        lods=[LodRecord(i.level, i.triangles, i.vertices, i.error_pct) for i in result.lods],
        files=files,
        source_key=source_key,
        source_name=source.name if source is not None else "",
        prompt=prompt or request.prompt,
        engine_version=str(prov.get("engine_version", "")),
        model_id=str(prov.get("model", "")),
        model_version=str(prov.get("model_version", "")),
        licence=str(prov.get("licence", "")),
        seed=request.seed,
        parameters=dict(prov.get("parameters", request.provenance_params())),
        timings=dict(result.timings),
        device=str(prov.get("device", "")),
        bounds={"min": bounds[0], "max": bounds[1]},
        height_m=float(bounds[1][1] - bounds[0][1]),
    )
    return library.add_version(new, asset_id)

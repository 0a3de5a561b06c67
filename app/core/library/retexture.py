"""Re-texture a library asset: its current version's mesh, a new texture baked from a picture the
user chooses, saved as the asset's newest (and current) version. The older version stays, so the
version history compares the two and promotes either back.

Slow (UV unwrap and bake, then the LODs again): call it off the GUI thread. It reports progress by
stage like the pipeline and can be cancelled until it starts writing into the library.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from app.core.base.cancel import CancelToken
from app.core.base.errors import InputError
from app.core.base.progress import Progress, ProgressCallback
from app.core.base.rules import DEFAULT_ROUGHNESS, DEFAULT_TEXTURE_SIZE, check_texture_size
from app.core.formats.glb import glb_bytes
from app.core.formats.glb_reader import read_glb
from app.core.formats.images import encode_png
from app.core.library.migrate import LibraryError
from app.core.library.records import (
    GLB_FILE,
    TEXTURE_FILE,
    THUMBNAIL_FILE,
    AssetRecord,
    LodRecord,
    source_file_name,
)
from app.core.library.repository import Library, NewVersion
from app.core.library.store import FileContent
from app.core.library.thumbnails import thumbnail_png
from app.core.texture.pipeline import retexture

TEXTURE_METHODS = {"projection": "Projection"}
"""How the new texture is made (id → label): the picture projected from the front and baked."""

_STAGES = {"read": (0.0, 0.05), "texture": (0.05, 0.9), "save": (0.9, 1.0)}
"""Each stage's share of a re-texture (the unwrap and bake dominate)."""


@dataclass(frozen=True)
class RetextureOptions:
    """What the user chose: the picture, the texture's size in pixels, roughness and method."""

    image_path: Path
    texture_size: int = DEFAULT_TEXTURE_SIZE
    roughness: float = DEFAULT_ROUGHNESS
    method: str = "projection"

    def check(self) -> None:
        """Raise InputError for a choice that cannot run, saying what to change."""
        if self.method not in TEXTURE_METHODS:
            methods = ", ".join(TEXTURE_METHODS)
            raise InputError(f"unknown texture method {self.method!r}: use one of {methods}")
        check_texture_size(self.texture_size)
        if not 0.0 <= self.roughness <= 1.0:
            raise InputError(f"roughness {self.roughness} is outside 0 to 1")
        if not Path(self.image_path).is_file():
            raise InputError(f"the picture {self.image_path} does not exist; choose another one")


def retexture_asset(
    library: Library,
    asset_id: int,
    options: RetextureOptions,
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> AssetRecord:
    """Bake a new texture for the asset's current version from `options.image_path` and store the
    result as the asset's new current version (engine, model and seed carried over; the picture
    is kept as the version's source). A cancelled re-texture raises Cancelled and saves nothing."""
    options.check()
    cancel = cancel or CancelToken()
    started = time.monotonic()

    def report(stage: str, fraction: float, message: str) -> None:
        if on_progress is not None:
            start, end = _STAGES[stage]
            on_progress(Progress(stage, fraction, start + (end - start) * fraction, message))

    record = library.get_asset(asset_id)
    current = record.current_version
    if current is None or not current.glb_path.is_file():
        raise LibraryError(f"{record.name} has no saved mesh to re-texture")
    image = Path(options.image_path)
    report("read", 0.0, f"reading {record.name}")
    lodset = replace(read_glb(current.glb_path, cancel=cancel), name=record.name)
    textured = retexture(
        lodset,
        image,
        options.texture_size,
        roughness=options.roughness,
        progress=lambda f, m: report("texture", f, m),
        cancel=cancel,
    )
    report("save", 0.0, "thumbnail")
    files: dict[str, FileContent] = {GLB_FILE: glb_bytes(textured), source_file_name(image): image}
    if textured.material.base_color_texture is not None:
        files[TEXTURE_FILE] = encode_png(textured.material.base_color_texture)
    files[THUMBNAIL_FILE] = thumbnail_png(textured)
    lo, hi = (list(map(float, row)) for row in textured.lod0.bounds())
    new = NewVersion(
        name=record.name,
        source_type=record.summary.source_type,
        engine=current.engine,
        lods=[
            LodRecord(lod.level, lod.mesh.triangle_count, lod.mesh.vertex_count, lod.error_pct)
            for lod in textured.lods
        ],
        files=files,
        source_name=image.name,
        prompt=record.prompt,
        engine_version=current.engine_version,
        model_id=current.model_id,
        model_version=current.model_version,
        licence=current.licence,
        seed=current.seed,
        parameters={
            **current.parameters,
            "retextured_from_version": current.version,
            "texture_method": options.method,
            "texture_size": options.texture_size,
            "roughness": options.roughness,
        },
        timings={"texture": round(time.monotonic() - started, 3)},
        device=current.device,
        bounds={"min": lo, "max": hi},
        height_m=hi[1] - lo[1],
    )
    cancel.raise_if_cancelled()
    saved = library.add_version(new, asset_id)
    report("save", 1.0, "saved")
    return saved

"""Plain, immutable records the repository hands out: safe to pass between threads and to keep
after the database session that read them is gone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from app.core.formats.suffixes import PICTURE_SUFFIXES


class AssetStatus(StrEnum):
    SAVING = "saving"
    """Rows written, files not yet in place: seen after a crash, recovery marks it interrupted."""
    READY = "ready"
    INTERRUPTED = "interrupted"
    """The app stopped while saving it; its files may be incomplete."""
    MISSING = "missing"
    """Its files were moved or deleted outside Sweedle."""


class SourceType(StrEnum):
    GENERATED = "generated"
    IMPORTED = "imported"


class SortKey(StrEnum):
    CREATED = "created"
    NAME = "name"
    TRIANGLES = "triangles"


GLB_FILE = "model.glb"
"""A version folder's mesh file; the name is kept for the libraries already on disk."""
THUMBNAIL_FILE = "thumbnail.png"
TEXTURE_FILE = "texture.png"
SOURCE_STEM = "source"
"""A version keeps the file it was made from as `source<suffix>`: a picture, or an import's mesh."""


def version_glb(folder: Path) -> Path:
    """The GLB of the version kept in `folder`: the one place that knows where it lies."""
    return folder / GLB_FILE


def source_file_name(original: Path) -> str:
    """The name a version folder keeps `original` under."""
    return f"{SOURCE_STEM}{original.suffix.lower()}"


def source_picture(folder: Path | None) -> Path | None:
    """The picture the version in `folder` was made from; None when it has none (an import keeps
    its own mesh file as its source, which is no picture)."""
    if folder is None or not folder.is_dir():
        return None
    found = sorted(folder.glob(f"{SOURCE_STEM}.*"))
    return next((path for path in found if path.suffix.lower() in PICTURE_SUFFIXES), None)


@dataclass(frozen=True)
class AssetQuery:
    """What the library browser and `sweedle library list` ask for; empty fields do not filter."""

    search: str = ""
    """Matches name, prompt, tags and notes, case-insensitively; every word must match."""
    tag: str | None = None
    engine: str | None = None
    status: AssetStatus | None = None
    favourite: bool | None = None
    min_triangles: int | None = None
    max_triangles: int | None = None
    trash: bool = False
    """True lists the trash instead of the library."""
    sort: SortKey = SortKey.CREATED
    descending: bool = True


@dataclass(frozen=True)
class AssetSummary:
    """One grid cell's worth of an asset."""

    id: int
    name: str
    status: AssetStatus
    engine: str
    source_type: SourceType
    triangles: int
    vertices: int
    favourite: bool
    created_at: dt.datetime
    tags: tuple[str, ...]
    folder: Path | None
    """The current version's folder, holding GLB_FILE and THUMBNAIL_FILE; None if it has none."""
    in_trash: bool = False

    @property
    def glb_path(self) -> Path | None:
        return version_glb(self.folder) if self.folder else None

    @property
    def thumbnail_path(self) -> Path | None:
        return self.folder / THUMBNAIL_FILE if self.folder else None


@dataclass(frozen=True)
class LodRecord:
    level: int
    triangles: int
    vertices: int
    error_pct: float


@dataclass(frozen=True)
class VersionRecord:
    """One generation (or import) of an asset."""

    id: int
    version: int
    created_at: dt.datetime
    engine: str
    engine_version: str
    model_id: str
    model_version: str
    licence: str
    seed: int | None
    parameters: dict[str, Any]
    timings: dict[str, float]
    device: str
    status: str
    error: str
    source_name: str
    folder: Path
    triangles: int
    vertices: int
    lods: tuple[LodRecord, ...]
    current: bool

    @property
    def glb_path(self) -> Path:
        return version_glb(self.folder)


@dataclass(frozen=True)
class ExportRecord:
    id: int
    engine: str
    target_path: str
    created_at: dt.datetime
    version_id: int | None


@dataclass(frozen=True)
class AssetRecord:
    """Everything about one asset: the inspector's and `sweedle library show`'s view."""

    summary: AssetSummary
    uid: str
    notes: str
    prompt: str
    updated_at: dt.datetime
    height_m: float
    bounds: dict[str, Any]
    deleted_at: dt.datetime | None
    versions: tuple[VersionRecord, ...] = field(default_factory=tuple)
    exports: tuple[ExportRecord, ...] = field(default_factory=tuple)

    @property
    def id(self) -> int:
        return self.summary.id

    @property
    def name(self) -> str:
        return self.summary.name

    @property
    def current_version(self) -> VersionRecord | None:
        return next((v for v in self.versions if v.current), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for `--json` output."""
        s = self.summary
        return {
            "id": s.id,
            "name": s.name,
            "status": s.status.value,
            "engine": s.engine,
            "source_type": s.source_type.value,
            "triangles": s.triangles,
            "vertices": s.vertices,
            "favourite": s.favourite,
            "tags": list(s.tags),
            "created_at": s.created_at.isoformat(timespec="seconds"),
            "updated_at": self.updated_at.isoformat(timespec="seconds"),
            "in_trash": s.in_trash,
            "notes": self.notes,
            "prompt": self.prompt,
            "height_m": self.height_m,
            "bounds": self.bounds,
            "glb": str(s.glb_path) if s.glb_path else None,
            "versions": [
                {
                    "id": v.id,
                    "version": v.version,
                    "current": v.current,
                    "created_at": v.created_at.isoformat(timespec="seconds"),
                    "engine": v.engine,
                    "engine_version": v.engine_version,
                    "model_id": v.model_id,
                    "licence": v.licence,
                    "seed": v.seed,
                    "parameters": v.parameters,
                    "timings": v.timings,
                    "device": v.device,
                    "status": v.status,
                    "error": v.error,
                    "folder": str(v.folder),
                    "lods": [lod.__dict__ for lod in v.lods],
                }
                for v in self.versions
            ],
            "exports": [
                {"engine": e.engine, "target_path": e.target_path, "created_at": e.created_at.isoformat()}
                for e in self.exports
            ],
        }

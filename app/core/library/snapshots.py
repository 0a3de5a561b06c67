"""What each asset folder carries so the library can be rebuilt without its database.

`v<N>/version.json` is written inside the version's temporary folder, so it is in place exactly
when the version is: how the version was made (engine, model, seed, parameters, LODs, provenance,
times) and the asset's description at that moment. `asset.json` beside the versions holds what
changes later (name, tags, notes, favourite, trash, current version, exports); it is rewritten
after each change. The database stays the source of truth; these files are what a rebuild reads
when the database is lost.

Reading is strict: a file that is not the expected shape is refused (and the rebuild falls back
to the GLB's own provenance), never trusted half-way.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.library.records import SourceType

VERSION_FILE = "version.json"
ASSET_FILE = "asset.json"
FORMAT = 1
MAX_JSON_BYTES = 4 * 1024 * 1024
"""Bigger than any file Sweedle writes: a larger one is not ours."""


class SnapshotError(ValueError):
    """A snapshot file that cannot be used; the message says why."""


@dataclass(frozen=True)
class LodSnapshot:
    level: int
    triangles: int
    vertices: int
    error_pct: float


@dataclass(frozen=True)
class VersionSnapshot:
    """One version as `version.json` records it."""

    asset_uid: str
    version: int
    created_at: dt.datetime
    name: str
    source_type: str
    engine: str
    lods: tuple[LodSnapshot, ...]
    prompt: str = ""
    source_key: str | None = None
    source_name: str = ""
    engine_version: str = ""
    model_id: str = ""
    model_version: str = ""
    licence: str = ""
    seed: int | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, Any] = field(default_factory=dict)
    device: str = ""
    bounds: dict[str, Any] = field(default_factory=dict)
    height_m: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "asset_uid": self.asset_uid,
            "version": self.version,
            "created_at": self.created_at.isoformat(),
            "name": self.name,
            "source_type": self.source_type,
            "engine": self.engine,
            "lods": [lod.__dict__ for lod in self.lods],
            "prompt": self.prompt,
            "source_key": self.source_key,
            "source_name": self.source_name,
            "engine_version": self.engine_version,
            "model_id": self.model_id,
            "model_version": self.model_version,
            "licence": self.licence,
            "seed": self.seed,
            "parameters": self.parameters,
            "timings": self.timings,
            "device": self.device,
            "bounds": self.bounds,
            "height_m": self.height_m,
        }

    @classmethod
    def from_json(cls, data: Any) -> VersionSnapshot:
        r = _Reader(data, VERSION_FILE)
        lods = tuple(
            LodSnapshot(
                _Reader(item, "a LOD").int("level"),
                _Reader(item, "a LOD").int("triangles"),
                _Reader(item, "a LOD").int("vertices"),
                _Reader(item, "a LOD").float("error_pct"),
            )
            for item in r.list("lods")
        )
        if not lods:
            raise SnapshotError(f"{VERSION_FILE} lists no LODs")
        if r.str("source_type") not in {t.value for t in SourceType}:
            raise SnapshotError(f"{VERSION_FILE}: unknown source type {r.str('source_type')[:20]!r}")
        return cls(
            asset_uid=r.str("asset_uid"),
            version=r.int("version"),
            created_at=r.time("created_at"),
            name=r.str("name"),
            source_type=r.str("source_type"),
            engine=r.str("engine"),
            lods=lods,
            prompt=r.str("prompt", ""),
            source_key=r.optional_str("source_key"),
            source_name=r.str("source_name", ""),
            engine_version=r.str("engine_version", ""),
            model_id=r.str("model_id", ""),
            model_version=r.str("model_version", ""),
            licence=r.str("licence", ""),
            seed=r.optional_int("seed"),
            parameters=r.dict("parameters"),
            timings=r.dict("timings"),
            device=r.str("device", ""),
            bounds=r.dict("bounds"),
            height_m=r.float("height_m", 0.0),
        )


@dataclass(frozen=True)
class ExportSnapshot:
    engine: str
    target_path: str
    created_at: dt.datetime
    version: int | None


@dataclass(frozen=True)
class AssetSnapshot:
    """An asset's changing description as `asset.json` records it."""

    uid: str
    id: int
    name: str
    created_at: dt.datetime
    updated_at: dt.datetime
    current_version: int | None
    prompt: str = ""
    notes: str = ""
    favourite: bool = False
    tags: tuple[str, ...] = ()
    deleted_at: dt.datetime | None = None
    exports: tuple[ExportSnapshot, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "uid": self.uid,
            "id": self.id,
            "name": self.name,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "current_version": self.current_version,
            "prompt": self.prompt,
            "notes": self.notes,
            "favourite": self.favourite,
            "tags": list(self.tags),
            "deleted_at": self.deleted_at.isoformat() if self.deleted_at else None,
            "exports": [
                {
                    "engine": e.engine,
                    "target_path": e.target_path,
                    "created_at": e.created_at.isoformat(),
                    "version": e.version,
                }
                for e in self.exports
            ],
        }

    @classmethod
    def from_json(cls, data: Any) -> AssetSnapshot:
        r = _Reader(data, ASSET_FILE)
        exports = []
        for item in r.list("exports"):
            e = _Reader(item, "an export")
            exports.append(
                ExportSnapshot(
                    e.str("engine"), e.str("target_path"), e.time("created_at"), e.optional_int("version")
                )
            )
        tags = tuple(_Reader({"tag": t}, "a tag").str("tag") for t in r.list("tags"))
        deleted = r.optional_str("deleted_at")
        return cls(
            uid=r.str("uid"),
            id=r.int("id"),
            name=r.str("name"),
            created_at=r.time("created_at"),
            updated_at=r.time("updated_at"),
            current_version=r.optional_int("current_version"),
            prompt=r.str("prompt", ""),
            notes=r.str("notes", ""),
            favourite=r.bool("favourite"),
            tags=tags,
            deleted_at=_parse_time(deleted, ASSET_FILE) if deleted else None,
            exports=tuple(exports),
        )


def read_json(path: Path) -> Any:
    """Parse a snapshot file; SnapshotError for anything that is not a small, sound JSON file."""
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise SnapshotError(f"{path} is larger than any file Sweedle writes")
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        raise
    except (OSError, ValueError, RecursionError) as exc:
        raise SnapshotError(f"{path} cannot be read ({exc})") from exc


_REQUIRED: Any = object()


class _Reader:
    """Typed access to one JSON object; each getter raises SnapshotError naming the key."""

    def __init__(self, data: Any, what: str) -> None:
        if not isinstance(data, dict):
            raise SnapshotError(f"{what} is not a JSON object")
        self.data, self.what = data, what

    def _get(self, key: str, default: Any) -> Any:
        if key not in self.data:
            if default is _REQUIRED:
                raise SnapshotError(f"{self.what} has no {key!r}")
            return default
        return self.data[key]

    def str(self, key: str, default: Any = _REQUIRED) -> str:
        value = self._get(key, default)
        if not isinstance(value, str) or len(value) > 100_000:
            raise SnapshotError(f"{self.what}: {key!r} is not a text")
        return value

    def optional_str(self, key: str) -> str | None:
        value = self._get(key, None)
        return None if value is None else self.str(key)

    def int(self, key: str) -> int:
        value = self._get(key, _REQUIRED)
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 2**63 - 1:
            raise SnapshotError(f"{self.what}: {key!r} is not a whole number")
        return value

    def optional_int(self, key: str) -> int | None:
        return None if self._get(key, None) is None else self.int(key)

    def float(self, key: str, default: Any = _REQUIRED) -> float:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise SnapshotError(f"{self.what}: {key!r} is not a finite number")
        return float(value)

    def bool(self, key: str) -> bool:
        value = self._get(key, False)
        if not isinstance(value, bool):
            raise SnapshotError(f"{self.what}: {key!r} is not true or false")
        return value

    def dict(self, key: str) -> dict[str, Any]:
        value = self._get(key, {})
        if not isinstance(value, dict):
            raise SnapshotError(f"{self.what}: {key!r} is not a JSON object")
        return value

    def list(self, key: str) -> list[Any]:
        value = self._get(key, [])
        if not isinstance(value, list):
            raise SnapshotError(f"{self.what}: {key!r} is not a list")
        return value

    def time(self, key: str) -> dt.datetime:
        return _parse_time(self.str(key), self.what)


def _parse_time(text: str, what: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError as exc:
        raise SnapshotError(f"{what}: {text[:40]!r} is not a time") from exc

"""The only code that holds a database Session: every read and change of the library goes
through `Library`, one short transaction per change, and comes back as plain `records`.

Saving a version is crash-safe in three steps: (1) the rows are committed with status
"saving"; (2) the files are written into a temporary folder that is renamed into place;
(3) the status flips to "done" and the version becomes current. A crash between (1) and (3)
leaves a "saving" row that the recovery pass finds and reports; it never leaves a half-written
folder under a final name.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from app.core.library.migrate import LibraryError
from app.core.library.records import (
    AssetQuery,
    AssetRecord,
    AssetStatus,
    AssetSummary,
    ExportRecord,
    LodRecord,
    SortKey,
    SourceType,
    VersionRecord,
)
from app.core.library.schema import Asset, Export, Generation, LodRow, Tag, asset_tags
from app.core.library.store import AssetStore, FileContent

MAX_NAME = 200
MAX_TAG = 60
SAVING, DONE, INTERRUPTED = "saving", "done", "interrupted"
"""A version's status."""


@dataclass
class NewVersion:
    """A version ready to store: its description and its files (name → bytes or file to copy)."""

    name: str
    source_type: SourceType
    engine: str
    lods: Sequence[LodRecord]
    files: dict[str, FileContent]
    source_key: str | None = None
    source_name: str = ""
    prompt: str = ""
    engine_version: str = ""
    model_id: str = ""
    model_version: str = ""
    licence: str = ""
    seed: int | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    device: str = ""
    bounds: dict[str, Any] = field(default_factory=dict)
    height_m: float = 0.0


@dataclass(frozen=True)
class PendingSave:
    """A version that was being saved when the app stopped (found by the recovery pass)."""

    version_id: int
    asset_id: int
    asset_name: str
    folder: Path
    asset_has_other_versions: bool


@dataclass(frozen=True)
class FileCheck:
    asset_id: int
    name: str
    status: AssetStatus
    folder: Path | None


def utcnow() -> dt.datetime:
    """Naive UTC, as stored (SQLite has no time zones)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Library:
    """One library on disk: `root/library.sqlite3` and `root/assets/`. Thread-safe: each call
    opens its own short session."""

    def __init__(self, root: Path, engine: Engine) -> None:
        self.root = root
        self.engine = engine
        self.store = AssetStore(root / "assets")
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()

    # -- saving -------------------------------------------------------------------------------

    def add_version(self, new: NewVersion, asset_id: int | None = None) -> AssetRecord:
        """Store `new` as a new asset, or as the newest (and current) version of an asset.

        With no `asset_id`, a version made from the same source picture (same `source_key`) as
        an asset outside the trash joins that asset: generating again keeps both versions.
        """
        if not new.lods:
            raise LibraryError("a version needs at least LOD0")
        name = _clean_name(new.name)
        now = utcnow()
        with self._session() as s:
            asset = self._target_asset(s, asset_id, new.source_key)
            if asset is None:
                asset = Asset(
                    uid=secrets.token_hex(8),
                    name=name,
                    created_at=now,
                    updated_at=now,
                    status=AssetStatus.SAVING.value,
                    source_type=new.source_type.value,
                    source_key=new.source_key,
                    engine=new.engine,
                    prompt=new.prompt,
                    notes="",
                    favourite=False,
                )
                _refresh_search(asset)
                s.add(asset)
                s.flush()
            version_no = 1 + (
                s.scalar(select(func.max(Generation.version)).where(Generation.asset_id == asset.id)) or 0
            )
            gen = Generation(
                asset_id=asset.id,
                version=version_no,
                created_at=now,
                engine=new.engine,
                engine_version=new.engine_version,
                model_id=new.model_id,
                model_version=new.model_version,
                licence=new.licence,
                seed=new.seed,
                parameters=new.parameters,
                timings=new.timings,
                device=new.device,
                status=SAVING,
                error="",
                source_name=new.source_name,
                folder=self.store.relative_folder(asset.uid, version_no),
                triangles=new.lods[0].triangles,
                vertices=new.lods[0].vertices,
                lods=[LodRow(**lod.__dict__) for lod in new.lods],
            )
            s.add(gen)
            s.flush()
            asset_id, uid, gen_id = asset.id, asset.uid, gen.id
        self.store.write_version(uid, version_no, new.files)
        with self._session() as s:
            gen = s.get_one(Generation, gen_id)
            gen.status = DONE
            asset = s.get_one(Asset, asset_id)
            asset.bounds = new.bounds
            asset.height_m = new.height_m
            asset.prompt = new.prompt or asset.prompt
            self._make_current(asset, gen, now)
        return self.get_asset(asset_id)

    def _target_asset(self, s: Session, asset_id: int | None, source_key: str | None) -> Asset | None:
        if asset_id is not None:
            asset = s.get(Asset, asset_id)
            if asset is None:
                raise LibraryError(f"there is no asset {asset_id} in the library")
            return asset
        if source_key is None:
            return None
        return s.scalars(
            select(Asset)
            .where(Asset.source_key == source_key, Asset.deleted_at.is_(None))
            .order_by(Asset.updated_at.desc())
            .limit(1)
        ).first()

    def _make_current(self, asset: Asset, gen: Generation, now: dt.datetime) -> None:
        asset.current_version_id = gen.id
        asset.triangles = gen.triangles
        asset.vertices = gen.vertices
        asset.engine = gen.engine
        asset.status = AssetStatus.READY.value
        asset.updated_at = now
        _refresh_search(asset)

    def promote(self, asset_id: int, version_id: int) -> AssetRecord:
        """Make an earlier (or later) version the asset's current one."""
        with self._session() as s:
            asset = self._asset(s, asset_id)
            gen = s.get(Generation, version_id)
            if gen is None or gen.asset_id != asset_id:
                raise LibraryError(f"version {version_id} does not belong to asset {asset_id}")
            if gen.status != DONE:
                raise LibraryError(
                    f"version {gen.version} of {asset.name!r} is {gen.status}; it cannot be used"
                )
            self._make_current(asset, gen, utcnow())
        return self.get_asset(asset_id)

    def record_export(
        self, asset_id: int, engine: str, target_path: Path | str, version_id: int | None = None
    ) -> ExportRecord:
        with self._session() as s:
            asset = self._asset(s, asset_id)
            row = Export(
                asset_id=asset.id,
                generation_id=version_id if version_id is not None else asset.current_version_id,
                engine=engine,
                target_path=str(target_path),
                created_at=utcnow(),
            )
            s.add(row)
            s.flush()
            return _export_record(row)

    # -- reading ------------------------------------------------------------------------------

    def search_ids(self, query: AssetQuery) -> list[int]:
        """Ids of the assets matching `query`, in its order: one indexed query, cheap at 10k."""
        stmt = select(Asset.id).where(
            Asset.deleted_at.is_not(None) if query.trash else Asset.deleted_at.is_(None)
        )
        for word in query.search.lower().split():
            stmt = stmt.where(Asset.search_text.like(f"%{_escape_like(word)}%", escape="\\"))
        if query.tag:
            tagged = select(asset_tags.c.asset_id).join(Tag).where(Tag.name == query.tag.strip())
            stmt = stmt.where(Asset.id.in_(tagged))
        if query.engine:
            stmt = stmt.where(Asset.engine == query.engine)
        if query.status is not None:
            stmt = stmt.where(Asset.status == query.status.value)
        if query.favourite is not None:
            stmt = stmt.where(Asset.favourite.is_(query.favourite))
        if query.min_triangles is not None:
            stmt = stmt.where(Asset.triangles >= query.min_triangles)
        if query.max_triangles is not None:
            stmt = stmt.where(Asset.triangles <= query.max_triangles)
        column = {
            SortKey.CREATED: Asset.created_at,
            SortKey.NAME: Asset.name.collate("NOCASE"),
            SortKey.TRIANGLES: Asset.triangles,
        }[query.sort]
        if query.descending:
            stmt = stmt.order_by(column.desc(), Asset.id.desc())
        else:
            stmt = stmt.order_by(column.asc(), Asset.id.asc())
        with self._session() as s:
            return list(s.scalars(stmt))

    def summaries(self, ids: Sequence[int]) -> list[AssetSummary]:
        """Summaries of `ids`, in that order (ids no longer in the library are left out)."""
        if not ids:
            return []
        stmt = (
            select(Asset, Generation.folder)
            .outerjoin(Generation, Generation.id == Asset.current_version_id)
            .where(Asset.id.in_(ids))
            .options(selectinload(Asset.tags))
        )
        with self._session() as s:
            found = {asset.id: self._summary(asset, folder) for asset, folder in s.execute(stmt)}
        return [found[i] for i in ids if i in found]

    def list_assets(self, query: AssetQuery, offset: int = 0, limit: int | None = None) -> list[AssetSummary]:
        ids = self.search_ids(query)
        return self.summaries(ids[offset : None if limit is None else offset + limit])

    def get_asset(self, asset_id: int) -> AssetRecord:
        with self._session() as s:
            asset = s.scalars(
                select(Asset)
                .where(Asset.id == asset_id)
                .options(
                    selectinload(Asset.tags),
                    selectinload(Asset.versions).selectinload(Generation.lods),
                    selectinload(Asset.exports),
                )
            ).first()
            if asset is None:
                raise LibraryError(f"there is no asset {asset_id} in the library")
            current = next((g for g in asset.versions if g.id == asset.current_version_id), None)
            return AssetRecord(
                summary=self._summary(asset, current.folder if current else None),
                uid=asset.uid,
                notes=asset.notes,
                prompt=asset.prompt,
                updated_at=asset.updated_at,
                height_m=asset.height_m,
                bounds=dict(asset.bounds or {}),
                deleted_at=asset.deleted_at,
                versions=tuple(self._version(g, g.id == asset.current_version_id) for g in asset.versions),
                exports=tuple(_export_record(e) for e in asset.exports),
            )

    def asset_for_source(self, source_key: str) -> AssetRecord | None:
        """The asset outside the trash that a picture with this SHA-256 was last generated into."""
        with self._session() as s:
            asset = self._target_asset(s, None, source_key)
            asset_id = asset.id if asset is not None else None
        return self.get_asset(asset_id) if asset_id is not None else None

    def count(self, trash: bool = False) -> int:
        deleted = Asset.deleted_at.is_not(None) if trash else Asset.deleted_at.is_(None)
        with self._session() as s:
            return s.scalar(select(func.count(Asset.id)).where(deleted)) or 0

    def tags(self) -> list[str]:
        """Every tag in use, alphabetically."""
        with self._session() as s:
            used = select(asset_tags.c.tag_id)
            return list(s.scalars(select(Tag.name).where(Tag.id.in_(used)).order_by(Tag.name)))

    def engines(self) -> list[str]:
        with self._session() as s:
            return list(s.scalars(select(Asset.engine).distinct().order_by(Asset.engine)))

    # -- editing ------------------------------------------------------------------------------

    def rename(self, asset_id: int, name: str) -> AssetSummary:
        with self._session() as s:
            asset = self._asset(s, asset_id)
            asset.name = _clean_name(name)
            self._touch(asset)
        return self.summaries([asset_id])[0]

    def set_notes(self, asset_id: int, notes: str) -> None:
        with self._session() as s:
            asset = self._asset(s, asset_id)
            asset.notes = notes.strip()
            self._touch(asset)

    def set_favourite(self, asset_ids: Iterable[int], favourite: bool) -> None:
        with self._session() as s:
            s.execute(
                update(Asset)
                .where(Asset.id.in_(list(asset_ids)))
                .values(favourite=favourite, updated_at=utcnow())
            )

    def set_tags(self, asset_id: int, tags: Iterable[str]) -> tuple[str, ...]:
        """Replace the asset's tags (trimmed, duplicates ignored whatever their case)."""
        with self._session() as s:
            asset = self._asset(s, asset_id)
            asset.tags = self._tag_rows(s, tags)
            self._touch(asset)
            return tuple(sorted((t.name for t in asset.tags), key=str.lower))

    def add_tag(self, asset_ids: Iterable[int], tag: str) -> None:
        with self._session() as s:
            (row,) = self._tag_rows(s, [tag])
            for asset_id in asset_ids:
                asset = self._asset(s, asset_id)
                if row not in asset.tags:
                    asset.tags.append(row)
                    self._touch(asset)

    def remove_tag(self, asset_ids: Iterable[int], tag: str) -> None:
        with self._session() as s:
            for asset_id in asset_ids:
                asset = self._asset(s, asset_id)
                asset.tags = [t for t in asset.tags if t.name.lower() != tag.strip().lower()]
                self._touch(asset)

    def trash(self, asset_ids: Iterable[int]) -> int:
        """Move assets to the trash (their files stay until the trash is emptied)."""
        return self._set_deleted(asset_ids, utcnow())

    def restore(self, asset_ids: Iterable[int]) -> int:
        return self._set_deleted(asset_ids, None)

    def _set_deleted(self, asset_ids: Iterable[int], when: dt.datetime | None) -> int:
        with self._session() as s:
            result = s.execute(
                update(Asset)
                .where(Asset.id.in_(list(asset_ids)))
                .values(deleted_at=when, updated_at=utcnow())
                .returning(Asset.id)
            )
            return len(result.all())

    def empty_trash(self) -> int:
        """Delete every asset in the trash, rows and files; the only way anything is deleted."""
        with self._session() as s:
            doomed = list(s.execute(select(Asset.id, Asset.uid).where(Asset.deleted_at.is_not(None))))
        detached = [self.store.detach_asset(uid) for _, uid in doomed]
        with self._session() as s:
            for asset_id, _ in doomed:
                s.delete(s.get_one(Asset, asset_id))
        for folder in detached:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        return len(doomed)

    # -- recovery -----------------------------------------------------------------------------

    def pending_saves(self) -> list[PendingSave]:
        with self._session() as s:
            rows = s.execute(
                select(Generation, Asset.name, Asset.current_version_id)
                .join(Asset, Asset.id == Generation.asset_id)
                .where(Generation.status == SAVING)
            )
            return [
                PendingSave(g.id, g.asset_id, name, self.store.root / g.folder, current is not None)
                for g, name, current in rows
            ]

    def finish_pending(self, pending: PendingSave, files_complete: bool) -> None:
        """After a crash: keep a version whose folder made it into place, else mark it interrupted."""
        with self._session() as s:
            gen = s.get_one(Generation, pending.version_id)
            asset = s.get_one(Asset, pending.asset_id)
            if files_complete:
                gen.status = DONE
                self._make_current(asset, gen, utcnow())
                return
            gen.status = INTERRUPTED
            gen.error = "the app stopped while this version was being saved; its files were not kept"
            if asset.current_version_id is None:
                asset.status = AssetStatus.INTERRUPTED.value

    def file_checks(self) -> list[FileCheck]:
        """Every ready or missing asset with its current folder, for the missing-files check."""
        with self._session() as s:
            rows = s.execute(
                select(Asset.id, Asset.name, Asset.status, Generation.folder)
                .outerjoin(Generation, Generation.id == Asset.current_version_id)
                .where(Asset.status.in_([AssetStatus.READY.value, AssetStatus.MISSING.value]))
            )
            return [
                FileCheck(i, n, AssetStatus(st), self.store.root / f if f else None) for i, n, st, f in rows
            ]

    def set_status(self, asset_ids: Iterable[int], status: AssetStatus) -> None:
        ids = list(asset_ids)
        if ids:
            with self._session() as s:
                s.execute(update(Asset).where(Asset.id.in_(ids)).values(status=status.value))

    # -- helpers ------------------------------------------------------------------------------

    def _asset(self, s: Session, asset_id: int) -> Asset:
        asset = s.get(Asset, asset_id)
        if asset is None:
            raise LibraryError(f"there is no asset {asset_id} in the library")
        return asset

    def _touch(self, asset: Asset) -> None:
        asset.updated_at = utcnow()
        _refresh_search(asset)

    def _tag_rows(self, s: Session, tags: Iterable[str]) -> list[Tag]:
        rows: dict[str, Tag] = {}
        for raw in tags:
            name = " ".join(raw.split())
            if not name:
                continue
            if len(name) > MAX_TAG:
                raise LibraryError(f"tag {name[:20]!r}… is too long: at most {MAX_TAG} characters")
            if name.lower() in rows:
                continue
            row = s.scalars(select(Tag).where(Tag.name == name)).first()
            if row is None:
                row = Tag(name=name)
                s.add(row)
            rows[name.lower()] = row
        return list(rows.values())

    def _summary(self, asset: Asset, folder: str | None) -> AssetSummary:
        return AssetSummary(
            id=asset.id,
            name=asset.name,
            status=AssetStatus(asset.status),
            engine=asset.engine,
            source_type=SourceType(asset.source_type),
            triangles=asset.triangles,
            vertices=asset.vertices,
            favourite=asset.favourite,
            created_at=asset.created_at,
            tags=tuple(t.name for t in asset.tags),
            folder=self.store.root / folder if folder else None,
            in_trash=asset.deleted_at is not None,
        )

    def _version(self, g: Generation, current: bool) -> VersionRecord:
        return VersionRecord(
            id=g.id,
            version=g.version,
            created_at=g.created_at,
            engine=g.engine,
            engine_version=g.engine_version,
            model_id=g.model_id,
            model_version=g.model_version,
            licence=g.licence,
            seed=g.seed,
            parameters=dict(g.parameters or {}),
            timings=dict(g.timings or {}),
            device=g.device,
            status=g.status,
            error=g.error,
            source_name=g.source_name,
            folder=self.store.root / g.folder,
            triangles=g.triangles,
            vertices=g.vertices,
            lods=tuple(LodRecord(r.level, r.triangles, r.vertices, r.error_pct) for r in g.lods),
            current=current,
        )


def _export_record(row: Export) -> ExportRecord:
    return ExportRecord(row.id, row.engine, row.target_path, row.created_at, row.generation_id)


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise LibraryError("an asset name cannot be empty")
    if len(cleaned) > MAX_NAME:
        raise LibraryError(
            f"an asset name can have at most {MAX_NAME} characters (this one has {len(cleaned)})"
        )
    return cleaned


def _refresh_search(asset: Asset) -> None:
    parts = [asset.name, asset.prompt, *(t.name for t in asset.tags), asset.notes]
    asset.search_text = " ".join(p for p in parts if p).lower()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

"""The only code that holds a database Session: every read and change of the library goes
through `Library`, one short transaction per change, and comes back as plain `records`.

Saving a version is crash-safe in three steps: (1) the rows are committed with status
"saving" and the saving process's lease token as owner; (2) the files are written into a
temporary folder that is renamed into place; (3) the status flips to "done" and the version
becomes current. A crash between (1) and (3) leaves a "saving" row whose owner is gone, which
the recovery pass finds and reports; it never leaves a half-written folder under a final name.

Several processes share one library: every change runs in a write transaction taken up front
(`BEGIN IMMEDIATE`), so a read-then-write (the next version number, a tag that may exist) never
races another process. SQLite and disk faults come out as one-line `LibraryError`s (`faults`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import DatabaseError, IntegrityError, ProgrammingError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from app.core.library import leases
from app.core.library.faults import ASSETS_DIR, database_fault, os_fault
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
from app.core.library.schema import Asset, Export, LodRow, Tag, VersionRow, asset_tags
from app.core.library.snapshots import (
    ASSET_FILE,
    VERSION_FILE,
    AssetSnapshot,
    ExportSnapshot,
    LodSnapshot,
    VersionSnapshot,
)
from app.core.library.store import AssetStore, FileContent

log = logging.getLogger(__name__)

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
    owner: str | None
    """Lease token of the process saving it; None for a save recorded by an older Sweedle."""


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
    opens its own short session. Holds a lease (see `leases`) until `close()`."""

    def __init__(self, root: Path, engine: Engine, lease: leases.Lease | None = None) -> None:
        self.root = root
        self.engine = engine
        self.leases_dir = root / leases.LEASES_DIR
        try:
            self.lease = lease or leases.acquire(self.leases_dir)
        except leases.LibraryBusy as exc:
            raise LibraryError(
                f"The library in {root} is being rebuilt by another Sweedle process: try again when it is "
                "done."
            ) from exc
        except OSError as exc:
            raise os_fault(exc, self.leases_dir, root) from exc
        self.store = AssetStore(root / ASSETS_DIR, self.lease.token)
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        """One transaction; `write` takes SQLite's write lock first (waiting up to the busy timeout).
        A database failure is a LibraryError saying what to do. The job queue, which lives in the
        same database, opens its transactions here too."""
        try:
            with self._sessions.begin() as session:
                if write:
                    session.connection().exec_driver_sql("BEGIN IMMEDIATE")
                yield session
        except (IntegrityError, ProgrammingError):
            raise
        except DatabaseError as exc:
            raise database_fault(exc, self.root) from exc

    def owner_alive(self, token: str) -> bool:
        """Whether the process holding lease `token` (this one included) is still running."""
        return token == self.lease.token or leases.owner_alive(self.leases_dir, token)

    def close(self) -> None:
        self.engine.dispose()
        self.lease.release()

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
        with self.session(write=True) as s:
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
                s.scalar(select(func.max(VersionRow.version)).where(VersionRow.asset_id == asset.id)) or 0
            )
            vrow = _version_row(
                new, asset.id, version_no, now, SAVING, self.store.relative_folder(asset.uid, version_no)
            )
            vrow.owner = self.lease.token
            s.add(vrow)
            s.flush()
            asset_id, uid, row_id = asset.id, asset.uid, vrow.id
            snapshot = _version_snapshot(new, asset, version_no, now)
        files = {**new.files, VERSION_FILE: json.dumps(snapshot.to_json(), indent=1).encode()}
        try:
            self.store.write_version(uid, version_no, files)
        except OSError as exc:
            fault = os_fault(exc, self.store.root / uid, self.root)
            self._abandon(row_id, f"its files could not be written: {fault}")
            raise fault from exc
        except BaseException as exc:
            self._abandon(row_id, f"its files could not be written: {exc}")
            raise
        with self.session(write=True) as s:
            vrow = s.get_one(VersionRow, row_id)
            vrow.status = DONE
            vrow.owner = None
            asset = s.get_one(Asset, asset_id)
            asset.bounds = new.bounds
            asset.height_m = new.height_m
            asset.prompt = new.prompt or asset.prompt
            self._make_current(asset, vrow, now)
        self._write_snapshots([asset_id])
        return self.get_asset(asset_id)

    def _abandon(self, row_id: int, error: str) -> None:
        """A save that failed while this process lives: mark it interrupted now (best effort: the
        database may be the thing that failed; recovery then does it after this process ends)."""
        with suppress(LibraryError), self.session(write=True) as s:
            vrow = s.get(VersionRow, row_id)
            if vrow is not None and vrow.status == SAVING:
                self._mark_interrupted(s, vrow, error)

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

    def _make_current(self, asset: Asset, vrow: VersionRow, now: dt.datetime) -> None:
        asset.current_version_id = vrow.id
        asset.triangles = vrow.triangles
        asset.vertices = vrow.vertices
        asset.engine = vrow.engine
        asset.status = AssetStatus.READY.value
        asset.updated_at = now
        _refresh_search(asset)

    def promote(self, asset_id: int, version_id: int) -> AssetRecord:
        """Make an earlier (or later) version the asset's current one."""
        with self.session(write=True) as s:
            asset = self._asset(s, asset_id)
            vrow = s.get(VersionRow, version_id)
            if vrow is None or vrow.asset_id != asset_id:
                raise LibraryError(f"version {version_id} does not belong to asset {asset_id}")
            if vrow.status != DONE:
                raise LibraryError(
                    f"version {vrow.version} of {asset.name!r} is {vrow.status}; it cannot be used"
                )
            self._make_current(asset, vrow, utcnow())
        self._write_snapshots([asset_id])
        return self.get_asset(asset_id)

    def record_export(
        self, asset_id: int, engine: str, target_path: Path | str, version_id: int | None = None
    ) -> ExportRecord:
        with self.session(write=True) as s:
            asset = self._asset(s, asset_id)
            row = Export(
                asset_id=asset.id,
                version_id=version_id if version_id is not None else asset.current_version_id,
                engine=engine,
                target_path=str(target_path),
                created_at=utcnow(),
            )
            s.add(row)
            s.flush()
            record = _export_record(row)
        self._write_snapshots([asset_id])
        return record

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
        with self.session() as s:
            return list(s.scalars(stmt))

    def summaries(self, ids: Sequence[int]) -> list[AssetSummary]:
        """Summaries of `ids`, in that order (ids no longer in the library are left out)."""
        if not ids:
            return []
        # Plain columns, no ORM objects: the grid reads a page of these while the user scrolls.
        columns = select(
            Asset.id,
            Asset.name,
            Asset.status,
            Asset.engine,
            Asset.source_type,
            Asset.triangles,
            Asset.vertices,
            Asset.favourite,
            Asset.created_at,
            Asset.deleted_at,
            VersionRow.folder,
        ).outerjoin(VersionRow, VersionRow.id == Asset.current_version_id)
        tagged = (
            select(asset_tags.c.asset_id, Tag.name)
            .join(Tag, Tag.id == asset_tags.c.tag_id)
            .where(asset_tags.c.asset_id.in_(ids))
            .order_by(Tag.name)
        )
        tags: dict[int, list[str]] = {}
        with self.session() as s:
            rows = s.execute(columns.where(Asset.id.in_(ids))).all()
            for asset_id, name in s.execute(tagged):
                tags.setdefault(asset_id, []).append(name)
        found = {row.id: self._summary(row, tuple(tags.get(row.id, ())), row.folder) for row in rows}
        return [found[i] for i in ids if i in found]

    def list_assets(self, query: AssetQuery, offset: int = 0, limit: int | None = None) -> list[AssetSummary]:
        ids = self.search_ids(query)
        return self.summaries(ids[offset : None if limit is None else offset + limit])

    def get_asset(self, asset_id: int) -> AssetRecord:
        with self.session() as s:
            asset = s.scalars(
                select(Asset)
                .where(Asset.id == asset_id)
                .options(
                    selectinload(Asset.tags),
                    selectinload(Asset.versions).selectinload(VersionRow.lods),
                    selectinload(Asset.exports),
                )
            ).first()
            if asset is None:
                raise LibraryError(f"there is no asset {asset_id} in the library")
            current = next((g for g in asset.versions if g.id == asset.current_version_id), None)
            tags = tuple(t.name for t in asset.tags)
            return AssetRecord(
                summary=self._summary(asset, tags, current.folder if current else None),
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
        with self.session() as s:
            asset = self._target_asset(s, None, source_key)
            asset_id = asset.id if asset is not None else None
        return self.get_asset(asset_id) if asset_id is not None else None

    def count(self, trash: bool = False) -> int:
        deleted = Asset.deleted_at.is_not(None) if trash else Asset.deleted_at.is_(None)
        with self.session() as s:
            return s.scalar(select(func.count(Asset.id)).where(deleted)) or 0

    def tags(self) -> list[str]:
        """Every tag in use, alphabetically."""
        with self.session() as s:
            used = select(asset_tags.c.tag_id)
            return list(s.scalars(select(Tag.name).where(Tag.id.in_(used)).order_by(Tag.name)))

    def engines(self) -> list[str]:
        with self.session() as s:
            return list(s.scalars(select(Asset.engine).distinct().order_by(Asset.engine)))

    # -- editing ------------------------------------------------------------------------------

    def rename(self, asset_id: int, name: str) -> AssetSummary:
        with self.session(write=True) as s:
            asset = self._asset(s, asset_id)
            asset.name = _clean_name(name)
            self._touch(asset)
        self._write_snapshots([asset_id])
        return self.summaries([asset_id])[0]

    def set_notes(self, asset_id: int, notes: str) -> None:
        with self.session(write=True) as s:
            asset = self._asset(s, asset_id)
            asset.notes = notes.strip()
            self._touch(asset)
        self._write_snapshots([asset_id])

    def set_favourite(self, asset_ids: Iterable[int], favourite: bool) -> None:
        ids = list(asset_ids)
        with self.session(write=True) as s:
            s.execute(update(Asset).where(Asset.id.in_(ids)).values(favourite=favourite, updated_at=utcnow()))
        self._write_snapshots(ids)

    def set_tags(self, asset_id: int, tags: Iterable[str]) -> tuple[str, ...]:
        """Replace the asset's tags (trimmed, duplicates ignored whatever their case)."""
        with self.session(write=True) as s:
            asset = self._asset(s, asset_id)
            asset.tags = self._tag_rows(s, tags)
            self._touch(asset)
            names = tuple(sorted((t.name for t in asset.tags), key=str.lower))
        self._write_snapshots([asset_id])
        return names

    def add_tag(self, asset_ids: Iterable[int], tag: str) -> None:
        ids = list(asset_ids)
        with self.session(write=True) as s:
            (row,) = self._tag_rows(s, [tag])
            for asset_id in ids:
                asset = self._asset(s, asset_id)
                if row not in asset.tags:
                    asset.tags.append(row)
                    self._touch(asset)
        self._write_snapshots(ids)

    def remove_tag(self, asset_ids: Iterable[int], tag: str) -> None:
        ids = list(asset_ids)
        with self.session(write=True) as s:
            for asset_id in ids:
                asset = self._asset(s, asset_id)
                asset.tags = [t for t in asset.tags if t.name.lower() != tag.strip().lower()]
                self._touch(asset)
        self._write_snapshots(ids)

    def trash(self, asset_ids: Iterable[int]) -> int:
        """Move assets to the trash (their files stay until the trash is emptied)."""
        return self._set_deleted(asset_ids, utcnow())

    def restore(self, asset_ids: Iterable[int]) -> int:
        return self._set_deleted(asset_ids, None)

    def _set_deleted(self, asset_ids: Iterable[int], when: dt.datetime | None) -> int:
        with self.session(write=True) as s:
            result = s.execute(
                update(Asset)
                .where(Asset.id.in_(list(asset_ids)))
                .values(deleted_at=when, updated_at=utcnow())
                .returning(Asset.id)
            )
            changed = [row[0] for row in result.all()]
        self._write_snapshots(changed)
        return len(changed)

    def empty_trash(self) -> int:
        """Delete every asset in the trash, rows and files; the only way anything is deleted.

        The folders are renamed away and the rows deleted in one write transaction; if it fails,
        the folders are put back, so an asset never loses its files while its rows stay."""
        detached: list[tuple[str, Path]] = []
        try:
            with self.session(write=True) as s:
                doomed = list(s.execute(select(Asset.id, Asset.uid).where(Asset.deleted_at.is_not(None))))
                for _, uid in doomed:
                    folder = self.store.detach_asset(uid)
                    if folder is not None:
                        detached.append((uid, folder))
                for asset_id, _ in doomed:
                    s.delete(s.get_one(Asset, asset_id))
        except BaseException as exc:
            for uid, folder in detached:
                with suppress(OSError):
                    os.replace(folder, self.store.root / uid)
            if isinstance(exc, OSError):
                raise os_fault(exc, self.store.root, self.root) from exc
            raise
        for _, folder in detached:
            shutil.rmtree(folder, ignore_errors=True)
        return len(doomed)

    # -- recovery -----------------------------------------------------------------------------

    def pending_saves(self) -> list[PendingSave]:
        with self.session() as s:
            rows = s.execute(
                select(VersionRow, Asset.name, Asset.current_version_id)
                .join(Asset, Asset.id == VersionRow.asset_id)
                .where(VersionRow.status == SAVING)
            )
            return [
                PendingSave(g.id, g.asset_id, name, self.store.root / g.folder, current is not None, g.owner)
                for g, name, current in rows
            ]

    def finish_pending(self, pending: PendingSave, files_complete: bool) -> bool:
        """After a crash: keep a version whose folder made it into place, else mark it interrupted.

        Only the owner of a save, or recovery once the owner is gone, may call this. Returns False
        when the version was no longer being saved (another process's recovery got there first)."""
        with self.session(write=True) as s:
            vrow = s.get(VersionRow, pending.version_id)
            if vrow is None or vrow.status != SAVING:
                return False
            if files_complete:
                vrow.status = DONE
                vrow.owner = None
                self._make_current(s.get_one(Asset, pending.asset_id), vrow, utcnow())
            else:
                self._mark_interrupted(
                    s, vrow, "the app stopped while this version was being saved; its files were not kept"
                )
        if files_complete:
            self._write_snapshots([pending.asset_id])
        return True

    def _mark_interrupted(self, s: Session, vrow: VersionRow, error: str) -> None:
        vrow.status = INTERRUPTED
        vrow.error = error
        vrow.owner = None
        asset = s.get_one(Asset, vrow.asset_id)
        if asset.current_version_id is None:
            asset.status = AssetStatus.INTERRUPTED.value

    def file_checks(self) -> list[FileCheck]:
        """Every ready or missing asset outside the trash with its current folder, for the
        missing-files check (a trashed asset's folder may be going away with the trash)."""
        with self.session() as s:
            rows = s.execute(
                select(Asset.id, Asset.name, Asset.status, VersionRow.folder)
                .outerjoin(VersionRow, VersionRow.id == Asset.current_version_id)
                .where(
                    Asset.status.in_([AssetStatus.READY.value, AssetStatus.MISSING.value]),
                    Asset.deleted_at.is_(None),
                )
            )
            return [
                FileCheck(i, n, AssetStatus(st), self.store.root / f if f else None) for i, n, st, f in rows
            ]

    def set_status(self, asset_ids: Iterable[int], status: AssetStatus, expected: AssetStatus) -> None:
        """Set the status of those of `asset_ids` whose status is still `expected`."""
        ids = list(asset_ids)
        if ids:
            with self.session(write=True) as s:
                s.execute(
                    update(Asset)
                    .where(Asset.id.in_(ids), Asset.status == expected.value)
                    .values(status=status.value)
                )

    def has_uid(self, uid: str) -> bool:
        with self.session() as s:
            return s.scalar(select(func.count(Asset.id)).where(Asset.uid == uid)) == 1

    def asset_rows(self) -> int:
        """Assets in the database, trash and unfinished saves included."""
        with self.session() as s:
            return s.scalar(select(func.count(Asset.id))) or 0

    # -- snapshots for a rebuild (see `snapshots`) --------------------------------------------

    def _write_snapshots(self, asset_ids: Sequence[int]) -> None:
        """Rewrite `asset.json` of these assets. A failure is logged, not raised: the change is
        committed, and the file is only the copy a rebuild would read."""
        if not asset_ids:
            return
        try:
            for uid, snapshot in self._asset_snapshots(asset_ids):
                folder = self.store.root / uid
                if folder.is_dir():
                    self.store.write_json(folder / ASSET_FILE, snapshot.to_json())
        except (OSError, LibraryError) as exc:
            log.warning("could not update %s of assets %s: %s", ASSET_FILE, list(asset_ids)[:10], exc)

    def _asset_snapshots(self, asset_ids: Sequence[int]) -> list[tuple[str, AssetSnapshot]]:
        with self.session() as s:
            assets = s.scalars(
                select(Asset)
                .where(Asset.id.in_(list(asset_ids)))
                .options(selectinload(Asset.tags), selectinload(Asset.versions), selectinload(Asset.exports))
            )
            out = []
            for a in assets:
                number = {g.id: g.version for g in a.versions}
                out.append(
                    (
                        a.uid,
                        AssetSnapshot(
                            uid=a.uid,
                            id=a.id,
                            name=a.name,
                            created_at=a.created_at,
                            updated_at=a.updated_at,
                            current_version=number.get(a.current_version_id or -1),
                            prompt=a.prompt,
                            notes=a.notes,
                            favourite=a.favourite,
                            tags=tuple(t.name for t in a.tags),
                            deleted_at=a.deleted_at,
                            exports=tuple(
                                ExportSnapshot(
                                    e.engine, e.target_path, e.created_at, number.get(e.version_id or -1)
                                )
                                for e in a.exports
                            ),
                        ),
                    )
                )
            return out

    def insert_rebuilt(self, asset: AssetSnapshot, versions: Sequence[VersionSnapshot]) -> int:
        """Add an asset read back from its folder (a rebuild); returns its id. Keeps the recorded
        id when it is free, so ids people wrote down still work."""
        first, current = (
            versions[0],
            next((v for v in versions if v.version == asset.current_version), versions[-1]),
        )
        with self.session(write=True) as s:
            free = asset.id > 0 and s.get(Asset, asset.id) is None
            row = Asset(
                id=asset.id if free else None,
                uid=asset.uid,
                name=_clean_name(asset.name),
                created_at=asset.created_at,
                updated_at=asset.updated_at,
                status=AssetStatus.READY.value,
                notes=asset.notes,
                favourite=asset.favourite,
                source_type=SourceType(first.source_type).value,
                source_key=first.source_key,
                engine=current.engine,
                prompt=asset.prompt,
                bounds=current.bounds,
                height_m=current.height_m,
                deleted_at=asset.deleted_at,
            )
            row.tags = self._tag_rows(s, asset.tags)
            s.add(row)
            s.flush()
            ids = {}
            for v in versions:
                vrow = _version_row(
                    v, row.id, v.version, v.created_at, DONE, self.store.relative_folder(asset.uid, v.version)
                )
                s.add(vrow)
                s.flush()
                ids[v.version] = vrow.id
                if v is current:
                    self._make_current(row, vrow, asset.updated_at)
            for e in asset.exports:
                s.add(
                    Export(
                        asset_id=row.id,
                        version_id=ids.get(e.version or -1),
                        engine=e.engine,
                        target_path=e.target_path,
                        created_at=e.created_at,
                    )
                )
            asset_id = row.id
        self._write_snapshots([asset_id])
        return asset_id

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

    def _summary(self, asset: Any, tags: tuple[str, ...], folder: str | None) -> AssetSummary:
        """One asset's summary from its row: an `Asset` or the plain columns a page reads."""
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
            tags=tags,
            folder=self.store.root / folder if folder else None,
            in_trash=asset.deleted_at is not None,
        )

    def _version(self, g: VersionRow, current: bool) -> VersionRecord:
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


def _version_snapshot(new: NewVersion, asset: Asset, version: int, now: dt.datetime) -> VersionSnapshot:
    return VersionSnapshot(
        asset_uid=asset.uid,
        version=version,
        created_at=now,
        name=asset.name,
        source_type=asset.source_type,
        engine=new.engine,
        lods=tuple(LodSnapshot(lod.level, lod.triangles, lod.vertices, lod.error_pct) for lod in new.lods),
        prompt=new.prompt or asset.prompt,
        source_key=asset.source_key,
        source_name=new.source_name,
        engine_version=new.engine_version,
        model_id=new.model_id,
        model_version=new.model_version,
        licence=new.licence,
        seed=new.seed,
        parameters=new.parameters,
        timings=new.timings,
        device=new.device,
        bounds=new.bounds,
        height_m=new.height_m,
    )


def _export_record(row: Export) -> ExportRecord:
    return ExportRecord(row.id, row.engine, row.target_path, row.created_at, row.version_id)


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


def _version_row(
    made: NewVersion | VersionSnapshot,
    asset_id: int,
    version: int,
    created_at: dt.datetime,
    status: str,
    folder: str,
) -> VersionRow:
    """The database row of one version, from a new save or from a version folder's snapshot."""
    return VersionRow(
        asset_id=asset_id,
        version=version,
        created_at=created_at,
        engine=made.engine,
        engine_version=made.engine_version,
        model_id=made.model_id,
        model_version=made.model_version,
        licence=made.licence,
        seed=made.seed,
        parameters=made.parameters,
        timings=made.timings,
        device=made.device,
        status=status,
        error="",
        source_name=made.source_name,
        folder=folder,
        triangles=made.lods[0].triangles,
        vertices=made.lods[0].vertices,
        lods=[LodRow(**lod.__dict__) for lod in made.lods],
    )

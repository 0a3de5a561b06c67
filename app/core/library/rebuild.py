"""Rebuild the library's database from its asset folders.

For a database that is lost (missing, 0 bytes, damaged) while the assets' files are still on
disk. Each version folder's `version.json` and each asset's `asset.json` (see `snapshots`) give
back names, tags, notes, versions, parameters, provenance and exports; a folder written before
these files existed is read from its GLB's own provenance (`asset.extras.sweedle`) and LODs.

The new database is built under a temporary name and renamed into place only when complete; the
old one (with its WAL) is moved to `set-aside/`, never deleted. It runs with the library held
exclusively: no window or command may have it open meanwhile.
"""

from __future__ import annotations

import datetime as dt
import os
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError

from app.core.base.errors import SweedleError
from app.core.base.provenance import Provenance
from app.core.library import leases
from app.core.library.db import make_engine
from app.core.library.faults import DB_FILE, database_fault, os_fault
from app.core.library.migrate import LibraryError, migrate
from app.core.library.records import GLB_FILE, SourceType, version_glb
from app.core.library.repository import MAX_NAME, MAX_TAG, Library
from app.core.library.snapshots import (
    ASSET_FILE,
    VERSION_FILE,
    AssetSnapshot,
    LodSnapshot,
    SnapshotError,
    VersionSnapshot,
    read_json,
)
from app.core.library.store import VERSION_FOLDER, AssetStore
from app.core.paths import library_dir

SET_ASIDE_DIR = "set-aside"
_BUILDING = f"{DB_FILE}.rebuilding"


@dataclass
class FolderPlan:
    """One asset folder read back: what goes into the new database."""

    asset: AssetSnapshot
    versions: list[VersionSnapshot]
    from_glb: int = 0
    """Versions read from the GLB's provenance because they had no usable version.json."""


@dataclass
class RebuildReport:
    assets: int = 0
    versions: int = 0
    from_glb: int = 0
    set_aside: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """One line per folder or version that could not be brought back, and why."""

    def lines(self) -> list[str]:
        out = [f"rebuilt the library: {self.assets} asset(s), {self.versions} version(s)"]
        if self.from_glb:
            out.append(f"{self.from_glb} version(s) had no version.json and were read from their GLB files")
        if self.set_aside:
            out.append(f"the previous database was kept as {self.set_aside[0]}")
        out += [f"skipped: {line}" for line in self.skipped]
        return out


def rebuild_library(root: Path | None = None) -> RebuildReport:
    """Make a new database from the asset folders under `root` (default: the user's library)."""
    root = Path(root) if root is not None else library_dir()
    if not root.is_dir():
        raise LibraryError(f"There is no library folder {root} to rebuild.")
    try:
        lease = leases.acquire(root / leases.LEASES_DIR, exclusive=True)
    except leases.LibraryBusy as exc:
        raise LibraryError(
            f"The library in {root} is open in another Sweedle window or command: close it, then rebuild. "
            "Nothing was changed."
        ) from exc
    except OSError as exc:
        raise os_fault(exc, root / leases.LEASES_DIR, root) from exc
    try:
        report = RebuildReport()
        store = AssetStore(root / "assets", lease.token)
        plans = []
        for folder in store.asset_folders():
            plan = _read_folder(folder, report.skipped)
            if plan is not None:
                plans.append(plan)
        _build(root, lease, plans)
        report.set_aside = _swap_in(root)
        report.assets = len(plans)
        report.versions = sum(len(p.versions) for p in plans)
        report.from_glb = sum(p.from_glb for p in plans)
        return report
    finally:
        lease.release()


def _build(root: Path, lease: leases.Lease, plans: list[FolderPlan]) -> None:
    """Write every plan into a new database at `<db>.rebuilding`, complete and checkpointed."""
    building = root / _BUILDING
    for stale in _db_files(building):
        stale.unlink()
    engine = make_engine(building)
    library = Library(root, engine, lease=lease)
    try:
        migrate(engine, building, root / "backups")
        # Recorded ids first, so they keep their number; the others take the next free ones.
        for plan in sorted(plans, key=lambda p: (p.asset.id <= 0, p.asset.created_at)):
            library.insert_rebuilt(plan.asset, plan.versions)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.exec_driver_sql("PRAGMA journal_mode=DELETE")
    except DatabaseError as exc:
        raise database_fault(exc, root) from exc
    except OSError as exc:
        raise os_fault(exc, building, root) from exc
    finally:
        _dispose(engine)


def _swap_in(root: Path) -> list[Path]:
    """Move the old database files to `set-aside/` and the new one into place."""
    aside = root / SET_ASIDE_DIR
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    moved = []
    try:
        old = _db_files(root / DB_FILE)
        if old:
            aside.mkdir(exist_ok=True)
        for path in old:
            target = aside / path.name.replace(DB_FILE, f"library-{stamp}.sqlite3")
            os.replace(path, target)
            moved.append(target)
        os.replace(root / _BUILDING, root / DB_FILE)
    except OSError as exc:
        raise os_fault(exc, root / DB_FILE, root) from exc
    return sorted(moved, key=lambda p: len(p.name))


def _db_files(db: Path) -> list[Path]:
    return [p for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")) if p.exists()]


def _dispose(engine: Engine) -> None:
    with suppress(Exception):
        engine.dispose()


def _read_folder(folder: Path, skipped: list[str]) -> FolderPlan | None:
    uid = folder.name
    versions: list[VersionSnapshot] = []
    from_glb = 0
    numbered = []
    for child in folder.iterdir():
        match = VERSION_FOLDER.match(child.name)
        if match and version_glb(child).is_file():
            numbered.append((int(match["number"]), child))
    for number, vdir in sorted(numbered):
        try:
            snap = VersionSnapshot.from_json(read_json(vdir / VERSION_FILE))
            if snap.asset_uid != uid or snap.version != number:
                raise SnapshotError(f"{vdir / VERSION_FILE} belongs to {snap.asset_uid}/v{snap.version}")
        except (FileNotFoundError, SnapshotError) as exc:
            try:
                snap = _version_from_glb(vdir, uid, number)
            except (SweedleError, OSError, ValueError) as glb_exc:
                skipped.append(f"{vdir}: neither {VERSION_FILE} nor {GLB_FILE} can be read ({glb_exc})")
                continue
            from_glb += 1
            if not isinstance(exc, FileNotFoundError):
                skipped.append(f"{exc}; read {vdir.name} from its GLB instead")
        versions.append(snap)
    if not versions:
        skipped.append(f"{folder}: no version with a {GLB_FILE} in it")
        return None
    asset = _asset_snapshot(folder, uid, versions, skipped)
    tags = tuple(t for t in (" ".join(t.split()) for t in asset.tags) if t and len(t) <= MAX_TAG)
    name = " ".join(asset.name.split())[:MAX_NAME] or uid
    return FolderPlan(replace(asset, name=name, tags=tags), versions, from_glb)


def _asset_snapshot(
    folder: Path, uid: str, versions: list[VersionSnapshot], skipped: list[str]
) -> AssetSnapshot:
    try:
        asset = AssetSnapshot.from_json(read_json(folder / ASSET_FILE))
        if asset.uid != uid:
            raise SnapshotError(f"{folder / ASSET_FILE} describes asset {asset.uid}, not {uid}")
        return asset
    except FileNotFoundError:
        pass
    except SnapshotError as exc:
        skipped.append(f"{exc}; the asset's name and details come from its newest version")
    last = versions[-1]
    return AssetSnapshot(
        uid=uid,
        id=0,
        name=last.name,
        created_at=versions[0].created_at,
        updated_at=last.created_at,
        current_version=last.version,
        prompt=last.prompt,
    )


def _version_from_glb(vdir: Path, uid: str, number: int) -> VersionSnapshot:
    """A version folder from before version.json: its GLB carries the provenance Sweedle wrote."""
    from app.core.formats.glb_reader import read_glb

    lodset = read_glb(version_glb(vdir))
    prov = Provenance.from_dict(lodset.provenance)
    lo, hi = (list(map(float, row)) for row in lodset.lod0.bounds())
    engine = _text(prov.engine)
    created = _time(prov.created) or dt.datetime.fromtimestamp(
        version_glb(vdir).stat().st_mtime, dt.UTC
    ).replace(tzinfo=None)
    return VersionSnapshot(
        asset_uid=uid,
        version=number,
        created_at=created,
        name=_text(lodset.name) or uid,
        source_type=(SourceType.GENERATED if engine else SourceType.IMPORTED).value,
        engine=engine or "import",
        lods=tuple(
            LodSnapshot(i, lod.mesh.triangle_count, lod.mesh.vertex_count, float(lod.error_pct))
            for i, lod in enumerate(lodset.lods)
        ),
        prompt=_text(prov.prompt),
        source_name=_text(prov.source_image),
        engine_version=_text(prov.engine_version),
        model_id=_text(prov.model),
        model_version=_text(prov.model_revision),
        licence=_text(prov.licence),
        device=_text(prov.device),
        seed=prov.seed if engine and abs(prov.seed) < 2**63 else None,
        parameters=prov.parameters,
        bounds={"min": lo, "max": hi},
        height_m=hi[1] - lo[1],
    )


def _text(value: Any, limit: int = 200) -> str:
    return " ".join(value.split())[:limit] if isinstance(value, str) else ""


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(dt.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed

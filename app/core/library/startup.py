"""Open the library at start-up: create it, migrate it (after a backup), recover from a crash.

A database that is missing, empty (0 bytes or no assets) or damaged while asset folders exist is
reported (`LibraryNeedsRebuild`) instead of quietly becoming an empty library that hides those
assets; nothing is written then, and `rebuild.rebuild_library` brings them back.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError

from app.core.library.db import make_engine
from app.core.library.faults import (
    BACKUP_DIR,
    DB_FILE,
    count_asset_folders,
    database_fault,
    needs_rebuild,
    os_fault,
    read_only,
    read_only_reason,
)
from app.core.library.migrate import migrate
from app.core.library.recovery import RecoveryReport, recover
from app.core.library.repository import Library
from app.core.paths import library_dir

__all__ = ["BACKUP_DIR", "DB_FILE", "open_library"]


def open_library(root: Path | None = None) -> tuple[Library, RecoveryReport]:
    """The library at `root` (default: `paths.library_dir()`), ready to use, and what recovery found."""
    root = Path(root) if root is not None else library_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_fault(exc, root, root) from exc
    db_path = root / DB_FILE
    _refuse_lost_database(root, db_path)
    ro = read_only_reason(root)
    if ro:
        raise read_only(root, ro)
    engine = make_engine(db_path)
    library: Library | None = None
    try:
        migrate(engine, db_path, root / BACKUP_DIR)
        library = Library(root, engine)
        if library.asset_rows() == 0:
            folders = count_asset_folders(root)
            if folders:
                raise needs_rebuild(root, "empty (it has no assets)", folders)
        report = recover(library)
    except DatabaseError as exc:
        _close(library, engine)
        raise database_fault(exc, root) from exc
    except OSError as exc:
        _close(library, engine)
        raise os_fault(exc, root, root) from exc
    except BaseException:
        _close(library, engine)
        raise
    return library, report


def _refuse_lost_database(root: Path, db_path: Path) -> None:
    """A missing or 0-byte database next to asset folders: report it before SQLite would quietly
    make a new, empty one over it."""
    try:
        size = db_path.stat().st_size
    except FileNotFoundError:
        state = "missing"
    except OSError as exc:
        raise os_fault(exc, db_path, root) from exc
    else:
        if size:
            return
        state = "empty (0 bytes)"
    folders = count_asset_folders(root)
    if folders:
        raise needs_rebuild(root, state, folders)


def _close(library: Library | None, engine: Engine) -> None:
    if library is not None:
        library.close()
    else:
        engine.dispose()

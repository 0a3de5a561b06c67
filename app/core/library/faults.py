"""One clear line for each way the library's disk or database can fail.

SQLite and the OS report faults as codes (SQLITE_BUSY, SQLITE_FULL, ENOSPC, EROFS ...); these
functions turn them into a `LibraryError` that names the file and says what to do. A read-only
disk is called read-only, a full disk full, a database another program holds locked, locked;
only a file SQLite cannot read as a database is called damaged, and the advice for it names
what really exists: backups, asset folders to rebuild from, or neither.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from app.core.library.migrate import LibraryError
from app.core.library.records import GLB_FILE
from app.core.library.store import AssetStore

DB_FILE = "library.sqlite3"
BACKUP_DIR = "backups"
ASSETS_DIR = "assets"
REBUILD_HINT = "run `sweedle library rebuild` (in the window: File → Rebuild Library…)"


class LibraryNeedsRebuild(LibraryError):
    """The database is missing, empty or damaged while asset folders exist."""


def database_fault(exc: BaseException, root: Path) -> LibraryError:
    """The LibraryError for an exception raised by SQLite (directly or through SQLAlchemy)."""
    orig = getattr(exc, "orig", None) or exc
    name = str(getattr(orig, "sqlite_errorname", ""))
    detail = str(orig).strip() or name
    db = root / DB_FILE
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or detail == "database is locked":
        return locked(db)
    if name == "SQLITE_FULL" or "database or disk is full" in detail:
        return disk_full(root)
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")) or (
        "readonly database" in detail
    ):
        ro = read_only_reason(root)
        if ro:
            return read_only(root, ro)
        if name.startswith("SQLITE_CANTOPEN"):
            return LibraryError(
                f"Cannot open the library database {db} ({detail}): check that the disk is "
                "connected and the file can be read and written."
            )
        return LibraryError(
            f"The library database {db} cannot be written ({detail}): make the file and its folder writable."
        )
    if name.startswith("SQLITE_IOERR") or "disk I/O error" in detail:
        ro = read_only_reason(root)
        if ro:
            return read_only(root, ro)
        return LibraryError(
            f"The disk failed while reading or writing the library database {db} ({detail}): "
            "check the disk (is it connected, is it full?) and try again."
        )
    return damaged(root, detail)


def os_fault(exc: OSError, path: Path, root: Path) -> LibraryError:
    """The LibraryError for a file operation in the library folder that failed."""
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        return disk_full(root)
    if code == errno.EROFS:
        return read_only(root, "it is on a read-only disk")
    if code in (errno.EACCES, errno.EPERM):
        return read_only(root, f"{path} cannot be written (permission denied)")
    return LibraryError(
        f"Cannot write {path} in the library: {exc.strerror or exc}. Check the disk and try again."
    )


def locked(db: Path) -> LibraryError:
    return LibraryError(
        f"The library database {db} is locked by another program: close it (a database browser, a sync or "
        "backup tool) and try again. Nothing was changed."
    )


def disk_full(root: Path) -> LibraryError:
    return LibraryError(
        f"The disk holding the library ({root}) is full: free some space and try again. "
        "Nothing already saved was lost."
    )


def read_only(root: Path, why: str) -> LibraryError:
    return LibraryError(
        f"The library folder {root} is read-only ({why}): Sweedle needs to write there. Make it writable, "
        "or set SWEEDLE_HOME to a writable folder."
    )


def damaged(root: Path, detail: str) -> LibraryError:
    """The database is not readable as a database: say what can bring the assets back."""
    db = root / DB_FILE
    folders = count_asset_folders(root)
    backups = sorted((root / BACKUP_DIR).glob("*.sqlite3")) if (root / BACKUP_DIR).is_dir() else []
    advice = []
    if folders:
        advice.append(
            f"{REBUILD_HINT} to rebuild it from the {folders} asset folder(s) in {root / ASSETS_DIR} "
            "(the damaged file is set aside, not deleted)"
        )
    if backups:
        advice.append(f"copy the newest backup {backups[-1]} over it")
    if not advice:
        advice.append(
            "there is nothing to restore it from (no asset folder, no backup): move it away to start "
            "an empty library"
        )
    text = f"The library database {db} is damaged or not a database ({detail}): " + "; or ".join(advice) + "."
    return LibraryNeedsRebuild(text) if folders else LibraryError(text)


def needs_rebuild(root: Path, state: str, folders: int) -> LibraryNeedsRebuild:
    return LibraryNeedsRebuild(
        f"The library database {root / DB_FILE} is {state}, but {root / ASSETS_DIR} holds {folders} asset "
        f"folder(s): {REBUILD_HINT} to bring them back. Nothing was changed."
    )


def read_only_reason(root: Path) -> str:
    """Why the library folder cannot be written, or "" when it can."""
    folder = root if root.exists() else root.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "it is on a read-only disk"
    except (OSError, AttributeError):
        pass
    if not os.access(folder, os.W_OK):
        return "no permission to write in it"
    db = root / DB_FILE
    if db.exists() and not os.access(db, os.W_OK):
        return f"{db.name} is a read-only file"
    return ""


def count_asset_folders(root: Path) -> int:
    """Asset folders holding at least one complete version (what a rebuild would bring back)."""
    store = AssetStore(root / ASSETS_DIR, owner="")
    return sum(1 for folder in store.asset_folders() if _has_version(folder))


def _has_version(folder: Path) -> bool:
    try:
        return any(folder.glob(f"v*/{GLB_FILE}"))
    except OSError:
        return False

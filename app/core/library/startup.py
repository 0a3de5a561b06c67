"""Open the library at start-up: create it, migrate it (after a backup), recover from a crash."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.exc import DatabaseError

from app.core.library.db import make_engine
from app.core.library.migrate import LibraryError, migrate
from app.core.library.recovery import RecoveryReport, recover
from app.core.library.repository import Library
from app.core.paths import library_dir

DB_FILE = "library.sqlite3"
BACKUP_DIR = "backups"


def open_library(root: Path | None = None) -> tuple[Library, RecoveryReport]:
    """The library at `root` (default: `paths.library_dir()`), ready to use, and what recovery found."""
    root = Path(root) if root is not None else library_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LibraryError(f"Cannot create the library folder {root}: {exc.strerror or exc}.") from exc
    db_path = root / DB_FILE
    engine = make_engine(db_path)
    try:
        migrate(engine, db_path, root / BACKUP_DIR)
        library = Library(root, engine)
        report = recover(library)
    except DatabaseError as exc:
        engine.dispose()
        raise LibraryError(
            f"The library database {db_path} is damaged or not a database ({exc.orig}). Copy a file "
            f"from {root / BACKUP_DIR} over it, or move it away to start an empty library."
        ) from exc
    except BaseException:
        engine.dispose()
        raise
    return library, report

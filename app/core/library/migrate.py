"""Bring the library database to the schema this version of Sweedle knows, safely.

At start-up: a database made by a newer Sweedle is refused (untouched) with a message saying so;
an older one is first copied to `backups/` with SQLite's online backup, then upgraded by Alembic
inside one transaction, so a failed upgrade leaves the original in place. Alembic is imported only
when the stored revision is not the newest migration file's: opening an up-to-date library (every
start but the first after an update) costs one SQL query, not Alembic's import.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect

from app.core.base.errors import SweedleError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class LibraryError(SweedleError):
    """The library cannot be opened or changed as asked."""


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def newest_revision_file() -> str:
    """The head revision read from the migration files' names (`NNNN_what.py`, revision "NNNN",
    each revising the one before): what `head_revision` says, without importing Alembic."""
    files = (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")
    return max((path.name[:4] for path in files), default="")


def stored_revision(engine: Engine) -> str | None:
    """The revision recorded in the database, read with one query; None without Alembic's table."""
    with engine.connect() as connection:
        found = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).first()
        if found is None:
            return None
        row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    return None if row is None else str(row[0])


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, db_path: Path, backup_dir: Path) -> Path | None:
    """Upgrade the database to the head revision; return the backup made, if one was needed.

    The upgrade runs under SQLite's write lock, with the revision checked again once it is held:
    processes that open a new or older library at the same moment upgrade it exactly once.
    """
    if stored_revision(engine) == newest_revision_file():
        return None
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    current = current_revision(engine)
    if current is not None and current not in known_revisions():
        raise LibraryError(
            f"The library at {db_path} was made by a newer version of Sweedle (schema revision "
            f"{current}); this version knows up to {head_revision()}. Update Sweedle to open it. "
            "Nothing was changed."
        )
    if tables and "alembic_version" not in tables:
        raise LibraryError(
            f"{db_path} is not a Sweedle library database (it has tables {', '.join(sorted(tables))}). "
            "Move it away or set SWEEDLE_HOME to another folder. Nothing was changed."
        )
    if current == head_revision():
        return None
    config = alembic_config()
    with engine.begin() as connection:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        current = MigrationContext.configure(connection).get_current_revision()
        if current == head_revision():
            return None
        tables = set(inspect(connection).get_table_names())
        backup = backup_database(db_path, backup_dir, current or "empty") if tables else None
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return backup


def backup_database(db_path: Path, backup_dir: Path, label: str) -> Path:
    """A consistent copy of the database (WAL included) next to the others in `backup_dir`."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = backup_dir / f"library-{label}-{stamp}.sqlite3"
    source = sqlite3.connect(db_path)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    return target

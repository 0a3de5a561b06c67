"""Bring the library database to the schema this version of Sweedle knows, safely.

At start-up: a database made by a newer Sweedle is refused (untouched) with a message saying so;
an older one is first copied to `backups/` with SQLite's online backup, then upgraded by Alembic
inside one transaction, so a failed upgrade leaves the original in place.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from app.core.base.errors import SweedleError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class LibraryError(SweedleError):
    """The library cannot be opened or changed as asked."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, db_path: Path, backup_dir: Path) -> Path | None:
    """Upgrade the database to the head revision; return the backup made, if one was needed.

    The upgrade runs under SQLite's write lock, with the revision checked again once it is held:
    processes that open a new or older library at the same moment upgrade it exactly once.
    """
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

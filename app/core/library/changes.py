"""Noticing that another process changed the library, cheaply enough to ask every second.

SQLite's `PRAGMA data_version` on a connection of our own changes whenever any other connection
(another process's, or this process's pool) commits to the database; asking costs microseconds
and takes no lock. The window's library panel polls it to refresh when `sweedle generate`, a
second window or an import elsewhere adds, edits or removes assets.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


class ChangeWatcher:
    """`changed()` is True once after each commit to `db_path` by any connection but its own.

    Read-only, and it never waits: a database it cannot read (yet) just reads as unchanged."""

    def __init__(self, db_path: Path) -> None:
        self._uri = f"{Path(db_path).resolve().as_uri()}?mode=ro"
        self._connection: sqlite3.Connection | None = None
        self._seen: int | None = None

    def changed(self) -> bool:
        try:
            if self._connection is None:
                self._connection = sqlite3.connect(self._uri, uri=True, timeout=0, check_same_thread=False)
            (version,) = self._connection.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error:
            self.close()
            return False
        changed = self._seen is not None and version != self._seen
        self._seen = version
        return changed

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

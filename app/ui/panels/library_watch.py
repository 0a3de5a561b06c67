"""Keeps the library panel in step with other processes: a second window, `sweedle generate`,
an import from the command line. Once a second (on the GUI thread: the check is one SQLite
pragma, microseconds) it asks whether anyone committed to the database, and if so refreshes the
panel with its queries on the pool, keeping the selection; an inline rename in progress is never
interrupted (the refresh waits for it to end)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QAbstractItemView

from app.core.library.changes import ChangeWatcher
from app.core.library.faults import DB_FILE

if TYPE_CHECKING:
    from app.ui.panels.library import LibraryPanel

POLL_MS = 1000


class LibraryWatcher(QObject):
    def __init__(self, panel: LibraryPanel, interval_ms: int = POLL_MS) -> None:
        super().__init__(panel)
        self._panel = panel
        self._changes = ChangeWatcher(panel.library.root / DB_FILE)
        self._due = False
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(self.poll)
        self._changes.changed()  # the baseline: what the panel shows now
        self._timer.start()

    def poll(self) -> None:
        self._due = self._changes.changed() or self._due
        panel = self._panel
        if not self._due or panel.view.state() == QAbstractItemView.State.EditingState:
            return
        self._due = False
        panel.refresh_later()  # the queries run on the pool; the selection is kept

    def stop(self) -> None:
        """Before the library closes (a rebuild): no more polls, the connection closed."""
        self._timer.stop()
        self._changes.close()

"""The window's asset library, for the threads that wait for it.

The library opens in the pool at start-up while the window is already usable; the queue thread
waits for it (the queue lives in its database) and follows it when it closes for a rebuild and
opens again. If it cannot open, `problem` says why.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.core.library.repository import Library


class LibrarySink:
    def __init__(self) -> None:
        self._ready = threading.Event()
        self._library: Library | None = None
        self._problem = ""
        self.saved_asset_ids: dict[int, int] = {}
        """Job id → asset id, for the GUI to find what a job produced."""
        self.targets: dict[int, int] = {}
        """Job id → the asset whose new version the job makes (set before the job is submitted)."""

    @property
    def library(self) -> Library | None:
        return self._library

    @property
    def problem(self) -> str:
        """Why the library could not open ("" while it opens or once it is open)."""
        return self._problem

    def set_library(self, library: Library | None, problem: str = "") -> None:
        self._library, self._problem = library, problem
        self._ready.set()

    def suspend(self) -> None:
        """The library closes for a while (a rebuild): waiters wait for `set_library` again."""
        self._ready.clear()
        self._library = None

    def wait_for_library(self, timeout: float) -> Library | None:
        """The open library, waiting up to `timeout` seconds; None while it opens or is rebuilt,
        and when it could not open."""
        return self._library if self._ready.wait(timeout) else None

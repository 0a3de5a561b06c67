"""Cooperative cancel, shared by every layer that runs long work."""

from __future__ import annotations

import threading

from app.core.base.errors import Cancelled


class CancelToken:
    """Set from any thread, checked between stages and inside long loops."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

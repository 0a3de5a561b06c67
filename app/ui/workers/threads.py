"""Every QThread Sweedle starts is registered here, so shutdown and tests can prove none is left."""

from __future__ import annotations

import weakref

from PySide6.QtCore import QThread

_threads: weakref.WeakSet[QThread] = weakref.WeakSet()


def track(thread: QThread) -> QThread:
    _threads.add(thread)
    return thread


def running_threads() -> list[QThread]:
    return [t for t in list(_threads) if t.isRunning()]

"""Short jobs (thumbnails, imports, exports, file I/O) on the Qt thread pool.

The result, the exception and any progress reports come back through a relay object that lives
in the GUI thread, so the callbacks always run there (a callable connected straight to a pool
thread's signal would run in the pool thread, where no widget may be touched).

A task can have an owner, the widget its answer is for (Orange3's concurrent helpers work the same
way). The relay holds the owner weakly and delivers nothing once it is gone (deleted by Qt or
collected by Python), so a dialog closed or a panel replaced while its task runs gets nothing
late, and no caller has to check by hand whether its widget still exists. (The relay does not
listen to the owner's `destroyed` signal: a Python slot called from the owner's C++ destructor
crashed the models dialog's tests.)
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from app.ui.workers.priority import lower_this_thread

log = logging.getLogger(__name__)

ResultCallback = Callable[[Any], None]
ErrorCallback = Callable[[BaseException], None]
ProgressCallback = Callable[..., None]


class _Relay(QObject):
    sig_result = Signal(object)
    sig_error = Signal(object)
    sig_progress = Signal(object)

    def __init__(
        self,
        on_result: ResultCallback | None,
        on_error: ErrorCallback | None,
        progress: ProgressCallback | None,
        owner: QObject | None,
    ) -> None:
        super().__init__()
        self._on_result = on_result
        self._on_error = on_error
        self._progress = progress
        self._owner = weakref.ref(owner) if owner is not None else None
        self.sig_result.connect(self._deliver_result)
        self.sig_error.connect(self._deliver_error)
        self.sig_progress.connect(self._deliver_progress)

    def report(self, *args: Any) -> None:
        """The progress reporter handed to the task: callable from any thread."""
        self.sig_progress.emit(args)

    def _wanted(self) -> bool:
        """False once the owner is gone: destroyed, deleted by its parent, or collected."""
        if self._owner is None:
            return True
        owner = self._owner()
        return owner is not None and shiboken6.isValid(owner)

    @Slot(object)
    def _deliver_progress(self, args: tuple[Any, ...]) -> None:
        if self._progress is not None and self._wanted():
            self._progress(*args)

    @Slot(object)
    def _deliver_result(self, value: object) -> None:
        _pending.discard(self)
        if self._on_result is not None and self._wanted():
            self._on_result(value)

    @Slot(object)
    def _deliver_error(self, exc: object) -> None:
        _pending.discard(self)
        if not self._wanted():
            log.debug("dropped the error of a task whose owner is gone: %s", exc)
        elif self._on_error is not None:
            self._on_error(exc)  # type: ignore[arg-type]
        else:
            log.error("background task failed", exc_info=exc)  # type: ignore[arg-type]


# Relays waiting for their task: held here so Python does not collect them before delivery.
_pending: set[_Relay] = set()


class _Task(QRunnable):
    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], relay: _Relay):
        super().__init__()
        self._call = (fn, args, kwargs)
        self._relay = relay

    def run(self) -> None:
        lower_this_thread()
        fn, args, kwargs = self._call
        try:
            value = fn(*args, **kwargs)
        except BaseException as exc:  # delivered to the GUI thread, never lost in the pool
            self._relay.sig_error.emit(exc)
        else:
            self._relay.sig_result.emit(value)


def run_task(
    fn: Callable[..., Any],
    *args: Any,
    on_result: ResultCallback | None = None,
    on_error: ErrorCallback | None = None,
    progress: ProgressCallback | None = None,
    owner: QObject | None = None,
    pool: QThreadPool | None = None,
    **kwargs: Any,
) -> None:
    """Run `fn(*args, **kwargs)` on the pool; `on_result(value)` or `on_error(exc)` run in the GUI thread.

    With `progress`, `fn` also gets `on_progress=`, a reporter it may call from its thread with any
    arguments; `progress(*those arguments)` then runs in the GUI thread. With an `owner`, nothing
    is delivered once the owner is gone. Must be called from the GUI thread (the relay lives here).
    """
    relay = _Relay(on_result, on_error, progress, owner)
    _pending.add(relay)
    if progress is not None:
        kwargs["on_progress"] = relay.report
    (pool or QThreadPool.globalInstance()).start(_Task(fn, args, kwargs, relay))


def wait_for_tasks(timeout_ms: int = 30_000) -> bool:
    """Block until the global pool is idle (used at shutdown and by tests)."""
    return QThreadPool.globalInstance().waitForDone(timeout_ms)

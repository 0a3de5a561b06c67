"""Short jobs (thumbnails, imports, exports, file I/O) on the Qt thread pool.

The result or exception comes back through a relay object that lives in the GUI thread, so the
callbacks always run there (a callable connected straight to a pool thread's signal would run in
the pool thread: see the threading traps in shared/docs/ENVIRONMENT.md). A task whose owner has
gone away is dropped quietly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

ResultCallback = Callable[[Any], None]
ErrorCallback = Callable[[BaseException], None]


class _Relay(QObject):
    sig_result = Signal(object)
    sig_error = Signal(object)

    def __init__(self, on_result: ResultCallback | None, on_error: ErrorCallback | None) -> None:
        super().__init__()
        self._on_result = on_result
        self._on_error = on_error
        self.sig_result.connect(self._deliver_result)
        self.sig_error.connect(self._deliver_error)

    @Slot(object)
    def _deliver_result(self, value: object) -> None:
        _pending.discard(self)
        if self._on_result is not None:
            self._on_result(value)

    @Slot(object)
    def _deliver_error(self, exc: object) -> None:
        _pending.discard(self)
        if self._on_error is not None:
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
    pool: QThreadPool | None = None,
    **kwargs: Any,
) -> None:
    """Run `fn(*args, **kwargs)` on the pool; `on_result(value)` or `on_error(exc)` run in the GUI thread.

    Must be called from the GUI thread (the relay is created here, so it lives here).
    """
    relay = _Relay(on_result, on_error)
    _pending.add(relay)
    (pool or QThreadPool.globalInstance()).start(_Task(fn, args, kwargs, relay))


def wait_for_tasks(timeout_ms: int = 30_000) -> bool:
    """Block until the global pool is idle (used at shutdown and by tests)."""
    return QThreadPool.globalInstance().waitForDone(timeout_ms)

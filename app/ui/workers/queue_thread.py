"""The window's queue thread: runs the Qt-free `QueueRunner` loop over the persistent queue.

Everything that touches the database or an executor happens here, never on the GUI thread:
commands from the window arrive as callables (`post`), results leave as signals that the relay
(`queue_relay.QueueRelay`, in the GUI thread) receives queued. The loop follows the library the
window opened: while it is closed for a rebuild, the runner stops; when a new one opens, it
starts again on it, with the same executor (so a loaded model stays loaded).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot

from app.core.base.errors import SweedleError
from app.core.base.progress import Progress
from app.core.generation.request import GenerationResult
from app.core.queue.records import QueuedJob
from app.core.queue.runner import RunnerListener
from app.ui.workers.priority import lower_this_thread

if TYPE_CHECKING:
    from app.core.queue.executor import Executor
    from app.core.queue.runner import QueueRunner
    from app.ui.workers.library_sink import LibrarySink

log = logging.getLogger(__name__)

Command = Callable[["QueueRunner"], None]
VIEW_INTERVAL_S = 0.25
"""A changed queue is sent to the window at most this often."""
REFRESH_S = 2.0
"""The queue is read again this often anyway: another process (`sweedle queue ...`) may change it."""
WORKERS_INTERVAL_S = 1.0
PROBLEM_REPEAT_S = 60.0
"""A fault that stays (a damaged database fails every turn) is logged again only this often."""


class QueueThreadWorker(QObject, RunnerListener):
    """Lives in the queue thread; `run` is its whole life."""

    sig_added = Signal(object)  # list[tuple[int, int]]: (window job id, queue job id)
    sig_started = Signal(object)  # QueuedJob
    sig_progress = Signal(int, object)  # queue job id, Progress
    sig_ended = Signal(object, object)  # QueuedJob, GenerationResult | None
    sig_view = Signal(object, int)  # QueueView, the last command number it reflects
    sig_workers = Signal(object, str)  # list[WorkerInfo], the executor in words
    sig_problem = Signal(str)

    def __init__(self, sink: LibrarySink) -> None:
        QObject.__init__(self)
        self._sink = sink
        self._commands: queue.Queue[tuple[int, Command]] = queue.Queue()
        self._stop = threading.Event()
        self._done = 0
        self._dirty = True
        self._executor: Executor | None = None
        self._executor_line = "this machine"
        self._sent: tuple[object, int] | None = None
        self._logged: tuple[str, float] = ("", 0.0)
        """The problem last logged and when (monotonic)."""
        self.queue_ids: dict[int, int] = {}
        """Window job id → queue job id, as this thread knows it (only this thread uses it)."""

    def post(self, number: int, command: Command) -> None:
        """Run `command(runner)` in this thread at its next turn (any thread may call this)."""
        self._commands.put((number, command))

    def stop(self) -> None:
        self._stop.set()

    def set_executor(self, executor: Executor, line: str) -> None:
        """Called in this thread (from a command): jobs run there from now on."""
        self._executor, self._executor_line = executor, line

    # -- RunnerListener, called in this thread --------------------------------------------------

    def job_started(self, job: QueuedJob) -> None:
        self._dirty = True
        self.sig_started.emit(job)

    def job_progress(self, job_id: int, progress: Progress) -> None:
        self.sig_progress.emit(job_id, progress)

    def job_ended(self, job: QueuedJob, result: GenerationResult | None) -> None:
        self._dirty = True
        self.sig_ended.emit(job, result)

    def queue_changed(self) -> None:
        self._dirty = True

    # -- the loop -------------------------------------------------------------------------------

    @Slot()
    def run(self) -> None:
        from app.core.queue.local import LocalExecutor

        lower_this_thread()  # and the generation thread it starts
        try:
            while not self._stop.is_set():
                library = self._sink.wait_for_library(0.2)
                if library is not None:
                    self._executor = self._executor or LocalExecutor()
                    self._run_on(library)
        finally:
            if self._executor is not None:
                self._executor.close()

    def _run_on(self, library: object) -> None:
        from app.core.paths import cache_dir
        from app.core.queue import farm
        from app.core.queue.runner import QueueRunner
        from app.core.queue.store import JobQueue

        assert self._executor is not None
        runner = QueueRunner(
            JobQueue(library),  # type: ignore[arg-type]
            self._executor,
            cache_dir() / "queue",
            self,
            farm.load_settings().max_attempts,
        )
        self._guarded(runner.begin)
        last_view = last_workers = last_refresh = 0.0
        while not self._stop.is_set() and self._sink.library is library:
            self._drain(runner)
            self._guarded(runner.step)
            now = time.monotonic()
            if now - last_refresh >= REFRESH_S:
                self._dirty, last_refresh = True, now
            if self._dirty and now - last_view >= VIEW_INTERVAL_S:
                self._dirty, last_view = False, now
                self._guarded(lambda: self._send_view(runner))
            if now - last_workers >= WORKERS_INTERVAL_S:
                last_workers = now
                self.sig_workers.emit(runner.executor.workers(), self._executor_line)
        self._guarded(runner.end)
        self._executor = runner.executor

    def _send_view(self, runner: QueueRunner) -> None:
        """The stored queue, when it differs from the one last sent (or a command was done since)."""
        view = runner.jobs.view()
        if (view, self._done) != self._sent:
            self._sent = (view, self._done)
            self.sig_view.emit(view, self._done)

    def _drain(self, runner: QueueRunner) -> None:
        while True:
            try:
                number, command = self._commands.get_nowait()
            except queue.Empty:
                return
            self._guarded(lambda c=command: c(runner))  # type: ignore[misc]
            if self._executor is not None and self._executor is not runner.executor:
                self._guarded(lambda: runner.set_executor(self._executor))  # type: ignore[arg-type]
            self._done = number
            self._dirty = True

    def _guarded(self, call: Callable[[], object]) -> None:
        """A database or farm fault becomes a message in the window; the thread goes on."""
        try:
            call()
        except SweedleError as exc:
            self._problem(str(exc))
        except OSError as exc:
            self._problem(f"the queue could not use a file: {exc}")

    def _problem(self, text: str) -> None:
        """Shown in the window every time; logged once, and again only after PROBLEM_REPEAT_S."""
        now = time.monotonic()
        if self._logged[0] != text or now - self._logged[1] >= PROBLEM_REPEAT_S:
            self._logged = (text, now)
            log.warning("queue: %s", text)
        self.sig_problem.emit(text)

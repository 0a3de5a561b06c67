"""The window's job queue, in the GUI thread: the persistent queue (in the library's database)
seen as `Job` objects and signals, so widgets and tests connect to one GUI-thread object.

Generate puts its jobs in the persistent queue (the pictures of one click form one batch); the
queue thread (`queue_thread`) runs them on this machine or on a Ray farm and reports back here.
Jobs added by `sweedle queue add`, or left from an earlier session, show up and run too. A job
keeps its window id for the whole session; the relay maps it to the queue's own id once the
queue thread has stored it. Changes the user makes show at once; the queue thread confirms them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from app.core.base.errors import InputError
from app.core.base.progress import Progress
from app.core.generation.request import GenerationResult, JobStatus
from app.core.queue.records import Priority, QueuedJob, QueueView, WorkerInfo
from app.core.queue.spec import request_from_json
from app.ui.workers.jobs import Job
from app.ui.workers.queue_thread import Command, QueueThreadWorker
from app.ui.workers.threads import track

if TYPE_CHECKING:
    from app.core.generation.request import GenerationRequest
    from app.core.queue.runner import QueueRunner
    from app.ui.workers.library_sink import LibrarySink

log = logging.getLogger(__name__)


class QueueRelay(QObject):
    """GUI-thread owner of the queue thread; what the panels and the window talk to."""

    sig_job_added = Signal(object)  # Job
    sig_job_changed = Signal(object)  # Job (status, progress or message changed)
    sig_job_removed = Signal(int)
    sig_progress = Signal(object, object)  # Job, Progress
    sig_finished = Signal(object)  # Job that ended DONE
    sig_failed = Signal(object)  # Job that ended FAILED
    sig_cancelled = Signal(object)  # Job that ended CANCELLED
    sig_idle = Signal()  # nothing waits or runs any more
    sig_view = Signal(object)  # QueueView: batches and jobs as stored
    sig_workers = Signal(object, str)  # list[WorkerInfo], where jobs run, in words
    sig_problem = Signal(str)

    _sig_run = Signal()

    def __init__(self, sink: LibrarySink, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sink = sink
        self.jobs: dict[int, Job] = {}
        self.view: QueueView | None = None
        self.workers: list[WorkerInfo] = []
        self.executor_line = "this machine"
        self._queue_id: dict[int, int] = {}
        self._window_id: dict[int, int] = {}
        self._pending: list[Job] = []
        self._unstored: set[int] = set()
        self._touched: dict[int, int] = {}
        self._command = 0
        self._started: list[int] = []
        self._was_busy = False
        self._thread = track(QThread())
        self._thread.setObjectName("sweedle-queue")
        self._worker = QueueThreadWorker(sink)
        self._worker.moveToThread(self._thread)
        self._sig_run.connect(self._worker.run)
        self._worker.sig_added.connect(self._on_added)
        self._worker.sig_started.connect(self._on_started)
        self._worker.sig_progress.connect(self._on_progress)
        self._worker.sig_ended.connect(self._on_ended)
        self._worker.sig_view.connect(self._on_view)
        self._worker.sig_workers.connect(self._on_workers)
        self._worker.sig_problem.connect(self.sig_problem)
        self._thread.start()
        self._sig_run.emit()
        self._use_saved_executor()

    # -- the window's job API (Generate, the Generate bar, the window's tests) --------------------

    @property
    def current(self) -> Job | None:
        """The job started last among those running (a farm runs several at once)."""
        running = [i for i in self._started if self.jobs.get(i) and self.jobs[i].status is JobStatus.RUNNING]
        return self.jobs[running[-1]] if running else None

    @property
    def busy(self) -> bool:
        return any(job.status is JobStatus.RUNNING for job in self.jobs.values())

    def submit(self, job: Job) -> Job:
        """Queue one job; the jobs submitted in one turn of the event loop form one batch."""
        self.jobs[job.id] = job
        self._unstored.add(job.id)
        self.sig_job_added.emit(job)
        if not self._pending:
            QTimer.singleShot(0, self._store_pending)
        self._pending.append(job)
        return job

    def cancel(self, job_id: int) -> None:
        """A waiting job ends at once; a running one stops at its next step."""
        job = self.jobs.get(job_id)
        if job is None or job.status.finished:
            return
        job.cancel.cancel()
        if job.status is JobStatus.QUEUED:
            self._end(job, JobStatus.CANCELLED, "cancelled before it started")
        else:
            job.message = "cancelling…"
            self.sig_job_changed.emit(job)
        self._on_queue([job_id], lambda runner, ids: _cancel(runner, ids))

    def cancel_all(self) -> None:
        for job_id in list(self.jobs):
            self.cancel(job_id)

    def remove(self, job_id: int) -> None:
        """Forget a waiting or finished job (a running one must be cancelled first)."""
        job = self.jobs.get(job_id)
        if job is None or job.status is JobStatus.RUNNING:
            return
        if job.status is JobStatus.QUEUED:
            job.cancel.cancel()
            job.status = JobStatus.CANCELLED
        self._on_queue([job_id], lambda runner, ids: runner.jobs.remove(ids))
        del self.jobs[job_id]
        self.sig_job_removed.emit(job_id)
        self._check_idle()

    def unload_engine(self, engine_name: str) -> None:
        """Free a loaded model on every worker, after the job running there."""
        self._post(lambda runner: runner.executor.unload(engine_name))

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop the queue thread: running jobs are cancelled and go back to the queue, to run
        again at the next start. True when it stopped in time."""
        for job in self.jobs.values():
            if job.status is JobStatus.RUNNING:
                job.cancel.cancel()
        self._worker.stop()
        self._thread.quit()
        stopped = self._thread.wait(timeout_ms)
        if not stopped:
            log.error("the queue thread did not stop within %d ms", timeout_ms)
        return stopped

    # -- the queue's own controls -------------------------------------------------------------------

    def add_batch(
        self, requests: Sequence[GenerationRequest], name: str, source: Path | str, priority: Priority
    ) -> None:
        """A folder (or a set) of pictures as one batch at `priority`; it shows once stored."""
        self._post(lambda runner: runner.jobs.add_batch(requests, name, source, priority))

    def set_priority(self, job_ids: Sequence[int], priority: Priority) -> None:
        self._on_queue(job_ids, lambda runner, ids: runner.jobs.set_priority(ids, priority))

    def move(self, job_id: int, steps: int) -> None:
        self._on_queue([job_id], lambda runner, ids: runner.jobs.move(ids[0], steps))

    def retry(self, job_ids: Sequence[int]) -> None:
        self._on_queue(job_ids, lambda runner, ids: runner.jobs.retry(ids))

    def batch_command(self, batch_id: int, action: str) -> None:
        """ "cancel" or "retry" every job of a batch, or "high" / "normal" / "low" its priority."""
        commands: dict[str, Callable[[QueueRunner], object]] = {
            "cancel": lambda runner: _cancel(runner, runner.jobs.job_ids_of(batch_id)),
            "retry": lambda runner: runner.jobs.retry_batch(batch_id),
        }
        if action in commands:
            self._post(commands[action])
        else:
            priority = Priority.parse(action)
            self._post(lambda runner: runner.jobs.set_batch_priority(batch_id, priority))

    def set_paused(self, paused: bool) -> None:
        self._post(lambda runner: runner.jobs.set_paused(paused))

    def clear_finished(self) -> None:
        for job_id in [i for i, job in self.jobs.items() if job.status.finished]:
            del self.jobs[job_id]
            self.sig_job_removed.emit(job_id)
        self._post(lambda runner: runner.jobs.clear_finished())

    def use_executor(self, kind: str, address: str = "") -> None:
        """Run jobs on "local" (this machine) or "ray" (the farm at `address`) from now on; the
        choice is remembered. Connecting happens in the queue thread (Ray takes seconds)."""
        worker = self._worker
        self._post(lambda runner: _switch_executor(worker, kind, address))

    def _use_saved_executor(self) -> None:
        """Run on the farm chosen last time (connecting in the queue thread; this machine if the
        farm is not there)."""
        from app.core.queue import farm

        settings = farm.load_settings()
        if settings.executor == "ray" and settings.address:
            self.use_executor("ray", settings.address)

    # -- plumbing ---------------------------------------------------------------------------------

    def _post(self, command: Command) -> int:
        self._command += 1
        self._worker.post(self._command, command)
        return self._command

    def _on_queue(self, job_ids: Sequence[int], command: Callable[[QueueRunner, list[int]], object]) -> None:
        """Post `command` with the queue ids of these window jobs; jobs not stored yet get it
        once they are (the store call runs first in the queue thread, so the order holds)."""

        known = self._worker.queue_ids

        def run(runner: QueueRunner) -> None:
            ids = [known[i] for i in job_ids if i in known]
            if ids:
                command(runner, ids)

        number = self._post(run)
        for job_id in job_ids:
            self._touched[job_id] = number

    def _store_pending(self) -> None:
        pending, self._pending = [job for job in self._pending if job.id in self.jobs], []
        self._unstored &= {job.id for job in pending}
        if self.sink.problem:
            for job in pending:
                self._unstored.discard(job.id)
                self._end(
                    job,
                    JobStatus.FAILED,
                    f"not run: the queue lives in the asset library, which could not open "
                    f"({self.sink.problem})",
                )
            return
        groups: dict[tuple[bool, int | None], list[Job]] = {}
        for job in pending:
            groups.setdefault((job.force, self.sink.targets.get(job.id)), []).append(job)
        for (force, target), group in groups.items():
            self._post(_store_command(self._worker, group, force, target))

    @Slot(object)
    def _on_added(self, pairs: list[tuple[int, int]]) -> None:
        for window_id, queue_id in pairs:
            self._queue_id[window_id] = queue_id
            self._window_id[queue_id] = window_id
            self._unstored.discard(window_id)

    @Slot(object)
    def _on_started(self, queued: QueuedJob) -> None:
        job = self._job_for(queued)
        if job is None:
            return
        job.status = JobStatus.RUNNING
        job.started, job.ended = time.monotonic(), None
        job.progress, job.message, job.result = None, "", None
        self._started = [i for i in self._started if i != job.id] + [job.id]
        self._was_busy = True
        self.sig_job_changed.emit(job)

    @Slot(int, object)
    def _on_progress(self, queue_id: int, progress: Progress) -> None:
        job = self.jobs.get(self._window_id.get(queue_id, -1))
        if job is None or job.status is not JobStatus.RUNNING:
            return
        job.progress = progress
        if not job.cancel.cancelled:
            job.message = progress.message
        self.sig_progress.emit(job, progress)
        self.sig_job_changed.emit(job)

    @Slot(object, object)
    def _on_ended(self, queued: QueuedJob, result: GenerationResult | None) -> None:
        job = self._job_for(queued)
        if job is None:
            return
        if result is not None:
            job.result = result
        if queued.asset_id is not None:
            self.sink.saved_asset_ids[job.id] = queued.asset_id
        status = queued.status
        if status is JobStatus.QUEUED:  # its worker was lost: it waits to run elsewhere
            job.status, job.message = status, queued.message
            self.sig_job_changed.emit(job)
            return
        self._end(job, status, "" if status is JobStatus.DONE else queued.message)

    @Slot(object, int)
    def _on_view(self, view: QueueView, done: int) -> None:
        """The stored queue: new jobs (from another process or an earlier session) appear,
        changes made elsewhere show, removed ones go. Jobs changed here since are left as shown."""
        self.view = view
        seen = set()
        for queued in view.jobs:
            job = self._job_for(queued)
            if job is None:
                continue
            seen.add(job.id)
            if self._touched.get(job.id, 0) > done or job.status is JobStatus.RUNNING:
                continue
            status = queued.status
            if status is not job.status and status is not JobStatus.RUNNING:
                job.status, job.message = status, queued.message
                self.sig_job_changed.emit(job)
        for window_id in [i for i in self._window_id.values() if i not in seen and i in self.jobs]:
            running = self.jobs[window_id].status is JobStatus.RUNNING
            if self._touched.get(window_id, 0) <= done and not running:
                del self.jobs[window_id]
                self.sig_job_removed.emit(window_id)
        self.sig_view.emit(view)
        self._check_idle()

    @Slot(object, str)
    def _on_workers(self, workers: list[WorkerInfo], line: str) -> None:
        self.workers, self.executor_line = workers, line
        self.sig_workers.emit(workers, line)

    def _job_for(self, queued: QueuedJob) -> Job | None:
        """The window's job for a stored one, made the first time it is seen."""
        window_id = self._window_id.get(queued.id)
        if window_id is not None:
            return self.jobs.get(window_id)
        try:
            request = request_from_json(queued.request)
        except InputError:
            return None  # the panel still lists it, with its stored message
        job = Job(request, Path(), status=queued.status, message=queued.message, force=queued.force)
        self.jobs[job.id] = job
        self._queue_id[job.id], self._window_id[queued.id] = queued.id, job.id
        known = self._worker.queue_ids
        self._post(lambda runner: known.update({job.id: queued.id}))
        self.sig_job_added.emit(job)
        return job

    def queue_id(self, job_id: int) -> int | None:
        return self._queue_id.get(job_id)

    def window_id(self, queue_id: int) -> int | None:
        return self._window_id.get(queue_id)

    def _end(self, job: Job, status: JobStatus, message: str) -> None:
        job.status, job.message, job.ended = status, message, time.monotonic()
        self.sig_job_changed.emit(job)
        {JobStatus.DONE: self.sig_finished, JobStatus.FAILED: self.sig_failed}.get(
            status, self.sig_cancelled
        ).emit(job)
        self._check_idle()

    def _check_idle(self) -> None:
        active = self._unstored or any(
            job.status in (JobStatus.QUEUED, JobStatus.RUNNING) for job in self.jobs.values()
        )
        if active:
            self._was_busy = True
        elif self._was_busy:
            self._was_busy = False
            self.sig_idle.emit()


def _store_command(worker: QueueThreadWorker, jobs: list[Job], force: bool, target: int | None) -> Command:
    """Store the jobs of one Generate click as one batch and tell the relay their queue ids."""
    requests = [job.request for job in jobs]
    name = jobs[0].label if len(jobs) == 1 else f"{jobs[0].label} and {len(jobs) - 1} more"

    def store(runner: QueueRunner) -> None:
        batch = runner.jobs.add_batch(requests, name, "", Priority.NORMAL, force, target)
        ids = runner.jobs.job_ids_of(batch.id)
        pairs = list(zip((job.id for job in jobs), ids, strict=True))
        worker.queue_ids.update(pairs)
        cancelled = [queue_id for job, queue_id in zip(jobs, ids, strict=True) if job.cancel.cancelled]
        if cancelled:
            runner.jobs.cancel(cancelled)
        worker.sig_added.emit(pairs)

    return store


def _cancel(runner: QueueRunner, ids: Sequence[int]) -> None:
    runner.jobs.cancel(ids)
    for queue_id in ids:
        if queue_id in runner.running:
            runner.executor.cancel(queue_id)


def _switch_executor(worker: QueueThreadWorker, kind: str, address: str) -> None:
    """In the queue thread: connect (or go back to this machine) and remember the choice."""
    from app.core.queue import farm
    from app.core.queue.local import LocalExecutor

    settings = farm.load_settings()
    settings.executor, settings.address = kind, address or settings.address
    farm.save_settings(settings)
    if kind == "local":
        worker.set_executor(LocalExecutor(), "this machine")
        return
    from app.core.queue.ray_executor import RayExecutor

    try:
        executor = RayExecutor(settings.address, farm.find_token())
    except farm.FarmError as exc:
        worker.sig_problem.emit(str(exc))
        worker.set_executor(LocalExecutor(), f"this machine (the farm is unavailable: {exc})")
        return
    worker.set_executor(executor, f"the Ray farm at {settings.address}")

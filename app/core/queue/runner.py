"""The queue runner: takes jobs from the persistent queue in priority order, starts them on the
executor's free workers, and records every outcome; the one loop the CLI (`sweedle queue run`)
and the window's queue thread both run.

Each finished job is saved into the library here, on this machine, exactly as a local job is,
whichever worker made it. A job whose worker dies is tried again elsewhere (at most
`max_attempts` tries in all); one left running by an app that was killed is taken back when the
next runner starts. A job that would only make a version the library already holds (same picture,
engine, settings and seed; see `library.saving.find_identical`) reuses that version: so a job whose
result was saved just before the app died is not made twice.
"""

from __future__ import annotations

import logging
import queue as queue_module
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.base.errors import InputError, SweedleError
from app.core.base.progress import Progress
from app.core.export.naming import safe_name
from app.core.generation.request import GenerationRequest, GenerationResult, JobStatus
from app.core.library.leases import is_token
from app.core.queue.executor import Executor, JobDone, JobProgress, WorkerLost
from app.core.queue.placement import vram_need
from app.core.queue.records import Outcome, QueuedJob
from app.core.queue.spec import request_from_json

if TYPE_CHECKING:
    from app.core.queue.store import JobQueue  # SQLAlchemy: the window's start-up imports this module

log = logging.getLogger(__name__)

POLL_S = 0.1
"""How long the loop waits for executor events before looking at the queue again."""
CANCEL_CHECK_S = 0.25
"""How often running jobs' cancel requests from other processes are read from the database."""
MAX_ATTEMPTS = 3
"""Tries a job gets when its worker (or the app running it) dies under it."""


class RunnerListener:
    """What the runner reports; the CLI prints it, the window relays it as signals. Every method
    is called in the runner's thread."""

    def job_started(self, job: QueuedJob) -> None: ...

    def job_progress(self, job_id: int, progress: Progress) -> None: ...

    def job_ended(self, job: QueuedJob, result: GenerationResult | None) -> None:
        """`job` as recorded now (done / failed / cancelled, or queued again after a lost worker);
        `result` when the job produced one (its LodSet is there for a front end to show)."""

    def queue_changed(self) -> None:
        """Jobs were added, moved, cancelled or taken back: a view of the queue is stale."""


@dataclass
class RunSummary:
    done: int = 0
    failed: int = 0
    cancelled: int = 0
    retried: int = 0
    recovered: list[int] = field(default_factory=list)


@dataclass
class _Running:
    job: QueuedJob
    request: GenerationRequest
    output: Path
    started: float


class QueueRunner:
    def __init__(
        self,
        jobs: JobQueue,
        executor: Executor,
        work_dir: Path,
        listener: RunnerListener | None = None,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.jobs = jobs
        self.executor = executor
        self.listener = listener or RunnerListener()
        self.max_attempts = max_attempts
        self.work_dir = work_dir / jobs.owner
        """Where jobs write their files until the library takes them (per process: see `_sweep`)."""
        self.running: dict[int, _Running] = {}
        self.summary = RunSummary()
        self._calls: queue_module.Queue[Callable[[], None]] = queue_module.Queue()
        self._last_cancel_check = 0.0

    # -- called from any thread ---------------------------------------------------------------

    def call_soon(self, fn: Callable[[], None]) -> None:
        """Run `fn` in the runner's thread at its next turn (the GUI's way in: no database work
        ever happens on the GUI thread)."""
        self._calls.put(fn)

    # -- the loop -------------------------------------------------------------------------------

    def run(self, stop: threading.Event, until_idle: bool = False) -> RunSummary:
        """Run jobs until `stop` is set (or, with `until_idle`, until nothing is waiting or
        running). Running jobs are cancelled and put back in the queue when it stops."""
        self.begin()
        try:
            while not stop.is_set():
                self.step()
                if until_idle and not self.running and not self._waiting():
                    break
        finally:
            self.end()
        return self.summary

    def begin(self) -> None:
        """Before the first step: remove dead runners' work folders, take back their jobs."""
        self._sweep()
        self.summary.recovered = self.jobs.recover(self.jobs.library.owner_alive, self.max_attempts)
        if self.summary.recovered:
            self.listener.queue_changed()

    def step(self) -> None:
        """One turn: pending calls, new jobs onto free workers, events (waiting up to POLL_S)."""
        self._drain_calls()
        self._dispatch()
        for event in self.executor.poll(POLL_S):
            self._handle(event)
        self._check_cancels()

    def end(self) -> None:
        """Stopping: cancel what runs and give it back to the queue, untried, for the next run."""
        for job_id in list(self.running):
            self.executor.cancel(job_id)
            self.jobs.release(job_id, "the runner stopped before it finished")
            self._clean(self.running.pop(job_id).output)

    def set_executor(self, executor: Executor) -> None:
        """Run on another executor from now on; jobs running on the old one go back to the queue."""
        self.end()
        self.executor.close()
        self.executor = executor
        self.listener.queue_changed()

    def _drain_calls(self) -> None:
        while True:
            try:
                fn = self._calls.get_nowait()
            except queue_module.Empty:
                return
            try:
                fn()
            except SweedleError as exc:
                log.warning("queue: %s", exc)
            self.listener.queue_changed()

    def _waiting(self) -> bool:
        if self.jobs.is_paused():
            return False
        return self.jobs.counts().get(JobStatus.QUEUED, 0) > 0

    def _dispatch(self) -> None:
        for worker in self.executor.free_workers():
            while True:
                job = self.jobs.claim(worker.name, worker.vram_total_gb, vram_need)
                if job is None:
                    self._fail_unplaceable()
                    return
                if self._start(job, worker.name):
                    break

    def _start(self, job: QueuedJob, worker: str) -> bool:
        """Start a claimed job; False when it ended at once (bad request, reused version)."""
        self.listener.job_started(job)
        try:
            request = request_from_json(job.request)
        except InputError as exc:
            self._end(job, Outcome.FAILED, str(exc), None, None)
            return False
        if job.target_asset_id is None and (not job.force or job.attempts > 1):
            reused = self._reuse(job, request)
            if reused is not None:
                return False
        output = self.work_dir / f"job-{job.id}" / f"{safe_name(request.asset_name)}.glb"
        self.running[job.id] = _Running(job, request, output, time.monotonic())
        try:
            self.executor.start(job.id, request, output, worker)
        except SweedleError as exc:
            del self.running[job.id]
            self.jobs.requeue(job.id, Outcome.LOST, f"{worker} could not take it: {exc}", self.max_attempts)
            self.listener.job_ended(self.jobs.job(job.id), None)
            return True
        return True

    def _reuse(self, job: QueuedJob, request: GenerationRequest) -> GenerationResult | None:
        """The library's identical version stands for the job (see the module's docstring)."""
        from app.core.library.saving import find_identical, reused_result

        try:
            found = find_identical(self.jobs.library, request)
        except (SweedleError, OSError):
            log.exception("looking for an identical version of job %s failed; generating it", job.id)
            return None
        if found is None:
            return None
        from app.core.formats.glb_reader import read_glb

        try:  # for a front end to show, as if it had just been made
            lodset = replace(read_glb(found.glb_path), name=found.asset_name)
        except (SweedleError, OSError):
            lodset = None
        result = reused_result(request, found, found.glb_path, lodset)
        self._end(job, Outcome.DONE, found.describe(), found.asset_id, result)
        return result

    def _fail_unplaceable(self) -> None:
        """Waiting jobs that need more VRAM than any worker has would wait for ever: fail them
        with the numbers, so the user can pick a smaller variant or low-VRAM mode."""
        sizes = [w.vram_total_gb for w in self.executor.workers() if w.alive]
        if not sizes or any(size is None for size in sizes):
            return
        largest = max(size for size in sizes if size is not None)
        for job in self.jobs.view(finished=False).jobs:
            need = vram_need(job)
            if job.status is JobStatus.QUEUED and need > largest:
                self.jobs.fail_waiting(
                    [job.id],
                    f"needs at least {need:g} GB of VRAM (in low-VRAM mode) and the largest GPU among "
                    f"the workers has {largest:.1f} GB: choose a smaller variant",
                )
                self.summary.failed += 1
                self.listener.queue_changed()

    def _handle(self, event: JobProgress | JobDone | WorkerLost) -> None:
        if isinstance(event, JobProgress):
            if event.job_id in self.running:
                self.listener.job_progress(event.job_id, event.progress)
            return
        running = self.running.pop(event.job_id, None)
        if running is None:
            return
        if isinstance(event, WorkerLost):
            status = self.jobs.requeue(
                event.job_id,
                Outcome.LOST,
                f"worker {event.worker} was lost ({event.reason})",
                self.max_attempts,
            )
            if status is JobStatus.QUEUED:
                self.summary.retried += 1
            elif status is JobStatus.FAILED:
                self.summary.failed += 1
            self._clean(running.output)
            self.listener.job_ended(self.jobs.job(event.job_id), None)
            return
        self._finish(running, event.result)

    def _finish(self, running: _Running, result: GenerationResult) -> None:
        result = replace(result, request=running.request)
        if result.status is JobStatus.CANCELLED:
            self._end(running.job, Outcome.CANCELLED, "cancelled", None, result)
        elif result.status is JobStatus.FAILED:
            self._end(running.job, Outcome.FAILED, result.message, None, result)
        else:
            self._save(running, result)
        self._clean(running.output)

    def _save(self, running: _Running, result: GenerationResult) -> None:
        from app.core.library.saving import save_generation

        try:
            record = save_generation(self.jobs.library, result, running.job.target_asset_id)
        except SweedleError as exc:
            log.warning("saving job %s into the library failed: %s", running.job.id, exc)
            self._end(running.job, Outcome.FAILED, f"made, but not saved in the library: {exc}", None, result)
            return
        glb = record.summary.glb_path
        if glb is not None:
            result = replace(result, output_path=glb)
        self._end(running.job, Outcome.DONE, result.message, record.summary.id, result)

    def _end(
        self,
        job: QueuedJob,
        outcome: Outcome,
        message: str,
        asset_id: int | None,
        result: GenerationResult | None,
    ) -> None:
        if not self.jobs.finish(job.id, outcome, message, asset_id):
            log.warning("job %s was no longer this process's when it ended (%s)", job.id, outcome)
        if outcome is Outcome.DONE:
            self.summary.done += 1
        elif outcome is Outcome.FAILED:
            self.summary.failed += 1
        else:
            self.summary.cancelled += 1
        self.listener.job_ended(self.jobs.job(job.id), result)

    def _check_cancels(self) -> None:
        now = time.monotonic()
        if not self.running or now - self._last_cancel_check < CANCEL_CHECK_S:
            return
        self._last_cancel_check = now
        for job_id in self.jobs.cancel_requested(self.running):
            self.executor.cancel(job_id)

    def _sweep(self) -> None:
        """Remove the work folders of runners that are gone (their jobs are queued again)."""
        parent = self.work_dir.parent
        if not parent.is_dir():
            return
        for folder in parent.iterdir():
            if (
                folder.is_dir()
                and is_token(folder.name)
                and folder.name != self.jobs.owner
                and not self.jobs.library.owner_alive(folder.name)
            ):
                shutil.rmtree(folder, ignore_errors=True)

    @staticmethod
    def _clean(output: Path) -> None:
        shutil.rmtree(output.parent, ignore_errors=True)

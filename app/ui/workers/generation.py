"""The generation thread and its GUI-thread relay.

One long-lived QThread runs every generation job, one at a time, so an engine that loaded its
model (Hunyuan) keeps it loaded between jobs. `GenerationWorker` lives in that thread and calls the
Qt-free pipeline; `JobRunner` lives in the GUI thread, owns the queue, starts the next job when the
worker is free, and re-emits the worker's signals so widgets and tests only ever connect to a
GUI-thread object (the traps in shared/docs/ENVIRONMENT.md: lambdas connected to worker signals run
in the worker thread; waiting on a worker's signal from the GUI stops timers across threads).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.core.generation.engines.registry import get_engine
from app.core.generation.request import GenerationRequest, GenerationResult, Progress, Status
from app.ui.workers.jobs import Job, JobState
from app.ui.workers.threads import track

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 1 / 30
"""Progress within a stage is forwarded at most this often; stage changes always are."""

AfterJob = Callable[[GenerationResult, int], GenerationResult]
"""Runs in the worker thread after a successful job (e.g. saving into the library)."""
BeforeJob = Callable[[GenerationRequest, int], GenerationResult | None]
"""Runs in the worker thread before a job; a result it returns stands for the job (an identical
version reused from the library), and the job is not run."""


class GenerationWorker(QObject):
    """Lives in the generation thread; everything it does runs there."""

    sig_progress = Signal(int, object)  # job id, Progress
    sig_done = Signal(int, object)  # job id, GenerationResult
    sig_unloaded = Signal(str, str)  # engine name, message

    def __init__(self, after_job: AfterJob | None = None, before_job: BeforeJob | None = None) -> None:
        super().__init__()
        self._after_job = after_job
        self._before_job = before_job

    @Slot(object)
    def run(self, job: Job) -> None:
        last = {"stage": "", "time": 0.0}
        skipped: list[Progress] = []

        def on_progress(progress: Progress) -> None:
            now = time.monotonic()
            if progress.stage != last["stage"] or now - last["time"] >= PROGRESS_INTERVAL_S:
                last["stage"], last["time"] = progress.stage, now
                skipped.clear()
                self.sig_progress.emit(job.id, progress)
            else:  # held back, but the latest one is sent before the job ends
                skipped[:] = [progress]

        try:
            from app.core.generation.stages import generate  # loads the pipeline in this thread

            reused = None
            if self._before_job is not None and not job.force:
                reused = self._before_job(job.request, job.id)
            if reused is not None:
                result = reused
            else:
                result = generate(job.request, job.output_path, on_progress=on_progress, cancel=job.cancel)
                if result.ok and self._after_job is not None:
                    result = self._after_job(result, job.id)
        except Exception as exc:  # generate() reports expected failures itself; this is a bug
            log.exception("job %s crashed", job.id)
            result = GenerationResult(job.request, Status.FAILED, message=f"unexpected error: {exc}")
        if skipped:
            self.sig_progress.emit(job.id, skipped[0])
        self.sig_done.emit(job.id, result)

    @Slot(str)
    def unload(self, engine_name: str) -> None:
        engine = get_engine(engine_name)
        engine.unload()
        self.sig_unloaded.emit(engine_name, f"{engine.label} unloaded")


class JobRunner(QObject):
    """GUI-thread owner of the queue and the generation thread."""

    sig_job_added = Signal(object)  # Job
    sig_job_changed = Signal(object)  # Job (state, progress or message changed)
    sig_job_removed = Signal(int)
    sig_progress = Signal(object, object)  # Job, Progress
    sig_finished = Signal(object)  # Job that ended DONE
    sig_failed = Signal(object)  # Job that ended FAILED
    sig_cancelled = Signal(object)  # Job that ended CANCELLED
    sig_idle = Signal()  # the queue ran dry
    sig_engine_unloaded = Signal(str, str)

    _sig_run = Signal(object)
    _sig_unload = Signal(str)

    def __init__(
        self,
        after_job: AfterJob | None = None,
        parent: QObject | None = None,
        before_job: BeforeJob | None = None,
    ) -> None:
        super().__init__(parent)
        self.jobs: dict[int, Job] = {}
        self._current: Job | None = None
        self._thread = track(QThread())
        self._thread.setObjectName("sweedle-generation")
        self._worker = GenerationWorker(after_job, before_job)
        self._worker.moveToThread(self._thread)
        self._sig_run.connect(self._worker.run)
        self._sig_unload.connect(self._worker.unload)
        self._worker.sig_progress.connect(self._on_progress)
        self._worker.sig_done.connect(self._on_done)
        self._worker.sig_unloaded.connect(self.sig_engine_unloaded)
        self._thread.start()

    @property
    def current(self) -> Job | None:
        return self._current

    @property
    def busy(self) -> bool:
        return self._current is not None

    def submit(self, job: Job) -> Job:
        self.jobs[job.id] = job
        self.sig_job_added.emit(job)
        self._start_next()
        return job

    def cancel(self, job_id: int) -> None:
        """A queued job ends at once; the running one stops at its next check."""
        job = self.jobs.get(job_id)
        if job is None or job.state.finished:
            return
        job.cancel.cancel()
        if job.state is JobState.QUEUED:
            self._end(job, JobState.CANCELLED, "cancelled before it started")
        else:
            job.message = "cancelling…"
            self.sig_job_changed.emit(job)

    def cancel_all(self) -> None:
        for job_id in list(self.jobs):
            self.cancel(job_id)

    def remove(self, job_id: int) -> None:
        """Forget a queued or finished job (a running one must be cancelled first)."""
        job = self.jobs.get(job_id)
        if job is None or job.state is JobState.RUNNING:
            return
        if job.state is JobState.QUEUED:
            job.cancel.cancel()
            job.state = JobState.CANCELLED
        del self.jobs[job_id]
        self.sig_job_removed.emit(job_id)

    def unload_engine(self, engine_name: str) -> None:
        """Free a loaded model; runs in the worker thread after the current job."""
        self._sig_unload.emit(engine_name)

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel everything and stop the thread; True when it stopped in time."""
        self.cancel_all()
        self._thread.quit()
        stopped = self._thread.wait(timeout_ms)
        if not stopped:
            log.error("the generation thread did not stop within %d ms", timeout_ms)
        return stopped

    def _start_next(self) -> None:
        if self._current is not None:
            return
        job = next((j for j in self.jobs.values() if j.state is JobState.QUEUED), None)
        if job is None:
            self.sig_idle.emit()
            return
        self._current = job
        job.state = JobState.RUNNING
        job.started = time.monotonic()
        self.sig_job_changed.emit(job)
        self._sig_run.emit(job)

    @Slot(int, object)
    def _on_progress(self, job_id: int, progress: Progress) -> None:
        job = self.jobs.get(job_id)
        if job is None or job.state is not JobState.RUNNING:
            return
        job.progress = progress
        if not job.cancel.cancelled:
            job.message = progress.message
        self.sig_progress.emit(job, progress)
        self.sig_job_changed.emit(job)

    @Slot(int, object)
    def _on_done(self, job_id: int, result: GenerationResult) -> None:
        job = self._current
        self._current = None
        if job is None or job.id != job_id:
            log.error("worker finished job %s, which is not the running one", job_id)
            self._start_next()
            return
        job.result = result
        state = {
            Status.DONE: JobState.DONE,
            Status.FAILED: JobState.FAILED,
            Status.CANCELLED: JobState.CANCELLED,
        }[result.status]
        self._end(job, state, result.message if state is not JobState.DONE else "")
        self._start_next()

    def _end(self, job: Job, state: JobState, message: str) -> None:
        job.state = state
        job.message = message
        job.ended = time.monotonic()
        self.sig_job_changed.emit(job)
        {JobState.DONE: self.sig_finished, JobState.FAILED: self.sig_failed}.get(
            state, self.sig_cancelled
        ).emit(job)

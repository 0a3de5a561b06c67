"""What an executor is to the queue runner: somewhere to start jobs, and events coming back.

Two kinds exist: `local.LocalExecutor` (one worker thread on this machine, engines kept loaded
between jobs, exactly the window's old behaviour) and `ray_executor.RayExecutor` (one Ray actor
per GPU of a farm). The runner never waits on a job: it starts jobs on free workers and reads
events from `poll`, so one loop serves any number of workers and still notices new jobs, cancels
and pauses at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from app.core.base.progress import Progress
from app.core.generation.request import GenerationRequest, GenerationResult
from app.core.queue.records import WorkerInfo

PROGRESS_INTERVAL_S = 1 / 30
"""Progress within a stage is passed on at most this often; stage changes always are."""


@dataclass(frozen=True)
class JobProgress:
    job_id: int
    progress: Progress


@dataclass(frozen=True)
class JobDone:
    """The job ended on its worker: done (its GLB is at the requested output path), failed or
    cancelled, as `result.status` says."""

    job_id: int
    result: GenerationResult
    worker: str


@dataclass(frozen=True)
class WorkerLost:
    """The worker died under the job (process killed, machine gone): the job did not end."""

    job_id: int
    worker: str
    reason: str


ExecutorEvent = JobProgress | JobDone | WorkerLost


class Executor(Protocol):
    name: str
    """"local" or "ray"."""

    def workers(self) -> list[WorkerInfo]:
        """Every worker, busy or not, with its GPU, free VRAM and current job."""
        ...

    def free_workers(self) -> list[WorkerInfo]:
        """The workers that could start a job now."""
        ...

    def start(self, job_id: int, request: GenerationRequest, output: Path, worker: str) -> None:
        """Start `request` on the free worker named `worker`; its GLB goes to `output` here."""
        ...

    def cancel(self, job_id: int) -> None:
        """Ask the running job to stop at its next check; a JobDone (cancelled) follows."""
        ...

    def poll(self, timeout: float) -> list[ExecutorEvent]:
        """Events since the last call, waiting up to `timeout` seconds for the first one."""
        ...

    def unload(self, engine: str) -> None:
        """Free `engine`'s loaded model on every worker once its current job is done."""
        ...

    def close(self) -> None: ...


class ProgressThrottle:
    """Passes a stage change at once and other reports at most every PROGRESS_INTERVAL_S; the
    last report held back is sent by `flush` before the job ends, so a bar reaches 100 %."""

    def __init__(self, send: Callable[[Progress], None]) -> None:
        self._send = send
        self._stage = ""
        self._sent_at = 0.0
        self._held: Progress | None = None

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if progress.stage != self._stage or now - self._sent_at >= PROGRESS_INTERVAL_S:
            self._stage, self._sent_at, self._held = progress.stage, now, None
            self._send(progress)
        else:
            self._held = progress

    def flush(self) -> None:
        if self._held is not None:
            self._send(self._held)
            self._held = None

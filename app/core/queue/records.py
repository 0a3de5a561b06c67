"""What the queue hands out: plain records of batches, jobs, attempts and workers.

The store returns these, the runner and the front ends pass them around; none of them holds a
database session, so they cross threads (and the GUI relay's signals) safely.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from app.core.base.errors import InputError
from app.core.generation.request import JobStatus


class Priority(IntEnum):
    """Higher runs first; within one priority, the queue's order (oldest first unless moved)."""

    LOW = 0
    NORMAL = 1
    HIGH = 2

    @classmethod
    def parse(cls, text: str) -> Priority:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise InputError(f"priority {text!r} is not valid: use low, normal or high") from None

    @property
    def label(self) -> str:
        return self.name.lower()


class Outcome(StrEnum):
    """How one attempt at a job ended."""

    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    LOST = "lost"
    """The worker died under the job (process killed, machine gone); the job is tried again."""
    INTERRUPTED = "interrupted"
    """The app that ran the job stopped (crash, SIGKILL, power); the job is tried again."""


@dataclass(frozen=True)
class QueuedJob:
    id: int
    batch_id: int
    label: str
    priority: Priority
    position: int
    status: JobStatus
    request: dict[str, Any]
    """The request as `spec.request_to_json` wrote it."""
    attempts: int
    worker: str
    message: str
    asset_id: int | None
    target_asset_id: int | None
    """The asset whose new version the job makes (None: a new asset, or the picture's)."""
    force: bool
    created_at: dt.datetime
    started_at: dt.datetime | None
    ended_at: dt.datetime | None


@dataclass(frozen=True)
class Attempt:
    job_id: int
    worker: str
    outcome: Outcome | None
    """None while the attempt runs."""
    message: str
    started_at: dt.datetime
    ended_at: dt.datetime | None


@dataclass(frozen=True)
class BatchSummary:
    id: int
    name: str
    source: str
    """The folder the pictures came from, or "" for pictures picked one by one."""
    created_at: dt.datetime
    counts: dict[JobStatus, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def finished(self) -> int:
        return sum(n for status, n in self.counts.items() if status.finished)

    @property
    def progress(self) -> float:
        return self.finished / self.total if self.total else 1.0


@dataclass(frozen=True)
class QueueView:
    """Everything a front end shows at once: the batches with their jobs, and the paused flag."""

    batches: tuple[BatchSummary, ...]
    jobs: tuple[QueuedJob, ...]
    paused: bool

    def jobs_of(self, batch_id: int) -> list[QueuedJob]:
        return [job for job in self.jobs if job.batch_id == batch_id]


@dataclass(frozen=True)
class WorkerInfo:
    """One place jobs run: this machine's worker thread, or one Ray actor (one GPU)."""

    name: str
    host: str
    gpu: str
    """The GPU's name, or "CPU"."""
    vram_total_gb: float | None
    vram_free_gb: float | None
    current_job: int | None
    alive: bool = True
    note: str = ""
    pid: int | None = None
    """The worker's process on its machine."""

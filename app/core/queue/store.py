"""The only code that holds a Session on the queue's tables: every read and change of the queue
goes through `JobQueue`, one short transaction each, and comes back as plain `records`.

It follows the library repository's conventions: the library's engine, a write transaction taken
up front (`BEGIN IMMEDIATE`) so a read-then-write (claiming the next job, moving one) never races
another process, and SQLite faults as one-line `LibraryError`s. Several runners (the window,
`sweedle queue run` in a terminal) can share one queue: a job is claimed by exactly one of them,
and marked with its owner's lease token so a runner that dies leaves jobs that the next one takes
back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.core.base.errors import InputError
from app.core.generation.request import GenerationRequest
from app.core.library.migrate import LibraryError
from app.core.library.repository import Library, utcnow
from app.core.queue.records import (
    Attempt,
    BatchSummary,
    JobStatus,
    Outcome,
    Priority,
    QueuedJob,
    QueueView,
)
from app.core.queue.schema import QueueAttempt, QueueBatch, QueueJob, QueueState
from app.core.queue.spec import request_to_json

MAX_BATCH_NAME = 200
MAX_BATCH_JOBS = 100_000
"""A folder of more pictures than this is refused: it is almost certainly the wrong folder."""


class JobQueue:
    """The queue of one library. Thread-safe: each call opens its own short session."""

    def __init__(self, library: Library) -> None:
        self.library = library

    @property
    def owner(self) -> str:
        """This process's lease token: what a claimed job records as its owner."""
        return self.library.lease.token

    # -- adding -------------------------------------------------------------------------------

    def add_batch(
        self,
        requests: Sequence[GenerationRequest],
        name: str,
        source: Path | str = "",
        priority: Priority = Priority.NORMAL,
        force: bool = False,
        target_asset_id: int | None = None,
    ) -> BatchSummary:
        """Queue `requests` as one batch, after every job already waiting at `priority`; with
        `target_asset_id`, each result becomes a new version of that asset."""
        if not requests:
            raise InputError(f"batch {name!r} has no pictures to queue")
        if len(requests) > MAX_BATCH_JOBS:
            raise InputError(f"batch {name!r} has {len(requests)} pictures; queue at most {MAX_BATCH_JOBS}")
        name = " ".join(name.split())[:MAX_BATCH_NAME] or "batch"
        now = utcnow()
        with self.library.session(write=True) as s:
            batch = QueueBatch(name=name, source=str(source), created_at=now)
            s.add(batch)
            s.flush()
            position = self._last_position(s) + 1
            for offset, request in enumerate(requests):
                s.add(
                    QueueJob(
                        batch_id=batch.id,
                        label=request.asset_name[:200],
                        priority=int(priority),
                        position=position + offset,
                        status=JobStatus.QUEUED.value,
                        request=request_to_json(request),
                        attempts=0,
                        worker="",
                        message="",
                        force=force,
                        target_asset_id=target_asset_id,
                        cancel_requested=False,
                        created_at=now,
                    )
                )
            batch_id = batch.id
        return self.batch(batch_id)

    @staticmethod
    def _last_position(s: Session) -> int:
        return s.scalar(select(func.max(QueueJob.position))) or 0

    # -- reading ------------------------------------------------------------------------------

    def view(self, finished: bool = True) -> QueueView:
        """Every batch and job (without finished jobs when `finished` is False), in run order."""
        with self.library.session() as s:
            stmt = select(QueueJob).order_by(*_RUN_ORDER)
            if not finished:
                stmt = stmt.where(QueueJob.status.in_([JobStatus.QUEUED.value, JobStatus.RUNNING.value]))
            jobs = tuple(_job(row) for row in s.scalars(stmt))
            batch_ids = {job.batch_id for job in jobs}
            batches = [b for b in self._batches(s) if b.id in batch_ids or finished]
            paused = self._paused(s)
        return QueueView(tuple(batches), jobs, paused)

    def batch(self, batch_id: int) -> BatchSummary:
        with self.library.session() as s:
            found = [b for b in self._batches(s, batch_id) if b.id == batch_id]
        if not found:
            raise LibraryError(f"there is no batch {batch_id} in the queue")
        return found[0]

    def _batches(self, s: Session, batch_id: int | None = None) -> list[BatchSummary]:
        count_stmt = select(QueueJob.batch_id, QueueJob.status, func.count()).group_by(
            QueueJob.batch_id, QueueJob.status
        )
        batch_stmt = select(QueueBatch).order_by(QueueBatch.id)
        if batch_id is not None:
            count_stmt = count_stmt.where(QueueJob.batch_id == batch_id)
            batch_stmt = batch_stmt.where(QueueBatch.id == batch_id)
        counts: dict[int, dict[JobStatus, int]] = {}
        for bid, status, n in s.execute(count_stmt):
            counts.setdefault(bid, {})[JobStatus(status)] = n
        return [
            BatchSummary(b.id, b.name, b.source, b.created_at, counts.get(b.id, {}))
            for b in s.scalars(batch_stmt)
        ]

    def job(self, job_id: int) -> QueuedJob:
        with self.library.session() as s:
            return _job(self._row(s, job_id))

    def jobs(self, job_ids: Iterable[int]) -> list[QueuedJob]:
        ids = list(job_ids)
        with self.library.session() as s:
            return [_job(row) for row in s.scalars(select(QueueJob).where(QueueJob.id.in_(ids)))]

    def attempts(self, job_id: int) -> list[Attempt]:
        with self.library.session() as s:
            rows = s.scalars(
                select(QueueAttempt).where(QueueAttempt.job_id == job_id).order_by(QueueAttempt.id)
            )
            return [
                Attempt(
                    r.job_id,
                    r.worker,
                    Outcome(r.outcome) if r.outcome else None,
                    r.message,
                    r.started_at,
                    r.ended_at,
                )
                for r in rows
            ]

    def counts(self) -> dict[JobStatus, int]:
        with self.library.session() as s:
            rows = s.execute(select(QueueJob.status, func.count()).group_by(QueueJob.status))
            return {JobStatus(status): n for status, n in rows}

    def is_paused(self) -> bool:
        with self.library.session() as s:
            return self._paused(s)

    @staticmethod
    def _paused(s: Session) -> bool:
        return bool(s.scalar(select(QueueState.paused).where(QueueState.id == 1)))

    # -- running (the runner's side) -----------------------------------------------------------

    def claim(
        self, worker: str, max_vram_gb: float | None = None, need: Callable[[QueuedJob], float] | None = None
    ) -> QueuedJob | None:
        """Take the next job to run (highest priority, then queue order) for this process, or None
        when the queue is paused or has nothing waiting. With `need`, the first job whose VRAM
        need fits `max_vram_gb` is taken, so a small free GPU does not wait behind a big job."""
        now = utcnow()
        with self.library.session(write=True) as s:
            if self._paused(s):
                return None
            rows = s.scalars(
                select(QueueJob).where(QueueJob.status == JobStatus.QUEUED.value).order_by(*_RUN_ORDER)
            )
            row = None
            for candidate in rows:
                if need is None or max_vram_gb is None or need(_job(candidate)) <= max_vram_gb:
                    row = candidate
                    break
            if row is None:
                return None
            row.status = JobStatus.RUNNING.value
            row.owner = self.owner
            row.worker = worker
            row.attempts += 1
            row.started_at = now
            row.ended_at = None
            row.cancel_requested = False
            s.add(QueueAttempt(job_id=row.id, worker=worker, message="", started_at=now))
            s.flush()
            return _job(row)

    def set_worker(self, job_id: int, worker: str) -> None:
        """Record where a claimed job was placed (the Ray actor that took it)."""
        with self.library.session(write=True) as s:
            row = s.get(QueueJob, job_id)
            if row is None or row.owner != self.owner:
                return
            row.worker = worker
            attempt = self._open_attempt(s, job_id)
            if attempt is not None:
                attempt.worker = worker

    def finish(self, job_id: int, outcome: Outcome, message: str = "", asset_id: int | None = None) -> bool:
        """End this process's running job as done, failed or cancelled. False when the job was not
        ours any more (removed, or taken back after this process was thought dead)."""
        status = {Outcome.DONE: JobStatus.DONE, Outcome.FAILED: JobStatus.FAILED}.get(
            outcome, JobStatus.CANCELLED
        )
        now = utcnow()
        with self.library.session(write=True) as s:
            row = s.get(QueueJob, job_id)
            if row is None or row.status != JobStatus.RUNNING.value or row.owner != self.owner:
                return False
            row.status = status.value
            row.message = message
            row.asset_id = asset_id
            row.owner = None
            row.ended_at = now
            row.cancel_requested = False
            self._close_attempt(s, job_id, outcome, message, now)
        return True

    def requeue(self, job_id: int, outcome: Outcome, message: str, max_attempts: int) -> JobStatus | None:
        """A running job whose worker was lost: back in the queue to be tried elsewhere, or failed
        for good once it has been tried `max_attempts` times. None when it was not ours."""
        now = utcnow()
        with self.library.session(write=True) as s:
            row = s.get(QueueJob, job_id)
            if row is None or row.status != JobStatus.RUNNING.value or row.owner != self.owner:
                return None
            self._close_attempt(s, job_id, outcome, message, now)
            return self._put_back(row, message, max_attempts, now)

    def release(self, job_id: int, message: str) -> None:
        """Give a running job of this process back to the queue untried (the runner is stopping
        on purpose): the try does not count, and the job runs again at the next start."""
        now = utcnow()
        with self.library.session(write=True) as s:
            row = s.get(QueueJob, job_id)
            if row is None or row.status != JobStatus.RUNNING.value or row.owner != self.owner:
                return
            self._close_attempt(s, job_id, Outcome.INTERRUPTED, message, now)
            row.status = JobStatus.QUEUED.value
            row.attempts = max(0, row.attempts - 1)
            row.owner = None
            row.cancel_requested = False
            row.message = ""

    def fail_waiting(self, job_ids: Iterable[int], message: str) -> int:
        """End waiting jobs that no worker can ever run, with the reason."""
        with self.library.session(write=True) as s:
            changed = s.execute(
                update(QueueJob)
                .where(QueueJob.id.in_(list(job_ids)), QueueJob.status == JobStatus.QUEUED.value)
                .values(status=JobStatus.FAILED.value, message=message, ended_at=utcnow())
            ).rowcount
        return int(changed or 0)

    def recover(self, alive: Callable[[str], bool], max_attempts: int) -> list[int]:
        """Running jobs whose owner process is gone (killed, crashed) go back in the queue: the
        start-up half of "jobs survive a SIGKILL". Returns the ids put back (or failed for good)."""
        now = utcnow()
        recovered = []
        with self.library.session(write=True) as s:
            rows = s.scalars(select(QueueJob).where(QueueJob.status == JobStatus.RUNNING.value))
            for row in rows:
                if row.owner is not None and alive(row.owner):
                    continue
                reason = f"the app running it on {row.worker or 'a worker'} stopped"
                self._close_attempt(s, row.id, Outcome.INTERRUPTED, reason, now)
                self._put_back(row, reason, max_attempts, now)
                recovered.append(row.id)
        return recovered

    @staticmethod
    def _put_back(row: QueueJob, reason: str, max_attempts: int, now: dt.datetime) -> JobStatus:
        row.owner = None
        row.cancel_requested = False
        if row.attempts >= max_attempts:
            row.status = JobStatus.FAILED.value
            row.message = f"gave up after {row.attempts} tries; the last one ended because {reason}"
            row.ended_at = now
        else:
            row.status = JobStatus.QUEUED.value
            row.message = f"tried again: {reason}"
        return JobStatus(row.status)

    def _open_attempt(self, s: Session, job_id: int) -> QueueAttempt | None:
        return s.scalars(
            select(QueueAttempt)
            .where(QueueAttempt.job_id == job_id, QueueAttempt.outcome.is_(None))
            .order_by(QueueAttempt.id.desc())
            .limit(1)
        ).first()

    def _close_attempt(
        self, s: Session, job_id: int, outcome: Outcome, message: str, now: dt.datetime
    ) -> None:
        attempt = self._open_attempt(s, job_id)
        if attempt is not None:
            attempt.outcome = outcome.value
            attempt.message = message
            attempt.ended_at = now

    def cancel_requested(self, job_ids: Iterable[int]) -> set[int]:
        """Which of this process's running jobs another process (or this one) asked to cancel."""
        ids = list(job_ids)
        if not ids:
            return set()
        with self.library.session() as s:
            return set(
                s.scalars(
                    select(QueueJob.id).where(QueueJob.id.in_(ids), QueueJob.cancel_requested.is_(True))
                )
            )

    # -- changing (the front ends' side) --------------------------------------------------------

    def cancel(self, job_ids: Iterable[int]) -> int:
        """Queued jobs end at once; running ones are asked to stop (their runner cancels them)."""
        ids = list(job_ids)
        now = utcnow()
        with self.library.session(write=True) as s:
            queued = s.execute(
                update(QueueJob)
                .where(QueueJob.id.in_(ids), QueueJob.status == JobStatus.QUEUED.value)
                .values(status=JobStatus.CANCELLED.value, message="cancelled before it started", ended_at=now)
            ).rowcount
            running = s.execute(
                update(QueueJob)
                .where(QueueJob.id.in_(ids), QueueJob.status == JobStatus.RUNNING.value)
                .values(cancel_requested=True)
            ).rowcount
        return int(queued or 0) + int(running or 0)

    def cancel_batch(self, batch_id: int) -> int:
        return self.cancel(self.job_ids_of(batch_id))

    def retry(self, job_ids: Iterable[int]) -> int:
        """Failed and cancelled jobs go back in the queue, with their tries counted from zero."""
        ids = list(job_ids)
        with self.library.session(write=True) as s:
            changed = s.execute(
                update(QueueJob)
                .where(
                    QueueJob.id.in_(ids),
                    QueueJob.status.in_([JobStatus.FAILED.value, JobStatus.CANCELLED.value]),
                )
                .values(
                    status=JobStatus.QUEUED.value,
                    attempts=0,
                    message="",
                    worker="",
                    asset_id=None,
                    started_at=None,
                    ended_at=None,
                )
            ).rowcount
        return int(changed or 0)

    def retry_batch(self, batch_id: int) -> int:
        return self.retry(self.job_ids_of(batch_id))

    def job_ids_of(self, batch_id: int) -> list[int]:
        """The batch's jobs in the order they were added."""
        with self.library.session() as s:
            if s.get(QueueBatch, batch_id) is None:
                raise LibraryError(f"there is no batch {batch_id} in the queue")
            return list(
                s.scalars(select(QueueJob.id).where(QueueJob.batch_id == batch_id).order_by(QueueJob.id))
            )

    def set_priority(self, job_ids: Iterable[int], priority: Priority) -> int:
        """Change the priority of jobs that have not started; each goes last in its new priority."""
        ids = list(job_ids)
        with self.library.session(write=True) as s:
            rows = list(
                s.scalars(
                    select(QueueJob)
                    .where(QueueJob.id.in_(ids), QueueJob.status == JobStatus.QUEUED.value)
                    .order_by(*_RUN_ORDER)
                )
            )
            position = self._last_position(s)
            for row in rows:
                if row.priority != int(priority):
                    position += 1
                    row.priority, row.position = int(priority), position
        return len(rows)

    def set_batch_priority(self, batch_id: int, priority: Priority) -> int:
        return self.set_priority(self.job_ids_of(batch_id), priority)

    def move(self, job_id: int, steps: int) -> None:
        """Move a waiting job `steps` places earlier (negative) or later among the jobs waiting at
        its priority (priority always comes first: use `set_priority` to jump ahead of it)."""
        with self.library.session(write=True) as s:
            row = self._row(s, job_id)
            if row.status != JobStatus.QUEUED.value:
                raise LibraryError(f"job {job_id} is {row.status}; only waiting jobs can be moved")
            peers = list(
                s.scalars(
                    select(QueueJob)
                    .where(QueueJob.status == JobStatus.QUEUED.value, QueueJob.priority == row.priority)
                    .order_by(*_RUN_ORDER)
                )
            )
            positions = [p.position for p in peers]
            index = next(i for i, p in enumerate(peers) if p.id == job_id)
            target = min(max(index + steps, 0), len(peers) - 1)
            peers.insert(target, peers.pop(index))
            for peer, position in zip(peers, sorted(positions), strict=True):
                peer.position = position

    def remove(self, job_ids: Iterable[int]) -> int:
        """Forget jobs that are not running (cancel a running one first); empty batches go too."""
        ids = list(job_ids)
        with self.library.session(write=True) as s:
            removed = s.execute(
                delete(QueueJob).where(QueueJob.id.in_(ids), QueueJob.status != JobStatus.RUNNING.value)
            ).rowcount
            self._drop_empty_batches(s)
        return int(removed or 0)

    def clear_finished(self) -> int:
        """Forget every finished job (the assets they made stay in the library)."""
        finished = [s.value for s in JobStatus if s.finished]
        with self.library.session(write=True) as s:
            removed = s.execute(delete(QueueJob).where(QueueJob.status.in_(finished))).rowcount
            self._drop_empty_batches(s)
        return int(removed or 0)

    @staticmethod
    def _drop_empty_batches(s: Session) -> None:
        s.execute(delete(QueueBatch).where(QueueBatch.id.not_in(select(QueueJob.batch_id).distinct())))

    def set_paused(self, paused: bool) -> None:
        with self.library.session(write=True) as s:
            s.execute(update(QueueState).where(QueueState.id == 1).values(paused=paused))

    def _row(self, s: Session, job_id: int) -> QueueJob:
        row = s.get(QueueJob, job_id)
        if row is None:
            raise LibraryError(f"there is no job {job_id} in the queue")
        return row


_RUN_ORDER = (QueueJob.priority.desc(), QueueJob.position.asc(), QueueJob.id.asc())


def _job(row: QueueJob) -> QueuedJob:
    return QueuedJob(
        id=row.id,
        batch_id=row.batch_id,
        label=row.label,
        priority=Priority(row.priority),
        position=row.position,
        status=JobStatus(row.status),
        request=dict(row.request or {}),
        attempts=row.attempts,
        worker=row.worker,
        message=row.message,
        asset_id=row.asset_id,
        target_asset_id=row.target_asset_id,
        force=row.force,
        created_at=row.created_at,
        started_at=row.started_at,
        ended_at=row.ended_at,
    )

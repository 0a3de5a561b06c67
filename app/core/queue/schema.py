"""The queue's tables, in the library's database (migration 0003).

They live beside the assets so one file holds everything a user backs up, and so the SQLite
write lock that orders library saves also orders queue claims between processes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.library.schema import Base


class QueueBatch(Base):
    __tablename__ = "queue_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime]


class QueueJob(Base):
    __tablename__ = "queue_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("queue_batches.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int]
    position: Mapped[int]
    """Order within a priority: new jobs go last; moving a job swaps positions."""
    status: Mapped[str] = mapped_column(String(16))
    request: Mapped[dict[str, Any]]
    attempts: Mapped[int] = mapped_column(default=0)
    owner: Mapped[str | None] = mapped_column(String(32), default=None)
    """Lease token of the process running the job (see `library.leases`): when that process is
    gone, the job is put back in the queue."""
    worker: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"), default=None)
    target_asset_id: Mapped[int | None] = mapped_column(
        ForeignKey("assets.id", ondelete="SET NULL"), default=None
    )
    """The asset whose new version the job makes (None: a new asset, or the picture's)."""
    force: Mapped[bool] = mapped_column(default=False)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    """Set by any process; the runner that owns the job cancels it on its next look."""
    created_at: Mapped[dt.datetime]
    started_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]

    __table_args__ = (Index("ix_queue_jobs_next", "status", "priority", "position"),)


class QueueAttempt(Base):
    """One try at a job: where it ran and how it ended (the record of lost workers and retries)."""

    __tablename__ = "queue_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("queue_jobs.id", ondelete="CASCADE"), index=True)
    worker: Mapped[str] = mapped_column(String(200), default="")
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    message: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]


class QueueState(Base):
    """One row: whether the queue is paused (runners finish what runs and start nothing new)."""

    __tablename__ = "queue_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    paused: Mapped[bool] = mapped_column(default=False)

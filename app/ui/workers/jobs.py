"""A job in the window's queue: one request, its status, its latest progress and its result."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.core.base.cancel import CancelToken
from app.core.base.progress import Progress
from app.core.generation.request import GenerationRequest, GenerationResult, JobStatus

_ids = itertools.count(1)


@dataclass
class Job:
    request: GenerationRequest
    output_path: Path
    id: int = field(default_factory=lambda: next(_ids))
    status: JobStatus = JobStatus.QUEUED
    progress: Progress | None = None
    message: str = ""
    result: GenerationResult | None = None
    cancel: CancelToken = field(default_factory=CancelToken)
    started: float | None = None
    ended: float | None = None
    force: bool = False
    """Generate even when the library holds the version this request would make again."""

    @property
    def label(self) -> str:
        return self.request.asset_name

    def elapsed(self, now: float | None = None) -> float:
        if self.started is None:
            return 0.0
        return (self.ended or now or time.monotonic()) - self.started

"""The farm worker: a Ray actor (one per GPU) that runs generation jobs with the engines of the
Sweedle installed on its machine, and keeps their models loaded between jobs.

A job comes in as the request (JSON) and its pictures (bytes); the pictures are written into a
private folder under their own file names, so provenance records the same source name as a
local job; the result goes back as the GLB's bytes plus its LOD table, timings and validation
report, and the app saves it into its library. `run` holds the actor's main thread while the
"control" concurrency group answers `progress`, `cancel` and `describe` at once, which is how
progress streams back and a cancel reaches a running job within a second.

This module is imported in the actor's process, never by the window at start-up; it does not
import Ray (the executor wraps the class with `ray.remote`).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.core.base.cancel import CancelToken
from app.core.base.progress import Progress
from app.core.base.version import VERSION
from app.core.generation.request import JobStatus, LodInfo
from app.core.queue.executor import ProgressThrottle
from app.core.queue.gpu import probe_gpus, visible_gpu_indices
from app.core.queue.spec import request_from_json

CONTROL_GROUP = "control"


@dataclass(frozen=True)
class WorkerDescription:
    name: str
    host: str
    gpu: str
    vram_total_gb: float | None
    vram_free_gb: float | None
    pid: int
    version: str
    engines: dict[str, str] = field(default_factory=dict)
    """Engine name → "" when it can run here, else why not (weights or packages missing)."""


@dataclass(frozen=True)
class RemoteOutcome:
    """What a job sends back: the GLB as written on the worker, and the figures about it."""

    status: JobStatus
    message: str
    worker: str
    glb: bytes | None = None
    lods: list[LodInfo] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    progress: list[Progress] = field(default_factory=list)
    """The reports made since the last `progress` call, so the last steps are not lost."""


@dataclass
class _Job:
    cancel: CancelToken
    progress: list[Progress] = field(default_factory=list)


class SweedleWorker:
    def __init__(self, name: str) -> None:
        self.name = name
        self._jobs: dict[int, _Job] = {}
        self._lock = threading.Lock()
        self._work = Path(tempfile.mkdtemp(prefix="sweedle-farm-"))

    def describe(self) -> WorkerDescription:
        from app.core.generation.engines.registry import engine_names, get_engine

        gpus = probe_gpus(visible_gpu_indices())
        engines = {}
        for engine_name in engine_names():
            available = get_engine(engine_name).availability()
            engines[engine_name] = "" if available.ok else available.reason
        return WorkerDescription(
            name=self.name,
            host=socket.gethostname(),
            gpu=gpus[0].name if gpus else "CPU",
            vram_total_gb=gpus[0].total_gb if gpus else None,
            vram_free_gb=gpus[0].free_gb if gpus else None,
            pid=os.getpid(),
            version=VERSION,
            engines=engines,
        )

    def run(self, job_id: int, request: dict[str, Any], pictures: dict[str, bytes]) -> RemoteOutcome:
        """Run one job; never raises for a failed job (the outcome says why, naming this worker)."""
        job = _Job(CancelToken())
        with self._lock:
            self._jobs[job_id] = job
        folder = self._work / f"job-{job_id}"
        try:
            outcome = self._run(job, folder, request, pictures)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            with self._lock:
                self._jobs.pop(job_id, None)
        return replace(outcome, progress=job.progress)

    def _run(
        self, job: _Job, folder: Path, request: dict[str, Any], pictures: dict[str, bytes]
    ) -> RemoteOutcome:
        from app.core.base.errors import SweedleError
        from app.core.generation.stages import generate

        def keep(progress: Progress) -> None:
            with self._lock:
                job.progress.append(progress)

        throttle = ProgressThrottle(keep)
        try:
            local = request_from_json(_placed(request, pictures, folder))
            result = generate(local, folder / "out" / "result.glb", on_progress=throttle, cancel=job.cancel)
        except (SweedleError, OSError) as exc:
            return RemoteOutcome(JobStatus.FAILED, f"on worker {self.name}: {exc}", self.name)
        finally:
            throttle.flush()
        if result.status is not JobStatus.DONE or result.output_path is None:
            message = (
                result.message
                if result.status is JobStatus.CANCELLED
                else f"on worker {self.name}: {result.message}"
            )
            return RemoteOutcome(result.status, message, self.name, timings=result.timings)
        return RemoteOutcome(
            JobStatus.DONE,
            result.message,
            self.name,
            glb=result.output_path.read_bytes(),
            lods=result.lods,
            timings=result.timings,
            report=result.report,
        )

    def progress(self, job_id: int) -> list[Progress]:
        """The progress reports of a running job since the last call."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return []
            reports, job.progress = job.progress, []
            return reports

    def cancel(self, job_id: int) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is not None:
            job.cancel.cancel()

    def unload(self, engine: str) -> None:
        from app.core.generation.engines.registry import get_engine

        get_engine(engine).unload()


def _placed(request: dict[str, Any], pictures: dict[str, bytes], folder: Path) -> dict[str, Any]:
    """`request` with its pictures written under `folder` (front and each view in its own
    subfolder, keeping their file names) and its paths pointing at them."""
    placed = dict(request)

    def write(slot: str, original: str) -> str:
        target = folder / slot / Path(original).name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pictures[slot])
        return str(target)

    if request.get("image_path") is not None:
        placed["image_path"] = write("front", request["image_path"])
    placed["views"] = {view: write(view, path) for view, path in (request.get("views") or {}).items()}
    return placed

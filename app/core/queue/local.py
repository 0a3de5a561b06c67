"""The local executor: one worker thread on this machine runs one job at a time, and engines
that load a model (Hunyuan) keep it loaded between jobs: the window's behaviour before the queue
was persistent, now behind the executor protocol so the runner treats it like a farm of one."""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from app.core.base.cancel import CancelToken
from app.core.generation.request import GenerationRequest, GenerationResult, JobStatus
from app.core.queue.executor import ExecutorEvent, JobDone, JobProgress, ProgressThrottle
from app.core.queue.gpu import probe_gpus
from app.core.queue.records import WorkerInfo

log = logging.getLogger(__name__)

WORKER_NAME = "this machine"
GPU_REFRESH_S = 5.0


@dataclass
class _Task:
    job_id: int
    request: GenerationRequest
    output: Path
    cancel: CancelToken


class LocalExecutor:
    name = "local"

    def __init__(self) -> None:
        self._tasks: queue.Queue[_Task | str | None] = queue.Queue()
        self._events: queue.Queue[ExecutorEvent] = queue.Queue()
        self._current: _Task | None = None
        self._lock = threading.Lock()
        self._gpu: tuple[float, WorkerInfo] | None = None
        self._thread = threading.Thread(target=self._loop, name="sweedle-local-executor", daemon=True)
        self._thread.start()

    def workers(self) -> list[WorkerInfo]:
        with self._lock:
            current = self._current.job_id if self._current is not None else None
        return [replace(self._describe(), current_job=current)]

    def free_workers(self) -> list[WorkerInfo]:
        with self._lock:
            busy = self._current is not None or not self._tasks.empty()
        return [] if busy else self.workers()

    def start(self, job_id: int, request: GenerationRequest, output: Path, worker: str) -> None:
        task = _Task(job_id, request, output, CancelToken())
        with self._lock:
            self._current = task
        self._tasks.put(task)

    def cancel(self, job_id: int) -> None:
        with self._lock:
            if self._current is not None and self._current.job_id == job_id:
                self._current.cancel.cancel()

    def poll(self, timeout: float) -> list[ExecutorEvent]:
        events = []
        try:
            events.append(self._events.get(timeout=timeout))
            while True:
                events.append(self._events.get_nowait())
        except queue.Empty:
            pass
        return events

    def unload(self, engine: str) -> None:
        self._tasks.put(engine)

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                self._current.cancel.cancel()
        self._tasks.put(None)
        self._thread.join(timeout=60)

    def _loop(self) -> None:
        while True:
            task = self._tasks.get()
            if task is None:
                return
            if isinstance(task, str):
                self._unload(task)
                continue
            result = self._run(task)
            with self._lock:
                self._current = None
            self._events.put(JobDone(task.job_id, result, WORKER_NAME))

    def _run(self, task: _Task) -> GenerationResult:
        throttle = ProgressThrottle(lambda p: self._events.put(JobProgress(task.job_id, p)))
        try:
            from app.core.generation.stages import generate  # the pipeline loads in this thread

            return generate(task.request, task.output, on_progress=throttle, cancel=task.cancel)
        except Exception as exc:  # generate() reports expected failures itself; this is a bug
            log.exception("job %s crashed", task.job_id)
            return GenerationResult(task.request, JobStatus.FAILED, message=f"unexpected error: {exc}")
        finally:
            throttle.flush()

    @staticmethod
    def _unload(engine: str) -> None:
        from app.core.generation.engines.registry import get_engine

        get_engine(engine).unload()

    def _describe(self) -> WorkerInfo:
        """This machine's first GPU (asked again at most every GPU_REFRESH_S), else the CPU."""
        now = time.monotonic()
        if self._gpu is None or now - self._gpu[0] > GPU_REFRESH_S:
            gpus = probe_gpus()
            host = socket.gethostname()
            if gpus:
                info = WorkerInfo(
                    WORKER_NAME, host, gpus[0].name, gpus[0].total_gb, gpus[0].free_gb, None, pid=os.getpid()
                )
            else:
                info = WorkerInfo(WORKER_NAME, host, "CPU", None, None, None, pid=os.getpid())
            self._gpu = (now, info)
        return self._gpu[1]

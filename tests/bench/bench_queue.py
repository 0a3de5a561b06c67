"""A 20-picture Relief batch through the persistent queue: the local executor, a Ray farm with one
worker and with two (loopback-only heads started by `sweedle farm head`), in one run. Prints each
wall time, Ray's per-job overhead against the local executor (goal: at most 10 % with one worker)
and the scaling from one worker to two (bounded by the machine's cores).

Each configuration first runs one warm-up job per worker (engine imports, actor start) that is not
timed, then the batch in a fresh library (no job can reuse another's asset).

    .venv/bin/python tests/bench/bench_queue.py [--pictures 20] [--resolution 128]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
REPO = Path(__file__).resolve().parents[2]

from queue_pictures import farm_head_command, make_pictures  # noqa: E402

from app.core.generation.request import GenerationRequest, JobStatus  # noqa: E402
from app.core.library.startup import open_library  # noqa: E402
from app.core.queue import farm  # noqa: E402
from app.core.queue.executor import Executor  # noqa: E402
from app.core.queue.local import LocalExecutor  # noqa: E402
from app.core.queue.runner import QueueRunner  # noqa: E402
from app.core.queue.store import JobQueue  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pictures", type=int, default=20)
    parser.add_argument("--resolution", type=int, default=128, help="Relief grid cells (default 128)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="sweedle-bench-queue-"))
    pictures = make_pictures(root / "batch", args.pictures, size=384)
    warm = make_pictures(root / "warm", 2, size=384, prefix="warm", first=args.pictures)
    params = {"resolution": args.resolution}
    print(
        f"{args.pictures} pictures 384 px, Relief resolution {args.resolution}, texture 512, LODs 50/25/10 %"
    )
    print(f"machine: {os.cpu_count()} cores")

    local = _timed("local", root, pictures, warm[:1], params, LocalExecutor)
    ray = {}
    for workers in (1, 2):
        token = farm.new_token()
        head, address, started = _start_head(root / f"head{workers}", workers, token)
        try:
            ready = _FarmConnection(address, token, workers)
            print(f"ray {workers} worker(s): head up in {started:.1f} s")
            ray[workers] = _timed(f"ray x{workers}", root, pictures, warm[:workers], params, ready)
            print(f"  connect + {workers} actor(s) ready: {ready.seconds:.1f} s (not in the batch time)")
        finally:
            _stop(head)

    n = args.pictures
    overhead = (ray[1] - local) / n
    print()
    print(f"local executor:      {local:7.2f} s  ({local / n:.3f} s a job)")
    print(f"ray, 1 worker:       {ray[1]:7.2f} s  ({ray[1] / n:.3f} s a job)")
    print(f"ray, 2 workers:      {ray[2]:7.2f} s  ({ray[2] / n:.3f} s a job)")
    verdict = "meets" if ray[1] <= local * 1.10 else "MISSES"
    print(
        f"ray overhead per job at 1 worker: {overhead * 1000:+.0f} ms ({(ray[1] / local - 1) * 100:+.1f} %; "
        f"goal <= +10 %: {verdict})"
    )
    print(
        f"scaling 1 -> 2 workers: {ray[1] / ray[2]:.2f}x (efficiency {ray[1] / ray[2] / 2:.0%}; "
        f"{os.cpu_count()} cores here, the app's own thread included)"
    )


def _timed(
    label: str,
    root: Path,
    pictures: list[Path],
    warm: list[Path],
    params: dict[str, object],
    make: Callable[[], Executor],
) -> float:
    """Warm the workers up, then time the batch from queueing to the last asset in the library."""
    home = root / f"home-{label.replace(' ', '')}"
    os.environ["SWEEDLE_HOME"] = str(home)
    library, _ = open_library(home / "library")
    executor = make()
    try:
        jobs = JobQueue(library)
        jobs.add_batch(_requests(warm, params), "warm-up")
        QueueRunner(jobs, executor, home / "work").run(threading.Event(), until_idle=True)
        jobs.clear_finished()
        start = time.perf_counter()
        jobs.add_batch(_requests(pictures, params), "batch")
        summary = QueueRunner(jobs, executor, home / "work").run(threading.Event(), until_idle=True)
        wall = time.perf_counter() - start
        assert summary.done == len(pictures), summary
        assert jobs.counts() == {JobStatus.DONE: len(pictures)} and library.count() == len(pictures) + len(
            warm
        )
    finally:
        executor.close()
        library.close()
    print(f"{label}: {wall:.2f} s for {len(pictures)} jobs")
    return wall


class _FarmConnection:
    """Connects to the farm and waits until its workers are ready; remembers how long it took."""

    def __init__(self, address: str, token: str, workers: int) -> None:
        self.address, self.token, self.workers = address, token, workers
        self.seconds = 0.0

    def __call__(self) -> Executor:
        from app.core.queue.ray_executor import RayExecutor

        start = time.perf_counter()
        executor = RayExecutor(self.address, self.token)
        while len(executor.free_workers()) < self.workers:
            executor.poll(0.2)
        self.seconds = time.perf_counter() - start
        return executor


def _requests(paths: list[Path], params: dict[str, object]) -> list[GenerationRequest]:
    return [GenerationRequest(p, texture_size=512, params=dict(params)) for p in paths]


def _start_head(home: Path, workers: int, token: str) -> tuple[subprocess.Popen[bytes], str, float]:
    home.mkdir(parents=True)
    (home / "token").write_text(token)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    start = time.perf_counter()
    head = subprocess.Popen(
        farm_head_command(port, workers, home / "token"),
        cwd=REPO,
        env={**os.environ, "SWEEDLE_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    while True:
        assert head.poll() is None, "the farm head stopped"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    return head, f"127.0.0.1:{port}", time.perf_counter() - start


def _stop(head: subprocess.Popen[bytes]) -> None:
    head.send_signal(signal.SIGTERM)
    try:
        head.wait(timeout=90)
    except subprocess.TimeoutExpired:
        head.kill()
        head.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(head.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()

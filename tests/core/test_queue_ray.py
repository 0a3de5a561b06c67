"""The queue on a real Ray cluster: one head per module, started by `sweedle farm head` bound to
the loopback interface only, with two CPU worker slots; each test connects as the app does
(token auth on) and runs real Relief jobs on small pictures (and one Hunyuan job with the tiny
RANDOM-weight checkpoint: plumbing, not model quality)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hunyuan_tiny import build_tiny_checkpoint
from queue_pictures import farm_head_command, make_pictures, queue_requests

from app.core.base.progress import Progress
from app.core.formats.glb_reader import read_glb
from app.core.generation.request import GenerationRequest, GenerationResult, JobStatus
from app.core.library.records import GLB_FILE, AssetQuery
from app.core.library.repository import Library
from app.core.library.startup import open_library
from app.core.paths import cache_dir
from app.core.queue import farm
from app.core.queue.ray_executor import RayExecutor
from app.core.queue.records import Outcome, Priority, QueuedJob
from app.core.queue.runner import QueueRunner, RunnerListener, RunSummary
from app.core.queue.store import JobQueue

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 180.0
HUNYUAN_SMALL = {"steps": 5, "octree_resolution": 40, "flashvdm": 0, "variant": "hunyuan3d-2"}


@dataclass(frozen=True)
class Head:
    address: str
    token: str
    token_file: Path
    process: subprocess.Popen[bytes]
    log: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Head]:
    """`sweedle farm head --bind 127.0.0.1 --cpu-workers 2` in its own process group (so the
    whole of Ray it started is stopped by one signal at the end), with its own home and a models
    store holding the tiny Hunyuan checkpoint."""
    home = tmp_path_factory.mktemp("farm-home")
    build_tiny_checkpoint(home / "models")
    token = farm.new_token()
    token_file = home / "token"
    token_file.write_text(token)
    port = _free_port()
    log = home / "head.log"
    env = {**os.environ, "SWEEDLE_HOME": str(home), "SWEEDLE_MODELS": str(home / "models")}
    with log.open("wb") as out:
        process = subprocess.Popen(
            farm_head_command(port, 2, token_file),
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    saved_env = {k: os.environ.get(k) for k in farm.ray_env("x", loopback=True)}
    try:
        _wait_for_port(port, process, log)
        yield Head(f"127.0.0.1:{port}", token, token_file, process, log)
    finally:
        farm.disconnect()
        _stop(process)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to `sweedle farm head` alone: it stops `ray start`, which drains the node while its
    GCS still answers (a signal to the whole group makes that drain wait 30 s for a dead GCS).
    Whatever of the group outlives that is killed."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=90)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the farm head stopped:\n{log.read_text(errors='replace')}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"the farm head did not start:\n{log.read_text(errors='replace')}")


@pytest.fixture
def executor(head: Head) -> Iterator[RayExecutor]:
    """The app's connection to the farm, with both workers started."""
    ray_executor = RayExecutor(head.address, head.token)
    try:
        _wait_for_workers(ray_executor, 2)
        yield ray_executor
    finally:
        ray_executor.close()


def _wait_for_workers(ray_executor: RayExecutor, count: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while len(ray_executor.free_workers()) < count:
        assert time.monotonic() < deadline, f"workers never became ready: {ray_executor.workers()}"
        ray_executor.poll(0.2)


@pytest.fixture
def library() -> Iterator[Library]:
    lib, _ = open_library()
    yield lib
    lib.close()


@pytest.fixture
def jobs(library: Library) -> JobQueue:
    return JobQueue(library)


class Recorder(RunnerListener):
    def __init__(self) -> None:
        self.started: list[QueuedJob] = []
        self.ended: list[QueuedJob] = []
        self.progress: dict[int, list[Progress]] = {}

    def job_started(self, job: QueuedJob) -> None:
        self.started.append(job)

    def job_progress(self, job_id: int, progress: Progress) -> None:
        self.progress.setdefault(job_id, []).append(progress)

    def job_ended(self, job: QueuedJob, result: GenerationResult | None) -> None:
        self.ended.append(job)


def _run(jobs: JobQueue, ray_executor: RayExecutor, listener: RunnerListener | None = None) -> RunSummary:
    runner = QueueRunner(jobs, ray_executor, cache_dir() / "queue", listener)
    return runner.run(threading.Event(), until_idle=True)


def test_farm_listens_on_the_loopback_interface_only(head: Head) -> None:
    addresses = _listening_addresses(head.process.pid)
    assert addresses, "found no listening sockets of the farm's processes"
    assert all(ip in ("127.0.0.1", "::ffff:127.0.0.1", "::1") for ip, _ in addresses), addresses
    assert int(head.address.rsplit(":", 1)[1]) in {port for _, port in addresses}


def _listening_addresses(group: int) -> set[tuple[str, int]]:
    """(ip, port) of every TCP socket in LISTEN state held by a process of `group`, from /proc."""
    inodes = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.getpgid(int(pid)) != group:
                continue
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A" or fields[9] not in inodes:
                continue
            hex_ip, hex_port = fields[1].split(":")
            found.add((_ip(hex_ip, width), int(hex_port, 16)))
    return found


def _ip(hex_ip: str, width: int) -> str:
    raw = bytes.fromhex(hex_ip)
    if width == 8:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


def test_a_folder_batch_of_20_lands_in_the_library(
    tmp_path: Path, jobs: JobQueue, executor: RayExecutor
) -> None:
    pictures = make_pictures(tmp_path / "Props", 20)
    jobs.add_batch(queue_requests(pictures), "Props", source=tmp_path / "Props")
    recorder = Recorder()

    summary = _run(jobs, executor, recorder)

    assert (summary.done, summary.failed, summary.retried) == (20, 0, 0)
    assert jobs.library.count() == 20
    done = jobs.view().jobs
    assert {j.worker for j in done} == {w.name for w in executor.workers()}, "both workers took jobs"
    first = jobs.library.get_asset(done[0].asset_id)
    model = read_glb(first.summary.folder / GLB_FILE)
    assert model.provenance["engine"] == "relief" and model.provenance["source_image"] == "pic01.png"
    assert (first.summary.folder / "source.png").read_bytes() == pictures[0].read_bytes()
    stages = {p.stage for reports in recorder.progress.values() for p in reports}
    assert {"preprocess", "shape", "lods", "save"} <= stages, "progress streamed back from the workers"


def test_a_high_job_added_later_runs_before_the_waiting_normal_ones(
    tmp_path: Path, jobs: JobQueue, executor: RayExecutor
) -> None:
    pictures = make_pictures(tmp_path, 7)
    jobs.add_batch(queue_requests(pictures[:6]), "normal")
    added: list[int] = []

    class AddHighAfterFirstEnd(Recorder):
        def job_ended(self, job: QueuedJob, result: GenerationResult | None) -> None:
            super().job_ended(job, result)
            if not added:
                batch = jobs.add_batch(queue_requests(pictures[6:]), "urgent", priority=Priority.HIGH)
                added.extend(j.id for j in jobs.view().jobs_of(batch.id))

    recorder = AddHighAfterFirstEnd()
    _run(jobs, executor, recorder)

    order = [j.id for j in recorder.started]
    started_before = order[: order.index(added[0])]
    assert len(started_before) == 2, f"only the two jobs already running went first: {order}"
    assert jobs.counts() == {JobStatus.DONE: 7} and jobs.library.count() == 7


def test_cancel_reaches_the_running_worker(tmp_path: Path, jobs: JobQueue, executor: RayExecutor) -> None:
    slow = GenerationRequest(make_pictures(tmp_path, 1, size=512)[0], lods=(), params={"resolution": 1024})
    jobs.add_batch([slow], "slow")
    quick = make_pictures(tmp_path / "quick", 2)[1]

    class CancelOnFirstProgress(Recorder):
        def job_progress(self, job_id: int, progress: Progress) -> None:
            super().job_progress(job_id, progress)
            if len(self.progress) == 1 and len(self.progress[job_id]) == 1:
                jobs.cancel([job_id])
                jobs.add_batch(queue_requests([quick]), "after")

    summary = _run(jobs, executor, CancelOnFirstProgress())

    view = jobs.view()
    assert len(view.jobs) == 2, f"the slow job ended before any progress came back: {view.jobs}"
    slow_job, quick_job = view.jobs
    assert slow_job.status is JobStatus.CANCELLED and slow_job.asset_id is None
    assert quick_job.status is JobStatus.DONE, "the farm went on to the next job"
    assert summary.cancelled == 1 and jobs.library.count() == 1
    assert all(w.alive for w in executor.workers())


def test_a_worker_killed_mid_job_has_its_job_done_elsewhere(
    tmp_path: Path, jobs: JobQueue, executor: RayExecutor
) -> None:
    batch = jobs.add_batch(queue_requests(make_pictures(tmp_path, 6, size=256), resolution=128), "six")
    killed: dict[str, object] = {}

    class KillOnFirstProgress(Recorder):
        def job_progress(self, job_id: int, progress: Progress) -> None:
            super().job_progress(job_id, progress)
            if killed:
                return
            worker = jobs.job(job_id).worker
            (pid,) = [w.pid for w in executor.workers() if w.name == worker]
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            killed.update(job=job_id, worker=worker)

    summary = _run(jobs, executor, KillOnFirstProgress())

    assert killed and summary.retried == 1
    assert jobs.counts() == {JobStatus.DONE: 6}
    assert jobs.library.count() == 6 and len({a.name for a in jobs.library.list_assets(AssetQuery())}) == 6
    # The job lost is the one the worker was running when the signal landed: by then it may have
    # finished the job whose progress sent the signal and claimed the next.
    [(first, last)] = [
        attempts
        for attempts in map(jobs.attempts, jobs.job_ids_of(batch.id))
        if any(a.outcome is Outcome.LOST for a in attempts)
    ]
    assert (first.worker, first.outcome) == (killed["worker"], Outcome.LOST)
    assert last.outcome is Outcome.DONE and last.worker != killed["worker"]
    assert "was lost" in first.message


def test_the_app_killed_mid_batch_resumes_on_restart(tmp_path: Path, head: Head, jobs: JobQueue) -> None:
    jobs.add_batch(queue_requests(make_pictures(tmp_path, 8, size=256), resolution=128), "eight")
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "queue",
            "run",
            "--farm",
            head.address,
            "--token-file",
            str(head.token_file),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _wait_for_running_after_one_done(jobs), "the app was killed mid-batch"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    # What was running when it died: it may have claimed another job since the first look.
    running = [j.id for j in jobs.view().jobs if j.status is JobStatus.RUNNING]
    assert running

    ray_executor = RayExecutor(head.address, head.token)  # its actors died with the killed app
    try:
        _wait_for_workers(ray_executor, 2)
        summary = _run(jobs, ray_executor)
    finally:
        ray_executor.close()

    assert sorted(summary.recovered) == sorted(running)
    assert jobs.counts() == {JobStatus.DONE: 8}
    assert jobs.library.count() == 8, "every picture made exactly one asset"
    for job_id in running:
        outcomes = [a.outcome for a in jobs.attempts(job_id)]
        assert outcomes[0] is Outcome.INTERRUPTED and outcomes[-1] is Outcome.DONE


def _wait_for_running_after_one_done(jobs: JobQueue) -> list[int]:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        view = jobs.view()
        running = [j.id for j in view.jobs if j.status is JobStatus.RUNNING]
        if running and any(j.status is JobStatus.DONE for j in view.jobs):
            return running
        time.sleep(0.02)
    raise AssertionError(f"the app never had a running job after a finished one: {jobs.counts()}")


def test_a_client_with_a_wrong_token_is_refused(tmp_path: Path, head: Head, jobs: JobQueue) -> None:
    jobs.add_batch(queue_requests(make_pictures(tmp_path, 1)), "one")
    wrong = tmp_path / "wrong-token"
    wrong.write_text(farm.new_token())
    proc = subprocess.run(
        [sys.executable, "-m", "app", "queue", "run", "--farm", head.address, "--token-file", str(wrong)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        f"error: the farm at {head.address} refused this machine's token: use the token the head printed "
        f"(`sweedle farm token --set TOKEN`, or {farm.TOKEN_ENV})"
    )
    assert jobs.counts() == {JobStatus.QUEUED: 1}, "nothing ran"


def test_hunyuan_runs_on_a_worker_and_a_missing_model_names_the_worker(
    tmp_path: Path, jobs: JobQueue, executor: RayExecutor
) -> None:
    picture = make_pictures(tmp_path, 1, size=128)[0]
    tiny = GenerationRequest(
        picture, engine="hunyuan", lods=(), texture_size=256, seed=3, params=HUNYUAN_SMALL
    )
    missing = GenerationRequest(
        picture,
        engine="hunyuan",
        lods=(),
        texture_size=256,
        params={**HUNYUAN_SMALL, "variant": "hunyuan3d-2mini"},
    )
    jobs.add_batch([tiny, missing], "hunyuan")

    _run(jobs, executor)

    made, refused = jobs.view().jobs
    assert made.status is JobStatus.DONE, made.message
    model = read_glb(jobs.library.get_asset(made.asset_id).summary.folder / GLB_FILE)
    assert model.provenance["engine"] == "hunyuan" and model.provenance["device"] == "cpu"
    assert refused.status is JobStatus.FAILED
    assert refused.message.startswith(f"on worker {refused.worker}: ") and "2mini" in refused.message.lower()


def test_farm_status_lists_the_workers(head: Head) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "farm",
            "status",
            "--farm",
            head.address,
            "--token-file",
            str(head.token_file),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines()[1:]]
    assert len(rows) == 2 and all("CPU" in row and "idle" in row for row in rows), proc.stdout

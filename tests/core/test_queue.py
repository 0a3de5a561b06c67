"""The persistent queue with the local executor: real library databases, real Relief jobs on
small pictures, a real `sweedle queue run` process killed with SIGKILL."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from queue_pictures import make_pictures, queue_requests

from app.cli.main import main
from app.core.base.errors import InputError
from app.core.base.rules import LodTarget
from app.core.generation.request import GenerationRequest, GenerationResult, JobStatus
from app.core.library.migrate import LibraryError
from app.core.library.records import GLB_FILE
from app.core.library.repository import Library
from app.core.library.startup import open_library
from app.core.paths import cache_dir
from app.core.queue import farm
from app.core.queue.local import LocalExecutor
from app.core.queue.placement import vram_need
from app.core.queue.records import Outcome, Priority, QueuedJob, WorkerInfo
from app.core.queue.runner import QueueRunner, RunnerListener, RunSummary
from app.core.queue.spec import request_from_json, request_to_json
from app.core.queue.store import JobQueue

REPO = Path(__file__).resolve().parents[2]


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
        self.started: list[int] = []
        self.ended: list[QueuedJob] = []
        self.results: dict[int, GenerationResult | None] = {}

    def job_started(self, job: QueuedJob) -> None:
        self.started.append(job.id)

    def job_ended(self, job: QueuedJob, result: GenerationResult | None) -> None:
        self.ended.append(job)
        self.results[job.id] = result


def _run(jobs: JobQueue, work: Path, listener: RunnerListener | None = None) -> RunSummary:
    executor = LocalExecutor()
    try:
        return QueueRunner(jobs, executor, work, listener).run(threading.Event(), until_idle=True)
    finally:
        executor.close()


def test_requests_travel_as_json_unchanged(tmp_path: Path) -> None:
    request = GenerationRequest(
        tmp_path / "front.png",
        engine="hunyuan",
        name="Crate",
        height_m=2.5,
        lods=(LodTarget(fraction=1 / 3), LodTarget(triangles=500)),
        lod0_triangles=20_000,
        seed=99,
        texture_size=512,
        roughness=0.4,
        bake="always",
        params={"variant": "hunyuan3d-2mv", "steps": 5},
        views={"back": tmp_path / "back.png"},
    )
    assert request_from_json(json.loads(json.dumps(request_to_json(request)))) == request
    with pytest.raises(InputError, match="damaged"):
        request_from_json({"image": 5})
    with pytest.raises(InputError, match="LOD target"):
        request_from_json({**request_to_json(request), "lods": [{"fraction": 2.0}]})
    older = {k: v for k, v in request_to_json(request).items() if k not in ("roughness", "bake")}
    assert request_from_json(older).roughness == GenerationRequest(None, prompt="x").roughness
    with pytest.raises(InputError, match="texture size 3"):
        request_from_json({**request_to_json(request), "texture_size": 3})


def test_batch_runs_by_priority_and_lands_in_the_library(tmp_path: Path, jobs: JobQueue) -> None:
    pictures = make_pictures(tmp_path / "pics", 5)
    normal = jobs.add_batch(queue_requests(pictures[:3]), "normal")
    low = jobs.add_batch(queue_requests(pictures[3:4]), "low", priority=Priority.LOW)
    high = jobs.add_batch(queue_requests(pictures[4:]), "high", priority=Priority.HIGH)
    ids = {b.id: [j.id for j in jobs.view().jobs_of(b.id)] for b in (normal, low, high)}
    recorder = Recorder()

    summary = _run(jobs, tmp_path / "work", recorder)

    assert recorder.started == ids[high.id] + ids[normal.id] + ids[low.id]
    assert (summary.done, summary.failed) == (5, 0)
    assert jobs.library.count() == 5
    for job in jobs.view().jobs:
        assert job.status is JobStatus.DONE and job.asset_id is not None
        asset = jobs.library.get_asset(job.asset_id)
        assert asset.name == job.label and (asset.summary.folder / GLB_FILE).is_file()
    assert jobs.batch(normal.id).counts == {JobStatus.DONE: 3} and jobs.batch(normal.id).progress == 1.0
    assert not any((tmp_path / "work").rglob("*.glb")), "the library keeps the only copy"


def test_waiting_jobs_can_be_moved_and_reprioritised(tmp_path: Path, jobs: JobQueue) -> None:
    batch = jobs.add_batch(queue_requests(make_pictures(tmp_path, 4)), "four")
    one, two, three, four = (j.id for j in jobs.view().jobs_of(batch.id))

    jobs.move(four, -3)
    assert [j.id for j in jobs.view().jobs] == [four, one, two, three]
    jobs.move(four, 1)
    assert [j.id for j in jobs.view().jobs] == [one, four, two, three]
    jobs.set_priority([three], Priority.HIGH)
    assert [j.id for j in jobs.view().jobs] == [three, one, four, two]
    assert jobs.claim("test").id == three
    with pytest.raises(LibraryError, match="only waiting jobs can be moved"):
        jobs.move(three, 1)


def test_pause_lets_the_running_job_finish_and_starts_nothing_new(tmp_path: Path, jobs: JobQueue) -> None:
    jobs.add_batch(queue_requests(make_pictures(tmp_path, 3)), "three")

    class PauseOnFirstStart(Recorder):
        def job_started(self, job: QueuedJob) -> None:
            super().job_started(job)
            jobs.set_paused(True)

    first = PauseOnFirstStart()
    summary = _run(jobs, tmp_path / "work", first)
    assert summary.done == 1 and len(first.started) == 1
    assert jobs.is_paused() and jobs.counts() == {JobStatus.DONE: 1, JobStatus.QUEUED: 2}
    assert _run(jobs, tmp_path / "work").done == 0, "a paused queue starts nothing"

    jobs.set_paused(False)
    assert _run(jobs, tmp_path / "work").done == 2
    assert jobs.library.count() == 3


def test_a_bad_picture_fails_its_item_and_retry_runs_only_the_failed(tmp_path: Path, jobs: JobQueue) -> None:
    pictures = make_pictures(tmp_path / "pics", 3)
    pictures[1].write_text("not a picture at all")
    batch = jobs.add_batch(queue_requests(pictures), "mixed", source=tmp_path / "pics")

    summary = _run(jobs, tmp_path / "work")

    assert (summary.done, summary.failed) == (2, 1)
    failed = next(j for j in jobs.view().jobs if j.status is JobStatus.FAILED)
    assert pictures[1].name in failed.message and failed.asset_id is None
    assert jobs.batch(batch.id).counts == {JobStatus.DONE: 2, JobStatus.FAILED: 1}

    make_pictures(tmp_path / "fixed", 4)[3].replace(pictures[1])  # a picture none of the others is
    assert jobs.retry_batch(batch.id) == 1
    recorder = Recorder()
    assert _run(jobs, tmp_path / "work", recorder).done == 1
    assert recorder.started == [failed.id]
    assert jobs.batch(batch.id).counts == {JobStatus.DONE: 3}
    assert jobs.library.count() == 3


def test_cancel_from_another_process_reaches_the_running_job(tmp_path: Path, jobs: JobQueue) -> None:
    slow = GenerationRequest(make_pictures(tmp_path, 1, size=512)[0], lods=(), params={"resolution": 1024})
    jobs.add_batch([slow], "slow")
    other, _ = open_library()  # a second lease: what `sweedle queue cancel` in a terminal does
    try:

        class CancelOnStart(Recorder):
            def job_started(self, job: QueuedJob) -> None:
                super().job_started(job)
                threading.Timer(0.3, JobQueue(other).cancel, [[job.id]]).start()

        recorder = CancelOnStart()
        summary = _run(jobs, tmp_path / "work", recorder)
    finally:
        other.close()
    (job,) = jobs.view().jobs
    assert summary.cancelled == 1 and job.status is JobStatus.CANCELLED and job.asset_id is None
    assert jobs.library.count() == 0
    assert [a.outcome for a in jobs.attempts(job.id)] == [Outcome.CANCELLED]


def test_a_lost_worker_is_retried_until_it_gives_up(tmp_path: Path, jobs: JobQueue) -> None:
    jobs.add_batch(queue_requests(make_pictures(tmp_path, 1)), "one")
    first = jobs.claim("box gpu0")
    assert first is not None and first.attempts == 1
    assert (
        jobs.requeue(first.id, Outcome.LOST, "worker box gpu0 was lost", max_attempts=2) is JobStatus.QUEUED
    )
    assert "tried again" in jobs.job(first.id).message
    second = jobs.claim("box gpu1")
    assert second is not None and second.id == first.id and second.attempts == 2
    assert (
        jobs.requeue(first.id, Outcome.LOST, "worker box gpu1 was lost", max_attempts=2) is JobStatus.FAILED
    )
    job = jobs.job(first.id)
    assert job.status is JobStatus.FAILED and job.message.startswith("gave up after 2 tries")
    assert [(a.worker, a.outcome) for a in jobs.attempts(job.id)] == [
        ("box gpu0", Outcome.LOST),
        ("box gpu1", Outcome.LOST),
    ]


def test_a_job_goes_only_to_a_worker_with_the_vram_it_needs(tmp_path: Path, jobs: JobQueue) -> None:
    picture = make_pictures(tmp_path, 1)[0]
    big = GenerationRequest(picture, engine="hunyuan", params={"variant": "hunyuan3d-2"})
    jobs.add_batch([big], "big", priority=Priority.HIGH)
    jobs.add_batch(queue_requests([picture]), "small")
    high, small = jobs.view().jobs
    assert vram_need(high) == 3.6 and vram_need(small) == 0.0, "6 GB, or 60 % of it in low-VRAM mode"

    taken = jobs.claim("laptop gpu0", max_vram_gb=3.0, need=vram_need)
    assert taken is not None and taken.id == small.id, "the 3 GB GPU skips the Hunyuan job"
    assert jobs.claim("laptop gpu0", max_vram_gb=3.0, need=vram_need) is None
    assert jobs.claim("box gpu0", max_vram_gb=24.0, need=vram_need).id == high.id


def test_a_job_no_worker_can_hold_fails_with_the_numbers(tmp_path: Path, jobs: JobQueue) -> None:
    picture = make_pictures(tmp_path, 1)[0]
    jobs.add_batch([GenerationRequest(picture, engine="hunyuan", params={"variant": "hunyuan3d-2"})], "big")

    class SmallGpu(LocalExecutor):
        def workers(self) -> list[WorkerInfo]:
            return [replace(w, gpu="GT 1030", vram_total_gb=2.0) for w in super().workers()]

        def free_workers(self) -> list[WorkerInfo]:
            return [replace(w, gpu="GT 1030", vram_total_gb=2.0) for w in super().free_workers()]

    executor = SmallGpu()
    try:
        summary = QueueRunner(jobs, executor, tmp_path / "work").run(threading.Event(), until_idle=True)
    finally:
        executor.close()
    (job,) = jobs.view().jobs
    assert summary.failed == 1 and job.status is JobStatus.FAILED and job.attempts == 0
    assert job.message == (
        "needs at least 3.6 GB of VRAM (in low-VRAM mode) and the largest GPU among the workers has "
        "2.0 GB: choose a smaller variant"
    )


def test_two_processes_never_claim_the_same_job(tmp_path: Path, jobs: JobQueue) -> None:
    jobs.add_batch(queue_requests(make_pictures(tmp_path, 1) * 40), "forty")
    other, _ = open_library()
    claimed: dict[str, list[int]] = {"a": [], "b": []}

    def claim_all(name: str, queue: JobQueue) -> None:
        while (job := queue.claim(name)) is not None:
            claimed[name].append(job.id)

    try:
        threads = [
            threading.Thread(target=claim_all, args=("a", jobs)),
            threading.Thread(target=claim_all, args=("b", JobQueue(other))),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.close()
    everything = claimed["a"] + claimed["b"]
    assert sorted(everything) == sorted(j.id for j in jobs.view().jobs) and len(set(everything)) == 40


@pytest.mark.slow
def test_jobs_survive_a_sigkill_of_the_app_and_resume(tmp_path: Path, jobs: JobQueue) -> None:
    pictures = make_pictures(tmp_path / "pics", 6, size=256)
    jobs.add_batch(queue_requests(pictures, resolution=160), "six")
    child = subprocess.Popen(
        [sys.executable, "-m", "app", "queue", "run"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        killed_while = _wait_for_running_after_one_done(jobs)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    running = [j for j in jobs.view().jobs if j.status is JobStatus.RUNNING]
    assert [j.id for j in running] == [killed_while], "the killed app left its job marked running"

    summary = _run(jobs, cache_dir() / "queue")

    assert summary.recovered == [killed_while]
    assert jobs.counts() == {JobStatus.DONE: 6}
    assert jobs.library.count() == 6, "every picture made exactly one asset"
    outcomes = [a.outcome for a in jobs.attempts(killed_while)]
    assert outcomes[0] is Outcome.INTERRUPTED and outcomes[-1] is Outcome.DONE
    leftovers = {p.name for p in (cache_dir() / "queue").iterdir()}
    assert leftovers <= {jobs.owner}, "the killed app's work folder was removed"


def _wait_for_running_after_one_done(jobs: JobQueue) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        view = jobs.view()
        running = [j for j in view.jobs if j.status is JobStatus.RUNNING]
        if running and any(j.status is JobStatus.DONE for j in view.jobs):
            return running[0].id
        time.sleep(0.02)
    raise AssertionError(f"the queue never had a running job after a finished one: {jobs.counts()}")


def test_cli_queues_a_folder_runs_it_and_lists_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_pictures(tmp_path / "Props", 3)
    (tmp_path / "Props" / "notes.txt").write_text("left out")
    assert (
        main(
            [
                "queue",
                "add",
                str(tmp_path / "Props"),
                "--lods",
                "none",
                "--texture-size",
                "256",
                "-p",
                "resolution=32",
                "--priority",
                "high",
            ]
        )
        == 0
    )
    assert "queued batch 1 'Props': 3 picture(s), high priority" in capsys.readouterr().out

    assert main(["queue", "run", "--json"]) == 0
    finished = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [f["status"] for f in finished] == ["done"] * 3 and all(f["asset_id"] for f in finished)

    assert main(["queue", "list", "--json"]) == 0
    (batch,) = json.loads(capsys.readouterr().out)["batches"]
    assert batch["name"] == "Props" and batch["counts"] == {"done": 3} and batch["source"].endswith("Props")
    assert [j["image"].rsplit("/", 1)[-1] for j in batch["jobs"]] == ["pic01.png", "pic02.png", "pic03.png"]


def test_cli_refuses_what_it_cannot_queue_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["queue", "add", str(tmp_path / "empty")]) == 1
    assert "has no pictures" in capsys.readouterr().err
    (tmp_path / "model.glb").write_bytes(b"glTF")
    assert main(["queue", "add", str(tmp_path / "model.glb")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "model.glb is not a picture file" in err
    assert main(["queue", "retry", "--batch", "7"]) == 1
    assert "there is no batch 7" in capsys.readouterr().err


def test_without_ray_the_farm_is_unavailable_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_find_spec = farm.importlib.util.find_spec
    monkeypatch.setattr(
        farm.importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real_find_spec(name, *a)
    )
    assert farm.availability().reason == "Ray is not installed: pip install 'sweedle[farm]' on this machine"
    assert main(["queue", "run", "--farm", "127.0.0.1:6379"]) == 1
    assert (
        capsys.readouterr().err.strip()
        == "error: Ray is not installed: pip install 'sweedle[farm]' on this machine"
    )


def test_farm_token_is_kept_for_this_user_only(tmp_path: Path) -> None:
    token = farm.new_token()
    path = farm.save_token(token)
    assert path.stat().st_mode & 0o777 == 0o600 and farm.find_token() == token
    with pytest.raises(farm.FarmError, match="16 to 256"):
        farm.save_token("short")
    with pytest.raises(farm.FarmError, match="not HOST:PORT"):
        farm.check_address("head; rm -rf /")

"""The Ray executor: one `SweedleWorker` actor per worker slot the farm's machines offer (one per
GPU, with `num_gpus=1` and its GPU's VRAM as `vram_gb`; or a CPU slot), pinned to its machine.

Actors are made when the executor connects and again whenever a machine joins or an actor died
(checked every RECONCILE_S): a worker that is killed mid-job is replaced, and its job, reported as
`WorkerLost`, is tried again by the runner on whichever worker is free first. Nothing here blocks
for long: `poll` waits on the running jobs' results with Ray's `wait`, and collects progress,
descriptions and new actors without waiting on any one worker.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from app.core.base.atomic import atomic_write_bytes
from app.core.base.version import VERSION
from app.core.generation.request import GenerationRequest, GenerationResult, JobStatus
from app.core.queue import farm
from app.core.queue.executor import ExecutorEvent, JobDone, JobProgress, WorkerLost
from app.core.queue.ray_worker import CONTROL_GROUP, RemoteOutcome, SweedleWorker, WorkerDescription
from app.core.queue.records import WorkerInfo
from app.core.queue.spec import request_to_json

log = logging.getLogger(__name__)

RECONCILE_S = 5.0
"""How often the farm's machines are compared with the actors (joins, deaths)."""
DESCRIBE_S = 5.0
"""How often each worker is asked for its free VRAM."""
PROGRESS_POLL_S = 0.2
MAX_INCARNATIONS = 5
"""A slot whose actor keeps dying at start (Sweedle missing there) is not started again after this."""


@dataclass
class _Actor:
    slot: tuple[str, int]
    name: str
    handle: Any
    gpu: bool
    described: Any = None
    """The pending `describe` call, if one is out."""
    info: WorkerDescription | None = None
    note: str = ""
    dead: bool = False
    job_id: int | None = None
    run_ref: Any = None
    request: GenerationRequest | None = None
    output: Path | None = None
    last_described: float = 0.0

    @property
    def ready(self) -> bool:
        return self.info is not None and not self.dead and not self.note


class RayExecutor:
    name = "ray"

    def __init__(self, address: str, token: str | None) -> None:
        farm.connect(address, token)
        import ray

        self.address = address
        self._ray = ray
        self._remote = ray.remote(concurrency_groups={CONTROL_GROUP: 2}, max_restarts=0)(SweedleWorker)
        self._actors: dict[tuple[str, int], _Actor] = {}
        self._incarnations: dict[tuple[str, int], int] = {}
        self._pending: list[ExecutorEvent] = []
        self._last_reconcile = 0.0
        self._last_progress = 0.0
        self._reconcile()

    # -- the executor protocol ------------------------------------------------------------------

    def workers(self) -> list[WorkerInfo]:
        out = []
        for actor in self._actors.values():
            info = actor.info
            note = actor.note or ("starting…" if info is None and not actor.dead else "")
            out.append(
                WorkerInfo(
                    name=actor.name,
                    host=info.host if info else actor.slot[0][:12],
                    gpu=info.gpu if info else ("GPU" if actor.gpu else "CPU"),
                    vram_total_gb=info.vram_total_gb if info else None,
                    vram_free_gb=info.vram_free_gb if info else None,
                    current_job=actor.job_id,
                    alive=not actor.dead,
                    note=note,
                    pid=info.pid if info else None,
                )
            )
        return out

    def free_workers(self) -> list[WorkerInfo]:
        free = {a.name for a in self._actors.values() if a.ready and a.job_id is None}
        return [w for w in self.workers() if w.name in free]

    def start(self, job_id: int, request: GenerationRequest, output: Path, worker: str) -> None:
        actor = next(a for a in self._actors.values() if a.name == worker)
        try:
            pictures = _pictures(request)
        except OSError as exc:
            message = f"cannot read the picture {exc.filename}: {exc.strerror or exc}"
            self._pending.append(
                JobDone(job_id, GenerationResult(request, JobStatus.FAILED, message=message), worker)
            )
            return
        actor.job_id, actor.request, actor.output = job_id, request, output
        actor.run_ref = actor.handle.run.remote(job_id, request_to_json(request), pictures)

    def cancel(self, job_id: int) -> None:
        for actor in self._actors.values():
            if actor.job_id == job_id and not actor.dead:
                actor.handle.cancel.options(concurrency_group=CONTROL_GROUP).remote(job_id)

    def poll(self, timeout: float) -> list[ExecutorEvent]:
        events, self._pending = self._pending, []
        now = time.monotonic()
        if now - self._last_reconcile >= RECONCILE_S:
            self._reconcile()
        self._refresh_descriptions(now)
        busy = [a for a in self._actors.values() if a.run_ref is not None]
        if busy and now - self._last_progress >= PROGRESS_POLL_S:
            self._last_progress = now
            events += self._progress(busy)
        wait = 0.0 if events else timeout
        if not busy:
            if wait:
                time.sleep(wait)
            return events
        refs = [a.run_ref for a in busy]
        ready, _ = self._ray.wait(refs, num_returns=1, timeout=wait)
        if ready:
            ready, _ = self._ray.wait(refs, num_returns=len(refs), timeout=0)
        for actor in busy:
            if actor.run_ref in ready:
                events += self._outcome(actor)
        return events

    def unload(self, engine: str) -> None:
        for actor in self._actors.values():
            if not actor.dead:
                actor.handle.unload.remote(engine)

    def close(self) -> None:
        for actor in self._actors.values():
            if not actor.dead:
                self._ray.kill(actor.handle)
        self._actors.clear()
        farm.disconnect()

    # -- the actors -----------------------------------------------------------------------------

    def _reconcile(self) -> None:
        """Start an actor for every worker slot of every live machine that has none (or whose
        actor died); forget the actors of machines that left."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        self._last_reconcile = time.monotonic()
        live = set()
        for node in self._ray.nodes():
            resources = node.get("Resources", {})
            slots = int(resources.get(farm.WORKER_RESOURCE, 0))
            if not node.get("Alive") or slots < 1:
                continue
            node_id = node["NodeID"]
            host = node.get("NodeManagerHostname") or node.get("NodeManagerAddress", "?")
            gpus = int(resources.get("GPU", 0))
            vram_each = int(resources.get(farm.VRAM_RESOURCE, 0)) // gpus if gpus else 0
            for index in range(slots):
                slot = (node_id, index)
                live.add(slot)
                actor = self._actors.get(slot)
                if actor is not None and (not actor.dead or self._incarnations[slot] >= MAX_INCARNATIONS):
                    continue
                gpu = index < gpus
                incarnation = self._incarnations.get(slot, 0) + 1
                self._incarnations[slot] = incarnation
                name = f"{host} {'gpu' if gpu else 'cpu'}{index}" + (
                    f" #{incarnation}" if incarnation > 1 else ""
                )
                resources_wanted = {farm.WORKER_RESOURCE: 1}
                if gpu and vram_each:
                    resources_wanted[farm.VRAM_RESOURCE] = vram_each
                handle = self._remote.options(
                    num_cpus=1,
                    num_gpus=1 if gpu else 0,
                    resources=resources_wanted,
                    scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False),
                ).remote(name)
                self._actors[slot] = _Actor(slot, name, handle, gpu)
        for slot in [s for s, a in self._actors.items() if s not in live and a.job_id is None]:
            del self._actors[slot]

    def _refresh_descriptions(self, now: float) -> None:
        """Send `describe` to workers due for one; take in the answers that have come back."""
        for actor in self._actors.values():
            if actor.dead:
                continue
            if actor.described is None and now - actor.last_described >= DESCRIBE_S:
                actor.last_described = now
                actor.described = actor.handle.describe.options(concurrency_group=CONTROL_GROUP).remote()
            if actor.described is None:
                continue
            ready, _ = self._ray.wait([actor.described], timeout=0)
            if not ready:
                continue
            ref, actor.described = actor.described, None
            try:
                actor.info = self._ray.get(ref)
            except self._ray.exceptions.RayError as exc:
                actor.dead = actor.job_id is None
                actor.note = f"could not start: {_first_line(exc)}"
                continue
            if actor.info.version != VERSION:
                actor.note = (
                    f"runs Sweedle {actor.info.version} and this app is {VERSION}: "
                    "install the same version on every machine"
                )

    def _progress(self, busy: list[_Actor]) -> list[ExecutorEvent]:
        calls = {
            actor.handle.progress.options(concurrency_group=CONTROL_GROUP).remote(actor.job_id): actor
            for actor in busy
            if not actor.dead
        }
        if not calls:
            return []
        ready, _ = self._ray.wait(list(calls), num_returns=len(calls), timeout=1.0)
        events: list[ExecutorEvent] = []
        for ref in ready:
            actor = calls[ref]
            try:
                reports = self._ray.get(ref)
            except self._ray.exceptions.RayError:
                continue  # the run's own result says what happened to the worker
            events += [JobProgress(actor.job_id, p) for p in reports if actor.job_id is not None]
        return events

    def _outcome(self, actor: _Actor) -> list[ExecutorEvent]:
        job_id, request, output, ref = actor.job_id, actor.request, actor.output, actor.run_ref
        actor.job_id, actor.request, actor.output, actor.run_ref = None, None, None, None
        assert job_id is not None and request is not None and output is not None
        errors = self._ray.exceptions
        try:
            outcome: RemoteOutcome = self._ray.get(ref)
        except (errors.RayActorError, errors.ActorUnavailableError) as exc:
            actor.dead = True
            return [WorkerLost(job_id, actor.name, _first_line(exc))]
        except errors.RayError as exc:
            message = f"unexpected error on worker {actor.name}: {_first_line(exc)}"
            return [JobDone(job_id, GenerationResult(request, JobStatus.FAILED, message=message), actor.name)]
        last_steps: list[ExecutorEvent] = [JobProgress(job_id, p) for p in outcome.progress]
        return [*last_steps, JobDone(job_id, _result(request, output, outcome), actor.name)]


def _pictures(request: GenerationRequest) -> dict[str, bytes]:
    """The job's pictures, read here to travel with it: "front" and each extra view."""
    pictures = {}
    if request.image_path is not None:
        pictures["front"] = Path(request.image_path).read_bytes()
    for view, path in request.views.items():
        pictures[view] = Path(path).read_bytes()
    return pictures


def _result(request: GenerationRequest, output: Path, outcome: RemoteOutcome) -> GenerationResult:
    """The worker's outcome as a local result: its GLB written at `output` and read back here."""
    base = GenerationResult(request, outcome.status, message=outcome.message, timings=outcome.timings)
    if outcome.status is not JobStatus.DONE or outcome.glb is None:
        return base
    from app.core.base.errors import SweedleError
    from app.core.formats.glb_reader import read_glb

    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(output, outcome.glb)
        lodset = read_glb(output)
    except (SweedleError, OSError) as exc:
        return replace(
            base, status=JobStatus.FAILED, message=f"the GLB from worker {outcome.worker} is unusable: {exc}"
        )
    return replace(base, output_path=output, lods=outcome.lods, report=outcome.report, lodset=lodset)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]

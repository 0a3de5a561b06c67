"""`sweedle queue ...`: the persistent job queue from the command line, the same queue the
window's Queue panel shows (it lives in the library's database).

`add` queues a folder of pictures (or several pictures) as one batch; `run` works through the
queue on this machine or, with `--farm ADDRESS`, on a Ray farm, and can be stopped and started
again at any time: a job never runs twice and none is lost.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from app.cli.exits import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from app.cli.requests import RequestOptions, add_request_options
from app.cli.terminal import shown
from app.core.base.errors import SweedleError
from app.core.generation.request import GenerationResult, JobStatus
from app.core.queue.records import Priority, QueuedJob
from app.core.queue.runner import RunnerListener

_PRIORITIES = [p.label for p in Priority]


def register(sub: Any) -> None:
    parser = sub.add_parser("queue", help="the persistent job queue: batches, priorities, farm runs")
    actions = parser.add_subparsers(dest="queue_command", metavar="ACTION", required=True)

    add = actions.add_parser(
        "add",
        help="queue a folder of pictures, or several pictures, as one batch",
        description="Queue PATHs as one batch: a folder gives its picture files (sorted by name).",
    )
    add.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    add.add_argument("--name", help="the batch's name (default: the folder's or first picture's)")
    add.add_argument("--priority", choices=_PRIORITIES, default="normal")
    add_request_options(add)
    add.add_argument(
        "--force", action="store_true", help="generate even when the library holds the same version"
    )
    add.set_defaults(run=_cmd_add)

    ls = actions.add_parser("list", help="batches with their progress, and every job")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(run=_cmd_list)

    run = actions.add_parser(
        "run",
        help="run the queue here or on a farm until nothing is waiting",
        description="Run waiting jobs in priority order and save each result into the library. "
        "Ctrl+C stops: running jobs go back to the queue and the next run resumes them.",
    )
    run.add_argument(
        "--farm", metavar="ADDRESS", help="run on the Ray farm at HOST:PORT (default: this machine)"
    )
    run.add_argument(
        "--token-file", type=Path, metavar="FILE", help="the farm's token (default: the saved one)"
    )
    run.add_argument("--watch", action="store_true", help="keep running and take new jobs as they are added")
    run.add_argument("--json", action="store_true", help="one JSON line per finished job on stdout")
    run.set_defaults(run=_cmd_run)

    for name, verb in (
        ("cancel", "cancel jobs (running ones stop at their next step)"),
        ("retry", "queue failed or cancelled jobs again"),
    ):
        cmd = actions.add_parser(name, help=verb)
        cmd.add_argument("ids", nargs="*", type=int, metavar="JOB")
        cmd.add_argument("--batch", type=int, metavar="BATCH", help="every job of this batch")
        cmd.set_defaults(run=_cmd_cancel if name == "cancel" else _cmd_retry)

    prio = actions.add_parser("priority", help="change the priority of waiting jobs")
    prio.add_argument("priority", choices=_PRIORITIES)
    prio.add_argument("ids", nargs="*", type=int, metavar="JOB")
    prio.add_argument("--batch", type=int, metavar="BATCH")
    prio.set_defaults(run=_cmd_priority)

    move = actions.add_parser(
        "move", help="move a waiting job earlier (negative) or later among its priority"
    )
    move.add_argument("id", type=int, metavar="JOB")
    move.add_argument("steps", type=int, metavar="STEPS")
    move.set_defaults(run=_cmd_move)

    for name, verb in (("pause", "start no new job (running ones finish)"), ("resume", "start jobs again")):
        actions.add_parser(name, help=verb).set_defaults(run=_cmd_pause if name == "pause" else _cmd_resume)

    remove = actions.add_parser(
        "remove", help="forget jobs that are not running (assets stay in the library)"
    )
    remove.add_argument("ids", nargs="*", type=int, metavar="JOB")
    remove.add_argument("--finished", action="store_true", help="every finished job")
    remove.set_defaults(run=_cmd_remove)


def _queue() -> Any:
    from app.cli.library import open_for_cli
    from app.core.queue.store import JobQueue

    return JobQueue(open_for_cli())


def _cmd_add(args: argparse.Namespace) -> int:
    from app.core.queue.batches import batch_name, batch_pictures

    pictures = batch_pictures(args.paths)
    options = RequestOptions.parse(args)
    requests = [options.request(picture.resolve()) for picture in pictures]
    source = args.paths[0].resolve() if len(args.paths) == 1 and args.paths[0].is_dir() else ""
    jobs = _queue()
    batch = jobs.add_batch(
        requests, args.name or batch_name(args.paths), source, Priority.parse(args.priority), args.force
    )
    print(
        f"queued batch {batch.id} {shown(repr(batch.name))}: "
        f"{batch.total} picture(s), {args.priority} priority"
    )
    if jobs.is_paused():
        print("note: the queue is paused; `sweedle queue resume` starts it again", file=sys.stderr)
    return EXIT_OK


def _cmd_list(args: argparse.Namespace) -> int:
    view = _queue().view()
    if args.json:
        print(
            json.dumps(
                {
                    "paused": view.paused,
                    "batches": [
                        {
                            "id": b.id,
                            "name": b.name,
                            "source": b.source,
                            "counts": {s.value: n for s, n in b.counts.items()},
                            "jobs": [_job_dict(j) for j in view.jobs_of(b.id)],
                        }
                        for b in view.batches
                    ],
                },
                indent=2,
            )
        )
        return EXIT_OK
    if not view.batches:
        print("the queue is empty")
        return EXIT_OK
    if view.paused:
        print("the queue is PAUSED (sweedle queue resume)")
    for batch in view.batches:
        states = ", ".join(f"{n} {s.value}" for s, n in sorted(batch.counts.items()))
        print(
            f"batch {batch.id} {shown(repr(batch.name))}: {batch.finished}/{batch.total} finished ({states})"
        )
        for job in view.jobs_of(batch.id):
            where = f" on {shown(job.worker)}" if job.worker and job.status is JobStatus.RUNNING else ""
            asset = f" → asset {job.asset_id}" if job.asset_id is not None else ""
            detail = f"  {shown(job.message)}" if job.message else ""
            print(
                f"  {job.id:>5}  {job.priority.label:<6} {job.status.value:<9} "
                f"{shown(job.label)[:40]}{where}{asset}{detail}"
            )
    return EXIT_OK


def _job_dict(job: QueuedJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "label": job.label,
        "priority": job.priority.label,
        "status": job.status.value,
        "attempts": job.attempts,
        "worker": job.worker,
        "message": job.message,
        "asset_id": job.asset_id,
        "image": job.request.get("image_path"),
    }


def _ids(args: argparse.Namespace, jobs: Any) -> list[int]:
    if args.batch is not None:
        return [j.id for j in jobs.view().jobs_of(args.batch)] or _no_batch(args.batch)
    if not args.ids:
        raise SweedleError("give job ids, or --batch BATCH")
    return list(args.ids)


def _no_batch(batch: int) -> list[int]:
    raise SweedleError(f"there is no batch {batch} in the queue (sweedle queue list)")


def _cmd_cancel(args: argparse.Namespace) -> int:
    jobs = _queue()
    n = jobs.cancel(_ids(args, jobs))
    print(f"cancelled {n} job(s) (running ones stop at their next step)")
    return EXIT_OK


def _cmd_retry(args: argparse.Namespace) -> int:
    jobs = _queue()
    n = jobs.retry(_ids(args, jobs))
    print(f"queued {n} failed or cancelled job(s) again")
    return EXIT_OK


def _cmd_priority(args: argparse.Namespace) -> int:
    jobs = _queue()
    n = jobs.set_priority(_ids(args, jobs), Priority.parse(args.priority))
    print(f"{n} waiting job(s) now {args.priority} priority")
    return EXIT_OK


def _cmd_move(args: argparse.Namespace) -> int:
    _queue().move(args.id, args.steps)
    return EXIT_OK


def _cmd_pause(args: argparse.Namespace) -> int:
    _queue().set_paused(True)
    print("queue paused: running jobs finish, no new job starts")
    return EXIT_OK


def _cmd_resume(args: argparse.Namespace) -> int:
    _queue().set_paused(False)
    print("queue resumed")
    return EXIT_OK


def _cmd_remove(args: argparse.Namespace) -> int:
    jobs = _queue()
    n = jobs.clear_finished() if args.finished else jobs.remove(args.ids)
    print(f"removed {n} job(s)")
    return EXIT_OK


class _Printer(RunnerListener):
    """Runner events as lines on stderr (stdout with --json gets one object per finished job)."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.started: dict[int, float] = {}

    def job_started(self, job: QueuedJob) -> None:
        self.started[job.id] = time.monotonic()
        print(f"start [job {job.id}] {shown(job.label)} on {shown(job.worker)}", file=sys.stderr)

    def job_ended(self, job: QueuedJob, result: GenerationResult | None) -> None:
        took = time.monotonic() - self.started.pop(job.id, time.monotonic())
        label = f"[job {job.id}] {shown(job.label)}"
        if job.status is JobStatus.DONE:
            print(
                f"ok    {label} → asset {job.asset_id} ({took:.1f} s on {shown(job.worker)})", file=sys.stderr
            )
        elif job.status is JobStatus.QUEUED:
            print(f"retry {label}: {shown(job.message)}", file=sys.stderr)
        elif job.status is JobStatus.CANCELLED:
            print(f"cancelled {label}", file=sys.stderr)
        else:
            print(f"error: {label}: {shown(job.message)}", file=sys.stderr)
        if self.as_json and job.status.finished:
            print(json.dumps(_job_dict(job)), flush=True)


def _cmd_run(args: argparse.Namespace) -> int:
    from app.core.paths import cache_dir
    from app.core.queue import farm
    from app.core.queue.local import LocalExecutor
    from app.core.queue.runner import QueueRunner

    settings = farm.load_settings()
    jobs = _queue()
    if args.farm:
        from app.core.queue.ray_executor import RayExecutor

        executor: Any = RayExecutor(args.farm, farm.find_token(token_file=args.token_file))
        print(f"connected to the farm at {shown(args.farm)}", file=sys.stderr)
    else:
        executor = LocalExecutor()
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, _stop_on_interrupt(stop))
    runner = QueueRunner(jobs, executor, cache_dir() / "queue", _Printer(args.json), settings.max_attempts)
    try:
        summary = runner.run(stop, until_idle=not args.watch)
    finally:
        signal.signal(signal.SIGINT, previous)
        executor.close()
    if summary.recovered:
        print(
            f"note: {len(summary.recovered)} job(s) left running by a stopped app were queued again",
            file=sys.stderr,
        )
    print(
        f"done {summary.done}, failed {summary.failed}, cancelled {summary.cancelled}, "
        f"retried on another worker {summary.retried}",
        file=sys.stderr,
    )
    if stop.is_set():
        return EXIT_INTERRUPTED
    return EXIT_FAILED if summary.failed else EXIT_OK


def _stop_on_interrupt(stop: threading.Event) -> Any:
    """First Ctrl+C stops the run (running jobs go back to the queue); a second one aborts."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        print("\nstopping… running jobs go back to the queue (Ctrl+C again to abort)", file=sys.stderr)

    return handler

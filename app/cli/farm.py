"""`sweedle farm ...`: make machines into a Ray render farm for the queue.

`farm head` starts the farm on the artist's machine (and keeps the token for this user);
`farm worker --address HEAD:PORT` joins a GPU machine with Sweedle installed, one worker per GPU;
`farm status` lists the workers with their GPU, free VRAM and current job. Both node commands
stay in the foreground; Ctrl+C takes the machine out of the farm.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from app.cli.exits import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from app.cli.terminal import shown
from app.core.base.errors import SweedleError

STATUS_WAIT_S = 20.0
"""`farm status` waits this long for workers that are still starting."""


def register(sub: Any) -> None:
    parser = sub.add_parser("farm", help="a Ray render farm of GPU machines for the queue")
    actions = parser.add_subparsers(dest="farm_command", metavar="ACTION", required=True)

    head = actions.add_parser("head", help="start the farm's head on this machine (stays in the foreground)")
    head.add_argument("--port", type=int, default=6379)
    head.add_argument(
        "--bind", metavar="IP", help="this machine's address the workers reach; 127.0.0.1 = this machine only"
    )
    head.add_argument(
        "--cpu-workers", type=int, default=0, metavar="N", help="also run N workers on this CPU"
    )
    head.add_argument(
        "--token-file", type=Path, metavar="FILE", help="use this token (default: saved, else a new one)"
    )
    head.set_defaults(run=_cmd_head)

    worker = actions.add_parser(
        "worker", help="join the farm at ADDRESS with this machine's GPUs (stays in the foreground)"
    )
    worker.add_argument("--address", required=True, metavar="HOST:PORT", help="the head's address")
    worker.add_argument(
        "--token-file", type=Path, metavar="FILE", help="the farm's token (default: the saved one)"
    )
    worker.add_argument(
        "--cpu-workers", type=int, default=0, metavar="N", help="also run N workers on the CPU"
    )
    worker.add_argument("--bind", metavar="IP", help="this machine's address the head reaches")
    worker.set_defaults(run=_cmd_worker)

    status = actions.add_parser("status", help="the farm's workers: GPU, free VRAM, current job")
    status.add_argument("--farm", metavar="ADDRESS", help="the head's address (default: the saved one)")
    status.add_argument("--token-file", type=Path, metavar="FILE")
    status.set_defaults(run=_cmd_status)

    token = actions.add_parser("token", help="show where the farm token is kept, or set it")
    token.add_argument("--set", dest="value", metavar="TOKEN", help="keep this token for this user")
    token.set_defaults(run=_cmd_token)


def _cmd_head(args: argparse.Namespace) -> int:
    from app.core.queue import farm

    _check_ray()
    token = farm.find_token(token_file=args.token_file) or farm.new_token()
    path = farm.save_token(token)
    start = farm.node_start(True, token, port=args.port, bind=args.bind, cpu_workers=args.cpu_workers)
    address = f"{args.bind or 'THIS-MACHINE-IP'}:{args.port}"
    if args.bind:  # the address the window and `sweedle queue run --farm` use by default
        settings = farm.load_settings()
        settings.address = address
        farm.save_settings(settings)
    print(f"farm head on port {args.port} with {start.describe()}; token kept in {path}", file=sys.stderr)
    print(
        f"join a GPU machine: copy {path.name} there, then `sweedle farm token --set TOKEN` and "
        f"`sweedle farm worker --address {address}`",
        file=sys.stderr,
    )
    return _run_node(start)


def _cmd_worker(args: argparse.Namespace) -> int:
    from app.core.queue import farm

    _check_ray()
    token = farm.find_token(token_file=args.token_file)
    if token is None:
        raise SweedleError(
            "no farm token here: copy it from the head (`sweedle farm token` there shows where it is) "
            "and run `sweedle farm token --set TOKEN`, or give --token-file"
        )
    start = farm.node_start(False, token, address=args.address, bind=args.bind, cpu_workers=args.cpu_workers)
    print(f"joining the farm at {shown(args.address)} with {start.describe()}", file=sys.stderr)
    return _run_node(start)


def _run_node(start: Any) -> int:
    """Run `ray start --block` until it ends or Ctrl+C (which stops this machine's Ray)."""

    env = {**os.environ, **start.env}
    process = subprocess.Popen(start.argv, env=env)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        code = process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait(timeout=60)
        print("left the farm", file=sys.stderr)
        return EXIT_INTERRUPTED
    if code != 0:
        print(f"error: Ray stopped with exit code {code} (its messages are above)", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (a service manager stopping the farm) leaves the farm like Ctrl+C does."""
    raise KeyboardInterrupt


def _cmd_status(args: argparse.Namespace) -> int:
    from app.core.queue import farm
    from app.core.queue.ray_executor import RayExecutor

    _check_ray()
    address = args.farm or farm.load_settings().address
    if not address:
        raise SweedleError("no farm address: give --farm HOST:PORT (or start one with `sweedle farm head`)")
    executor = RayExecutor(address, farm.find_token(token_file=args.token_file))
    try:
        deadline = time.monotonic() + STATUS_WAIT_S
        while time.monotonic() < deadline and any(w.note == "starting…" for w in executor.workers()):
            executor.poll(0.2)
        workers = executor.workers()
    finally:
        executor.close()
    if not workers:
        print(
            f"the farm at {shown(address)} has no Sweedle workers: "
            f"run `sweedle farm worker --address {shown(address)}` on a GPU machine"
        )
        return EXIT_OK
    print(f"{'WORKER':<28} {'GPU':<28} {'VRAM FREE':>12}  STATE")
    for w in workers:
        vram = f"{w.vram_free_gb:.1f}/{w.vram_total_gb:.0f} GB" if w.vram_total_gb else "-"
        state = w.note or ("idle" if w.current_job is None else f"job {w.current_job}")
        print(f"{shown(w.name)[:28]:<28} {shown(w.gpu)[:28]:<28} {vram:>12}  {shown(state)}")
    return EXIT_OK


def _cmd_token(args: argparse.Namespace) -> int:
    from app.core.queue import farm

    if args.value:
        print(f"farm token kept in {farm.save_token(args.value)} (readable by this user only)")
        return EXIT_OK
    token = farm.find_token()
    if token is None:
        print(f"no farm token kept yet ({farm.token_path()}): `sweedle farm head` makes one")
    else:
        print(f"the farm token is kept in {farm.token_path()}")
    return EXIT_OK


def _check_ray() -> None:
    from app.core.queue import farm

    available = farm.availability()
    if not available.ok:
        raise SweedleError(available.reason)

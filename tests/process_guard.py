"""Catch a process being started, or a file being written, while a test loads hostile input.

Python's audit hooks see every `subprocess.Popen`, `os.system`, `os.posix_spawn`, `os.exec*`,
`os.fork` and `open` in the process, from any thread and any library (Pillow starting
Ghostscript included). A hook cannot be removed, so one is installed on first use and does
nothing unless a `watching` block is active.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SPAWN_EVENTS = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.posix_spawn",
        "os.spawn",
        "os.exec",
        "os.fork",
        "os.forkpty",
        "os.startfile",
        "pty.spawn",
    }
)
WRITE_EVENTS = frozenset(
    {"os.mkdir", "os.rename", "os.remove", "os.rmdir", "os.truncate", "os.link", "os.symlink"}
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class _Watch:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = False
        self.forbid_processes = False
        self.processes: list[str] = []
        self.writes: list[str] = []
        self.installed = False


_watch = _Watch()


class Seen:
    """What happened while a `watching` block was active."""

    def __init__(self) -> None:
        self.processes: list[str] = []
        self.writes: list[str] = []


@contextmanager
def watching(*, forbid_processes: bool) -> Iterator[Seen]:
    """Record processes started and files written (any thread) until the block ends; with
    `forbid_processes` a start also fails at once, so nothing runs even if a caller swallows it."""
    with _watch.lock:
        if not _watch.installed:
            sys.addaudithook(_hook)
            _watch.installed = True
        assert not _watch.active, "watching blocks do not nest"
        _watch.processes, _watch.writes = [], []
        _watch.forbid_processes, _watch.active = forbid_processes, True
    seen = Seen()
    try:
        yield seen
    finally:
        with _watch.lock:
            _watch.active = False
            seen.processes, seen.writes = list(_watch.processes), list(_watch.writes)


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _watch.active:
        return
    if event in SPAWN_EVENTS:
        _watch.processes.append(f"{event} {args[:2]!r}")
        if _watch.forbid_processes:
            raise RuntimeError(f"this test forbids starting a process: {event} {args[:2]!r}")
    elif event == "open" and isinstance(args[2], int) and args[2] & _WRITE_FLAGS:
        path = str(args[0])
        if "__pycache__" not in path:  # Python caching the bytecode of a module imported meanwhile
            _watch.writes.append(f"open {path!r} for writing")
    elif event in WRITE_EVENTS:
        _watch.writes.append(f"{event} {args[:2]!r}")

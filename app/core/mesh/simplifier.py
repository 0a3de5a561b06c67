"""The quadric simplifier's call, in this process or in a child process that stays alive.

fast-simplification holds the GIL for its whole call: ~50 ms for a generated 88k-triangle LOD0,
about a second for a million triangles. In a process with a GUI thread that is a frozen window,
since every Python slot waits for the GIL. A front end with a GUI thread calls `use_child_process`:
the call then runs in a spawned child kept between calls (its start, ~0.3 s, is paid once, off
the job, by `start_child`), and the waiting thread holds no GIL while the child works. A command
line run keeps the call in process, where a child would only add its start.
"""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from app.core.base.child_outcome import run_for_parent, value_from_child
from app.core.base.errors import GenerationError

AGGRESSIVENESS = 7
"""fast-simplification's `agg`: how fast its collapse threshold grows per iteration."""

Simplified = tuple[np.ndarray, np.ndarray, np.ndarray]
"""(points, faces, collapses) as fast-simplification returns them."""

_LOCK = threading.Lock()
"""fast-simplification keeps the mesh being simplified in C module globals, and the child serves
one call at a time: one call at a time."""


@dataclass
class _Child:
    process: Any
    connection: Connection


_child: _Child | None = None
_use_child = False


def use_child_process(enabled: bool = True) -> None:
    """Simplify in the child process from now on (or in this process again)."""
    global _use_child
    _use_child = enabled


def start_child() -> None:
    """Start the child now, so that the first simplification does not wait for it."""
    with _LOCK:
        _running_child()


def child_pid() -> int | None:
    """The child's process id while it runs (for tests)."""
    return _child.process.pid if _child is not None and _child.process.is_alive() else None


def simplify_arrays(
    vertices: np.ndarray, faces: np.ndarray, target: int, preserve_border: bool
) -> Simplified:
    """`faces` over `vertices` collapsed towards `target` triangles, with the collapse history."""
    with _LOCK:
        if not _use_child:
            return _simplify(vertices, faces, target, preserve_border)
        child = _running_child()
        try:
            child.connection.send((vertices, faces, target, preserve_border))
            outcome = child.connection.recv()
        except (EOFError, OSError) as exc:
            _stop_child()
            raise GenerationError(
                f"the mesh simplifier stopped unexpectedly ({exc or type(exc).__name__}):"
                " try a lower triangle budget"
            ) from exc
    return value_from_child(outcome, "mesh simplification")  # type: ignore[no-any-return]


def _simplify(vertices: np.ndarray, faces: np.ndarray, target: int, preserve_border: bool) -> Simplified:
    import fast_simplification

    return fast_simplification.simplify(  # type: ignore[no-any-return]
        vertices,
        faces,
        target_count=target,
        agg=AGGRESSIVENESS,
        return_collapses=True,
        preserve_border=preserve_border,
    )


def _running_child() -> _Child:
    global _child
    if _child is not None and not _child.process.is_alive():
        _stop_child()
    if _child is None:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(theirs,), name="sweedle-simplifier", daemon=True)
        process.start()
        theirs.close()
        _child = _Child(process, ours)
    return _child


def _stop_child() -> None:
    global _child
    if _child is not None:
        _child.connection.close()
        if _child.process.is_alive():
            _child.process.kill()
        _child.process.join(timeout=5)
        _child = None


def _serve(connection: Connection) -> None:
    """The child's life: one simplification per message until the parent closes the pipe."""
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(run_for_parent(lambda job=job: _simplify(*job), "lower the triangle budget"))

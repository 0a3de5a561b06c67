"""What a worker child process sends its parent, and how the parent reads it.

The UV unwrapper and the mesh simplifier run their native code in child processes (it holds the
GIL for the whole call). A child never dies silently of an exception: it sends ("ok", value) or
("error", a one-line message), and the parent turns an error into a `GenerationError` a person
can read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.core.base.errors import GenerationError

Outcome = tuple[str, Any]


def run_for_parent(call: Callable[[], Any], out_of_memory: str) -> Outcome:
    """In the child: `call()`'s value, or what went wrong in one line (`out_of_memory` says what
    to do when memory ran out)."""
    try:
        return ("ok", call())
    except MemoryError:
        return ("error", f"out of memory: {out_of_memory}")
    except Exception as exc:
        return ("error", f"{type(exc).__name__}: {exc}")


def value_from_child(outcome: Outcome, what: str) -> Any:
    """In the parent: the child's value, or a `GenerationError` saying `what` failed and why."""
    status, payload = outcome
    if status != "ok":
        raise GenerationError(f"{what} failed: {payload}")
    return payload

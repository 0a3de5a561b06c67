"""Which process owns a temporary file or folder, so a clean-up pass removes only what a dead
process left behind and never the file another running Sweedle is writing at that moment.

The owner tag is the process id plus the process's start time (a reused pid has another start
time). It is part of the temporary name itself, so there is no side file to lose or to race on.
Where the start time cannot be read (not Linux) the pid alone decides; where liveness cannot be
checked at all (Windows), and for names without a tag (written by older builds), only age does.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import time
from pathlib import Path

UNTAGGED_MAX_AGE_S = 3600.0
"""A temporary without an owner we can check is a leftover once it is this old: every writer
finishes its temporary files in well under this time."""

TAG_PATTERN = r"o(\d+)-(\d+)"
"""How `owner_tag()` looks inside a name (pid, start time), for the name patterns that embed it."""


def owner_tag() -> str:
    """This process's tag, e.g. "o4242-1839234" (pid 4242, started at clock tick 1839234)."""
    return _tag(os.getpid())  # looked up per call: a forked child has its own pid


@functools.cache
def _tag(pid: int) -> str:
    return f"o{pid}-{_start_time(pid) or 0}"


def is_orphan(path: Path, pattern: re.Pattern[str]) -> bool:
    """True when `path` (a temporary file or folder whose name matches `pattern`, with the owner's
    pid and start time as its first two groups) belongs to no running process."""
    match = pattern.fullmatch(path.name)
    alive = _alive(int(match.group(1)), int(match.group(2))) if match else None
    if alive is not None:
        return not alive
    try:
        age = time.time() - path.lstat().st_mtime
    except OSError:
        return False
    return age > UNTAGGED_MAX_AGE_S


def _alive(pid: int, start: int) -> bool | None:
    """Whether process `pid` that started at `start` still runs; None when this cannot be known."""
    if sys.platform.startswith("linux"):
        return _start_time(pid) == start
    if os.name == "posix":
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return None


def _start_time(pid: int) -> int | None:
    """Linux: the process's start time in clock ticks since boot (field 22 of /proc/PID/stat),
    None when there is no such process or no /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()  # the command name before ")" may hold spaces
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None

"""Atomic file writes: a reader (a game engine watching its folder, or the user) sees either the
old file or the complete new one, never a truncated file, even if the app dies mid-write.

The data goes to a hidden temporary file in the target's folder (same file system, so the final
`os.replace` is atomic; the leading dot keeps Unity and Godot from importing it), is flushed to
disk, then renamed over the target. Leftovers of a killed process end in `TEMP_SUFFIX` and carry
their writer's owner tag (pid + start time), so a later run can delete exactly the ones whose
writer is gone (`formats.leftovers`). A failure on the disk raises `WriteError`, whose message
names the file and what to do.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from app.core.base.disk_errors import WriteError
from app.core.base.owner import TAG_PATTERN, owner_tag

TEMP_PREFIX = "."
TEMP_SUFFIX = ".sweedle-tmp"
TEMP_PATTERN = re.compile(rf"\..*\.{TAG_PATTERN}\.[0-9a-f]{{8}}{re.escape(TEMP_SUFFIX)}", re.S)
"""A temporary file's name; its groups are the owner's pid and start time."""
_NAME_BYTES = 120
"""How much of the target's name a temporary file repeats, so the longest names still fit the
file system's 255-byte limit with the tag added."""


@contextmanager
def atomic_write(
    path: Path, mode: str = "wb", *, owner: str | None = None, sync: bool = True, permissions: int = 0o666
) -> Iterator[IO[Any]]:
    """Yield a file object whose content replaces `path` only when the block completes.

    `mode` is "wb" (bytes) or "w" (UTF-8 text, "\\n" line ends on every OS). On any exception,
    KeyboardInterrupt and cancellation included, the temporary file is deleted and `path` is
    left untouched. `owner` tags the temporary name for a cleaner that goes by another owner
    (the library's lease token; default this process's tag); `sync=False` skips the flush to
    the platter, for copies rewritten on every edit; `permissions` (before the umask) keeps a
    secret to its user.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write mode must be 'wb' or 'w', not {mode!r}")
    path = Path(path)
    tmp = path.with_name(temp_name(path.name, owner))
    text = {"encoding": "utf-8", "newline": "\n"} if mode == "w" else {}
    # Opened before the try: if the temp file cannot be created, there is nothing of ours to delete.
    try:
        f = open(tmp, mode, opener=_exclusive(permissions), **text)  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        raise WriteError(path, exc) from exc
    try:
        with f:
            yield f
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, WriteError):
            raise WriteError(path, exc) from exc
        raise


def temp_name(name: str, owner: str | None = None) -> str:
    """The hidden temporary name for writing `name`: its owner (default this process's owner tag)
    and a random part."""
    short = name.encode("utf-8", "surrogateescape")[:_NAME_BYTES].decode("utf-8", "ignore")
    return f"{TEMP_PREFIX}{short}.{owner or owner_tag()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"


def _exclusive(permissions: int) -> Callable[[str, int], int]:
    """An opener that never clobbers another writer's temp file; the default 0o666 lets the umask
    set permissions as for any new file (mkstemp would force 0o600)."""
    return lambda path, flags: os.open(path, flags | os.O_EXCL, permissions)


def atomic_write_bytes(path: Path, data: bytes | bytearray | memoryview, *, permissions: int = 0o666) -> None:
    """Replace `path` with `data` atomically."""
    with atomic_write(path, "wb", permissions=permissions) as f:
        f.write(data)

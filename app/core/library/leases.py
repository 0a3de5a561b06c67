"""Which process owns what in a shared library: leases that die with their process.

Several processes use one library at once (the window, `sweedle generate`, `sweedle library
list` ...). Each open `Library` holds a lease: a file `leases/<token>.lock` locked with an OS
lock. The kernel drops the lock when the process ends, however it ends (SIGKILL included), so
"is the lock still held?" answers "is the owner alive?" with no PID-reuse trap. Saves in
progress and temporary files carry their owner's token; the crash-recovery pass touches only
those whose owner is gone.

Every open library also holds a shared lock on `leases/open.lock`; a rebuild takes it
exclusively, so it never runs under a process that has the database open.

POSIX uses `flock`; Windows `msvcrt.locking` (no shared locks there: a rebuild checks the
leases instead). Where the file system refuses locks (some network shares) a lease falls back
to the process id and start time it records.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import socket
import weakref
from contextlib import suppress
from pathlib import Path

LEASES_DIR = "leases"
OPEN_LOCK = "open.lock"
_TOKEN = re.compile(r"^[0-9a-f]{16}$")
_UNBORN_SUFFIX = ".lock-new"

if os.name == "posix":
    import fcntl

    def _lock(fd: int, shared: bool = False) -> bool:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                return False
            raise
        return True

else:  # pragma: no cover - Windows
    import msvcrt

    def _lock(fd: int, shared: bool = False) -> bool:
        if shared:
            return True
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EDEADLK):
                return False
            raise
        return True


def new_token() -> str:
    return secrets.token_hex(8)


def is_token(text: str) -> bool:
    return bool(_TOKEN.match(text))


class Lease:
    """This process's claim on a library; `release()` (or the process ending) drops it."""

    def __init__(self, token: str, path: Path, fd: int, open_fd: int | None) -> None:
        self.token = token
        self.path = path
        # Closes the descriptors once: at release(), or when the lease is garbage-collected.
        self._close = weakref.finalize(self, _close_all, fd, open_fd)

    def release(self) -> None:
        if self._close.alive:
            self._close()  # closed first: Windows cannot delete an open file
            with suppress(OSError):
                self.path.unlink()


def acquire(leases_dir: Path, exclusive: bool = False) -> Lease:
    """A new lease in `leases_dir`, locked before anyone can see it, holding the open-lock shared
    (or, for a rebuild, `exclusive`). Raises LibraryBusy when the open-lock is taken the other
    way, OSError when the folder cannot be written (read-only disk, full disk, permissions)."""
    leases_dir.mkdir(parents=True, exist_ok=True)
    open_fd = _hold_open_lock(leases_dir, exclusive)
    try:
        for _attempt in range(8):
            token = new_token()
            final = leases_dir / f"{token}.lock"
            # POSIX: born under another name and renamed once locked, so a sweep never sees an
            # unlocked lease. Windows cannot rename an open file, nor delete one: no sweep can
            # remove a file its owner holds open, so it is born under its final name.
            unborn = leases_dir / f".{token}{_UNBORN_SUFFIX}" if os.name == "posix" else final
            fd = os.open(unborn, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                locked = _lock_new(fd)
                if locked is None:
                    _close(fd)  # a sweep holds the unborn file: it will remove it; take another name
                    continue
                os.write(fd, json.dumps(_identity(locked)).encode())
                if unborn != final:
                    os.replace(unborn, final)
            except FileNotFoundError:
                _close(fd)  # a sweep removed the unborn file before we locked it: take another name
                continue
            except BaseException:
                _close(fd)
                with suppress(OSError):
                    unborn.unlink()
                raise
            return Lease(token, final, fd, open_fd)
    except BaseException:
        if open_fd is not None:
            _close(open_fd)
        raise
    if open_fd is not None:
        _close(open_fd)
    raise OSError(errno.EEXIST, f"could not create a lease in {leases_dir}")


def owner_alive(leases_dir: Path, token: str) -> bool:
    """Whether the process holding lease `token` is still running. A dead owner's lease file is
    removed on the way. When it cannot tell (unreadable folder), it answers True: nothing of a
    live process may ever be touched."""
    path = leases_dir / f"{token}.lock"
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    try:
        try:
            got = _lock(fd)
        except OSError:
            return _identity_alive(fd)
        if not got:
            return True
        with suppress(OSError):
            os.unlink(path)
        return False
    finally:
        _close(fd)


def live_owners(leases_dir: Path) -> list[dict[str, object]]:
    """What the live leases say about their processes (pid, host), e.g. for a refusal message."""
    found = []
    for path in sorted(leases_dir.glob("*.lock")) if leases_dir.is_dir() else []:
        if is_token(path.stem) and owner_alive(leases_dir, path.stem):
            found.append(_read_identity(path))
    return found


def sweep(leases_dir: Path) -> int:
    """Remove the lease files of processes that are gone; return how many."""
    if not leases_dir.is_dir():
        return 0
    removed = 0
    for path in leases_dir.iterdir():
        name = path.name
        if name.endswith(".lock") and is_token(path.stem):
            removed += not owner_alive(leases_dir, path.stem)
        elif name.startswith(".") and name.endswith(_UNBORN_SUFFIX):
            removed += _remove_if_unlocked(path)
    return removed


def _hold_open_lock(leases_dir: Path, exclusive: bool) -> int | None:
    if os.name != "posix":
        if exclusive and live_owners(leases_dir):
            raise LibraryBusy(f"the library in {leases_dir.parent} is open in another process")
        return None
    fd = os.open(leases_dir / OPEN_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _lock(fd, shared=not exclusive):
            what = "open in another process" if exclusive else "being rebuilt"
            raise LibraryBusy(f"the library in {leases_dir.parent} is {what}")
    except BaseException:
        _close(fd)
        raise
    return fd


class LibraryBusy(OSError):
    """Another process holds the library exclusively (a rebuild)."""


def _lock_new(fd: int) -> bool | None:
    """Lock a new lease: True; None when someone else holds it (a sweep); False when the file
    system has no locks (the lease then relies on its recorded process id and start time)."""
    try:
        return True if _lock(fd) else None
    except OSError as exc:
        if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
            return False
        raise


def _identity(locked: bool) -> dict[str, object]:
    return {
        "pid": os.getpid(),
        "started": _start_time(os.getpid()),
        "host": socket.gethostname(),
        "locked": locked,
    }


def _read_identity(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8")[:4096])
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _identity_alive(fd: int) -> bool:
    """No lock to ask: the recorded process must exist with the same start time, on this host."""
    try:
        data = json.loads(os.read(fd, 4096).decode("utf-8"))
    except (OSError, ValueError):
        return True
    if not isinstance(data, dict) or data.get("host") != socket.gethostname():
        return True
    pid = data.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        pass
    started = data.get("started")
    return started is None or started == _start_time(pid)


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), so a reused PID is told apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return int(fields[19]) if len(fields) > 19 and fields[19].isdigit() else None


def _remove_if_unlocked(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        if not _lock(fd):
            return False
        path.unlink()
        return True
    except OSError:
        return False
    finally:
        _close(fd)


def _close(fd: int) -> None:
    with suppress(OSError):
        os.close(fd)


def _close_all(fd: int, open_fd: int | None) -> None:
    for each in (fd, open_fd):
        if each is not None:
            _close(each)

"""Disk, permission and lock failures as one line a person can act on: which file, what went
wrong in plain words, and what to do about it (instead of an errno and a traceback)."""

from __future__ import annotations

import errno
from pathlib import Path

from app.core.base.errors import SweedleError

_REASON_BY_NAME: dict[str, str] = {
    "ENOSPC": "the disk is full. Free some space (or choose a folder on another drive) and try again",
    "EDQUOT": "your disk quota is used up. Free some space (or choose another drive) and try again",
    "EACCES": "permission denied. Choose a folder you can write to, or change its permissions",
    "EPERM": "the operation is not permitted. Choose a folder you can write to, or change its permissions",
    "EROFS": "the drive is read-only. Choose a folder on a writable drive",
    "ENOENT": "its folder does not exist (was it moved or removed?). Create it or choose another folder",
    "ENOTDIR": "part of the path is a file, not a folder. Choose another folder",
    "EISDIR": "it is a folder. Give a file name inside it instead",
    "EEXIST": "something with that name is in the way. Move it or choose another name",
    "ENAMETOOLONG": "the name is too long for the file system. Choose a shorter name or folder",
    "EBUSY": "it is in use by another program. Close that program and try again",
    "ETXTBSY": "it is in use by another program. Close that program and try again",
    "EIO": "the drive reported an input/output error. Check that it is still connected and healthy",
    "EMFILE": "too many files are open. Close some programs and try again",
    "EFBIG": "the file is too large for this drive's file system. Choose another drive",
}
_REASONS = {getattr(errno, name): reason for name, reason in _REASON_BY_NAME.items() if hasattr(errno, name)}
"""By errno (not every name exists on every OS)."""


def disk_error_message(path: Path | str, exc: OSError, action: str = "write") -> str:
    """One line for `exc` met while trying to `action` (write, create, move...) `path`."""
    reason = _REASONS.get(exc.errno or 0)
    if reason is None:
        reason = f"{exc.strerror or exc}. Check the drive and the folder, then try again"
    return f"Could not {action} {path}: {reason}."


class WriteError(SweedleError, OSError):
    """A write that failed on the disk: a SweedleError (its message is for people) that is still
    an OSError with the original errno, so callers that handle OSError keep working."""

    def __init__(self, path: Path | str, cause: OSError, action: str = "write") -> None:
        OSError.__init__(self, cause.errno, cause.strerror, str(path))
        self.message = disk_error_message(path, cause, action)

    def __str__(self) -> str:
        return self.message

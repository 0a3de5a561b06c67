"""The asset folders on disk: `assets/<uid>/v<N>/` holds one version's files.

A version's folder is built under a hidden temporary name and renamed into place in one step,
so a folder with the final name is always complete; a crash leaves only a `*.sweedle-tmp`
folder that the recovery pass deletes. Emptying the trash renames a folder away the same way
before deleting it.

Every temporary name carries its writer's lease token (`.v3.<token>.<random>.sweedle-tmp`):
several processes share a library, and recovery removes only what a process that is gone left
behind, never a live process's work in progress.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.base.atomic import TEMP_PATTERN, TEMP_PREFIX, TEMP_SUFFIX, atomic_write, temp_name
from app.core.base.owner import is_orphan
from app.core.library.migrate import LibraryError

FileContent = bytes | Path
"""A file to store: its bytes, or a file to copy."""


_OWNED_TEMP = re.compile(r"^\..+\.(?P<owner>[0-9a-f]{16})\.[0-9a-f]{8}" + re.escape(TEMP_SUFFIX) + "$")
VERSION_FOLDER = re.compile(r"^v(?P<number>[1-9][0-9]{0,8})$")


@dataclass(frozen=True)
class TempItem:
    """A temporary file or folder in the store, with the lease token of the process that made it
    (None for names written by an older Sweedle, which recorded no owner)."""

    path: Path
    owner: str | None


class AssetStore:
    def __init__(self, root: Path, owner: str) -> None:
        self.root = root
        self.owner = owner
        """This process's lease token, put into every temporary name it makes."""

    def relative_folder(self, uid: str, version: int) -> str:
        return f"{uid}/v{version}"

    def write_version(self, uid: str, version: int, files: Mapping[str, FileContent]) -> Path:
        """Write one version's files into a new folder, all or nothing; return the folder."""
        final = self.root / self.relative_folder(uid, version)
        if final.exists():
            raise LibraryError(f"{final} already exists: the library's files and database disagree")
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._temp_name(final)
        tmp.mkdir()
        try:
            for name, content in files.items():
                target = tmp / name
                if isinstance(content, Path):
                    shutil.copyfile(content, target)
                else:
                    target.write_bytes(content)
                _fsync(target)
            _fsync(tmp)
            os.replace(tmp, final)
            _fsync(final.parent)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final

    def detach_asset(self, uid: str) -> Path | None:
        """Rename an asset's folder to a temporary name (one atomic step) so it can be deleted."""
        folder = self.root / uid
        if not folder.exists():
            return None
        tmp = self._temp_name(folder)
        os.replace(folder, tmp)
        return tmp

    def write_json(self, path: Path, data: dict[str, Any]) -> None:
        """Replace `path` with `data` as JSON, atomically, under an owned temporary name.

        Not flushed to the platter: these are the rebuild's copies of what the database holds,
        rewritten on every edit (a bulk edit of a thousand assets must stay quick); after a power
        cut a torn one is refused by the rebuild, which then reads the version's own file."""
        with atomic_write(path, "w", owner=self.owner, sync=False) as f:
            json.dump(data, f, indent=1, ensure_ascii=False)

    def asset_folders(self) -> list[Path]:
        """Every asset folder (`<uid>/`), temporary names left out."""
        return sorted(
            Path(e.path) for e in _entries(self.root) if e.is_dir() and not e.name.startswith(TEMP_PREFIX)
        )

    def leftover_temp(self) -> list[TempItem]:
        """Temporary files and folders (asset and version level), each with its owner's token.

        Other processes rename folders while this looks (a version moving into place, a trash
        folder going away): a folder that vanished mid-walk is simply not there."""
        found: list[Path] = []
        for asset in _entries(self.root):
            if _is_temp(asset.name):
                found.append(Path(asset.path))
                continue
            for version in _entries(asset.path):
                if _is_temp(version.name):
                    found.append(Path(version.path))
                    continue
                found += [Path(e.path) for e in _entries(version.path) if _is_temp(e.name)]
        return [TempItem(path, _owner_of(path)) for path in sorted(found)]

    def remove_temp(self, owner_alive: Callable[[str], bool]) -> list[Path]:
        """Delete the temporary files whose owner is gone; keep live processes' ones. A name with
        no lease token (a plain `atomic_write`, or an older Sweedle) is judged by its pid tag or
        its age (`owner.is_orphan`)."""
        removed = []
        for item in self.leftover_temp():
            if owner_alive(item.owner) if item.owner is not None else not is_orphan(item.path, TEMP_PATTERN):
                continue
            if item.path.is_dir():
                shutil.rmtree(item.path, ignore_errors=True)
            else:
                item.path.unlink(missing_ok=True)
            removed.append(item.path)
        return removed

    def _temp_name(self, final: Path) -> Path:
        return final.with_name(temp_name(final.name, self.owner))


def _entries(folder: str | Path) -> list[os.DirEntry[str]]:
    """The entries of a folder; none when it is not a folder (any more)."""
    try:
        with os.scandir(folder) as it:
            return list(it)
    except OSError:
        return []


def _is_temp(name: str) -> bool:
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)


def _owner_of(path: Path) -> str | None:
    match = _OWNED_TEMP.match(path.name)
    return match["owner"] if match else None


def _fsync(path: Path) -> None:
    """Flush a file, or a folder's entries (POSIX only: Windows cannot open a folder)."""
    if path.is_dir() and os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

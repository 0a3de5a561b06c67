"""The asset folders on disk: `assets/<uid>/v<N>/` holds one version's files.

A version's folder is built under a hidden temporary name and renamed into place in one step,
so a folder with the final name is always complete; a crash leaves only a `*.sweedle-tmp`
folder that the recovery pass deletes. Emptying the trash renames a folder away the same way
before deleting it.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path

from app.core.formats.atomic import TEMP_PREFIX, TEMP_SUFFIX
from app.core.library.migrate import LibraryError

FileContent = bytes | Path
"""A file to store: its bytes, or a file to copy."""


class AssetStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def relative_folder(self, uid: str, version: int) -> str:
        return f"{uid}/v{version}"

    def write_version(self, uid: str, version: int, files: Mapping[str, FileContent]) -> Path:
        """Write one version's files into a new folder, all or nothing; return the folder."""
        final = self.root / self.relative_folder(uid, version)
        if final.exists():
            raise LibraryError(f"{final} already exists: the library's files and database disagree")
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = _temp_name(final)
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
        tmp = _temp_name(folder)
        os.replace(folder, tmp)
        return tmp

    def leftover_temp(self) -> list[Path]:
        """Half-written files and folders a killed process left behind (asset and version level)."""
        if not self.root.is_dir():
            return []
        pattern = f"{TEMP_PREFIX}*{TEMP_SUFFIX}"
        found = [*self.root.glob(pattern), *self.root.glob(f"*/{pattern}"), *self.root.glob(f"*/*/{pattern}")]
        return sorted(found)

    def remove_temp(self) -> list[Path]:
        removed = self.leftover_temp()
        for path in removed:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        return removed


def _temp_name(final: Path) -> Path:
    return final.with_name(f"{TEMP_PREFIX}{final.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")


def _fsync(path: Path) -> None:
    """Flush a file, or a folder's entries (POSIX only: Windows cannot open a folder)."""
    if path.is_dir() and os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""All-or-nothing writes of a set of files (OBJ + MTL + PNG + LODs, FBX + texture, glTF + bin).

The writer runs against a hidden staging folder beside the target (same file system, so every
move is a rename); only when all files are written are they renamed into place, the main file
last. If a rename fails, the files already placed are removed and the ones they replaced put
back, so the folder holds the whole old set or the whole new one, never a mix. A killed run
leaves only the staging folder, which `formats.leftovers` removes at the next run.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from app.core.base.disk_errors import WriteError
from app.core.base.owner import owner_tag
from app.core.formats.leftovers import STAGING_PREFIX

_BACKUP = ".replaced"


def write_file_set(path: Path, writer: Callable[[Path], list[Path]]) -> list[Path]:
    """Run `writer(staged_path)` (it returns the files it wrote, main file first) in a staging
    folder beside `path`, then move the files into `path`'s folder; return their final paths."""
    path = Path(path)
    stage = path.parent / f"{STAGING_PREFIX}{owner_tag()}.{secrets.token_hex(4)}"
    try:
        stage.mkdir()
    except OSError as exc:
        raise WriteError(path.parent, exc, "write into") from exc
    try:
        try:
            staged = writer(stage / path.name)
        except OSError as exc:
            raise WriteError(_final(exc.filename, stage, path), exc) from exc
        relative = [p.relative_to(stage) for p in staged]
        place_files(stage, path.parent, [*relative[1:], relative[0]])
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return [path.parent / r for r in relative]


def place_files(stage: Path, folder: Path, relative: list[Path]) -> None:
    """Rename each `stage/rel` to `folder/rel`, in order; on failure undo the ones done (files
    they replaced are kept in `stage` until then) and raise WriteError."""
    placed: list[tuple[Path, Path | None]] = []
    final = folder / relative[0]
    try:
        for rel in relative:
            final = folder / rel
            backup = None
            if final.is_file():
                backup = stage / _BACKUP / rel
                backup.parent.mkdir(parents=True, exist_ok=True)
                os.replace(final, backup)
            placed.append((final, backup))
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / rel, final)
    except OSError as exc:
        for final, backup in reversed(placed):
            with suppress(OSError):
                if backup is not None:
                    os.replace(backup, final)
                else:
                    final.unlink()
        raise WriteError(final, exc, "move into place") from exc


def _final(failed: str | None, stage: Path, path: Path) -> Path:
    """Where the staged file that failed would have landed: the name the user knows."""
    if failed and Path(failed).is_relative_to(stage):
        return path.parent / Path(failed).relative_to(stage)
    return path

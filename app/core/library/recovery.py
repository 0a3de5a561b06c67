"""The start-up pass that makes the library consistent after a crash, without deleting work.

It finishes or flags versions that were being saved by a process that is gone (a folder that
made it into place is kept; otherwise the version is marked interrupted and reported), deletes
half-written temporary files such processes left, and flags assets whose files went missing
(and un-flags them when the files come back) instead of failing when they are opened.

Every process that opens the library runs it, while other processes may be saving: a save or a
temporary file whose owner (its lease, see `leases`) is alive is left alone and not reported.
A trash folder that a killed process renamed away before deleting its rows is put back.
"""

from __future__ import annotations

import os
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from app.core.library import leases
from app.core.library.records import AssetStatus, version_glb
from app.core.library.repository import Library
from app.core.library.store import TempItem


@dataclass
class RecoveryReport:
    interrupted: list[tuple[int, str]] = field(default_factory=list)
    """(asset id, name) of saves the app did not finish; their versions are marked interrupted."""
    completed: list[tuple[int, str]] = field(default_factory=list)
    """(asset id, name) of saves whose files were all in place; they were kept."""
    missing: list[tuple[int, str]] = field(default_factory=list)
    """(asset id, name) of assets whose GLB file is gone."""
    temp_removed: list[Path] = field(default_factory=list)
    restored: list[Path] = field(default_factory=list)
    """Asset folders put back after a process died while emptying the trash."""
    in_progress: int = 0
    """Saves other live processes were making: left alone, not a problem."""

    @property
    def clean(self) -> bool:
        return not (self.interrupted or self.completed or self.missing or self.temp_removed or self.restored)

    def lines(self) -> list[str]:
        """One line per finding, for a log, a CLI warning or a dialog."""
        out = [f"interrupted save of {name!r} (asset {i}): it was not kept" for i, name in self.interrupted]
        out += [f"finished the interrupted save of {name!r} (asset {i})" for i, name in self.completed]
        out += [
            f"files of {name!r} (asset {i}) are missing from the library folder" for i, name in self.missing
        ]
        if self.temp_removed:
            out.append(f"removed {len(self.temp_removed)} half-written temporary file(s)")
        out += [
            f"put back the folder {p} that an interrupted 'empty trash' had set aside" for p in self.restored
        ]
        return out


def recover(library: Library) -> RecoveryReport:
    report = RecoveryReport()
    alive = cache(library.owner_alive)
    for pending in library.pending_saves():
        if pending.owner is not None and alive(pending.owner):
            report.in_progress += 1
            continue
        complete = version_glb(pending.folder).is_file()
        if library.finish_pending(pending, complete):
            (report.completed if complete else report.interrupted).append(
                (pending.asset_id, pending.asset_name)
            )
    for item in library.store.leftover_temp():
        if item.owner is not None and alive(item.owner):
            continue
        put_back = _put_back(library, item)
        if put_back is not None:
            report.restored.append(put_back)
    report.temp_removed = library.store.remove_temp(alive)
    leases.sweep(library.leases_dir)
    gone, back = [], []
    for check in library.file_checks():
        present = check.folder is not None and version_glb(check.folder).is_file()
        if not present:
            report.missing.append((check.asset_id, check.name))
            if check.status is AssetStatus.READY:
                gone.append(check.asset_id)
        elif check.status is AssetStatus.MISSING:
            back.append(check.asset_id)
    library.set_status(gone, AssetStatus.MISSING, expected=AssetStatus.READY)
    library.set_status(back, AssetStatus.READY, expected=AssetStatus.MISSING)
    return report


def _put_back(library: Library, item: TempItem) -> Path | None:
    """An asset folder renamed away by 'empty trash' whose rows are still there: the deletion never
    committed, so the folder goes back under its name instead of being deleted."""
    root = library.store.root
    if item.path.parent != root or not item.path.is_dir():
        return None
    uid = item.path.name[1:].split(".", 1)[0]
    target = root / uid
    if not leases.is_token(uid) or target.exists() or not library.has_uid(uid):
        return None
    with suppress(OSError):
        os.replace(item.path, target)
        return target
    return None

"""The start-up pass that makes the library consistent after a crash, without deleting work.

It finishes or flags versions that were being saved (a folder that made it into place is
kept; otherwise the version is marked interrupted and reported), deletes half-written
temporary files and folders, and flags assets whose files went missing (and un-flags them when
the files come back) instead of failing when they are opened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.core.library.records import GLB_FILE, AssetStatus
from app.core.library.repository import Library


@dataclass
class RecoveryReport:
    interrupted: list[tuple[int, str]] = field(default_factory=list)
    """(asset id, name) of saves the app did not finish; their versions are marked interrupted."""
    completed: list[tuple[int, str]] = field(default_factory=list)
    """(asset id, name) of saves whose files were all in place; they were kept."""
    missing: list[tuple[int, str]] = field(default_factory=list)
    """(asset id, name) of assets whose model file is gone."""
    temp_removed: list[Path] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.interrupted or self.completed or self.missing or self.temp_removed)

    def lines(self) -> list[str]:
        """One line per finding, for a log, a CLI warning or a dialog."""
        out = [f"interrupted save of {name!r} (asset {i}): it was not kept" for i, name in self.interrupted]
        out += [f"finished the interrupted save of {name!r} (asset {i})" for i, name in self.completed]
        out += [
            f"files of {name!r} (asset {i}) are missing from the library folder" for i, name in self.missing
        ]
        if self.temp_removed:
            out.append(f"removed {len(self.temp_removed)} half-written temporary file(s)")
        return out


def recover(library: Library) -> RecoveryReport:
    report = RecoveryReport()
    for pending in library.pending_saves():
        complete = (pending.folder / GLB_FILE).is_file()
        library.finish_pending(pending, complete)
        (report.completed if complete else report.interrupted).append((pending.asset_id, pending.asset_name))
    report.temp_removed = library.store.remove_temp()
    gone, back = [], []
    for check in library.file_checks():
        present = check.folder is not None and (check.folder / GLB_FILE).is_file()
        if not present:
            report.missing.append((check.asset_id, check.name))
            if check.status is AssetStatus.READY:
                gone.append(check.asset_id)
        elif check.status is AssetStatus.MISSING:
            back.append(check.asset_id)
    library.set_status(gone, AssetStatus.MISSING)
    library.set_status(back, AssetStatus.READY)
    return report

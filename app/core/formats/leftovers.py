"""What a killed Sweedle leaves in a folder it was writing, and the clean-up at the next run.

Two kinds: `*.sweedle-tmp` files of `atomic_write`, and `.sweedle-staging-*` folders of
multi-file writes (`formats.file_set`, engine exports). Both carry their writer's owner tag in
their name; only those whose owner is gone are removed, so two Sweedles writing into one folder
never delete each other's work in progress.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

from app.core.base.atomic import TEMP_PATTERN, TEMP_PREFIX, TEMP_SUFFIX
from app.core.base.owner import TAG_PATTERN, is_orphan

STAGING_PREFIX = ".sweedle-staging-"
STAGING_PATTERN = re.compile(rf"{re.escape(STAGING_PREFIX)}{TAG_PATTERN}\.[0-9a-f]{{8}}")
"""A staging folder's name; its groups are the owner's pid and start time."""

log = logging.getLogger(__name__)


def clean_leftovers(folder: Path) -> list[Path]:
    """Remove the temporary files and staging folders directly in `folder` whose writer has
    died; return what was removed. A folder that cannot be listed has nothing removed."""
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return []
    removed = []
    for entry in entries:
        if _is_temp_file(entry) and is_orphan(entry, TEMP_PATTERN):
            try:
                entry.unlink()
            except OSError as exc:
                log.warning("could not remove the leftover %s: %s", entry, exc)
                continue
            removed.append(entry)
        elif _is_staging_folder(entry) and is_orphan(entry, STAGING_PATTERN):
            shutil.rmtree(entry, ignore_errors=True)
            if not entry.exists():
                removed.append(entry)
    return removed


def leftovers_note(removed: list[Path], folder: Path) -> str:
    """The one sentence that tells the user what the clean-up did."""
    files = sum(1 for path in removed if path.name.endswith(TEMP_SUFFIX))
    folders = len(removed) - files
    parts = [
        f"{n} {kind}{'s' if n > 1 else ''}"
        for n, kind in ((files, "temporary file"), (folders, "staging folder"))
        if n
    ]
    return f"Removed {' and '.join(parts)} left in {folder} by an interrupted run."


def _is_temp_file(path: Path) -> bool:
    return path.name.startswith(TEMP_PREFIX) and path.name.endswith(TEMP_SUFFIX) and path.is_file()


def _is_staging_folder(path: Path) -> bool:
    return path.name.startswith(STAGING_PREFIX) and path.is_dir() and not path.is_symlink()

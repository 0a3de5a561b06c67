"""Which pictures a batch holds: the picture files of a folder, or pictures named one by one.

Only the picture allow-list's suffixes are taken from a folder (hidden files and everything
else are left out, never opened here); whether each file really is a usable picture is decided
when its job runs, so one bad file fails its own item and the rest of the batch still runs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from app.core.base.errors import InputError
from app.core.formats.suffixes import PICTURE_SUFFIXES

_DIGITS = re.compile(r"(\d+)")
_SUFFIXES = ", ".join(PICTURE_SUFFIXES)


def batch_pictures(paths: Sequence[Path]) -> list[Path]:
    """The pictures of `paths` in order: a folder gives its picture files sorted by name
    (img2 before img10), a file is taken as it is if its suffix is a picture's."""
    pictures: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                (p for p in path.iterdir() if _is_picture_name(p) and p.is_file()), key=_natural_key
            )
            if not found:
                raise InputError(f"the folder {path} has no pictures ({_SUFFIXES}); choose another folder")
            pictures += found
        elif not path.exists():
            raise InputError(f"{path} does not exist: give picture files or a folder of pictures")
        elif not _is_picture_name(path):
            raise InputError(f"{path.name} is not a picture file ({_SUFFIXES}): leave it out of the batch")
        else:
            pictures.append(path)
    return pictures


def batch_name(paths: Sequence[Path]) -> str:
    """A folder batch is named after its folder; pictures picked one by one after the first."""
    first = paths[0]
    if len(paths) == 1 and first.is_dir():
        return first.resolve().name or str(first)
    return first.stem if len(paths) == 1 else f"{first.stem} and {len(paths) - 1} more"


def _is_picture_name(path: Path) -> bool:
    return path.suffix.lower() in PICTURE_SUFFIXES and not path.name.startswith(".")


def _natural_key(path: Path) -> list[object]:
    return [int(part) if part.isdigit() else part.lower() for part in _DIGITS.split(path.name)]

"""Writing an export into a project so the engine never sees half of it.

Files are written into a hidden folder inside the project (Unity and Godot skip names starting
with "."; same file system, so moves are atomic renames), then each is renamed over its final
path, the main mesh file last. Only files Sweedle writes are replaced: Unity's `.meta` and
Godot's `.import` sidecars next to them are never touched, so GUIDs and uids survive
re-export. Every final path is checked to resolve inside the project first. The staging folder's
name carries its owner tag: the next export into the project removes the ones a killed export
left (never another running export's), and says so in its notes.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from app.core.base.atomic import atomic_write_bytes
from app.core.base.disk_errors import disk_error_message
from app.core.base.owner import owner_tag
from app.core.export.errors import ExportError
from app.core.formats.file_set import place_files
from app.core.formats.leftovers import STAGING_PREFIX, clean_leftovers, leftovers_note

MARKER = ".sweedle-asset"
"""Hidden file in each asset folder naming the asset it holds, so a re-export of the same asset
finds its folder and a different asset with the same name gets its own."""


@dataclass
class ExportResult:
    engine: str
    folder: Path
    """The asset's folder in the project (or Export As's output folder)."""
    files: list[Path]
    """Every file written, the main mesh file first."""
    notes: list[str] = field(default_factory=list)
    """What the user should know or do next, one sentence each."""
    command: list[str] | None = None
    """Unreal: the command line that imports the files into the project."""


def inside(root: Path, path: Path) -> Path:
    """`path` resolved, or an ExportError if it resolves outside `root` (a symlink or '..')."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise ExportError(
            f"Refusing to write {path}: it resolves to {resolved}, outside the project {root}. "
            "Check for links in the project's folders."
        )
    return resolved


def asset_folder(root: Path, parent: Path, name: str, key: str) -> tuple[Path, str]:
    """The folder (under `parent`) and name for the asset identified by `key`.

    The folder that already holds this asset is reused; otherwise the first of `name`,
    `name_2`, `name_3`.. that is free (missing, or holding no other asset or user files).
    """
    inside(root, parent)
    if parent.is_dir():
        for marker in parent.glob(f"*/{MARKER}"):
            if _read_marker(marker) == key:
                return marker.parent, marker.parent.name
    candidate, n = name, 2
    while True:
        folder = parent / candidate
        if not folder.exists() or (folder.is_dir() and not any(folder.iterdir())):
            return folder, candidate
        candidate, n = f"{name}_{n}", n + 1


def _read_marker(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return None


class Staging:
    """Collects an export's files in a hidden folder in `root`, then moves them into `folder`."""

    def __init__(self, root: Path, folder: Path, key: str) -> None:
        self.root = root
        self.folder = inside(root, folder)
        self.key = key
        self.dir = root / f"{STAGING_PREFIX}{owner_tag()}.{secrets.token_hex(4)}"
        self._files: list[str] = []
        self.notes: list[str] = []
        """What the clean-up of an interrupted export's leftovers did, for the result's notes."""

    def __enter__(self) -> Staging:
        for folder in (self.root, self.folder):
            removed = clean_leftovers(folder)
            if removed:
                self.notes.append(leftovers_note(removed, folder))
        try:
            self.dir.mkdir()
        except OSError as exc:
            raise ExportError(disk_error_message(self.root, exc, "export into")) from exc
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        if isinstance(value, OSError):
            raise ExportError(disk_error_message(self.folder, value, "export into")) from value

    def path(self, relative: str) -> Path:
        """Where to write the file that will land at `folder/relative`; register it."""
        inside(self.root, self.folder / relative)
        staged = self.dir / relative
        staged.parent.mkdir(parents=True, exist_ok=True)
        self._files.append(relative)
        return staged

    def commit(self) -> list[Path]:
        """Move every registered file into place, the first registered (the main mesh file) last."""
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.folder / MARKER, self.key.encode())
        place_files(self.dir, self.folder, [Path(r) for r in [*self._files[1:], self._files[0]]])
        return [self.folder / relative for relative in self._files]

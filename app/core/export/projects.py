"""Which game-engine project a folder is, and whether Sweedle may write into it.

Checked before anything is written, so a wrong folder costs the user one clear message and
leaves their disk as it was. Markers, as each editor makes them: Unity `Assets/` +
`ProjectSettings/ProjectVersion.txt`; Unreal `<Name>.uproject` + `Content/`; Godot
`project.godot`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from app.core.export.errors import ExportError


class EngineKind(StrEnum):
    UNITY = "unity"
    UNREAL = "unreal"
    GODOT = "godot"

    @property
    def title(self) -> str:
        return {"unity": "Unity", "unreal": "Unreal", "godot": "Godot"}[self.value]

    @property
    def a_title(self) -> str:
        """The title with its article, for sentences: "an Unreal project", "a Unity project"."""
        return {"unity": "a Unity", "unreal": "an Unreal", "godot": "a Godot"}[self.value]


@dataclass(frozen=True)
class Project:
    kind: EngineKind
    root: Path
    uproject: Path | None = None
    """Unreal: the project's .uproject file."""
    uses_gltfast: bool = False
    """Unity: glTFast is in Packages/manifest.json, so the project imports GLB too."""
    python_plugin: bool = False
    """Unreal: the .uproject enables PythonScriptPlugin (needed by the import script)."""


_MARKERS = {
    EngineKind.UNITY: "an Assets folder and ProjectSettings/ProjectVersion.txt",
    EngineKind.UNREAL: "a <Name>.uproject file and a Content folder",
    EngineKind.GODOT: "a project.godot file",
}


def detect_kind(folder: Path) -> EngineKind | None:
    """The engine whose project markers `folder` has, or None."""
    folder = Path(folder)
    if (folder / "Assets").is_dir() and (folder / "ProjectSettings" / "ProjectVersion.txt").is_file():
        return EngineKind.UNITY
    if (folder / "Content").is_dir() and any(folder.glob("*.uproject")):
        return EngineKind.UNREAL
    if (folder / "project.godot").is_file():
        return EngineKind.GODOT
    return None


def open_project(kind: EngineKind, folder: Path | str) -> Project:
    """`folder` as a `kind` project, checked to exist, be a folder, be that engine's project and
    be writable; otherwise an ExportError saying which of those failed and what to do."""
    text = str(folder).strip()
    if not text:
        raise ExportError(f"No {kind.title} project folder is set; choose the project's folder first.")
    root = Path(text).expanduser()
    if not root.exists():
        raise ExportError(
            f"The {kind.title} project folder {root} does not exist. Choose an existing project folder "
            "(it may have been moved, renamed, or be on a drive that is not connected)."
        )
    if not root.is_dir():
        raise ExportError(
            f"{root} is a file, not a folder. Choose the {kind.title} project's folder "
            f"(the one containing {_MARKERS[kind]})."
        )
    root = root.resolve()
    found = detect_kind(root)
    if found is not kind:
        also = f" It looks like {found.a_title} project." if found else ""
        raise ExportError(
            f"{root} is not {kind.a_title} project: {kind.a_title} project folder has "
            f"{_MARKERS[kind]}.{also} Choose the project's top folder."
        )
    check_writable(root)
    if kind is EngineKind.UNITY:
        check_writable(root / "Assets")
        return Project(kind, root, uses_gltfast=_uses_gltfast(root))
    if kind is EngineKind.UNREAL:
        uproject = sorted(root.glob("*.uproject"))[0]
        return Project(kind, root, uproject=uproject, python_plugin=_python_plugin(uproject))
    return Project(kind, root)


def check_writable(folder: Path) -> None:
    """Refuse a folder that is read-only: no write permission, no write bit for anyone (a
    folder marked read-only, honoured even for administrators), or on a read-only file system."""
    try:
        mode = folder.stat().st_mode
        read_only_mount = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError as exc:
        raise ExportError(f"Cannot inspect {folder}: {exc.strerror or exc}.") from exc
    if read_only_mount or not mode & 0o222 or not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(
            f"{folder} is read-only, so nothing can be exported into it. Make it writable "
            "(check its permissions, or whether the project is on a read-only or locked drive) "
            "and export again."
        )


def _uses_gltfast(root: Path) -> bool:
    try:
        manifest = json.loads((root / "Packages" / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    dependencies = manifest.get("dependencies") if isinstance(manifest, dict) else None
    return isinstance(dependencies, dict) and any(
        name in dependencies for name in ("com.unity.cloud.gltfast", "com.atteneder.gltfast")
    )


def _python_plugin(uproject: Path) -> bool:
    try:
        data = json.loads(uproject.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return False
    plugins = data.get("Plugins") if isinstance(data, dict) else None
    return isinstance(plugins, list) and any(
        isinstance(p, dict) and p.get("Name") == "PythonScriptPlugin" and p.get("Enabled") for p in plugins
    )

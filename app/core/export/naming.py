"""Asset names as file, folder and node names every engine accepts.

Unity, Unreal and Godot all take `[A-Za-z0-9_-]` names; Unreal rejects spaces and most
punctuation in asset names, Windows reserves CON, NUL, COM1.. as file names, and Godot acts on
node-name suffixes like `-col` or `_colonly` when it imports a scene, so an asset called
"Rock col" must not turn into a collision shape by accident.
"""

from __future__ import annotations

import re

from app.core.export.errors import ExportError

MAX_LENGTH = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
_GODOT_SUFFIXES = re.compile(
    r"[-_$](col|convcol|colonly|convcolonly|noimp|occ|occonly|navmesh|rigid|vcol|loop|cycle)$", re.I
)


def safe_name(name: str) -> str:
    """`name` as a safe file/node name: runs of other characters become one "_", a reserved or
    Godot-suffixed result gets a trailing "_", empty becomes "Asset".

    A name that walks up folders ("../x", "a/../b") is refused rather than cleaned: it is either
    a mistake or an attempt to write outside the project, and either way the user should know.
    """
    if re.search(r"(^|[/\\])\.\.([/\\]|$)", name):
        raise ExportError(
            f"The asset name {name!r} contains '..' as a folder step; rename the asset "
            "(names become file names inside the project and cannot point outside it)."
        )
    cleaned = _UNSAFE.sub("_", name.strip()).strip("_-")[:MAX_LENGTH].rstrip("_-") or "Asset"
    return _guarded(cleaned)


def snake_name(name: str) -> str:
    """Godot's file-naming style (`res://sweedle/old_rock/old_rock.glb`): lower snake case."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", safe_name(name))
    return _guarded(re.sub(r"[-_]+", "_", spaced).lower().strip("_") or "asset")


def _guarded(name: str) -> str:
    """A trailing "_" defuses reserved device names and Godot's import suffixes."""
    if name.upper() in _RESERVED or _GODOT_SUFFIXES.search(name):
        return name + "_"
    return name

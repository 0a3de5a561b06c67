"""Export As: one or many assets to files, in the format the file name's suffix names.

Formats that are several files (OBJ + MTL + PNG + LODs, FBX + texture, glTF + bin) are written
all-or-nothing (`formats.file_set`); leftovers of an interrupted export in the same folder are
removed first, with a note.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.core.base.atomic import atomic_write_bytes
from app.core.export.collision import refuse_collision
from app.core.export.compression import compressed_glb, draco
from app.core.export.errors import ExportError
from app.core.export.lightmaps import lightmaps_wanted, with_lightmaps
from app.core.export.naming import safe_name
from app.core.export.options import ExportOptions, prepare
from app.core.export.staging import ExportResult
from app.core.formats.fbx import write_fbx
from app.core.formats.file_set import write_file_set
from app.core.formats.glb import glb_bytes, write_glb
from app.core.formats.gltf import write_gltf
from app.core.formats.leftovers import clean_leftovers, leftovers_note
from app.core.formats.obj import write_obj
from app.core.formats.ply import write_ply
from app.core.formats.stl import write_stl
from app.core.mesh.types import LodSet

WRITERS: dict[str, Callable[[LodSet, Path], list[Path]]] = {
    ".glb": lambda lodset, path: (write_glb(lodset, path), [path])[1],
    ".gltf": write_gltf,
    ".fbx": write_fbx,
    ".obj": write_obj,
    ".stl": write_stl,
    ".ply": write_ply,
}
FORMATS = tuple(suffix[1:] for suffix in WRITERS)
LIGHTMAP_FORMATS = (".glb", ".gltf", ".fbx")
"""The formats with a second UV set (`ExportOptions.lightmap_uv`)."""


def export_as(
    lodset: LodSet, path: Path | str, options: ExportOptions | None = None, compress: bool = False
) -> ExportResult:
    """Write `lodset` to `path`; its suffix picks the format (see FORMATS). The folder must exist.
    `compress` (a .glb only) writes Draco meshes and a JPEG base colour (`export.compression`).
    A file carries no collision shapes, so asking for collision is refused."""
    path = Path(path).expanduser()
    writer = WRITERS.get(path.suffix.lower())
    if writer is None:
        raise ExportError(
            f"Cannot export to {path.name}: use one of the suffixes {', '.join('.' + f for f in FORMATS)}."
        )
    refuse_collision((options or ExportOptions()).collision, f"Export As ({path.name})")
    if compress:
        if path.suffix.lower() != ".glb":
            raise ExportError(f"Compression is for .glb files, not {path.name}; choose a .glb name.")
        draco()
        writer = _write_compressed_glb
    if not path.parent.is_dir():
        raise ExportError(f"The folder {path.parent} does not exist; create it or choose another one.")
    if path.is_dir():
        raise ExportError(f"{path} is a folder; give a file name such as {path / 'asset.glb'}.")
    options = options or ExportOptions()
    prepared = prepare(lodset, options)
    if lightmaps_wanted(options, None) and path.suffix.lower() in LIGHTMAP_FORMATS:
        prepared = with_lightmaps(prepared)
    removed = clean_leftovers(path.parent)
    notes = [leftovers_note(removed, path.parent)] if removed else []
    notes += prepared.notes
    files = write_file_set(path, lambda staged: writer(prepared, staged))
    return ExportResult(path.suffix[1:].lower(), path.parent, files, notes)


def _write_compressed_glb(lodset: LodSet, path: Path) -> list[Path]:
    atomic_write_bytes(path, compressed_glb(glb_bytes(lodset)))
    return [path]


def export_many(
    lodsets: list[LodSet], folder: Path | str, fmt: str, options: ExportOptions | None = None
) -> list[ExportResult]:
    """Each asset as `<folder>/<name>.<fmt>`, names made unique within the batch."""
    folder = Path(folder).expanduser()
    used: set[str] = set()
    results = []
    for lodset in lodsets:
        stem, n = safe_name(lodset.name), 2
        while stem.lower() in used:
            stem, n = f"{safe_name(lodset.name)}_{n}", n + 1
        used.add(stem.lower())
        results.append(export_as(lodset, folder / f"{stem}.{fmt}", options))
    return results

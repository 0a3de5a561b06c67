"""Checks every mesh reader makes on a file from elsewhere, before it trusts what the file says.

A mesh file declares counts, offsets and numbers that code downstream takes at their word: a NaN
position crashed the OpenGL viewport, an infinite count made the reader raise a Python error, a
deeply nested JSON exhausted the parser's stack, a FIFO made it wait forever. So: only regular
files are read; glTF JSON is bounded in size and depth and holds finite numbers only; positions
are finite and of a sane magnitude; every triangle names an existing vertex.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from app.core.base.errors import InputError

if TYPE_CHECKING:
    from app.core.mesh.types import LodSet

MAX_JSON_BYTES = 64 * 2**20
"""A glTF document describes the data, it does not hold it: even 200k mesh parts fit in 64 MB."""
MAX_JSON_DEPTH = 64
"""glTF needs about 8 levels; extras deeper than this only serve to exhaust a parser."""
MAX_COORDINATE = 1e9
"""Beyond this float32 keeps no useful precision, and squared lengths (normals, areas) overflow."""


def read_regular_file(path: Path) -> bytes:
    """The bytes of `path`, which must be a non-empty regular file: a FIFO or a device would
    block or never end when read, and a folder is not a mesh. The file is opened without
    blocking and checked through its descriptor, so it cannot be swapped for a FIFO meanwhile."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InputError(f"{path} does not exist: check the name and folder") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder, not a mesh file: choose a file inside it") from None
    except OSError as exc:
        raise InputError(f"{path} cannot be read ({exc.strerror or exc}): check its permissions") from None
    try:
        _check_regular(path, os.fstat(fd))
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as stream:
        try:
            return stream.read()
        except OSError as exc:
            raise InputError(f"{path} cannot be read ({exc.strerror or exc}): check the disk") from None


def _check_regular(path: Path, st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path} is a folder, not a mesh file: choose a file inside it")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(
            f"{path} is not a regular file (it is a {_kind(st.st_mode)}): choose a mesh file saved on disk"
        )
    if st.st_size == 0:
        raise InputError(f"{path} is empty (0 bytes): it was not fully written or copied; export it again")


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def gltf_json(raw: bytes | memoryview, name: str, part: str = "its glTF JSON") -> dict[str, Any]:
    """Parse a glTF JSON document after checking its size and nesting. NaN and Infinity, which
    Python's parser takes and glTF forbids, are refused; a literal too large for a float (1e999)
    still parses as infinity, so readers check the numbers they use."""
    if len(raw) > MAX_JSON_BYTES:
        raise InputError(
            f"{name} is damaged: {part} is {len(raw) / 2**20:.0f} MB, more than the "
            f"{MAX_JSON_BYTES // 2**20} MB that a glTF description needs"
        )
    raw = bytes(raw)
    depth = json_depth(raw)
    if depth > MAX_JSON_DEPTH:
        raise InputError(
            f"{name} is damaged: {part} is nested {depth:,} levels deep "
            f"(glTF needs about 8; Sweedle reads up to {MAX_JSON_DEPTH})"
        )
    try:
        doc = json.loads(raw, parse_constant=_not_finite)
    except _NotFinite as exc:
        raise InputError(f"{name} is damaged: {part} holds the number {exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{name} is damaged: {part} does not parse ({exc})") from None
    if not isinstance(doc, dict):
        raise InputError(f"{name} is damaged: {part} is not a glTF object")
    return doc


def json_depth(raw: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text, counted without parsing it.

    Escape pairs are dropped first (so every quote left opens or closes a string); then only
    the quotes and brackets are looked at, and brackets inside strings are left out.
    """
    text = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    codes = np.frombuffer(text, dtype=np.uint8)
    opening = (codes == ord("[")) | (codes == ord("{"))
    closing = (codes == ord("]")) | (codes == ord("}"))
    special = np.flatnonzero(opening | closing | (codes == ord('"')))
    quote = codes[special] == ord('"')
    inside = np.cumsum(quote) % 2 == 1
    steps = np.where(opening[special], 1, -1)
    steps[quote | inside] = 0
    return int(np.cumsum(steps).max(initial=0))


class _NotFinite(ValueError):
    pass


def _not_finite(text: str) -> float:
    raise _NotFinite(text)


def check_positions(name: str, vertices: np.ndarray) -> None:
    """Positions must be finite and within ±MAX_COORDINATE (NaN fails both comparisons)."""
    magnitude = np.abs(vertices)
    if bool((magnitude <= MAX_COORDINATE).all()):
        return
    bad = int(np.count_nonzero(~np.isfinite(vertices)))
    if bad:
        raise InputError(
            f"{name} is damaged: {bad:,} vertex coordinate(s) are not numbers (NaN) or infinite; "
            "re-export it from the program that made it"
        )
    raise InputError(
        f"{name} has coordinates as large as {float(magnitude.max()):.3g}, beyond the "
        f"±{MAX_COORDINATE:.0e} Sweedle reads: scale it down in the program that made it"
    )


def check_faces(name: str, faces: np.ndarray, vertex_count: int) -> None:
    """Every triangle must name an existing vertex."""
    if len(faces) == 0:
        return
    low, high = int(faces.min()), int(faces.max())
    if low < 0 or high >= vertex_count:
        index = low if low < 0 else high
        raise InputError(
            f"{name} is damaged: a triangle refers to vertex {index:,}, but there are only "
            f"{vertex_count:,} vertices; re-export it from the program that made it"
        )


def check_attribute(name: str, what: str, values: np.ndarray | None, vertex_count: int) -> None:
    """Normals and UVs must be finite and one per vertex."""
    if values is None:
        return
    if len(values) != vertex_count:
        raise InputError(
            f"{name} is damaged: it has {len(values):,} {what} for {vertex_count:,} vertices; "
            "re-export it from the program that made it"
        )
    if not bool(np.isfinite(values).all()):
        raise InputError(
            f"{name} is damaged: some of its {what} are not numbers (NaN) or infinite; "
            "re-export it from the program that made it"
        )


def check_lodset(name: str, lodset: LodSet) -> None:
    """Every LOD's positions, normals and UVs finite: the viewport's last guard, whatever made
    the mesh (a NaN position crashed the window's OpenGL drawing)."""
    for lod in lodset.lods:
        mesh = lod.mesh
        check_positions(name, mesh.vertices)
        check_attribute(name, "normals", mesh.normals, mesh.vertex_count)
        check_attribute(name, "texture coordinates", mesh.uvs, mesh.vertex_count)

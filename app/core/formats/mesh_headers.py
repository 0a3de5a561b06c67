"""What an STL, OBJ or PLY file declares, read from its bytes before any parser allocates.

A binary STL and a PLY state their counts in a header, which a damaged or hostile file can set to
billions: the counts are checked against the mesh limits and against the file's real size. An
OBJ states nothing, so its `v` and `f` lines are counted (a lower bound of its triangles). Binary
STL, the usual form of a big triangle soup, is read here too: it is one numpy view, where
trimesh's reader took seconds per million triangles.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from app.core.base.errors import InputError
from app.core.formats.mesh_limits import MeshLimits, check_triangles, check_vertices

_STL_RECORD = np.dtype([("normal", "<f4", 3), ("corners", "<f4", (3, 3)), ("attribute", "<u2")])
_PLY_SIZES = {
    "char": 1, "uchar": 1, "int8": 1, "uint8": 1, "short": 2, "ushort": 2, "int16": 2, "uint16": 2,
    "int": 4, "uint": 4, "int32": 4, "uint32": 4, "float": 4, "float32": 4, "double": 8, "float64": 8,
}  # fmt: skip
_PLY_HEADER_LIMIT = 64 * 1024


def binary_stl_corners(path: Path, data: bytes, limits: MeshLimits) -> np.ndarray | None:
    """The (3n, 3) float32 corners of a binary STL, or None for an ASCII one."""
    count = int.from_bytes(data[80:84], "little") if len(data) >= 84 else -1
    exact = count >= 0 and len(data) == 84 + 50 * count
    if not exact and data[:1024].lstrip()[:5].lower() == b"solid" and b"\0" not in data[:1024]:
        return None
    if count < 0:
        raise InputError(f"{path.name} is not an STL file: it is only {len(data)} bytes long")
    if len(data) < 84 + 50 * count:
        raise InputError(
            f"{path.name} is truncated or not an STL file: its header declares {count:,} triangles "
            f"({84 + 50 * count:,} bytes) but the file has {len(data):,} bytes"
        )
    check_triangles(path.name, count, limits)
    records = np.frombuffer(data, dtype=_STL_RECORD, count=count, offset=84)
    return records["corners"].reshape(-1, 3).copy()


def check_text_counts(path: Path, data: bytes, limits: MeshLimits) -> None:
    """Refuse an ASCII STL or OBJ whose vertex or face lines alone exceed the limits."""
    if path.suffix.lower() == ".stl":
        check_triangles(path.name, data.count(b"vertex") // 3, limits)
        return
    faces, vertices = _count_lines(data, b"f"), _count_lines(data, b"v")
    check_vertices(path.name, vertices, limits)
    check_triangles(path.name, faces, limits)


def _count_lines(data: bytes, keyword: bytes) -> int:
    return sum(data.count(b"\n" + keyword + gap) + data.startswith(keyword + gap) for gap in (b" ", b"\t"))


def check_ply_header(path: Path, data: bytes, limits: MeshLimits) -> None:
    """Check a PLY's declared element counts against the limits and, for fixed-size binary
    vertices, against the file's size."""
    end = data.find(b"end_header", 0, _PLY_HEADER_LIMIT)
    if not data.startswith(b"ply") or end < 0:
        raise InputError(f"{path.name} is not a PLY file: it has no PLY header; re-export it")
    header = data[:end].decode("ascii", errors="replace")
    binary = "binary" in header.split("\n", 2)[1] if "\n" in header else False
    elements: list[tuple[str, int, list[str]]] = []
    for line in header.splitlines():
        words = line.split()
        if words[:1] == ["element"] and len(words) == 3:
            if not re.fullmatch(r"[0-9]{1,15}", words[2]):
                raise InputError(f"{path.name} is damaged: its header declares {words[2][:20]!r} {words[1]}s")
            elements.append((words[1], int(words[2]), []))
        elif words[:1] == ["property"] and elements:
            elements[-1][2].append(" ".join(words[1:]))
    least = sum(_ply_row_size(properties, binary) * count for _, count, properties in elements)
    if least > len(data) - end:
        raise InputError(
            f"{path.name} is truncated or damaged: its header declares at least {least:,} bytes "
            f"of data but the file has {len(data) - end:,}"
        )
    counts = {name: count for name, count, _ in elements}
    check_vertices(path.name, counts.get("vertex", 0), limits)
    check_triangles(path.name, counts.get("face", 0), limits)


def _ply_row_size(properties: list[str], binary: bool) -> int:
    """The fewest bytes one element takes: a list counts as its length and 3 items (a face),
    and a value in an ASCII file as one digit and a separator."""
    size = 0
    for spec in properties:
        words = spec.split()
        if words[:1] == ["list"] and len(words) >= 3:
            size += _PLY_SIZES.get(words[1], 1) + 3 * _PLY_SIZES.get(words[2], 1) if binary else 8
        elif words:
            size += _PLY_SIZES.get(words[0], 1) if binary else 2
    return size

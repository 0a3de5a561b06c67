"""A corpus of hostile mesh files, made by code at test time (no binary fixtures to trust):
NaN and infinite positions in every format, absurd declared counts, deeply nested glTF JSON,
out-of-range indices, truncated files, garbage with a mesh suffix, a FIFO, a device, a folder.

Used by tests/core/test_hostile_meshes.py (reader and CLI) and the window tests.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from app.core.formats.mesh_limits import DEFAULT_MAX_TRIANGLES

TRIANGLE = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]


# --- builders ------------------------------------------------------------------------------


def glb_file(doc: dict[str, Any] | bytes, binary: bytes = b"") -> bytes:
    """A GLB container around `doc` (a dict, or raw JSON text to keep literals like 1e999)."""
    text = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    binary += b"\0" * (-len(binary) % 4)
    body = struct.pack("<II", len(text), 0x4E4F534A) + text
    if binary:
        body += struct.pack("<II", len(binary), 0x004E4942) + binary
    return b"glTF" + struct.pack("<II", 2, 12 + len(body)) + body


def triangle_doc(
    positions: Any = TRIANGLE, indices: list[int] | None = None, **change: Callable[[dict[str, Any]], Any]
) -> tuple[dict[str, Any], bytes]:
    """One node, one mesh, one primitive: (document, binary chunk), each `change` applied to
    the document."""
    binary = np.asarray(positions, dtype=np.float32).tobytes()
    views = [{"buffer": 0, "byteLength": len(binary)}]
    accessors: list[dict[str, Any]] = [
        {"bufferView": 0, "componentType": 5126, "count": len(positions), "type": "VEC3"}
    ]
    primitive: dict[str, Any] = {"attributes": {"POSITION": 0}}
    if indices is not None:
        index_bytes = np.asarray(indices, dtype=np.uint32).tobytes()
        views.append({"buffer": 0, "byteOffset": len(binary), "byteLength": len(index_bytes)})
        accessors.append({"bufferView": 1, "componentType": 5125, "count": len(indices), "type": "SCALAR"})
        primitive["indices"] = 1
        binary += index_bytes
    doc = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [primitive]}],
        "accessors": accessors,
        "bufferViews": views,
        "buffers": [{"byteLength": len(binary)}],
    }
    for edit in change.values():
        edit(doc)
    return doc, binary


def triangle_glb(
    positions: Any = TRIANGLE, indices: list[int] | None = None, **change: Callable[[dict[str, Any]], Any]
) -> bytes:
    return glb_file(*triangle_doc(positions, indices, **change))


def raw_json_glb(edit: Callable[[str], str]) -> bytes:
    """The triangle GLB with its JSON text edited (for literals json.dumps will not write)."""
    doc, binary = triangle_doc()
    return glb_file(edit(json.dumps(doc)).encode(), binary)


def deep_json_glb(depth: int) -> bytes:
    doc, binary = triangle_doc()
    text = json.dumps(doc)[:-1] + ', "extras": ' + "[" * depth + "]" * depth + "}"
    return glb_file(text.encode(), binary)


def many_primitives_glb(count: int) -> bytes:
    def repeat(doc: dict[str, Any]) -> None:
        doc["meshes"][0]["primitives"] *= count

    return triangle_glb(meshes=repeat)


def instanced_glb(nodes: int, triangles_per_mesh: int) -> bytes:
    """One small mesh placed by many nodes: few bytes, many triangles once placed."""

    def place(doc: dict[str, Any]) -> None:
        doc["nodes"] = [{"mesh": 0, "translation": [float(i), 0.0, 0.0]} for i in range(nodes)]
        doc["scenes"] = [{"nodes": list(range(nodes))}]

    return triangle_glb(indices=[0, 1, 2] * triangles_per_mesh, nodes=place)


def binary_stl(corners: Any, declared: int | None = None) -> bytes:
    corners = np.asarray(corners, dtype=np.float32).reshape(-1, 3, 3)
    records = np.zeros(len(corners), dtype=[("n", "<f4", 3), ("c", "<f4", (3, 3)), ("a", "<u2")])
    records["c"] = corners
    count = len(corners) if declared is None else declared
    return b"binary stl".ljust(80) + struct.pack("<I", count) + records.tobytes()


def ascii_stl(corner: str) -> bytes:
    return (
        f"solid x\nfacet normal 0 0 1\nouter loop\nvertex {corner}\nvertex 1 0 0\nvertex 0 1 0\n"
        "endloop\nendfacet\nendsolid x\n"
    ).encode()


def ascii_ply(first_vertex: str, face: str = "3 0 1 2", declared_vertices: int = 3) -> bytes:
    return (
        f"ply\nformat ascii 1.0\nelement vertex {declared_vertices}\nproperty float x\nproperty float y\n"
        "property float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n"
        f"{first_vertex}\n1 0 0\n0 1 0\n{face}\n"
    ).encode()


def binary_ply(vertices: Any, declared_vertices: int | None = None) -> bytes:
    vertices = np.asarray(vertices, dtype="<f4")
    count = len(vertices) if declared_vertices is None else declared_vertices
    header = (
        f"ply\nformat binary_little_endian 1.0\nelement vertex {count}\nproperty float x\n"
        "property float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\n"
        "end_header\n"
    ).encode()
    face = struct.pack("<Biii", 3, 0, 1, 2)
    return header + vertices.tobytes() + face


def gltf_text(doc: dict[str, Any], binary: bytes) -> bytes:
    """A .gltf with its buffer as a data URI (trimesh reads it; our checks run first)."""
    doc["buffers"] = [
        {
            "byteLength": len(binary),
            "uri": "data:application/octet-stream;base64," + base64.b64encode(binary).decode(),
        }
    ]
    return json.dumps(doc).encode()


GARBAGE = bytes(range(256)) * 16
NAN = r"not numbers \(NaN\) or infinite"
REFERS = "a face refers to a vertex that does not exist"


def glb_count(value: str) -> bytes:
    """The triangle GLB with its position count written as `value`, literally."""
    return raw_json_glb(lambda text: text.replace('"count": 3', f'"count": {value}'))


def corner(x: float, y: float = 0.0, z: float = 0.0) -> list[list[float]]:
    """The triangle with its first corner at (x, y, z)."""
    return [[x, y, z], *TRIANGLE[1:]]


def obj(first_vertex: str, face: str = "1 2 3") -> bytes:
    return f"v {first_vertex}\nv 1 0 0\nv 0 1 0\nf {face}\n".encode()


def instanced_gltf() -> bytes:
    def place(doc: dict[str, Any]) -> None:
        doc.update(nodes=[{"mesh": 0}] * 500, scenes=[{"nodes": list(range(500))}])

    return gltf_text(*triangle_doc(indices=[0, 1, 2] * 10_000, nodes=place))


def scaled(doc: dict[str, Any]) -> None:
    doc["nodes"][0]["scale"] = [1e300, 1.0, 1.0]


NAN_NODE = raw_json_glb(lambda t: t.replace('{"mesh": 0}', '{"mesh": 0, "translation": [NaN, 0, 0]}'))
LONG_VIEW = raw_json_glb(lambda t: t.replace('"byteLength": 36}]', '"byteLength": 360}]', 1))
NEGATIVE_REFERENCE = raw_json_glb(lambda t: t.replace('"POSITION": 0', '"POSITION": -1'))
DEEP_GLTF = b'{"asset": {"version": "2.0"}, "extras": ' + b"[" * 5000 + b"]" * 5000 + b"}"
NAN_GLTF = json.dumps(triangle_doc()[0]).replace('"count": 3', '"count": NaN').encode()
OVER_LIMIT = f"5,000,000 triangles, more than the limit of {DEFAULT_MAX_TRIANGLES:,}"

# name -> (file contents, what the one-line message must say)
CORPUS: dict[str, tuple[bytes, str]] = {
    "nan_position.glb": (triangle_glb(corner(np.nan)), NAN),
    "inf_position.glb": (triangle_glb(corner(np.inf)), NAN),
    "minus_inf.glb": (triangle_glb(corner(0, -np.inf)), NAN),
    "huge_coordinates.glb": (
        triangle_glb([[-3e38, 0, 0], [3e38, 0, 0], [0, 1, 0]]),
        "coordinates as large as 3e",
    ),
    "huge_scale.glb": (triangle_glb(nodes=scaled), "coordinates as large as 1e"),
    "nan_literal.glb": (NAN_NODE, "holds the number NaN"),
    "infinity_count.glb": (glb_count("Infinity"), "holds the number Infinity"),
    "overflowing_count.glb": (glb_count("1e999"), "count of accessor 0 is inf"),
    "negative_count.glb": (glb_count("-5"), "count of accessor 0 is -5"),
    "fractional_count.glb": (glb_count("2.5"), "count of accessor 0 is 2.5"),
    "list_count.glb": (glb_count("[3]"), r"count of accessor 0 is \[3\]"),
    "accessor_4gb.glb": (glb_count("4294967295"), "declares 4,294,967,295 items"),
    "view_past_buffer.glb": (LONG_VIEW, "runs to byte 360"),
    "out_of_bounds_index.glb": (triangle_glb(indices=[0, 1, 7]), "refers to a vertex past the end"),
    "negative_reference.glb": (NEGATIVE_REFERENCE, "POSITION accessor of primitive 0 is -1"),
    "deep_json.glb": (deep_json_glb(100_000), "nested 100,001 levels deep"),
    "huge_primitive_count.glb": (many_primitives_glb(300_000), "more than 250,000 mesh parts"),
    "instanced_bomb.glb": (instanced_glb(500, 10_000), OVER_LIMIT),
    "truncated.glb": (triangle_glb()[:60], "truncated"),
    "garbage.glb": (GARBAGE, "is not a GLB file"),
    "empty.glb": (b"", r"empty \(0 bytes\)"),
    "nan.obj": (obj("nan 0 0"), NAN),
    "inf.obj": (obj("0 inf 0"), NAN),
    "huge.obj": (obj("1e30 0 0"), "coordinates as large as 1e"),
    "face_index_1e12.obj": (obj("0 0 0", "1 2 1000000000000"), REFERS),
    "negative_index.obj": (obj("0 0 0", "1 2 -9"), REFERS),
    "garbage.obj": (GARBAGE, "has no triangles"),
    "nan.stl": (binary_stl([corner(np.nan)]), NAN),
    "inf.stl": (binary_stl([corner(0, 0, np.inf)]), NAN),
    "nan_ascii.stl": (ascii_stl("nan 0 0"), NAN),
    "billions.stl": (binary_stl([TRIANGLE], declared=2**31), "declares 2,147,483,648 triangles"),
    "truncated.stl": (binary_stl([TRIANGLE], declared=10), "truncated or not an STL file"),
    "garbage.stl": (GARBAGE, "truncated or not an STL file"),
    "nan.ply": (ascii_ply("nan 0 0"), NAN),
    "inf_binary.ply": (binary_ply(corner(np.inf)), NAN),
    "billions.ply": (binary_ply(TRIANGLE, declared_vertices=4_000_000_000), "truncated or damaged"),
    "billions_ascii.ply": (ascii_ply("0 0 0", declared_vertices=4_000_000_000), "truncated or damaged"),
    "out_of_bounds.ply": (ascii_ply("0 0 0", face="3 0 1 99"), "refers to vertex 99, but there are only 3"),
    "garbage.ply": (GARBAGE, "is not a PLY file"),
    "deep.gltf": (DEEP_GLTF, "nested 5,001 levels deep"),
    "nan.gltf": (NAN_GLTF, "holds the number NaN"),
    "instanced_bomb.gltf": (instanced_gltf(), OVER_LIMIT),
}


def make_corpus(folder: Path) -> dict[str, tuple[Path, str]]:
    """Every hostile file in `folder`, plus a FIFO, a device and a folder named like meshes."""
    files = {}
    for name, (content, message) in CORPUS.items():
        (folder / name).write_bytes(content)
        files[name] = (folder / name, message)
    os.mkfifo(folder / "pipe.obj")
    files["pipe.obj"] = (folder / "pipe.obj", r"not a regular file \(it is a named pipe \(FIFO\)\)")
    (folder / "zero.stl").symlink_to("/dev/zero")
    files["zero.stl"] = (folder / "zero.stl", r"not a regular file \(it is a device\)")
    (folder / "folder.glb").mkdir()
    files["folder.glb"] = (folder / "folder.glb", "is a folder, not a mesh file")
    return files

"""Editing a GLB the writer made: split it into its JSON document and binary chunk, add meshes,
join it again. Exports that add to the one GLB layout (Godot's collision nodes, compression)
work on the written file, so the writer stays the single place that lays out an asset.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np

from app.core.formats.glb import BIN_CHUNK, GLB_MAGIC, JSON_CHUNK, TRIANGLES
from app.core.mesh.types import Mesh

_FLOAT, _UNSIGNED_SHORT, _UNSIGNED_INT = 5126, 5123, 5125
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963


def split_glb(data: bytes) -> tuple[dict[str, Any], bytearray]:
    """(the JSON document, the binary chunk) of a GLB written by `formats.glb`."""
    magic, _version, _length = struct.unpack_from("<4sII", data, 0)
    json_length, json_kind = struct.unpack_from("<II", data, 12)
    if magic != GLB_MAGIC or json_kind != JSON_CHUNK:
        raise ValueError("not a GLB file")
    doc: dict[str, Any] = json.loads(data[20 : 20 + json_length])
    at = 20 + json_length
    binary = bytearray()
    if at < len(data):
        bin_length, bin_kind = struct.unpack_from("<II", data, at)
        if bin_kind != BIN_CHUNK:
            raise ValueError("the GLB's second chunk is not its binary buffer")
        binary = bytearray(data[at + 8 : at + 8 + bin_length])
    return doc, binary


def join_glb(doc: dict[str, Any], binary: bytes) -> bytes:
    """A GLB of `doc` and `binary` (padded to 4 bytes; the buffer's byteLength set to match)."""
    padded = bytes(binary) + b"\0" * (-len(binary) % 4)
    if padded:
        doc["buffers"] = [{"byteLength": len(padded)}]
    text = json.dumps(doc, separators=(",", ":"), allow_nan=False).encode("utf-8")
    text += b" " * (-len(text) % 4)
    parts = [struct.pack("<II", len(text), JSON_CHUNK), text]
    if padded:
        parts += [struct.pack("<II", len(padded), BIN_CHUNK), padded]
    body = b"".join(parts)
    return struct.pack("<4sII", GLB_MAGIC, 2, 12 + len(body)) + body


def add_view(doc: dict[str, Any], binary: bytearray, data: bytes, target: int | None = None) -> int:
    """Append `data` to `binary` (4-byte aligned) as a new buffer view; returns its index."""
    binary.extend(b"\0" * (-len(binary) % 4))
    view: dict[str, Any] = {"buffer": 0, "byteOffset": len(binary), "byteLength": len(data)}
    if target is not None:
        view["target"] = target
    binary.extend(data)
    doc.setdefault("bufferViews", []).append(view)
    return len(doc["bufferViews"]) - 1


def with_shape_nodes(glb: bytes, shapes: Sequence[tuple[str, Mesh]]) -> bytes:
    """`glb` with each (name, mesh) added as a position-only mesh node under the scene's root
    node (so it follows the asset's placement), after the nodes already there."""
    doc, binary = split_glb(glb)
    root = doc["nodes"][doc["scenes"][doc.get("scene", 0)]["nodes"][0]]
    for name, mesh in shapes:
        positions = mesh.vertices.astype(np.float32)
        small = mesh.vertex_count < 65536
        indices = mesh.faces.astype(np.uint16 if small else np.uint32).ravel()
        accessors = doc.setdefault("accessors", [])
        accessors.append(
            {
                "bufferView": add_view(doc, binary, positions.tobytes(), _ARRAY_BUFFER),
                "componentType": _FLOAT,
                "count": len(positions),
                "type": "VEC3",
                "min": positions.min(axis=0).tolist(),
                "max": positions.max(axis=0).tolist(),
            }
        )
        accessors.append(
            {
                "bufferView": add_view(doc, binary, indices.tobytes(), _ELEMENT_ARRAY_BUFFER),
                "componentType": _UNSIGNED_SHORT if small else _UNSIGNED_INT,
                "count": len(indices),
                "type": "SCALAR",
            }
        )
        primitive = {"attributes": {"POSITION": len(accessors) - 2}, "indices": len(accessors) - 1}
        doc["meshes"].append({"name": name, "primitives": [{**primitive, "mode": TRIANGLES}]})
        doc["nodes"].append({"name": name, "mesh": len(doc["meshes"]) - 1})
        root.setdefault("children", []).append(len(doc["nodes"]) - 1)
    return join_glb(doc, binary)

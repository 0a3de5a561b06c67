"""glTF as text + `.bin` (the separate-file form some pipelines and version control prefer):
the GLB writer's document with its binary chunk moved to `<stem>.bin`, so both forms always
hold the same data."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from app.core.base.atomic import atomic_write_bytes
from app.core.formats.glb import glb_bytes
from app.core.mesh.types import LodSet


def write_gltf(lodset: LodSet, path: Path) -> list[Path]:
    """Write `path` (.gltf) and `<stem>.bin` beside it (texture included); bin first."""
    path = Path(path)
    glb = glb_bytes(lodset)
    json_length = struct.unpack_from("<I", glb, 12)[0]
    doc = json.loads(glb[20 : 20 + json_length])
    binary = glb[20 + json_length + 8 :]
    bin_path = path.with_suffix(".bin")
    doc["buffers"][0]["uri"] = bin_path.name
    atomic_write_bytes(bin_path, binary[: doc["buffers"][0]["byteLength"]])
    atomic_write_bytes(path, json.dumps(doc, indent=1, allow_nan=False).encode())
    return [path, bin_path]

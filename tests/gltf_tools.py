"""Independent glTF tools for tests and benchmarks: the Khronos validator and gltfpack (npm).

They live in tests/node (pinned in its package-lock.json). A missing install is an error, not a
skip: a test that silently stops validating would let broken exports through.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).resolve().parent / "node"
_INSTALL_HINT = "run `npm ci --prefix tests/node` (from the repository root) to install it"


def validate_gltf(path: Path) -> dict[str, Any]:
    """The Khronos glTF validator's report for a GLB, as parsed JSON.

    Check `report["issues"]["numErrors"]`; `report["issues"]["messages"]` lists every issue.
    """
    _require(NODE_DIR / "node_modules" / "gltf-validator", "the Khronos glTF validator")
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not on PATH; the glTF validator needs Node.js 18 or newer")
    result = subprocess.run(
        [node, str(NODE_DIR / "validate.mjs"), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"glTF validator failed on {path}: {result.stderr.strip()}")
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def gltfpack_path() -> Path:
    """The pinned gltfpack command (tests/node/node_modules/.bin/gltfpack)."""
    return _require(NODE_DIR / "node_modules" / ".bin" / "gltfpack", "gltfpack")


def _require(path: Path, tool: str) -> Path:
    if not path.exists():
        raise RuntimeError(f"{tool} is not installed ({path} is missing): {_INSTALL_HINT}")
    return path


def pack_gltf(gltf: Path, packed: Path) -> Path:
    """A .gltf and its one .bin packed byte for byte (JSON and buffer unchanged) into a GLB at
    `packed`, because tests/node's validator script reads no external files."""
    import struct

    doc = json.loads(gltf.read_text())
    binary = (gltf.parent / doc["buffers"][0]["uri"]).read_bytes()
    if len(binary) != doc["buffers"][0]["byteLength"]:
        raise ValueError(f"{gltf.name}'s buffer is not {doc['buffers'][0]['byteLength']} bytes long")
    del doc["buffers"][0]["uri"]
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    binary += b"\0" * (-len(binary) % 4)
    header = struct.pack("<4sII", b"glTF", 2, 28 + len(text) + len(binary))
    json_chunk = struct.pack("<I4s", len(text), b"JSON") + text
    bin_chunk = struct.pack("<I4s", len(binary), b"BIN\0") + binary
    packed.write_bytes(header + json_chunk + bin_chunk)
    return packed

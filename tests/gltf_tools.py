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

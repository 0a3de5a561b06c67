"""Binary STL (LOD0 only): for 3D printing and CAD tools, which take nothing else from an asset.

STL has no units or axes: it is written in metres and Z-up (x, -z, y from the app's Y-up), the
convention slicers and Blender's STL importer assume, so the asset stands upright there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.core.base.atomic import atomic_write_bytes
from app.core.base.version import VERSION
from app.core.mesh.geometry import cross_rows, face_corners, unit_rows
from app.core.mesh.types import LodSet

_RECORD = np.dtype([("normal", "<f4", 3), ("corners", "<f4", (3, 3)), ("attribute", "<u2")])


def z_up(vertices: np.ndarray) -> np.ndarray:
    """Y-up (glTF) positions or directions as Z-up, keeping right-handedness."""
    return np.column_stack([vertices[:, 0], -vertices[:, 2], vertices[:, 1]]).astype(np.float32)


def stl_bytes(lodset: LodSet) -> bytes:
    mesh = lodset.lod0
    vertices = z_up(mesh.vertices)
    a, b, c = face_corners(vertices, mesh.faces)
    records = np.zeros(mesh.triangle_count, dtype=_RECORD)
    records["normal"] = unit_rows(cross_rows(b - a, c - a).T)
    records["corners"] = vertices[mesh.faces]
    header = f"Sweedle {VERSION} {lodset.name} metres Z-up".encode()[:80].ljust(80, b" ")
    return header + np.uint32(mesh.triangle_count).tobytes() + records.tobytes()


def write_stl(lodset: LodSet, path: Path) -> list[Path]:
    atomic_write_bytes(Path(path), stl_bytes(lodset))
    return [Path(path)]

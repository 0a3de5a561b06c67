"""The full-detail shape kept beside an asset (`full_detail.npz`): what its maps are baked from.

The engine's own mesh after cleanup, before any reduction, is what a normal map or a new LOD
chain is made from; the GLB holds only the reduced LODs. A numpy archive of two arrays (float32
positions, int32 triangles) is the smallest faithful form that loads without a parser of our
own: compressed, a 1M-triangle Hunyuan shape is ~10 MB. Reading is strict, since the library
folder is the user's: no pickles (numpy refuses them with `allow_pickle=False`), exactly the two
arrays, sizes checked against the mesh limits from the archive's directory before anything is
decompressed, finite positions and valid indices.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from app.core.base.errors import InputError
from app.core.formats.mesh_checks import check_faces, check_positions
from app.core.formats.mesh_limits import MeshLimits, check_triangles, check_vertices, mesh_limits
from app.core.mesh.normals import welded_vertex_normals
from app.core.mesh.types import Mesh

FULL_DETAIL_FILE = "full_detail.npz"
_MEMBERS = {"vertices.npy": (3, np.float32), "faces.npy": (3, np.int32)}
_HEADER_BYTES = 1024
"""Room for a .npy header on top of the array's own bytes."""


def full_detail_bytes(mesh: Mesh) -> bytes:
    """`mesh`'s positions and triangles as a compressed numpy archive (what `np.savez_compressed`
    writes, at deflate level 1: float bits hardly compress, and level 6 took five times as long,
    a tenth of a second of every saved generation)."""
    arrays = {
        "vertices.npy": np.ascontiguousarray(mesh.vertices, dtype=np.float32),
        "faces.npy": np.ascontiguousarray(mesh.faces, dtype=np.int32),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, array in arrays.items():
            with archive.open(name, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)
    return buffer.getvalue()


def read_full_detail(path: Path, limits: MeshLimits | None = None) -> Mesh:
    """The full-detail shape in `path`, with welded smooth normals; InputError naming the file
    for anything that is not an archive `full_detail_bytes` would write."""
    path = Path(path)
    limits = limits or mesh_limits()
    damaged = f"{path} is damaged or not a Sweedle full-detail shape"
    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: info.file_size for info in archive.infolist()}
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{damaged} ({exc}): generate the asset again to restore it") from None
    if set(members) != set(_MEMBERS):
        raise InputError(f"{damaged}: it holds {sorted(members)}, not vertices and faces")
    check_vertices(str(path), (members["vertices.npy"] - _HEADER_BYTES) // 12, limits)
    check_triangles(str(path), (members["faces.npy"] - _HEADER_BYTES) // 12, limits)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name.removesuffix(".npy")] for name in _MEMBERS}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(f"{damaged} ({exc}): generate the asset again to restore it") from None
    for name, (width, dtype) in _MEMBERS.items():
        array = arrays[name]
        if array.dtype != dtype or array.ndim != 2 or array.shape[1] != width:
            raise InputError(f"{damaged}: {name} is {array.dtype} {array.shape}")
    vertices, faces = arrays["vertices.npy"], arrays["faces.npy"]
    check_positions(str(path), vertices)
    check_faces(str(path), faces, len(vertices))
    return Mesh(vertices, faces, welded_vertex_normals(vertices, faces))

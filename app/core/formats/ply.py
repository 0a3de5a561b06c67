"""Binary PLY (LOD0): positions, normals and UVs per vertex, for MeshLab, CloudCompare and
Blender. Metres, Z-up like the STL writer; the base colour is written beside it as PNG and
named by a `comment TextureFile` line, the convention MeshLab and Blender read."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.core.base.atomic import atomic_write_bytes
from app.core.base.version import VERSION
from app.core.formats.images import encode_png
from app.core.formats.stl import z_up
from app.core.mesh.normals import shading_normals
from app.core.mesh.types import LodSet


def ply_bytes(lodset: LodSet, texture_file: str | None = None) -> bytes:
    mesh = lodset.lod0
    fields = [("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("nx", "<f4"), ("ny", "<f4"), ("nz", "<f4")]
    if mesh.uvs is not None:
        fields += [("s", "<f4"), ("t", "<f4")]
    vertices = np.empty(mesh.vertex_count, dtype=fields)
    position, normal = z_up(mesh.vertices), z_up(shading_normals(mesh))
    for i, axis in enumerate("xyz"):
        vertices[axis] = position[:, i]
        vertices[f"n{axis}"] = normal[:, i]
    if mesh.uvs is not None:
        vertices["s"] = mesh.uvs[:, 0]
        vertices["t"] = 1.0 - mesh.uvs[:, 1]
    faces = np.empty(mesh.triangle_count, dtype=[("n", "u1"), ("v", "<i4", 3)])
    faces["n"] = 3
    faces["v"] = mesh.faces
    lines = ["ply", "format binary_little_endian 1.0", f"comment Sweedle {VERSION}, metres, Z-up"]
    if texture_file:
        lines.append(f"comment TextureFile {texture_file}")
    lines.append(f"element vertex {mesh.vertex_count}")
    lines += [f"property float {name}" for name, _ in fields]
    lines += [f"element face {mesh.triangle_count}", "property list uchar int vertex_indices", "end_header"]
    return ("\n".join(lines) + "\n").encode("ascii") + vertices.tobytes() + faces.tobytes()


def write_ply(lodset: LodSet, path: Path) -> list[Path]:
    path = Path(path)
    written = [path]
    texture_file = None
    if lodset.material.base_color_texture is not None and lodset.lod0.uvs is not None:
        texture_path = path.with_name(f"{path.stem}_BaseColor.png")
        atomic_write_bytes(texture_path, encode_png(lodset.material.base_color_texture))
        texture_file = texture_path.name
        written.append(texture_path)
    atomic_write_bytes(path, ply_bytes(lodset, texture_file))
    return written

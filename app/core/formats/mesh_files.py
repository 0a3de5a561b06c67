"""Open any mesh file a user drops (GLB with its LODs; glTF/OBJ/PLY/STL through trimesh)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.core.errors import InputError
from app.core.formats.glb_reader import read_glb
from app.core.mesh.types import Lod, LodSet, Material, Mesh

READABLE_SUFFIXES = (".glb", ".gltf", ".obj", ".ply", ".stl")


def read_mesh_file(path: Path) -> LodSet:
    """The file as a LodSet (one LOD unless it is a Sweedle GLB); InputError says what is wrong."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in READABLE_SUFFIXES:
        kinds = ", ".join(s[1:].upper() for s in READABLE_SUFFIXES)
        raise InputError(f"{path.name} is not a mesh Sweedle can open: use {kinds}")
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file")
    if suffix == ".glb":
        return read_glb(path)
    import trimesh  # only needed for foreign formats

    try:
        # process=False: trimesh's processing merges vertices and broke watertight generator output.
        loaded = trimesh.load(path, process=False, force="mesh")
    except Exception as exc:
        raise InputError(f"{path.name} could not be read as a mesh ({type(exc).__name__}: {exc})") from exc
    if not isinstance(loaded, trimesh.Trimesh) or len(loaded.faces) == 0:
        raise InputError(f"{path.name} holds no triangles")
    uv = getattr(loaded.visual, "uv", None)
    uvs = None
    if uv is not None and len(uv) == len(loaded.vertices):
        uvs = np.column_stack([uv[:, 0], 1.0 - uv[:, 1]]).astype(np.float32)  # OBJ v-up → glTF v-down
    mesh = Mesh(
        np.asarray(loaded.vertices, np.float32),
        np.asarray(loaded.faces, np.uint32),
        uvs=uvs,
    )
    return LodSet(name=path.stem, lods=[Lod(0, mesh)], material=Material())

"""Read any mesh file a user brings (GLB with its LODs; glTF/OBJ/PLY/STL through trimesh).

Used by the window (a mesh dropped on the viewport) and by library imports. Sweedle's own GLBs go
through our reader so their LODs, material and provenance survive; the rest go through trimesh
with `process=False` (its repairs broke watertight meshes). Geometry keeps its units and pivot.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from app.core.errors import InputError
from app.core.formats.glb_reader import read_glb
from app.core.formats.suffixes import MESH_SUFFIXES
from app.core.mesh.cleanup import merge_vertices
from app.core.mesh.normals import welded_vertex_normals
from app.core.mesh.types import Lod, LodSet, Material, Mesh

_log = logging.getLogger(__name__)


def read_mesh_file(path: Path) -> LodSet:
    """The file as a LodSet named after it (one LOD unless it is a GLB with LODs); an InputError
    says what is wrong with a file that cannot be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MESH_SUFFIXES:
        raise InputError(
            f"{path.name}: cannot open {suffix or 'a file without extension'}; "
            f"use one of {', '.join(MESH_SUFFIXES)}"
        )
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file")
    if suffix == ".glb":
        lodset = read_glb(path)
        lodset.name = path.stem
    else:
        lodset = _read_with_trimesh(path)
    if lodset.lod0.triangle_count == 0:
        raise InputError(f"{path.name} has no triangles")
    return lodset


def _read_with_trimesh(path: Path) -> LodSet:
    import trimesh  # only needed for foreign formats

    from app.core.formats.mesh_textures import CompanionFiles
    from app.core.imaging.pictures import pillow_limited_to_allowed_formats

    companions = CompanionFiles(path)
    try:
        with pillow_limited_to_allowed_formats():
            loaded = trimesh.load(path, process=False, force="mesh", resolver=companions)
    except Exception as exc:  # trimesh raises many types for damaged files
        raise companions.refusal or InputError(
            f"{path.name} could not be read as a mesh ({type(exc).__name__}: {exc})"
        ) from exc
    if companions.refusal is not None:
        raise companions.refusal
    if not isinstance(loaded, trimesh.Trimesh) or len(loaded.faces) == 0:
        raise InputError(f"{path.name} has no triangles")
    for note in companions.notes:
        _log.warning(note)
    uvs, texture = _uvs_and_texture(loaded, path)
    # STL and some PLY/OBJ files are triangle soup: merged vertices let the LOD chain collapse edges.
    mesh = merge_vertices(Mesh(np.asarray(loaded.vertices), np.asarray(loaded.faces), uvs=uvs))
    mesh.normals = welded_vertex_normals(mesh.vertices, mesh.faces)
    material = Material(name=path.stem, base_color_texture=texture)
    return LodSet(name=path.stem, lods=[Lod(0, mesh, 0.0)], material=material, notes=companions.notes)


def _uvs_and_texture(loaded: object, path: Path) -> tuple[np.ndarray | None, np.ndarray | None]:
    """UVs flipped to glTF's top-left origin and the base-colour image, when the file has both."""
    visual = getattr(loaded, "visual", None)
    uv = getattr(visual, "uv", None)
    material = getattr(visual, "material", None)
    image = getattr(material, "baseColorTexture", None) or getattr(material, "image", None)
    if uv is None or image is None or len(uv) == 0:
        return None, None
    uvs = np.asarray(uv, dtype=np.float32).copy()
    uvs[:, 1] = 1.0 - uvs[:, 1]
    from app.core.formats.mesh_textures import texture_pixels

    return uvs, texture_pixels(image, path)

"""Read any mesh file a user brings (GLB with its LODs; glTF/OBJ/PLY/STL through trimesh).

Used by the window (a mesh dropped on the viewport) and by library imports. Sweedle's own GLBs go
through our reader so their LODs, material and provenance survive; binary STL (the usual big
triangle soup) through a numpy view; the rest through trimesh with `process=False` (its repairs
broke watertight meshes). Geometry keeps its units and pivot.

Every file is checked before a parser allocates (a regular file, declared counts within the
mesh limits and the file's size) and after (finite positions, triangles naming real vertices),
so a hostile file ends in one InputError naming it, never in a crash of the viewport.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.core.base.errors import InputError
from app.core.formats.glb_reader import check_gltf_counts, read_glb
from app.core.formats.mesh_checks import check_attribute, check_faces, check_positions, read_regular_file
from app.core.formats.mesh_headers import binary_stl_corners, check_ply_header, check_text_counts
from app.core.formats.mesh_limits import MeshLimits, check_triangles, check_vertices, mesh_limits
from app.core.formats.suffixes import MESH_SUFFIXES
from app.core.mesh.cleanup import merge_vertices
from app.core.mesh.normals import welded_vertex_normals
from app.core.mesh.types import Lod, LodSet, Material, Mesh

if TYPE_CHECKING:
    from app.core.base.cancel import CancelToken

_log = logging.getLogger(__name__)
_FORMAT_NAMES = {".gltf": "a glTF", ".obj": "an OBJ", ".ply": "a PLY", ".stl": "an STL"}


def read_mesh_file(path: Path, limits: MeshLimits | None = None, cancel: CancelToken | None = None) -> LodSet:
    """The file as a LodSet named after it (one LOD unless it is a GLB with LODs); an InputError
    says what is wrong with a file that cannot be read or is over `limits` (default: the
    user's settings). `cancel` is checked between the steps of a long read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MESH_SUFFIXES:
        raise InputError(
            f"{path.name}: cannot open {suffix or 'a file without extension'}; "
            f"use one of {', '.join(MESH_SUFFIXES)}"
        )
    limits = limits or mesh_limits()
    if suffix == ".glb":
        lodset = read_glb(path, limits, cancel)
        lodset.name = path.stem
    else:
        lodset = _read_foreign(path, limits, cancel)
    if lodset.lod0.triangle_count == 0:
        raise InputError(f"{path.name} has no triangles")
    return lodset


def _read_foreign(path: Path, limits: MeshLimits, cancel: CancelToken | None) -> LodSet:
    data = read_regular_file(path)
    suffix = path.suffix.lower()
    if suffix == ".stl":
        corners = binary_stl_corners(path, data, limits)
        if corners is not None:
            faces = np.arange(len(corners), dtype=np.int64).reshape(-1, 3)
            return _lodset(path, corners, faces, None, None, [], cancel)
    if suffix in (".stl", ".obj"):
        check_text_counts(path, data, limits)
    elif suffix == ".ply":
        check_ply_header(path, data, limits)
    else:
        check_gltf_counts(path, data, limits)
    return _read_with_trimesh(path, data, limits, cancel)


def _read_with_trimesh(path: Path, data: bytes, limits: MeshLimits, cancel: CancelToken | None) -> LodSet:
    """trimesh parses the bytes already checked (reading the path again could meet another file)."""
    import trimesh  # only needed for foreign formats

    from app.core.formats.mesh_textures import CompanionFiles
    from app.core.imaging.pictures import pillow_limited_to_allowed_formats

    companions = CompanionFiles(path)
    try:
        with pillow_limited_to_allowed_formats():
            loaded = trimesh.load(
                io.BytesIO(data),
                file_type=path.suffix[1:].lower(),
                process=False,
                force="mesh",
                resolver=companions,
            )
    except Exception as exc:  # trimesh raises many types for damaged files
        raise companions.refusal or _unreadable(path, exc) from exc
    if companions.refusal is not None:
        raise companions.refusal
    if not isinstance(loaded, trimesh.Trimesh) or len(loaded.faces) == 0:
        raise InputError(f"{path.name} has no triangles")
    for note in companions.notes:
        _log.warning(note)
    vertices, faces = np.asarray(loaded.vertices), np.asarray(loaded.faces)
    check_vertices(path.name, len(vertices), limits)
    check_triangles(path.name, len(faces), limits)
    uvs, texture = _uvs_and_texture(loaded, path)
    return _lodset(path, vertices, faces, uvs, texture, companions.notes, cancel)


def _unreadable(path: Path, exc: Exception) -> InputError:
    """trimesh's own words are for developers (and may name its functions): logged, not shown."""
    _log.debug("trimesh could not read %s", path, exc_info=exc)
    kind = _FORMAT_NAMES.get(path.suffix.lower(), "a mesh")
    if isinstance(exc, IndexError):
        return InputError(
            f"{path.name} is damaged: a face refers to a vertex that does not exist; "
            "re-export it from the program that made it"
        )
    return InputError(
        f"{path.name} could not be read as {kind} file: it is damaged, truncated or not {kind} file; "
        "re-export it from the program that made it"
    )


def _lodset(
    path: Path,
    vertices: np.ndarray,
    faces: np.ndarray,
    uvs: np.ndarray | None,
    texture: np.ndarray | None,
    notes: list[str],
    cancel: CancelToken | None,
) -> LodSet:
    """Check the arrays, then make the one-LOD set; STL and some PLY/OBJ files are triangle
    soup, so vertices are merged to let the LOD chain collapse edges."""
    check_positions(path.name, vertices)
    check_faces(path.name, faces, len(vertices))
    check_attribute(path.name, "texture coordinates", uvs, len(vertices))
    if cancel is not None:
        cancel.raise_if_cancelled()
    mesh = merge_vertices(Mesh(vertices, faces, uvs=uvs))
    if cancel is not None:
        cancel.raise_if_cancelled()
    mesh.normals = welded_vertex_normals(mesh.vertices, mesh.faces)
    material = Material(name=path.stem, base_color_texture=texture)
    return LodSet(name=path.stem, lods=[Lod(0, mesh, 0.0)], material=material, notes=notes)


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

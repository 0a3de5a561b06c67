"""Import existing meshes (GLB, glTF, OBJ, PLY, STL) as library assets, with LODs and a thumbnail.

Sweedle's own GLBs are read by our reader so their LODs, material and provenance survive; the
rest go through trimesh with `process=False` (its repairs broke watertight meshes). Geometry is
kept as it is (units, pivot): an import is the user's asset, not ours to move. Slow (LODs,
thumbnail): call it off the GUI thread.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from app.core.errors import InputError
from app.core.formats.glb import glb_bytes
from app.core.formats.glb_reader import read_glb
from app.core.formats.images import encode_png
from app.core.generation.request import DEFAULT_LODS, LodTarget
from app.core.library.records import (
    GLB_FILE,
    TEXTURE_FILE,
    THUMBNAIL_FILE,
    AssetRecord,
    LodRecord,
    SourceType,
)
from app.core.library.repository import Library, NewVersion
from app.core.library.store import FileContent
from app.core.library.thumbnails import thumbnail_png
from app.core.mesh.cleanup import merge_vertices
from app.core.mesh.lod import build_lods
from app.core.mesh.normals import welded_vertex_normals
from app.core.mesh.types import Lod, LodSet, Material, Mesh

IMPORT_SUFFIXES = (".glb", ".gltf", ".obj", ".ply", ".stl")
MIN_LOD_TRIANGLES = 64
"""Below this, an imported mesh gets no LODs: there is nothing worth reducing."""


def import_mesh(library: Library, path: Path, name: str | None = None) -> AssetRecord:
    """Add the mesh file at `path` to the library; importing the same file again adds a version."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        raise InputError(
            f"{path.name}: cannot import {suffix or 'a file without extension'}; "
            f"use one of {', '.join(IMPORT_SUFFIXES)}"
        )
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file")
    data = path.read_bytes()
    lodset = _read(path, suffix)
    lod0 = lodset.lod0
    if lod0.triangle_count == 0:
        raise InputError(f"{path.name} has no triangles to import")
    if len(lodset.lods) == 1 and lod0.triangle_count >= MIN_LOD_TRIANGLES:
        targets = sorted(
            {LodTarget.parse(t).resolve(lod0.triangle_count) for t in DEFAULT_LODS}, reverse=True
        )
        lodset = lodset.with_lods(build_lods(lod0, targets))
    files: dict[str, FileContent] = {
        GLB_FILE: glb_bytes(lodset),
        f"source{suffix}": data,
        THUMBNAIL_FILE: thumbnail_png(lodset),
    }
    if lodset.material.base_color_texture is not None:
        files[TEXTURE_FILE] = encode_png(lodset.material.base_color_texture)
    lo, hi = (list(map(float, row)) for row in lod0.bounds())
    new = NewVersion(
        name=name or path.stem,
        source_type=SourceType.IMPORTED,
        engine="import",
        lods=[
            LodRecord(lod.level, lod.mesh.triangle_count, lod.mesh.vertex_count, lod.error_pct)
            for lod in lodset.lods
        ],
        files=files,
        source_key=hashlib.sha256(data).hexdigest(),
        source_name=path.name,
        model_id=suffix[1:],
        parameters={"source_format": suffix[1:], "lods": len(lodset.lods) - 1},
        bounds={"min": lo, "max": hi},
        height_m=hi[1] - lo[1],
    )
    return library.add_version(new)


def _read(path: Path, suffix: str) -> LodSet:
    if suffix == ".glb":
        lodset = read_glb(path)
        lodset.name = path.stem
        return lodset
    return _read_with_trimesh(path)


def _read_with_trimesh(path: Path) -> LodSet:
    import trimesh

    try:
        loaded = trimesh.load(path, process=False, force="mesh")
    except Exception as exc:  # trimesh raises many types for damaged files
        raise InputError(f"{path.name} could not be read as a mesh ({type(exc).__name__}: {exc})") from exc
    if not isinstance(loaded, trimesh.Trimesh) or len(loaded.faces) == 0:
        raise InputError(f"{path.name} has no triangles to import")
    uvs, texture = _uvs_and_texture(loaded)
    # STL and some PLY/OBJ files are triangle soup: merged vertices let the LOD chain collapse edges.
    mesh = merge_vertices(Mesh(np.asarray(loaded.vertices), np.asarray(loaded.faces), uvs=uvs))
    mesh.normals = welded_vertex_normals(mesh.vertices, mesh.faces)
    material = Material(name=path.stem, base_color_texture=texture)
    return LodSet(name=path.stem, lods=[Lod(0, mesh, 0.0)], material=material)


def _uvs_and_texture(loaded: object) -> tuple[np.ndarray | None, np.ndarray | None]:
    """UVs flipped to glTF's top-left origin and the base-colour image, when the file has both."""
    visual = getattr(loaded, "visual", None)
    uv = getattr(visual, "uv", None)
    material = getattr(visual, "material", None)
    image = getattr(material, "baseColorTexture", None) or getattr(material, "image", None)
    if uv is None or image is None or len(uv) == 0:
        return None, None
    uvs = np.asarray(uv, dtype=np.float32).copy()
    uvs[:, 1] = 1.0 - uvs[:, 1]
    return uvs, np.asarray(image.convert("RGB"), dtype=np.uint8)

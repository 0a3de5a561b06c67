"""Unity: `Assets/Sweedle/<Asset>/<Asset>.fbx` with `<Asset>_LOD0..n` meshes (Unity builds the
LODGroup from those names) and `Textures/<Asset>_BaseColor.png`; a GLB beside it when the
project has glTFast. Unity turns the FBX's centimetres into metres itself (file scale)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.core.export.naming import safe_name
from app.core.export.options import ExportOptions, prepare
from app.core.export.projects import EngineKind, open_project
from app.core.export.staging import ExportResult, Staging, asset_folder
from app.core.formats.fbx import write_fbx
from app.core.formats.glb import write_glb
from app.core.mesh.types import LodSet

APP_FOLDER = "Sweedle"


def export_unity(
    lodset: LodSet, project_folder: Path | str, options: ExportOptions, key: str
) -> ExportResult:
    """Export `lodset` (the asset identified by `key`) into the Unity project at `project_folder`."""
    project = open_project(EngineKind.UNITY, project_folder)
    prepared = prepare(lodset, options)
    parent = project.root / "Assets" / APP_FOLDER
    folder, name = asset_folder(project.root, parent, safe_name(lodset.name), key)
    prepared = replace(prepared, name=name)
    notes = list(prepared.notes)
    with Staging(project.root, folder, key) as staging:
        fbx = staging.path(f"{name}.fbx")
        textured = prepared.material.base_color_texture is not None
        write_fbx(prepared, fbx, staging.path(f"Textures/{name}_BaseColor.png") if textured else None)
        if project.uses_gltfast:
            write_glb(prepared, staging.path(f"{name}.glb"))
            notes.append("The project uses glTFast, so a GLB was written beside the FBX.")
        files = staging.commit()
    notes.append(
        f"Unity imports {name}.fbx when its window gets focus; the LODGroup is built from the _LODn meshes."
    )
    return ExportResult(EngineKind.UNITY.value, folder, files, [*staging.notes, *notes])

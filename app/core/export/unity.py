"""Unity: `Assets/Sweedle/<Asset>/<Asset>.fbx` with `<Asset>_LOD0..n` meshes (Unity builds the
LODGroup from those names) and `Textures/<Asset>_BaseColor.png`; a GLB beside it when the
project has glTFast. Unity turns the FBX's centimetres into metres itself (file scale).

Maps for the Built-in Standard and URP Lit shaders (metallic workflow): the FBX binds
`Textures/<Asset>_Normal.png` (green +Y, Unity's convention) as its normal map, and
`Textures/<Asset>_Occlusion.png` is grey occlusion for the material's Occlusion slot (both
shaders read its G channel); smoothness (1 - roughness) and metallic come from the FBX
material's values. The meshes carry a lightmap UV set (Unity's uv2, on by default), which
Unity uses as it is while the model's "Generate Lightmap UVs" stays off, its default."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.core.export.lightmaps import lightmaps_wanted, with_lightmaps
from app.core.export.naming import safe_name
from app.core.export.options import ExportOptions, prepare
from app.core.export.projects import EngineKind, open_project
from app.core.export.staging import ExportResult, Staging, asset_folder
from app.core.formats.asset_names import MapKind
from app.core.formats.fbx import write_fbx
from app.core.formats.glb import write_glb
from app.core.formats.map_files import MapFiles, available
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
    if lightmaps_wanted(options, EngineKind.UNITY):
        prepared = with_lightmaps(prepared)
    notes = list(prepared.notes)
    with Staging(project.root, folder, key) as staging:
        fbx = staging.path(f"{name}.fbx")
        have = available(prepared.material)
        paths = {
            kind: staging.path(f"Textures/{name}_{kind.value}.png")
            for kind in (MapKind.BASE_COLOR, MapKind.NORMAL, MapKind.OCCLUSION)
            if kind in have
        }
        maps = MapFiles(
            base_color=paths.get(MapKind.BASE_COLOR),
            normal=paths.get(MapKind.NORMAL),
            occlusion=paths.get(MapKind.OCCLUSION),
        )
        write_fbx(prepared, fbx, maps)
        if project.uses_gltfast:
            write_glb(prepared, staging.path(f"{name}.glb"))
            notes.append("The project uses glTFast, so a GLB was written beside the FBX.")
        files = staging.commit()
    notes.append(
        f"Unity imports {name}.fbx when its window gets focus; the LODGroup is built from the _LODn meshes."
    )
    return ExportResult(EngineKind.UNITY.value, folder, files, [*staging.notes, *notes])

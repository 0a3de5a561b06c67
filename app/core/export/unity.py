"""Unity: `Assets/Sweedle/<Asset>/<Asset>.fbx` with `<Asset>_LOD0..n` meshes (Unity builds the
LODGroup from those names), `<Asset>_Collision_NN` convex meshes when collision is asked for, and
`Textures/<Asset>_BaseColor.png`, `_Normal.png` (green +Y, Unity's convention) and
`_Occlusion.png` (grey); a GLB beside it when the project has glTFast. Unity turns the FBX's
centimetres into metres itself (file scale).

The editor script `Assets/Sweedle/Editor/SweedleImport.cs` (`unity_script`) is written with
every export: it turns the collision meshes into convex MeshColliders with no renderer, keeps
the FBX's tangents and lightmap UVs, imports the maps as data and gives each material its
occlusion map. The FBX's material is Unity's Standard (Built-in) or URP Lit, whichever pipeline
the project uses; base colour and normal map come through the FBX.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.core.base.atomic import atomic_write_bytes
from app.core.export.collision import collision_note, named_shapes
from app.core.export.lightmaps import lightmaps_wanted, with_lightmaps
from app.core.export.naming import safe_name
from app.core.export.options import ExportOptions, prepare
from app.core.export.projects import EngineKind, open_project
from app.core.export.staging import ExportResult, Staging, asset_folder, inside
from app.core.export.unity_script import COLLISION_TAG, SCRIPT, SCRIPT_PATH
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
    shapes = named_shapes(prepared, options.collision, f"{name}{COLLISION_TAG}")
    notes = list(prepared.notes)
    notes += collision_note(shapes, f"as {name}{COLLISION_TAG}NN meshes, convex MeshColliders on import")
    _write_script(project.root)
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
        write_fbx(prepared, fbx, maps, shapes)
        if project.uses_gltfast:
            write_glb(prepared, staging.path(f"{name}.glb"))
            notes.append("The project uses glTFast, so a GLB was written beside the FBX.")
        files = staging.commit()
    notes.append(
        f"Unity imports {name}.fbx when its window gets focus; the LODGroup is built from the _LODn meshes, "
        f"and {SCRIPT_PATH} sets up collision, maps and materials."
    )
    return ExportResult(EngineKind.UNITY.value, folder, files, [*staging.notes, *notes])


def _write_script(root: Path) -> None:
    """The editor script, before the model lands (Unity compiles scripts before it imports the
    models of the same refresh); left alone when it is already the same, so Unity does not
    recompile for nothing."""
    path = inside(root, root / SCRIPT_PATH)
    data = SCRIPT.encode("utf-8")
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)

"""Unreal Engine 5: source files outside Content (copying into Content/ does not import them
silently), plus a generated Python script that imports them with `unreal.AssetImportTask`.

`<Project>/SourceArt/Sweedle/<Asset>/SM_<Asset>.fbx` holds a LodGroup (Unreal's "Import Mesh
LODs") with material `M_<Asset>`, `UCX_SM_<Asset>_00` an optional convex collision, and a second
UV set for lightmaps (on by default); beside it `T_<Asset>_D.png` the base colour,
`T_<Asset>_N.png` the normal map written in Unreal's DirectX convention (green = -Y: the file is
flipped here, so the texture needs no "Flip Green Channel"), and `T_<Asset>_ORM.png` occlusion,
roughness and metallic in R, G, B.
`import_SM_<Asset>.py` imports them into `/Game/Sweedle/<Asset>`; run it with
`UnrealEditor-Cmd <Project>.uproject -run=pythonscript -script=<script>` (editor closed) or from
the editor's Python console. It imports the FBX (mesh, LODs, collision, material, base colour
and normal map), then the ORM; sets the normal map and ORM textures linear (sRGB off, normal-map
and mask compression); wires the ORM's channels into M_<Asset> (AO, roughness, metallic); and
points the mesh's lightmap at UV channel 1 with Unreal's own lightmap UV generation off.
Unreal's FBX importer converts axes but not units: the FBX is in centimetres, Unreal's own unit.

Collision: `auto_generate_collision` is on exactly when the FBX carries UCX_ meshes. The legacy
FBX importer ignores it when custom collision is present; Unreal 5.5+ runs these options
through Interchange, which copies it into the mesh pipeline's collision switch (bImportCollision,
later bCollision), and there "off" means no collision is created or imported at all, UCX_ meshes
included.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from app.core.base.atomic import atomic_write
from app.core.export.errors import ExportError
from app.core.export.lightmaps import lightmaps_wanted, with_lightmaps
from app.core.export.naming import safe_name
from app.core.export.options import ExportOptions, prepare
from app.core.export.projects import EngineKind, open_project
from app.core.export.staging import ExportResult, Staging, asset_folder
from app.core.formats.asset_names import MapKind, material_name
from app.core.formats.fbx import write_fbx
from app.core.formats.map_files import MapFiles, available
from app.core.mesh.collision import collision_shapes
from app.core.mesh.types import LodSet, NormalConvention

SOURCE_FOLDER = Path("SourceArt") / "Sweedle"
GAME_FOLDER = "/Game/Sweedle"


def export_unreal(
    lodset: LodSet, project_folder: Path | str, options: ExportOptions, key: str
) -> ExportResult:
    """Export `lodset` (the asset identified by `key`) as source files + import script into the
    Unreal project at `project_folder`. Unreal itself is not started (see `run_import`)."""
    project = open_project(EngineKind.UNREAL, project_folder)
    assert project.uproject is not None
    prepared = prepare(lodset, options)
    folder, name = asset_folder(project.root, project.root / SOURCE_FOLDER, safe_name(lodset.name), key)
    prepared = replace(prepared, name=f"SM_{name}")
    lightmap = lightmaps_wanted(options, EngineKind.UNREAL)
    if lightmap:
        prepared = with_lightmaps(prepared)
    shapes = collision_shapes(prepared.lod0, options.collision)
    extra = [(f"UCX_SM_{name}_{i:02d}", shape) for i, shape in enumerate(shapes)]
    fbx_name, script_name = f"SM_{name}.fbx", f"import_SM_{name}.py"
    with Staging(project.root, folder, key) as staging:
        fbx = staging.path(fbx_name)
        have = available(prepared.material)
        suffixes = {MapKind.BASE_COLOR: "D", MapKind.NORMAL: "N", MapKind.ORM: "ORM"}
        paths = {
            kind: staging.path(f"T_{name}_{suffix}.png") for kind, suffix in suffixes.items() if kind in have
        }
        maps = MapFiles(
            base_color=paths.get(MapKind.BASE_COLOR),
            normal=paths.get(MapKind.NORMAL),
            orm=paths.get(MapKind.ORM),
            normal_convention=NormalConvention.DIRECTX,
        )
        write_fbx(prepared, fbx, maps, extra)
        plan = UnrealImport(
            fbx=folder / fbx_name,
            destination=f"{GAME_FOLDER}/{name}",
            mesh=f"SM_{name}",
            material=material_name(prepared.name),
            normal_texture=f"T_{name}_N" if MapKind.NORMAL in paths else None,
            orm=folder / f"T_{name}_ORM.png" if MapKind.ORM in paths else None,
            collision=bool(extra),
            lightmap=lightmap,
            roughness=float(prepared.material.roughness),
            metallic=float(prepared.material.metallic),
        )
        with atomic_write(staging.path(script_name), "w") as f:
            f.write(import_script(plan))
        files = staging.commit()
    script = folder / script_name
    command = ["UnrealEditor-Cmd", str(project.uproject), "-run=pythonscript", f"-script={script}"]
    notes = [
        f"Import into /Game/Sweedle/{name} by running: {' '.join(_quoted(command))} "
        f"(editor closed), or run {script.name} from the editor's Python console."
    ]
    if not project.python_plugin:
        notes.append(
            f"{project.uproject.name} does not enable the Python Editor Script Plugin "
            "(PythonScriptPlugin), which the import script needs: enable it in Edit > Plugins."
        )
    notes = [*staging.notes, *prepared.notes, *notes]
    return ExportResult(EngineKind.UNREAL.value, folder, files, notes, command)


@dataclass(frozen=True)
class UnrealImport:
    """What the import script imports and sets up."""

    fbx: Path
    destination: str
    """Content path, e.g. /Game/Sweedle/Rock."""
    mesh: str
    """The static mesh's asset name (the FBX's stem)."""
    material: str
    """The material the FBX import makes (named in the FBX)."""
    normal_texture: str | None = None
    """The normal map's asset name (the FBX references it), or None."""
    orm: Path | None = None
    """The ORM PNG (the FBX does not reference it), or None."""
    collision: bool = False
    """The FBX carries UCX_ meshes."""
    lightmap: bool = False
    """The FBX's meshes carry a lightmap UV set (channel 1)."""
    roughness: float = 0.5
    metallic: float = 0.0


def import_script(plan: UnrealImport) -> str:
    """A Python script for Unreal's editor that imports `plan.fbx` (with its LODs, material and
    textures) as a static mesh into `plan.destination`, replacing and saving what is there, and
    sets up its maps and lightmap as the module docstring says."""
    orm_task = f"tasks.append(task_for({str(plan.orm)!r}))\n" if plan.orm else ""
    orm_name = plan.orm.stem if plan.orm else None
    return f'''"""Generated by Sweedle: imports {plan.fbx.name} into {plan.destination}."""
import unreal

DESTINATION = {plan.destination!r}


def task_for(filename, options=None):
    task = unreal.AssetImportTask()
    task.filename = filename
    task.destination_path = DESTINATION
    task.automated = True
    task.replace_existing = True
    task.save = True
    if options is not None:
        task.options = options
    return task


def loaded(name):
    return unreal.EditorAssetLibrary.load_asset(DESTINATION + "/" + name)


options = unreal.FbxImportUI()
options.import_mesh = True
options.import_as_skeletal = False
options.import_materials = True
options.import_textures = True
options.automated_import_should_detect_type = False
options.mesh_type_to_import = unreal.FBXImportType.FBXIT_STATIC_MESH
mesh_data = options.static_mesh_import_data
mesh_data.import_mesh_lo_ds = True
mesh_data.combine_meshes = True
mesh_data.convert_scene = True
# On with UCX_ meshes: Interchange (Unreal 5.5+) reads "off" as "import no collision at all".
mesh_data.auto_generate_collision = {plan.collision}
mesh_data.one_convex_hull_per_ucx = True
mesh_data.generate_lightmap_u_vs = {not plan.lightmap}
mesh_data.normal_import_method = unreal.FBXNormalImportMethod.FBXNIM_IMPORT_NORMALS_AND_TANGENTS
tasks = [task_for({str(plan.fbx)!r}, options)]
{orm_task}unreal.AssetToolsHelpers.get_asset_tools().import_asset_tasks(tasks)
for task in tasks:
    for path in task.imported_object_paths:
        unreal.log("Sweedle imported " + path)

NORMAL_MAP, ORM = {plan.normal_texture!r}, {orm_name!r}
LINEAR = [(NORMAL_MAP, unreal.TextureCompressionSettings.TC_NORMALMAP)]
LINEAR.append((ORM, unreal.TextureCompressionSettings.TC_MASKS))
for name, compression in LINEAR:
    texture = loaded(name) if name else None
    if texture is not None:
        texture.set_editor_property("srgb", False)
        texture.set_editor_property("compression_settings", compression)
        unreal.EditorAssetLibrary.save_loaded_asset(texture)

LIGHTMAP = {plan.lightmap}
mesh = loaded({plan.mesh!r})
if mesh is not None and LIGHTMAP:
    mesh.set_editor_property("light_map_coordinate_index", 1)
    unreal.EditorAssetLibrary.save_loaded_asset(mesh)

material = loaded({plan.material!r})
if material is not None:
    edit = unreal.MaterialEditingLibrary
    orm = loaded(ORM) if ORM else None
    if orm is not None:
        sample = edit.create_material_expression(material, unreal.MaterialExpressionTextureSample, -600, 300)
        sample.set_editor_property("texture", orm)
        sample.set_editor_property("sampler_type", unreal.MaterialSamplerType.SAMPLERTYPE_MASKS)
        edit.connect_material_property(sample, "R", unreal.MaterialProperty.MP_AMBIENT_OCCLUSION)
        edit.connect_material_property(sample, "G", unreal.MaterialProperty.MP_ROUGHNESS)
        edit.connect_material_property(sample, "B", unreal.MaterialProperty.MP_METALLIC)
    else:
        for value, target, y in (({plan.roughness!r}, unreal.MaterialProperty.MP_ROUGHNESS, 300),
                                 ({plan.metallic!r}, unreal.MaterialProperty.MP_METALLIC, 400)):
            constant = edit.create_material_expression(material, unreal.MaterialExpressionConstant, -300, y)
            constant.set_editor_property("r", value)
            edit.connect_material_property(constant, "", target)
    edit.recompile_material(material)
    unreal.EditorAssetLibrary.save_loaded_asset(material)
'''


def run_import(result: ExportResult, editor_cmd: Path, timeout_s: float = 1800) -> str:
    """Run the export's import script with the user's `UnrealEditor-Cmd` (the editor must be
    closed); returns the tail of its log, or raises ExportError with it."""
    if result.command is None:
        raise ExportError("This export has no Unreal import command to run.")
    editor_cmd = check_editor_cmd(editor_cmd)
    try:
        done = subprocess.run(
            [str(editor_cmd), *result.command[1:]],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ExportError(f"Could not run {editor_cmd}: {exc}.") from exc
    tail = (done.stdout + done.stderr)[-4000:]
    if done.returncode != 0:
        raise ExportError(f"Unreal's import failed (exit code {done.returncode}); its log ends with:\n{tail}")
    return tail


EDITOR_NAMES = ("unrealeditor-cmd", "ue4editor-cmd")
"""Unreal's command-line editor (UE5, UE4), without .exe: the program that runs an import script."""


def check_editor_cmd(path: Path | str) -> Path:
    """`path` if it is Unreal's command-line editor that can be run, else an ExportError that says
    what is wrong with it and where the right file is."""
    editor = Path(path).expanduser()
    where = "Engine/Binaries/<platform>/ of your Unreal Engine install"
    if not str(path).strip():
        raise ExportError(f"Choose UnrealEditor-Cmd in {where} to run the import script.")
    if not editor.exists():
        raise ExportError(f"UnrealEditor-Cmd was not found at {editor}; choose it in {where}.")
    if editor.is_dir():
        raise ExportError(f"{editor} is a folder; choose the UnrealEditor-Cmd program in {where}.")
    if editor.stem.lower() not in EDITOR_NAMES:
        raise ExportError(
            f"{editor.name} is not Unreal's command-line editor; choose UnrealEditor-Cmd in {where}."
        )
    if not os.access(editor, os.X_OK):
        raise ExportError(
            f"{editor} cannot be run (it is not executable); check its permissions or reinstall Unreal."
        )
    return editor


def _quoted(parts: list[str]) -> list[str]:
    return [f'"{p}"' if " " in p else p for p in parts]

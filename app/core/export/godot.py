"""Godot 4: a plain float32 GLB (no compression, no required extension) at
`res://sweedle/<asset>/<asset>.glb`, which the editor imports on its next scan.

LOD0 only by default: Godot generates LODs itself (`meshes/generate_lods`, on by default) and
has no naming convention for authored ones (nor reads MSFT_lod); `godot_authored_lods` ships
them too, each as its own scene `<asset>_lod<k>.glb` beside LOD0's, one visible mesh per file
(for a visibility range or a script to switch). A convex collision is asked for with Godot's
`-convcolonly` node suffix: each convex piece (`export.collision`) is a
position-only mesh node `<asset>_collision_NN-convcolonly` under the asset's root, which Godot
imports as a StaticBody with a ConvexPolygonShape and no visible mesh.
Sweedle writes no `.import` sidecar: Godot owns it, and its `uid=` line stays as it is.
The material is `M_<asset>` with its textures `T_<asset>_*` (Godot keeps imported materials by
name, so each asset keeps its own); occlusion is glTF's occlusionTexture, roughness and metallic
factors. A lightmap UV set (TEXCOORD_1, Godot's UV2) is written only when asked for: Godot
unwraps its own with the import option `Static Lightmaps`; with ours, choose `Static`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.core.base.atomic import atomic_write_bytes
from app.core.export.collision import collision_note, named_shapes
from app.core.export.lightmaps import lightmaps_wanted, with_lightmaps
from app.core.export.naming import snake_name
from app.core.export.options import ExportOptions, prepare
from app.core.export.projects import EngineKind, open_project
from app.core.export.staging import ExportResult, Staging, asset_folder
from app.core.formats.glb import glb_bytes
from app.core.formats.glb_edit import with_shape_nodes
from app.core.mesh.types import LodSet

APP_FOLDER = "sweedle"
COLLISION_SUFFIX = "-convcolonly"


def export_godot(
    lodset: LodSet, project_folder: Path | str, options: ExportOptions, key: str
) -> ExportResult:
    """Export `lodset` (the asset identified by `key`) into the Godot project at `project_folder`."""
    project = open_project(EngineKind.GODOT, project_folder)
    if not options.godot_authored_lods:
        options = replace(options, lod_levels=0)
    prepared = prepare(lodset, options)
    folder, name = asset_folder(project.root, project.root / APP_FOLDER, snake_name(lodset.name), key)
    prepared = replace(prepared, name=name)
    if lightmaps_wanted(options, EngineKind.GODOT):
        prepared = with_lightmaps(prepared)
    data = glb_bytes(replace(prepared, lods=prepared.lods[:1]))
    shapes = named_shapes(prepared, options.collision, f"{name}_collision_", COLLISION_SUFFIX)
    if shapes:
        data = with_shape_nodes(data, shapes)
    with Staging(project.root, folder, key) as staging:
        atomic_write_bytes(staging.path(f"{name}.glb"), data)
        for lod in prepared.lods[1:]:
            level = replace(prepared, name=f"{name}_lod{lod.level}", lods=[replace(lod, level=0)])
            atomic_write_bytes(staging.path(f"{name}_lod{lod.level}.glb"), glb_bytes(level))
        files = staging.commit()
    res_path = f"res://{APP_FOLDER}/{folder.name}/{name}.glb"
    notes = [
        *prepared.notes,
        *collision_note(shapes, "as -convcolonly nodes: Godot makes a StaticBody with a CollisionShape each"),
        f"Godot imports {res_path} when its editor window gets focus (or run godot --headless --import).",
    ]
    return ExportResult(EngineKind.GODOT.value, folder, files, [*staging.notes, *notes])

"""The LOD chain a user asks for, and what plain readers show, checked by the readers themselves.

- The Autodesk FBX SDK (FBX2glTF) lists the chain `sweedle export --lod0-triangles N --lods K`
  asked for, and `--lod0-triangles` alone keeps every level (exports used to trim or drop LODs).
- Godot 3 (headless) and Blender 3.4 import ONE visible mesh from every GLB/glTF Sweedle hands a
  user: `sweedle generate -o X.glb`, Export As .glb/.gltf, the Unity glTFast copy and each file
  of Godot's `--godot-lods` (LOD1.. used to be nodes both readers showed stacked on LOD0),
  while Sweedle's own reader still gets every LOD back from the same file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from export_samples import godot_project, sample_lodset, unity_project, unreal_project
from readers import blender_import, fbx_sdk_read, godot_import

from app.cli.main import main
from app.core.export.export_as import export_as
from app.core.export.godot import export_godot
from app.core.export.options import ExportOptions
from app.core.export.unity import export_unity
from app.core.formats.glb import write_glb
from app.core.formats.glb_reader import read_glb

ROBOT = Path(__file__).resolve().parents[2] / "resources" / "samples" / "robot.png"


def _sdk_meshes(fbx: Path, out: Path) -> list[str]:
    listing, _ = fbx_sdk_read(fbx, out)
    return re.findall(r"^mesh \d+: (\S+)", listing, flags=re.MULTILINE)


def test_the_fbx_sdk_lists_the_requested_lod_chain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    glb = tmp_path / "Crate.glb"
    write_glb(sample_lodset("Crate", levels=3, texture_size=16), glb)  # LOD0 1280, LOD1, LOD2
    unity = unity_project(tmp_path / "Unity")
    args = ["export", str(glb), "--unity", str(unity), "--lod0-triangles", "600", "--lods", "4"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "LOD chain made for this export" in err and "LOD0 600" in err
    fbx = next(unity.rglob("Crate.fbx"))
    assert _sdk_meshes(fbx, tmp_path / "sdk") == [f"Crate_LOD{k}" for k in range(5)]

    unreal = unreal_project(tmp_path / "Unreal")
    assert main(["export", str(glb), "--unreal", str(unreal), "--lod0-triangles", "900"]) == 0
    fbx = next(unreal.rglob("*.fbx"))
    assert _sdk_meshes(fbx, tmp_path / "sdk2") == [f"SM_Crate_LOD{k}" for k in range(3)]


def test_each_lod_meets_its_budget_after_a_new_lod0_budget(tmp_path: Path) -> None:
    path = tmp_path / "rock.glb"
    result = export_as(
        sample_lodset("Rock", levels=4), path, ExportOptions(lod0_triangles=2000, lod_levels=3)
    )
    counts = [lod.mesh.triangle_count for lod in read_glb(path).lods]
    assert len(counts) == 4
    for count, budget in zip(counts, [2000, 1000, 500, 200], strict=True):
        assert abs(count - budget) <= max(2, 0.02 * budget)
    assert any("LOD chain made" in note for note in result.notes)


def test_plain_readers_show_one_lod_of_every_glb_we_write(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    generated = out / "robot.glb"
    assert main(["generate", str(ROBOT), "-o", str(generated), "-p", "resolution=128", "-q"]) == 0
    asset = sample_lodset("Old Rock", levels=3, texture_size=16)
    export_as(asset, out / "rock_as.glb")
    gltf_files = export_as(asset, out / "rock_as.gltf").files
    unity = export_unity(asset, unity_project(tmp_path / "Unity", gltfast=True), ExportOptions(), "u1")
    unity_glb = next(p for p in unity.files if p.suffix == ".glb")
    godot = export_godot(
        asset, godot_project(tmp_path / "Godot"), ExportOptions(godot_authored_lods=True), "g1"
    )
    glbs = [generated, out / "rock_as.glb", unity_glb, *godot.files]
    assert len(godot.files) == 3
    # Sweedle's own reader still finds every LOD in the files that carry the chain.
    assert len(read_glb(generated).lods) == 4 and len(read_glb(out / "rock_as.glb").lods) == 3

    project = tmp_path / "godot_read"
    project.mkdir()
    copies = []
    for i, path in enumerate(glbs):  # one project, distinct names
        copy = project / f"f{i}_{path.name}"
        copy.write_bytes(path.read_bytes())
        copies.append(copy)
    for extra in gltf_files:
        (project / extra.name).write_bytes(extra.read_bytes())
    copies.append(project / gltf_files[0].name)
    godot_report = godot_import(copies, project)
    for copy in copies:
        meshes = godot_report[f"res://{copy.name}"]
        assert meshes is not None, copy.name
        visible = [m for m in meshes if m["visible"]]
        assert len(visible) == 1, (copy.name, meshes)

    blender = blender_import(copies)
    for copy in copies:
        objects = [o for o in blender[copy]["objects"] if o["type"] == "MESH"]
        assert len(objects) == 1, (copy.name, objects)
        assert objects[0]["name"].endswith("_LOD0")

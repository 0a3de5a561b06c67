"""One-click exports into minimal Unity, Unreal and Godot project trees, read back with
independent readers: the Khronos glTF validator, assimp, Blender (one Blender run for the
whole module; GLBs are not read in Blender, whose glTF importer needs numpy in Debian's
Python) and a format-level FBX parser (tests/readers.py)."""

from __future__ import annotations

import ast
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from export_samples import godot_project, sample_lodset, unity_project, unreal_project
from readers import assimp_info, blender_import, read_fbx_records

from app.core.export.godot import export_godot
from app.core.export.options import ExportOptions
from app.core.export.unity import export_unity
from app.core.export.unreal import export_unreal
from app.core.mesh.collision import Collision, CollisionKind

from gltf_tools import validate_gltf

HEIGHT = 1.8
OPTIONS = ExportOptions(height_m=HEIGHT)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("engines")
    asset = sample_lodset("Old Rock")
    unity = export_unity(asset, unity_project(root / "unity", gltfast=True), OPTIONS, "asset-1")
    unreal = export_unreal(
        asset,
        unreal_project(root / "unreal"),
        ExportOptions(height_m=HEIGHT, collision=Collision(CollisionKind.HULL)),
        "asset-1",
    )
    godot = export_godot(asset, godot_project(root / "godot"), OPTIONS, "asset-1")
    godot_lods = export_godot(
        sample_lodset("Old Rock"),
        godot_project(root / "godot2"),
        ExportOptions(height_m=HEIGHT, godot_authored_lods=True, collision=Collision(CollisionKind.HULL)),
        "asset-2",
    )
    fbx_files = [unity.files[0], unreal.files[0]]
    blender = blender_import(fbx_files)
    return {"unity": unity, "unreal": unreal, "godot": godot, "godot_lods": godot_lods, "blender": blender}


def _objects(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["name"]: o for o in report["objects"]}


def test_unity_layout(exported: dict[str, Any]) -> None:
    result = exported["unity"]
    folder = result.folder
    assert folder.relative_to(folder.parents[2]) == Path("Assets/Sweedle/Old_Rock")
    names = sorted(str(p.relative_to(folder)) for p in result.files)
    assert names == ["Old_Rock.fbx", "Old_Rock.glb", "Textures/Old_Rock_BaseColor.png"]
    assert result.files[0].name == "Old_Rock.fbx"
    assert not list(folder.parents[2].glob(".sweedle-staging-*")), "staging folder left behind"
    assert validate_gltf(folder / "Old_Rock.glb")["issues"]["numErrors"] == 0


def test_unity_fbx_in_assimp(exported: dict[str, Any]) -> None:
    info = assimp_info(exported["unity"].files[0])
    assert list(info.meshes) == ["Old_Rock_LOD0", "Old_Rock_LOD1", "Old_Rock_LOD2"]
    assert info.meshes["Old_Rock_LOD0"] == 1280
    assert info.texture_refs == ["Textures/Old_Rock_BaseColor.png"]
    assert "Old_Rock\n" in info.nodes and "Old_Rock_LOD2 (mesh 2)" in info.nodes
    # assimp keeps FBX's centimetres (UnitScaleFactor 1): the height is 180 cm, +Y up, on the ground.
    assert info.maximum[1] - info.minimum[1] == pytest.approx(HEIGHT * 100, rel=0.01)
    assert info.minimum[1] == pytest.approx(0, abs=1e-3)


def test_unity_fbx_in_blender(exported: dict[str, Any]) -> None:
    objects = _objects(exported["blender"][exported["unity"].files[0]])
    assert objects["Old_Rock"]["type"] == "EMPTY"
    lods = sorted(name for name, o in objects.items() if o["parent"] == "Old_Rock")
    assert lods == ["Old_Rock_LOD0", "Old_Rock_LOD1", "Old_Rock_LOD2"]
    for name in lods:
        lod = objects[name]
        # Blender is Z-up and metres: an upright asset of HEIGHT m stands on z=0.
        assert lod["max"][2] - lod["min"][2] == pytest.approx(HEIGHT, rel=0.01)
        assert lod["min"][2] == pytest.approx(0, abs=1e-3)
        assert lod["max"][1] - lod["min"][1] < HEIGHT * 0.7
        assert lod["uv_layers"] == 2  # the texture atlas and the lightmap UVs (on for Unity)
        assert [image["size"] for image in lod["images"]] == [[64, 64]]
    assert objects["Old_Rock_LOD0"]["triangles"] == 1280


def test_fbx_structure(exported: dict[str, Any]) -> None:
    root = read_fbx_records(exported["unity"].files[0])
    settings = {
        p.props[0]: p.props[4:] for p in root.find("GlobalSettings")[0].find("Properties70")[0].children
    }
    assert settings["UpAxis"] == [1] and settings["UpAxisSign"] == [1]
    assert settings["FrontAxis"] == [2] and settings["CoordAxis"] == [0]
    assert settings["UnitScaleFactor"] == [1.0]
    objects = root.find("Objects")[0]
    models = {m.props[1].split("\x00")[0]: m for m in objects.find("Model")}
    assert models["Old_Rock"].props[2] == "LodGroup"
    assert [a.props[2] for a in objects.find("NodeAttribute")] == ["LodGroup"]
    for model in models.values():
        props = {p.props[0]: p.props[4:] for p in model.find("Properties70")[0].children}
        assert props["Lcl Scaling"] == [1.0, 1.0, 1.0]
    vertices = objects.find("Geometry")[0].find("Vertices")[0].props[0].reshape(-1, 3)
    assert np.ptp(vertices[:, 1]) == pytest.approx(HEIGHT * 100, rel=1e-6)


def test_unreal_layout_and_script(exported: dict[str, Any]) -> None:
    result = exported["unreal"]
    project = result.folder.parents[2]
    assert result.folder == project / "SourceArt" / "Sweedle" / "Old_Rock"
    assert sorted(p.name for p in result.files) == [
        "SM_Old_Rock.fbx",
        "T_Old_Rock_D.png",
        "import_SM_Old_Rock.py",
    ]
    assert not any((project / "Content").iterdir()), "nothing is written into Content/"
    script = (result.folder / "import_SM_Old_Rock.py").read_text()
    ast.parse(script)
    assert repr(str(result.folder / "SM_Old_Rock.fbx")) in script
    assert "'/Game/Sweedle/Old_Rock'" in script and "import_mesh_lo_ds = True" in script
    assert result.command == [
        "UnrealEditor-Cmd",
        str(project / "Game.uproject"),
        "-run=pythonscript",
        f"-script={result.folder / 'import_SM_Old_Rock.py'}",
    ]


def test_unreal_fbx_readers(exported: dict[str, Any]) -> None:
    fbx = exported["unreal"].files[0]
    info = assimp_info(fbx)
    assert list(info.meshes) == [
        "SM_Old_Rock_LOD0",
        "SM_Old_Rock_LOD1",
        "SM_Old_Rock_LOD2",
        "UCX_SM_Old_Rock_00",
    ]
    assert info.texture_refs == ["T_Old_Rock_D.png"]
    objects = _objects(exported["blender"][fbx])
    assert sorted(n for n, o in objects.items() if o["parent"] == "SM_Old_Rock") == [
        "SM_Old_Rock_LOD0",
        "SM_Old_Rock_LOD1",
        "SM_Old_Rock_LOD2",
    ]
    hull, lod0 = objects["UCX_SM_Old_Rock_00"], objects["SM_Old_Rock_LOD0"]
    assert hull["parent"] is None
    np.testing.assert_allclose(hull["min"], lod0["min"], atol=1e-4)
    np.testing.assert_allclose(hull["max"], lod0["max"], atol=1e-4)
    assert lod0["max"][2] - lod0["min"][2] == pytest.approx(HEIGHT, rel=0.01)


def _glb_json(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    length = struct.unpack_from("<I", data, 12)[0]
    doc: dict[str, Any] = json.loads(data[20 : 20 + length])
    return doc


def test_godot_plain_glb_lod0_only(exported: dict[str, Any]) -> None:
    result = exported["godot"]
    assert [p.relative_to(result.folder.parents[1]) for p in result.files] == [
        Path("sweedle/old_rock/old_rock.glb")
    ]
    report = validate_gltf(result.files[0])
    assert report["issues"]["numErrors"] == 0
    doc = _glb_json(result.files[0])
    assert "extensionsRequired" not in doc and "extensionsUsed" not in doc
    assert [m["name"] for m in doc["meshes"]] == ["old_rock_LOD0"]
    assert {a["componentType"] for a in doc["accessors"] if a["type"] != "SCALAR"} == {5126}
    # The validator checks POSITION min/max against the data: glTF is +Y up, metres.
    position = doc["accessors"][doc["meshes"][0]["primitives"][0]["attributes"]["POSITION"]]
    assert position["max"][1] - position["min"][1] == pytest.approx(HEIGHT, rel=0.01)
    assert position["min"][1] == pytest.approx(0, abs=1e-6)


def test_godot_authored_lods_and_collision(exported: dict[str, Any]) -> None:
    result = exported["godot_lods"]
    names = [p.name for p in result.files]
    assert names == ["old_rock.glb", "old_rock_lod1.glb", "old_rock_lod2.glb"]
    for path in result.files:
        assert validate_gltf(path)["issues"]["numErrors"] == 0
        drawn = [m for m in _glb_json(path)["meshes"] if not m["name"].endswith("-convcolonly")]
        assert len(drawn) == 1  # one LOD per file: Godot shows each alone
    path = result.files[0]
    doc = _glb_json(path)
    assert "extensionsRequired" not in doc
    assert "old_rock_collision_00-convcolonly" in [n["name"] for n in doc["nodes"]]

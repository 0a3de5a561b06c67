"""Collision in every engine, read back by the engines' own readers: convex pieces built by
Qhull (hull) and V-HACD (decompose), `<Asset>_Collision_NN` meshes in Unity's FBX and `UCX_` in
Unreal's read by the Autodesk FBX SDK (FBX2glTF), `-convcolonly` nodes imported by Godot 3
headless as StaticBody + CollisionShape, the Unity editor script compiled by Mono's C# compiler
against tests/unity_stub, and refusals for targets that carry no collision."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh
from export_samples import godot_project, sample_lodset, unity_project, unreal_project
from readers import _tool, fbx_sdk_read, godot_import

from app.cli.main import main
from app.core.base.errors import InputError
from app.core.export.errors import ExportError
from app.core.export.export_as import export_as
from app.core.export.godot import export_godot
from app.core.export.options import ExportOptions
from app.core.export.unity import export_unity
from app.core.export.unity_script import SCRIPT, SCRIPT_PATH
from app.core.export.unreal import export_unreal
from app.core.mesh.collision import HULL_VERTICES, Collision, CollisionKind, collision_shapes
from app.core.mesh.types import Mesh

from gltf_tools import validate_gltf

STUB = Path(__file__).resolve().parents[1] / "unity_stub"
HEIGHT = 1.8


def _dumbbell() -> Mesh:
    """Two balls on a thin bar (closed parts that overlap, as V-HACD's voxels take them): one
    hull fills the waist, a decomposition should not."""
    bar = trimesh.creation.cylinder(radius=0.1, height=2.0, sections=24)
    bar.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [0, 1, 0]))
    parts = [
        trimesh.creation.icosphere(subdivisions=3, radius=0.5).apply_translation([-1.0, 0.5, 0]),
        trimesh.creation.icosphere(subdivisions=3, radius=0.5).apply_translation([1.0, 0.5, 0]),
        bar.apply_translation([0, 0.5, 0]),
    ]
    whole = trimesh.util.concatenate(parts)
    return Mesh(whole.vertices, whole.faces)


BALLS_VOLUME = 2 * 4 / 3 * np.pi * 0.5**3


def _trimesh(mesh: Mesh) -> trimesh.Trimesh:
    return trimesh.Trimesh(mesh.vertices, mesh.faces, process=False)


def test_collision_option_parses_and_refuses_with_the_forms_it_takes() -> None:
    assert Collision.parse("none") == Collision()
    assert Collision.parse("hull") == Collision(CollisionKind.HULL)
    assert Collision.parse(" Decompose:12 ") == Collision(CollisionKind.DECOMPOSE, 12)
    assert str(Collision.parse("decompose")) == "decompose:8"
    for bad in ("convex", "hull:3", "decompose:0", "decompose:99", "decompose:x"):
        with pytest.raises(InputError, match=r"none, hull, decompose or decompose:N"):
            Collision.parse(bad)


def test_hull_of_a_dense_asset_is_light_convex_and_keeps_its_extent() -> None:
    dense = trimesh.creation.icosphere(subdivisions=6)  # 81,920 triangles, every vertex on the hull
    rng = np.random.default_rng(3)
    vertices = dense.vertices * (1 + 0.02 * rng.standard_normal((len(dense.vertices), 1)))
    mesh = Mesh(vertices, dense.faces)
    (hull,) = collision_shapes(mesh, Collision(CollisionKind.HULL))
    assert hull.vertex_count <= HULL_VERTICES and hull.triangle_count <= 2 * HULL_VERTICES - 4
    shape = _trimesh(hull)
    assert shape.is_convex and shape.is_watertight and shape.volume > 0  # outward-wound
    np.testing.assert_allclose(hull.bounds(), mesh.bounds(), atol=1e-6)
    full = trimesh.Trimesh(vertices, dense.faces).convex_hull.volume
    assert shape.volume > 0.85 * full


def test_decomposition_follows_a_concave_asset() -> None:
    mesh = _dumbbell()
    (hull,) = collision_shapes(mesh, Collision(CollisionKind.HULL))
    pieces = collision_shapes(mesh, Collision(CollisionKind.DECOMPOSE, 6))
    assert 2 <= len(pieces) <= 6
    for piece in pieces:
        shape = _trimesh(piece)
        assert shape.is_convex and shape.volume > 0 and piece.vertex_count <= 32
    covered = sum(_trimesh(p).volume for p in pieces)
    assert covered < 0.75 * _trimesh(hull).volume, "the pieces should leave the waist open"
    assert covered > 0.8 * BALLS_VOLUME


def _sdk_meshes(fbx: Path, out: Path) -> tuple[str, dict[str, trimesh.Trimesh]]:
    """The FBX SDK's listing and each named mesh node of its conversion (metres, +Y up)."""
    listing, glb = fbx_sdk_read(fbx, out)
    scene = trimesh.load(glb, force="scene")
    meshes = {}
    for node in scene.graph.nodes_geometry:
        transform, geometry = scene.graph[node]
        meshes[node] = scene.geometry[geometry].copy().apply_transform(transform)
    return listing, meshes


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("collision")
    asset = sample_lodset("Old Rock")
    pieces = Collision(CollisionKind.DECOMPOSE, 3)
    hull = Collision(CollisionKind.HULL)
    return {
        "root": root,
        "unity": export_unity(
            asset, unity_project(root / "unity"), ExportOptions(HEIGHT, collision=pieces), "a"
        ),
        "unity_none": export_unity(asset, unity_project(root / "unity0"), ExportOptions(HEIGHT), "a"),
        "unreal": export_unreal(
            asset, unreal_project(root / "unreal"), ExportOptions(HEIGHT, collision=hull), "a"
        ),
        "godot": export_godot(
            asset, godot_project(root / "godot"), ExportOptions(HEIGHT, collision=pieces), "a"
        ),
        "godot_hull": export_godot(
            sample_lodset("Pebble"),
            godot_project(root / "godot_hull"),
            ExportOptions(HEIGHT, collision=hull),
            "b",
        ),
    }


def test_unity_fbx_carries_convex_collision_meshes_the_fbx_sdk_reads(engines: dict[str, Any]) -> None:
    result = engines["unity"]
    listing, meshes = _sdk_meshes(result.files[0], engines["root"] / "sdk_unity")
    collision = {
        name: mesh for name, mesh in meshes.items() if re.fullmatch(r"Old_Rock_Collision_\d\d", name)
    }
    assert 2 <= len(collision) <= 3, sorted(meshes)
    lod0 = meshes["Old_Rock_LOD0"]
    for name, mesh in collision.items():
        assert mesh.is_convex, name
        assert len(mesh.faces) <= 2 * 32 - 4
        # Placed like the LOD they stand for: inside LOD0's bounds (metres), on the ground.
        assert np.all(mesh.bounds[0] >= lod0.bounds[0] - 1e-3) and np.all(
            mesh.bounds[1] <= lod0.bounds[1] + 1e-3
        )
    assert any(re.match(r"Collision: [23] convex pieces", note) for note in result.notes), result.notes
    assert "Old_Rock_Collision_00" in listing
    _, plain = _sdk_meshes(engines["unity_none"].files[0], engines["root"] / "sdk_unity0")
    assert not [n for n in plain if "Collision" in n]
    script = result.folder.parents[2] / SCRIPT_PATH
    assert script.read_text(encoding="utf-8") == SCRIPT


def test_unreal_fbx_carries_a_light_ucx_hull(engines: dict[str, Any]) -> None:
    result = engines["unreal"]
    _, meshes = _sdk_meshes(result.files[0], engines["root"] / "sdk_unreal")
    hull = meshes["UCX_SM_Old_Rock_00"]
    assert hull.is_convex and len(hull.vertices) <= HULL_VERTICES * 3  # the SDK splits per corner
    assert len(hull.faces) <= 2 * HULL_VERTICES - 4
    np.testing.assert_allclose(hull.bounds, meshes["SM_Old_Rock_LOD0"].bounds, atol=2e-3)
    script = next(p for p in result.files if p.suffix == ".py").read_text()
    assert "auto_generate_collision = True" in script


def test_godot_imports_collision_shapes_without_visible_meshes(engines: dict[str, Any]) -> None:
    files = [engines["godot"].files[0], engines["godot_hull"].files[0]]
    for path in files:
        assert validate_gltf(path)["issues"]["numErrors"] == 0
    report = godot_import(files, engines["root"] / "godot_read")
    for path, pieces in ((files[0], (2, 3)), (files[1], (1,))):
        nodes = report[f"res://{path.name}"]
        assert nodes is not None, path
        meshes = [n for n in nodes if "triangles" in n]
        assert [m["name"] for m in meshes if m["visible"]] == [f"{path.stem}_LOD0"]
        assert not [m for m in meshes if "collision" in m["name"]], "collision pieces must not be drawn"
        bodies = [n for n in nodes if n.get("class") == "StaticBody"]
        shapes = [n for n in nodes if n.get("class") == "CollisionShape"]
        assert len(bodies) == len(shapes) and len(shapes) in pieces, nodes
        for shape in shapes:
            assert shape["shape"] == "ConvexPolygonShape" and 4 <= shape["points"] <= HULL_VERTICES


def test_unity_editor_script_compiles_against_the_unity_api_stub(tmp_path: Path) -> None:
    source = tmp_path / "SweedleImport.cs"
    source.write_text(SCRIPT, encoding="utf-8")
    stubs = sorted(str(p) for p in STUB.glob("*.cs"))
    done = subprocess.run(
        [
            _tool("mcs"),
            "-target:library",
            "-warnaserror",
            f"-out:{tmp_path / 'Sweedle.dll'}",
            str(source),
            *stubs,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "class SweedleImport : AssetPostprocessor" in SCRIPT
    assert "collider.convex = true" in SCRIPT and "DestroyImmediate(renderer)" in SCRIPT
    broken = tmp_path / "Broken.cs"
    broken.write_text(SCRIPT.replace("collider.convex = true", "collider.isConvex = true"), encoding="utf-8")
    failed = subprocess.run(
        [_tool("mcs"), "-target:library", f"-out:{tmp_path / 'Broken.dll'}", str(broken), *stubs],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert failed.returncode != 0, "the stub must be strict enough to catch a wrong Unity member"


def test_export_as_refuses_collision_with_a_message(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"carries no collision shapes.*Unity, Unreal or Godot"):
        export_as(
            sample_lodset(), tmp_path / "rock.fbx", ExportOptions(collision=Collision(CollisionKind.HULL))
        )
    assert not list(tmp_path.iterdir())


def test_cli_collision_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    glb = tmp_path / "rock.glb"
    export_as(sample_lodset(), glb)
    with pytest.raises(SystemExit) as usage:
        main(["export", str(glb), "--as", str(tmp_path / "x.glb"), "--collision", "convex"])
    assert usage.value.code == 2 and "Unknown collision 'convex'" in capsys.readouterr().err
    assert main(["export", str(glb), "--as", str(tmp_path / "x.fbx"), "--collision", "hull"]) == 1
    refused = capsys.readouterr().err.strip().splitlines()
    assert len(refused) == 1 and "carries no collision shapes" in refused[0]
    project = godot_project(tmp_path / "godot")
    assert main(["export", str(glb), "--godot", str(project), "--collision", "decompose:2"]) == 0
    assert "Collision: 2 convex pieces" in capsys.readouterr().err

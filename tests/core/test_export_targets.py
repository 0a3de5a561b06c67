"""Bad targets give specific errors and write nothing; re-export keeps the engines' sidecar
files; same-named assets get their own folders; names are sanitised."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from export_samples import godot_project, sample_lodset, unity_project, unreal_project

from app.core.export.errors import ExportError
from app.core.export.godot import export_godot
from app.core.export.naming import safe_name, snake_name
from app.core.export.options import ExportOptions
from app.core.export.unity import export_unity
from app.core.export.unreal import export_unreal


def _tree(root: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else None for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def asset():
    return sample_lodset("Old Rock", levels=2, texture_size=16)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda root: root, "does not exist"),
        (lambda root: (root.write_text("x"), root)[1], "is a file, not a folder"),
        (lambda root: (root.mkdir(), root)[1], "is not a Unity project"),
        (lambda root: godot_project(root), "It looks like a Godot project"),
    ],
    ids=["missing", "file", "plain-folder", "other-engine"],
)
def test_bad_unity_targets(tmp_path: Path, asset, setup, message: str) -> None:
    target = setup(tmp_path / "target")
    before = _tree(tmp_path)
    with pytest.raises(ExportError, match=message):
        export_unity(asset, target, ExportOptions(), "a1")
    assert _tree(tmp_path) == before


def test_read_only_project(tmp_path: Path, asset) -> None:
    project = unity_project(tmp_path / "unity")
    before = _tree(tmp_path)
    assets = project / "Assets"
    assets.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    try:
        with pytest.raises(ExportError, match="read-only"):
            export_unity(asset, project, ExportOptions(), "a1")
    finally:
        assets.chmod(0o755)
    assert _tree(tmp_path) == before


def test_name_walking_up_is_refused(tmp_path: Path) -> None:
    project = godot_project(tmp_path / "godot")
    before = _tree(tmp_path)
    with pytest.raises(ExportError, match=r"contains '\.\.'"):
        export_godot(sample_lodset("../../evil"), project, ExportOptions(), "a1")
    assert _tree(tmp_path) == before


def test_symlinked_folder_outside_project_is_refused(tmp_path: Path, asset) -> None:
    project = unity_project(tmp_path / "unity")
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / "Assets" / "Sweedle").symlink_to(outside)
    with pytest.raises(ExportError, match="outside the project"):
        export_unity(asset, project, ExportOptions(), "a1")
    assert list(outside.iterdir()) == []
    assert not list(project.glob(".sweedle-staging-*"))


def test_reexport_keeps_meta_and_updates_model(tmp_path: Path, asset) -> None:
    project = unity_project(tmp_path / "unity")
    first = export_unity(asset, project, ExportOptions(height_m=1.0), "a1")
    fbx = first.files[0]
    metas = {}
    for path in [fbx, *first.files[1:], first.folder]:
        meta = path.with_name(path.name + ".meta")
        meta.write_bytes(f"fileFormatVersion: 2\nguid: {os.urandom(16).hex()}\r\n".encode())
        metas[meta] = meta.read_bytes()
    old = fbx.read_bytes()
    second = export_unity(asset, project, ExportOptions(height_m=2.0), "a1")
    assert second.folder == first.folder and second.files == first.files
    assert fbx.read_bytes() != old
    for meta, content in metas.items():
        assert meta.read_bytes() == content


def test_reexport_keeps_godot_import_uid(tmp_path: Path, asset) -> None:
    project = godot_project(tmp_path / "godot")
    glb = export_godot(asset, project, ExportOptions(height_m=1.0), "a1").files[0]
    sidecar = glb.with_name(glb.name + ".import")
    sidecar.write_text(
        '[remap]\n\nimporter="scene"\ntype="PackedScene"\nuid="uid://b7x3qk2m1n0pa"\n'
        'path="res://.godot/imported/old_rock.glb-1.scn"\n\n[params]\n\nmeshes/generate_lods=true\n'
    )
    before = sidecar.read_bytes()
    old = glb.read_bytes()
    again = export_godot(asset, project, ExportOptions(height_m=3.0), "a1").files[0]
    assert again == glb and glb.read_bytes() != old
    assert sidecar.read_bytes() == before
    assert 'uid="uid://b7x3qk2m1n0pa"' in sidecar.read_text()


def test_same_name_other_asset_gets_own_folder(tmp_path: Path, asset) -> None:
    project = unreal_project(tmp_path / "unreal")
    first = export_unreal(asset, project, ExportOptions(), "a1")
    second = export_unreal(asset, project, ExportOptions(), "a2")
    again = export_unreal(asset, project, ExportOptions(), "a2")
    assert first.folder.name == "Old_Rock" and second.folder.name == "Old_Rock_2"
    assert again.folder == second.folder
    assert second.files[0].name == "SM_Old_Rock_2.fbx"


def test_user_folder_with_the_same_name_is_left_alone(tmp_path: Path, asset) -> None:
    project = unity_project(tmp_path / "unity")
    mine = project / "Assets" / "Sweedle" / "Old_Rock"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("mine")
    result = export_unity(asset, project, ExportOptions(), "a1")
    assert result.folder.name == "Old_Rock_2"
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    ("name", "safe", "snake"),
    [
        ("Old Rock", "Old_Rock", "old_rock"),
        ("a/b\\c:d*?", "a_b_c_d", "a_b_c_d"),
        ("CON", "CON_", "con_"),
        ("Rock-col", "Rock-col_", "rock_col_"),
        ("Rock colonly", "Rock_colonly_", "rock_colonly_"),
        ("...", "Asset", "asset"),
        ("Ünïcode Tree", "n_code_Tree", "n_code_tree"),
        ("BigTree", "BigTree", "big_tree"),
    ],
)
def test_names(name: str, safe: str, snake: str) -> None:
    assert safe_name(name) == safe
    assert snake_name(name) == snake

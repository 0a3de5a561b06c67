"""`sweedle export`: by .glb file and by library id (recorded on the asset), errors and exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_samples import godot_project, sample_lodset, unity_project

from app.cli.main import main
from app.core.formats.glb import write_glb
from app.core.library.records import GLB_FILE, LodRecord, SourceType
from app.core.library.repository import NewVersion
from app.core.library.startup import open_library


@pytest.fixture
def glb(tmp_path: Path) -> Path:
    path = tmp_path / "crate.glb"
    write_glb(sample_lodset("Crate", levels=2, texture_size=16), path)
    return path


def test_export_glb_into_unity(tmp_path: Path, glb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = unity_project(tmp_path / "unity")
    assert main(["export", str(glb), "--unity", str(project), "--height", "2"]) == 0
    assert (project / "Assets/Sweedle/crate/crate.fbx").is_file()
    assert "Assets/Sweedle/crate" in capsys.readouterr().err


def test_wrong_project_fails_with_message(
    tmp_path: Path, glb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = unity_project(tmp_path / "unity")
    assert main(["export", str(glb), "--godot", str(project)]) == 1
    assert "is not a Godot project" in capsys.readouterr().err


def test_export_as(tmp_path: Path, glb: Path) -> None:
    assert main(["export", str(glb), "--as", str(tmp_path / "out.ply"), "--lods", "0"]) == 0
    assert (tmp_path / "out.ply").read_bytes().startswith(b"ply\n")


def test_library_asset_export_is_recorded(tmp_path: Path, glb: Path) -> None:
    library, _ = open_library()
    try:
        record = library.add_version(_new_version(glb))
        asset_id = record.summary.id
    finally:
        library.close()
    project = godot_project(tmp_path / "godot")
    assert main(["export", str(asset_id), "--godot", str(project)]) == 0
    library, _ = open_library()
    try:
        exports = library.get_asset(asset_id).exports
    finally:
        library.close()
    assert [(e.engine, Path(e.target_path).name) for e in exports] == [("godot", "crate")]
    assert (project / "sweedle/crate/crate.glb").is_file()


def _new_version(glb: Path) -> NewVersion:
    lods = [LodRecord(0, 320, 162, 0.0), LodRecord(1, 80, 42, 0.0)]
    return NewVersion("Crate", SourceType.IMPORTED, "relief", lods, {GLB_FILE: glb.read_bytes()})

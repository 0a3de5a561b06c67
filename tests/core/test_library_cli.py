"""`sweedle library ...` and `sweedle generate` recording into the library."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trimesh

from app.cli.main import main
from app.core.paths import REPO_ROOT

ROBOT = REPO_ROOT / "resources" / "samples" / "robot.png"


def test_generate_records_and_library_lists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["generate", str(ROBOT), "-o", str(tmp_path), "-q", "-p", "resolution=40"]
    assert main(args) == 0
    assert main([*args, "--seed", "4"]) == 0
    assert main([*args[:-2], "-p", "resolution=40", "--no-library", "-o", str(tmp_path / "x")]) == 0
    capsys.readouterr()

    assert main(["library", "list", "--json"]) == 0
    (asset,) = json.loads(capsys.readouterr().out)
    assert asset["name"] == "robot" and [v["seed"] for v in asset["versions"]] == [0, 4]

    assert main(["library", "show", str(asset["id"])]) == 0
    out = capsys.readouterr().out
    assert "asset 1: robot" in out and "*v2" in out


def test_import_search_and_trash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ball = tmp_path / "ball.obj"
    trimesh.creation.icosphere(subdivisions=2).export(ball)
    bad = tmp_path / "bad.stl"
    bad.write_bytes(b"")
    assert main(["library", "import", str(ball), str(bad)]) == 1
    err = capsys.readouterr().err
    assert "ok    ball.obj" in err and "bad.stl" in err

    assert main(["library", "list", "--search", "BALL"]) == 0
    assert "ball" in capsys.readouterr().out
    assert main(["library", "trash", "1"]) == 0
    assert main(["library", "list"]) == 0
    assert "the library is empty" in capsys.readouterr().out
    assert main(["library", "restore", "1"]) == 0
    assert main(["library", "show", "99"]) == 1
    assert "no asset 99" in capsys.readouterr().err

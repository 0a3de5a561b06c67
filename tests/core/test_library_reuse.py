"""Identical re-generation: the same picture, engine, settings and seed reuse the library's version
instead of adding a duplicate; the rule is `find_identical`, used by the CLI (here) and the window
(tests/ui/test_window_first_hour.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.formats.glb_reader import read_glb
from app.core.generation.request import GenerationRequest
from app.core.generation.stages import generate
from app.core.library.repository import Library
from app.core.library.saving import find_identical, save_generation
from app.core.library.startup import open_library
from app.core.paths import REPO_ROOT

ROBOT = REPO_ROOT / "resources" / "samples" / "robot.png"
QUICK = {"resolution": 40}


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib, _ = open_library(tmp_path / "lib")
    yield lib
    lib.close()


def _saved(library: Library, request: GenerationRequest, out: Path) -> int:
    result = generate(request, out)
    assert result.ok, result.message
    return save_generation(library, result).id


def test_an_identical_request_finds_the_version_and_any_difference_does_not(
    library: Library, tmp_path: Path
) -> None:
    request = GenerationRequest(ROBOT, params=QUICK, seed=3)
    asset_id = _saved(library, request, tmp_path / "a.glb")

    found = find_identical(library, GenerationRequest(ROBOT, params=dict(QUICK), seed=3))
    assert found is not None and found.asset_id == asset_id and found.version.version == 1
    assert "version 1 of 'robot'" in found.describe()
    copy = tmp_path / "renamed copy.png"
    copy.write_bytes(ROBOT.read_bytes())
    assert find_identical(library, GenerationRequest(copy, params=QUICK, seed=3)) is not None, (
        "the picture is matched by its content, not its file name"
    )
    # The explicit default is the same setting as leaving it out.
    assert find_identical(library, GenerationRequest(ROBOT, params={**QUICK, "smoothing": 1.5}, seed=3))

    for different in (
        GenerationRequest(ROBOT, params=QUICK, seed=4),
        GenerationRequest(ROBOT, params={"resolution": 41}, seed=3),
        GenerationRequest(ROBOT, params=QUICK, seed=3, height_m=1.8),
        GenerationRequest(ROBOT, params=QUICK, seed=3, texture_size=512),
    ):
        assert find_identical(library, different) is None, different

    library.trash([asset_id])
    assert find_identical(library, request) is None, "a trashed asset is not reused"


def test_an_older_identical_version_is_made_current_again(library: Library, tmp_path: Path) -> None:
    first = GenerationRequest(ROBOT, params=QUICK)
    asset_id = _saved(library, first, tmp_path / "a.glb")
    _saved(library, GenerationRequest(ROBOT, params={"resolution": 48}), tmp_path / "b.glb")
    assert library.get_asset(asset_id).current_version.version == 2

    found = find_identical(library, first)
    assert found is not None and found.version.version == 1
    assert library.get_asset(asset_id).current_version.version == 1


def _sweedle(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def test_cli_reuses_an_identical_version_and_force_generates_again(tmp_path: Path) -> None:
    common = ("-p", "resolution=40", "--lods", "50%", "-q", "--json")
    first = _sweedle("generate", ROBOT, "-o", tmp_path / "first.glb", *common)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["reused"] is False

    again = _sweedle("generate", ROBOT, "-o", tmp_path / "again.glb", *common)
    assert again.returncode == 0, again.stderr
    reported = json.loads(again.stdout)
    assert reported["reused"] is True and "version 1 of 'robot'" in reported["message"]
    assert "reused" in again.stderr and "--force" in again.stderr
    reused = read_glb(tmp_path / "again.glb")
    made = read_glb(tmp_path / "first.glb")
    assert [lod.mesh.triangle_count for lod in reused.lods] == [lod.mesh.triangle_count for lod in made.lods]

    forced = _sweedle("generate", ROBOT, "-o", tmp_path / "forced.glb", *common, "--force")
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout)["reused"] is False
    assert "(version 2)" in forced.stderr

    listed = _sweedle("library", "show", "1", "--json")
    assert [v["version"] for v in json.loads(listed.stdout)["versions"]] == [1, 2]

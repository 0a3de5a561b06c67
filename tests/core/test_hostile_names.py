"""A corpus of hostile asset names through `generate --name` and every export's naming: nothing
is written outside the target folder, every file and folder name is one each engine accepts,
and a name that cannot be used is refused with one clear line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from export_samples import godot_project, sample_lodset, unity_project, unreal_project

from app.cli.main import main
from app.core.export.errors import ExportError
from app.core.export.export_as import export_many
from app.core.export.godot import export_godot
from app.core.export.options import ExportOptions
from app.core.export.unity import export_unity
from app.core.export.unreal import export_unreal

ROBOT = Path(__file__).resolve().parents[2] / "resources" / "samples" / "robot.png"
FAST = ["--no-library", "-q", "-p", "resolution=48", "--texture-size", "256", "--lods", "none"]
SAFE_PART = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""An asset name made safe: what a folder or a model file stem may be."""
SAFE_FILE = re.compile(r"[A-Za-z0-9_-]{1,64}(_LOD\d|_BaseColor|_D)?")
"""A file stem: the safe name with its prefix (Unreal's SM_, T_, import_SM_) and suffix."""

# name → the phrase `generate --name` refuses it with (None: accepted, with a file-safe file name)
NAMES: dict[str, str | None] = {
    "../../escape": "contains '..' as a folder step",
    "a/../../b": "contains '..' as a folder step",
    "..\\..\\win": "contains '..' as a folder step",
    "dir/name": None,
    "back\\slash": None,
    "nul\x00byte": "control or invisible characters (U+0000)",
    "esc\x1b[31mred": "control or invisible characters (U+001B)",
    "bell\x07": "control or invisible characters (U+0007)",
    "two\nlines": "control or invisible characters (U+000A)",
    "rock\u202egnp.exe": "control or invisible characters (U+202E)",
    "zero\u200bwidth": "control or invisible characters (U+200B)",
    "CON": None,
    "com1": None,
    "Rock-col": None,
    ".hidden": None,
    "x" * 300: "the asset name is 300 characters long; use at most 200 characters",
    "y" * 200: None,
    "\U0001faa8 rock \U0001f5ff": None,
    "\u5ca9\u77f3": None,
    "   spaced   out   ": None,
}
IDS = [repr(name)[1:30] for name in NAMES]


def _tree(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*")}


@pytest.mark.parametrize(("name", "refusal"), NAMES.items(), ids=IDS)
def test_generate_name(
    tmp_path: Path, name: str, refusal: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "a" / "b" / "out"
    out.mkdir(parents=True)
    before = _tree(tmp_path)
    code = main(["generate", str(ROBOT), "-o", str(out), "--name", name, *FAST])
    err = capsys.readouterr().err
    assert "Traceback" not in err and not any(ch in err for ch in "\x00\x1b\x07\u202e\u200b")
    added = _tree(tmp_path) - before
    if refusal is not None:
        assert code == 1
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: the asset name ") and refusal in lines[0], err
        assert added == set(), "a refused name wrote something"
        return
    assert code == 0, err
    (written,) = added
    assert written.parent == out.relative_to(tmp_path), f"written outside the output folder: {written}"
    assert SAFE_PART.fullmatch(written.stem) and written.suffix == ".glb", written
    reserved = {
        "CON",
        "PRN",
        "AUX",
        "NUL",
        *(f"COM{i}" for i in range(1, 10)),
        *(f"LPT{i}" for i in range(1, 10)),
    }
    assert written.stem.upper() not in reserved


EXPORTERS = {"unity": export_unity, "unreal": export_unreal, "godot": export_godot}
ROOTS = {"unity": "Assets/Sweedle", "unreal": "SourceArt/Sweedle", "godot": "sweedle"}


@pytest.mark.parametrize("engine", EXPORTERS)
def test_engine_export_names(tmp_path: Path, engine: str) -> None:
    """Names that reach an export from elsewhere (a library asset, an imported file) are made
    safe for each engine, or refused when they walk up folders."""
    makers = {"unity": unity_project, "unreal": unreal_project, "godot": godot_project}
    project = makers[engine](tmp_path / "project")
    outside_before = _tree(tmp_path) - {p for p in _tree(tmp_path) if p.parts[0] == "project"}
    base = project / ROOTS[engine]
    for index, name in enumerate(NAMES):
        lodset = sample_lodset(name, levels=1, texture_size=8)
        key = f"asset-{index}"
        if ".." in re.split(r"[/\\]", name):
            with pytest.raises(ExportError, match=r"contains '\.\.' as a folder step") as refused:
                EXPORTERS[engine](lodset, project, ExportOptions(), key)
            assert "\n" not in str(refused.value)
            continue
        result = EXPORTERS[engine](lodset, project, ExportOptions(), key)
        folder = result.folder.relative_to(base.resolve())
        assert len(folder.parts) == 1 and SAFE_PART.fullmatch(folder.name), (name, folder)
        if engine == "godot":
            assert folder.name == folder.name.lower()
        for file in result.files:
            relative = file.resolve().relative_to(result.folder)
            stems = [
                part.split(".")[0].removeprefix("import_").removeprefix("SM_").removeprefix("T_")
                for part in relative.parts
            ]
            assert all(SAFE_FILE.fullmatch(stem) for stem in stems), (name, relative)
    outside_after = _tree(tmp_path) - {p for p in _tree(tmp_path) if p.parts[0] == "project"}
    assert outside_after == outside_before
    assert all(p.is_relative_to(ROOTS[engine]) or p in _project_files(engine) for p in _tree(project))


def _project_files(engine: str) -> set[Path]:
    """What the sample project itself holds."""
    files = {
        "unity": [
            "Assets",
            "Assets/Sweedle",
            "ProjectSettings",
            "ProjectSettings/ProjectVersion.txt",
            "Packages",
            "Packages/manifest.json",
        ],
        "unreal": ["Content", "Game.uproject", "SourceArt", "SourceArt/Sweedle"],
        "godot": ["project.godot", "sweedle"],
    }[engine]
    return {Path(f) for f in files}


def test_export_as_names_each_file_safely(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    usable = [name for name in NAMES if ".." not in re.split(r"[/\\]", name)]
    results = export_many([sample_lodset(n, levels=2, texture_size=8) for n in usable], out, "obj")
    assert len(results) == len(usable)
    names = [p.name for p in out.iterdir()]
    assert all(SAFE_FILE.fullmatch(n.split(".")[0]) for n in names), names
    assert {p.parent for p in out.rglob("*")} == {out}
    with pytest.raises(ExportError, match=r"contains '\.\.'"):
        export_many([sample_lodset("../../up", levels=1, texture_size=8)], out, "glb")

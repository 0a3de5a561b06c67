"""Disk, permission and value errors in `sweedle generate` and `sweedle export`: one line that
names the file and says what to do, no traceback, the rest of a batch still runs, and nothing
half-written is left. The commands run in-process so the disk can be made to fail: a full disk
is the kernel's own ENOSPC from /dev/full, a read-only folder an EROFS/EACCES at open (tests
run as root, which file permissions do not stop)."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import trimesh
from export_samples import godot_project, sample_lodset, unity_project

from app.cli.main import main
from app.cli.terminal import shown
from app.core.base import atomic
from app.core.formats import file_set
from app.core.formats.glb import write_glb

ROBOT = Path(__file__).resolve().parents[2] / "resources" / "samples" / "robot.png"
FAST = ["--no-library", "-q", "-p", "resolution=48", "--texture-size", "256", "--lods", "50%"]
LEFTOVERS = (".*.sweedle-tmp", ".sweedle-staging-*")


def _errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error:")]


def _leftovers(folder: Path) -> list[Path]:
    return [p for pattern in LEFTOVERS for p in folder.rglob(pattern)]


def _failing_opener(
    monkeypatch: pytest.MonkeyPatch, when: Callable[[str], bool], error: int | None = None
) -> None:
    """Make atomic writes of temp files whose name passes `when` fail: on a full disk
    (error None: writes go to /dev/full) or with `error` at open."""
    real = atomic._exclusive

    def exclusive(permissions: int) -> Callable[[str, int], int]:
        def opener(path: str, flags: int) -> int:
            if not when(Path(path).name):
                return real(permissions)(path, flags)
            if error is None:
                return os.open("/dev/full", os.O_WRONLY)
            raise OSError(error, os.strerror(error), path)

        return opener

    monkeypatch.setattr(atomic, "_exclusive", exclusive)


@pytest.fixture
def two_pictures(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "pictures"
    folder.mkdir()
    for name in ("first.png", "second.png"):
        shutil.copy(ROBOT, folder / name)
    return sorted(folder.iterdir())


@pytest.mark.parametrize("target", ["existing file", "/dev/full"])
def test_output_that_is_not_a_folder_is_one_line_before_any_work(
    tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "notes.txt" if target == "existing file" else Path(target)
    if target == "existing file":
        output.write_text("keep me")
    assert main(["generate", str(ROBOT), "-o", str(output), *FAST]) == 1
    err = capsys.readouterr().err
    assert _errors(err) == [
        f"error: -o {output} exists and is not a folder: give a folder, or for one picture "
        "a file name ending in .glb or .obj"
    ]
    assert "Traceback" not in err
    if target == "existing file":
        assert output.read_text() == "keep me" and sorted(tmp_path.iterdir()) == [output]


def test_output_folder_under_a_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("x")
    assert main(["generate", str(ROBOT), "-o", str(tmp_path / "notes.txt" / "out"), *FAST]) == 1
    (line,) = _errors(capsys.readouterr().err)
    assert line == (
        f"error: Could not create the output folder {tmp_path / 'notes.txt' / 'out'}: "
        "part of the path is a file, not a folder. Choose another folder."
    )


@pytest.mark.parametrize(
    ("error", "phrase"),
    [
        (None, "the disk is full. Free some space"),
        (errno.EACCES, "permission denied. Choose a folder you can write to"),
        (errno.EROFS, "the drive is read-only. Choose a folder on a writable drive"),
    ],
    ids=["full-disk", "permission", "read-only"],
)
@pytest.mark.parametrize("fmt", ["glb", "obj"])
def test_write_failure_is_one_line_and_the_batch_goes_on(
    tmp_path: Path,
    two_pictures: list[Path],
    error: int | None,
    phrase: str,
    fmt: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    _failing_opener(monkeypatch, lambda name: name.startswith(".first"), error)
    assert main(["generate", *map(str, two_pictures), "-o", str(out), "--format", fmt, *FAST]) == 1
    err = capsys.readouterr().err
    (line,) = _errors(err)
    assert line.startswith("error: Could not write ") and "first" in line and phrase in line, line
    assert "Traceback" not in err and "second.png" in err.split(line)[1], "the batch stopped"
    assert sorted(p.name for p in out.iterdir() if p.stem.startswith("first")) == [], "partial output"
    assert trimesh.load(out / f"second.{fmt}", force="mesh").faces.shape[0] > 100
    assert _leftovers(out) == []


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["-p", "thickness=nan"], "parameter thickness=nan is not a finite number"),
        (["-p", "thickness=inf"], "parameter thickness=inf is not a finite number"),
        (["-p", "smoothing=-inf"], "parameter smoothing=-inf is not a finite number"),
        (["-p", "thickness=1e999"], "parameter thickness=1e999 is not a finite number"),
        (["--seed", str(2**70)], f"seed {2**70} is out of range: use a whole number from 0 to 4294967295"),
        (["--seed", "-1"], "seed -1 is out of range"),
        (["--height", "nan"], "height nan m is out of range"),
        (["--height", "inf"], "height inf m is out of range"),
    ],
)
def test_bad_numbers_are_refused_with_one_line(
    tmp_path: Path, args: list[str], phrase: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["generate", str(ROBOT), "-o", str(out), *FAST, *args]) == 1
    err = capsys.readouterr().err
    (line,) = _errors(err)
    assert line.startswith(f"error: robot.png: {phrase}"), line
    assert "Traceback" not in err and not list(out.glob("*.glb"))


def test_engine_export_on_a_full_disk_reports_and_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    glbs = []
    for name in ("Crate", "Barrel"):
        glbs.append(tmp_path / f"{name}.glb")
        write_glb(sample_lodset(name, levels=2, texture_size=16), glbs[-1])
    project = unity_project(tmp_path / "unity")
    _failing_opener(monkeypatch, lambda name: name.startswith(".Crate"))
    assert main(["export", *map(str, glbs), "--unity", str(project)]) == 1
    err = capsys.readouterr().err
    (line,) = _errors(err)
    assert line == (
        f"error: {glbs[0]}: Could not export into {project.resolve() / 'Assets/Sweedle/Crate'}: "
        "the disk is full. Free some space (or choose a folder on another drive) and try again."
    )
    assert "Traceback" not in err
    assert not (project / "Assets/Sweedle/Crate").exists(), "a half export is left in the project"
    fbx = project / "Assets/Sweedle/Barrel/Barrel.fbx"
    assert fbx.is_file() and str(fbx.parent.resolve()) in err, "the rest of the batch did not run"
    assert _leftovers(project) == []


@pytest.mark.parametrize("fail_at", [".rock_BaseColor.png", ".rock.mtl", ".rock_LOD1.obj", ".rock.obj"])
def test_multi_file_export_as_on_a_full_disk_leaves_the_old_set_untouched(
    tmp_path: Path, fail_at: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    glb = tmp_path / "rock.glb"
    write_glb(sample_lodset("Rock", levels=3, texture_size=16), glb)
    out = tmp_path / "out"
    out.mkdir()
    assert main(["export", str(glb), "--as", str(out / "rock.obj")]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(before) == ["rock.mtl", "rock.obj", "rock_BaseColor.png", "rock_LOD1.obj", "rock_LOD2.obj"]
    _failing_opener(monkeypatch, lambda name: name.startswith(fail_at + "."))
    capsys.readouterr()
    assert main(["export", str(glb), "--as", str(out / "rock.obj"), "--height", "3"]) == 1
    (line,) = _errors(capsys.readouterr().err)
    assert line.startswith(f"error: Could not write {out / fail_at[1:]}: the disk is full.")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_multi_file_export_as_that_fails_while_placing_puts_the_old_set_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    glb = tmp_path / "rock.glb"
    write_glb(sample_lodset("Rock", levels=3, texture_size=16), glb)
    out = tmp_path / "out"
    out.mkdir()
    assert main(["export", str(glb), "--as", str(out / "rock.obj")]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real_replace, failed = os.replace, []

    def replace(src: str | Path, dst: str | Path) -> None:
        if Path(dst) == out / "rock.mtl" and not failed:  # placed third, after two LODs
            failed.append(dst)
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(file_set.os, "replace", replace)
    assert main(["export", str(glb), "--as", str(out / "rock.obj"), "--height", "3"]) == 1
    (line,) = _errors(capsys.readouterr().err)
    assert line.startswith("error: Could not move into place ") and "input/output error" in line
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_engine_export_names_the_folder_on_a_read_only_drive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    glb = tmp_path / "crate.glb"
    write_glb(sample_lodset("Crate", levels=2, texture_size=16), glb)
    project = godot_project(tmp_path / "godot")
    _failing_opener(monkeypatch, lambda name: True, errno.EROFS)
    assert main(["export", str(glb), "--godot", str(project)]) == 1
    (line,) = _errors(capsys.readouterr().err)
    assert "Could not export into " in line and "the drive is read-only" in line
    assert _leftovers(project) == [] and sorted(p.name for p in project.iterdir()) == ["project.godot"]


ESCAPES = "\x1b[31mred\x1b]0;pwned\x07\u202egnp"


def test_escape_codes_in_file_names_are_never_echoed_raw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    picture = tmp_path / f"{ESCAPES}.png"
    shutil.copy(ROBOT, picture)
    text = tmp_path / f"{ESCAPES}.txt"
    text.write_text("not a picture")
    out = tmp_path / "out"
    assert main(["generate", str(picture), str(text), "-o", str(out), *FAST]) == 1
    assert main(["export", str(tmp_path / f"{ESCAPES}.glb"), "--as", str(out / "x.glb")]) == 1
    err = capsys.readouterr().err
    assert not any(ch in err for ch in "\x1b\x07\u202e"), repr(err)
    assert "\\x1b[31mred\\x1b]0;pwned\\x07\\u202egnp" in err
    assert err.count("\nok ") + err.startswith("ok ") == 1 and len(_errors(err)) == 2
    assert (out / f"{ESCAPES}.glb").is_file(), "the file itself keeps the name it was given"


def test_shown_makes_every_invisible_character_visible() -> None:
    assert shown("plain name-1.glb") == "plain name-1.glb"
    assert shown("a\nb\rc\x00d\x7fe\x9bf") == "a\\x0ab\\x0dc\\x00d\\x7fe\\x9bf"
    assert shown("\u202eevil\u2066\u200b") == "\\u202eevil\\u2066\\u200b"
    assert shown("caf\u00e9 \U0001faa8 \u5ca9") == "caf\u00e9 \U0001faa8 \u5ca9"
    assert shown("bad\udcffbyte") == "bad\\udcffbyte"
    assert shown("tab\there") == "tab here"


def test_library_commands_never_echo_escape_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    glb = tmp_path / f"{ESCAPES}.glb"
    write_glb(sample_lodset(ESCAPES, levels=2, texture_size=8), glb)
    assert main(["library", "import", str(glb)]) == 0
    assert main(["library", "list"]) == 0
    assert main(["library", "show", "1"]) == 0
    out, err = capsys.readouterr()
    assert not any(ch in out + err for ch in "\x1b\x07\u202e"), repr(out + err)
    assert "\\x1b[31mred" in out and "\\x1b[31mred" in err

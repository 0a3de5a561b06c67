"""SIGKILL at random points of real `sweedle generate` and `sweedle export` processes: whatever
a killed run leaves (`*.sweedle-tmp` files beside the output, `.sweedle-staging-*` folders in a
game project or output folder) is removed by the next run that writes there, which says so
once; a live process's files are never touched. (Library saves: test_library_crash.py.)"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import trimesh
from export_samples import unity_project

from app.cli.main import main

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
ROBOT = REPO / "resources" / "samples" / "robot.png"
ROUNDS = 10
GENERATE = ["--no-library", "-q", "--format", "obj", "-p", "resolution=64", "--texture-size", "1024"]


def _leftovers(folder: Path) -> tuple[list[Path], list[Path]]:
    """(temporary files, staging folders) anywhere under `folder`."""
    return sorted(folder.rglob(".*.sweedle-tmp")), sorted(folder.rglob(".sweedle-staging-*"))


def _note(temps: int, stagings: int, folder: Path) -> str:
    parts = [
        f"{n} {kind}{'s' if n > 1 else ''}"
        for n, kind in ((temps, "temporary file"), (stagings, "staging folder"))
        if n
    ]
    return f"Removed {' and '.join(parts)} left in {folder} by an interrupted run."


def _sweedle(*args: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", *map(str, args)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _full_run_seconds(*args: object) -> float:
    start = time.monotonic()
    assert _sweedle(*args).wait(timeout=240) == 0
    return time.monotonic() - start


def _killed_at_random(rng: random.Random, full_s: float, folder: Path, *args: object) -> str:
    """Start `sweedle ARGS` and SIGKILL it: half the time at a random moment of a whole run,
    half the time a random few milliseconds after it starts writing into `folder` (the window
    a kill must be survived in, and a short one). Returns when, for messages."""
    proc = _sweedle(*args)
    try:
        if rng.random() < 0.5:
            delay = rng.uniform(0.2, 1.05) * full_s
            time.sleep(delay)
            return f"after {delay:.2f} s"
        deadline = time.monotonic() + 3 * full_s
        while _leftovers(folder) == ([], []) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        delay = rng.uniform(0.0, 0.05)
        time.sleep(delay)
        return f"{delay * 1000:.0f} ms into writing"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)


def _check_next_run(folder: Path, before: tuple[list[Path], list[Path]], err: str, where: str) -> None:
    """The run after a kill left no leftovers and reported what it found, one note per folder
    (files inside a staging folder go with it)."""
    assert _leftovers(folder) == ([], []), f"{where}: leftovers survived the next run"
    temps, stagings = before
    temps = [t for t in temps if not any(t.is_relative_to(s) for s in stagings)]
    expected = {
        _note(
            sum(t.parent == parent for t in temps),
            sum(s.parent == parent for s in stagings),
            parent.resolve(),
        )
        for parent in {p.parent for p in temps + stagings}
    }
    notes = [
        line.strip().removeprefix("note: ") for line in err.splitlines() if "by an interrupted run" in line
    ]
    assert sorted(notes) == sorted(expected), f"{where}: {err}"


def test_sigkill_during_generate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    args = ["generate", ROBOT, "-o", out, *GENERATE]
    full_s = _full_run_seconds(*args)
    seed = random.randrange(2**32)
    rng, found = random.Random(seed), []
    for round_ in range(ROUNDS):
        when = _killed_at_random(rng, full_s, out, *args)
        before = _leftovers(out)
        found.append(len(before[0]) + len(before[1]))
        capsys.readouterr()
        assert main([str(a) for a in args]) == 0
        _check_next_run(out, before, capsys.readouterr().err, f"seed {seed} round {round_} (killed {when})")
        files = sorted(p.name for p in out.iterdir())
        assert files == [
            "robot.mtl",
            "robot.obj",
            "robot_BaseColor.png",
            *(f"robot_LOD{i}.obj" for i in (1, 2, 3)),
        ]
        assert trimesh.load(out / "robot.obj", force="mesh").faces.shape[0] > 1000
    print(f"generate: full run {full_s:.1f} s; leftovers per kill {found} (seed {seed})")


def test_sigkill_during_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    glb = tmp_path / "robot.glb"
    assert main(["generate", str(ROBOT), "-o", str(glb), "--no-library", "-q"]) == 0
    project = unity_project(tmp_path / "unity")
    args = ["export", glb, "--unity", project]
    full_s = _full_run_seconds(*args)
    seed = random.randrange(2**32)
    rng, found = random.Random(seed), []
    for round_ in range(ROUNDS):
        when = _killed_at_random(rng, full_s, project, *args)
        before = _leftovers(project)
        found.append(len(before[0]) + len(before[1]))
        capsys.readouterr()
        assert main([str(a) for a in args]) == 0
        _check_next_run(
            project, before, capsys.readouterr().err, f"seed {seed} round {round_} (killed {when})"
        )
        fbx = project / "Assets/Sweedle/robot/robot.fbx"
        assert fbx.read_bytes().startswith(b"Kaydara FBX Binary")
    assert sorted(p.name for p in (project / "Assets/Sweedle").iterdir()) == ["Editor", "robot"], (
        "a second asset folder"
    )
    print(f"export: full run {full_s:.1f} s; leftovers per kill {found} (seed {seed})")


_HOLD_OUTPUT = """
import sys, time
from pathlib import Path
from app.core.base.atomic import atomic_write
from app.core.formats.file_set import write_file_set
out = Path(sys.argv[1])
def writer(staged):
    staged.write_bytes(b"half an OBJ")
    with atomic_write(out / "held.glb") as f:
        f.write(b"half a GLB")
        print("ready", flush=True)
        time.sleep(600)
    return [staged]
write_file_set(out / "held.obj", writer)
"""

_HOLD_EXPORT = """
import sys, time
from pathlib import Path
from app.core.export.staging import Staging
root = Path(sys.argv[1])
with Staging(root, root / "Assets" / "Sweedle" / "held", "held-key") as staging:
    staging.path("held.fbx").write_bytes(b"half an FBX")
    print("ready", flush=True)
    time.sleep(600)
"""


@contextmanager
def _holder(code: str, folder: Path) -> Iterator[subprocess.Popen[str]]:
    """A process in the middle of writing into `folder`, until killed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(folder)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=60)
        assert proc.stdout is not None
        proc.stdout.close()


def test_a_live_writers_files_are_kept_and_a_killed_ones_removed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    args = ["generate", str(ROBOT), "-o", str(out), "--no-library", "-q", "-p", "resolution=48"]
    with _holder(_HOLD_OUTPUT, out) as holder:
        live = _leftovers(out)
        assert [len(kind) for kind in live] == [1, 1]
        assert main(args) == 0
        assert _leftovers(out) == live, "the next run deleted a live process's files"
        assert "interrupted" not in capsys.readouterr().err
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)
    assert main(args) == 0
    err = capsys.readouterr().err
    assert f"note: {_note(1, 1, out)}" in err.splitlines()
    assert _leftovers(out) == ([], [])
    assert sorted(p.name for p in out.iterdir()) == ["robot.glb"]


def test_a_live_export_staging_is_kept_and_a_killed_one_removed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    glb = tmp_path / "crate.glb"
    assert main(["generate", str(ROBOT), "-o", str(glb), "--no-library", "-q", "-p", "resolution=48"]) == 0
    project = unity_project(tmp_path / "unity")
    args = ["export", str(glb), "--unity", str(project)]
    with _holder(_HOLD_EXPORT, project) as holder:
        live = _leftovers(project)
        assert [len(kind) for kind in live] == [0, 1]
        capsys.readouterr()
        assert main(args) == 0
        assert _leftovers(project) == live, "the next export deleted a live export's staging folder"
        assert "interrupted" not in capsys.readouterr().err
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)
    assert main(args) == 0
    err = capsys.readouterr().err
    assert f"      {_note(0, 1, project.resolve())}" in err.splitlines(), err
    assert _leftovers(project) == ([], [])

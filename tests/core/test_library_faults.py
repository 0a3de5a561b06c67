"""The library's disk and database faults are one line each, named for what they are, in the CLI
and in the window's save path: a database another program holds locked, a full disk, a read-only
disk (not "damaged"). Nothing already saved is lost, and the library works again once the cause
is gone.

The full and read-only disks are real: a small tmpfs mounted for the test (so it needs the right
to mount, as root in CI), and SQLite's own "database or disk is full" from its page limit.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import trimesh
from fixtures.library.factory import new_version
from sqlalchemy import event

from app.cli.main import main
from app.core.generation.request import GenerationRequest
from app.core.generation.stages import generate
from app.core.library import db as library_db
from app.core.library.migrate import LibraryError
from app.core.library.records import AssetQuery, AssetStatus
from app.core.library.saving import save_generation
from app.core.library.startup import open_library
from app.core.paths import REPO_ROOT, library_dir

ROBOT = REPO_ROOT / "resources" / "samples" / "robot.png"


def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs: fills up for real and can be remounted read-only."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if done.returncode != 0 and os.geteuid() != 0:
        pytest.skip(f"mounting a test tmpfs needs root: {done.stderr.strip()}")
    assert done.returncode == 0, f"root could not mount a test tmpfs: {done.stderr.strip()}"
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _fill_up(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def test_locked_database_is_one_line_in_the_cli_and_the_window(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(library_db, "BUSY_TIMEOUT_S", 0.3)
    library, _ = open_library()
    kept = library.add_version(new_version("kept"))
    result = generate(GenerationRequest(ROBOT, params={"resolution": 32}), tmp_path / "out" / "robot.glb")
    assert result.ok, result.message
    other = sqlite3.connect(library_dir() / "library.sqlite3", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program (a DB browser) holds the write lock
    try:
        assert main(["library", "trash", str(kept.id)]) == 1
        (line,) = _error_lines(capsys.readouterr().err)
        assert line == (
            f"error: The library database {library_dir() / 'library.sqlite3'} is locked by another program: "
            "close it (a database browser, a sync or backup tool) and try again. Nothing was changed."
        )
        assert main(["library", "list"]) == 0, "reading still works while another program writes"
        assert "kept" in capsys.readouterr().out

        with pytest.raises(LibraryError) as unsaved:  # the after-job save of the window and the CLI
            save_generation(library, result)
        assert "locked by another program" in str(unsaved.value) and "\n" not in str(unsaved.value)
    finally:
        other.execute("ROLLBACK")
        other.close()
    saved = save_generation(library, result)
    assert saved.summary.id != kept.id
    statuses = {a.name: a.status for a in library.list_assets(AssetQuery())}
    assert statuses == {"kept": AssetStatus.READY, "robot": AssetStatus.READY}
    library.close()


def test_sqlite_full_is_called_a_full_disk(tmp_path: Path) -> None:
    library, _ = open_library(tmp_path / "lib")
    library.add_version(new_version("first"))
    pages = library.engine.connect().exec_driver_sql("PRAGMA page_count").scalar()
    library.engine.dispose()
    event.listen(library.engine, "connect", lambda con, _rec: con.execute(f"PRAGMA max_page_count={pages}"))
    try:
        with pytest.raises(LibraryError) as full:
            for i in range(50):
                library.set_notes(1, f"{i} " + "a long note " * 2000)
        assert str(full.value) == (
            f"The disk holding the library ({tmp_path / 'lib'}) is full: free some space and try again. "
            "Nothing already saved was lost."
        )
    finally:
        library.close()
    library, report = open_library(tmp_path / "lib")
    assert report.clean and library.get_asset(1).name == "first"
    library.close()


def test_full_disk_is_one_line_and_loses_nothing(
    small_disk: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("SWEEDLE_HOME", str(small_disk))
    library, _ = open_library()
    library.add_version(new_version("before"))
    filler = _fill_up(small_disk)
    with pytest.raises(LibraryError, match=r"^The disk holding the library \(.*\) is full: free some space"):
        library.add_version(new_version("too much"))
    library.close()
    mesh = tmp_path / "ball.stl"
    trimesh.creation.icosphere(subdivisions=3).export(mesh)
    assert main(["library", "import", str(mesh)]) == 1
    lines = _error_lines(capsys.readouterr().err)
    assert len(lines) == 1 and "is full: free some space" in lines[0] and "Traceback" not in lines[0]

    filler.unlink()
    library, _report = open_library()
    try:
        before = library.list_assets(AssetQuery(search="before"))
        assert before[0].status is AssetStatus.READY and before[0].glb_path is not None
        assert before[0].glb_path.is_file()
        assert library.add_version(new_version("after")).summary.status is AssetStatus.READY
    finally:
        library.close()


def test_read_only_disk_is_called_read_only(
    small_disk: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SWEEDLE_HOME", str(small_disk))
    library, _ = open_library()
    library.add_version(new_version("on a stick"))
    library.close()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)

    with pytest.raises(LibraryError) as refused:
        open_library()
    assert str(refused.value) == (
        f"The library folder {library_dir()} is read-only (it is on a read-only disk): Sweedle needs to "
        "write there. Make it writable, or set SWEEDLE_HOME to a writable folder."
    )
    assert main(["library", "list"]) == 1
    (line,) = _error_lines(capsys.readouterr().err)
    assert "read-only" in line and "damaged" not in line

"""Saves in progress belong to a live process: its lease dies with it, and until then no other
process's recovery pass reports its save or deletes its temporary folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from app.core.formats.glb_reader import read_glb
from app.core.library import leases
from app.core.library.records import AssetQuery, AssetStatus
from app.core.library.startup import open_library

TESTS = Path(__file__).resolve().parents[1]

# Opens the library, prints its lease token, then (with "pause") stops inside a save after the
# first file of the version's temporary folder is written and waits for a line on stdin.
_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[3])
    from fixtures.library.factory import new_version
    from app.core.library import store
    from app.core.library.startup import open_library

    root, mode = Path(sys.argv[1]), sys.argv[2]
    library, _ = open_library(root)
    print(library.lease.token, flush=True)
    if mode == "pause":
        real_fsync, paused = store._fsync, []
        def pause(path):
            real_fsync(path)
            if not paused:
                paused.append(path)
                print("PAUSED", flush=True)
                sys.stdin.readline()
        store._fsync = pause
        library.add_version(new_version("slow save"))
        print("SAVED", flush=True)
    else:
        sys.stdin.readline()
    library.close()
    """
)


def _child(root: Path, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(root), mode, str(TESTS)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(TESTS.parent)},
    )


def test_a_lease_dies_with_its_process(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    child = _child(root, "wait")
    with child:
        assert child.stdout is not None and child.stdin is not None
        token = child.stdout.readline().strip()
        assert leases.is_token(token)
        assert leases.owner_alive(root / "leases", token), "a running process's lease is alive"
        assert (root / "leases" / f"{token}.lock").is_file()
        child.send_signal(signal.SIGKILL)
    assert not leases.owner_alive(root / "leases", token), "the kernel dropped the lock with the process"
    assert not (root / "leases" / f"{token}.lock").exists(), "the dead lease's file was removed"
    assert not leases.owner_alive(root / "leases", "0123456789abcdef"), "an unknown lease is not alive"


def test_a_lease_released_on_close_leaves_no_file(tmp_path: Path) -> None:
    library, _ = open_library(tmp_path / "lib")
    path = library.lease.path
    assert path.is_file() and library.owner_alive(library.lease.token)
    library.close()
    assert not path.exists()
    assert leases.sweep(tmp_path / "lib" / "leases") == 0


def test_recovery_leaves_a_live_process_save_alone(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    child = _child(root, "pause")
    with child:
        assert child.stdout is not None and child.stdin is not None
        child.stdout.readline()
        assert child.stdout.readline().strip() == "PAUSED"
        temp = list((root / "assets").glob("*/.v1.*.sweedle-tmp"))
        assert len(temp) == 1, "the child is inside its save, with a half-written temporary folder"

        library, report = open_library(root)
        try:
            assert report.clean, report.lines()
            assert report.in_progress == 1
            assert temp[0].is_dir(), "another process's temporary folder was not deleted"
            (saving,) = library.list_assets(AssetQuery())
            assert saving.status is AssetStatus.SAVING, "not marked interrupted while its owner lives"

            child.stdin.write("go\n")
            child.stdin.flush()
            assert child.stdout.readline().strip() == "SAVED"
        finally:
            library.close()
    assert child.returncode == 0
    library, report = open_library(root)
    try:
        assert report.clean and report.in_progress == 0
        (saved,) = library.list_assets(AssetQuery())
        assert saved.status is AssetStatus.READY
        assert saved.glb_path is not None and read_glb(saved.glb_path).lod0.triangle_count == 4
    finally:
        library.close()

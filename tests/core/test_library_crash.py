"""Crash safety: a process saving an asset is SIGKILLed; the next start finds a sound database,
no temporary files, the earlier assets intact and the interrupted save reported."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.core.base.atomic import TEMP_SUFFIX
from app.core.formats.glb_reader import read_glb
from app.core.library.records import GLB_FILE, AssetQuery, AssetStatus
from app.core.library.startup import open_library

TESTS = Path(__file__).resolve().parents[1]

# The child saves two assets, then pauses inside the third save at `point` and waits to be killed:
# "files" pauses after the first file of the version's temporary folder is written;
# "placed" pauses after the folder was renamed into place, before the final commit.
_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[3])
    from fixtures.library.factory import new_version
    from app.core.library import repository, store
    from app.core.library.startup import open_library

    root, point = Path(sys.argv[1]), sys.argv[2]
    library, _ = open_library(root)
    library.add_version(new_version("first"))
    library.add_version(new_version("second"))

    def pause(*args):
        print("PAUSED", flush=True)
        time.sleep(60)

    if point == "files":
        real_fsync = store._fsync
        store._fsync = lambda path: (real_fsync(path), pause())
    else:
        real_write = store.AssetStore.write_version
        store.AssetStore.write_version = lambda self, *a: (real_write(self, *a), pause())
    library.add_version(new_version("third"))
    print("NOT KILLED", flush=True)
    """
)


@pytest.mark.parametrize("point", ["files", "placed"])
def test_kill_while_saving(tmp_path: Path, point: str) -> None:
    root = tmp_path / "lib"
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(root), point, str(TESTS)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(TESTS.parent)},
    )
    with child:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "PAUSED"
        if point == "files":
            assert list(root.rglob(f"*{TEMP_SUFFIX}")), "killed with a half-written folder on disk"
        child.send_signal(signal.SIGKILL)
    assert child.returncode == -signal.SIGKILL

    library, report = open_library(root)
    try:
        con = sqlite3.connect(root / "library.sqlite3")
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        con.close()
        assert not list(root.rglob(f"*{TEMP_SUFFIX}")), "recovery removed the temporary files"
        for asset in library.list_assets(AssetQuery(search="first")) + library.list_assets(
            AssetQuery(search="second")
        ):
            assert asset.status is AssetStatus.READY
            assert asset.glb_path is not None and read_glb(asset.glb_path).lod0.triangle_count == 4
        (third,) = library.list_assets(AssetQuery(search="third"))
        if point == "files":
            assert [name for _, name in report.interrupted] == ["third"]
            assert third.status is AssetStatus.INTERRUPTED
            version = library.get_asset(third.id).versions[0]
            assert version.status == "interrupted" and "stopped while" in version.error
            assert any("interrupted save of 'third'" in line for line in report.lines())
        else:
            assert [name for _, name in report.completed] == ["third"]
            assert third.status is AssetStatus.READY
            assert third.glb_path is not None and (third.folder / GLB_FILE).is_file()
    finally:
        library.close()


def test_missing_files_are_reported_not_fatal(tmp_path: Path) -> None:
    from fixtures.library.factory import new_version

    library, _ = open_library(tmp_path / "lib")
    asset = library.add_version(new_version("moved away"))
    library.close()
    assert asset.summary.glb_path is not None
    hidden = asset.summary.glb_path.with_name("elsewhere.glb")
    asset.summary.glb_path.rename(hidden)

    library, report = open_library(tmp_path / "lib")
    assert report.missing == [(asset.id, "moved away")]
    assert library.get_asset(asset.id).summary.status is AssetStatus.MISSING
    library.close()

    hidden.rename(asset.summary.glb_path)
    library, report = open_library(tmp_path / "lib")
    assert report.clean and library.get_asset(asset.id).summary.status is AssetStatus.READY
    library.close()

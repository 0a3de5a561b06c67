"""Several processes share one library: two save into it while a third lists it in a loop and a
fourth opens it (running the crash-recovery pass) over and over. Nothing may be lost or called
interrupted: every save is in the database with its files, no live save is reported or has its
temporary folder deleted, and SQLite's integrity check passes.

The savers use the library's real save path (real GLB, thumbnail, version.json, fsyncs), with a
short pause after each fsync so a save stays in progress long enough for the opener to meet it:
the test also checks that it did meet saves in progress (the race was really run).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.core.library.records import GLB_FILE
from app.core.library.snapshots import VERSION_FILE

TESTS = Path(__file__).resolve().parents[1]
SAVES_PER_PROCESS = 110

_SAVER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[4])
    from fixtures.library.factory import new_version
    from app.core.library import store
    from app.core.library.startup import open_library

    root, who, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    real_fsync = store._fsync
    def slow_fsync(path):
        real_fsync(path)
        time.sleep(0.003)
    store._fsync = slow_fsync
    library, report = open_library(root)
    print(json.dumps({"report": report.lines()}), flush=True)
    for i in range(count):
        # Every third save adds a version to one of 8 assets both savers share.
        key = f"shared-{i % 8}" if i % 3 == 0 else None
        asset = library.add_version(new_version(f"{who} {i}", source_key=key))
        print(json.dumps({"id": asset.id}), flush=True)
    library.close()
    """
)

_LISTER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from app.core.library.records import AssetQuery, AssetStatus
    from app.core.library.startup import open_library

    root, stop = Path(sys.argv[1]), Path(sys.argv[2])
    library, report = open_library(root)
    lines, rounds, problems = report.lines(), 0, []
    while not stop.exists() or rounds < 3:
        rounds += 1
        for asset in library.list_assets(AssetQuery()):
            if asset.status is not AssetStatus.READY:
                continue
            if asset.glb_path is None or not asset.glb_path.is_file():
                problems.append(f"{asset.name} is ready but has no model file")
    library.close()
    print(json.dumps({"lines": lines, "rounds": rounds, "problems": problems}), flush=True)
    """
)

_OPENER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from app.core.library.startup import open_library

    root, stop = Path(sys.argv[1]), Path(sys.argv[2])
    lines, rounds, in_progress = [], 0, 0
    while not stop.exists() or rounds < 3:
        rounds += 1
        library, report = open_library(root)
        lines += report.lines()
        in_progress += report.in_progress
        library.close()
    print(json.dumps({"lines": lines, "rounds": rounds, "in_progress": in_progress}), flush=True)
    """
)


def _start(code: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(TESTS.parent)},
    )


def _finish(process: subprocess.Popen[str]) -> list[dict[str, object]]:
    out, err = process.communicate(timeout=240)
    assert process.returncode == 0, err
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.mark.slow
def test_two_savers_a_lister_and_an_opener_share_one_library(tmp_path: Path) -> None:
    root, stop = tmp_path / "lib", tmp_path / "stop"
    from app.core.library.startup import open_library

    open_library(root)[0].close()  # created once, so every process starts on a head schema
    lister = _start(_LISTER, root, stop)
    opener = _start(_OPENER, root, stop)
    savers = [_start(_SAVER, root, who, SAVES_PER_PROCESS, TESTS) for who in ("left", "right")]
    try:
        saved = [_finish(saver) for saver in savers]
    finally:
        stop.touch()
    listed, opened = _finish(lister)[-1], _finish(opener)[-1]

    for output in saved:
        assert output[0] == {"report": []}, "a saver's own start found nothing to recover"
        assert len(output) == 1 + SAVES_PER_PROCESS
    assert listed["problems"] == [] and listed["lines"] == []
    assert opened["lines"] == [], "no save in progress was reported interrupted, no live temp file removed"
    assert opened["in_progress"] > 0, "the opener met saves in progress (the race was exercised)"
    assert int(opened["rounds"]) >= 10 and int(listed["rounds"]) >= 10

    con = sqlite3.connect(root / "library.sqlite3")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        statuses = dict(con.execute("SELECT status, COUNT(*) FROM versions GROUP BY status").fetchall())
        assert statuses == {"done": 2 * SAVES_PER_PROCESS}, "every save is one finished version"
        assert dict(con.execute("SELECT status, COUNT(*) FROM assets GROUP BY status").fetchall()) == {
            "ready": con.execute("SELECT COUNT(*) FROM assets").fetchone()[0]
        }
        ids = {int(line["id"]) for output in saved for line in output[1:]}  # type: ignore[call-overload]
        assert ids <= {row[0] for row in con.execute("SELECT id FROM assets")}
        shared = con.execute("SELECT COUNT(*) FROM assets WHERE source_key LIKE 'shared-%'").fetchone()[0]
        assert shared == 8, "saves of one picture from two processes became versions of one asset"
        rows = con.execute(
            "SELECT g.folder, g.version, a.uid FROM versions g JOIN assets a ON a.id = g.asset_id"
        )
        for folder, version, uid in rows:
            path = root / "assets" / folder
            assert (path / GLB_FILE).is_file(), f"{folder} lost its model"
            snapshot = json.loads((path / VERSION_FILE).read_text())
            assert (snapshot["asset_uid"], snapshot["version"]) == (uid, version)
        duplicates = con.execute(
            "SELECT asset_id, version FROM versions GROUP BY asset_id, version HAVING COUNT(*) > 1"
        ).fetchall()
        assert duplicates == [], "two processes never took the same version number"
    finally:
        con.close()
    assert not list(root.rglob("*.sweedle-tmp")), "every process cleaned up after itself"
    assert [p.name for p in (root / "leases").iterdir()] == ["open.lock"], "every lease was released"

"""SIGKILL at random points while a process saves into the library, over and over: the next
start always finds a sound database, removes what the dead process left (temporary folders, its
lease), keeps every save that finished, and reports at most the one save it was killed in."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app.core.library.records import GLB_FILE, AssetQuery, AssetStatus
from app.core.library.startup import open_library

TESTS = Path(__file__).resolve().parents[1]
ROUNDS = 7
MAX_ROUNDS = 30
"""Rounds go on past ROUNDS until a kill has landed inside a save (a loaded machine can make the
first rounds all land between saves)."""

_SAVER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[3])
    from fixtures.library.factory import new_version
    from app.core.library.startup import open_library

    root, prefix = Path(sys.argv[1]), sys.argv[2]
    library, _ = open_library(root)
    print("READY", flush=True)
    for i in range(100_000):
        print(f"SAVING {prefix}-{i}", flush=True)
        key = f"{prefix}-{i % 3}" if i % 2 else None
        asset = library.add_version(new_version(f"{prefix}-{i}", source_key=key))
        library.set_tags(asset.id, ["killed" if i % 5 else "tagged"])
        print(f"SAVED {prefix}-{i}", flush=True)
    """
)


def _first_of_its_picture(name: str) -> str:
    prefix, i = name.rsplit("-", 1)
    n = int(i)
    if n % 2 == 0:
        return name
    return f"{prefix}-{min(j for j in range(1, n + 1, 2) if j % 3 == n % 3)}"


@pytest.mark.slow
def test_sigkill_at_random_points_of_saving(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    rng = random.Random(20261201)
    finished: set[str] = set()
    interrupted_before: set[str] = set()
    recovered = 0
    for round_no in range(MAX_ROUNDS):
        if round_no >= ROUNDS and recovered >= 1:
            break
        child = subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(root), f"r{round_no}", str(TESTS)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(TESTS.parent)},
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "READY"
        early = [child.stdout.readline()]  # in the save loop before the clock starts
        while early[-1] and not early[-1].startswith("SAVED "):
            early.append(child.stdout.readline())
        early = [line.strip() for line in early]
        time.sleep(rng.uniform(0.0, 0.3))
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate()
        lines = early + rest.split("\n")
        saving = [line.split()[1] for line in lines if line.startswith("SAVING ")]
        saved = {line.split()[1] for line in lines if line.startswith("SAVED ")}
        finished |= saved
        in_flight = saving[-1] if saving and saving[-1] not in saved else None
        # A save of an already-saved picture becomes a version of that picture's first asset.
        names = {in_flight, _first_of_its_picture(in_flight)} if in_flight else set()

        library, report = open_library(root)
        try:
            con = sqlite3.connect(root / "library.sqlite3")
            assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            con.close()
            assert not list(root.rglob("*.sweedle-tmp")), f"round {round_no}: leftovers were removed"
            leases = {p.name for p in (root / "leases").iterdir()}
            assert leases == {"open.lock", library.lease.path.name}, "the dead process's lease is gone"
            assert report.missing == [] and report.in_progress == 0
            reported = {name for _, name in report.interrupted + report.completed}
            assert len(report.interrupted) + len(report.completed) <= 1, report.lines()
            assert reported <= names, f"only the save it was killed in is reported: {report.lines()}"
            assets = {a.name: a for a in library.list_assets(AssetQuery())}
            for name in finished:
                if name in assets:  # saves sharing a picture became versions of the first one's asset
                    assert assets[name].status is AssetStatus.READY
            for asset in assets.values():
                record = library.get_asset(asset.id)
                assert asset.status in (AssetStatus.READY, AssetStatus.INTERRUPTED), asset
                if asset.status is AssetStatus.INTERRUPTED:
                    assert asset.name in interrupted_before or (asset.name in names & reported)
                    continue
                assert asset.folder is not None and (asset.folder / GLB_FILE).is_file()
                for version in record.versions:
                    if version.status == "done":
                        assert (version.folder / GLB_FILE).is_file()
                    else:
                        assert version.status == "interrupted", version
            done = sum(
                1 for a in assets.values() for v in library.get_asset(a.id).versions if v.status == "done"
            )
            assert done >= len(finished), "every save that finished is still there"
            interrupted_before |= {name for _, name in report.interrupted}
            recovered += len(report.interrupted) + len(report.completed)
        finally:
            library.close()
    assert recovered >= 1, "kills landed inside saves (the recovery pass really ran)"

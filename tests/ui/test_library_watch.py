"""The library panel follows other processes: what `sweedle generate` or another window saves,
renames or trashes shows in the grid by itself, with the user's selection kept (pytest-qt)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.library.factory import new_version

from app.core.library.repository import Library
from app.core.library.startup import open_library
from app.core.paths import REPO_ROOT
from app.ui.panels.library import LibraryPanel

ROBOT = REPO_ROOT / "resources" / "samples" / "robot.png"


def _env() -> dict[str, str]:
    """The test's environment (its own SWEEDLE_HOME, set by a fixture) for a child process."""
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT)}


@pytest.fixture
def library() -> Iterator[Library]:
    lib, _ = open_library()
    yield lib
    lib.close()


def _names(panel: LibraryPanel) -> list[str]:
    model = panel.model
    return sorted(model.data(model.index(row)) for row in range(model.rowCount()))


def test_changes_by_other_processes_show_without_user_action(qtbot, library: Library, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kept = library.add_version(new_version("here first"))
    panel = LibraryPanel(library)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    panel.select_ids([kept.id])
    assert _names(panel) == ["here first"]

    fast = ["-q", "-p", "resolution=32", "--lods", "none", "--texture-size", "256"]
    generate = subprocess.Popen(
        [sys.executable, "-m", "app", "generate", str(ROBOT), "-o", str(tmp_path / "out"), *fast],
        env=_env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    qtbot.waitUntil(lambda: "robot" in _names(panel), timeout=60_000)
    _, err = generate.communicate(timeout=60)
    assert generate.returncode == 0, err
    assert panel.selected_ids() == [kept.id], "the user's selection survived the refresh"
    assert panel.status.text() == "2 asset(s) shown"

    rename = textwrap.dedent(
        f"""
        from app.core.library.startup import open_library
        library, _ = open_library()
        library.rename({kept.id}, "renamed elsewhere")
        library.close()
        """
    )
    subprocess.run([sys.executable, "-c", rename], env=_env(), check=True)
    qtbot.waitUntil(lambda: "renamed elsewhere" in _names(panel), timeout=30_000)
    assert panel.selected_ids() == [kept.id]

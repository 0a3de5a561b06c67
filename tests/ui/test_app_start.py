"""The window as a whole process: it starts, shows itself idle and quits on --quit-when-ready
(the check the frozen build's benchmark uses), and carries the app's icon and desktop name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.core.paths import resources_dir

REPO = Path(__file__).resolve().parents[2]


def test_window_process_starts_and_quits_when_ready(tmp_path: Path) -> None:
    env = {**os.environ, "SWEEDLE_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "app", "--quit-when-ready"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "READY"
    assert "Traceback" not in done.stderr


def test_icon_and_desktop_entry_are_shipped(qapp) -> None:
    icon = resources_dir() / "icons" / "sweedle.png"
    desktop = resources_dir() / "linux" / "sweedle.desktop"
    entry = dict(
        line.split("=", 1) for line in desktop.read_text(encoding="utf-8").splitlines() if "=" in line
    )
    assert entry["Exec"].split()[0] == "Sweedle"
    assert (entry["Icon"], entry["Type"]) == ("sweedle", "Application")
    from PySide6.QtGui import QIcon

    assert not QIcon(str(icon)).isNull()

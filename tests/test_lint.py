"""Style and correctness lints run with the suite, so CI enforces what reviewers would ask for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).with_name("ruff")


def test_ruff_finds_nothing() -> None:
    proc = subprocess.run(
        [str(RUFF), "check", "--no-cache", "app", "tests"], cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

"""The import-linter contracts in pyproject.toml hold, and each kind can fail: the core stays free
of Qt and the front ends, the CLI and the window stay apart, and the core's layers only import
downward."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_core_import_contract_is_kept() -> None:
    proc = _lint(REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 kept, 0 broken" in proc.stdout


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("app/core/sneaky.py", "from PySide6 import QtCore  # noqa", "app.core.sneaky"),
        ("app/core/mesh/sneaky.py", "import app.cli.main  # noqa", "app.core.mesh.sneaky"),
        ("app/cli/sneaky.py", "import app.ui.main_window  # noqa", "app.cli.sneaky"),
        ("app/core/mesh/upward.py", "import app.core.generation.request  # noqa", "app.core.mesh.upward"),
        ("app/core/base/upward.py", "import app.core.paths  # noqa", "app.core.base.upward"),
    ],
)
def test_contracts_break_when_an_import_runs_the_wrong_way(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    root = _copy(tmp_path)
    (root / module).write_text(line + "\n")
    proc = _lint(root)
    assert proc.returncode != 0
    assert "BROKEN" in proc.stdout and broken in proc.stdout

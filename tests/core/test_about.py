"""The About box's facts and third-party list come from the installed distributions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from app.core import about


def test_components_follow_the_requirements_with_their_licences() -> None:
    components = {c.name.lower().replace("_", "-"): c for c in about.third_party_components()}
    # Base requirements and what they pull in are listed; build and test tools are not shipped.
    for name in ("numpy", "pyside6-essentials", "sqlalchemy", "trimesh", "pillow", "shiboken6"):
        assert name in components, name
        assert components[name].version
        assert components[name].licence and components[name].licence != "see the package"
    for tool in ("pytest", "pyinstaller", "ruff", "import-linter", "pytest-qt"):
        assert tool not in components
    assert "sweedle" not in components


def test_frozen_build_reads_the_list_written_at_build_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = about.write_bundled_list(tmp_path / "resources")
    rows = json.loads(written.read_text(encoding="utf-8"))
    assert {"name", "version", "licence"} <= set(rows[0])
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert about.third_party_components() == about._installed_components()


def test_facts_name_where_things_live(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SWEEDLE_HOME", str(tmp_path))
    facts = about.about_facts()
    assert facts.library.is_relative_to(tmp_path)
    assert facts.settings.is_relative_to(tmp_path)
    assert facts.version == __import__("app").__version__
    assert facts.licence

"""Settings sections survive a round trip, tolerate other builds' keys and never block start-up."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from app.core.settings import load_section, save_section, settings_path


@dataclass
class _Export:
    unity_project: str = ""
    recent: list[str] = field(default_factory=list)


@dataclass
class _Window:
    engine: str = "relief"


def test_sections_round_trip_independently() -> None:
    save_section("export", _Export("/p/unity", ["/a"]))
    save_section("window", _Window("hunyuan"))
    assert load_section("export", _Export) == _Export("/p/unity", ["/a"])
    assert load_section("window", _Window).engine == "hunyuan"


def test_missing_file_and_unknown_keys_give_defaults() -> None:
    assert load_section("export", _Export) == _Export()
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text(json.dumps({"version": 9, "sections": {"window": {"engine": "x", "new": 1}}}))
    assert load_section("window", _Window).engine == "x"


def test_unreadable_file_is_set_aside_not_lost() -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{ hand-edited and broken")
    assert load_section("window", _Window) == _Window()
    asides = list(path.parent.glob("settings.unreadable-*.json"))
    assert len(asides) == 1 and asides[0].read_text() == "{ hand-edited and broken"
    save_section("window", _Window("relief"))
    assert json.loads(path.read_text())["sections"]["window"] == {"engine": "relief"}

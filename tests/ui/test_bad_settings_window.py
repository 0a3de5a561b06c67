"""The real window starts with a hostile settings.json (one bad key at a time), keeps running,
shows that key's default and keeps the other saved values. Before the settings were checked on
read, 7 of 10 such files aborted every start (exit 134: a TypeError in a Qt setter while the
worker thread ran), and a damaged saved layout could crash Qt's restoreState (exit 139)."""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QThreadPool

from app.core.export.projects import EngineKind
from app.core.settings import seal, settings_path

REPO = Path(__file__).resolve().parents[2]

# What the window shows for each key (a fresh window with no settings file shows the defaults).
SHOWN: dict[str, Callable[[Any], Any]] = {
    "generate.seed": lambda w: w.prompt_panel.seed.value(),
    "generate.randomise_seed": lambda w: w.prompt_panel.randomise.isChecked(),
    "generate.height_m": lambda w: w.prompt_panel.height_m.value(),
    "generate.lods": lambda w: w.prompt_panel.lods.text(),
    "generate.lod0_triangles": lambda w: w.prompt_panel.lod0.value(),
    "generate.texture_size": lambda w: w.prompt_panel.texture.currentData(),
    "generate.engine": lambda w: w.prompt_panel.engine_name,
    "generate.preset": lambda w: w.prompt_panel.preset.currentText(),
    "generate.params": lambda w: w.prompt_panel.params.values(),
    "window.geometry": lambda w: (w.isVisible(), w.isMaximized(), w.isFullScreen()),
    "window.state": lambda w: sorted((d.objectName(), w.dockWidgetArea(d).name) for d in w.docks.values()),
    "export.unity_project": lambda w: w.export_panel.folders[EngineKind.UNITY].text(),
    "export.godot_project": lambda w: w.export_panel.folders[EngineKind.GODOT].text(),
}

# Saved values that are fine: each must survive when another key of its section is bad.
GOOD = {"generate": {"seed": 4242, "lods": "60%, 20%"}, "export": {"unreal_project": "/games/ue"}}


def _crashing_layout() -> str:
    """A saved dock layout with its dock-area count damaged, in the plain base64 form older
    builds wrote: handed to restoreState, a layout damaged this way segfaulted Qt here."""
    state = bytes.fromhex(
        "000000ff00000001fd00000001000082000000003100000064fc0200000001fb0000000200640100000000"
        "000000640000001000ffffff0000fd910000006400000004000000040000000800000008fc00000000"
    )
    return base64.b64encode(state).decode()


BAD: list[tuple[str, str]] = [
    ("generate.seed", '"abc"'),
    ("generate.seed", "1180591620717411303424"),
    ("generate.seed", "-1"),
    ("generate.randomise_seed", '"yes"'),
    ("generate.height_m", "NaN"),
    ("generate.height_m", '"tall"'),
    ("generate.lods", "[50, 25]"),
    ("generate.lod0_triangles", "-5"),
    ("generate.lod0_triangles", "1e300"),
    ("generate.texture_size", "333"),
    ("generate.engine", '"no-such-engine"'),
    ("generate.engine", "7"),
    ("generate.preset", '{"x": 1}'),
    ("generate.params", '"garbage"'),
    ("generate.params", '{"relief": {"resolution": 1180591620717411303424, "smoothing": "soft"}}'),
    ("generate.params", '{"relief": {"thickness": {"deep": [[[[]]]]}}}'),
    ("window.geometry", '"%%% not base64"'),
    ("window.state", json.dumps(_crashing_layout())),
    ("window.state", json.dumps(seal(b"layout").replace("bGF5", "bGF6"))),
    ("export.unity_project", "5"),
    ("export.godot_project", json.dumps("g" * 100_000)),
]


def _settings_text(bad: dict[str, str]) -> str:
    """A settings file with the GOOD values and each `bad` key ("section.name") set to its raw
    JSON text (which may be NaN or a number too large for JSON libraries)."""
    parts = []
    for section in sorted(set(GOOD) | {key.split(".")[0] for key in bad}):
        pairs = {json.dumps(k): json.dumps(v) for k, v in GOOD.get(section, {}).items()}
        for key, raw in bad.items():
            if key.split(".")[0] == section:
                pairs[json.dumps(key.split(".")[1])] = raw
        parts.append(f"{json.dumps(section)}: {{{', '.join(f'{k}: {v}' for k, v in pairs.items())}}}")
    return f'{{"version": 1, "sections": {{{", ".join(parts)}}}}}'


def _write_settings(bad: dict[str, str]) -> None:
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text(_settings_text(bad), encoding="utf-8")


def _start_window(qtbot) -> Any:
    from app.ui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.export_panel is not None, timeout=60_000)  # library opened
    qtbot.waitUntil(lambda: QThreadPool.globalInstance().activeThreadCount() == 0, timeout=60_000)
    return win


_defaults: dict[str, Any] = {}


def _default_view(qtbot) -> dict[str, Any]:
    """What a window started without any settings file shows, once per test session."""
    if not _defaults:
        settings_path().unlink(missing_ok=True)
        win = _start_window(qtbot)
        _defaults.update({key: shown(win) for key, shown in SHOWN.items()})
        win.close()
    return _defaults


@pytest.mark.parametrize(("key", "raw"), BAD, ids=[f"{k}={r[:20]}" for k, r in BAD])
def test_window_starts_with_a_bad_setting_and_shows_its_default(
    qtbot, key: str, raw: str, caplog: pytest.LogCaptureFixture
) -> None:
    defaults = _default_view(qtbot)
    _write_settings({key: raw})
    with caplog.at_level(logging.WARNING, logger="app.core.settings"):
        win = _start_window(qtbot)
    try:
        assert win.isVisible()
        assert SHOWN[key](win) == defaults[key]
        assert any(key in r.getMessage() for r in caplog.records), [r.getMessage() for r in caplog.records]
        if key != "generate.seed":
            assert win.prompt_panel.seed.value() == GOOD["generate"]["seed"]
        if key != "generate.lods":
            assert win.prompt_panel.lods.text() == GOOD["generate"]["lods"]
        assert win.export_panel.folders[EngineKind.UNREAL].text() == GOOD["export"]["unreal_project"]
        qtbot.wait(100)  # the event loop goes on
        assert win.isVisible()
    finally:
        win.close()
    saved = json.loads(settings_path().read_text())["sections"]
    assert "window" in saved, "closing the window saves a good layout over the bad one"


@pytest.mark.slow
def test_the_app_process_survives_every_bad_key_at_once(tmp_path: Path) -> None:
    """The whole program, as a user starts it, with all the bad keys in one file."""
    _write_settings(dict(BAD))
    shot = tmp_path / "window.png"
    proc = subprocess.run(
        [sys.executable, "-m", "app", "--screenshot", str(shot)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert shot.is_file() and shot.stat().st_size > 0
    for key in {k for k, _ in BAD}:
        assert f"settings: {key} " in proc.stderr, f"no warning naming {key}:\n{proc.stderr[-3000:]}"
    assert "Traceback" not in proc.stderr

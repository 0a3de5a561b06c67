"""The window's shortcuts work while the 3D view has the keyboard focus: the view is a native GL
window inside a container, so a key pressed there reaches Qt on that window, not on a widget."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog


def test_ctrl_o_in_the_focused_viewport_opens_the_picture_dialog(window, qtbot, monkeypatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: (asked.append("open"), ([], ""))[1])
    [action] = [a for a in window.findChildren(QAction) if a.text() == "Open &Picture…"]
    fired: list[bool] = []
    action.triggered.connect(lambda *_: fired.append(True))
    surface = window.viewport.surface
    surface.requestActivate()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is surface, timeout=5_000)
    QTest.keyClick(surface, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(fired), timeout=5_000)
    assert asked == ["open"]

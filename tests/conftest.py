"""Shared pytest fixtures. The tests folder is put on sys.path so tests can import its helpers
(`from gltf_tools import validate_gltf`) whatever pytest's import mode.

Qt: pytest-xvfb starts an Xvfb server for the session and sets DISPLAY; after it (trylast) we pick
the xcb platform, which has OpenGL through Mesa (the offscreen platform has none), and set the
default surface format before pytest-qt creates the QApplication. Without an X server the GL tests
fail rather than skip, so a CI machine that lost Xvfb cannot go green by accident.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

from gltf_tools import validate_gltf  # noqa: E402


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    os.environ["QT_QPA_PLATFORM"] = "xcb" if os.environ.get("DISPLAY") else "offscreen"
    os.environ.setdefault("QT_QUICK_BACKEND", "software")
    from app.ui.surface import configure_surface_format

    configure_surface_format()


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Fail a test that leaves a Sweedle QThread (or a pool task) running after it ends."""
    yield
    if "app.ui.workers.threads" not in sys.modules:
        return
    from PySide6.QtCore import QThreadPool

    from app.ui.workers.threads import running_threads

    pool_idle = QThreadPool.globalInstance().waitForDone(30_000)
    leaked = running_threads()
    assert not leaked, f"test left {len(leaked)} QThread(s) running: {leaked}"
    assert pool_idle, "test left thread-pool tasks running for more than 30 s"


@pytest.fixture
def gltf_validator() -> Callable[[Path], dict[str, Any]]:
    """validate_gltf(path) -> the Khronos validator's report (fails if it is not installed)."""
    return validate_gltf


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs with its own empty SWEEDLE_HOME and models store: no test reads or writes
    the real user profile, and a model someone dropped into models_cache/ cannot change results."""
    home = tmp_path_factory.mktemp("sweedle-home")
    monkeypatch.setenv("SWEEDLE_HOME", str(home))
    monkeypatch.setenv("SWEEDLE_MODELS", str(home / "models"))
    return home


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Delete the widgets the tests left (pytest-qt only asks for their deletion later, and no
    event loop runs again) while Qt is whole: at interpreter exit PySide deletes the Python-owned
    objects first, among them the viewport's GL window, and Qt then dereferences it from its still
    living window container while it tears the widgets down (a segfault after a green run)."""
    widgets = sys.modules.get("PySide6.QtWidgets")
    app = widgets.QApplication.instance() if widgets is not None else None
    if app is None:
        return
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    for widget in widgets.QApplication.topLevelWidgets():
        if shiboken6.isValid(widget):
            shiboken6.delete(widget)

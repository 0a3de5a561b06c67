"""What the window's start does not load before its first frame: the library (SQLAlchemy), the
pipeline (SciPy, the LOD tools), the picture code (Pillow), the mesh readers and the model configs'
reader (PyYAML) load afterwards, on the pool or on first use; the viewport's GL stack (numpy,
PyOpenGL, the renderer) when the viewport first draws, once the window is on screen. Checked in a
fresh process right after MainWindow() and show(), before the event loop starts the background
work; and that the viewport does draw its first frame from there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOT_BEFORE_THE_FIRST_FRAME = (
    "scipy",
    "sqlalchemy",
    "alembic",
    "trimesh",
    "fast_simplification",
    "pyqtgraph",
    "yaml",
    "PIL",
    "torch",
    "hy3dgen",
    "cv2",
    "numpy",
    "OpenGL",
    "app.ui.viewport.renderer",
    "app.ui.viewport.gpu",
    "app.core.mesh.types",
    "app.core.generation.stages",
    "app.core.library.repository",
    "app.core.queue.store",
)


_SHOWN_WINDOW = (
    "import json, sys\n"
    "from PySide6.QtCore import QElapsedTimer\n"
    "from PySide6.QtWidgets import QApplication\n"
    "from app.ui.surface import configure_surface_format\n"
    "configure_surface_format()\n"
    "qt = QApplication([])\n"
    "from app.ui.main_window import MainWindow\n"
    "w = MainWindow(); w.show()\n"
)
"""The start of a fresh process's program: the main window built and shown."""


def _run_fresh(code: str, home: Path) -> str:
    """Run `code` in a fresh Python process with its own Sweedle home; its standard output."""
    env = dict(os.environ, SWEEDLE_HOME=str(home))
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env, cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_the_window_shows_without_the_library_or_the_pipeline_loaded(tmp_path: Path) -> None:
    code = _SHOWN_WINDOW + (
        "shown = sorted(sys.modules)\n"
        "w.close()\n"
        "print(json.dumps(shown))\n"
    )
    stdout = _run_fresh(code, tmp_path)
    modules = set(json.loads(stdout.strip().splitlines()[-1]))
    assert {"app.ui.viewport.gl_widget", "app.ui.panels.inspector"} <= modules  # the window was built
    loaded = sorted(
        m for m in modules if any(m == top or m.startswith(top + ".") for top in NOT_BEFORE_THE_FIRST_FRAME)
    )
    assert loaded == []


def test_the_viewport_draws_its_first_frame_with_the_gl_stack_it_loads_then(tmp_path: Path) -> None:
    code = _SHOWN_WINDOW + (
        "before = 'OpenGL' in sys.modules or 'numpy' in sys.modules\n"
        "clock = QElapsedTimer(); clock.start()\n"
        "while w.viewport._context is None and w.viewport.gl_error is None and clock.elapsed() < 60000:\n"
        "    qt.processEvents()\n"
        "image = w.viewport.grabFramebuffer()\n"
        "corner, centre = image.pixelColor(2, 2), image.pixelColor(image.width() // 2, image.height() // 2)\n"
        "renderer = 'app.ui.viewport.renderer' in sys.modules\n"
        "print('BEFORE', before, 'ERROR', w.viewport.gl_error, 'RENDERER', renderer,"
        " 'NULL', image.isNull(), 'DRAWN', corner != centre)\n"
        "w.close()\n"
    )
    stdout = _run_fresh(code, tmp_path)
    assert "BEFORE False ERROR None RENDERER True NULL False DRAWN True" in stdout, stdout


def test_the_library_opens_once_the_viewport_has_drawn_its_first_frame(qtbot, monkeypatch) -> None:
    """The pool's imports (the library, the pipeline) would share the GIL with the frame that
    loads the viewport's GL stack and double its time."""
    from app.ui import main_window

    drawn_when_started: list[bool] = []
    real_run_task = main_window.run_task

    def spy(fn, *args, **kwargs):
        if fn in (main_window._open_library, main_window._warm_up):
            drawn_when_started.append(window.viewport._context is not None)
        return real_run_task(fn, *args, **kwargs)

    monkeypatch.setattr(main_window, "run_task", spy)
    window = main_window.MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.library_panel is not None, timeout=30_000)
    assert drawn_when_started == [True, True]


def test_the_library_opens_when_the_viewport_is_never_on_screen(qtbot, monkeypatch) -> None:
    from app.ui import main_window

    monkeypatch.setattr(main_window, "BACKGROUND_AT_THE_LATEST_MS", 50)
    window = main_window.MainWindow()
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.library_panel is not None, timeout=30_000)
    assert window.viewport._context is None

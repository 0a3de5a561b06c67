"""The real window and meshes with NaN or infinite positions (they used to crash it with a
segmentation fault once they reached OpenGL): opened or dropped, each is refused with a message
naming the file, nothing reaches the viewport, and the window keeps working, opening a good mesh
afterwards. A separate process shows the window survives on its own (exit 0, not 139)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from mesh_corpus import CORPUS, TRIANGLE, binary_stl

from app.core.mesh.types import Lod, LodSet, Mesh

from qt_events import drop_files

NAN_MESHES = ["nan_position.glb", "inf_position.glb", "nan.obj", "inf.obj", "nan.stl", "nan.ply"]
MESSAGE = "not numbers (NaN) or infinite"


def write(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(CORPUS[name][0])
    return path


@pytest.mark.parametrize("name", NAN_MESHES)
@pytest.mark.parametrize("how", ["viewport drop", "window drop", "open"])
def test_a_nan_mesh_is_refused_and_the_window_keeps_working(
    qtbot, window, tmp_path: Path, name: str, how: str
) -> None:
    bad = write(tmp_path, name)
    good = tmp_path / "good.stl"
    good.write_bytes(binary_stl([TRIANGLE]))
    if how == "viewport drop":
        assert drop_files(window.viewport, [bad])
    elif how == "window drop":
        drop_files(window, [bad])
    else:
        window.open_mesh(bad)
    qtbot.waitUntil(lambda: MESSAGE in window.generate_bar.message.text(), timeout=20_000)
    assert name in window.generate_bar.message.text()
    assert window.viewport.lodset is None
    window.viewport.grabFramebuffer()  # a frame is drawn after the refusal
    assert window.isVisible()

    drop_files(window.viewport, [good])
    qtbot.waitUntil(lambda: window.viewport.lodset is not None, timeout=20_000)
    assert window.viewport.lodset.lod0.triangle_count == 1
    assert not window.viewport.grabFramebuffer().isNull()


def test_a_mesh_made_with_nan_never_reaches_the_viewport(qtbot, window) -> None:
    """The window's own guard, for meshes that come from no file (an engine's result)."""
    mesh = Mesh(np.array(TRIANGLE), np.array([[0, 1, 2]]))
    window.show_lodset(LodSet("fine", [Lod(0, mesh)]), Path("fine.glb"))
    shown = window.viewport.lodset
    broken = mesh.copy()
    broken.vertices[0, 0] = np.inf
    window.show_lodset(LodSet("broken", [Lod(0, broken)]), Path("made-up.glb"))
    assert window.viewport.lodset is shown
    assert "made-up.glb is damaged" in window.generate_bar.message.text()
    window.viewport.grabFramebuffer()


def test_a_separate_window_process_survives_a_nan_mesh(tmp_path: Path) -> None:
    """In its own process, so a crash in OpenGL shows as an exit code instead of killing pytest."""
    bad = write(tmp_path, "nan_position.glb")
    script = textwrap.dedent(
        """
        import sys, time
        from app.ui.surface import configure_surface_format
        configure_surface_format()
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from app.ui.main_window import MainWindow
        window = MainWindow()
        window.show()
        window.open_mesh(sys.argv[1])
        deadline = time.monotonic() + 60
        while "NaN" not in window.generate_bar.message.text() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        window.viewport.grabFramebuffer()
        print(window.generate_bar.message.text())
        window.close()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(bad)], capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "nan_position.glb is damaged" in done.stdout and MESSAGE in done.stdout

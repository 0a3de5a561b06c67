"""The viewport draws on a native GL window in a window container (a QOpenGLWidget made every
repaint of any widget in the main window compose the whole window on llvmpipe), and that window
shows the asset on screen, passes input and drops on to the viewport, and is in the screenshot."""

from __future__ import annotations

import numpy as np
from gl_meshes import box, lodset_of, sphere
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QImage, QWindow
from PySide6.QtOpenGLWidgets import QOpenGLWidget
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from app.ui.viewport.gl_widget import ViewportWidget, grab_window

from qt_events import drag_enter_event

Button = Qt.MouseButton
Mod = Qt.KeyboardModifier


def _shown(viewport, qtbot):
    viewport.set_lodset(lodset_of(sphere(2)))
    viewport.show()
    qtbot.waitExposed(viewport)
    qtbot.waitUntil(viewport.surface.isExposed, timeout=5000)
    return viewport


def to_array(image: QImage) -> np.ndarray:
    """(H, W, 3) uint8 copy of a QImage (the conftest's helper, which `conftest` may not name here:
    tests/ui has one too)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    height, width, stride = rgb.height(), rgb.width(), rgb.bytesPerLine()
    data = np.frombuffer(rgb.constBits(), dtype=np.uint8, count=stride * height)
    return data.reshape(height, stride)[:, : width * 3].reshape(height, width, 3).copy()


def _drag_and_drop(path):
    """The mime data too: the events hold a bare pointer to it, so it must outlive them."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    args = (QPointF(10, 10), Qt.DropAction.CopyAction, mime, Button.LeftButton, Mod.NoModifier)
    return mime, drag_enter_event(*args), QDropEvent(*args)


def _centre_differs_from_corner(pixels: np.ndarray) -> bool:
    height, width = pixels.shape[:2]
    centre = pixels[height // 2, width // 2].astype(int)
    return int(np.abs(centre - pixels[2, 2].astype(int)).max()) > 40


def test_the_viewport_is_a_native_gl_window_that_shows_the_asset_on_screen(viewport, qtbot):
    _shown(viewport, qtbot)
    assert not viewport.findChildren(QOpenGLWidget)
    assert isinstance(viewport.surface, QWindow) and viewport.surface.parent() is not None
    assert viewport.surface.format().samples() == 4 and viewport.surface.format().majorVersion() >= 3

    def on_screen() -> np.ndarray:
        return to_array(viewport.screen().grabWindow(viewport.surface.winId()).toImage())

    qtbot.waitUntil(lambda: _centre_differs_from_corner(on_screen()), timeout=5000)
    assert _centre_differs_from_corner(to_array(viewport.grabFramebuffer()))


def test_input_on_the_gl_window_moves_the_camera(viewport, qtbot):
    surface = _shown(viewport, qtbot).surface
    yaw = viewport.camera.yaw
    QTest.mousePress(surface, Button.MiddleButton, Mod.NoModifier, QPoint(80, 60))
    QTest.mouseMove(surface, QPoint(100, 60))
    QTest.mouseMove(surface, QPoint(120, 60))
    QTest.mouseRelease(surface, Button.MiddleButton, Mod.NoModifier, QPoint(120, 60))
    assert viewport.camera.yaw < yaw, "a middle-drag on the GL window orbits"
    assert viewport.window().focusWidget() is viewport, "a click in the GL window gives it the keyboard"
    QTest.keyClick(surface, Qt.Key.Key_3)
    assert viewport.camera.yaw == 90.0, "a key pressed in the GL window reaches the viewport"


def test_a_mesh_dropped_on_the_gl_window_reaches_the_viewport(viewport, qtbot, tmp_path):
    surface = _shown(viewport, qtbot).surface
    mesh_path = tmp_path / "crate.glb"
    _mime, enter, drop = _drag_and_drop(mesh_path)
    QApplication.sendEvent(surface, enter)
    assert enter.isAccepted()
    with qtbot.waitSignal(viewport.sig_mesh_file_dropped) as blocker:
        QApplication.sendEvent(surface, drop)
    assert blocker.args == [str(mesh_path)]
    _mime, enter, drop = _drag_and_drop(tmp_path / "photo.png")
    with qtbot.assertNotEmitted(viewport.sig_mesh_file_dropped):
        QApplication.sendEvent(surface, enter)
        QApplication.sendEvent(surface, drop)
    assert not enter.isAccepted() and not drop.isAccepted(), "a picture passes on to the main window"


def test_the_window_screenshot_holds_the_viewport_frame(qapp, qtbot):
    window = QWidget()
    qtbot.addWidget(window)
    layout = QVBoxLayout(window)
    layout.setContentsMargins(30, 20, 10, 10)
    viewport = ViewportWidget()
    layout.addWidget(viewport)
    viewport.set_lodset(lodset_of(box((1.0, 1.0, 1.0))))
    viewport.set_view("front")
    window.resize(240, 190)
    window.show()
    qtbot.waitExposed(window)
    image = to_array(grab_window(window, viewport))
    frame = to_array(viewport.grabFramebuffer())
    origin = viewport.mapTo(window, QPoint(0, 0))
    placed = image[origin.y() : origin.y() + frame.shape[0], origin.x() : origin.x() + frame.shape[1]]
    assert np.abs(placed.astype(int) - frame).max() <= 8  # pytest-xvfb's screen has 16-bit colour
    assert _centre_differs_from_corner(placed)

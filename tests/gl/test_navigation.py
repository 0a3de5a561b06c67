"""Input drives the camera as an artist expects, and the view shows it."""

from __future__ import annotations

import numpy as np
from gl_meshes import box, lodset_of, sphere
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from qt_events import drag_enter_event

Button = Qt.MouseButton
Mod = Qt.KeyboardModifier


def _drag(widget, button, modifiers, start, end) -> None:
    start, end = QPointF(*start), QPointF(*end)
    events = [
        (QEvent.Type.MouseButtonPress, start, button, button),
        (QEvent.Type.MouseMove, (start + end) / 2, Button.NoButton, button),
        (QEvent.Type.MouseMove, end, Button.NoButton, button),
        (QEvent.Type.MouseButtonRelease, end, button, Button.NoButton),
    ]
    for kind, pos, which, held in events:
        global_pos = widget.mapToGlobal(pos)
        QApplication.sendEvent(widget, QMouseEvent(kind, pos, global_pos, which, held, modifiers))


def test_middle_drag_orbits_and_shift_middle_pans(viewport):
    viewport.set_lodset(lodset_of(box()))
    yaw, pitch, target = viewport.camera.yaw, viewport.camera.pitch, viewport.camera.target.copy()
    _drag(viewport, Button.MiddleButton, Mod.NoModifier, (80, 60), (100, 50))
    assert viewport.camera.yaw < yaw and viewport.camera.pitch < pitch
    assert np.array_equal(viewport.camera.target, target)
    yaw = viewport.camera.yaw
    _drag(viewport, Button.MiddleButton, Mod.ShiftModifier, (80, 60), (100, 60))
    assert viewport.camera.yaw == yaw
    right = viewport.camera.rotation()[0]
    assert np.dot(viewport.camera.target - target, right) < 0  # the scene follows the pointer


def test_alt_left_drag_orbits_for_laptops_and_plain_left_does_not(viewport):
    viewport.set_lodset(lodset_of(box()))
    yaw = viewport.camera.yaw
    _drag(viewport, Button.LeftButton, Mod.NoModifier, (80, 60), (120, 60))
    assert viewport.camera.yaw == yaw
    _drag(viewport, Button.LeftButton, Mod.AltModifier, (80, 60), (120, 60))
    assert viewport.camera.yaw < yaw


def test_wheel_zooms(viewport):
    viewport.set_lodset(lodset_of(box()))
    distance = viewport.camera.distance
    pos = QPointF(80, 60)
    event = QWheelEvent(
        pos,
        viewport.mapToGlobal(pos),
        QPoint(),
        QPoint(0, 240),
        Button.NoButton,
        Mod.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, event)
    assert viewport.camera.distance < distance * 0.8


def test_view_keys_and_frame(viewport, qtbot, grab):
    viewport.set_lodset(lodset_of(box((1.0, 0.5, 0.2))))
    qtbot.keyClick(viewport, Qt.Key.Key_1)
    front = grab(viewport)
    assert (viewport.camera.yaw, viewport.camera.pitch) == (0.0, 0.0)
    qtbot.keyClick(viewport, Qt.Key.Key_3)
    assert viewport.camera.yaw == 90.0
    side = grab(viewport)
    qtbot.keyClick(viewport, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)
    assert viewport.camera.pitch == -90.0
    qtbot.keyClick(viewport, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert viewport.camera.yaw in (180.0, -180.0)
    # The wide box is wide from the front and narrow from the side.
    width = [np.ptp(np.nonzero(_differs_from_row_start(img))[1]) for img in (front, side)]
    assert width[0] > 2 * width[1]
    viewport.camera.target += 5.0
    viewport.camera.distance *= 10
    qtbot.keyClick(viewport, Qt.Key.Key_F)
    assert np.allclose(viewport.camera.target, [0, 0.25, 0])
    qtbot.keyClick(viewport, Qt.Key.Key_5)
    assert viewport.camera.ortho


def _differs_from_row_start(image: np.ndarray) -> np.ndarray:
    """Pixels unlike their row's first pixel: the vertical background gradient drops out."""
    return np.abs(image.astype(int) - image[:, :1].astype(int)).max(axis=2) > 12


def test_turntable_spins_the_camera(viewport, qtbot):
    viewport.set_lodset(lodset_of(sphere(1)))
    yaw = viewport.camera.yaw
    viewport.set_turntable(True)
    qtbot.waitUntil(lambda: abs(viewport.camera.yaw - yaw) > 0.5, timeout=3000)
    viewport.set_turntable(False)
    assert not viewport.turntable


def test_auto_lod_switches_to_coarser_levels_when_small_on_screen(viewport, grab, qtbot):
    lodset = lodset_of(sphere(3), sphere(2), sphere(1), errors=[0.0, 0.5, 3.0])
    viewport.set_lodset(lodset)
    viewport.set_auto_lod(True)
    viewport.camera.zoom(0.2)
    grab(viewport)
    assert viewport.lod == 0  # close up, 0.5% of the diagonal is a few pixels
    with qtbot.waitSignal(viewport.sig_lod_changed) as blocker:
        viewport.camera.zoom(30)
        grab(viewport)
    assert blocker.args == [2] and viewport.lod == 2
    viewport.set_lod(1)
    assert not viewport.auto_lod and viewport.lod == 1


def _drop_events(widget, path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = QPointF(10, 10)
    actions = Qt.DropAction.CopyAction
    enter = drag_enter_event(pos, actions, mime, Button.LeftButton, Mod.NoModifier)
    drop = QDropEvent(pos, actions, mime, Button.LeftButton, Mod.NoModifier)
    return mime, enter, drop


def test_dropping_a_mesh_file_emits_its_path_and_an_image_passes_on(viewport, qtbot, tmp_path):
    mesh_path = tmp_path / "Robot.GLB"
    _mime, enter, drop = _drop_events(viewport, mesh_path)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    with qtbot.waitSignal(viewport.sig_mesh_file_dropped) as blocker:
        QApplication.sendEvent(viewport, drop)
    assert blocker.args == [str(mesh_path)]
    _mime, enter, drop = _drop_events(viewport, tmp_path / "photo.png")
    with qtbot.assertNotEmitted(viewport.sig_mesh_file_dropped):
        QApplication.sendEvent(viewport, enter)
        QApplication.sendEvent(viewport, drop)
    assert not enter.isAccepted() and not drop.isAccepted()

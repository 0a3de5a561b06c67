"""The mask editor in the Pictures panel, driven through the real widgets: an unsure cutout opens
it, brush strokes and the box change the mask, undo and redo bring it back, and the job and the
library version made next use the edited mask."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cutout_scenes import Scene, iou, scenes
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.ui.panels.image import ImagePanel
from app.ui.panels.mask_editor import MaskEditor

from qt_events import drop_files

SIZE = (512, 512)


def _scene(name: str) -> Scene:
    kind = name.split("/")[1]
    return next(s for s in scenes(SIZE, (kind,)) if s.name == name)


def _picture(scene: Scene, folder: Path) -> Path:
    path = folder / scene.image.path.name
    Image.fromarray(np.ascontiguousarray(scene.image.rgba[..., :3])).save(path)
    return path


def _open(qtbot, panel: ImagePanel, picture: Path) -> MaskEditor:
    panel.accept_files("front", [picture])
    qtbot.waitUntil(lambda: panel.front_mask.is_open, timeout=60_000)
    editor = panel.front_mask.editor
    assert editor is not None and editor.mask is not None
    return editor


def _on_canvas(editor: MaskEditor, x: float, y: float) -> QPoint:
    """Where working pixel (x, y) is on the canvas."""
    target = editor.canvas.target()
    scale = target.width() / editor.source.rgb.shape[1]
    return QPoint(round(target.x() + x * scale), round(target.y() + y * scale))


def _drag(qtbot, editor: MaskEditor, points: list[tuple[float, float]]) -> None:
    canvas, left, plain = editor.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QTest.mousePress(canvas, left, plain, _on_canvas(editor, *points[0]))
    for point in points[1:]:
        QTest.mouseMove(canvas, _on_canvas(editor, *point))
    QTest.mouseRelease(canvas, left, plain, _on_canvas(editor, *points[-1]))
    qtbot.waitUntil(lambda: editor.refining == 0, timeout=60_000)


@pytest.fixture
def panel(qtbot) -> ImagePanel:
    widget = ImagePanel()
    qtbot.addWidget(widget)
    widget.resize(700, 800)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_an_unsure_picture_opens_the_editor_and_says_why(qtbot, panel: ImagePanel, tmp_path: Path) -> None:
    editor = _open(qtbot, panel, _picture(_scene("hunyuan_195/photo"), tmp_path))
    assert panel.pages.currentWidget() is editor and editor.isVisible()
    assert "The automatic cutout is unsure (confidence 0." in editor.message.text()
    assert "busy scene" in editor.message.text()
    assert panel.window().focusWidget() is editor.canvas  # keys go to the editor at once


def test_a_sure_picture_keeps_the_slots_until_asked(qtbot, panel: ImagePanel, tmp_path: Path) -> None:
    slot = panel.slots["front"]
    panel.accept_files("front", [_picture(_scene("hunyuan_179/gradient"), tmp_path)])
    qtbot.waitUntil(lambda: slot.preview is not None, timeout=60_000)
    assert not panel.front_mask.is_open and slot.edit_button.isVisible()
    slot.edit_button.click()
    assert panel.front_mask.is_open


def test_brush_strokes_change_the_mask_and_undo_restores_it(qtbot, panel: ImagePanel, tmp_path: Path) -> None:
    scene = _scene("hunyuan_195/photo")
    editor = _open(qtbot, panel, _picture(scene, tmp_path))
    before = editor.mask.copy()
    canvas = editor.canvas
    QTest.keyClick(canvas, Qt.Key.Key_B)
    assert editor.tool == "brush" and editor.keep
    QTest.keyClick(canvas, Qt.Key.Key_BracketRight)
    assert editor.radius == 15
    QTest.keyClick(canvas, Qt.Key.Key_BracketLeft)
    assert editor.radius == 12
    QTest.keyClick(canvas, Qt.Key.Key_X)
    assert not editor.keep and editor.mode_button.text() == "Remove"
    # Remove a band across the astronaut's photo, which the automatic cutout kept.
    stroke = [(40.0 + 10 * i, 470.0) for i in range(40)]
    _drag(qtbot, editor, stroke)
    after = editor.mask
    assert after[470, 40:430].max() < 0.5 and not np.array_equal(after, before)
    QTest.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(editor.mask, before)
    redo = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    QTest.keyClick(canvas, Qt.Key.Key_Z, redo)
    assert np.array_equal(editor.mask, after)
    editor.reset_button.click()
    assert np.array_equal(editor.mask, editor.source.automatic)


def test_the_box_cuts_out_inside_it_and_keep_strokes_add(qtbot, panel: ImagePanel, tmp_path: Path) -> None:
    scene = _scene("hunyuan_195/photo")
    editor = _open(qtbot, panel, _picture(scene, tmp_path))
    automatic = iou(editor.mask > 0.5, scene.truth)
    rows, cols = np.nonzero(scene.truth)
    QTest.keyClick(editor.canvas, Qt.Key.Key_M)
    assert editor.tool == "box"
    _drag(qtbot, editor, [(cols.min() - 10.0, rows.min() - 10.0), (cols.max() + 10.0, rows.max() + 10.0)])
    boxed = iou(editor.mask > 0.5, scene.truth)
    assert boxed > automatic + 0.3
    QTest.keyClick(editor.canvas, Qt.Key.Key_B)
    _drag(qtbot, editor, [(60.0, 60.0), (80.0, 60.0)])
    assert editor.mask[60, 60:80].min() > 0.5  # kept where painted
    editor.feather_slider.setValue(4)
    assert 0.0 < editor.mask[60, 40] < 1.0  # the edge is soft now
    QTest.keyClick(editor.canvas, Qt.Key.Key_O)
    assert not editor.overlay
    QTest.keyClick(editor.canvas, Qt.Key.Key_Escape)
    assert not panel.front_mask.is_open
    assert panel.slots["front"].preview.mask_method == "edited in the mask editor"


def test_the_job_and_the_library_version_use_the_edited_mask(qtbot, window, tmp_path: Path) -> None:
    scene = _scene("hunyuan_195/photo")
    picture = _picture(scene, tmp_path)
    drop_files(window, [picture])
    panel = window.image_panel
    qtbot.waitUntil(lambda: panel.front_mask.is_open, timeout=60_000)
    editor = panel.front_mask.editor
    rows, cols = np.nonzero(scene.truth)
    QTest.keyClick(editor.canvas, Qt.Key.Key_M)
    _drag(qtbot, editor, [(cols.min() - 10.0, rows.min() - 10.0), (cols.max() + 10.0, rows.max() + 10.0)])
    edited = editor.mask > 0.5
    qtbot.waitUntil(lambda: window.library_sink.library is not None, timeout=30_000)
    with qtbot.waitSignal(window.runner.sig_finished, timeout=120_000):
        [job] = window.generate()
    mask_file = job.request.mask_path
    assert mask_file is not None and mask_file.is_file()
    sent = np.asarray(Image.open(mask_file)) > 127
    assert sent.shape == scene.truth.shape and iou(sent, edited) > 0.99
    assert job.result.ok and job.result.lodset.provenance["mask"] == "mask file"
    asset_id = window.library_sink.saved_asset_ids[job.id]
    version = window.library_sink.library.get_asset(asset_id).current_version
    kept = np.asarray(Image.open(version.folder / "mask.png")) > 127
    assert np.array_equal(kept, sent)
    assert version.parameters["cutout_result"]["method"] == "mask file"
    # Showing the version's source picture again brings its mask back: Generate Again reuses it.
    source = next(version.folder.glob("source.*"))
    panel.show_source(source, "again")
    qtbot.waitUntil(lambda: panel.front_mask.source is not None, timeout=60_000)
    assert not panel.front_mask.is_open  # a kept mask is sure
    request = panel.with_front_mask(window.prompt_panel.build_request(source, name="again"))
    assert request.mask_path is not None
    assert np.array_equal(np.asarray(Image.open(request.mask_path)) > 127, kept)

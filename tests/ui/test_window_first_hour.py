"""The window as a new artist meets it (issue: the first hour), driven through the real widgets:
the settings keep their size under long messages, the default layout at 1440×900, undo of library
edits, the Help menu, pictures that wait for Generate, a visible selection and named export
targets, the Inspector's measurements against the GLB, Hunyuan's install steps, size presets and
the reuse of an identical version."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import trimesh
from fixtures.library.factory import new_version
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLineEdit, QToolButton

from app.core.export.projects import EngineKind
from app.core.generation.request import JobStatus

from qt_events import drop_files


def _action(window, text: str) -> QAction:
    return next(a for a in window.findChildren(QAction) if a.text().replace("&", "") == text)


def _library(qtbot, window):
    qtbot.waitUntil(lambda: window.library_panel is not None, timeout=30_000)
    return window.library_panel


def _pictures(tmp_path: Path, sample: Path, names: tuple[str, ...]) -> list[Path]:
    copies = []
    for name in names:
        copy = tmp_path / f"{name}.png"
        copy.write_bytes(sample.read_bytes())
        copies.append(copy)
    return copies


def test_a_long_message_under_generate_leaves_the_parameter_rows_their_size(qtbot, window) -> None:
    window.resize(1440, 900)
    window.arrange_docks()
    QApplication.processEvents()
    rows = [window.prompt_panel.params._editors[name][1] for name in ("thickness", "resolution", "smoothing")]
    before = [row.height() for row in rows]
    assert all(row.height() >= row.sizeHint().height() for row in rows), "readable before the message"

    message = window.generate_bar.message
    window.show_error("This message is long enough to wrap over several lines under Generate. " * 6)
    qtbot.waitUntil(lambda: message.height() > 3 * message.fontMetrics().height(), timeout=5_000)
    QApplication.processEvents()
    assert [row.height() for row in rows] == before


def test_the_default_layout_at_1440x900_gives_the_viewport_the_room_and_fits_the_toolbar(
    qtbot, window
) -> None:
    window.resize(1440, 900)
    window.reset_layout()
    QApplication.processEvents()
    toolbar = window.viewport_toolbar
    for action in toolbar.actions():
        if action.isSeparator():
            continue
        widget = toolbar.widgetForAction(action)
        assert widget is not None and widget.isVisible(), action.text()
        assert toolbar.rect().contains(widget.geometry()), action.text()
    extension = toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    assert extension is None or not extension.isVisible(), "no » overflow menu"

    viewport = window.viewport
    assert viewport.width() >= 0.45 * window.width()
    for title in ("Generate", "Library"):
        assert window.docks[title].width() < viewport.width()
    queue = window.docks["Queue"]
    assert queue.width() <= window.centralWidget().width() + 10, "the queue sits under the viewport only"

    grid = _library(qtbot, window).view
    cell = grid.gridSize()
    shown = (grid.viewport().width() // cell.width()) * (grid.viewport().height() // cell.height())
    assert shown >= 6, f"the library shows {shown} thumbnails"
    tree = window.queue_panel.tree
    assert tree.viewport().height() // tree.fontMetrics().height() >= 5, "the queue shows five rows or more"


def test_undo_restores_a_trashed_and_a_renamed_asset(qtbot, window) -> None:
    panel = _library(qtbot, window)
    library = window.library_sink.library
    barrel = library.add_version(new_version("Rusty barrel")).id
    crate = library.add_version(new_version("Crate")).id
    panel.refresh()
    undo, redo = _action(window, "Undo"), _action(window, "Redo")
    assert not undo.isEnabled()

    panel.select_ids([barrel])
    panel.view.setFocus()
    qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
    assert library.get_asset(barrel).summary.in_trash and panel.model.row_of(barrel) is None
    assert undo.isEnabled() and "trash" in undo.text()
    undo.trigger()
    assert not library.get_asset(barrel).summary.in_trash
    assert panel.model.row_of(barrel) is not None, "back in the grid"
    redo.trigger()
    assert library.get_asset(barrel).summary.in_trash
    undo.trigger()

    panel.select_ids([crate])
    panel.view.setCurrentIndex(panel.model.index(panel.model.row_of(crate)))
    window.activateWindow()
    qtbot.waitActive(window)
    panel.view.setFocus()
    qtbot.keyClick(panel.view, Qt.Key.Key_F2)
    editor = panel.view.viewport().findChild(QLineEdit)
    assert editor is not None, "F2 opens the inline editor"
    editor.selectAll()
    qtbot.keyClicks(editor, "Wooden crate")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on its next event
    qtbot.waitUntil(lambda: library.get_asset(crate).name == "Wooden crate", timeout=5_000)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # Edit ▸ Undo by its key
    assert library.get_asset(crate).name == "Crate"
    row = panel.model.row_of(crate)
    assert panel.model.data(panel.model.index(row)) == "Crate", "the grid shows the old name again"


def test_tags_notes_favourite_and_promote_are_undoable(qtbot, window) -> None:
    panel = _library(qtbot, window)
    library = window.library_sink.library
    asset = library.add_version(new_version("Tree", source_key="tree", seed=1)).id
    library.add_version(new_version("Tree", source_key="tree", seed=2))
    panel.refresh()
    stack = window.undo_stack

    panel.set_tags(asset, ["nature", "props"])
    panel.select_ids([asset])
    panel.set_favourite_selected(True)
    window.edits.set_notes(asset, "for the harbour level")
    versions = library.get_asset(asset).versions
    window.edits.promote(asset, versions[0].id)
    record = library.get_asset(asset)
    assert record.current_version.version == 1 and record.notes == "for the harbour level"
    assert record.summary.favourite and record.summary.tags == ("nature", "props")

    for _ in range(4):
        stack.undo()
    record = library.get_asset(asset)
    assert record.current_version.version == 2 and record.notes == ""
    assert not record.summary.favourite and record.summary.tags == ()


def test_the_help_menu_lists_every_shortcut_and_says_where_things_live(qtbot, window, isolated_home) -> None:
    from app.ui.dialogs.help import AboutDialog, ShortcutsDialog

    _action(window, "Keyboard Shortcuts…").trigger()
    dialog = window.findChild(ShortcutsDialog)
    rows = dialog.rows()
    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            assert key.toString() in {keys for keys, _ in rows} or any(key.toString() in k for k, _ in rows)
    assert ("Ctrl+Z", "Undo") in rows and ("F", "Viewport: frame the asset") in rows
    assert ("Ctrl+1", "Viewport: look from the back") in rows
    assert "Library: move the selection to the trash" in {does for _, does in rows}
    dialog.close()

    _action(window, "About Sweedle…").trigger()
    about = window.findChild(AboutDialog)
    text = about.text.text()
    assert "Sweedle 0.1.0" in text and "Licence" in text
    assert str(isolated_home / "data" / "library") in text and "settings.json" in text
    qtbot.waitUntil(lambda: "numpy" in about.components.toPlainText(), timeout=30_000)
    about.close()


def test_dropped_pictures_wait_for_generate_whatever_their_number(
    qtbot, window, sample_image, tmp_path
) -> None:
    images = _pictures(tmp_path, sample_image, ("a", "b", "c"))
    panel = window.image_panel
    for batch in ([images[0]], images):
        drop_files(window, batch)
        assert not window.runner.jobs, f"{len(batch)} picture(s) dropped: nothing runs before Generate"
        assert panel.front == batch[0] and panel.waiting == batch[1:]
    assert "2 more picture(s) wait" in panel.waiting_label.text()

    panel.queue_at_once.setChecked(True)  # the user asks to queue them as they come
    drop_files(window, images[:2])
    assert [job.label for job in window.runner.jobs.values()] == ["a", "b"]
    window.runner.cancel_all()
    qtbot.waitUntil(lambda: all(j.status.finished for j in window.runner.jobs.values()), timeout=60_000)


def test_a_slot_can_be_cleared_and_a_failed_picture_stays_visible_with_its_message(
    qtbot, window, tmp_path
) -> None:
    blank = tmp_path / "blank.png"
    empty = QImage(64, 64, QImage.Format.Format_RGBA8888)
    empty.fill(Qt.GlobalColor.transparent)  # no subject: the preview's mask fails
    empty.save(str(blank))
    slot = window.image_panel.slots["front"]
    drop_files(window, [blank])
    qtbot.waitUntil(lambda: bool(slot.error) and slot.preview is not None, timeout=10_000)
    assert "transparent" in slot.caption.text()
    assert not slot.picture.pixmap().isNull(), "the picture is shown beside its message"

    assert slot.clear_button.isVisible()
    qtbot.mouseClick(slot.clear_button, Qt.MouseButton.LeftButton)
    assert window.image_panel.front is None and slot.picture.pixmap().isNull()
    assert not slot.clear_button.isVisible()


def test_after_a_generation_the_slot_grid_export_and_inspector_agree_on_the_asset(
    qtbot, window, sample_image, tmp_path
) -> None:
    panel = _library(qtbot, window)
    drop_files(window, [sample_image])
    with qtbot.waitSignal(window.runner.sig_finished, timeout=60_000):
        [job] = window.generate()
    asset_id = window.library_sink.saved_asset_ids[job.id]
    # The grid re-reads the library on the pool, then selects the new asset.
    qtbot.waitUntil(lambda: panel.selected_ids() == [asset_id], timeout=10_000)
    palette = panel.view.palette()
    active, inactive = QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive
    for role in (QPalette.ColorRole.Highlight, QPalette.ColorRole.HighlightedText):
        assert palette.color(inactive, role) == palette.color(active, role), "selected also without focus"
    assert window.image_panel.front == sample_image and not window.image_panel.pending

    export = window.export_panel
    assert export.buttons[EngineKind.UNREAL].text() == "Export 'robot' to Unreal"
    export.folders[EngineKind.UNREAL].setText(str(tmp_path))  # not an Unreal project
    with qtbot.waitSignal(export.sig_finished, timeout=30_000):
        export.buttons[EngineKind.UNREAL].click()
    assert export.result.text().startswith("✗ robot: ") and "is not an Unreal project" in export.result.text()

    inspector = window.inspector
    qtbot.waitUntil(lambda: inspector.facts is not None, timeout=30_000)
    glb = trimesh.load(job.result.output_path, force="scene", process=False)
    lod0 = next(geometry for name, geometry in glb.geometry.items() if name.endswith("LOD0"))
    extents = lod0.bounds[1] - lod0.bounds[0]
    assert np.allclose(inspector.facts.size_m, extents, atol=1e-5)
    assert inspector.size.text().startswith(" × ".join(f"{v:.3f}" for v in extents))
    assert [row.triangles for row in inspector.facts.lods] == [lod.triangles for lod in job.result.lods]
    assert inspector.lod_table.item(0, 2).text() == f"{job.result.lods[0].vertices:,}"
    assert inspector.facts.texture_size == (512, 512) and inspector.texture.text() == "512 × 512 px"
    assert inspector.facts.uv_picture is not None and not inspector.uv_picture.pixmap().isNull()
    assert inspector.facts.file_bytes == job.result.output_path.stat().st_size
    assert "Relief" in inspector.made_by.text() and "licence" in inspector.made_by.text()
    assert not inspector.details.isVisible() and "shape" in inspector.details.text()

    window.edits.rename(asset_id, "Robot mk2")
    assert inspector.title.text() == "Robot mk2"
    assert export.buttons[EngineKind.UNITY].text() == "Export 'Robot mk2' to Unity"


def test_an_identical_generation_reuses_the_version_unless_asked_again(qtbot, window, sample_image) -> None:
    _library(qtbot, window)
    library = window.library_sink.library
    drop_files(window, [sample_image])
    with qtbot.waitSignal(window.runner.sig_finished, timeout=60_000):
        [first] = window.generate()
    with qtbot.waitSignal(window.runner.sig_finished, timeout=60_000):
        [again] = window.generate()
    assert again.status is JobStatus.DONE and again.result.reused
    assert "version 1 of 'robot'" in window.generate_bar.message.text()
    asset_id = window.library_sink.saved_asset_ids[first.id]
    assert window.library_sink.saved_asset_ids[again.id] == asset_id
    assert [v.version for v in library.get_asset(asset_id).versions] == [1]
    assert window.viewport.lodset is again.result.lodset

    with qtbot.waitSignal(window.runner.sig_finished, timeout=60_000):
        _action(window, "Generate Again Anyway").trigger()
    assert [v.version for v in library.get_asset(asset_id).versions] == [1, 2]


def test_the_context_menu_offers_favourite_or_not_favourite(qtbot, window) -> None:
    panel = _library(qtbot, window)
    asset = window.library_sink.library.add_version(new_version("Lamp")).id
    panel.refresh()
    panel.select_ids([asset])
    index = panel.model.index(panel.model.row_of(asset))

    def entries() -> list[str]:
        return [a.text() for a in panel.context_menu(index).actions()]

    assert "Favourite" in entries() and "Not favourite" not in entries()
    next(a for a in panel.context_menu(index).actions() if a.text() == "Favourite").trigger()
    assert "Not favourite" in entries() and "Favourite" not in entries()


def test_hunyuan_says_the_exact_install_steps_when_its_packages_are_missing(qtbot, monkeypatch) -> None:
    from app.core.generation.engines import hunyuan_setup
    from app.ui.dialogs.models import ModelsDialog
    from app.ui.panels.prompt import PromptPanel

    real = hunyuan_setup.find_spec
    monkeypatch.setattr(
        hunyuan_setup, "find_spec", lambda name: None if name in ("torch", "hy3dgen") else real(name)
    )
    panel = PromptPanel()
    qtbot.addWidget(panel)
    tip = panel.engine.model().item(panel.engine.findData("hunyuan")).toolTip()
    for step in (
        "pip install torch==2.13.0 torchvision==0.28.0",
        "pip install --no-deps hy3dgen==2.0.2",
        "pip install -e '.[hunyuan]'",
    ):
        assert step in tip

    dialog = ModelsDialog()
    qtbot.addWidget(dialog)
    assert "cannot run Hunyuan3D-2 models yet: torch, hy3dgen are not installed" in dialog.readiness.text()
    qtbot.waitUntil(lambda: dialog.table.rowCount() > 0, timeout=10_000)
    dialog.select("hunyuan3d-2-turbo")
    dialog.show_licence()
    assert dialog.licence_text.toPlainText().startswith("Before you download")


def test_the_models_dialog_says_a_cpu_build_has_no_cuda(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from app.core.generation.engines.hunyuan_setup import RuntimeCheck, runtime_check
    from app.ui.dialogs import models
    from app.ui.dialogs.models import ModelsDialog

    assert runtime_check().torch_cuda == torch.version.cuda, "read from torch's files without importing it"
    for found, start in (
        (RuntimeCheck((), None, True), "No CUDA: PyTorch here is a CPU-only build"),
        (RuntimeCheck((), "12.4", False), "No CUDA: no NVIDIA driver was found"),
        (RuntimeCheck((), "12.4", True), "This install can run Hunyuan3D-2 on the NVIDIA GPU"),
    ):
        monkeypatch.setattr(models, "runtime_check", lambda found=found: found)
        dialog = ModelsDialog()
        qtbot.addWidget(dialog)
        assert dialog.readiness.text().startswith(start)
        assert dialog.readiness.objectName() == ("hint" if found.gpu else "error")


def test_size_presets_set_the_height_and_each_engine_remembers_its_own(qtbot) -> None:
    from hunyuan_tiny import build_tiny_checkpoint

    from app.ui.panels.prompt import PromptPanel

    build_tiny_checkpoint(Path(os.environ["SWEEDLE_MODELS"]))  # makes Hunyuan selectable
    panel = PromptPanel()
    qtbot.addWidget(panel)
    presets = [panel.size_preset.itemText(i) for i in range(panel.size_preset.count())]
    assert presets == ["Prop 1 m", "Character 1.8 m", "Building 8 m", "Custom"]
    panel.size_preset.setCurrentText("Character 1.8 m")
    assert panel.height_m.value() == pytest.approx(1.8)
    panel.height_m.setValue(2.5)
    assert panel.size_preset.currentText() == "Custom"

    panel.engine.setCurrentIndex(panel.engine.findData("hunyuan"))
    panel.size_preset.setCurrentText("Building 8 m")
    panel.engine.setCurrentIndex(panel.engine.findData("relief"))
    assert panel.height_m.value() == pytest.approx(2.5)
    panel.save()

    again = PromptPanel()
    qtbot.addWidget(again)
    assert again.engine_name == "relief" and again.height_m.value() == pytest.approx(2.5)
    again.engine.setCurrentIndex(again.engine.findData("hunyuan"))
    assert again.height_m.value() == pytest.approx(8.0) and again.size_preset.currentText() == "Building 8 m"

"""What the README promises, kept in the real window: the version history (thumbnails, parameters,
engine, date; two versions side by side in the viewport; promote and its undo), Re-texture on a
library asset, notes, File ▸ Import… with progress and Cancel, File ▸ Export As… into every format
the CLI writes (read back by the Khronos validator and assimp), and the Unreal editor path in the
Export panel."""

from __future__ import annotations

import stat
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import QFileDialog
from readers import assimp_info

from app.core.export.export_as import FORMATS
from app.core.export.projects import EngineKind
from app.core.formats.glb import glb_bytes
from app.core.formats.glb_reader import read_glb
from app.core.library.records import GLB_FILE, TEXTURE_FILE, THUMBNAIL_FILE, LodRecord, SourceType
from app.core.library.repository import NewVersion
from app.core.library.thumbnails import thumbnail_png
from app.core.mesh.types import Lod, LodSet, Material, Mesh
from app.core.settings import load_section
from app.ui.dialogs.retexture import RetextureDialog
from app.ui.panels.export import SECTION, ExportPanel, ExportSettings

from gltf_tools import pack_gltf, validate_gltf

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from export_samples import sample_lodset, unreal_project

RED, BLUE = (230, 20, 20), (20, 40, 230)


def _action(window, text: str) -> QAction:
    return next(a for a in window.findChildren(QAction) if a.text().replace("&", "") == text)


def _library(qtbot, window):
    qtbot.waitUntil(lambda: window.library_panel is not None, timeout=30_000)
    return window.library_panel


def _ball(subdivisions: int) -> Mesh:
    """A ball standing on the ground (y from 0 to 1) with spherical UVs."""
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions, radius=0.5)
    vertices = np.asarray(sphere.vertices) + np.array([0.0, 0.5, 0.0])
    unit = np.asarray(sphere.vertices) / 0.5
    uvs = np.column_stack(
        [np.arctan2(unit[:, 0], unit[:, 2]) / (2 * np.pi) + 0.5, np.arccos(unit[:, 1]) / np.pi]
    )
    return Mesh(vertices, sphere.faces, None, uvs)


def _ball_version(name: str, colour: tuple[int, int, int], seed: int, thickness: float) -> NewVersion:
    """A real two-LOD ball in one colour, as a generated version (GLB, texture and thumbnail)."""
    texture = np.empty((8, 8, 3), np.uint8)
    texture[:] = colour
    lodset = LodSet(name, [Lod(0, _ball(3)), Lod(1, _ball(2), 0.8)], Material("Paint", texture), {})
    return NewVersion(
        name=name,
        source_type=SourceType.GENERATED,
        engine="relief",
        lods=[
            LodRecord(lod.level, lod.mesh.triangle_count, lod.mesh.vertex_count, lod.error_pct)
            for lod in lodset.lods
        ],
        files={GLB_FILE: glb_bytes(lodset), THUMBNAIL_FILE: thumbnail_png(lodset, 64)},
        source_key=name,
        source_name=f"{name}.png",
        seed=seed,
        parameters={"thickness": thickness},
        device="cpu",
        bounds={"min": [-0.5, 0, -0.5], "max": [0.5, 1, 0.5]},
        height_m=1.0,
    )


def _open(qtbot, window, asset_id: int, versions: int) -> None:
    window.open_asset(asset_id)
    inspector = window.inspector
    qtbot.waitUntil(
        lambda: inspector.asset_id == asset_id and inspector.versions.list.count() == versions, timeout=30_000
    )


def _dominant(rgb: np.ndarray) -> tuple[int, int]:
    """Pixels clearly red and clearly blue (the grey background and grid are neither)."""
    r, b = rgb[..., 0].astype(int), rgb[..., 2].astype(int)
    return int(np.count_nonzero(r - b > 60)), int(np.count_nonzero(b - r > 60))


def _pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    return (
        data.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]
        .reshape(image.height(), image.width(), 3)
        .copy()
    )


def test_version_history_compares_two_versions_side_by_side_and_promotes(qtbot, window) -> None:
    window.resize(1440, 900)
    _library(qtbot, window)
    library = window.library_sink.library
    asset = library.add_version(_ball_version("Ball", RED, seed=1, thickness=0.4)).id
    library.add_version(_ball_version("Ball", BLUE, seed=2, thickness=0.8))
    v1, v2 = sorted(library.get_asset(asset).versions, key=lambda v: v.version)
    _open(qtbot, window, asset, versions=2)
    history = window.inspector.versions
    rows = [history.list.item(i) for i in range(history.list.count())]
    assert rows[0].text().startswith("v2 · current\n") and rows[1].text().startswith("v1\n")
    assert f"{v1.created_at:%Y-%m-%d %H:%M} · relief · seed 1 · 1,280 triangles" in rows[1].text()
    assert "thickness=0.4" in rows[1].toolTip() and "device: cpu" in rows[1].toolTip()
    qtbot.waitUntil(lambda: all(not row.icon().isNull() for row in rows), timeout=30_000)
    assert not history.compare_button.isEnabled() and not history.use_button.isEnabled()

    history.select([v1.id])
    assert history.details.isVisible() and "settings: thickness=0.4" in history.details.text()
    assert history.use_button.isEnabled() and history.compare_button.text() == "Compare v1 | v2"
    qtbot.mouseClick(history.compare_button, Qt.MouseButton.LeftButton)
    viewport = window.viewport
    qtbot.waitUntil(lambda: viewport.compared is not None and not viewport.uploading(), timeout=30_000)
    left, right = viewport.compare_overlay.captions
    assert left.isVisible() and left.toolTip().startswith("v1 · relief · ")
    assert right.toolTip().startswith("v2 (current) · relief · ") and right.text().startswith("v2")
    assert left.geometry().right() < viewport.width() // 2 <= right.geometry().left()
    pixels = _pixels(viewport.grabFramebuffer())
    half = pixels.shape[1] // 2
    left_red, left_blue = _dominant(pixels[:, :half])
    right_red, right_blue = _dominant(pixels[:, half:])
    assert left_red > 500 and right_blue > 500, "each half shows its version"
    assert left_blue < left_red / 50 and right_red < right_blue / 50, "and only its version"

    viewport.setFocus()
    qtbot.keyClick(viewport, Qt.Key.Key_Escape)
    assert viewport.compared is None and not left.isVisible()
    assert viewport.lodset.material.base_color_texture[0, 0, 2] == BLUE[2], "the current version again"

    history.select([v1.id])
    qtbot.mouseClick(history.use_button, Qt.MouseButton.LeftButton)
    assert library.get_asset(asset).current_version.id == v1.id
    qtbot.waitUntil(lambda: viewport.lodset.material.base_color_texture[0, 0, 0] == RED[0], timeout=30_000)
    assert history.list.item(1).text().startswith("v1 · current")
    window.undo_stack.undo()
    assert library.get_asset(asset).current_version.id == v2.id
    qtbot.waitUntil(lambda: viewport.lodset.material.base_color_texture[0, 0, 2] == BLUE[2], timeout=30_000)


def test_retexture_bakes_the_chosen_picture_into_a_new_version(
    qtbot, window, sample_image, monkeypatch
) -> None:
    _library(qtbot, window)
    library = window.library_sink.library
    asset = library.add_version(_ball_version("Ball", RED, seed=1, thickness=0.4)).id
    before = library.get_asset(asset).current_version
    _open(qtbot, window, asset, versions=1)
    qtbot.mouseClick(window.inspector.retexture_button, Qt.MouseButton.LeftButton)
    dialog = window.findChild(RetextureDialog)
    assert dialog is not None and dialog.isVisible() and dialog.windowTitle() == "Re-texture Ball"
    assert [dialog.method.itemData(i) for i in range(dialog.method.count())] == ["projection"]

    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert "Choose the picture" in dialog.message.text() and not dialog.running
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(sample_image), ""))
    qtbot.mouseClick(dialog.browse_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.preview.pixmap().isNull(), timeout=30_000)
    assert dialog.message.text() == f"{sample_image.name}: 512 × 512 px"
    dialog.size.setCurrentIndex(dialog.size.findData(256))
    dialog.roughness.setValue(0.6)
    with qtbot.waitSignal(dialog.sig_done, timeout=240_000) as done:
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
        assert dialog.running and not dialog.picture.isEnabled()
    record = done.args[0]
    new = record.current_version
    assert new.version == 2 and record.id == asset
    assert new.parameters == {
        "thickness": 0.4,
        "retextured_from_version": 1,
        "texture_method": "projection",
        "texture_size": 256,
        "roughness": 0.6,
    }
    assert new.seed == before.seed and new.engine == "relief" and new.source_name == sample_image.name
    assert new.lods[0].triangles == before.lods[0].triangles, "the mesh is kept"
    assert len(new.lods) == 2 and new.lods[1].triangles < new.lods[0].triangles, "its LODs made again"
    written = read_glb(new.folder / GLB_FILE)
    assert written.material.roughness == pytest.approx(0.6)
    assert written.material.base_color_texture.shape[:2] == (256, 256)
    assert (new.folder / TEXTURE_FILE).is_file() and (new.folder / f"source{sample_image.suffix}").is_file()
    assert np.allclose(written.lod0.bounds(), read_glb(before.folder / GLB_FILE).lod0.bounds(), atol=1e-5)
    qtbot.waitUntil(lambda: window.inspector.versions.list.count() == 2, timeout=30_000)
    qtbot.waitUntil(lambda: window.viewport.lodset.material.roughness == pytest.approx(0.6), timeout=30_000)


def test_retexture_cancel_and_a_bad_picture_save_nothing(qtbot, window, tmp_path, sample_image, monkeypatch):
    import app.core.library.retexture as retexture_module

    panel = _library(qtbot, window)
    library = window.library_sink.library
    asset = library.add_version(_ball_version("Ball", RED, seed=1, thickness=0.4)).id
    panel.refresh()
    menu = panel.context_menu(panel.model.index(panel.model.row_of(asset)))
    next(a for a in menu.actions() if a.text() == "Re-texture…").trigger()
    dialog = window.findChild(RetextureDialog)
    assert dialog is not None and dialog.asset_id == asset

    not_a_picture = tmp_path / "notes.png"
    not_a_picture.write_text("not a picture")
    dialog.picture.setText(str(not_a_picture))
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)
    message = dialog.message.text()
    assert message.startswith("Re-texture failed: ") and "notes.png" in message and "\n" not in message
    assert dialog.isVisible() and dialog.run_button.isEnabled()

    gate = threading.Event()
    real = retexture_module.retexture

    def held(*args, **kwargs):
        gate.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(retexture_module, "retexture", held)
    dialog.picture.setText(str(sample_image))
    try:
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
        assert dialog.running
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        assert dialog.isVisible(), "Cancel stops the bake and keeps the dialog"
    finally:
        gate.set()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert dialog.message.text() == "Re-texture cancelled; nothing was saved."
    assert [v.version for v in library.get_asset(asset).versions] == [1]


def test_notes_are_edited_in_the_inspector_searchable_and_undoable(qtbot, window) -> None:
    panel = _library(qtbot, window)
    library = window.library_sink.library
    asset = library.add_version(_ball_version("Ball", RED, seed=1, thickness=0.4)).id
    _open(qtbot, window, asset, versions=1)
    notes = window.inspector.notes
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=10_000)
    notes.setFocus()
    qtbot.keyClicks(notes, "for the harbour level")
    assert library.get_asset(asset).notes == "", "saved when the field is left, not per key"
    window.viewport.setFocus()
    assert library.get_asset(asset).notes == "for the harbour level"
    panel.search.setText("harbour")
    panel.apply_filters()
    assert panel.model.row_of(asset) is not None
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert library.get_asset(asset).notes == "" and notes.toPlainText() == ""


def test_file_import_brings_meshes_in_with_progress_and_cancel(qtbot, window, tmp_path, monkeypatch) -> None:
    import app.core.library.importer as importer

    panel = _library(qtbot, window)
    panel.watcher.stop()  # its refresh would replace the status line the test reads
    library = window.library_sink.library
    ball, box = tmp_path / "ball.obj", tmp_path / "box.stl"
    trimesh.creation.icosphere(subdivisions=3).export(ball)
    trimesh.creation.box().export(box)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(ball), str(box)], ""))
    seen: list[int] = []
    panel.import_bar.valueChanged.connect(seen.append)
    imported: list[int] = []
    panel.sig_imported.connect(imported.append)
    _action(window, "Import into Library…").trigger()
    assert panel.import_row.isVisible() and panel.imports_running() == 2
    qtbot.waitUntil(lambda: len(imported) == 2, timeout=60_000)
    assert sorted(library.get_asset(i).name for i in imported) == ["ball", "box"]
    assert not panel.import_row.isVisible() and panel.imports_running() == 0
    assert any(0 < value < 500 for value in seen) and any(500 <= value < 1000 for value in seen), seen
    assert panel.status.text() == "imported box"

    gate = threading.Event()
    real = importer.thumbnail_png

    def held(*args, **kwargs):
        gate.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "thumbnail_png", held)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(ball)], ""))
    count = library.asset_rows()
    try:
        _action(window, "Import into Library…").trigger()
        qtbot.mouseClick(panel.import_cancel_button, Qt.MouseButton.LeftButton)
    finally:
        gate.set()
    qtbot.waitUntil(lambda: panel.imports_running() == 0, timeout=60_000)
    assert panel.status.text() == "import of ball.obj cancelled; nothing was saved"
    assert library.asset_rows() == count and not panel.import_row.isVisible()


def test_export_as_writes_every_format_and_independent_readers_load_them(
    qtbot, window, tmp_path, monkeypatch
) -> None:
    _library(qtbot, window)
    library = window.library_sink.library
    asset = library.add_version(_ball_version("Ball", RED, seed=1, thickness=0.4)).id
    _open(qtbot, window, asset, versions=1)
    qtbot.waitUntil(lambda: window.viewport.lodset is not None, timeout=30_000)
    written = {}
    for fmt in FORMATS:
        target = tmp_path / f"ball.{fmt}"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, t=target, **k: (str(t), ""))
        with qtbot.waitSignal(window.sig_exported, timeout=60_000) as exported:
            _action(window, "Export As…").trigger()
        written[fmt] = exported.args[0].files
        assert written[fmt][0] == target and target.is_file()
    assert set(written) == {"glb", "gltf", "fbx", "obj", "stl", "ply"}

    for path in (written["glb"][0], pack_gltf(written["gltf"][0], tmp_path / "packed.glb")):
        report = validate_gltf(path)
        assert report["issues"]["numErrors"] == 0, report["issues"]["messages"]
    for fmt in ("fbx", "obj", "stl", "ply"):
        assert max(assimp_info(written[fmt][0]).meshes.values()) == 1280, fmt
    assert sorted(e.engine for e in library.get_asset(asset).exports) == sorted(FORMATS)

    typed = tmp_path / "typed without suffix"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(typed), "FBX (*.fbx)"))
    with qtbot.waitSignal(window.sig_exported, timeout=60_000):
        _action(window, "Export As…").trigger()
    assert (tmp_path / "typed without suffix.fbx").is_file()


def _editor(folder: Path, name: str = "UnrealEditor-Cmd", runnable: bool = True) -> Path:
    """A stand-in for Unreal's command-line editor (Unreal cannot be installed here): it records the
    command line it was given and exits 0, as the real one does after a successful import."""
    folder.mkdir(parents=True, exist_ok=True)
    editor = folder / name
    editor.write_text(
        '#!/bin/sh\nprintf "%s\\n" "$@" > "$(dirname "$0")/args.txt"\necho "LogPython: imported"\n'
    )
    if runnable:
        editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    return editor


def test_the_unreal_editor_path_is_checked_remembered_and_runs_the_import(qtbot, tmp_path) -> None:
    panel = ExportPanel()
    qtbot.addWidget(panel)
    panel.show()
    bad = {
        tmp_path / "missing" / "UnrealEditor-Cmd": "UnrealEditor-Cmd was not found at",
        tmp_path: "is a folder",
        _editor(tmp_path / "other", "notepad"): "notepad is not Unreal's command-line editor",
        _editor(tmp_path / "plain", runnable=False): "cannot be run (it is not executable)",
    }
    for path, problem in bad.items():
        panel.editor_cmd.setText(str(path))
        panel.editor_cmd.editingFinished.emit()
        assert problem in panel.editor_message.text() and panel.editor_message.isVisible(), path
        assert (
            "Engine/Binaries" in panel.editor_message.text() or "permissions" in panel.editor_message.text()
        )
        assert not panel.run_unreal_import.isEnabled()
    assert load_section(SECTION, ExportSettings).unreal_editor_cmd == "", "a bad path is not kept"

    editor = _editor(tmp_path / "Engine" / "Binaries" / "Linux")
    panel.editor_cmd.setText(str(editor))
    panel.editor_cmd.editingFinished.emit()
    assert not panel.editor_message.isVisible() and panel.run_unreal_import.isEnabled()
    panel.run_unreal_import.setChecked(True)
    saved = load_section(SECTION, ExportSettings)
    assert saved.unreal_editor_cmd == str(editor) and saved.unreal_run_import

    glb = tmp_path / "crate.glb"
    glb.write_bytes(glb_bytes(sample_lodset("Crate", levels=2, texture_size=16)))
    project = unreal_project(tmp_path / "Game")
    panel.folders[EngineKind.UNREAL].setText(str(project))
    panel.set_assets([str(glb)])
    with qtbot.waitSignal(panel.sig_unreal_imported, timeout=60_000) as imported:
        panel.buttons[EngineKind.UNREAL].click()
    assert imported.args[0] == ["✓ crate imported into Unreal"]
    args = (editor.parent / "args.txt").read_text().splitlines()
    script = project / "SourceArt" / "Sweedle" / "crate" / "import_SM_crate.py"
    assert args == [str(next(project.glob("*.uproject"))), "-run=pythonscript", f"-script={script}"]
    assert script.is_file() and "✓ crate imported into Unreal" in panel.result.text()
    assert panel.buttons[EngineKind.UNREAL].isEnabled() and panel.progress.isHidden()

    again = ExportPanel()
    qtbot.addWidget(again)
    assert again.editor_cmd.text() == str(editor) and again.run_unreal_import.isChecked()

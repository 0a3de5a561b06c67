"""The library browser driven through its real widgets (pytest-qt)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trimesh
from fixtures.library.factory import new_version, tiny_png
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QPixmap

from app.core.library.repository import Library
from app.core.library.startup import open_library
from app.ui.panels.library import LibraryPanel
from app.ui.panels.library_model import ASSET_ID_ROLE


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib, _ = open_library(tmp_path / "lib")
    yield lib
    lib.close()


@pytest.fixture
def panel(qtbot, library: Library) -> LibraryPanel:  # type: ignore[no-untyped-def]
    for name, shade in (("Rusty barrel", 40), ("Oak tree", 120), ("Stone wall", 220)):
        library.add_version(new_version(name, thumbnail=tiny_png(shade, 32)))
    widget = LibraryPanel(library)
    qtbot.addWidget(widget)
    widget.resize(700, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _names(panel: LibraryPanel) -> list[str]:
    model = panel.model
    return sorted(model.data(model.index(row)) for row in range(model.rowCount()))


def _select(panel: LibraryPanel, *names: str) -> None:
    model = panel.model
    ids = [model.asset_id(r) for r in range(model.rowCount()) if model.data(model.index(r)) in names]
    panel.select_ids(ids)


def test_typing_a_search_filters_the_grid(qtbot, panel: LibraryPanel) -> None:  # type: ignore[no-untyped-def]
    assert _names(panel) == ["Oak tree", "Rusty barrel", "Stone wall"]
    qtbot.keyClicks(panel.search, "bar")
    qtbot.waitUntil(lambda: _names(panel) == ["Rusty barrel"], timeout=3000)
    panel.search.clear()
    qtbot.waitUntil(lambda: len(_names(panel)) == 3, timeout=3000)
    assert panel.status.text() == "3 asset(s) shown"


def test_tags_filter(qtbot, panel: LibraryPanel) -> None:  # type: ignore[no-untyped-def]
    _select(panel, "Oak tree", "Stone wall")
    panel.add_tag_to_selected("nature")
    assert panel.tag_box.findText("nature") > 0
    panel.tag_box.setCurrentText("nature")
    assert _names(panel) == ["Oak tree", "Stone wall"]
    panel.tag_box.setCurrentIndex(0)
    assert len(_names(panel)) == 3


def test_multi_select_delete_moves_to_trash_and_restore_brings_back(qtbot, panel: LibraryPanel) -> None:  # type: ignore[no-untyped-def]
    _select(panel, "Oak tree", "Rusty barrel")
    panel.view.setFocus()
    qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
    assert _names(panel) == ["Stone wall"]
    assert panel.library.count(trash=True) == 2

    qtbot.mouseClick(panel.trash_button, Qt.MouseButton.LeftButton)
    assert _names(panel) == ["Oak tree", "Rusty barrel"]
    assert panel.restore_button.isVisible()
    _select(panel, "Oak tree", "Rusty barrel")
    qtbot.mouseClick(panel.restore_button, Qt.MouseButton.LeftButton)
    assert _names(panel) == []
    qtbot.mouseClick(panel.trash_button, Qt.MouseButton.LeftButton)
    assert _names(panel) == ["Oak tree", "Rusty barrel", "Stone wall"]


def test_inline_rename_and_open_signal(qtbot, panel: LibraryPanel) -> None:  # type: ignore[no-untyped-def]
    model = panel.model
    row = next(r for r in range(model.rowCount()) if model.data(model.index(r)) == "Oak tree")
    index = model.index(row)
    assert model.setData(index, "Old oak")
    assert panel.library.get_asset(model.asset_id(row)).name == "Old oak"
    assert not model.setData(index, "   "), "an empty name is refused"
    assert "cannot be empty" in panel.status.text()
    with qtbot.waitSignal(panel.sig_open_asset) as opened:
        panel.view.doubleClicked.emit(index)
    assert opened.args == [index.data(ASSET_ID_ROLE)]


def test_thumbnails_load_off_the_gui_thread(qtbot, panel: LibraryPanel) -> None:  # type: ignore[no-untyped-def]
    model = panel.model
    for row in range(model.rowCount()):
        model.data(model.index(row), Qt.ItemDataRole.DecorationRole)
    qtbot.waitUntil(lambda: not model.loading(), timeout=5000)
    shades = {}
    for row in range(model.rowCount()):
        pixmap = model.data(model.index(row), Qt.ItemDataRole.DecorationRole)
        assert isinstance(pixmap, QPixmap)
        shades[model.data(model.index(row))] = pixmap.toImage().pixelColor(4, 4).red()
    expected = {"Rusty barrel": 40, "Oak tree": 120, "Stone wall": 220}
    assert shades == {name: pytest.approx(shade, abs=3) for name, shade in expected.items()}


def test_drag_out_carries_the_glb_file(panel: LibraryPanel) -> None:
    model = panel.model
    mime = model.mimeData([model.index(0)])
    (url,) = mime.urls()
    path = Path(url.toLocalFile())
    assert path.name == "model.glb" and path.is_file()


def test_dropping_a_mesh_imports_it(qtbot, panel: LibraryPanel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ball = tmp_path / "ball.stl"
    trimesh.creation.icosphere(subdivisions=2).export(ball)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(ball))])
    drop = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(panel.sig_imported, timeout=20000):
        panel.dropEvent(drop)
    assert "ball" in _names(panel)
    assert panel.status.text() == "imported ball"

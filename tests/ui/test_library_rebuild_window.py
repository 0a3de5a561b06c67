"""The window with a lost library database: the Library dock says so (and how to fix it) instead
of showing an empty library, and File ▸ Rebuild Library… brings every asset back, off the GUI
thread, keeping the old database (pytest-qt, the real main window)."""

from __future__ import annotations

import pytest
from fixtures.library.factory import new_version
from PySide6.QtWidgets import QLabel, QMessageBox

from app.core.library.startup import open_library
from app.core.paths import library_dir
from app.ui.panels.library import LibraryPanel


def _names(panel: LibraryPanel) -> list[str]:
    model = panel.model
    return sorted(model.data(model.index(row)) for row in range(model.rowCount()))


def _text(widget: object) -> str:
    return widget.text() if isinstance(widget, QLabel) else ""


@pytest.fixture
def lost_database() -> list[str]:
    """A library whose database became 0 bytes while its three asset folders are still there."""
    library, _ = open_library()
    names = ["anvil", "barrel", "crate"]
    saved = [library.add_version(new_version(name)) for name in names]
    library.set_tags(saved[0].id, ["forge"])
    library.close()
    (library_dir() / "library.sqlite3").write_bytes(b"")
    return names


def test_lost_database_is_reported_and_rebuilt_from_the_file_menu(  # type: ignore[no-untyped-def]
    qtbot, lost_database: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    dock = window.docks["Library"]
    qtbot.waitUntil(lambda: "Rebuild Library" in _text(dock.widget()), timeout=30_000)
    assert isinstance(dock.widget(), QLabel)
    assert "0 bytes" in dock.widget().text() and "3 asset folder(s)" in dock.widget().text()
    assert window.library_sink.library is None, "nothing opened an empty library over the lost one"

    asked = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *args: asked.append(args[2]) or QMessageBox.StandardButton.Yes
    )
    file_menu = window.menuBar().actions()[0].menu()
    (action,) = [a for a in file_menu.actions() if a.text() == "&Rebuild Library…"]
    with qtbot.waitSignal(window.sig_library_rebuilt, timeout=60_000) as rebuilt:
        action.trigger()
    assert asked and "set-aside" in asked[0]
    assert "rebuilt the library: 3 asset(s), 3 version(s)" in rebuilt.args[0]
    panel = window.library_panel
    assert isinstance(panel, LibraryPanel) and dock.widget() is panel
    assert _names(panel) == lost_database
    assert panel.library.tags() == ["forge"]
    assert len(list((library_dir() / "set-aside").glob("library-*.sqlite3"))) == 1
    window.close()

"""Help menu dialogs: every keyboard shortcut, and About (version, licences, where things live,
from `app.core.about`, which `sweedle --about` shares).

The shortcut list is collected from what actually handles the keys (the window's actions and
shortcuts, the viewport's key tables, the library grid's keys), so it cannot drift from them.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.about import AboutFacts, Component, about_facts, third_party_components
from app.core.weights.licence import LICENCES
from app.ui.panels.library import key_help as library_key_help
from app.ui.panels.mask_editor import key_help as mask_key_help
from app.ui.viewport.gl_widget import MOUSE_HELP, key_help
from app.ui.workers.tasks import run_task


def shortcut_rows(window: QWidget) -> list[tuple[str, str]]:
    """(keys, what they do) for every shortcut the window answers to, menus first."""
    native = QKeySequence.SequenceFormat.NativeText
    rows: list[tuple[str, str]] = []
    for action in window.findChildren(QAction):
        keys = [k.toString(native) for k in action.shortcuts() if not k.isEmpty()]
        if keys and action.text():
            rows.append((" or ".join(keys), action.text().replace("&", "").rstrip("…")))
    for shortcut in window.findChildren(QShortcut):
        key = shortcut.key().toString(native)
        if key and shortcut.whatsThis():
            rows.append((key, shortcut.whatsThis()))
    rows += key_help() + library_key_help() + mask_key_help() + list(MOUSE_HELP)
    return list(dict.fromkeys(rows))


class ShortcutsDialog(QDialog):
    def __init__(self, rows: Iterable[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        rows = list(rows)
        self.table = QTableWidget(len(rows), 2)
        self.table.setObjectName("shortcuts_table")
        self.table.setHorizontalHeaderLabels(["Keys", "Does"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        for row, (keys, does) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(does))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(620, 560)

    def rows(self) -> list[tuple[str, str]]:
        table = self.table
        return [(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(table.rowCount())]


def about_text(facts: AboutFacts) -> str:
    weights = "; ".join(f"{lic.name}, {lic.url}" for lic in LICENCES.values())
    return (
        f"<h3>Sweedle {facts.version}</h3>"
        "<p>Pictures into game-ready 3D assets, on this machine.</p>"
        f"<p><b>Licence:</b> {facts.licence}. Model weights keep their own licences: {weights}. "
        "Assets you make with the built-in Relief engine carry no model licence.</p>"
        "<table>"
        f"<tr><td><b>Library</b></td><td>{facts.library}</td></tr>"
        f"<tr><td><b>Settings</b></td><td>{facts.settings}</td></tr>"
        f"<tr><td><b>Model weights</b></td><td>{facts.weights}</td></tr>"
        "</table>"
        "<p>Back up by copying the library folder while Sweedle is closed.</p>"
    )


class AboutDialog(QDialog):
    """Version, licences and folders at once; the third-party list is read on the pool (it walks
    the installed packages' metadata)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Sweedle")
        self.facts = about_facts()
        self.text = QLabel(about_text(self.facts))
        self.text.setObjectName("about_text")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.components = QPlainTextEdit()
        self.components.setReadOnly(True)
        self.components.setPlaceholderText("Listing the third-party components…")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(QLabel("Third-party components and their licences:"))
        layout.addWidget(self.components, 1)
        layout.addWidget(buttons)
        self.resize(640, 520)
        run_task(third_party_components, on_result=self._show_components, owner=self)

    def _show_components(self, components: list[Component]) -> None:
        self.components.setPlainText("\n".join(f"{c.name} {c.version}: {c.licence}" for c in components))

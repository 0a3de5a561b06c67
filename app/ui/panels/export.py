"""The Export panel: a project folder and a button per engine, the export options, and batch
export of the selected assets off the GUI thread with progress and the outcome shown."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.export.jobs import BatchItem, export_batch
from app.core.export.options import TEXTURE_SIZES, Collision, ExportOptions
from app.core.export.projects import EngineKind
from app.core.mesh.normalize import PIVOTS
from app.core.settings import load_section, save_section, setting
from app.ui.workers.tasks import run_task

SECTION = "export"
NAME_SHOWN = 24
"""Longest asset name a button shows whole (its tooltip has every name)."""
PATH_MAX_CHARS = 4096
"""Longest folder path a project setting takes (PATH_MAX on Linux)."""


@dataclass
class ExportSettings:
    unity_project: str = setting("", max_length=PATH_MAX_CHARS)
    unreal_project: str = setting("", max_length=PATH_MAX_CHARS)
    godot_project: str = setting("", max_length=PATH_MAX_CHARS)
    unreal_editor_cmd: str = setting("", max_length=PATH_MAX_CHARS)


class ExportPanel(QWidget):
    """Exports the assets given to `set_assets` (library ids or .glb paths) into the engine
    project whose button is clicked. Emits `sig_finished(items)` with one BatchItem per asset."""

    sig_finished = Signal(list)
    _sig_progress = Signal(int, int, str)

    def __init__(self, library: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._assets: list[str] = []
        self._names: dict[str, str] = {}
        """Asset spec (library id or file) → the name the user knows it by."""
        self._settings = load_section(SECTION, ExportSettings)
        self.folders: dict[EngineKind, QLineEdit] = {}
        self.buttons: dict[EngineKind, QPushButton] = {}
        grid = QGridLayout()
        for row, kind in enumerate(EngineKind):
            edit = QLineEdit(getattr(self._settings, f"{kind.value}_project"))
            edit.setPlaceholderText(f"{kind.title} project folder")
            edit.editingFinished.connect(self._save_folders)
            browse = QPushButton("Browse…")
            browse.clicked.connect(lambda _=False, k=kind: self._browse(k))
            button = QPushButton(f"Export to {kind.title}")
            button.clicked.connect(lambda _=False, k=kind: self.export_to(k))
            grid.addWidget(edit, 2 * row, 0)
            grid.addWidget(browse, 2 * row, 1)
            grid.addWidget(button, 2 * row + 1, 0, 1, 2)
            self.folders[kind], self.buttons[kind] = edit, button
        self.height = QDoubleSpinBox(minimum=0.0, maximum=1000.0, decimals=3, singleStep=0.1)
        self.height.setSpecialValueText("as stored")
        self.pivot = QComboBox()
        self.pivot.addItems(PIVOTS)
        self.lod_levels = QSpinBox(minimum=-1, maximum=8, value=-1)
        self.lod_levels.setSpecialValueText("all")
        self.texture = QComboBox()
        self.texture.addItem("as stored", None)
        for size in TEXTURE_SIZES:
            self.texture.addItem(f"{size} px", size)
        self.collision = QComboBox()
        for choice in Collision:
            self.collision.addItem(choice.value, choice)
        form = QFormLayout()
        form.addRow("Height (m)", self.height)
        form.addRow("Pivot", self.pivot)
        form.addRow("LODs after LOD0", self.lod_levels)
        form.addRow("Texture", self.texture)
        form.addRow("Collision", self.collision)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.result = QLabel()
        self.result.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.result)
        layout.addStretch(1)
        self._sig_progress.connect(self._on_progress)
        self._update_buttons()

    def set_assets(self, assets: list[int | str]) -> None:
        """The assets the buttons export: library ids or .glb paths. The buttons name them."""
        self._assets = [str(a) for a in assets]
        ids = [int(a) for a in self._assets if a.isdigit()]
        known = {str(s.id): s.name for s in self._library.summaries(ids)} if ids and self._library else {}
        self._names = {a: known.get(a) or Path(a).stem for a in self._assets}
        self._update_buttons()

    def target_text(self) -> str:
        """What the buttons export, in words: 'robot', or '3 assets'."""
        if len(self._assets) == 1:
            name = self._names[self._assets[0]]
            return f"'{name if len(name) <= NAME_SHOWN else name[: NAME_SHOWN - 1] + '…'}'"
        return f"{len(self._assets)} assets"

    def options(self) -> ExportOptions:
        return ExportOptions(
            height_m=self.height.value() or None,
            pivot=self.pivot.currentText(),
            lod_levels=None if self.lod_levels.value() < 0 else self.lod_levels.value(),
            texture_size=self.texture.currentData(),
            collision=self.collision.currentData(),
        )

    def export_to(self, kind: EngineKind) -> None:
        folder = self.folders[kind].text().strip()
        if not folder:
            self.result.setText(f"Choose the {kind.title} project folder first.")
            return
        self._save_folders()
        self._set_busy(True)
        self.result.setText(f"Exporting {self.target_text()} to {kind.title}…")
        run_task(
            export_batch,
            list(self._assets),
            kind,
            folder,
            self.options(),
            self._library,
            on_progress=self._sig_progress.emit,
            on_result=self._on_done,
            on_error=self._on_error,
        )

    def _browse(self, kind: EngineKind) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self, f"{kind.title} project folder", self.folders[kind].text()
        )
        if chosen:
            self.folders[kind].setText(chosen)
            self._save_folders()

    def _save_folders(self) -> None:
        for kind, edit in self.folders.items():
            setattr(self._settings, f"{kind.value}_project", edit.text().strip())
        save_section(SECTION, self._settings)

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.progress.setValue(0)
        for button in self.buttons.values():
            button.setEnabled(not busy and bool(self._assets))

    def _update_buttons(self) -> None:
        names = "\n".join(self._names[a] for a in self._assets[:20])
        for kind, button in self.buttons.items():
            button.setEnabled(bool(self._assets))
            if self._assets:
                button.setText(f"Export {self.target_text()} to {kind.title}")
                button.setToolTip(f"Export into the {kind.title} project:\n{names}")
            else:
                button.setText(f"Export to {kind.title}")
                button.setToolTip("Select assets in the Library (or generate one) to export them")

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, label: str) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)

    def _on_done(self, items: list[BatchItem]) -> None:
        self._set_busy(False)
        lines = []
        for item in items:
            name = self._names.get(item.spec) or Path(item.spec).stem
            if item.result is not None:
                lines.append(f"✓ {name} → {item.result.folder}")
                lines += [f"   {note}" for note in item.result.notes]
            else:
                lines.append(f"✗ {name}: {item.error}")
        self.result.setText("\n".join(lines))
        self.sig_finished.emit(items)

    def _on_error(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.result.setText(f"Export failed: {exc}")
        self.sig_finished.emit([])

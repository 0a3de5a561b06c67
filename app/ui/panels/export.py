"""The Export panel: a project folder and a button per engine, the export options, and batch
export of the selected assets off the GUI thread with progress and the outcome shown. For Unreal,
the path of UnrealEditor-Cmd (checked as it is entered, remembered) lets the panel run the
generated import script after the export, so the asset lands in the project's Content."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.base.errors import SweedleError
from app.core.base.rules import TEXTURE_SIZES
from app.core.export.jobs import BatchItem, export_batch
from app.core.export.options import ExportOptions
from app.core.export.projects import EngineKind
from app.core.export.staging import ExportResult
from app.core.export.unreal import check_editor_cmd, run_import
from app.core.mesh.collision import DEFAULT_PIECES, MAX_PIECES, Collision, CollisionKind
from app.core.mesh.normalize import PIVOTS
from app.core.settings import load_section, save_section, setting
from app.ui.panels.scrolling import fill_scrolled
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
    unreal_run_import: bool = setting(False)


class ExportPanel(QWidget):
    """Exports the assets given to `set_assets` (library ids or .glb paths) into the engine
    project whose button is clicked. Emits `sig_finished(items)` with one BatchItem per asset."""

    sig_finished = Signal(list)
    sig_unreal_imported = Signal(list)
    """One line per asset the import script ran for (after an export with the import asked for)."""

    def __init__(self, library: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._assets: list[str] = []
        self._names: dict[str, str] = {}
        """Asset spec (library id or file) → the name the user knows it by."""
        self._settings = load_section(SECTION, ExportSettings)
        self._kind: EngineKind | None = None
        self.folders: dict[EngineKind, QLineEdit] = {}
        self.buttons: dict[EngineKind, QPushButton] = {}
        self.editor_cmd = QLineEdit(self._settings.unreal_editor_cmd)
        self.editor_cmd.setObjectName("unreal_editor_cmd")
        self.editor_cmd.setPlaceholderText("UnrealEditor-Cmd, to run the import script (optional)")
        self.editor_cmd.setToolTip("Engine/Binaries/<platform>/UnrealEditor-Cmd of the Unreal Engine install")
        self.editor_cmd.editingFinished.connect(self._check_editor)
        editor_browse = QPushButton("Browse…")
        editor_browse.clicked.connect(self._browse_editor)
        self.run_unreal_import = QCheckBox("Import into Unreal after export")
        self.run_unreal_import.setToolTip(
            "Run the generated import script with UnrealEditor-Cmd after each Unreal export (close the "
            "editor first: the script imports into /Game/Sweedle and saves)"
        )
        self.run_unreal_import.setChecked(self._settings.unreal_run_import)
        self.run_unreal_import.toggled.connect(self._save_folders)
        self.editor_message = QLabel()
        self.editor_message.setObjectName("error")
        self.editor_message.setWordWrap(True)
        grid = QGridLayout()
        row = 0
        for kind in EngineKind:
            edit = QLineEdit(getattr(self._settings, f"{kind.value}_project"))
            edit.setPlaceholderText(f"{kind.title} project folder")
            edit.editingFinished.connect(self._save_folders)
            browse = QPushButton("Browse…")
            browse.clicked.connect(lambda _=False, k=kind: self._browse(k))
            button = QPushButton(f"Export to {kind.title}")
            button.clicked.connect(lambda _=False, k=kind: self.export_to(k))
            grid.addWidget(edit, row, 0)
            grid.addWidget(browse, row, 1)
            grid.addWidget(button, row + 1, 0, 1, 2)
            row += 2
            if kind is EngineKind.UNREAL:
                grid.addWidget(self.editor_cmd, row, 0)
                grid.addWidget(editor_browse, row, 1)
                grid.addWidget(self.run_unreal_import, row + 1, 0, 1, 2)
                grid.addWidget(self.editor_message, row + 2, 0, 1, 2)
                row += 3
            self.folders[kind], self.buttons[kind] = edit, button
        self.height = QDoubleSpinBox(minimum=0.0, maximum=1000.0, decimals=3, singleStep=0.1)
        self.height.setSpecialValueText("as stored")
        self.pivot = QComboBox()
        self.pivot.addItems(PIVOTS)
        self.lod_levels = QSpinBox(minimum=-1, maximum=8, value=-1)
        self.lod_levels.setSpecialValueText("all")
        self.lod_levels.setToolTip("LODs after LOD0: more than the asset has are made, fewer are dropped")
        self.lod0_triangles = QSpinBox(minimum=0, maximum=10_000_000, value=0, singleStep=1000)
        self.lod0_triangles.setObjectName("lod0_triangles")
        self.lod0_triangles.setSpecialValueText("as stored")
        self.lod0_triangles.setToolTip("LOD0's triangle budget; the LODs below it are made again from it")
        self.texture = QComboBox()
        self.texture.addItem("as stored", None)
        for size in TEXTURE_SIZES:
            self.texture.addItem(f"{size} px", size)
        self.collision = QComboBox()
        self.collision.setObjectName("collision")
        for kind, label in (
            (CollisionKind.NONE, "none"),
            (CollisionKind.HULL, "convex hull"),
            (CollisionKind.DECOMPOSE, "convex pieces"),
        ):
            self.collision.addItem(label, kind)
        self.collision.setToolTip(
            "Collision shapes for Unity (MeshColliders), Unreal (UCX_) and Godot (StaticBody): one convex "
            "hull, or a convex decomposition that follows concave shapes (needs the 'collision' extra)"
        )
        self.collision_pieces = QSpinBox(minimum=1, maximum=MAX_PIECES, value=DEFAULT_PIECES)
        self.collision_pieces.setObjectName("collision_pieces")
        self.collision_pieces.setSuffix(" pieces")
        self.collision_pieces.setToolTip("Most convex pieces of the decomposition")
        self.collision_pieces.setEnabled(False)
        self.collision.currentIndexChanged.connect(
            lambda: self.collision_pieces.setEnabled(self._collision_kind() is CollisionKind.DECOMPOSE)
        )
        collision_row = QHBoxLayout()
        collision_row.addWidget(self.collision, 1)
        collision_row.addWidget(self.collision_pieces)
        form = QFormLayout()
        form.addRow("Height (m)", self.height)
        form.addRow("Pivot", self.pivot)
        form.addRow("LOD0 triangles", self.lod0_triangles)
        form.addRow("LODs after LOD0", self.lod_levels)
        form.addRow("Texture", self.texture)
        form.addRow("Collision", collision_row)
        self.lightmap_uv = QCheckBox("Lightmap UVs (Unity, Unreal)")
        self.lightmap_uv.setObjectName("lightmap_uv")
        self.lightmap_uv.setChecked(True)
        self.lightmap_uv.setToolTip(
            "A second, non-overlapping UV set for baked lighting, with the engine's import set to use it"
        )
        form.addRow("", self.lightmap_uv)
        self.compress = QCheckBox("Compress .glb (File ▸ Export As…)")
        self.compress.setObjectName("compress")
        self.compress.setToolTip(
            "Export As a .glb with Draco-compressed meshes and a JPEG base colour, for the web and Unity "
            "glTFast (needs the 'compress' extra); engine exports stay uncompressed"
        )
        form.addRow("", self.compress)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.result = QLabel()
        self.result.setWordWrap(True)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addLayout(grid)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.result)
        layout.addStretch(1)
        fill_scrolled(self, content)
        self._update_buttons()
        self._check_editor()

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
            lod0_triangles=self.lod0_triangles.value() or None,
            lod_levels=None if self.lod_levels.value() < 0 else self.lod_levels.value(),
            texture_size=self.texture.currentData(),
            collision=self.collision_choice(),
            lightmap_uv=None if self.lightmap_uv.isChecked() else False,
        )

    def collision_choice(self) -> Collision:
        """The collision chosen; the piece count counts for a decomposition only."""
        kind = self._collision_kind()
        if kind is CollisionKind.DECOMPOSE:
            return Collision(kind, self.collision_pieces.value())
        return Collision(kind)

    def _collision_kind(self) -> CollisionKind:
        """The kind chosen (Qt hands the item data back as a plain str)."""
        return CollisionKind(self.collision.currentData())

    def export_to(self, kind: EngineKind) -> None:
        folder = self.folders[kind].text().strip()
        if not folder:
            self.result.setText(f"Choose the {kind.title} project folder first.")
            return
        self._save_folders()
        self._set_busy(True)
        self._kind = kind
        self.result.setText(f"Exporting {self.target_text()} to {kind.title}…")
        run_task(
            export_batch,
            list(self._assets),
            kind,
            folder,
            self.options(),
            self._library,
            progress=self._on_progress,
            on_result=self._on_done,
            on_error=self._on_error,
            owner=self,
        )

    def editor_path(self) -> Path | None:
        """The UnrealEditor-Cmd entered, when it is one that can run (else None, and the message says why)."""
        text = self.editor_cmd.text().strip()
        if not text:
            return None
        try:
            return check_editor_cmd(text)
        except SweedleError:
            return None

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
        self._settings.unreal_run_import = self.run_unreal_import.isChecked()
        save_section(SECTION, self._settings)

    def _browse_editor(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "UnrealEditor-Cmd", self.editor_cmd.text())
        if chosen:
            self.editor_cmd.setText(chosen)
            self._check_editor()

    def _check_editor(self) -> None:
        """Say at once what is wrong with the path entered; only a usable path (or none) is kept."""
        text = self.editor_cmd.text().strip()
        problem = ""
        if text:
            try:
                check_editor_cmd(text)
            except SweedleError as exc:
                problem = str(exc)
        self.editor_message.setText(problem)
        self.editor_message.setVisible(bool(problem))
        self.run_unreal_import.setEnabled(bool(text) and not problem)
        if not problem and text != self._settings.unreal_editor_cmd:
            self._settings.unreal_editor_cmd = text
            self._save_folders()

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.progress.setRange(0, 100)
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
        editor = self.editor_path()
        exported = [(self._names.get(i.spec) or i.spec, i.result) for i in items if i.result is not None]
        if self._kind is EngineKind.UNREAL and self.run_unreal_import.isChecked() and editor and exported:
            self._set_busy(True)
            self.progress.setRange(0, 0)
            self.result.setText(self.result.text() + "\nImporting into Unreal (this takes a while)…")
            run_task(
                _import_into_unreal,
                exported,
                editor,
                on_result=self._on_unreal_imported,
                on_error=self._on_error,
                owner=self,
            )

    def _on_unreal_imported(self, lines: list[str]) -> None:
        self._set_busy(False)
        text = self.result.text().rpartition("\n")[0]
        self.result.setText("\n".join([text, *lines]))
        self.sig_unreal_imported.emit(lines)

    def _on_error(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.result.setText(f"Export failed: {exc}")
        self.sig_finished.emit([])


def _import_into_unreal(exported: list[tuple[str, ExportResult]], editor: Path) -> list[str]:
    """Runs in the pool: each export's import script through UnrealEditor-Cmd, one line each."""
    lines = []
    for name, result in exported:
        try:
            run_import(result, editor)
        except SweedleError as exc:
            lines.append(f"✗ {name} not imported into Unreal: {exc}")
        else:
            lines.append(f"✓ {name} imported into Unreal")
    return lines

"""The asset in the viewport, as an artist checks it: size in metres, triangles and vertices per
LOD, texture size and preview, UV layout, file size, engine and licence; for a library asset also
its notes, its version history (promote, compare) and Re-texture…, edited through the undoable
library edits. Stage timings and the other provenance stay under a collapsed "Details".

The measurements (`inspect_asset`) run on the thread pool; a newer asset drops a late answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.base.errors import SweedleError
from app.core.base.provenance import Provenance
from app.core.generation.request import GenerationResult
from app.core.library.records import AssetRecord
from app.core.render.inspection import PREVIEW_SIZE, AssetFacts, inspect_asset
from app.ui.library_edits import Change, LibraryEdits
from app.ui.panels.scrolling import fill_scrolled
from app.ui.panels.versions import VersionHistory
from app.ui.workers.tasks import run_task

if TYPE_CHECKING:
    import numpy as np

    from app.core.mesh.types import LodSet

EMPTY_TEXT = "Generate, open or double-click a library asset to inspect it."


class NotesEdit(QPlainTextEdit):
    """Notes are saved when the field loses focus (one undo step per edit, not per key)."""

    sig_finished = Signal()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.sig_finished.emit()


class InspectorPanel(QWidget):
    sig_version_changed = Signal(int)
    """The shown library asset's current version changed (promote, or its undo): reopen it."""
    sig_compare = Signal(int, int, int)
    """Show two versions (asset id, older version id, newer version id) side by side."""
    sig_retexture = Signal(int)
    """The user asked to re-texture this library asset."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._edits: LibraryEdits | None = None
        self._token = 0
        self.asset_id: int | None = None
        self.version_id: int | None = None
        self.lodset: LodSet | None = None
        self.facts: AssetFacts | None = None
        self.shown_timings: dict[str, float] = {}
        self.shown_lods: list[tuple[int, float]] = []

        self.title = _label("", selectable=True)
        self.title.setObjectName("inspector_title")
        self.title.setStyleSheet("font-weight: bold; font-size: 13pt;")
        self.title.setText(EMPTY_TEXT)
        self.made_by = _label("", selectable=True)
        self.size = _label("", selectable=True)
        self.size.setObjectName("inspector_size")
        self.size.setToolTip("Width (x) × height (y) × depth (z) of LOD0, in metres")
        self.lod_table = QTableWidget(0, 4)
        self.lod_table.setObjectName("inspector_lods")
        self.lod_table.setHorizontalHeaderLabels(["LOD", "Triangles", "Vertices", "Error"])
        self.lod_table.verticalHeader().setVisible(False)
        self.lod_table.verticalHeader().setDefaultSectionSize(self.lod_table.fontMetrics().height() + 6)
        self.lod_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.lod_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.lod_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.lod_table.setToolTip("Error: largest deviation from LOD0, in % of LOD0's bounding-box diagonal")
        self.texture = _label("")
        self.texture_picture = _picture("Base-colour texture")
        self.uv_picture = _picture("UV layout of LOD0 over the texture: island borders bright, edges faint")
        pictures = QHBoxLayout()
        pictures.addWidget(self.texture_picture)
        pictures.addWidget(self.uv_picture)
        pictures.addStretch(1)
        self.file = _label("", selectable=True)

        self.notes = NotesEdit()
        self.notes.setObjectName("inspector_notes")
        self.notes.setPlaceholderText("Notes about this asset (searchable in the library)")
        self.notes.setFixedHeight(64)
        self.versions = VersionHistory()
        self.retexture_button = QPushButton("Re-texture…")
        self.retexture_button.setToolTip(
            "Bake a new texture from a picture onto this mesh, as a new version (the old one stays)"
        )
        self.library_box = QWidget()
        library_form = QFormLayout(self.library_box)
        library_form.setContentsMargins(0, 0, 0, 0)
        library_form.addRow("Notes", self.notes)
        library_form.addRow("Versions", self.versions)
        library_form.addRow("", self.retexture_button)

        self.details_button = QToolButton()
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.setAutoRaise(True)
        self.details = _label("", selectable=True)
        self.details.setObjectName("hint")
        self.details.hide()

        form = QFormLayout()
        form.addRow("Size", self.size)
        form.addRow("Texture", self.texture)
        form.addRow("File", self.file)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(self.title)
        layout.addWidget(self.made_by)
        layout.addLayout(form)
        layout.addWidget(self.lod_table)
        layout.addLayout(pictures)
        layout.addWidget(self.library_box)
        layout.addWidget(self.details_button)
        layout.addWidget(self.details)
        layout.addStretch(1)
        fill_scrolled(self, content)

        self.notes.sig_finished.connect(self._save_notes)
        self.versions.sig_promote.connect(self._promote)
        self.versions.sig_compare.connect(self._compare)
        self.retexture_button.clicked.connect(self._retexture)
        self.details_button.toggled.connect(self._toggle_details)
        self._clear()

    # -- what to show -------------------------------------------------------------------------

    def set_edits(self, edits: LibraryEdits) -> None:
        self._edits = edits
        edits.sig_changed.connect(self._on_library_changed)

    def show_result(self, result: GenerationResult, asset_id: int | None = None) -> None:
        """A finished job: its LodSet, its file and its stage timings."""
        if result.lodset is not None:
            self.show_lodset(result.lodset, result.output_path, asset_id, timings=result.timings)

    def show_lodset(
        self,
        lodset: LodSet,
        file: Path | None = None,
        asset_id: int | None = None,
        timings: dict[str, float] | None = None,
    ) -> None:
        self._token += 1
        self.lodset, self.asset_id, self.facts = lodset, asset_id, None
        prov = lodset.provenance
        self.shown_timings = dict(timings if timings is not None else prov.get("stage_timings", {}))
        self.shown_lods = [(lod.mesh.triangle_count, lod.error_pct) for lod in lodset.lods]
        self.title.setText(lodset.name)
        self.made_by.setText(made_by(prov))
        self._show_lods()
        self.size.setText("measuring…")
        self.texture.setText("")
        self.file.setText(file.name if file is not None else "not saved to a file")
        self.file.setToolTip(str(file) if file is not None else "")
        self.details.setText(details_text(prov, self.shown_timings))
        self._show_record()
        token = self._token
        run_task(
            inspect_asset,
            lodset,
            file,
            on_result=lambda facts: self._on_facts(token, facts),
            on_error=lambda exc: self._on_facts_failed(token, exc),
            owner=self,
        )

    # -- measurements -------------------------------------------------------------------------

    def _on_facts(self, token: int, facts: AssetFacts) -> None:
        if token != self._token:
            return
        self.facts = facts
        width, height, depth = facts.size_m
        self.size.setText(f"{width:.3f} × {height:.3f} × {depth:.3f} m")
        if facts.texture_size is None:
            self.texture.setText("none")
        else:
            self.texture.setText(f"{facts.texture_size[0]} × {facts.texture_size[1]} px")
        _set_picture(self.texture_picture, facts.texture_preview)
        _set_picture(self.uv_picture, facts.uv_picture)
        if facts.file_bytes is not None and facts.file is not None:
            self.file.setText(f"{facts.file.name} · {_size_text(facts.file_bytes)}")

    def _on_facts_failed(self, token: int, exc: BaseException) -> None:
        if token == self._token:
            self.size.setText(f"could not measure this asset: {exc}")

    def _show_lods(self) -> None:
        lods = self.lodset.lods if self.lodset is not None else []
        self.lod_table.setRowCount(len(lods))
        for row, lod in enumerate(lods):
            cells = (
                f"LOD{lod.level}",
                f"{lod.mesh.triangle_count:,}",
                f"{lod.mesh.vertex_count:,}",
                "reference" if lod.level == 0 else f"{lod.error_pct:.3g}%",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.lod_table.setItem(row, column, item)
        header = self.lod_table.horizontalHeader().height()
        rows = sum(self.lod_table.rowHeight(r) for r in range(len(lods)))
        self.lod_table.setFixedHeight(header + rows + 2 * self.lod_table.frameWidth())

    # -- the library side ---------------------------------------------------------------------

    def _record(self) -> AssetRecord | None:
        if self.asset_id is None or self._edits is None:
            return None
        try:
            return self._edits.library.get_asset(self.asset_id)
        except SweedleError:  # removed from the library meanwhile (emptied trash): show the file alone
            return None

    def _show_record(self) -> None:
        record = self._record()
        self.library_box.setVisible(record is not None)
        if record is None:
            self.version_id = None
            return
        self.title.setText(record.name)
        if not self.notes.hasFocus():
            self.notes.setPlainText(record.notes)
        self.versions.set_versions(record.versions)
        current = record.current_version
        self.version_id = current.id if current is not None else None

    def _on_library_changed(self, change: Change) -> None:
        if self.asset_id is None or self.asset_id not in change.asset_ids:
            return
        before = self.version_id
        self._show_record()
        if self.version_id != before and self.version_id is not None:
            self.sig_version_changed.emit(self.asset_id)

    def _save_notes(self) -> None:
        if self.asset_id is not None and self._edits is not None and self.library_box.isVisible():
            self._edits.set_notes(self.asset_id, self.notes.toPlainText())

    def _promote(self, version_id: int) -> None:
        if self.asset_id is not None and self._edits is not None:
            self._edits.promote(self.asset_id, version_id)

    def _compare(self, older: int, newer: int) -> None:
        if self.asset_id is not None:
            self.sig_compare.emit(self.asset_id, older, newer)

    def _retexture(self) -> None:
        if self.asset_id is not None:
            self.sig_retexture.emit(self.asset_id)

    def _toggle_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.details_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def _clear(self) -> None:
        self.library_box.hide()
        for widget in (self.texture_picture, self.uv_picture):
            widget.hide()


def made_by(provenance: dict[str, Any]) -> str:
    """Engine and licence, in words an artist can act on."""
    from app.core.generation.engines.registry import engine_names, get_engine
    from app.core.weights.licence import LICENCES

    prov = Provenance.from_dict(provenance)
    if not prov.engine:
        return "Imported mesh: the licence of its source applies."
    label = get_engine(prov.engine).label if prov.engine in engine_names() else prov.engine
    if prov.licence in LICENCES:
        licence = LICENCES[prov.licence]
        variant = f" ({prov.variant})" if prov.variant else ""
        revision = f", revision {prov.model_revision}" if prov.model_revision else ""
        device = f" on {prov.device}" if prov.device else ""
        return f"{label}{variant}{revision}{device} · model licence: {licence.name} ({licence.url})"
    return f"{label} · no model weights, so no model licence applies"


def details_text(provenance: dict[str, Any], timings: dict[str, float]) -> str:
    lines = []
    if timings:
        total = sum(timings.values())
        stages = ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in timings.items())
        lines.append(f"Time {total:.2f} s: {stages}")
    for key, label in (("seed", "Seed"), ("source_image", "Picture"), ("mask", "Subject from")):
        if provenance.get(key) not in (None, ""):
            lines.append(f"{label}: {provenance[key]}")
    params = provenance.get("parameters")
    if isinstance(params, dict) and params:
        lines.append("Settings: " + ", ".join(f"{k}={v}" for k, v in params.items()))
    if provenance.get("app_version"):
        lines.append(f"Made by Sweedle {provenance['app_version']} on {provenance.get('created', '?')}")
    return "\n".join(lines) or "No provenance recorded in this file."


def _label(text: str, selectable: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _picture(tip: str) -> QLabel:
    label = QLabel()
    label.setFixedSize(PREVIEW_SIZE, PREVIEW_SIZE)
    label.setToolTip(tip)
    label.setStyleSheet("border: 1px solid #444;")
    return label


def _set_picture(label: QLabel, rgb: np.ndarray | None) -> None:
    label.setVisible(rgb is not None)
    if rgb is None:
        return
    import numpy as np  # loaded already: the measurements made `rgb`

    rgb = np.ascontiguousarray(rgb)
    image = QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.strides[0], QImage.Format.Format_RGB888)
    label.setPixmap(QPixmap.fromImage(image.copy()))


def _size_text(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size / 2**10:.0f} KB"

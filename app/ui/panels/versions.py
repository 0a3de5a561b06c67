"""A library asset's version history: each version's thumbnail, date, engine, seed and triangles,
its parameters for the selected one; use a version (promote) or compare two side by side in the
viewport. The Inspector shows it for the library asset in the viewport.

Select one version to use it or compare it with the current one; select two to compare them.
Thumbnails are decoded on the pool.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.library.records import THUMBNAIL_FILE, VersionRecord
from app.ui.panels.library_model import read_thumbnail
from app.ui.workers.tasks import run_task

THUMB = 56
"""Thumbnail side in the list, px: small enough for three versions in the Inspector at 1440×900."""
VERSION_ROLE = Qt.ItemDataRole.UserRole


def version_title(version: VersionRecord) -> str:
    """'v3 · current' (or the status of a version that did not finish)."""
    state = " · current" if version.current else "" if version.status == "done" else f" · {version.status}"
    return f"v{version.version}{state}"


def version_line(version: VersionRecord) -> str:
    seed = f" · seed {version.seed}" if version.seed is not None else ""
    return f"{version.created_at:%Y-%m-%d %H:%M} · {version.engine}{seed} · {version.triangles:,} triangles"


def version_details(version: VersionRecord) -> str:
    """Everything recorded about how the version was made, one fact a line."""
    lines = [f"v{version.version} made {version.created_at:%Y-%m-%d %H:%M} by {version.engine}"]
    made_with = [
        ("engine version", version.engine_version),
        ("model", version.model_id),
        ("model version", version.model_version),
        ("licence", version.licence),
        ("device", version.device),
        ("picture", version.source_name),
    ]
    lines += [f"{label}: {value}" for label, value in made_with if value]
    if version.parameters:
        lines.append("settings: " + ", ".join(f"{k}={v}" for k, v in version.parameters.items()))
    lods = " / ".join(f"{lod.triangles:,}" for lod in version.lods)
    if lods:
        lines.append(f"triangles per LOD: {lods}")
    if version.error:
        lines.append(f"problem: {version.error}")
    return "\n".join(lines)


class VersionHistory(QWidget):
    sig_promote = Signal(int)
    """Make this version (id) the asset's current one."""
    sig_compare = Signal(int, int)
    """Show these two versions (ids, older first) side by side in the viewport."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._versions: dict[int, VersionRecord] = {}
        self._thumbs: dict[int, QPixmap] = {}
        self._loading: set[int] = set()
        self.list = QListWidget()
        self.list.setObjectName("inspector_versions")
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setFixedHeight(3 * (THUMB + 6) + 2 * self.list.frameWidth())
        self.use_button = QPushButton("Use this version")
        self.use_button.setToolTip("Make the selected version the asset's current one (Ctrl+Z undoes it)")
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip(
            "Show two versions side by side in the viewport (select one to compare it with the current "
            "version, or two; Esc in the viewport ends the comparison)"
        )
        self.details = QLabel()
        self.details.setObjectName("hint")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        buttons.addWidget(self.use_button)
        buttons.addWidget(self.compare_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addWidget(self.details)
        self.list.itemSelectionChanged.connect(self._update)
        self.use_button.clicked.connect(self._promote)
        self.compare_button.clicked.connect(self._compare)
        self._update()

    def set_versions(self, versions: Sequence[VersionRecord]) -> None:
        """Show `versions` newest first, keeping the selection of those still there."""
        chosen = set(self.selected_ids())
        self._versions = {v.id: v for v in versions}
        self.list.blockSignals(True)
        self.list.clear()
        for version in sorted(versions, key=lambda v: -v.version):
            item = QListWidgetItem(f"{version_title(version)}\n{version_line(version)}")
            item.setData(VERSION_ROLE, version.id)
            item.setToolTip(version_details(version))
            item.setSizeHint(QSize(0, THUMB + 6))
            thumb = self._thumbs.get(version.id)
            if thumb is not None:
                item.setIcon(thumb)
            elif version.id not in self._loading:
                self._loading.add(version.id)
                run_task(
                    read_thumbnail,
                    version.id,
                    str(version.folder / THUMBNAIL_FILE),
                    THUMB,
                    on_result=self._thumb_loaded,
                    owner=self,
                )
            self.list.addItem(item)
            item.setSelected(version.id in chosen)
        self.list.blockSignals(False)
        self._update()

    def select(self, version_ids: Sequence[int]) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            item.setSelected(int(item.data(VERSION_ROLE)) in version_ids)

    def selected_ids(self) -> list[int]:
        return [int(item.data(VERSION_ROLE)) for item in self.list.selectedItems()]

    def current_id(self) -> int | None:
        return next((v.id for v in self._versions.values() if v.current), None)

    def compare_pair(self) -> tuple[int, int] | None:
        """The two versions Compare would show (older first), or None."""
        chosen = self.selected_ids()
        current = self.current_id()
        if len(chosen) == 1 and current is not None and chosen[0] != current:
            chosen.append(current)
        if len(chosen) != 2 or any(self._versions[i].status != "done" for i in chosen):
            return None
        older, newer = sorted(chosen, key=lambda i: self._versions[i].version)
        return older, newer

    def _thumb_loaded(self, loaded: tuple[int, QImage]) -> None:
        version_id, image = loaded
        self._loading.discard(version_id)
        if image.isNull():
            return
        self._thumbs[version_id] = QPixmap.fromImage(image)
        for row in range(self.list.count()):
            item = self.list.item(row)
            if int(item.data(VERSION_ROLE)) == version_id:
                item.setIcon(self._thumbs[version_id])

    def _update(self) -> None:
        chosen = self.selected_ids()
        current = self.current_id()
        usable = len(chosen) == 1 and chosen[0] != current and self._versions[chosen[0]].status == "done"
        self.use_button.setEnabled(usable)
        pair = self.compare_pair()
        self.compare_button.setEnabled(pair is not None)
        if pair is not None:
            older, newer = (self._versions[i].version for i in pair)
            self.compare_button.setText(f"Compare v{older} | v{newer}")
        else:
            self.compare_button.setText("Compare")
        self.details.setText(version_details(self._versions[chosen[-1]]) if chosen else "")
        self.details.setVisible(bool(chosen))

    def _promote(self) -> None:
        chosen = self.selected_ids()
        if len(chosen) == 1:
            self.sig_promote.emit(chosen[0])

    def _compare(self) -> None:
        pair = self.compare_pair()
        if pair is not None:
            self.sig_compare.emit(*pair)

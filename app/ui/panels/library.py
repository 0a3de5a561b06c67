"""The library browser: a thumbnail grid of every asset with search, filters, sort, editing,
trash, drag-out (as GLB files) and import (dropped files or File ▸ Import…: one after another on the
pool, with progress and Cancel). Self-contained: give it an open `Library`, connect
`sig_open_asset(asset_id)` to the viewport and call `refresh()` after a save."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent, QKeyEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStyledItemDelegate,
    QVBoxLayout,
    QWidget,
)

from app.core.base.cancel import CancelToken
from app.core.base.errors import Cancelled
from app.core.base.progress import Progress
from app.core.formats.suffixes import MESH_SUFFIXES
from app.core.library.importer import import_mesh
from app.core.library.records import AssetQuery, AssetRecord, AssetStatus, SortKey
from app.core.library.repository import Library
from app.ui.library_edits import Change, LibraryEdits
from app.ui.panels.library_model import ASSET_ID_ROLE, SUMMARY_ROLE, LibraryModel
from app.ui.panels.library_watch import LibraryWatcher
from app.ui.workers.tasks import run_task

SEARCH_DELAY_MS = 150
"""Typing pauses this long before the grid is filtered: one query per word, not per key."""
_SORTS = {
    "Newest first": (SortKey.CREATED, True),
    "Oldest first": (SortKey.CREATED, False),
    "Name": (SortKey.NAME, False),
    "Most triangles": (SortKey.TRIANGLES, True),
    "Fewest triangles": (SortKey.TRIANGLES, False),
}
_ALL = "All"
CELL = QSize(112, 152)
"""Grid cell: a 96 px thumbnail and two lines of name, so a narrow dock still shows three across."""
ICON = QSize(96, 96)
LAYOUT_BATCH = 600
"""Rows laid out per turn of the event loop: more than a tall window shows, a few ms of work."""


def key_help() -> list[tuple[str, str]]:
    """The keys the grid handles itself, for the Help menu (needs the QApplication)."""
    delete = QKeySequence(QKeySequence.StandardKey.Delete).toString()
    return [
        (delete, "Library: move the selection to the trash"),
        ("F2", "Library: rename the selected asset"),
        ("Double-click", "Library: open the asset in the viewport"),
    ]


class NameDelegate(QStyledItemDelegate):
    """Inline rename that keeps what the user typed when the row repaints meanwhile (a thumbnail
    arriving, a refresh): Qt reloads an open editor on every change of its row."""

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, QLineEdit) and editor.isModified():
            return
        super().setEditorData(editor, index)


class LibraryPanel(QWidget):
    sig_open_asset = Signal(int)
    """The user asked to open this asset in the viewport."""
    sig_imported = Signal(int)
    sig_error = Signal(str)
    sig_retexture_paint = Signal(int)
    """The user asked to re-texture this asset with Hunyuan Paint (a job in the generation queue)."""
    sig_retexture = Signal(int)
    """The user asked to re-texture this asset."""

    def __init__(
        self, library: Library, edits: LibraryEdits | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.edits = edits or LibraryEdits(library, self)
        self.edits.sig_changed.connect(self._on_changed)
        self.edits.sig_error.connect(self._show_error)
        self.model = LibraryModel(library, self.edits.rename, self)
        self.model.sig_error.connect(self._show_error)
        self._import_queue: list[Path] = []
        self._import_cancel: CancelToken | None = None
        self._import_done = self._import_total = 0
        self.setAcceptDrops(True)

        self.search = QLineEdit(placeholderText="Search name, prompt, tags, notes…", clearButtonEnabled=True)
        self.engine_box = QComboBox(toolTip="Engine")
        self.tag_box = QComboBox(toolTip="Tag")
        self.status_box = QComboBox(toolTip="Status")
        self.status_box.addItems([_ALL, *(s.value for s in AssetStatus)])
        self.favourite_box = QCheckBox("★ only")
        self.min_tris = QSpinBox(
            maximum=100_000_000, singleStep=1000, specialValueText="min △", toolTip="Fewest triangles"
        )
        self.max_tris = QSpinBox(
            maximum=100_000_000, singleStep=1000, specialValueText="max △", toolTip="Most triangles"
        )
        self.sort_box = QComboBox(toolTip="Sort")
        self.sort_box.addItems(list(_SORTS))
        self.trash_button = QPushButton("Trash", checkable=True, toolTip="Show the trash")
        self.restore_button = QPushButton("Restore", toolTip="Bring the selected assets back")
        self.empty_button = QPushButton("Empty trash", toolTip="Delete everything in the trash for good")
        self.status = QLabel()
        self.import_bar = QProgressBar(maximum=1000)
        self.import_cancel_button = QPushButton(
            "Cancel import", toolTip="Stop importing; nothing half-made is kept"
        )

        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        # Laid out a batch at a time between events: a full layout asks the model about every row
        # (10k calls into Python, tens of ms) in one go after each search or refresh.
        self.view.setLayoutMode(QListView.LayoutMode.Batched)
        self.view.setBatchSize(LAYOUT_BATCH)
        self.view.setIconSize(ICON)
        self.view.setGridSize(CELL)
        self.view.setWordWrap(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setDragEnabled(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.setItemDelegate(NameDelegate(self.view))
        palette = self.view.palette()  # the selection stays visible when the grid loses focus
        active, inactive = QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive
        for role in (QPalette.ColorRole.Highlight, QPalette.ColorRole.HighlightedText):
            palette.setColor(inactive, role, palette.color(active, role))
        self.view.setPalette(palette)

        filters = QHBoxLayout()
        for widget in (self.engine_box, self.tag_box, self.status_box):
            filters.addWidget(widget, 1)
        ranges = QHBoxLayout()
        for widget in (self.favourite_box, self.min_tris, self.max_tris):
            ranges.addWidget(widget, 1)
        importing = QHBoxLayout()
        importing.addWidget(self.import_bar, 1)
        importing.addWidget(self.import_cancel_button)
        self.import_row = QWidget()
        self.import_row.setLayout(importing)
        importing.setContentsMargins(0, 0, 0, 0)
        self.import_row.hide()
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        for widget in (self.trash_button, self.restore_button, self.empty_button):
            bottom.addWidget(widget)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.sort_box)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addLayout(ranges)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.import_row)
        layout.addLayout(bottom)

        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(self._search_timer.start)
        for box in (self.engine_box, self.tag_box, self.status_box, self.sort_box):
            box.currentIndexChanged.connect(self.apply_filters)
        self.favourite_box.toggled.connect(self.apply_filters)
        self.min_tris.valueChanged.connect(self.apply_filters)
        self.max_tris.valueChanged.connect(self.apply_filters)
        self.trash_button.toggled.connect(self.apply_filters)
        self.restore_button.clicked.connect(self.restore_selected)
        self.empty_button.clicked.connect(self._confirm_empty_trash)
        self.import_cancel_button.clicked.connect(self.cancel_imports)
        self.view.doubleClicked.connect(self._open_index)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.installEventFilter(self)

        self._reload_choices()
        self.apply_filters()
        self.watcher = LibraryWatcher(self)
        """Refreshes the grid when another process (or window) changes the library."""

    # -- queries ------------------------------------------------------------------------------

    def current_query(self) -> AssetQuery:
        sort, descending = _SORTS[self.sort_box.currentText()]
        status = self.status_box.currentText()
        return AssetQuery(
            search=self.search.text(),
            tag=None if self.tag_box.currentIndex() <= 0 else self.tag_box.currentText(),
            engine=None if self.engine_box.currentIndex() <= 0 else self.engine_box.currentText(),
            status=None if status == _ALL else AssetStatus(status),
            favourite=True if self.favourite_box.isChecked() else None,
            min_triangles=self.min_tris.value() or None,
            max_triangles=self.max_tris.value() or None,
            trash=self.trash_button.isChecked(),
            sort=sort,
            descending=descending,
        )

    def apply_filters(self) -> None:
        self._search_timer.stop()
        self.model.set_query(self.current_query())
        in_trash = self.trash_button.isChecked()
        self.restore_button.setVisible(in_trash)
        self.empty_button.setVisible(in_trash)
        self._count_label()

    def refresh(self) -> None:
        """Re-read the library (call after a generation was saved); the selected assets that are
        still shown stay selected, so the Export panel's targets stay visible."""
        selected = self.selected_ids()
        self._reload_choices()
        self.model.refresh()
        if selected and self.selected_ids() != selected:
            self.select_ids(selected)
        self._count_label()

    def refresh_later(self, select: list[int] | None = None) -> None:
        """`refresh` with its queries on the pool, for the arrival of a job's result: at 10k assets
        they take tens of milliseconds the GUI thread must not wait. Afterwards the assets in
        `select` are selected (by default, those selected now that are still shown)."""
        selected = self.selected_ids() if select is None else select
        run_task(_read_choices, self.library, on_result=self._set_choices, owner=self)
        self.model.refresh_later(lambda: self._refreshed(selected))

    def _refreshed(self, selected: list[int]) -> None:
        if selected and self.selected_ids() != selected:
            self.select_ids(selected)
        self._count_label()

    def _reload_choices(self) -> None:
        self._set_choices(_read_choices(self.library))

    def _set_choices(self, choices: tuple[list[str], list[str]]) -> None:
        engines, tags = choices
        for box, values, label in (
            (self.engine_box, engines, "All engines"),
            (self.tag_box, tags, "All tags"),
        ):
            current = box.currentText() if box.currentIndex() > 0 else None
            box.blockSignals(True)
            box.clear()
            box.addItems([label, *values])
            if current in values:
                box.setCurrentText(current)
            box.blockSignals(False)

    def _count_label(self) -> None:
        where = "in the trash" if self.trash_button.isChecked() else "shown"
        self.status.setText(f"{self.model.rowCount()} asset(s) {where}")

    # -- selection and actions ----------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        return [int(i.data(ASSET_ID_ROLE)) for i in sorted(self.view.selectionModel().selectedIndexes())]

    def select_ids(self, asset_ids: list[int]) -> None:
        selection = self.view.selectionModel()
        selection.clearSelection()
        for asset_id in asset_ids:
            row = self.model.row_of(asset_id)
            if row is not None:
                selection.select(self.model.index(row), selection.SelectionFlag.Select)

    def trash_selected(self) -> None:
        ids = self.selected_ids()
        if ids and not self.trash_button.isChecked() and self.edits.trash(ids):
            self.status.setText(f"moved {len(ids)} asset(s) to the trash (Ctrl+Z or Trash brings them back)")

    def restore_selected(self) -> None:
        ids = self.selected_ids()
        if ids and self.edits.restore(ids):
            self.status.setText(f"restored {len(ids)} asset(s)")

    def empty_trash(self) -> int:
        removed = self.library.empty_trash()
        self.refresh()
        self.status.setText(f"deleted {removed} asset(s) for good")
        return removed

    def _confirm_empty_trash(self) -> None:
        count = self.library.count(trash=True)
        answer = QMessageBox.question(
            self, "Empty trash", f"Delete the {count} asset(s) in the trash and their files for good?"
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.empty_trash()

    def set_tags(self, asset_id: int, tags: list[str]) -> None:
        self.edits.set_tags(asset_id, tags)

    def add_tag_to_selected(self, tag: str) -> None:
        self.edits.add_tag(self.selected_ids(), tag)

    def set_favourite_selected(self, favourite: bool) -> None:
        self.edits.set_favourite(self.selected_ids(), favourite)

    def rename_selected(self) -> None:
        index = self.view.currentIndex()
        if index.isValid():
            self.view.edit(index)

    def reveal(self, asset_id: int) -> bool:
        folder = self.library.get_asset(asset_id).summary.folder
        return folder is not None and QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def asset(self, asset_id: int) -> AssetRecord:
        return self.library.get_asset(asset_id)

    def _on_changed(self, change: Change) -> None:
        """After an edit, its undo or its redo: re-read what it touched, keeping the selection."""
        if change.membership:
            self.refresh()
        else:
            self.model.update_summaries(list(change.asset_ids))
            self._reload_choices()

    def _edit_tags_dialog(self, asset_id: int) -> None:
        current = ", ".join(self.library.get_asset(asset_id).summary.tags)
        text, ok = QInputDialog.getText(self, "Tags", "Tags (comma-separated):", text=current)
        if ok:
            self.set_tags(asset_id, [t for t in text.split(",") if t.strip()])

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid() and not self.trash_button.isChecked():
            self.sig_open_asset.emit(int(index.data(ASSET_ID_ROLE)))

    def _context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid():
            self.context_menu(index).popup(self.view.viewport().mapToGlobal(pos))

    def context_menu(self, index: QModelIndex) -> QMenu:
        """The right-click menu for the asset at `index` (acting on the selection)."""
        asset_id = int(index.data(ASSET_ID_ROLE))
        menu = QMenu(self)
        if self.trash_button.isChecked():
            menu.addAction("Restore", self.restore_selected)
        else:
            menu.addAction("Open in viewport", lambda: self.sig_open_asset.emit(asset_id))
            menu.addAction("Rename", self.rename_selected)
            menu.addAction("Edit tags…", lambda: self._edit_tags_dialog(asset_id))
            menu.addAction("Re-texture…", lambda: self.sig_retexture.emit(asset_id))
            menu.addAction("Re-texture with Paint", lambda: self.sig_retexture_paint.emit(asset_id))
            selected = self.view.selectionModel().selectedIndexes() or [index]
            favourite = all(i.data(SUMMARY_ROLE).favourite for i in selected)
            menu.addAction(
                "Not favourite" if favourite else "Favourite",
                lambda: self.set_favourite_selected(not favourite),
            )
            menu.addAction("Show in file manager", lambda: self.reveal(asset_id))
            menu.addSeparator()
            menu.addAction("Move to trash", self.trash_selected)
        return menu

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Delete in the grid moves the selection to the trash (not while renaming inline)."""
        if (
            watched is self.view
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.matches(QKeySequence.StandardKey.Delete)
            and self.view.state() != QAbstractItemView.State.EditingState
        ):
            self.trash_selected()
            return True
        return super().eventFilter(watched, event)

    def _show_error(self, message: str) -> None:
        self.status.setText(message)
        self.sig_error.emit(message)

    # -- import -------------------------------------------------------------------------------

    def import_files(self, paths: list[Path]) -> None:
        """Import mesh files on the pool, one after another (a big mesh needs the memory to
        itself); each appears in the grid when it is done."""
        self._import_queue += [Path(p) for p in paths]
        self._import_total += len(paths)
        if self._import_cancel is None:
            self._next_import()

    def imports_running(self) -> int:
        """Imports running or waiting."""
        return len(self._import_queue) + (self._import_cancel is not None)

    def cancel_imports(self) -> None:
        """Stop the running import (it saves nothing) and drop the waiting ones."""
        self._import_queue.clear()
        if self._import_cancel is not None:
            self._import_cancel.cancel()

    def _next_import(self) -> None:
        if not self._import_queue:
            self._import_cancel = None
            self._import_done = self._import_total = 0
            self.import_row.hide()
            return
        path = self._import_queue.pop(0)
        self._import_cancel = CancelToken()
        self.import_bar.setValue(round(1000 * self._import_done / self._import_total))
        self.import_bar.setFormat(f"{path.name}: reading")
        self.import_row.show()
        self.status.setText(f"importing {path.name} ({self._import_done + 1} of {self._import_total})…")
        run_task(
            import_mesh,
            self.library,
            path,
            cancel=self._import_cancel,
            progress=lambda progress: self._on_import_progress(path, progress),
            on_result=self._imported,
            on_error=lambda exc: self._import_failed(path, exc),
            owner=self,
        )

    def _on_import_progress(self, path: Path, progress: Progress) -> None:
        if self._import_total:
            done = (self._import_done + progress.overall) / self._import_total
            self.import_bar.setValue(round(1000 * done))
            self.import_bar.setFormat(f"{path.name}: {progress.stage} %p%")

    def _imported(self, asset: AssetRecord) -> None:
        self._import_done += 1
        self.refresh()
        self.status.setText(f"imported {asset.name}")
        self.sig_imported.emit(asset.id)
        self._next_import()

    def _import_failed(self, path: Path, exc: BaseException) -> None:
        self._import_done += 1
        if isinstance(exc, Cancelled):
            self.status.setText(f"import of {path.name} cancelled; nothing was saved")
        else:
            self._show_error(f"import failed: {exc}")
        self._next_import()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _mesh_paths(event) and event.source() is None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = _mesh_paths(event)
        if paths:
            event.acceptProposedAction()
            self.import_files(paths)


def _read_choices(library: Library) -> tuple[list[str], list[str]]:
    """Any thread: the engines and the tags the filter boxes offer."""
    return library.engines(), library.tags()


def _mesh_paths(event: QDropEvent | QDragEnterEvent) -> list[Path]:
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    return [p for p in paths if p.suffix.lower() in MESH_SUFFIXES]

"""The library grid's model: ids of the whole result set up front (one cheap query), summaries
fetched a page at a time as cells are painted, thumbnails decoded on the pool and cached.

Thumbnail requests are served newest first and only a few at a time: while the user scrolls,
cells that scrolled past drop out of the queue instead of delaying the ones now on screen.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QColor, QImage, QImageReader, QPixmap

from app.core.library.records import AssetQuery, AssetStatus, AssetSummary, SourceType
from app.core.library.repository import Library
from app.ui.workers.tasks import run_task

PAGE_SIZE = 120
ICON_SIZE = 128
THUMB_CACHE = 1500
"""Decoded thumbnails kept (about 64 KB each at 128 px)."""
MAX_LOADING = 3
MAX_WANTED = 150
ASSET_ID_ROLE = Qt.ItemDataRole.UserRole + 1
SUMMARY_ROLE = Qt.ItemDataRole.UserRole + 2
Index = QModelIndex | QPersistentModelIndex


def read_thumbnail(asset_id: int, path: str, size: int) -> tuple[int, QImage]:
    """Pool thread: decode and scale one thumbnail (QImage, unlike QPixmap, is thread-safe).

    Thumbnails are always Sweedle's own PNGs: Qt's PNG decoder is the only one tried, whatever
    the file holds, and only on a regular file (a named pipe would block the read).
    """
    if not os.path.isfile(path):
        return asset_id, QImage()
    reader = QImageReader(path, b"png")
    reader.setAutoDetectImageFormat(False)
    image = reader.read()
    if not image.isNull():
        image = image.scaled(
            size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    return asset_id, image


class LibraryModel(QAbstractListModel):
    sig_error = Signal(str)

    def __init__(
        self, library: Library, rename: Callable[[int, str], bool], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.library = library
        self._rename = rename
        """Renames go through the window's undoable edits, which re-read the row afterwards."""
        self.query = AssetQuery()
        self._ids: list[int] = []
        self._row_of: dict[int, int] = {}
        self._pages: dict[int, list[AssetSummary]] = {}
        self._thumbs: OrderedDict[int, QPixmap] = OrderedDict()
        self._wanted: OrderedDict[int, str] = OrderedDict()
        self._loading: set[int] = set()
        self._placeholder = QPixmap(ICON_SIZE, ICON_SIZE)
        self._placeholder.fill(QColor(58, 60, 66))

    # -- query --------------------------------------------------------------------------------

    def set_query(self, query: AssetQuery) -> None:
        self.query = query
        self.refresh()

    def refresh(self) -> None:
        """Run the query again (after edits, imports, a new generation, another process's change).

        The same rows in the same order are updated in place, so the selection and an open editor
        stay; otherwise the grid is reset. An asset that changed (a new version) loses its cached
        thumbnail, so the new one is shown."""
        ids = self.library.search_ids(self.query)
        loaded = {s.id: s for page in self._pages.values() for s in page}
        fresh = {s.id: s for s in self.library.summaries(list(loaded))} if loaded else {}
        for asset_id, old in loaded.items():
            if fresh.get(asset_id) != old:
                self._thumbs.pop(asset_id, None)
        if ids == self._ids:
            for asset_id, summary in fresh.items():
                if summary != loaded[asset_id]:
                    self._replace(self._row_of[asset_id], summary)
            return
        self.beginResetModel()
        self._ids = ids
        self._row_of = {asset_id: row for row, asset_id in enumerate(ids)}
        self._pages.clear()
        self._wanted.clear()
        self.endResetModel()

    def asset_id(self, row: int) -> int:
        return self._ids[row]

    def row_of(self, asset_id: int) -> int | None:
        return self._row_of.get(asset_id)

    def summary(self, row: int) -> AssetSummary:
        page_no = row // PAGE_SIZE
        page = self._pages.get(page_no)
        if page is None:
            ids = self._ids[page_no * PAGE_SIZE : (page_no + 1) * PAGE_SIZE]
            found = {s.id: s for s in self.library.summaries(ids)}
            page = [found.get(i) or _gone(i) for i in ids]
            self._pages[page_no] = page
        return page[row % PAGE_SIZE]

    # -- Qt model -----------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's default argument)
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        s = self.summary(index.row())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return s.name
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(s)
        if role == Qt.ItemDataRole.ToolTipRole:
            flags = [] if s.status is AssetStatus.READY else [s.status.value]
            flags += ["★"] if s.favourite else []
            return (
                f"{s.name}\n{s.engine}, {s.triangles:,} triangles\n{s.created_at:%Y-%m-%d %H:%M} UTC"
                + (f"\ntags: {', '.join(s.tags)}" if s.tags else "")
                + (f"\n{' '.join(flags)}" if flags else "")
            )
        if role == ASSET_ID_ROLE:
            return s.id
        if role == SUMMARY_ROLE:
            return s
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        return self._rename(self._ids[index.row()], str(value))

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if not index.isValid():
            return base
        return base | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsDragEnabled

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list"]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:
        """Dragging assets out of the app drags their GLB files."""
        mime = QMimeData()
        paths = [self.summary(i.row()).glb_path for i in indexes if i.isValid()]
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths if p is not None and p.is_file()])
        return mime

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def update_summaries(self, asset_ids: list[int]) -> None:
        """Re-read a few assets after an edit, without resetting the grid."""
        for s in self.library.summaries(asset_ids):
            row = self._row_of.get(s.id)
            if row is not None:
                self._replace(row, s)

    def _replace(self, row: int, summary: AssetSummary) -> None:
        page = self._pages.get(row // PAGE_SIZE)
        if page is not None:
            page[row % PAGE_SIZE] = summary
        self._thumbs.pop(summary.id, None)
        index = self.index(row)
        self.dataChanged.emit(index, index)

    # -- thumbnails ---------------------------------------------------------------------------

    def _thumbnail(self, s: AssetSummary) -> QPixmap:
        pixmap = self._thumbs.get(s.id)
        if pixmap is not None:
            self._thumbs.move_to_end(s.id)
            return pixmap
        path = s.thumbnail_path
        if path is not None and s.id not in self._loading:
            self._wanted[s.id] = str(path)
            self._wanted.move_to_end(s.id)
            while len(self._wanted) > MAX_WANTED:
                self._wanted.popitem(last=False)
            self._start_loads()
        return self._placeholder

    def _start_loads(self) -> None:
        while self._wanted and len(self._loading) < MAX_LOADING:
            asset_id, path = self._wanted.popitem(last=True)
            self._loading.add(asset_id)
            run_task(
                read_thumbnail,
                asset_id,
                path,
                ICON_SIZE,
                on_result=self._thumb_loaded,
                on_error=self._thumb_failed,
                owner=self,
            )

    def _thumb_loaded(self, loaded: tuple[int, QImage]) -> None:
        asset_id, image = loaded
        self._loading.discard(asset_id)
        pixmap = self._placeholder if image.isNull() else QPixmap.fromImage(image)
        self._thumbs[asset_id] = pixmap
        while len(self._thumbs) > THUMB_CACHE:
            self._thumbs.popitem(last=False)
        row = self._row_of.get(asset_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
        self._start_loads()

    def _thumb_failed(self, exc: BaseException) -> None:
        self.sig_error.emit(f"could not load a thumbnail: {exc}")
        self._loading.clear()
        self._start_loads()

    def loading(self) -> bool:
        """Whether thumbnails are still being decoded (for tests and the benchmark)."""
        return bool(self._loading or self._wanted)

    def icon_size(self) -> QSize:
        return QSize(ICON_SIZE, ICON_SIZE)


def _gone(asset_id: int) -> AssetSummary:
    """A row whose asset vanished between the query and the page fetch (emptied trash)."""
    return AssetSummary(
        asset_id,
        "(removed)",
        AssetStatus.MISSING,
        "",
        SourceType.IMPORTED,
        0,
        0,
        False,
        dt.datetime.min,
        (),
        None,
    )

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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

from app.core.library.records import THUMBNAIL_FILE, AssetQuery, AssetStatus, AssetSummary, SourceType
from app.ui.workers.tasks import run_task

if TYPE_CHECKING:
    from app.core.library.repository import Library  # SQLAlchemy loads with the library, after start-up

PAGE_SIZE = 120
MAX_PAGES = 16
"""Pages of summaries kept, the most recently shown: screens' worth either way of a tall window.
Bounded so the objects the garbage collector walks (a few per row) stay the same however far the
user scrolls; a page scrolled back to is read again on the pool, as any page is."""
ICON_SIZE = 128
THUMB_CACHE = 1500
"""Decoded thumbnails kept (about 64 KB each at 128 px)."""
MAX_LOADING = 3
MAX_WANTED = 150
ASSET_ID_ROLE = Qt.ItemDataRole.UserRole + 1
SUMMARY_ROLE = Qt.ItemDataRole.UserRole + 2
_DISPLAY, _EDIT = int(Qt.ItemDataRole.DisplayRole), int(Qt.ItemDataRole.EditRole)
_DECORATION, _TOOLTIP = int(Qt.ItemDataRole.DecorationRole), int(Qt.ItemDataRole.ToolTipRole)
_ROLES = frozenset({_DISPLAY, _EDIT, _DECORATION, _TOOLTIP, ASSET_ID_ROLE, SUMMARY_ROLE})
"""The roles a cell answers; the delegate asks for a dozen more on every paint, answered at once."""
_CELL_FLAGS = (
    Qt.ItemFlag.ItemIsSelectable
    | Qt.ItemFlag.ItemIsEnabled
    | Qt.ItemFlag.ItemNeverHasChildren
    | Qt.ItemFlag.ItemIsEditable
    | Qt.ItemFlag.ItemIsDragEnabled
)
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


def read_cell_thumbnail(asset_id: int, folder: Path, size: int) -> tuple[int, Path, QImage]:
    """Pool thread: `read_thumbnail` of a version folder's thumbnail, naming the folder (the
    grid's cache holds it, so a new version's thumbnail is read anew)."""
    _, image = read_thumbnail(asset_id, str(folder / THUMBNAIL_FILE), size)
    return asset_id, folder, image


@dataclass(frozen=True)
class ViewRead:
    """What the grid shows for `query`: its ids, and the rows already read, as stored now."""

    query: AssetQuery
    ids: list[int]
    fresh: dict[int, AssetSummary]


def read_view(library: Library, query: AssetQuery, loaded: list[int]) -> ViewRead:
    """Any thread: the ids `query` finds and the current summaries of the `loaded` rows."""
    fresh = {s.id: s for s in library.summaries(loaded)} if loaded else {}
    return ViewRead(query, library.search_ids(query), fresh)


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
        self._pages: OrderedDict[int, list[AssetSummary]] = OrderedDict()
        """Page number → its summaries, least recently shown first."""
        self._thumbs: OrderedDict[int, tuple[Path, QPixmap]] = OrderedDict()
        """Asset id → (the version folder, its thumbnail): a new version's thumbnail is read anew."""
        self._wanted: OrderedDict[int, Path] = OrderedDict()
        self._loading: set[int] = set()
        self._placeholder = QPixmap(ICON_SIZE, ICON_SIZE)
        self._placeholder.fill(QColor(58, 60, 66))
        self._reading: set[int] = set()
        """Pages being read ahead on the pool."""
        self._shown_page = -1
        """The page of the row last asked for: its neighbours are read ahead when it changes."""
        self._refreshing = False
        self._refresh_again = False
        self._after_refresh: list[Callable[[], None] | None] = []

    # -- query --------------------------------------------------------------------------------

    def set_query(self, query: AssetQuery) -> None:
        """Show what `query` finds: one indexed query for the ids; rows are read as they are painted."""
        self.query = query
        self._show(self.library.search_ids(query), {})

    def refresh(self) -> None:
        """Run the query again (after edits, imports, a new generation, another process's change).

        The same rows in the same order are updated in place, so the selection and an open editor
        stay; otherwise the grid is reset. Blocks while it queries: `refresh_later` does not."""
        self.apply(read_view(self.library, self.query, self.loaded_ids()))

    def refresh_later(self, then: Callable[[], None] | None = None) -> None:
        """`refresh` with the queries on the pool (they take tens of milliseconds at 10k assets);
        `then` runs in the GUI thread once the grid shows the result. A refresh asked for while
        one runs is run once after it, so the last one always sees the latest library."""
        self._after_refresh.append(then)
        if self._refreshing:
            self._refresh_again = True
            return
        self._refreshing = True
        self._refresh_again = False
        run_task(
            read_view,
            self.library,
            self.query,
            self.loaded_ids(),
            on_result=self._refreshed,
            on_error=self._refresh_failed,
            owner=self,
        )

    def refreshing(self) -> bool:
        """Whether a `refresh_later` is still reading the library (for tests and the benchmark)."""
        return self._refreshing

    def loaded_ids(self) -> list[int]:
        return [s.id for page in self._pages.values() for s in page]

    def apply(self, view: ViewRead) -> None:
        """Show a result of `read_view` (made for this model's query)."""
        if view.query != self.query:
            return
        self._show(view.ids, view.fresh)

    def _refreshed(self, view: ViewRead) -> None:
        self._refreshing = False
        if self._refresh_again:
            self.refresh_later()
            return
        self.apply(view)
        callbacks, self._after_refresh = self._after_refresh, []
        for then in callbacks:
            if then is not None:
                then()

    def _refresh_failed(self, exc: BaseException) -> None:
        self._refreshing = False
        self._after_refresh.clear()
        self.sig_error.emit(f"could not read the library: {exc}")

    def _show(self, ids: list[int], fresh: dict[int, AssetSummary]) -> None:
        """The same ids in the same order update the rows whose summary changed; others reset."""
        if ids == self._ids:
            for asset_id, summary in fresh.items():
                row = self._row_of.get(asset_id)
                page = self._pages.get(row // PAGE_SIZE) if row is not None else None
                if row is not None and page is not None and page[row % PAGE_SIZE] != summary:
                    self._replace(row, summary)
            return
        self.beginResetModel()
        self._ids = ids
        self._row_of = {asset_id: row for row, asset_id in enumerate(ids)}
        self._pages.clear()
        self._reading.clear()
        self._shown_page = -1
        self._wanted.clear()
        self.endResetModel()

    def asset_id(self, row: int) -> int:
        return self._ids[row]

    def row_of(self, asset_id: int) -> int | None:
        return self._row_of.get(asset_id)

    def summary(self, row: int) -> AssetSummary:
        """The row's summary; its page is read now if the pool has not read it ahead."""
        page_no = row // PAGE_SIZE
        page = self._pages.get(page_no)
        if page is None:
            ids = self._page_ids(page_no)
            page = self._keep_page(page_no, ids, self.library.summaries(ids))
        else:
            self._pages.move_to_end(page_no)
        if page_no != self._shown_page:  # the next page is ready before the user scrolls onto it
            self._shown_page = page_no
            self._read_ahead(page_no + 1)
            self._read_ahead(page_no - 1)
        return page[row % PAGE_SIZE]

    def _page_ids(self, page_no: int) -> list[int]:
        return self._ids[page_no * PAGE_SIZE : (page_no + 1) * PAGE_SIZE]

    def _keep_page(self, page_no: int, ids: list[int], summaries: list[AssetSummary]) -> list[AssetSummary]:
        found = {s.id: s for s in summaries}
        page = [found.get(i) or _gone(i) for i in ids]
        self._pages[page_no] = page
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return page

    def _read_ahead(self, page_no: int) -> None:
        """Read the page next to one just shown on the pool, so scrolling on finds it ready."""
        if page_no < 0 or page_no * PAGE_SIZE >= len(self._ids):
            return
        if page_no in self._pages or page_no in self._reading:
            return
        self._reading.add(page_no)
        ids = self._page_ids(page_no)
        run_task(
            self.library.summaries,
            ids,
            on_result=lambda summaries: self._page_read(page_no, ids, summaries),
            on_error=lambda _exc: self._reading.discard(page_no),  # the page is read when painted
            owner=self,
        )

    def _page_read(self, page_no: int, ids: list[int], summaries: list[AssetSummary]) -> None:
        self._reading.discard(page_no)
        if page_no not in self._pages and self._page_ids(page_no) == ids:  # not reset meanwhile
            self._keep_page(page_no, ids, summaries)

    # -- Qt model -----------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's default argument)
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES or not index.isValid():
            return None
        if role == ASSET_ID_ROLE:  # a selection's ids, however many pages it spans, read no page
            return self._ids[index.row()]
        s = self.summary(index.row())
        if role in (_DISPLAY, _EDIT):
            return s.name
        if role == _DECORATION:
            return self._thumbnail(s)
        if role == _TOOLTIP:
            flags = [] if s.status is AssetStatus.READY else [s.status.value]
            flags += ["★"] if s.favourite else []
            return (
                f"{s.name}\n{s.engine}, {s.triangles:,} triangles\n{s.created_at:%Y-%m-%d %H:%M} UTC"
                + (f"\ntags: {', '.join(s.tags)}" if s.tags else "")
                + (f"\n{' '.join(flags)}" if flags else "")
            )
        if role == SUMMARY_ROLE:
            return s
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        return self._rename(self._ids[index.row()], str(value))

    def flags(self, index: Index) -> Qt.ItemFlag:
        return _CELL_FLAGS if index.isValid() else super().flags(index)

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
        cached = self._thumbs.get(s.id)
        if cached is not None and cached[0] == s.folder:
            self._thumbs.move_to_end(s.id)
            return cached[1]
        if s.folder is not None and s.id not in self._loading:
            self._wanted[s.id] = s.folder
            self._wanted.move_to_end(s.id)
            while len(self._wanted) > MAX_WANTED:
                self._wanted.popitem(last=False)
            self._start_loads()
        return self._placeholder

    def _start_loads(self) -> None:
        while self._wanted and len(self._loading) < MAX_LOADING:
            asset_id, folder = self._wanted.popitem(last=True)
            self._loading.add(asset_id)
            run_task(
                read_cell_thumbnail,
                asset_id,
                folder,
                ICON_SIZE,
                on_result=self._thumb_loaded,
                on_error=self._thumb_failed,
                owner=self,
            )

    def _thumb_loaded(self, loaded: tuple[int, Path, QImage]) -> None:
        asset_id, folder, image = loaded
        self._loading.discard(asset_id)
        pixmap = self._placeholder if image.isNull() else QPixmap.fromImage(image)
        self._thumbs[asset_id] = (folder, pixmap)
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

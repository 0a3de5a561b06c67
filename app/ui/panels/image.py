"""The input pictures: a front slot (and back/left/right for multi-view engines) with previews.

Files arrive by drag-and-drop (on a slot or anywhere on the window), the open dialog, or a paste.
Each slot shows the picture with the computed subject mask overlaid, built in the thread pool,
and any message about it underneath (the picture stays visible). Any number of pictures is handled
the same way: the first fills the front slot, the others wait beside it, and Generate makes one
asset per picture; "Queue dropped pictures at once" queues them as they arrive instead.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QMouseEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.settings import load_section, save_section
from app.ui.panels.front_mask import FrontMask
from app.ui.panels.image_preview import (
    IMAGE_SUFFIXES,
    Preview,
    build_preview,
    describe_refusal,
    is_image,
    picture_only,
)
from app.ui.workers.tasks import run_task

if TYPE_CHECKING:
    import numpy as np

    from app.core.generation.request import GenerationRequest

VIEWS = ("front", "back", "left", "right")
FILE_FILTER = "Images ({})".format(" ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES)))
SECTION = "pictures"


@dataclass
class PicturesSettings:
    queue_at_once: bool = False


def dropped_paths(event: QDropEvent | QDragEnterEvent) -> list[Path]:
    return [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]


class ImageSlot(QFrame):
    """One view's picture; click to choose a file, drop one on it, × to clear it."""

    sig_files_dropped = Signal(str, list)  # view, [Path]
    sig_cleared = Signal(str)  # view
    sig_preview = Signal(object)  # the Preview shown, None when the picture changed
    sig_edit_mask = Signal()

    def __init__(self, view: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.path: Path | None = None
        self.preview: Preview | None = None
        self.error = ""
        self.setObjectName(f"slot_{view}")
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(f"QFrame#slot_{view} {{ border: 1px dashed #666; border-radius: 4px; }}")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.title = QLabel(view)
        self.title.setObjectName("hint")
        self.clear_button = QToolButton()
        self.clear_button.setText("×")
        self.clear_button.setAutoRaise(True)
        self.clear_button.setToolTip(f"Clear the {view} picture")
        self.clear_button.clicked.connect(self.clear)
        self.edit_button = QToolButton()
        self.edit_button.setText("Edit mask")
        self.edit_button.setAutoRaise(True)
        self.edit_button.setToolTip("Fix the cutout: box, keep and remove brushes, feather")
        self.edit_button.clicked.connect(self.sig_edit_mask.emit)
        self.edit_button.setVisible(False)
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(QSize(48, 48))
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.title, 1)
        header.addWidget(self.edit_button)
        header.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.caption)
        self._show_empty()

    def set_path(self, path: Path | None, caption: str = "") -> None:
        self.path = path
        self.preview = None
        self.error = ""
        self.sig_preview.emit(None)
        if path is None:
            self._show_empty()
            return
        self.picture.setPixmap(QPixmap())
        self._say(caption or f"{path.name}\nfinding the subject…")
        self._caption = caption
        self.clear_button.setVisible(True)
        run_task(build_preview, path, on_result=self._on_preview, on_error=self._on_error, owner=self)

    def clear(self) -> None:
        self.set_path(None)
        self.sig_cleared.emit(self.view)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.isEnabled():
            file, _ = QFileDialog.getOpenFileName(self, f"Choose the {self.view} picture", "", FILE_FILTER)
            if file:
                self.sig_files_dropped.emit(self.view, [Path(file)])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = dropped_paths(event)
        if paths:
            event.acceptProposedAction()
            self.sig_files_dropped.emit(self.view, paths)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.preview is not None:
            self._show_preview()

    def _on_preview(self, preview: Preview) -> None:
        if preview.path != self.path:  # a newer file replaced it meanwhile
            return
        self.preview = preview
        self._show_preview()
        width, height = preview.size
        if preview.mask_method:
            self._say(self._caption or f"{preview.path.name} · {width} × {height}")
            self.setToolTip(f"{preview.path}\n{width} × {height}, subject from {preview.mask_method}")
        self.edit_button.setVisible(self.view == "front" and preview.editor is not None)
        self.sig_preview.emit(preview)

    def show_mask(self, rgba: np.ndarray, method: str) -> None:
        """Show the picture with another mask (the one being edited) over it."""
        if self.preview is not None:
            self.preview = dataclasses.replace(self.preview, rgba=rgba, mask_method=method)
            self._show_preview()

    def _on_error(self, exc: BaseException) -> None:
        if self.path is None:
            return
        self.error = str(exc)
        self._say(self.error, error=True)
        self.setToolTip(self.error)
        path = self.path
        run_task(picture_only, path, on_result=self._on_preview, on_error=lambda _exc: None, owner=self)

    def _show_preview(self) -> None:
        assert self.preview is not None
        rgba = self.preview.rgba
        image = QImage(
            rgba.data, rgba.shape[1], rgba.shape[0], rgba.strides[0], QImage.Format.Format_RGBA8888
        )
        pixmap = QPixmap.fromImage(image.copy())
        self.picture.setPixmap(
            pixmap.scaled(
                self.picture.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def _say(self, text: str, error: bool = False) -> None:
        self.caption.setStyleSheet("color: #ff7b7b;" if error else "color: #9a9aa0;")
        self.caption.setText(text)

    def _show_empty(self) -> None:
        self._caption = ""
        self.edit_button.setVisible(False)
        self.picture.setPixmap(QPixmap())
        hint = "drop a picture here, click to choose, or paste (Ctrl+V)" if self.view == "front" else ""
        self.picture.setText(hint)
        self.picture.setWordWrap(True)
        self._say("")
        self.setToolTip("")
        self.clear_button.setVisible(False)


class ImagePanel(QWidget):
    """Front picture plus optional extra views, and the pictures waiting for Generate."""

    sig_images_for_batch = Signal(list)  # pictures to queue now, one job each
    sig_refused = Signal(str)  # a message for the user
    sig_front_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = load_section(SECTION, PicturesSettings)
        self.slots = {view: ImageSlot(view) for view in VIEWS}
        self.waiting: list[Path] = []
        """More pictures after the front one: Generate makes one asset from each."""
        self.front_name: str | None = None
        """The asset's name when the front picture is a library asset's source picture."""
        self.pending = False
        """The front picture was put there by the user and has not been generated yet."""
        self.waiting_label = QLabel()
        self.waiting_label.setObjectName("waiting")
        self.waiting_label.setWordWrap(True)
        self.clear_waiting_button = QToolButton()
        self.clear_waiting_button.setText("×")
        self.clear_waiting_button.setAutoRaise(True)
        self.clear_waiting_button.setToolTip("Forget the waiting pictures")
        self.clear_waiting_button.clicked.connect(self.clear_waiting)
        waiting_row = QHBoxLayout()
        waiting_row.addWidget(self.waiting_label, 1)
        waiting_row.addWidget(self.clear_waiting_button)
        self.queue_at_once = QCheckBox("Queue dropped pictures at once")
        self.queue_at_once.setObjectName("queue_at_once")
        self.queue_at_once.setToolTip(
            "On: every picture dropped or opened becomes a job straight away. "
            "Off: pictures wait in the slots for Generate."
        )
        self.queue_at_once.setChecked(self._settings.queue_at_once)
        self.queue_at_once.toggled.connect(self._save_settings)
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self._grid = QGridLayout()
        self._grid.addWidget(self.slots["front"], 0, 0, 1, 3)
        for column, view in enumerate(VIEWS[1:]):
            self._grid.addWidget(self.slots[view], 1, column)
        self._grid.setRowStretch(0, 3)
        slots_page = QWidget()
        slots_page.setLayout(self._grid)
        self.pages = QStackedWidget()
        self.pages.addWidget(slots_page)
        self.front_mask = FrontMask(self.slots["front"], self.pages)
        self.slots["front"].sig_preview.connect(self.front_mask.on_preview)
        self.slots["front"].sig_edit_mask.connect(self.front_mask.open)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addLayout(waiting_row)
        layout.addWidget(self.queue_at_once)
        layout.addWidget(self.hint)
        for slot in self.slots.values():
            slot.sig_files_dropped.connect(self.accept_files)
            slot.sig_cleared.connect(self._on_cleared)
        self.set_views(("front",))
        self._show_waiting()

    @property
    def front(self) -> Path | None:
        return self.slots["front"].path

    def with_front_mask(self, request: GenerationRequest) -> GenerationRequest:
        """`request` with the mask the artist sees in the editor, when it is for the front picture."""
        return self.front_mask.with_mask(request)

    def views(self) -> dict[str, Path]:
        return {view: slot.path for view, slot in self.slots.items() if slot.path and slot.isEnabled()}

    def set_views(self, views: tuple[str, ...]) -> None:
        """Show and enable the slots the current engine uses (a single-view engine gives the front
        picture all the room)."""
        for view, slot in self.slots.items():
            slot.setEnabled(view in views)
            slot.setVisible(view in views)
        multi = len(views) > 1
        self._grid.setRowStretch(1, 1 if multi else 0)
        self.hint.setText(
            "This engine uses front, back, left and right pictures."
            if multi
            else "Back, left and right slots appear for multi-view engines."
        )

    def accept_files(self, view: str, paths: list[Path], queue: bool | None = None) -> list[Path]:
        """Route dropped or opened files: refuse non-pictures; one picture on a side slot fills it;
        on the front (or the window) the first fills the front slot and the rest wait for Generate,
        or all are queued at once when `queue` (default: the "queue at once" choice) says so."""
        images = [p for p in paths if is_image(p)]
        for refused in (p for p in paths if not is_image(p)):
            self.sig_refused.emit(describe_refusal(refused))
        if not images:
            return images
        if view != "front":
            self.slots[view].set_path(images[0])
            return images
        self.front_name = None
        self.slots["front"].set_path(images[0])
        self.sig_front_changed.emit()
        if self.queue_at_once.isChecked() if queue is None else queue:
            self.waiting = []
            self.pending = False
            self.sig_images_for_batch.emit(images)
        else:
            self.waiting = images[1:]
            self.pending = True
        self._show_waiting()
        return images

    def take_batch(self) -> list[Path]:
        """Generate pressed: every picture that waits (front first); they are now being made."""
        batch = ([self.front] if self.front is not None else []) + self.waiting
        self.waiting = []
        self.pending = False
        self._show_waiting()
        return batch

    def show_source(self, path: Path | None, name: str | None = None) -> None:
        """Show the picture an asset in the viewport was made from (None: it has none)."""
        self.waiting = []
        self.pending = False
        self.front_name = name
        slot = self.slots["front"]
        if path != slot.path:
            slot.set_path(path, caption=f"{name}: source picture" if name and path else "")
        self._show_waiting()

    def clear_waiting(self) -> None:
        self.waiting = []
        self._show_waiting()

    def _on_cleared(self, view: str) -> None:
        if view == "front":
            self.front_name = None
            self.pending = False
            self.sig_front_changed.emit()

    def _show_waiting(self) -> None:
        count = len(self.waiting)
        names = ", ".join(p.name for p in self.waiting[:4]) + ("…" if count > 4 else "")
        self.waiting_label.setText(
            f"{count} more picture(s) wait: {names}. Generate makes {count + 1} assets, one per picture."
            if count
            else ""
        )
        self.waiting_label.setVisible(bool(count))
        self.clear_waiting_button.setVisible(bool(count))

    def _save_settings(self) -> None:
        self._settings.queue_at_once = self.queue_at_once.isChecked()
        save_section(SECTION, self._settings)

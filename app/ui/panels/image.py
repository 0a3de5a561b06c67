"""The input pictures: a front slot (and back/left/right for multi-view engines) with previews.

Files arrive by drag-and-drop (on a slot or anywhere on the window), the open dialog, or a paste.
Each slot shows the picture with the computed subject mask overlaid, built in the thread pool.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QMouseEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import QFileDialog, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.ui.panels.image_preview import IMAGE_SUFFIXES, Preview, build_preview, describe_refusal, is_image
from app.ui.workers.tasks import run_task

VIEWS = ("front", "back", "left", "right")
FILE_FILTER = "Images ({})".format(" ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES)))


def dropped_paths(event: QDropEvent | QDragEnterEvent) -> list[Path]:
    return [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]


class ImageSlot(QLabel):
    """One view's picture; click to choose a file, drop one on it."""

    sig_files_dropped = Signal(str, list)  # view, [Path]

    def __init__(self, view: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.path: Path | None = None
        self.preview: Preview | None = None
        self.error = ""
        self.setObjectName(f"slot_{view}")
        self.setAcceptDrops(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(QSize(120, 120))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setWordWrap(True)
        self.setStyleSheet("QLabel { border: 1px dashed #666; border-radius: 4px; color: #999; }")
        self._show_empty()

    def set_path(self, path: Path | None) -> None:
        self.path = path
        self.preview = None
        self.error = ""
        if path is None:
            self._show_empty()
            return
        self.setText(f"{self.view}\n{path.name}\nfinding the subject…")
        run_task(build_preview, path, on_result=self._on_preview, on_error=self._on_error)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
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

    def _on_error(self, exc: BaseException) -> None:
        if self.path is None:
            return
        self.error = str(exc)
        self.setPixmap(QPixmap())
        self.setText(f"{self.view}: {self.error}")
        self.setToolTip(self.error)

    def _show_preview(self) -> None:
        assert self.preview is not None
        rgba = self.preview.rgba
        image = QImage(
            rgba.data, rgba.shape[1], rgba.shape[0], rgba.strides[0], QImage.Format.Format_RGBA8888
        )
        pixmap = QPixmap.fromImage(image.copy())
        self.setPixmap(
            pixmap.scaled(
                self.size() - QSize(8, 8),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
        width, height = self.preview.size
        self.setToolTip(f"{self.preview.path}\n{width} × {height}, subject from {self.preview.mask_method}")

    def _show_empty(self) -> None:
        self.setPixmap(QPixmap())
        hint = "drop a picture here, click to choose, or paste (Ctrl+V)" if self.view == "front" else ""
        self.setText(f"{self.view}\n{hint}".strip())
        self.setToolTip("")


class ImagePanel(QWidget):
    """Front picture plus optional extra views; reports refused files and batches of pictures."""

    sig_images_for_batch = Signal(list)  # several pictures dropped: one job each
    sig_refused = Signal(str)  # a message for the user
    sig_front_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slots = {view: ImageSlot(view) for view in VIEWS}
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        grid = QGridLayout()
        grid.addWidget(self.slots["front"], 0, 0, 1, 3)
        for column, view in enumerate(VIEWS[1:]):
            grid.addWidget(self.slots[view], 1, column)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(grid, 1)
        layout.addWidget(self.hint)
        for slot in self.slots.values():
            slot.sig_files_dropped.connect(self.accept_files)
        self.set_views(("front",))

    @property
    def front(self) -> Path | None:
        return self.slots["front"].path

    def views(self) -> dict[str, Path]:
        return {view: slot.path for view, slot in self.slots.items() if slot.path and slot.isEnabled()}

    def set_views(self, views: tuple[str, ...]) -> None:
        """Enable the slots the current engine uses."""
        for view, slot in self.slots.items():
            slot.setEnabled(view in views)
        multi = len(views) > 1
        self.hint.setText(
            "This engine uses front, back, left and right pictures."
            if multi
            else "Back, left and right are used by multi-view engines."
        )

    def accept_files(self, view: str, paths: list[Path]) -> list[Path]:
        """Route dropped files: refuse non-pictures, one picture fills `view`, several make a batch."""
        images = [p for p in paths if is_image(p)]
        for refused in (p for p in paths if not is_image(p)):
            self.sig_refused.emit(describe_refusal(refused))
        if len(images) == 1:
            self.slots[view].set_path(images[0])
            if view == "front":
                self.sig_front_changed.emit()
        elif len(images) > 1:
            self.slots["front"].set_path(images[0])
            self.sig_front_changed.emit()
            self.sig_images_for_batch.emit(images)
        return images

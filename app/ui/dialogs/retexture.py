"""Re-texture a library asset: choose the picture, the texture size, roughness and the method, then
bake on the thread pool with progress and Cancel. The result is the asset's new current version
(`library.retexture`); the old version stays in its history.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.base.cancel import CancelToken
from app.core.base.errors import Cancelled, SweedleError
from app.core.base.progress import Progress
from app.core.base.rules import DEFAULT_ROUGHNESS, DEFAULT_TEXTURE_SIZE, TEXTURE_SIZES
from app.core.library.records import AssetRecord, source_picture
from app.core.library.repository import Library
from app.core.library.retexture import TEXTURE_METHODS, RetextureOptions, retexture_asset
from app.ui.panels.image import FILE_FILTER
from app.ui.panels.image_preview import Preview, build_preview
from app.ui.workers.tasks import run_task

PREVIEW = 160
MIN_WIDTH = 480
"""Wide enough to show a typical picture path whole."""


class RetextureDialog(QDialog):
    sig_done = Signal(object)
    """The AssetRecord with its new version."""

    def __init__(self, library: Library, asset_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("retexture_dialog")
        self._library = library
        self.asset_id = asset_id
        self._cancel: CancelToken | None = None
        record = library.get_asset(asset_id)
        current = record.current_version
        self.setWindowTitle(f"Re-texture {record.name}")
        self.setMinimumWidth(MIN_WIDTH)

        self.picture = QLineEdit(str(source_picture(record.summary.folder) or ""))
        self.picture.setPlaceholderText("The picture to project onto the mesh from the front")
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.picture, 1)
        row.addWidget(self.browse_button)
        self.preview = QLabel("no picture")
        self.preview.setObjectName("retexture_preview")
        self.preview.setFixedSize(PREVIEW, PREVIEW)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setStyleSheet("border: 1px solid #444;")
        self.preview.setToolTip("The picture with the subject the bake will use (outside dimmed)")
        self.size = QComboBox()
        for size in TEXTURE_SIZES:
            self.size.addItem(f"{size} × {size} px", size)
        stored = current.parameters.get("texture_size") if current is not None else None
        chosen = self.size.findData(stored if stored in TEXTURE_SIZES else DEFAULT_TEXTURE_SIZE)
        self.size.setCurrentIndex(chosen)
        self.roughness = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, decimals=2)
        self.roughness.setValue(DEFAULT_ROUGHNESS)
        self.roughness.setToolTip("0 is mirror-smooth, 1 fully matte; the material's metallic stays 0")
        self.method = QComboBox()
        for method, label in TEXTURE_METHODS.items():
            self.method.addItem(label, method)
        self.method.setToolTip("How the texture is made: Projection bakes the picture seen from the front")
        form = QFormLayout()
        form.addRow("Picture", row)
        form.addRow("", self.preview)
        form.addRow("Texture size", self.size)
        form.addRow("Roughness", self.roughness)
        form.addRow("Method", self.method)

        self.progress = QProgressBar()
        self.progress.hide()
        self.message = QLabel("The mesh and its LOD sizes stay; the result is a new version.")
        self.message.setObjectName("hint")
        self.message.setWordWrap(True)
        self.run_button = QPushButton("Re-texture")
        self.run_button.setObjectName("primary")
        self.run_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.run_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.reject)
        self.picture.editingFinished.connect(self._load_preview)
        self._inputs = (self.picture, self.browse_button, self.size, self.roughness, self.method)
        self._load_preview()

    @property
    def running(self) -> bool:
        return self._cancel is not None

    def options(self) -> RetextureOptions:
        return RetextureOptions(
            image_path=Path(self.picture.text().strip()).expanduser(),
            texture_size=int(self.size.currentData()),
            roughness=round(self.roughness.value(), 2),
            method=str(self.method.currentData()),
        )

    def start(self) -> None:
        """Bake on the pool; the dialog closes with `sig_done` when the new version is saved."""
        if self.running:
            return
        options = self.options()
        if not self.picture.text().strip():
            self._say("Choose the picture to bake from first.", error=True)
            return
        try:
            options.check()
        except SweedleError as exc:
            self._say(str(exc), error=True)
            return
        self._cancel = CancelToken()
        self._set_running(True)
        self._say(f"Re-texturing from {options.image_path.name}…")
        run_task(
            retexture_asset,
            self._library,
            self.asset_id,
            options,
            cancel=self._cancel,
            progress=self._on_progress,
            on_result=self._done,
            on_error=self._failed,
            owner=self,
        )

    def reject(self) -> None:
        """Cancel stops a running bake (nothing is saved) and keeps the dialog open; else closes."""
        if self._cancel is not None:
            self._cancel.cancel()
            self._say("Cancelling…")
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._cancel is not None:
            self._cancel.cancel()
        super().closeEvent(event)

    def _on_progress(self, progress: Progress) -> None:
        self.progress.setValue(round(100 * progress.overall))
        if progress.message and self._cancel is not None and not self._cancel.cancelled:
            self._say(f"{progress.stage}: {progress.message}")

    def _done(self, record: AssetRecord) -> None:
        self._set_running(False)
        self.sig_done.emit(record)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._set_running(False)
        if isinstance(exc, Cancelled):
            self._say("Re-texture cancelled; nothing was saved.")
        elif isinstance(exc, SweedleError | OSError):
            self._say(f"Re-texture failed: {exc}", error=True)
        else:
            self._say(f"Re-texture failed with an unexpected error (please report it): {exc!r}", error=True)

    def _set_running(self, running: bool) -> None:
        if not running:
            self._cancel = None
        for widget in self._inputs:
            widget.setEnabled(not running)
        self.run_button.setEnabled(not running)
        self.progress.setValue(0)
        self.progress.setVisible(running)

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setObjectName("error" if error else "hint")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text)

    def _browse(self) -> None:
        file, _ = QFileDialog.getOpenFileName(
            self, "Picture to re-texture from", self.picture.text(), FILE_FILTER
        )
        if file:
            self.picture.setText(file)
            self._load_preview()

    def _load_preview(self) -> None:
        text = self.picture.text().strip()
        if not text:
            return
        run_task(
            build_preview,
            Path(text),
            PREVIEW,
            on_result=self._show_preview,
            on_error=self._no_preview,
            owner=self,
        )

    def _show_preview(self, preview: Preview) -> None:
        if preview.path != Path(self.picture.text().strip()):
            return  # a newer choice is on its way
        rgba = preview.rgba
        image = QImage(
            rgba.data, rgba.shape[1], rgba.shape[0], rgba.strides[0], QImage.Format.Format_RGBA8888
        )
        self.preview.setPixmap(QPixmap.fromImage(image.copy()))
        self._say(f"{preview.path.name}: {preview.size[0]} × {preview.size[1]} px")

    def _no_preview(self, exc: BaseException) -> None:
        self.preview.setText("no picture")
        self._say(str(exc), error=True)


"""The front picture's mask in the Pictures panel: when the editor opens, what it edits, and the
mask file a job gets.

The editor opens when the artist asks (Edit mask on the front slot) and by itself when the
automatic cutout is unsure, instead of letting the job fail. Generate then sends the mask the
artist sees: written at the picture's own size (feathered as shown) into the cache, passed as the
job's `mask_path`, and kept by the library with the version. A library version's source picture
comes with the mask it was made with, so Generate Again reuses it.
"""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QStackedWidget

from app.core.paths import cache_dir

if TYPE_CHECKING:
    import numpy as np

    from app.core.generation.request import GenerationRequest
    from app.ui.panels.image import ImageSlot
    from app.ui.panels.image_preview import Preview
    from app.ui.panels.mask_editor import MaskEditor
    from app.ui.panels.mask_history import EditorSource

UNSURE = 0.5
"""The pipeline's LOW_CONFIDENCE (kept here so the window's start-up does not load numpy)."""


class FrontMask(QObject):
    sig_opened = Signal()
    sig_closed = Signal()

    def __init__(self, slot: ImageSlot, pages: QStackedWidget) -> None:
        super().__init__(slot)
        self.slot = slot
        self.pages = pages
        self.editor: MaskEditor | None = None
        self.source: EditorSource | None = None
        self.path: Path | None = None
        """The picture `source` (and the editor's mask) belongs to."""

    @property
    def is_open(self) -> bool:
        return self.editor is not None and self.pages.currentWidget() is self.editor

    def on_preview(self, preview: Preview | None) -> None:
        """The front slot found its subject: remember it, and open the editor when unsure (None:
        the front picture changed)."""
        if preview is None or preview.editor is None:
            self.forget()
            return
        self.path, self.source = preview.path, preview.editor
        if self.editor is not None:
            self.editor.source = None
            self.editor.history = None
        if preview.editor.start is None and preview.confidence < UNSURE:
            self.open()

    def forget(self) -> None:
        """The front picture changed: its mask goes, and the editor closes."""
        self.path = self.source = None
        if self.editor is not None:
            self.editor.source = None
            self.editor.history = None
        self.close()

    def open(self) -> bool:
        if self.source is None:
            return False
        if self.editor is None:
            from app.ui.panels.mask_editor import MaskEditor

            self.editor = MaskEditor()
            self.editor.sig_done.connect(self.close)
            self.editor.sig_changed.connect(self._show_in_slot)
            self.pages.addWidget(self.editor)
        if self.editor.source is not self.source:
            self.editor.open_source(self.source)
        self.pages.setCurrentWidget(self.editor)
        self.editor.canvas.setFocus()
        self.sig_opened.emit()
        return True

    def close(self) -> None:
        if self.pages.currentIndex() != 0:
            self.pages.setCurrentIndex(0)
            self.sig_closed.emit()

    def mask(self) -> np.ndarray | None:
        """The working-size mask a job gets; None when the pipeline's own cutout is fine."""
        editor, source = self.editor, self.source
        if source is None:
            return None
        if editor is not None and editor.source is source and editor.mask is not None:
            if editor.edited or source.confidence < UNSURE or source.start is not None:
                return editor.mask
            return None
        return source.start

    def with_mask(self, request: GenerationRequest) -> GenerationRequest:
        """`request` with the artist's mask when it is for the front picture and there is one."""
        if request.image_path is None or self.path is None or Path(request.image_path) != self.path:
            return request
        mask = self.mask()
        if mask is None or self.source is None:
            return request
        return dataclasses.replace(request, mask_path=write_mask(mask, self.source.full_size, self.path))

    def _show_in_slot(self) -> None:
        """The slot's picture shows the edited mask too."""
        from app.ui.panels.image_preview import masked_preview

        if self.editor is None or self.source is None or self.editor.mask is None:
            return
        self.slot.show_mask(masked_preview(self.source.rgb, self.editor.mask), "edited in the mask editor")


def write_mask(mask: np.ndarray, full_size: tuple[int, int], picture: Path) -> Path:
    """The mask at the picture's size as a grey PNG in the cache (written whole, then renamed)."""
    from app.core.base.atomic import atomic_write_bytes
    from app.core.formats.images import encode_png
    from app.ui.panels.mask_history import full_size_mask

    target = cache_dir() / "masks" / uuid.uuid4().hex[:12] / f"{picture.stem}-mask.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, encode_png(full_size_mask(mask, full_size, 0.0)))
    return target


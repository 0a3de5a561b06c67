"""What the viewport lays over a side-by-side comparison: a caption over each half, a line between
them and a button that ends the comparison. Child widgets of the viewport, placed on resize; the
3D halves themselves are drawn by the viewport. They are native windows stacked above the
viewport's native GL window (a plain child widget would be hidden under it), opaque there."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QToolButton, QWidget

CAPTION_STYLE = "background: rgba(20, 20, 24, 190); color: #eee; padding: 3px 6px; border-radius: 3px;"
MARGIN = 8


class CompareOverlay:
    """Captions, divider and end button of a comparison; hidden when there is none."""

    def __init__(self, viewport: QWidget) -> None:
        self._viewport = viewport
        self._texts = ("", "")
        self.captions = (QLabel(viewport), QLabel(viewport))
        for caption, name in zip(self.captions, ("compare_left", "compare_right"), strict=True):
            caption.setObjectName(name)
            caption.setStyleSheet(CAPTION_STYLE)
        self.divider = QFrame(viewport)
        self.divider.setStyleSheet("background: #ddd;")
        self.end_button = QToolButton(viewport)
        self.end_button.setObjectName("compare_end")
        self.end_button.setText("End comparison (Esc)")
        self.end_button.setToolTip("Show the asset alone again")
        for widget in (*self.captions, self.divider, self.end_button):
            widget.setAttribute(Qt.WidgetAttribute.WA_DontCreateNativeAncestors)
            widget.setAttribute(Qt.WidgetAttribute.WA_NativeWindow)
        self.show(None)

    def show(self, captions: tuple[str, str] | None) -> None:
        widgets = (*self.captions, self.divider, self.end_button)
        for widget in widgets:
            widget.setVisible(captions is not None)
        if captions is not None:
            self._texts = captions
            for caption, text in zip(self.captions, captions, strict=True):
                caption.setToolTip(text)
            self.place()
            for widget in widgets:
                widget.raise_()

    def place(self) -> None:
        width, height = self._viewport.width(), self._viewport.height()
        half = width // 2
        for caption, text, x in zip(self.captions, self._texts, (MARGIN, half + MARGIN), strict=True):
            room = half - 2 * MARGIN - 12  # the label's padding
            caption.setText(caption.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, room))
            caption.adjustSize()
            caption.move(x, MARGIN)
        self.divider.setGeometry(half - 1, 0, 2, height)
        self.end_button.adjustSize()
        self.end_button.move(
            width - self.end_button.width() - MARGIN, height - self.end_button.height() - MARGIN
        )

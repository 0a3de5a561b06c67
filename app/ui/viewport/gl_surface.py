"""The viewport's native GL surface: a QWindow hosted in a window container, not a QOpenGLWidget.

A window holding a QOpenGLWidget composes the whole top-level window through the widget's texture
on every repaint of any widget in it: on a software rasterizer (llvmpipe) that is ~60 ms per
progress-bar tick, where a window whose GL surface is a native child window repaints a widget in
under a millisecond. The surface draws nothing itself and handles no input: it asks its owner to
draw when exposed or when a frame was requested, and hands every input event to the owner, so
navigation, shortcuts and drops keep living in one widget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent
from PySide6.QtGui import QExposeEvent, QSurface, QSurfaceFormat, QWindow
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from app.ui.viewport.gl_widget import ViewportWidget

_FORWARDED = {
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonRelease,
    QEvent.Type.MouseButtonDblClick,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.KeyPress,
    QEvent.Type.KeyRelease,
    QEvent.Type.DragEnter,
    QEvent.Type.DragMove,
    QEvent.Type.DragLeave,
    QEvent.Type.Drop,
}
"""Input the owner widget handles; the container puts the surface at the owner's origin, so the
events' positions are already in the owner's coordinates."""


class GLSurfaceWindow(QWindow):
    """An OpenGL QWindow in Sweedle's surface format that defers drawing and input to `owner`."""

    def __init__(self, owner: ViewportWidget) -> None:
        super().__init__()
        self._owner = owner
        self.setSurfaceType(QSurface.SurfaceType.OpenGLSurface)
        self.setFormat(QSurfaceFormat.defaultFormat())

    def exposeEvent(self, event: QExposeEvent) -> None:
        if self.isExposed():
            self._owner.draw_to_window()

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.UpdateRequest:
            self._owner.draw_to_window()
            return True
        if kind in _FORWARDED:
            if kind == QEvent.Type.MouseButtonPress:
                self._owner.setFocus()
            QApplication.sendEvent(self._owner, event)
            return True
        return super().event(event)

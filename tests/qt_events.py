"""Synthetic but real Qt input events for widget tests."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QWidget


def drop_files(widget: QWidget, paths: list[Path]) -> bool:
    """Deliver a real QDropEvent carrying file URLs, as a file manager would; True if accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    no_button, no_modifier = Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, no_button, no_modifier)
    # QApplication.sendEvent drops a Drop that no drag session announced, and the DragEnter
    # constructor is deprecated in Qt 6.12, so the event goes to the widget's own handler.
    widget.dropEvent(event)
    return event.isAccepted()


def drag_enter_event(
    pos: QPointF,
    actions: Qt.DropAction,
    mime: QMimeData,
    buttons: Qt.MouseButton,
    modifiers: Qt.KeyboardModifier,
) -> QDragEnterEvent:
    """QDragEnterEvent takes a QPointF from PySide6 6.12 (the QPoint form is deprecated there) and
    only a QPoint before it."""
    try:
        return QDragEnterEvent(pos, actions, mime, buttons, modifiers)
    except TypeError:
        return QDragEnterEvent(QPoint(round(pos.x()), round(pos.y())), actions, mime, buttons, modifiers)

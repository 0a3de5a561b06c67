"""Panels in docks scroll rather than squeeze: a short dock scrolls its panel instead of squeezing
the docks beside it, and a long message scrolls the fields instead of squashing them."""

from __future__ import annotations

from PySide6.QtWidgets import QScrollArea, QVBoxLayout, QWidget


def scrolled(content: QWidget) -> QScrollArea:
    """`content` in a frameless scroll area that resizes it to the width it has."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setWidget(content)
    return scroll


def fill_scrolled(panel: QWidget, content: QWidget) -> None:
    """Make `content`, scrolled, the whole of `panel`."""
    outer = QVBoxLayout(panel)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(scrolled(content))

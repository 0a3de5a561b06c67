"""A dark theme in the spirit of Blender and Substance: neutral greys, one accent, quiet borders."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = QColor(74, 144, 226)

_COLOURS: dict[QPalette.ColorRole, QColor] = {
    QPalette.ColorRole.Window: QColor(43, 43, 46),
    QPalette.ColorRole.WindowText: QColor(220, 220, 222),
    QPalette.ColorRole.Base: QColor(30, 30, 32),
    QPalette.ColorRole.AlternateBase: QColor(38, 38, 41),
    QPalette.ColorRole.ToolTipBase: QColor(25, 25, 27),
    QPalette.ColorRole.ToolTipText: QColor(230, 230, 230),
    QPalette.ColorRole.PlaceholderText: QColor(128, 128, 132),
    QPalette.ColorRole.Text: QColor(220, 220, 222),
    QPalette.ColorRole.Button: QColor(56, 56, 60),
    QPalette.ColorRole.ButtonText: QColor(220, 220, 222),
    QPalette.ColorRole.BrightText: QColor(255, 90, 90),
    QPalette.ColorRole.Highlight: ACCENT,
    QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
    QPalette.ColorRole.Link: ACCENT.lighter(120),
}

_STYLESHEET = """
QDockWidget::title { background: #323236; padding: 4px 6px; }
QToolTip { border: 1px solid #555; }
QProgressBar { border: 1px solid #555; border-radius: 3px; text-align: center; background: #1e1e20; }
QProgressBar::chunk { background: #4a90e2; border-radius: 2px; }
QPushButton#primary { background: #4a90e2; color: white; font-weight: bold; padding: 6px 14px;
                      border-radius: 3px; border: none; }
QPushButton#primary:disabled { background: #3a4a5c; color: #9aa; }
QLabel#error { color: #ff7b7b; }
QLabel#hint { color: #9a9aa0; }
"""


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in _COLOURS.items():
        palette.setColor(role, colour)
    disabled = QColor(120, 120, 124)
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    app.setPalette(palette)
    app.setStyleSheet(_STYLESHEET)

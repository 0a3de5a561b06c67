"""The strip above the viewport: shading, what to show over it (wireframe, grid, baked maps),
turntable, framing and screenshots; it fits above the viewport of a 1440×900 window."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QFileDialog, QMenu, QToolBar, QToolButton, QWidget

from app.ui.viewport.gl_widget import ViewportWidget

SHADINGS = (("Textured", "textured"), ("Solid", "solid"), ("Matcap", "matcap"), ("Normals", "normals"))


class ViewportToolbar(QToolBar):
    def __init__(self, viewport: ViewportWidget, parent: QWidget | None = None) -> None:
        super().__init__("Viewport", parent)
        self.setObjectName("viewport_toolbar")
        self._viewport = viewport
        self.shading = QComboBox()
        self.shading.setObjectName("shading")
        self.shading.setToolTip("Shading mode")
        for label, value in SHADINGS:
            self.shading.addItem(label, value)
        self.shading.currentIndexChanged.connect(
            lambda: viewport.set_shading(str(self.shading.currentData()))
        )
        self.addWidget(self.shading)
        show = QToolButton()
        show.setObjectName("show_menu")
        show.setText("Show")
        show.setToolTip("What the viewport draws over the shading")
        show.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(show)
        show.setMenu(menu)
        self.wireframe = self._toggle(
            menu, "Wireframe", "Draw the triangle edges over the shading", viewport.set_wireframe
        )
        self.grid = self._toggle(menu, "Grid", "Floor grid and axes", viewport.set_grid_visible, checked=True)
        self.normal_map = self._toggle(
            menu,
            "Normal map",
            "Shade with the baked normal map (off: the low-poly geometry alone)",
            viewport.set_normal_map,
            checked=True,
        )
        self.occlusion = self._toggle(
            menu,
            "Ambient occlusion",
            "Darken the ambient light by the baked occlusion map",
            viewport.set_occlusion,
            checked=True,
        )
        self.addWidget(show)
        self.turntable = self._toggle(self, "Turntable", "Spin the asset slowly", viewport.set_turntable)
        self.addSeparator()
        frame = self.addAction("Frame (F)")
        frame.triggered.connect(viewport.frame)
        for label, view in (("Front", "front"), ("Side", "right"), ("Top", "top")):
            action = self.addAction(label)
            action.triggered.connect(lambda _=False, v=view: viewport.set_view(v))
        self.addSeparator()
        shot = self.addAction("Screenshot…")
        shot.setToolTip("Save the viewport as a PNG")
        shot.triggered.connect(self._screenshot)

    @staticmethod
    def _toggle(owner: QToolBar | QMenu, label: str, tip: str, slot, checked: bool = False) -> QAction:
        action = owner.addAction(label)
        action.setCheckable(True)
        action.setChecked(checked)
        action.setToolTip(tip)
        action.toggled.connect(slot)
        return action

    def _screenshot(self) -> None:
        name = (self._viewport.lodset.name if self._viewport.lodset else "viewport") + ".png"
        file, _ = QFileDialog.getSaveFileName(self, "Save screenshot", name, "PNG image (*.png)")
        if file:
            self._viewport.screenshot(Path(file))

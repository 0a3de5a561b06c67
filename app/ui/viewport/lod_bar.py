"""The LOD switcher under the viewport: one button per LOD with its triangle count and error,
and an Auto toggle that lets the viewport pick by screen size. It binds itself to a viewport."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QToolButton, QWidget

from app.ui.viewport.gl_widget import ViewportWidget

if TYPE_CHECKING:
    from app.core.mesh.types import LodSet


def triangles_text(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.2f}M"
    if count >= 10_000:
        return f"{count / 1000:.0f}k"
    return f"{count:,}"


def lod_label(level: int, triangles: int, error_pct: float) -> str:
    error = "reference" if level == 0 else f"error {error_pct:.3g}%"
    return f"LOD{level}\n{triangles_text(triangles)} tris · {error}"


class LodBar(QWidget):
    def __init__(self, viewport: ViewportWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._viewport = viewport
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self._group.idClicked.connect(self._choose)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(4, 2, 4, 2)
        self.auto_button = QToolButton(self)
        self.auto_button.setText("Auto")
        self.auto_button.setCheckable(True)
        self.auto_button.setToolTip(
            "Pick the LOD by the asset's size on screen, as a game would: the coarsest LOD whose "
            "error stays under one pixel"
        )
        self.auto_button.toggled.connect(viewport.set_auto_lod)
        self._layout.addStretch(1)
        self._layout.addWidget(self.auto_button)
        # As tall as its two-line LOD buttons from the start: a bar that grew when the first
        # asset arrived resized the GL viewport above it (a new framebuffer and a repaint).
        probe = QToolButton(self)
        probe.setText(lod_label(0, 0, 0.0))
        margins = self._layout.contentsMargins()
        self.setMinimumHeight(probe.sizeHint().height() + margins.top() + margins.bottom())
        probe.deleteLater()
        viewport.sig_lodset_changed.connect(self.set_lodset)
        viewport.sig_lod_changed.connect(self._show_current)
        self.set_lodset(viewport.lodset)

    def buttons(self) -> list[QToolButton]:
        return [button for button in self._group.buttons() if isinstance(button, QToolButton)]

    def set_lodset(self, lodset: LodSet | None) -> None:
        for button in self._group.buttons():
            self._group.removeButton(button)
            button.deleteLater()
        for lod in lodset.lods if lodset is not None else []:
            button = QToolButton(self)
            button.setCheckable(True)
            button.setText(lod_label(lod.level, lod.mesh.triangle_count, lod.error_pct))
            button.setToolTip(
                f"LOD{lod.level}: {lod.mesh.triangle_count:,} triangles, {lod.mesh.vertex_count:,} vertices; "
                f"max deviation from LOD0 {lod.error_pct:.4f}% of its bounding-box diagonal"
            )
            self._group.addButton(button, lod.level)
            self._layout.insertWidget(self._layout.count() - 2, button)
        self.auto_button.setChecked(self._viewport.auto_lod)
        self._show_current(self._viewport.lod)

    def _show_current(self, level: int) -> None:
        button = self._group.button(level)
        if button is not None:
            button.setChecked(True)

    def _choose(self, level: int) -> None:
        """A LOD picked by hand ends the automatic switch."""
        self.auto_button.setChecked(False)
        self._viewport.set_lod(level)

"""The mask editor in the Pictures panel: fix the subject's cutout by hand.

Box (drag around the subject: GrabCut inside it), keep and remove brushes (painted at once, then
refined by the classical cutout around the stroke on the thread pool), feather, undo/redo, reset
to the automatic cutout, and the mask shown over the picture (the background tinted red). Keys as
in common paint tools: B brush, M box, X swaps keep and remove, [ and ] brush size, Ctrl+Z undo,
Ctrl+Shift+Z (or Ctrl+Y) redo, O overlay, Esc done. The editor takes those keys before the
window's shortcuts while it has the focus, so Ctrl+Z undoes a stroke, not a library edit.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QKeySequence, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.panels.mask_history import EditorSource, MaskHistory, shown_mask, stamp
from app.ui.workers.tasks import run_task

MIN_RADIUS, MAX_RADIUS = 2, 200
KEYS: tuple[tuple[str, str], ...] = (
    ("B", "Mask editor: brush"),
    ("M", "Mask editor: box around the subject"),
    ("X", "Mask editor: swap keep and remove"),
    ("[ / ]", "Mask editor: smaller / larger brush"),
    ("Ctrl+Z", "Mask editor: undo"),
    ("Ctrl+Shift+Z", "Mask editor: redo"),
    ("O", "Mask editor: show or hide the mask"),
    ("Esc", "Mask editor: done"),
)


def key_help() -> list[tuple[str, str]]:
    return list(KEYS)


def _refine_stroke(rgb: np.ndarray, prior: np.ndarray, layer: np.ndarray, keep: bool) -> np.ndarray:
    """Runs on the pool: the classical cutout redone around a stroke, the stroke as certain."""
    from app.core.imaging.classical import Seeds, classical_cut

    seeds = Seeds(keep=layer if keep else None, remove=None if keep else layer, prior=prior)
    return classical_cut(rgb, seeds).alpha


def _cut_in_box(rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Runs on the pool: GrabCut inside the artist's box."""
    from app.core.imaging.classical import Seeds, classical_cut

    return classical_cut(rgb, Seeds(box=box)).alpha


class MaskCanvas(QWidget):
    """The picture with the mask over it; draws strokes and the box, says where they went."""

    sig_stroke = Signal(object)  # hxw bool layer painted by one drag
    sig_box = Signal(tuple)  # (left, top, right, bottom) in working pixels

    def __init__(self, editor: MaskEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.setObjectName("mask_canvas")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 160)
        self._picture = QImage()
        self._overlay = QImage()
        self._points: list[tuple[float, float]] = []
        self._box_start: QPointF | None = None
        self._pointer = QPointF(-1, -1)

    def set_picture(self, rgb: np.ndarray) -> None:
        height, width = rgb.shape[:2]
        self._picture = QImage(rgb.tobytes(), width, height, 3 * width, QImage.Format.Format_RGB888).copy()
        self.update()

    def set_mask(self, mask: np.ndarray | None) -> None:
        """Tint what is not subject; None hides the overlay."""
        if mask is None:
            self._overlay = QImage()
        else:
            height, width = mask.shape
            overlay = np.zeros((height, width, 4), np.uint8)
            overlay[..., 0] = 200
            overlay[..., 1] = 30
            overlay[..., 2] = 40
            overlay[..., 3] = np.clip((1.0 - mask) * 170.0, 0, 255).astype(np.uint8)
            rgba = QImage.Format.Format_RGBA8888
            self._overlay = QImage(overlay.tobytes(), width, height, 4 * width, rgba).copy()
        self.update()

    def target(self) -> QRectF:
        """Where the picture is drawn: fitted into the widget, centred."""
        if self._picture.isNull():
            return QRectF()
        scale = min(self.width() / self._picture.width(), self.height() / self._picture.height())
        width, height = self._picture.width() * scale, self._picture.height() * scale
        return QRectF((self.width() - width) / 2, (self.height() - height) / 2, width, height)

    def to_picture(self, point: QPointF) -> tuple[float, float]:
        target = self.target()
        scale = self._picture.width() / max(target.width(), 1e-6)
        return ((point.x() - target.x()) * scale, (point.y() - target.y()) * scale)

    def brush_on_screen(self) -> float:
        return self.editor.radius * self.target().width() / max(self._picture.width(), 1)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(32, 32, 36))
        target = self.target()
        if not self._picture.isNull():
            painter.drawImage(target, self._picture)
            if not self._overlay.isNull():
                painter.drawImage(target, self._overlay)
        keep = self.editor.keep
        colour = QColor(80, 220, 120) if keep else QColor(240, 80, 80)
        if len(self._points) > 1:
            pen = QPen(colour, 2 * self.brush_on_screen(), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            painter.setOpacity(0.5)
            for (x0, y0), (x1, y1) in zip(self._points, self._points[1:], strict=False):
                painter.drawLine(self._on_screen(x0, y0), self._on_screen(x1, y1))
            painter.setOpacity(1.0)
        if self._box_start is not None:
            painter.setPen(QPen(QColor(255, 220, 80), 2, Qt.PenStyle.DashLine))
            painter.drawRect(QRectF(self._box_start, self._pointer).normalized())
        elif self.editor.tool == "brush" and self._pointer.x() >= 0:
            painter.setPen(QPen(colour, 1.5))
            radius = self.brush_on_screen()
            painter.drawEllipse(self._pointer, radius, radius)
        painter.end()

    def _on_screen(self, x: float, y: float) -> QPointF:
        target = self.target()
        scale = target.width() / max(self._picture.width(), 1)
        return QPointF(target.x() + x * scale, target.y() + y * scale)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._picture.isNull():
            return
        self.setFocus()
        if self.editor.tool == "box":
            self._box_start = event.position()
        else:
            self._points = [self.to_picture(event.position())]
        self._pointer = event.position()
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._pointer = event.position()
        if self._points:
            self._points.append(self.to_picture(event.position()))
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if self._box_start is not None:
            (x0, y0), (x1, y1) = self.to_picture(self._box_start), self.to_picture(event.position())
            self._box_start = None
            left, right = sorted((x0, x1))
            top, bottom = sorted((y0, y1))
            if right - left >= 4 and bottom - top >= 4:
                self.sig_box.emit((round(left), round(top), round(right), round(bottom)))
        elif self._points:
            layer = np.zeros((self._picture.height(), self._picture.width()), bool)
            stamp(layer, self._points, self.editor.radius)
            self._points = []
            if layer.any():
                self.sig_stroke.emit(layer)
        self.update()

    def leaveEvent(self, event: QEvent) -> None:
        self._pointer = QPointF(-1, -1)
        self.update()


class MaskEditor(QWidget):
    """Toolbar, canvas and message; holds the mask being edited (see `mask_history`)."""

    sig_changed = Signal()
    """The mask changed (a stroke, its refinement, a box, undo, redo, reset or the feather)."""
    sig_done = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mask_editor")
        self.source: EditorSource | None = None
        self.history: MaskHistory | None = None
        self.tool = "brush"
        self.keep = True
        self.radius = 12
        self.overlay = True
        self.refining = 0
        """Refinements still running on the pool."""
        self.canvas = MaskCanvas(self)
        self.canvas.sig_stroke.connect(self.apply_stroke)
        self.canvas.sig_box.connect(self.apply_box)
        self.box_button = self._button("Box", "M", "Drag a box around the subject: it is cut out inside it")
        self.brush_button = self._button("Brush", "B", "Paint what to keep or remove")
        self.box_button.setCheckable(True)
        self.brush_button.setCheckable(True)
        self.mode_button = self._button("Keep", "X", "Swap between the keep and remove brushes")
        self.undo_button = self._button("Undo", "Ctrl+Z", "Undo the last change to the mask")
        self.redo_button = self._button("Redo", "Ctrl+Shift+Z", "Redo")
        self.reset_button = self._button("Automatic", "", "Go back to the automatic cutout")
        self.overlay_button = self._button("Mask", "O", "Show or hide the mask over the picture")
        self.overlay_button.setCheckable(True)
        self.overlay_button.setChecked(True)
        self.done_button = self._button("Done", "Esc", "Close the editor; Generate uses this mask")
        self.done_button.setObjectName("primary")
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(MIN_RADIUS, MAX_RADIUS)
        self.size_slider.setValue(self.radius)
        self.size_slider.setToolTip("Brush size ([ and ])")
        self.feather_slider = QSlider(Qt.Orientation.Horizontal)
        self.feather_slider.setRange(0, 20)
        self.feather_slider.setToolTip("Feather: how soft the mask's edge is, in pixels")
        self.message = QLabel()
        self.message.setObjectName("hint")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        tools = QHBoxLayout()
        buttons = (self.box_button, self.brush_button, self.mode_button, self.undo_button, self.redo_button)
        for button in buttons:
            tools.addWidget(button)
        tools.addStretch(1)
        tools.addWidget(self.done_button)
        sliders = QHBoxLayout()
        sliders.addWidget(QLabel("Size"))
        sliders.addWidget(self.size_slider, 1)
        sliders.addWidget(QLabel("Feather"))
        sliders.addWidget(self.feather_slider, 1)
        sliders.addWidget(self.overlay_button)
        sliders.addWidget(self.reset_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(tools)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(sliders)
        layout.addWidget(self.message)
        self.box_button.clicked.connect(lambda: self.set_tool("box"))
        self.brush_button.clicked.connect(lambda: self.set_tool("brush"))
        self.mode_button.clicked.connect(self.swap_mode)
        self.undo_button.clicked.connect(self.undo)
        self.redo_button.clicked.connect(self.redo)
        self.reset_button.clicked.connect(self.reset)
        self.overlay_button.toggled.connect(self.set_overlay)
        self.done_button.clicked.connect(self.sig_done.emit)
        self.size_slider.valueChanged.connect(self._set_radius)
        self.feather_slider.valueChanged.connect(lambda _v: self._changed())
        self.canvas.installEventFilter(self)
        self.set_tool("brush")

    def _button(self, text: str, key: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(f"{tip} ({key})" if key else tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    # --- opening and reading ---------------------------------------------------------------------

    def open_source(self, source: EditorSource) -> None:
        self.source = source
        self.history = MaskHistory((source.start if source.start is not None else source.automatic).copy())
        self.canvas.set_picture(source.rgb)
        self.feather_slider.blockSignals(True)
        self.feather_slider.setValue(0)
        self.feather_slider.blockSignals(False)
        width, height = source.full_size
        if source.confidence < 0.5:
            why = f": {source.doubt}" if source.doubt else ""
            self.say(
                f"The automatic cutout is unsure (confidence {source.confidence:.2f}{why}). Drag a box "
                "around the subject, or paint what to keep and remove; Generate uses this mask.",
                error=True,
            )
        else:
            self.say(f"{width} × {height}, subject from {source.method}. Paint to fix it; Generate uses it.")
        self._show()
        self.canvas.setFocus()

    @property
    def mask(self) -> np.ndarray | None:
        """The working mask, feathered as the job gets it; None before a picture is opened."""
        if self.history is None:
            return None
        return shown_mask(self.history.current, self.feather)

    @property
    def feather(self) -> float:
        return float(self.feather_slider.value())

    @property
    def edited(self) -> bool:
        return self.history is not None and (bool(self.history.undo_steps) or self.feather > 0)

    def say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #ff9b7b;" if error else "")
        self.message.setText(text)

    # --- tools -----------------------------------------------------------------------------------

    def set_tool(self, tool: str) -> None:
        self.tool = tool
        self.box_button.setChecked(tool == "box")
        self.brush_button.setChecked(tool == "brush")
        self.canvas.setCursor(Qt.CursorShape.CrossCursor)
        self.canvas.update()

    def swap_mode(self) -> None:
        self.keep = not self.keep
        self.mode_button.setText("Keep" if self.keep else "Remove")
        self.canvas.update()

    def set_overlay(self, shown: bool) -> None:
        self.overlay = shown
        self.overlay_button.setChecked(shown)
        self._show()

    def _set_radius(self, value: int) -> None:
        self.radius = value
        self.canvas.update()

    def grow_brush(self, factor: float) -> None:
        self.size_slider.setValue(round(min(MAX_RADIUS, max(MIN_RADIUS, self.radius * factor))))

    # --- edits -----------------------------------------------------------------------------------

    def apply_stroke(self, layer: np.ndarray) -> None:
        """Paint at once; the refinement around the stroke replaces this step when it arrives."""
        if self.history is None or self.source is None:
            return
        prior = self.history.current
        painted = prior.copy()
        painted[layer] = 1.0 if self.keep else 0.0
        self.history.push(painted)
        self._changed()
        generation = self.history.generation
        self.refining += 1
        run_task(
            _refine_stroke,
            self.source.rgb,
            painted,
            layer,
            self.keep,
            on_result=lambda refined: self._refined(generation, refined),
            on_error=self._refine_failed,
            owner=self,
        )

    def apply_box(self, box: tuple[int, int, int, int]) -> None:
        if self.source is None:
            return
        self.refining += 1
        self.say("Cutting out the subject inside the box…")
        run_task(
            _cut_in_box, self.source.rgb, box, on_result=self._boxed, on_error=self._refine_failed, owner=self
        )

    def _refined(self, generation: int, refined: np.ndarray) -> None:
        self.refining -= 1
        if self.history is not None and self.history.generation == generation:
            self.history.replace(refined)
            self._changed()

    def _boxed(self, mask: np.ndarray) -> None:
        self.refining -= 1
        if self.history is not None:
            self.history.push(mask)
            self.say("Cut out inside the box. Paint to fix the rest; Generate uses this mask.")
            self._changed()

    def _refine_failed(self, exc: BaseException) -> None:
        self.refining -= 1
        self.say(f"The cutout could not be refined: {exc}", error=True)

    def undo(self) -> None:
        if self.history is not None and self.history.undo():
            self._changed()

    def redo(self) -> None:
        if self.history is not None and self.history.redo():
            self._changed()

    def reset(self) -> None:
        if self.history is not None and self.source is not None:
            self.history.push(self.source.automatic.copy())
            self.feather_slider.setValue(0)
            self._changed()

    def _changed(self) -> None:
        self._show()
        self.sig_changed.emit()

    def _show(self) -> None:
        self.canvas.set_mask(self.mask if self.overlay else None)
        history = self.history
        self.undo_button.setEnabled(history is not None and bool(history.undo_steps))
        self.redo_button.setEnabled(history is not None and bool(history.redo_steps))

    # --- keys ------------------------------------------------------------------------------------

    def eventFilter(self, watched: object, event: QEvent) -> bool:
        if (
            watched is self.canvas
            and event.type() == QEvent.Type.ShortcutOverride
            and self._handles(event)  # type: ignore[arg-type]
        ):
            event.accept()
            return True
        if watched is self.canvas and event.type() == QEvent.Type.KeyPress:
            return self.handle_key(event)  # type: ignore[arg-type]
        return super().eventFilter(watched, event)

    def _handles(self, event: QKeyEvent) -> bool:
        return self._action(event) is not None

    def handle_key(self, event: QKeyEvent) -> bool:
        action = self._action(event)
        if action is None:
            return False
        action()
        return True

    def _action(self, event: QKeyEvent) -> object:
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ctrl = Qt.KeyboardModifier.ControlModifier
        shift = Qt.KeyboardModifier.ShiftModifier
        if event.matches(QKeySequence.StandardKey.Undo):
            return self.undo
        if event.matches(QKeySequence.StandardKey.Redo) or (key == Qt.Key.Key_Z and mods == ctrl | shift):
            return self.redo
        if mods not in (Qt.KeyboardModifier.NoModifier, shift):
            return None
        return {
            Qt.Key.Key_B: lambda: self.set_tool("brush"),
            Qt.Key.Key_M: lambda: self.set_tool("box"),
            Qt.Key.Key_X: self.swap_mode,
            Qt.Key.Key_BracketLeft: lambda: self.grow_brush(1 / 1.25),
            Qt.Key.Key_BracketRight: lambda: self.grow_brush(1.25),
            Qt.Key.Key_O: lambda: self.set_overlay(not self.overlay),
            Qt.Key.Key_Escape: self.sig_done.emit,
        }.get(Qt.Key(key))

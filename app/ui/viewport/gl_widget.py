"""The 3D viewport widget: a thin QWidget that turns input into camera moves and hands every frame
to the Qt-free Renderer. It draws on a native GL window (`GLSurfaceWindow`, hosted in a window
container) with a context of its own, not on a QOpenGLWidget: see gl_surface.py for why. Reading
the view back (`grabFramebuffer`) draws a frame into a multisampled framebuffer object, so it
works whether the viewport is on screen or not.

Navigation as in Blender: middle-drag orbits, Shift+middle-drag pans, Ctrl+middle-drag and the
wheel zoom; Alt+left-drag orbits and Alt+Shift+left-drag pans for laptops without a middle
button. F frames the asset; 1 / 3 / 7 look from the front / right / top and Ctrl+1 / 3 / 7 from
the back / left / bottom; 5 toggles orthographic. Dropping a .glb or .obj emits
`sig_mesh_file_dropped`; other drops pass on to the parent (the main window takes images).

`compare` shows two assets (two versions of one) side by side, each in its half, seen by the one
camera, so every orbit, zoom and LOD choice applies to both; Esc or showing another asset ends it.
"""

from __future__ import annotations

import importlib
import logging
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QElapsedTimer, QPoint, QPointF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QOffscreenSurface,
    QOpenGLContext,
    QPainter,
    QResizeEvent,
    QSurface,
    QSurfaceFormat,
    QWheelEvent,
)
from PySide6.QtOpenGL import QOpenGLFramebufferObject, QOpenGLFramebufferObjectFormat
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.core.formats.suffixes import MESH_SUFFIXES
from app.ui.png_files import write_png
from app.ui.viewport.compare import CompareOverlay
from app.ui.viewport.gl_surface import GLSurfaceWindow
from app.ui.viewport.lod_choice import auto_lod_level
from app.ui.workers.tasks import run_task

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np

    from app.core.mesh.types import LodSet
    from app.ui.viewport import fences
    from app.ui.viewport.camera import Camera
    from app.ui.viewport.renderer import Renderer, Shading
    from app.ui.viewport.staging import StagedAsset
    from app.ui.viewport.uploads import AssetUpload

log = logging.getLogger(__name__)

ORBIT_DEG_PER_PX = 0.4
WHEEL_ZOOM_PER_NOTCH = 0.85
DRAG_ZOOM_PER_PX = 1.01
TURNTABLE_DEG_PER_S = 30.0
TURNTABLE_INTERVAL_MS = 33
UPLOAD_BUDGET_S = 0.008
"""GPU copying per turn of the event loop while a staged asset goes up (the old asset is drawn
until it is done). The turns make the context current without drawing a frame: a frame per slice
would be dearer on a software rasterizer than the slice."""
FRAME_POLL_MS = 2
"""How often a drawn frame's fence is polled until the frame can be shown (fences.py says why)."""

_VIEW_KEYS = {
    Qt.Key.Key_1: ("front", "back"),
    Qt.Key.Key_3: ("right", "left"),
    Qt.Key.Key_7: ("top", "bottom"),
}
"""Key → (view, view with Ctrl)."""
_COMMAND_KEYS = {
    Qt.Key.Key_F: ("frame", "frame the asset"),
    Qt.Key.Key_5: ("toggle_ortho", "orthographic / perspective"),
    Qt.Key.Key_Escape: ("end_compare", "end a side-by-side comparison"),
}
"""Key → (method, what it does)."""
MOUSE_HELP = (
    ("Middle-drag (or Alt+left-drag)", "Viewport: orbit"),
    ("Shift+middle-drag (or Alt+Shift+left-drag)", "Viewport: pan"),
    ("Wheel (or Ctrl+middle-drag)", "Viewport: zoom"),
)
"""The drags `mousePressEvent` understands, for the Help menu."""


def key_help() -> list[tuple[str, str]]:
    """(key, what it does) for every key the viewport handles, from the tables it acts on."""
    rows = []
    for key, (view, ctrl_view) in _VIEW_KEYS.items():
        name = QKeySequence(key).toString()
        rows.append((name, f"Viewport: look from the {view}"))
        rows.append((f"Ctrl+{name}", f"Viewport: look from the {ctrl_view}"))
    rows += [(QKeySequence(key).toString(), f"Viewport: {what}") for key, (_, what) in _COMMAND_KEYS.items()]
    return rows


def _mesh_path(event: QDragEnterEvent | QDropEvent) -> Path | None:
    for url in event.mimeData().urls():
        if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in MESH_SUFFIXES:
            return Path(url.toLocalFile())
    return None


class ViewportWidget(QWidget):
    sig_mesh_file_dropped = Signal(str)
    """A .glb or .obj file was dropped on the viewport (its path)."""
    sig_lodset_changed = Signal(object)
    """The shown asset changed (the LodSet, or None)."""
    sig_lod_changed = Signal(int)
    """The LOD on screen changed, chosen by hand or by the automatic switch."""
    sig_gl_error = Signal(str)
    """The GL context cannot run the viewport: the message says why."""
    sig_compare_changed = Signal(bool)
    """A side-by-side comparison started (True) or ended (False)."""
    sig_first_frame = Signal()
    """The first frame is on screen (once per viewport)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._camera: Camera | None = None
        self._renderer: Renderer | None = None
        self._drawing_code = "not loaded"
        """"not loaded", "loading" (on the pool) or "loaded": see `_drawing_code_loaded`."""
        self._drew_a_frame = False
        self.gl_error: str | None = None
        self._lodset: LodSet | None = None
        self._pending_upload = False
        self._staged: StagedAsset | None = None
        """Set by `set_lodset_later`: the next frames copy this instead of uploading `_lodset`."""
        self._upload: AssetUpload | None = None
        self._staging: LodSet | None = None
        """The asset being staged on the pool (a newer request replaces it)."""
        self._upload_timer = QTimer(self, singleShot=True, interval=0)
        self._upload_timer.timeout.connect(self._upload_turn)
        self._lod = 0
        self._auto_lod = False
        self._drag_origin: QPointF | None = None
        self._drag_action = ""
        self._turntable = QTimer(self)
        self._turntable.setInterval(TURNTABLE_INTERVAL_MS)
        self._turntable.timeout.connect(self._turntable_step)
        self._turntable_clock = QElapsedTimer()
        self._compare: LodSet | None = None
        self._before_compare: LodSet | None = None
        self._compare_renderer: Renderer | None = None
        self._compare_upload = False
        self._compare_staging: LodSet | None = None
        """The compared asset being staged on the pool."""
        self._compare_staged: StagedAsset | None = None
        self._context: QOpenGLContext | None = None
        self._frame_fence: fences.Fence | None = None
        """The frame drawn on the window and not shown yet: the GPU is still at it."""
        self._frame_again = False
        """A frame was asked for while one was in flight: it is drawn when that one is shown."""
        self._present_timer = QTimer(self, singleShot=True, interval=FRAME_POLL_MS)
        self._present_timer.timeout.connect(self._present)
        self._offscreen: QOffscreenSurface | None = None
        self.surface = GLSurfaceWindow(self)
        container = QWidget.createWindowContainer(self.surface, self)
        container.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(container)
        self.compare_overlay = CompareOverlay(self)
        self.compare_overlay.end_button.clicked.connect(self.end_compare)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(64, 64)

    # --- what is shown -------------------------------------------------------------------------

    @property
    def camera(self) -> Camera:
        """Made on first use, as the renderer is: their modules load numpy and PyOpenGL, which the
        window does not need before the viewport first draws, once the window is on screen."""
        if self._camera is None:
            from app.ui.viewport.camera import Camera

            self._camera = Camera()
        return self._camera

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:
            from app.ui.viewport.renderer import Renderer

            self._renderer = Renderer()
        return self._renderer

    @property
    def lodset(self) -> LodSet | None:
        return self._lodset

    @property
    def lod(self) -> int:
        return self._lod

    @property
    def auto_lod(self) -> bool:
        return self._auto_lod

    @property
    def compared(self) -> LodSet | None:
        """The asset in the right half of a comparison (None when there is none)."""
        return self._compare

    def set_lodset(self, lodset: LodSet | None, frame: bool = True) -> None:
        """Show `lodset` (uploaded with the next frame) at LOD0, framed unless `frame` is False.
        Ends a comparison."""
        if self._compare is not None:
            self._stop_compare()
        self._show(lodset, frame)

    def set_lodset_later(self, lodset: LodSet, frame: bool = True) -> None:
        """Show `lodset` (as `lodset`, framed, with its signals) now, and its pixels once it is
        staged on the pool and copied to the GPU a slice per frame: a generated result's maps
        and LODs would otherwise be packed, mipmapped and copied inside one paint."""
        self.set_lodset(lodset, frame)
        self._stage(lodset)

    def _stage(self, lodset: LodSet) -> None:
        """Stage the shown `lodset` on the pool instead of uploading it with the next frame."""
        self._pending_upload = False
        self._staging = lodset
        self._stage_on_pool(lodset, lambda staged: self._on_staged(lodset, staged))

    def _stage_on_pool(self, lodset: LodSet, on_staged: Callable[[StagedAsset], None]) -> None:
        from app.ui.viewport.staging import stage_lodset

        run_task(
            stage_lodset,
            lodset,
            on_result=on_staged,
            on_error=lambda exc: self._on_stage_failed(lodset, exc),
            owner=self,
        )

    def uploading(self) -> bool:
        """Whether a `set_lodset_later` or compared asset is still being staged or copied (for
        tests)."""
        compared = self._compare_staging is not None or (self._compare is not None and self._compare_upload)
        return self._staging is not None or self._staged is not None or compared

    def _on_staged(self, lodset: LodSet, staged: StagedAsset) -> None:
        if self._staging is lodset and self._lodset is lodset:
            self._staging = None
            self._staged = staged
            self._pending_upload = True
            self._upload_timer.start()

    def _on_compare_staged(self, lodset: LodSet, staged: StagedAsset) -> None:
        if self._compare_staging is lodset:
            self._compare_staging = None
            self._compare_staged = staged
            self._compare_upload = True
            self._request_frame()

    def _on_stage_failed(self, lodset: LodSet, exc: BaseException) -> None:
        if self._staging is lodset:
            self._staging = None
        elif self._compare_staging is lodset:
            self._compare_staging = None
        else:
            return  # a newer asset replaced it meanwhile
        log.error("could not prepare %s for the viewport: %s", lodset.name, exc)

    def compare(self, left: LodSet, right: LodSet, captions: tuple[str, str]) -> None:
        """Show `left` and `right` side by side under their `captions`, framed together; the
        asset shown before comes back when the comparison ends."""
        if self._compare is None:
            self._before_compare = self._lodset
        self._compare = self._compare_staging = right
        self._compare_staged = None
        self._compare_upload = True
        self._show(left, frame=False)
        self._stage(left)
        self._stage_on_pool(right, lambda staged: self._on_compare_staged(right, staged))
        self.compare_overlay.show(captions)
        self.frame()
        self.sig_compare_changed.emit(True)

    def end_compare(self) -> None:
        """Show the asset shown before the comparison again, alone."""
        if self._compare is not None:
            before = self._before_compare
            self._stop_compare()
            self._show(before, frame=True)

    def _stop_compare(self) -> None:
        self._compare = self._before_compare = self._compare_staging = self._compare_staged = None
        self._compare_upload = True
        self.compare_overlay.show(None)
        self.sig_compare_changed.emit(False)

    def _show(self, lodset: LodSet | None, frame: bool) -> None:
        self._lodset = lodset
        self._pending_upload = True
        self._staging = self._staged = None
        self._lod = 0
        if lodset is not None and frame:
            self.camera.frame(lodset.lod0.bounds(), self._aspect())
        self.sig_lodset_changed.emit(lodset)
        self.sig_lod_changed.emit(0)
        self._request_frame()

    def set_lod(self, level: int) -> None:
        """Show LOD `level` (clamped to the chain) and turn the automatic switch off."""
        self._auto_lod = False
        self._show_lod(level)

    def set_auto_lod(self, enabled: bool) -> None:
        """Pick the LOD from the asset's size on screen, as a game would."""
        self._auto_lod = enabled
        self._request_frame()

    def _show_lod(self, level: int, drawing: bool = False) -> None:
        """`drawing`: chosen by the frame being drawn, which shows it (no further frame)."""
        count = len(self._lodset.lods) if self._lodset is not None else 1
        level = min(max(level, 0), count - 1)
        if level != self._lod:
            self._lod = level
            self.sig_lod_changed.emit(level)
        if not drawing:
            self._request_frame()

    def _pick_auto_lod(self) -> None:
        if self._lodset is None:
            return
        pixels = self.camera.pixels_per_metre(self.height() * self.devicePixelRatioF())
        errors = [lod.error_pct for lod in self._lodset.lods]
        self._show_lod(auto_lod_level(errors, self._lodset.lod0.diagonal(), pixels), drawing=True)

    # --- display options -----------------------------------------------------------------------

    def set_shading(self, shading: Shading | str) -> None:
        from app.ui.viewport.renderer import Shading

        self.renderer.options.shading = Shading(shading)
        self._request_frame()

    def set_wireframe(self, enabled: bool) -> None:
        self.renderer.options.wireframe = enabled
        self._request_frame()

    def set_grid_visible(self, visible: bool) -> None:
        self.renderer.options.grid = visible
        self._request_frame()

    def set_back_faces(self, visible: bool) -> None:
        self.renderer.options.back_faces = visible
        self._request_frame()

    def set_normal_map(self, enabled: bool) -> None:
        """Shade with the asset's baked normal map, or with its bare geometry."""
        self.renderer.options.normal_map = enabled
        self._request_frame()

    def set_occlusion(self, enabled: bool) -> None:
        """Darken the ambient light by the asset's baked occlusion map."""
        self.renderer.options.occlusion = enabled
        self._request_frame()

    def set_ortho(self, ortho: bool) -> None:
        self.camera.ortho = ortho
        self._request_frame()

    def toggle_ortho(self) -> None:
        self.set_ortho(not self.camera.ortho)

    def set_view(self, name: str) -> None:
        """Look from a named side: front, back, left, right, top, bottom."""
        self.camera.set_view(name)
        self._request_frame()

    def frame(self) -> None:
        """Fit the asset (or the default box, or both compared assets) in the view without changing
        the direction."""
        shown = [s for s in (self._lodset, self._compare) if s is not None]
        bounds = _union([s.lod0.bounds() for s in shown]) if shown else self.renderer.bounds
        self.camera.frame(bounds, self._aspect())
        self._request_frame()

    def set_turntable(self, enabled: bool) -> None:
        """Spin the camera round the asset at a steady rate, whatever the frame rate."""
        if enabled:
            self._turntable_clock.start()
            self._turntable.start()
        else:
            self._turntable.stop()

    @property
    def turntable(self) -> bool:
        return self._turntable.isActive()

    def _turntable_step(self) -> None:
        seconds = self._turntable_clock.restart() / 1000
        self.camera.orbit(TURNTABLE_DEG_PER_S * seconds, 0.0)
        self._request_frame()

    def screenshot(self, path: Path | str) -> Path:
        """Render the view and write it as a PNG (atomically); returns the path."""
        image = self.grabFramebuffer()
        if image.isNull():
            raise RuntimeError("the viewport could not be read back: it has no OpenGL context yet")
        return write_png(image, Path(path))

    # --- GL ------------------------------------------------------------------------------------

    def _aspect(self) -> float:
        """Of the view, or of one half of a comparison."""
        width = self.width() / 2 if self._compare is not None else self.width()
        return width / max(self.height(), 1)

    def _radius(self) -> float:
        bounds = [self.renderer.bounds]
        if self._compare is not None:
            bounds.append(self._compare.lod0.bounds())
        lo, hi = _union(bounds)
        return math.dist(lo, hi) / 2

    def _request_frame(self) -> None:
        """Draw a frame on the surface at its next update (one per event-loop turn at most)."""
        self.surface.requestUpdate()

    def draw_to_window(self) -> None:
        """Draw a frame on the exposed surface (asked by the surface); it is shown by `_present`
        once the GPU has finished it. While a frame is in flight, requests fold into one more."""
        if self._frame_fence is not None:
            self._frame_again = True
            return
        if self.surface.isExposed() and self._drawing_code_loaded() and self._make_current(self.surface):
            from app.ui.viewport import fences

            self.paintGL()
            self._frame_fence = fences.submit_frame()
            self._context.doneCurrent()
            self._present_timer.start()

    def _drawing_code_loaded(self) -> bool:
        """Whether the modules a frame needs are in; the first time, they start loading on the pool
        and the frame is drawn once they are. numpy, PyOpenGL and the renderer take ~300 ms of CPU
        to import, which the GUI thread would otherwise spend blocked just after the window shows.
        Reading the view back (`grabFramebuffer`) imports them in place instead."""
        if self._drawing_code == "loaded":
            return True
        if self._drawing_code == "not loaded":
            self._drawing_code = "loading"
            run_task(
                _load_drawing_code,
                on_result=lambda _: self._on_drawing_code(None),
                on_error=self._on_drawing_code,
                owner=self,
            )
        return False

    def _on_drawing_code(self, error: BaseException | None) -> None:
        self._drawing_code = "loaded"
        if error is not None:
            self._disable(f"the viewport's drawing code could not load: {error}")
        self._request_frame()

    def _present(self) -> None:
        """Show the frame in flight if the GPU has finished it, else look again shortly; then
        draw the frame asked for meanwhile. A frame whose window was hidden is dropped."""
        if self._frame_fence is None:
            return
        from app.ui.viewport import fences

        exposed = self.surface.isExposed()
        if not self._make_current(self.surface if exposed else None) or self._frame_fence is None:
            self._frame_fence = None
            return
        if exposed and not fences.finished(self._frame_fence):
            self._context.doneCurrent()
            self._present_timer.start()
            return
        fences.release(self._frame_fence)
        self._frame_fence = None
        if exposed:
            self._context.swapBuffers(self.surface)
        self._context.doneCurrent()
        if exposed and not self._drew_a_frame:
            self._drew_a_frame = True
            self.sig_first_frame.emit()
        if self._frame_again:
            self._frame_again = False
            self._request_frame()

    def grabFramebuffer(self) -> QImage:
        """Draw a frame into a multisampled framebuffer object and read it back, on screen or not;
        a null image when GL cannot run the viewport."""
        if not self._make_current():
            return QImage()
        try:
            return self._draw_offscreen()
        finally:
            self._context.doneCurrent()

    def _draw_offscreen(self) -> QImage:
        ratio = self.devicePixelRatioF()
        size = QSize(max(round(self.width() * ratio), 1), max(round(self.height() * ratio), 1))
        fmt = QOpenGLFramebufferObjectFormat()
        fmt.setAttachment(QOpenGLFramebufferObject.Attachment.CombinedDepthStencil)
        fmt.setSamples(QSurfaceFormat.defaultFormat().samples())
        fbo = QOpenGLFramebufferObject(size, fmt)
        fbo.bind()
        self.paintGL()
        fbo.release()
        image = fbo.toImage()
        image.setDevicePixelRatio(ratio)
        return image

    def makeCurrent(self) -> None:
        """Make the viewport's context current (on its window when exposed), as a benchmark
        that calls `paintGL` itself needs."""
        self._make_current()

    def doneCurrent(self) -> None:
        if self._context is not None:
            self._context.doneCurrent()

    def _make_current(self, surface: QSurface | None = None) -> bool:
        """Make the context current on `surface` (the window when exposed, else an offscreen
        surface), made with the renderer's GL objects the first time and again after a lost
        context; False when GL cannot run the viewport."""
        if self.gl_error is not None:
            return False
        if surface is None:
            surface = self.surface if self.surface.isExposed() else self._offscreen_surface()
        if self._context is not None and not self._context.isValid():
            self._forget_context()
        if self._context is not None:
            return self._context.makeCurrent(surface)
        context = QOpenGLContext(self)
        context.setFormat(QSurfaceFormat.defaultFormat())
        if not context.create() or not context.makeCurrent(surface):
            self._disable("no OpenGL context could be made for the viewport")
            return False
        self._context = context
        self.initializeGL()
        return self.gl_error is None

    def _offscreen_surface(self) -> QOffscreenSurface:
        if self._offscreen is None:
            self._offscreen = QOffscreenSurface(None, self)
            self._offscreen.setFormat(QSurfaceFormat.defaultFormat())
            self._offscreen.create()
        return self._offscreen

    def _forget_context(self) -> None:
        """The context was lost (e.g. a GPU reset): its GL objects are gone with it, so fresh
        renderers with the same options upload the shown assets into the next one."""
        from app.ui.viewport.renderer import Renderer

        options = self.renderer.options
        self._renderer = Renderer()
        self._renderer.options = options
        self._compare_renderer = self._upload = self._frame_fence = None
        self._pending_upload = self._compare_upload = True
        self._context.deleteLater()
        self._context = None

    def _disable(self, reason: str) -> None:
        self.gl_error = reason
        log.error("viewport disabled: %s", reason)
        self.sig_gl_error.emit(reason)

    def initializeGL(self) -> None:
        from app.ui.viewport.gpu import GLSetupError

        try:
            self.renderer.initialize()
        except GLSetupError as exc:
            self._disable(str(exc))

    def paintGL(self) -> None:
        if self.gl_error is not None:
            return
        if self._pending_upload:
            self._upload_pending(painting=True)
        if self._compare_upload:
            self._upload_compared()
        if self._auto_lod:
            self._pick_auto_lod()
        ratio = self.devicePixelRatioF()
        size = (round(self.width() * ratio), round(self.height() * ratio))
        view = self.camera.view_matrix()
        projection = self.camera.projection_matrix(self._aspect(), self._radius())
        if self._compare is None or self._compare_renderer is None:
            self.renderer.render(view, projection, size, self._lod)
            return
        half = size[0] // 2
        self.renderer.render(view, projection, (half, size[1]), self._lod)
        self._compare_renderer.render(view, projection, (size[0] - half, size[1]), self._lod, (half, 0))

    def _upload_turn(self) -> None:
        """Copy a budget's worth of the staged asset with the context current, outside paintGL
        (on an offscreen surface while the viewport is hidden)."""
        if not self._pending_upload or self._staged is None:
            return
        if not self._make_current():
            return
        try:
            self._upload_pending()
        finally:
            self.doneCurrent()

    def _upload_pending(self, painting: bool = False) -> None:
        """Upload the shown asset: all at once, or a staged one a budget at a time (the next
        turn is asked for until it is all there, then the renderer swaps to it and it is drawn)."""
        if self._staged is None:
            if self._upload is not None:
                self._upload.discard()
                self._upload = None
            self.renderer.set_lodset(self._lodset)
            self._pending_upload = False
            return
        if self._upload is None or self._upload.staged is not self._staged:
            if self._upload is not None:
                self._upload.discard()
            from app.ui.viewport.uploads import AssetUpload

            self._upload = AssetUpload(self._staged)
        if self._upload.step(time.perf_counter() + UPLOAD_BUDGET_S):
            self.renderer.adopt(self._staged, self._upload.uploaded)
            self._upload = self._staged = None
            self._pending_upload = False
            if not painting:
                self._request_frame()
        else:
            self._upload_timer.start()

    def _upload_compared(self) -> None:
        """The right half's renderer (made on first use, sharing the display options) gets the
        compared asset once it is staged on the pool (its copy to the GPU is one step: a
        comparison is asked for once, not streamed), or lets its GPU buffers go."""
        self._compare_upload = False
        if self._compare_renderer is None:
            if self._compare is None:
                return
            from app.ui.viewport.renderer import Renderer

            self._compare_renderer = Renderer()
            self._compare_renderer.options = self.renderer.options
            self._compare_renderer.initialize()
        if self._compare is None or self._compare_staged is None:
            self._compare_renderer.set_lodset(None)
            return
        from app.ui.viewport.uploads import AssetUpload

        upload = AssetUpload(self._compare_staged)
        upload.step()
        self._compare_renderer.adopt(self._compare_staged, upload.uploaded)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.compare_overlay.place()

    # --- input ---------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and alt):
            self._drag_action = "pan" if shift else "zoom" if ctrl else "orbit"
            self._drag_origin = event.position()
            self._turntable.stop()
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_origin is None:
            super().mouseMoveEvent(event)
            return
        delta = event.position() - self._drag_origin
        self._drag_origin = event.position()
        if self._drag_action == "orbit":
            self.camera.orbit(-delta.x() * ORBIT_DEG_PER_PX, delta.y() * ORBIT_DEG_PER_PX)
        elif self._drag_action == "pan":
            self.camera.pan(delta.x(), delta.y(), self.height())
        else:
            self.camera.zoom(DRAG_ZOOM_PER_PX ** delta.y())
        self._request_frame()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag_origin is not None:
            self._drag_origin = None
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        notches = event.angleDelta().y() / 120
        if notches:
            self.camera.zoom(WHEEL_ZOOM_PER_NOTCH**notches)
            self._request_frame()
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if key in _VIEW_KEYS:
            self.set_view(_VIEW_KEYS[key][1 if ctrl else 0])
        elif key in _COMMAND_KEYS:
            getattr(self, _COMMAND_KEYS[key][0])()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _mesh_path(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = _mesh_path(event)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.sig_mesh_file_dropped.emit(str(path))


def _load_drawing_code() -> None:
    """Import what drawing a frame needs (on the pool)."""
    for name in ("fences", "camera", "renderer", "staging", "uploads"):
        importlib.import_module(f"app.ui.viewport.{name}")


def _union(bounds: list[np.ndarray]) -> np.ndarray:
    """(2, 3) bounds holding every (2, 3) bounds in `bounds`."""
    import numpy as np

    stacked = np.asarray(bounds, dtype=np.float64)
    return np.stack([stacked[:, 0].min(axis=0), stacked[:, 1].max(axis=0)])


def grab_window(window: QWidget, viewport: ViewportWidget) -> QImage:
    """`window` as an image with the viewport's frame in it: `QWidget.grab` paints widgets only,
    and the viewport draws on a native GL window."""
    image = window.grab().toImage()
    painter = QPainter(image)
    painter.drawImage(viewport.mapTo(window, QPoint(0, 0)), viewport.grabFramebuffer())
    painter.end()
    return image

"""A frame drawn on the viewport's window is shown when the GPU has finished it, not by the GUI
thread waiting in swapBuffers for the rasterizer; frames asked for while one is in flight fold
into one more, drawn after it is shown."""

from __future__ import annotations

import threading

import numpy as np
from gl_meshes import box, lodset_of
from test_native_surface import to_array


def _counted(viewport):
    calls = {"paint": 0, "swap": 0}
    paint, swap = viewport.paintGL, viewport._context.swapBuffers

    def counted_paint() -> None:
        calls["paint"] += 1
        paint()

    def counted_swap(surface) -> None:
        calls["swap"] += 1
        swap(surface)

    viewport.paintGL = counted_paint
    viewport._context.swapBuffers = counted_swap
    return calls


def test_a_frame_is_shown_after_its_fence_and_requests_in_flight_fold_into_one(viewport, qtbot):
    viewport.set_lodset(lodset_of(box((2.0, 0.5, 1.0))))
    viewport.show()
    qtbot.waitUntil(viewport.surface.isExposed, timeout=5000)
    qtbot.waitUntil(lambda: viewport._drew_a_frame and viewport._frame_fence is None, timeout=10_000)
    calls = _counted(viewport)

    viewport.draw_to_window()
    assert calls == {"paint": 1, "swap": 0}, "drawing does not wait to swap"
    assert viewport._frame_fence is not None and viewport._present_timer.isActive()
    for view in ("left", "top", "right"):
        viewport.set_view(view)
        viewport.draw_to_window()
    assert calls["paint"] == 1, "a frame asked for while one is in flight waits for it"

    qtbot.waitUntil(lambda: calls["swap"] == 2 and viewport._frame_fence is None, timeout=5000)
    assert calls["paint"] == 2, "the requests made in flight became one frame, of the latest view"

    def on_screen() -> np.ndarray:
        return to_array(viewport.screen().grabWindow(viewport.surface.winId()).toImage())

    def unlike_offscreen_frame() -> float:
        """Share of pixels off by more than the 16-bit screen's rounding (edges resolve a little
        differently on the window than in the framebuffer object)."""
        difference = np.abs(on_screen().astype(int) - to_array(viewport.grabFramebuffer())).max(axis=2)
        return float((difference > 8).mean())

    qtbot.waitUntil(lambda: unlike_offscreen_frame() < 0.02, timeout=5000)


def test_the_first_frame_waits_for_its_drawing_code_loaded_on_the_pool(qapp, qtbot, monkeypatch):
    """numpy, PyOpenGL and the renderer load off the GUI thread (~300 ms of CPU just after the
    window shows), and the first frame is drawn once they are in."""
    from app.ui.viewport import gl_widget

    on_gui_thread: list[bool] = []
    load = gl_widget._load_drawing_code

    def spy() -> None:
        on_gui_thread.append(threading.current_thread() is threading.main_thread())
        load()

    monkeypatch.setattr(gl_widget, "_load_drawing_code", spy)
    viewport = gl_widget.ViewportWidget()
    qtbot.addWidget(viewport)
    viewport.resize(160, 120)
    with qtbot.waitSignal(viewport.sig_first_frame, timeout=10_000):
        viewport.show()
    assert on_gui_thread == [False]
    viewport.set_view("top")
    qtbot.waitUntil(lambda: viewport._frame_fence is None and not viewport._present_timer.isActive())
    assert on_gui_thread == [False], "the drawing code loads once"

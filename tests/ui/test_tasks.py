"""Pool tasks deliver results and errors on the GUI thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread

from app.ui.workers.tasks import run_task


def test_result_and_error_arrive_on_the_gui_thread(qtbot) -> None:
    seen: list[tuple[str, object, bool]] = []
    gui = QThread.currentThread()

    def work(x: int) -> tuple[int, str]:
        return x * 2, threading.current_thread().name

    def fail() -> None:
        raise ValueError("bad file")

    run_task(work, 21, on_result=lambda v: seen.append(("ok", v, QThread.currentThread() is gui)))
    run_task(fail, on_error=lambda e: seen.append(("err", e, QThread.currentThread() is gui)))
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5000)
    by_kind = {kind: (value, on_gui) for kind, value, on_gui in seen}
    value, on_gui = by_kind["ok"]
    assert value[0] == 42 and value[1] != threading.current_thread().name and on_gui
    error, on_gui = by_kind["err"]
    assert isinstance(error, ValueError) and str(error) == "bad file" and on_gui

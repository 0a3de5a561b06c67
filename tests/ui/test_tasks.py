"""Pool tasks deliver results, errors and progress on the GUI thread, and nothing to an owner that
is gone."""

from __future__ import annotations

import gc
import logging
import threading

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QThread
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from app.ui.workers.tasks import run_task, wait_for_tasks


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


def test_a_task_whose_owner_is_gone_delivers_nothing_and_raises_nothing(qtbot, caplog) -> None:
    """Owners gone three ways while their tasks run: deleted (deleteLater), deleted with their
    parent, and collected by Python. Their callbacks would raise if called (they touch the
    deleted widget); only the living owner hears from its task."""
    gate = threading.Event()
    seen: list[tuple[str, object]] = []

    def slow(value: str, on_progress) -> str:
        on_progress(0.5, "half")
        gate.wait(30)
        return value

    def slow_failure(on_progress) -> None:
        on_progress(0.5, "half")
        gate.wait(30)
        raise ValueError("late failure")

    alive = QLabel()
    qtbot.addWidget(alive)
    run_task(
        slow,
        "alive",
        on_result=lambda v: seen.append(("result", v)),
        progress=lambda f, m: seen.append(("progress", (f, m, alive.text()))),
        owner=alive,
    )
    deleted = QLabel()
    parent = QWidget()
    child = QLabel(parent)
    for owner in (deleted, child):
        progress = lambda f, m, o=owner: o.setText(m)  # noqa: E731
        run_task(slow, "gone", on_result=owner.setText, progress=progress, owner=owner)
        run_task(slow_failure, on_error=lambda e, o=owner: o.setText(str(e)), owner=owner)
    collected = QWidget()
    run_task(slow, "collected", on_result=lambda v: seen.append(("collected", v)), owner=collected)
    deleted.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    shiboken6.delete(parent)
    del collected
    gc.collect()
    assert not shiboken6.isValid(deleted) and not shiboken6.isValid(child)

    gate.set()
    qtbot.waitUntil(lambda: ("result", "alive") in seen, timeout=10_000)
    assert wait_for_tasks()
    for _ in range(3):
        QApplication.processEvents()
    assert seen == [("progress", (0.5, "half", "")), ("result", "alive")]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "a dropped failure is not an error"

"""Background threads (the pool's tasks, the queue thread and the generation thread it starts)
run at background priority, so on a machine with few cores the GUI thread gets a core first and
the window does not stall while a job runs; the GUI thread keeps the process's priority."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from app.ui.workers.priority import BACKGROUND_NICE
from app.ui.workers.tasks import run_task

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")


def _nice(native_id: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, native_id)


def test_pool_tasks_and_the_generation_thread_give_way_to_the_gui_thread(qtbot, window) -> None:
    gui = _nice(threading.main_thread().native_id)
    background = max(gui, BACKGROUND_NICE)
    seen: list[int] = []
    qtbot.waitUntil(lambda: window.library_panel is not None, timeout=30_000)
    run_task(lambda: seen.append(_nice(threading.get_native_id())))
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    assert seen == [background], "a pool task runs at background priority"

    def generation_thread() -> threading.Thread | None:
        return next((t for t in threading.enumerate() if t.name == "sweedle-local-executor"), None)

    qtbot.waitUntil(lambda: generation_thread() is not None, timeout=30_000)
    assert _nice(generation_thread().native_id) == background, "inherited from the queue thread"
    assert _nice(threading.main_thread().native_id) == gui, "the GUI thread keeps its priority"

"""Background threads give way to the GUI thread for the CPU.

On a machine with few cores a generation job, the pool's staging and thumbnails, the software
rasterizer and the GUI thread all want the same cores; with equal shares the GUI thread waits its
turn and the window stalls while nothing in it is busy. A thread at background priority still
gets every idle cycle, so a job is no slower on an idle machine, but it yields as soon as the GUI
thread has work. Threads inherit the priority of the thread that starts them, so the generation
thread the queue thread starts, and the BLAS or torch threads a pool task starts, give way too.
"""

from __future__ import annotations

import os
import sys
import threading

from PySide6.QtCore import QThread

BACKGROUND_NICE = 10
"""Linux nice value of a background thread (the GUI thread keeps the process's, usually 0): a
CPU share about a tenth of the GUI thread's when both want a core."""


def lower_this_thread() -> None:
    """Put the calling thread at background priority (a no-op once it is there). Linux keeps a
    nice value per thread; elsewhere Qt's thread priority does the same for QThreads."""
    if sys.platform.startswith("linux"):
        thread_id = threading.get_native_id()
        try:
            if os.getpriority(os.PRIO_PROCESS, thread_id) < BACKGROUND_NICE:
                os.setpriority(os.PRIO_PROCESS, thread_id, BACKGROUND_NICE)
        except OSError:
            pass
        return
    current = QThread.currentThread()
    if current is not None and current.priority() != QThread.Priority.LowPriority:
        current.setPriority(QThread.Priority.LowPriority)

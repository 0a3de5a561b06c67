"""A fault the queue thread meets every turn (a damaged library database fails each poll, several
times a second) is shown in the window each time but logged once, not once per poll."""

from __future__ import annotations

import logging

from app.core.base.errors import SweedleError
from app.ui.workers import queue_thread
from app.ui.workers.library_sink import LibrarySink
from app.ui.workers.queue_thread import QueueThreadWorker


def _fail(text: str):
    def call() -> None:
        raise SweedleError(text)

    return call


def test_a_lasting_queue_fault_is_logged_once_and_shown_every_time(qapp, caplog, monkeypatch):
    worker = QueueThreadWorker(LibrarySink())
    shown: list[str] = []
    worker.sig_problem.connect(shown.append)
    clock = [100.0]
    monkeypatch.setattr(queue_thread.time, "monotonic", lambda: clock[0])
    with caplog.at_level(logging.WARNING, logger=queue_thread.__name__):
        for _ in range(20):
            worker._guarded(_fail("the library database is damaged"))
        worker._guarded(_fail("the disk is full"))
        clock[0] += queue_thread.PROBLEM_REPEAT_S
        worker._guarded(_fail("the disk is full"))
    logged = [record.getMessage() for record in caplog.records]
    assert logged == [
        "queue: the library database is damaged",
        "queue: the disk is full",
        "queue: the disk is full",
    ]
    assert len(shown) == 22 and shown[0] == "the library database is damaged"


def test_a_file_fault_is_worded_for_the_window(qapp):
    worker = QueueThreadWorker(LibrarySink())
    shown: list[str] = []
    worker.sig_problem.connect(shown.append)

    def call() -> None:
        raise OSError("no space left on device")

    worker._guarded(call)
    assert shown == ["the queue could not use a file: no space left on device"]

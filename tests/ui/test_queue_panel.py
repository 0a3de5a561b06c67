"""The Queue panel in the real window: folder batches with their progress, priorities, order,
pause, retry, and the workers jobs run on, over the persistent queue in the library."""

from __future__ import annotations

from pathlib import Path

import pytest
from queue_pictures import make_pictures

from app.core.generation.request import JobStatus
from app.core.queue import farm
from app.core.queue.records import Priority, WorkerInfo
from app.ui.panels.queue import ASSET, DETAILS, PRIORITY, STATE, WORKER
from app.ui.workers.jobs import Job


def _children(item) -> list:
    return [item.child(i) for i in range(item.childCount())]


def _batch(panel, name: str):
    for i in range(panel.tree.topLevelItemCount()):
        item = panel.tree.topLevelItem(i)
        if item.text(ASSET) == name:
            return item
    return None


def _batch_state(panel, name: str) -> str:
    item = _batch(panel, name)
    return item.text(STATE) if item is not None else ""


def _choose_priority(panel, priority: Priority) -> None:
    index = panel.priority_choice.findData(priority)
    panel.priority_choice.setCurrentIndex(index)
    panel.priority_choice.activated.emit(index)


def test_batches_priorities_order_pause_and_workers(qtbot, window, tmp_path: Path) -> None:
    panel = window.queue_panel
    qtbot.waitUntil(lambda: window.library_sink.library is not None, timeout=30_000)
    qtbot.waitUntil(lambda: panel.workers.topLevelItemCount() == 1, timeout=10_000)
    local = panel.workers.topLevelItem(0)
    assert [local.text(i) for i in range(4)] == ["this machine", "CPU", "—", "idle"]

    panel.pause_action.trigger()
    qtbot.waitUntil(lambda: window.runner.view is not None and window.runner.view.paused, timeout=10_000)
    make_pictures(tmp_path / "Crates", 3, prefix="crate")
    make_pictures(tmp_path / "Barrels", 2, prefix="barrel", first=3)
    assert panel.add_paths([tmp_path / "Crates"], Priority.LOW)
    assert panel.add_paths([tmp_path / "Barrels"], Priority.HIGH)
    qtbot.waitUntil(
        lambda: (
            _batch(panel, "Crates") is not None
            and _batch(panel, "Barrels") is not None
            and len(_children(_batch(panel, "Crates"))) == 3
        ),
        timeout=10_000,
    )
    crates, barrels = _batch(panel, "Crates"), _batch(panel, "Barrels")
    assert crates.text(STATE) == "0/3 finished" and crates.text(DETAILS) == str(tmp_path / "Crates")
    assert [c.text(ASSET) for c in _children(crates)] == ["crate01", "crate02", "crate03"]
    assert {c.text(PRIORITY) for c in _children(crates)} == {"low"}
    assert {c.text(PRIORITY) for c in _children(barrels)} == {"high"}
    assert "The queue is paused." in panel.status.text() or panel.pause_action.text() == "Resume"

    third = _children(crates)[2]
    panel.tree.clearSelection()
    third.setSelected(True)
    panel.up_action.trigger()  # crate03 runs before crate02 ...
    qtbot.waitUntil(
        lambda: (
            [c.text(ASSET) for c in _children(_batch(panel, "Crates"))] == ["crate01", "crate03", "crate02"]
        ),
        timeout=10_000,
    )
    first = _children(_batch(panel, "Crates"))[0]
    panel.tree.clearSelection()
    first.setSelected(True)
    _choose_priority(panel, Priority.HIGH)  # ... and crate01 jumps to the high jobs
    qtbot.waitUntil(lambda: first.text(PRIORITY) == "high", timeout=10_000)

    started: list[str] = []

    def note_start(job: Job) -> None:
        if job.status is JobStatus.RUNNING and job.label not in started:
            started.append(job.label)

    window.runner.sig_job_changed.connect(note_start)
    panel.pause_action.trigger()  # resume
    qtbot.waitUntil(lambda: _batch(panel, "Crates").text(STATE) == "3/3 finished", timeout=120_000)
    qtbot.waitUntil(lambda: _batch(panel, "Barrels").text(STATE) == "2/2 finished", timeout=60_000)
    assert started == ["barrel01", "barrel02", "crate01", "crate03", "crate02"]
    done = _children(_batch(panel, "Crates"))
    assert {c.text(STATE) for c in done} == {"done"} and {c.text(WORKER) for c in done} == {"this machine"}
    assert window.library_sink.library.count() == 5


def test_the_workers_of_a_farm_show_their_gpu_free_vram_and_job(qtbot, window, tmp_path: Path) -> None:
    panel = window.queue_panel
    qtbot.waitUntil(lambda: window.library_sink.library is not None, timeout=30_000)
    panel.pause_action.trigger()
    assert panel.add_paths([make_pictures(tmp_path / "Rocks", 1, prefix="rock")[0]], Priority.NORMAL)
    qtbot.waitUntil(
        lambda: window.runner.view is not None and len(window.runner.view.jobs) == 1, timeout=10_000
    )
    (rock,) = window.runner.view.jobs
    farm_workers = [
        WorkerInfo("render-01 gpu0", "render-01", "NVIDIA GeForce RTX 4090", 23.6, 20.5, rock.id, pid=4242),
        WorkerInfo("render-01 gpu1", "render-01", "NVIDIA GeForce RTX 4090", 23.6, 23.1, None),
        WorkerInfo("render-02 gpu0", "render-02", "GPU", None, None, None, note="starting…"),
    ]
    window.runner.sig_workers.emit(farm_workers, "the Ray farm at 192.168.1.20:6379")
    rows = [
        [panel.workers.topLevelItem(i).text(c) for c in range(4)]
        for i in range(panel.workers.topLevelItemCount())
    ]
    assert rows == [
        ["render-01 gpu0", "NVIDIA GeForce RTX 4090", "20.5 / 24 GB", "rock01"],
        ["render-01 gpu1", "NVIDIA GeForce RTX 4090", "23.1 / 24 GB", "idle"],
        ["render-02 gpu0", "GPU", "—", "starting…"],
    ]
    assert panel.status.text().startswith("Jobs run on the Ray farm at 192.168.1.20:6379: 3 worker(s).")
    assert panel.workers.topLevelItem(0).toolTip(0) == "render-01, process 4242"
    panel.pause_action.trigger()


def test_a_failed_item_is_retried_from_the_panel(qtbot, window, tmp_path: Path) -> None:
    panel = window.queue_panel
    qtbot.waitUntil(lambda: window.library_sink.library is not None, timeout=30_000)
    pictures = make_pictures(tmp_path / "Mixed", 2, prefix="mixed")
    pictures[1].write_text("not a picture")
    with qtbot.waitSignal(window.runner.sig_failed, timeout=60_000) as failed:
        assert panel.add_paths([tmp_path / "Mixed"])
    job = failed.args[0]
    assert "mixed02.png" in job.message
    qtbot.waitUntil(lambda: _batch_state(panel, "Mixed") == "2/2 finished, 1 failed", timeout=60_000)
    make_pictures(tmp_path / "other", 1, first=7)[0].replace(pictures[1])
    item = panel.item_for(job.id)
    panel.tree.clearSelection()
    item.setSelected(True)
    with qtbot.waitSignal(window.runner.sig_finished, timeout=60_000) as finished:
        panel.retry_action.trigger()
    assert finished.args[0] is job and item.text(STATE) == "done"
    qtbot.waitUntil(lambda: _batch_state(panel, "Mixed") == "2/2 finished", timeout=10_000)


def test_without_ray_the_farm_choice_is_unavailable_with_the_reason(qtbot, window, monkeypatch) -> None:
    from app.ui.panels.queue import FARM, QueuePanel

    reason = "Ray is not installed: pip install 'sweedle[farm]' on this machine"
    monkeypatch.setattr(farm, "availability", lambda: farm.Availability(False, reason))
    panel = QueuePanel(window.runner)
    qtbot.addWidget(panel)
    item = panel.run_on.model().item(FARM)
    assert not item.isEnabled() and item.toolTip().startswith("Ray is not installed")
    assert "Ray farm: unavailable (Ray is not installed" in panel.status.text()


@pytest.fixture(autouse=True)
def _quick_relief(window) -> None:
    """Relief at its lowest grid: each queued picture takes a fraction of a second."""
    window.prompt_panel.params.set_values({"resolution": 32, "smoothing": 1.0})

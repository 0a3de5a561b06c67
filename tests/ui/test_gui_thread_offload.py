"""The work moved off the GUI thread really runs elsewhere: each test spies on the function that
does the work and records the thread it ran in (no timing: where, not how fast)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.library.factory import new_version, tiny_png

from app.core.library.records import AssetQuery
from app.core.library.repository import Library
from app.core.library.startup import open_library
from app.ui.panels import library as library_panel_module
from app.ui.panels import library_model
from app.ui.panels.library import LibraryPanel

from qt_events import drop_files


class ThreadSpy:
    """Wraps a function; remembers whether each call ran in the GUI (main) thread."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.in_gui_thread: list[bool] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.in_gui_thread.append(threading.current_thread() is threading.main_thread())
        return self.fn(*args, **kwargs)


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib, _ = open_library(tmp_path / "lib")
    for name, shade in (("Rusty barrel", 40), ("Oak tree", 120), ("Stone wall", 220)):
        lib.add_version(new_version(name, thumbnail=tiny_png(shade, 32)))
    yield lib
    lib.close()


def _panel(qtbot, library: Library) -> LibraryPanel:  # type: ignore[no-untyped-def]
    panel = LibraryPanel(library)
    qtbot.addWidget(panel)
    panel.resize(700, 500)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def _names(panel: LibraryPanel) -> list[str]:
    model = panel.model
    return sorted(model.data(model.index(row)) for row in range(model.rowCount()))


def test_a_refresh_for_an_arriving_result_queries_the_library_on_the_pool(
    qtbot, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = _panel(qtbot, library)
    view = ThreadSpy(library_model.read_view)
    choices = ThreadSpy(library_panel_module._read_choices)
    monkeypatch.setattr(library_model, "read_view", view)
    monkeypatch.setattr(library_panel_module, "_read_choices", choices)
    added = library.add_version(new_version("Iron lamp", engine="hunyuan"))

    panel.refresh_later(select=[added.id])
    assert "Iron lamp" not in _names(panel), "nothing was read in the GUI thread while it waited"
    qtbot.waitUntil(lambda: panel.selected_ids() == [added.id], timeout=10_000)
    qtbot.waitUntil(lambda: panel.engine_box.findText("hunyuan") >= 0, timeout=10_000)
    assert "Iron lamp" in _names(panel)
    assert panel.status.text() == "4 asset(s) shown"
    assert view.in_gui_thread == [False] and choices.in_gui_thread == [False]


def test_refreshes_asked_for_while_one_runs_end_in_one_more_that_sees_the_latest(
    qtbot, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = _panel(qtbot, library)
    view = ThreadSpy(library_model.read_view)
    monkeypatch.setattr(library_model, "read_view", view)
    panel.refresh_later()
    added = library.add_version(new_version("Late crate"))
    panel.refresh_later(select=[added.id])
    panel.refresh_later(select=[added.id])
    qtbot.waitUntil(lambda: panel.selected_ids() == [added.id], timeout=10_000)
    qtbot.waitUntil(lambda: not panel.model.refreshing(), timeout=10_000)
    assert "Late crate" in _names(panel)
    assert view.in_gui_thread == [False, False], "two reads: the one running and one after it"


@pytest.fixture
def summaries(library: Library, monkeypatch: pytest.MonkeyPatch) -> ThreadSpy:
    """The library's page reads, spied on, with one asset a page (three assets, three pages)."""
    monkeypatch.setattr(library_model, "PAGE_SIZE", 1)
    spy = ThreadSpy(library.summaries)
    monkeypatch.setattr(library, "summaries", spy)
    return spy


def test_the_grid_reads_the_next_page_ahead_on_the_pool(
    qtbot, library: Library, summaries: ThreadSpy
) -> None:
    panel = _panel(qtbot, library)
    model = panel.model
    model.data(model.index(0))
    qtbot.waitUntil(lambda: 1 in model._pages, timeout=10_000)
    calls = len(summaries.in_gui_thread)
    assert model.data(model.index(1)), "the page read ahead is shown"
    assert summaries.in_gui_thread[:calls].count(False) >= 1, "a page was read on the pool"
    assert all(not in_gui for in_gui in summaries.in_gui_thread[calls:]), "row 1 was not read again here"


def test_every_page_the_grid_scrolls_onto_has_the_next_read_ahead_on_the_pool(
    qtbot, library: Library, summaries: ThreadSpy
) -> None:
    model = library_model.LibraryModel(library, lambda _asset_id, _name: False)
    model.set_query(AssetQuery())
    names = [model.data(model.index(0))]
    for row in range(1, model.rowCount()):
        qtbot.waitUntil(lambda page=row: page in model._pages, timeout=10_000)
        names.append(model.data(model.index(row)))
    assert sorted(names) == ["Oak tree", "Rusty barrel", "Stone wall"]
    assert summaries.in_gui_thread.count(True) == 1, "only the first page was read in the GUI thread"


def test_grid_thumbnails_are_decoded_on_the_pool(
    qtbot, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    decode = ThreadSpy(library_model.read_cell_thumbnail)
    monkeypatch.setattr(library_model, "read_cell_thumbnail", decode)
    panel = _panel(qtbot, library)
    qtbot.waitUntil(lambda: len(decode.in_gui_thread) == 3 and not panel.model.loading(), timeout=10_000)
    assert decode.in_gui_thread == [False, False, False]


def test_a_relief_job_and_its_result_leave_the_heavy_work_to_other_threads(
    qtbot, window, sample_image: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.library import saving
    from app.ui.viewport import staging

    thumbnail = ThreadSpy(saving.thumbnail_png)
    stage = ThreadSpy(staging.stage_lodset)
    view = ThreadSpy(library_model.read_view)
    monkeypatch.setattr(saving, "thumbnail_png", thumbnail)
    monkeypatch.setattr(staging, "stage_lodset", stage)
    monkeypatch.setattr(library_model, "read_view", view)
    qtbot.waitUntil(lambda: window.library_panel is not None, timeout=30_000)
    drop_files(window, [sample_image])
    with qtbot.waitSignal(window.runner.sig_finished, timeout=60_000):
        [job] = window.generate()
    asset_id = window.library_sink.saved_asset_ids[job.id]
    qtbot.waitUntil(lambda: window.library_panel.selected_ids() == [asset_id], timeout=10_000)
    qtbot.waitUntil(lambda: not window.viewport.uploading(), timeout=30_000)
    assert thumbnail.in_gui_thread == [False], "the thumbnail was rendered by the worker"
    assert stage.in_gui_thread == [False], "the result was packed and mipmapped on the pool"
    assert view.in_gui_thread and not any(view.in_gui_thread), "the library was re-read on the pool"


def test_an_opened_mesh_and_a_comparison_are_staged_on_the_pool(
    qtbot, window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening an asset or a mesh file, and comparing two versions, pack and mipmap on the pool
    too: uploading in place (Renderer.set_lodset) took 55-150 ms of the GUI thread for the robot."""
    import numpy as np
    import trimesh

    from app.core.formats.glb import write_glb
    from app.core.mesh.types import Lod, LodSet, Material, Mesh
    from app.ui.viewport import staging
    from app.ui.viewport.renderer import Renderer

    stage = ThreadSpy(staging.stage_lodset)
    monkeypatch.setattr(staging, "stage_lodset", stage)
    in_place: list[str] = []
    set_lodset = Renderer.set_lodset

    def spy(self: Renderer, lodset: LodSet | None) -> None:
        if lodset is not None:
            in_place.append(lodset.name)
        set_lodset(self, lodset)

    monkeypatch.setattr(Renderer, "set_lodset", spy)

    def crate(name: str, size: float) -> LodSet:
        shape = trimesh.creation.box(extents=(size, size, size))
        mesh = Mesh(np.asarray(shape.vertices), np.asarray(shape.faces))
        return LodSet(name, [Lod(0, mesh, 0.0)], Material())

    path = tmp_path / "crate.glb"
    write_glb(crate("Crate", 1.0), path)
    viewport = window.viewport
    window.open_mesh(path)
    qtbot.waitUntil(lambda: viewport.lodset is not None and not viewport.uploading(), timeout=30_000)
    viewport.compare(crate("Small", 0.5), crate("Big", 1.5), ("v1", "v2"))
    qtbot.waitUntil(lambda: not viewport.uploading(), timeout=30_000)
    viewport.grabFramebuffer()
    assert stage.in_gui_thread == [False, False, False], "the opened mesh and both compared halves"
    assert in_place == []

"""What the cyclic garbage collector walks while the library grid scrolls: a full collection holds
the GIL, so the GUI thread waits for it, and at 10k assets it walked 130,000 objects (121 ms).
No timing here: the tests check which objects a collection can still reach."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.library.factory import new_version

from app.core.library.records import AssetQuery
from app.core.library.repository import Library
from app.core.library.startup import open_library
from app.ui import heap
from app.ui.panels import library_model
from app.ui.panels.library import LibraryPanel
from app.ui.panels.library_model import LibraryModel


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib, _ = open_library(tmp_path / "lib")
    for name in ("Rusty barrel", "Oak tree", "Stone wall", "Iron lamp", "Brick arch"):
        lib.add_version(new_version(name))
    yield lib
    lib.close()


def _walked(obj: object) -> bool:
    """Whether a collection walks `obj` (frozen objects are in no generation)."""
    return any(o is obj for o in gc.get_objects())


def test_objects_alive_when_a_part_of_start_up_is_done_are_out_of_the_collectors_reach(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(heap, "_frozen", set())  # as in a process whose start-up is under way
    made_at_start_up = [object()]
    assert _walked(made_at_start_up)
    heap.freeze_start_up_objects("library")
    assert gc.get_freeze_count() > 0
    assert not _walked(made_at_start_up), "start-up objects are frozen once the part is done"
    made_later = [object()]
    heap.freeze_start_up_objects("library")
    assert _walked(made_later), "once per part: what the app makes afterwards is collected as usual"


def test_the_grid_keeps_only_the_pages_it_showed_last(
    qtbot, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library_model, "PAGE_SIZE", 1)
    monkeypatch.setattr(library_model, "MAX_PAGES", 2)
    model = LibraryModel(library, lambda _asset_id, _name: False)
    model.set_query(AssetQuery())
    names = [model.data(model.index(row)) for row in range(model.rowCount())]
    qtbot.waitUntil(lambda: not model._reading, timeout=10_000)  # the pages read ahead have landed
    assert len(model._pages) == 2, "five pages shown, two kept"
    assert 4 in model._pages and 0 not in model._pages, "the page shown last is kept, the first dropped"
    assert model.data(model.index(0)) == names[0], "a page dropped is read again when shown"
    assert sorted(names) == ["Brick arch", "Iron lamp", "Oak tree", "Rusty barrel", "Stone wall"]


def test_a_selection_across_pages_no_longer_kept_reads_no_page_for_its_ids(
    qtbot, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library_model, "PAGE_SIZE", 1)
    monkeypatch.setattr(library_model, "MAX_PAGES", 1)
    panel = LibraryPanel(library)
    qtbot.addWidget(panel)
    model = panel.model
    expected = [model.asset_id(row) for row in range(model.rowCount())]
    panel.view.selectAll()
    qtbot.waitUntil(lambda: not model._reading, timeout=10_000)
    reads: list[list[int]] = []
    monkeypatch.setattr(library, "summaries", lambda ids: reads.append(ids) or [])
    assert panel.selected_ids() == expected
    assert reads == [], "the ids come from the query's id list, not from pages read again"


def test_the_window_freezes_the_library_and_the_warm_up_once_each_is_in(
    qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They finish in either order: each is frozen when it is done."""
    from app.ui import main_window

    parts: list[str] = []
    monkeypatch.setattr(main_window, "freeze_start_up_objects", parts.append)
    window = main_window.MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: sorted(parts) == ["library", "warm-up"], timeout=30_000)
    assert window.library_panel is not None and "library" in parts

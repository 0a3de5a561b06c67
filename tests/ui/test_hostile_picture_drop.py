"""The real window given an EPS named .png: it says so on the slot, naming the file, starts no
process (Ghostscript is installed, so Pillow alone would run it) and goes on working."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from PIL import EpsImagePlugin, Image
from process_guard import watching
from PySide6.QtCore import QThreadPool

from app.core.imaging.pictures import FORMATS_HINT

from qt_events import drop_files

EPS_LINE = f"holiday.png is an EPS (PostScript) file; {FORMATS_HINT}"


def _eps_named_png(folder: Path) -> Path:
    out = BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(out, format="EPS")
    path = folder / "holiday.png"
    path.write_bytes(out.getvalue())
    return path


def _pool_idle() -> bool:
    return QThreadPool.globalInstance().activeThreadCount() == 0


def test_dropping_an_eps_named_png_shows_the_message_and_starts_no_process(
    qtbot, window, sample_image: Path, tmp_path: Path
) -> None:
    assert EpsImagePlugin.has_ghostscript(), (
        "install Ghostscript (Debian: ghostscript) for this test to mean anything"
    )
    eps = _eps_named_png(tmp_path)
    slot = window.image_panel.slots["front"]
    qtbot.waitUntil(_pool_idle, timeout=60_000)  # start-up work (library, warm-up imports) is done
    with watching(forbid_processes=True) as seen:
        drop_files(window, [eps])
        qtbot.waitUntil(lambda: bool(slot.error), timeout=10_000)
        qtbot.waitUntil(_pool_idle, timeout=10_000)  # every task the drop started has finished
    assert seen.processes == []
    assert slot.error == EPS_LINE and EPS_LINE in slot.toolTip()
    assert slot.preview is None and window.isVisible()

    drop_files(window, [sample_image])  # the window goes on working
    qtbot.waitUntil(lambda: slot.preview is not None and slot.path == sample_image, timeout=10_000)
    assert slot.error == ""


def test_opening_an_eps_named_png_from_the_menu_path_is_refused_the_same_way(
    qtbot, window, tmp_path: Path
) -> None:
    eps = _eps_named_png(tmp_path)
    slot = window.image_panel.slots["front"]
    qtbot.waitUntil(_pool_idle, timeout=60_000)
    with watching(forbid_processes=True) as seen:
        window.accept_paths([eps])  # what File → Open Pictures does with the chosen files
        qtbot.waitUntil(lambda: bool(slot.error), timeout=10_000)
        qtbot.waitUntil(_pool_idle, timeout=10_000)
    assert seen.processes == [] and slot.error == EPS_LINE

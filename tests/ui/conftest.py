"""Fixtures for driving the real main window with pytest-qt."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "images"


@pytest.fixture
def sample_image(tmp_path: Path) -> Path:
    target = tmp_path / "robot.png"
    shutil.copy(SAMPLES / "tsr_robot.png", target)
    return target


@pytest.fixture
def window(qtbot) -> Iterator:
    """The real main window, with a Relief setup that generates in about a second."""
    from app.ui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    panel = win.prompt_panel
    panel.params.set_values({"resolution": 48, "smoothing": 1.0})
    panel.texture.setCurrentIndex(panel.texture.findData(512))
    panel.lods.setText("50%, 25%")
    yield win
    win.close()

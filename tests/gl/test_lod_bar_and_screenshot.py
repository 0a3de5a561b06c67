"""The LOD switcher shows each LOD's figures and drives the viewport; screenshots are real PNGs."""

from __future__ import annotations

import numpy as np
from gl_meshes import lodset_of, sphere
from PIL import Image

from app.ui.viewport.lod_bar import LodBar


def test_lod_bar_lists_lods_and_switches_the_viewport(viewport, qtbot):
    bar = LodBar(viewport)
    qtbot.addWidget(bar)
    viewport.set_lodset(lodset_of(sphere(3), sphere(1), errors=[0.0, 2.5]))
    buttons = bar.buttons()
    assert [b.text().splitlines()[0] for b in buttons] == ["LOD0", "LOD1"]
    assert "1,280 tris" in buttons[0].text() and "reference" in buttons[0].text()
    assert "80 tris" in buttons[1].text() and "error 2.5%" in buttons[1].text()
    bar.auto_button.click()
    assert viewport.auto_lod
    buttons[1].click()
    assert viewport.lod == 1 and not viewport.auto_lod and not bar.auto_button.isChecked()
    viewport.set_lod(0)
    assert buttons[0].isChecked()


def test_screenshot_writes_the_rendered_view_as_png(viewport, grab, tmp_path):
    viewport.set_lodset(lodset_of(sphere(2)))
    path = viewport.screenshot(tmp_path / "shot.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"))
    assert pixels.shape == (120, 160, 3)
    assert np.abs(pixels.astype(int) - grab(viewport)).max() <= 2
    assert not list(tmp_path.glob(".*sweedle-tmp"))

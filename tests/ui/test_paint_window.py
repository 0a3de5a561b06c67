"""pytest-qt: the texture method in the Generate panel, and Re-texture with Paint from the library,
through the real window, queue and library. The delight and paint models are tiny with RANDOM
weights (tests/hunyuan_paint_tiny.py), rigged so each camera paints its own flat colour; views are
painted at 64 px in 3 steps to keep the tests quick."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hunyuan_paint_tiny import VIEW_COLOURS, build_tiny_delight, build_tiny_paint
from PySide6.QtWidgets import QFileDialog

from app.core.formats.glb_reader import read_glb
from app.core.library.records import GLB_FILE
from app.core.texture.paint_options import PaintOptions
from app.ui.panels.library_model import ASSET_ID_ROLE
from app.ui.panels.prompt import PromptPanel

from qt_events import drop_files

pytestmark = pytest.mark.slow


def _models() -> Path:
    return Path(os.environ["SWEEDLE_MODELS"])


def _quick_paint(panel: PromptPanel) -> None:
    panel.paint_steps.setValue(3)
    panel.paint_resolution.setValue(64)
    panel.texture.setCurrentIndex(panel.texture.findData(512))


def _item(panel: PromptPanel, method: str):  # type: ignore[no-untyped-def]
    return panel.texture_method.model().item(panel.texture_method.findData(method))


def test_the_texture_method_in_the_generate_panel(qtbot, window, sample_image) -> None:  # type: ignore[no-untyped-def]
    panel = window.prompt_panel
    labels = [panel.texture_method.itemText(i) for i in range(panel.texture_method.count())]
    assert labels == ["Automatic", "Hunyuan Paint", "Projection"]
    paint = _item(panel, "paint")
    assert not paint.isEnabled(), "Hunyuan Paint offered without its weights"
    assert "hunyuan3d-paint-v2-0" in paint.toolTip() and "not installed" in paint.toolTip()

    panel.texture_method.setCurrentIndex(panel.texture_method.findData("projection"))
    assert not panel.paint_steps.isEnabled() and not panel.paint_resolution.isEnabled()
    request = panel.build_request(sample_image)
    assert request.texture_method == "projection"
    panel.save()  # what Generate does, once
    assert PromptPanel().texture_method.currentData() == "projection", "the choice was not remembered"

    build_tiny_paint(_models())
    build_tiny_delight(_models())
    panel.refresh_engines()  # what the Models dialog asks for after an import or download
    assert _item(panel, "paint").isEnabled()
    panel.texture_method.setCurrentIndex(panel.texture_method.findData("paint"))
    assert panel.paint_steps.isEnabled()
    _quick_paint(panel)
    assert panel.build_request(sample_image).paint == PaintOptions(steps=3, resolution=64)

    drop_files(window, [sample_image])
    with qtbot.waitSignal(window.runner.sig_finished, timeout=240_000) as finished:
        [job] = window.generate()
    assert finished.args[0] is job, job.message
    texture = job.result.lodset.provenance["texture"]
    assert texture["method"] == "paint" and texture["paint_steps"] == 3 and texture["paint_resolution"] == 64


def _box_obj(path: Path, cells: int = 4) -> Path:
    """A 2 m cube, each side a grid of quads, as an OBJ file to import."""
    vertices: list[tuple[float, float, float]] = []
    faces: list[tuple[int, int, int]] = []
    grid = np.linspace(-1.0, 1.0, cells + 1)
    for axis in range(3):
        for sign in (-1.0, 1.0):
            u, v = [a for a in range(3) if a != axis]
            base = len(vertices)
            for a in grid:
                for b in grid:
                    point = [0.0, 0.0, 0.0]
                    point[axis], point[u], point[v] = sign, a, b
                    vertices.append((point[0], point[1] + 1.0, point[2]))
            for i in range(cells):
                for j in range(cells):
                    p, q = base + i * (cells + 1) + j, base + (i + 1) * (cells + 1) + j
                    tris = [(p, q, q + 1), (p, q + 1, p + 1)]
                    normal = np.zeros(3)
                    normal[axis] = sign
                    corners = np.array([vertices[k] for k in tris[0]])
                    if np.dot(np.cross(corners[1] - corners[0], corners[2] - corners[0]), normal) < 0:
                        tris = [t[::-1] for t in tris]
                    faces += tris
    lines = [f"v {x} {y} {z}" for x, y, z in vertices] + [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in faces]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_retexture_with_paint_from_the_library(qtbot, window, sample_image, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    build_tiny_paint(_models())
    build_tiny_delight(_models())
    qtbot.waitUntil(lambda: window.library_panel is not None, timeout=30_000)
    panel = window.library_panel
    with qtbot.waitSignal(panel.sig_imported, timeout=60_000) as imported:
        panel.import_files([_box_obj(tmp_path / "crate.obj")])
    asset_id = imported.args[0]
    library = window.library_sink.library
    before = library.get_asset(asset_id)
    before_lods = [lod.triangles for lod in before.current_version.lods]
    _quick_paint(window.prompt_panel)
    # an imported mesh has no picture of its own: the window asks for one
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(sample_image), ""))
    panel.refresh()
    qtbot.waitUntil(lambda: _row(panel, asset_id) is not None, timeout=10_000)
    menu = panel.context_menu(_row(panel, asset_id))
    action = next(a for a in menu.actions() if a.text() == "Re-texture with Paint")
    ended: list = []
    window.runner.sig_finished.connect(ended.append)
    window.runner.sig_failed.connect(ended.append)
    action.trigger()
    qtbot.waitUntil(lambda: bool(ended), timeout=240_000)
    [job] = ended
    assert job.result is not None and job.result.ok, job.message
    after = library.get_asset(asset_id)
    version = after.current_version
    assert [v.version for v in after.versions] == [1, 2] and version.version == 2
    assert version.parameters["texture_method"] == "paint"
    lods = [lod.triangles for lod in version.lods]
    assert lods[0] == before_lods[0] and len(lods) == len(before_lods), "the mesh was not kept"
    saved = read_glb(version.folder / GLB_FILE)
    texture = saved.material.base_color_texture
    mesh = saved.lod0
    corners = mesh.vertices[mesh.faces].astype(np.float64)
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    uv = mesh.uvs[mesh.faces].mean(axis=1)
    height, width = texture.shape[:2]  # taller than wide when the LODs have their own strip
    texels = texture[
        (uv[:, 1] * height).astype(int).clip(0, height - 1), (uv[:, 0] * width).astype(int).clip(0, width - 1)
    ]
    back = texels[normals[:, 2] < -0.5 * np.linalg.norm(normals, axis=1)].mean(axis=0)
    front = texels[normals[:, 2] > 0.5 * np.linalg.norm(normals, axis=1)].mean(axis=0)
    assert np.abs(back - VIEW_COLOURS["back"]).max() < 40 and np.abs(front - VIEW_COLOURS["front"]).max() < 40


def _row(panel, asset_id: int):  # type: ignore[no-untyped-def]
    model = panel.model
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        if index.data(ASSET_ID_ROLE) == asset_id:
            return index
    return None

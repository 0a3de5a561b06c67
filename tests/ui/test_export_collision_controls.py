"""The Export panel's collision and compression controls reach the export: a decomposition
chosen in the panel lands in the Godot project as collision nodes, and the Compress box makes
File ▸ Export As… write a Draco GLB (saying it carries no collision when some was chosen)."""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))

from export_samples import godot_project, sample_lodset

from app.core.export.projects import EngineKind
from app.core.formats.glb import write_glb
from app.core.mesh.collision import Collision, CollisionKind
from app.ui.panels.export import ExportPanel


def _nodes(glb: Path) -> list[str]:
    data = glb.read_bytes()
    length = struct.unpack_from("<I", data, 12)[0]
    return [n["name"] for n in json.loads(data[20 : 20 + length])["nodes"]]


def test_collision_choice_reaches_the_godot_export(qtbot, tmp_path: Path) -> None:
    glb = tmp_path / "crate.glb"
    write_glb(sample_lodset("Crate", levels=1, texture_size=8), glb)
    project = godot_project(tmp_path / "godot")
    panel = ExportPanel()
    qtbot.addWidget(panel)
    assert panel.options().collision == Collision() and not panel.collision_pieces.isEnabled()
    panel.collision.setCurrentIndex(panel.collision.findData(CollisionKind.DECOMPOSE))
    assert panel.collision_pieces.isEnabled()
    panel.collision_pieces.setValue(2)
    assert panel.options().collision == Collision(CollisionKind.DECOMPOSE, 2)
    panel.folders[EngineKind.GODOT].setText(str(project))
    panel.set_assets([str(glb)])
    with qtbot.waitSignal(panel.sig_finished, timeout=120_000) as blocker:
        panel.buttons[EngineKind.GODOT].click()
    [item] = blocker.args[0]
    assert item.error is None
    pieces = [n for n in _nodes(item.result.files[0]) if n.endswith("-convcolonly")]
    assert 1 <= len(pieces) <= 2
    assert "Collision: " in panel.result.text()
    panel.collision.setCurrentIndex(panel.collision.findData(CollisionKind.HULL))
    assert panel.options().collision == Collision(CollisionKind.HULL)
    assert not panel.collision_pieces.isEnabled()


def test_compress_box_makes_export_as_write_draco(qtbot, window, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    glb = tmp_path / "crate.glb"
    write_glb(sample_lodset("Crate", levels=1, texture_size=8), glb)
    qtbot.waitUntil(lambda: window.export_panel is not None, timeout=30_000)
    window.open_mesh(glb)
    qtbot.waitUntil(lambda: window.viewport.lodset is not None, timeout=60_000)
    window.export_panel.compress.setChecked(True)
    window.export_panel.collision.setCurrentIndex(window.export_panel.collision.findData(CollisionKind.HULL))
    target = tmp_path / "small.glb"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    with qtbot.waitSignal(window.sig_exported, timeout=60_000):
        window._export_as_dialog()
    data = target.read_bytes()
    length = struct.unpack_from("<I", data, 12)[0]
    assert json.loads(data[20 : 20 + length])["extensionsRequired"] == ["KHR_draco_mesh_compression"]
    assert "No collision shapes were written" in window.export_panel.result.text(), (
        "Export As with collision chosen must say the file carries none"
    )

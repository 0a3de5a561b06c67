"""The Export panel's LOD controls reach the export, and the panel says what was made: LOD0's
budget and five LODs after it, read back from the FBX by the Autodesk FBX SDK; File ▸ Export As…
takes them too and the panel shows its notes."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))

from export_samples import sample_lodset, unity_project
from readers import fbx_sdk_read

from app.core.export.projects import EngineKind
from app.core.formats.glb import write_glb
from app.core.formats.glb_reader import read_glb
from app.ui.panels.export import ExportPanel


def test_lod_budget_and_levels_pass_through_and_the_panel_shows_the_chain(qtbot, tmp_path: Path) -> None:
    glb = tmp_path / "crate.glb"
    write_glb(sample_lodset("Crate", levels=3, texture_size=16), glb)  # LOD0 1280 and two LODs
    project = unity_project(tmp_path / "unity")
    panel = ExportPanel()
    qtbot.addWidget(panel)
    panel.folders[EngineKind.UNITY].setText(str(project))
    panel.set_assets([str(glb)])
    panel.lod0_triangles.setValue(800)
    panel.lod_levels.setValue(4)
    with qtbot.waitSignal(panel.sig_finished, timeout=60_000) as blocker:
        panel.buttons[EngineKind.UNITY].click()
    [item] = blocker.args[0]
    assert item.error is None
    shown = panel.result.text()
    assert "LOD chain made for this export" in shown and "LOD0 800" in shown and "LOD4" in shown
    listing, _ = fbx_sdk_read(project / "Assets/Sweedle/crate/crate.fbx", tmp_path / "sdk")
    meshes = re.findall(r"^mesh \d+: (\S+)", listing, flags=re.MULTILINE)
    assert meshes == [f"crate_LOD{k}" for k in range(5)]


def test_export_as_through_the_window_shows_the_chain_it_made(
    qtbot, window, tmp_path: Path, monkeypatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    glb = tmp_path / "crate.glb"
    write_glb(sample_lodset("Crate", levels=3, texture_size=16), glb)
    qtbot.waitUntil(lambda: window.export_panel is not None, timeout=30_000)
    window.open_mesh(glb)
    qtbot.waitUntil(lambda: window.viewport.lodset is not None, timeout=60_000)
    window.export_panel.lod0_triangles.setValue(600)
    window.export_panel.lod_levels.setValue(3)
    target = tmp_path / "out.glb"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    with qtbot.waitSignal(window.sig_exported, timeout=60_000):
        window._export_as_dialog()
    shown = window.export_panel.result.text()
    assert str(target) in shown and "LOD chain made for this export" in shown and "LOD3" in shown
    assert [lod.mesh.triangle_count for lod in read_glb(target).lods] == [600, 300, 150, 60]

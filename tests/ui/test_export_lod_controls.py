"""The Export panel's LOD controls reach the export, and the panel says what was made: LOD0's
budget and five LODs after it, read back from the FBX by the Autodesk FBX SDK."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))

from export_samples import sample_lodset, unity_project
from readers import fbx_sdk_read

from app.core.export.projects import EngineKind
from app.core.formats.glb import write_glb
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

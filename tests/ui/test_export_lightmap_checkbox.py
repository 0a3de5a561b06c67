"""The Export panel's lightmap checkbox: on, Unity gets a second UV set; off, it does not."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from export_samples import sample_lodset, unity_project
from readers import read_fbx_records

from app.core.export.projects import EngineKind
from app.core.formats.glb import write_glb
from app.ui.panels.export import ExportPanel


def test_the_lightmap_checkbox_decides_the_second_uv_set(qtbot, tmp_path: Path) -> None:
    glb = tmp_path / "crate.glb"
    write_glb(sample_lodset("Crate", levels=1, texture_size=16), glb)
    panel = ExportPanel()
    qtbot.addWidget(panel)
    panel.set_assets([str(glb)])
    assert panel.lightmap_uv.isChecked()
    layers = []
    for checked in (True, False):
        project = unity_project(tmp_path / f"unity_{checked}")
        panel.folders[EngineKind.UNITY].setText(str(project))
        panel.lightmap_uv.setChecked(checked)
        with qtbot.waitSignal(panel.sig_finished, timeout=30_000) as blocker:
            panel.buttons[EngineKind.UNITY].click()
        assert blocker.args[0][0].error is None
        (geometry,) = (
            read_fbx_records(project / "Assets/Sweedle/crate/crate.fbx").find("Objects")[0].find("Geometry")
        )
        layers.append(len(geometry.find("LayerElementUV")))
    assert layers == [2, 1]

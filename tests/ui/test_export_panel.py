"""The Export panel: one click exports the given asset into a configured Unity project off the
GUI thread; the folder is remembered; a bad folder shows its message and the panel keeps working."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))

from export_samples import sample_lodset, unity_project

from app.core.export.projects import EngineKind
from app.core.formats.glb import write_glb
from app.core.settings import load_section
from app.ui.panels.export import SECTION, ExportPanel, ExportSettings


def test_one_click_unity_export(qtbot, tmp_path: Path) -> None:
    glb = tmp_path / "crate.glb"
    write_glb(sample_lodset("Crate", levels=2, texture_size=16), glb)
    project = unity_project(tmp_path / "unity")
    panel = ExportPanel()
    qtbot.addWidget(panel)
    panel.folders[EngineKind.UNITY].setText(str(project))
    panel.set_assets([str(glb)])
    panel.height.setValue(2.0)
    with qtbot.waitSignal(panel.sig_finished, timeout=30_000) as blocker:
        panel.buttons[EngineKind.UNITY].click()
    [item] = blocker.args[0]
    assert item.error is None
    assert (project / "Assets/Sweedle/crate/crate.fbx").is_file()
    assert (project / "Assets/Sweedle/crate/Textures/crate_BaseColor.png").is_file()
    assert "Assets/Sweedle/crate" in panel.result.text()
    assert panel.progress.isHidden() and panel.buttons[EngineKind.UNITY].isEnabled()
    assert load_section(SECTION, ExportSettings).unity_project == str(project)
    again = ExportPanel()
    qtbot.addWidget(again)
    assert again.folders[EngineKind.UNITY].text() == str(project)


def test_bad_folder_message(qtbot, tmp_path: Path) -> None:
    glb = tmp_path / "crate.glb"
    write_glb(sample_lodset("Crate", levels=1, texture_size=8), glb)
    panel = ExportPanel()
    qtbot.addWidget(panel)
    panel.set_assets([str(glb)])
    panel.folders[EngineKind.GODOT].setText(str(tmp_path))
    with qtbot.waitSignal(panel.sig_finished, timeout=30_000):
        panel.buttons[EngineKind.GODOT].click()
    assert "is not a Godot project" in panel.result.text()
    assert panel.buttons[EngineKind.GODOT].isEnabled()

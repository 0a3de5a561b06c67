"""pytest-qt: the Generate panel's bake checkboxes and the viewport's map toggles, in the real window."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.ui.panels.prompt import PromptPanel


def test_bake_checkboxes_go_into_the_request_and_are_remembered(qtbot, window, sample_image) -> None:  # type: ignore[no-untyped-def]
    panel = window.prompt_panel
    assert panel.normal_map.isChecked() and not panel.occlusion.isChecked()  # the defaults
    request = panel.build_request(sample_image)
    assert request.normal_map and not request.occlusion
    qtbot.mouseClick(panel.normal_map, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.occlusion, Qt.MouseButton.LeftButton)
    request = panel.build_request(sample_image)
    assert not request.normal_map and request.occlusion
    assert request.provenance_params()["occlusion"] is True
    panel.save()  # what Generate does, once
    again = PromptPanel()
    qtbot.addWidget(again)
    assert not again.normal_map.isChecked() and again.occlusion.isChecked(), "the choice was not remembered"


def test_viewport_toolbar_toggles_the_maps(window) -> None:  # type: ignore[no-untyped-def]
    options = window.viewport.renderer.options
    toolbar = window.viewport_toolbar
    assert options.normal_map and options.occlusion
    toolbar.normal_map.trigger()
    toolbar.occlusion.trigger()
    assert not options.normal_map and not options.occlusion
    toolbar.normal_map.trigger()
    assert options.normal_map

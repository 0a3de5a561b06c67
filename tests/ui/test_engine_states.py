"""The engine combo shows Hunyuan disabled, with the reason in its tooltip, until a model is in the
store; once the tiny RANDOM-weight checkpoint is installed a fresh panel offers it."""

from __future__ import annotations

import os
from pathlib import Path

from hunyuan_tiny import build_tiny_checkpoint
from PySide6.QtCore import Qt

from app.ui.panels.prompt import PromptPanel


def _hunyuan_item(qtbot):
    panel = PromptPanel()
    qtbot.addWidget(panel)
    index = panel.engine.findData("hunyuan")
    assert index >= 0
    return panel, panel.engine.model().item(index)


def test_hunyuan_is_disabled_with_the_reason_when_no_weights_are_installed(qtbot) -> None:
    panel, item = _hunyuan_item(qtbot)
    assert not item.isEnabled()
    assert "no Hunyuan3D-2 model is installed" in item.data(Qt.ItemDataRole.ToolTipRole)
    assert "Models…" in item.toolTip()
    assert panel.engine_name == "relief"


def test_hunyuan_is_enabled_once_the_tiny_checkpoint_is_in_the_store(qtbot) -> None:
    build_tiny_checkpoint(Path(os.environ["SWEEDLE_MODELS"]))
    panel, item = _hunyuan_item(qtbot)
    assert item.isEnabled()
    panel.engine.setCurrentIndex(panel.engine.findData("hunyuan"))
    assert panel.engine_name == "hunyuan"
    assert "variant" in panel.params.values()

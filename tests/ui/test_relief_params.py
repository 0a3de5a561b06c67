"""Relief's camera parameter is a list to pick from in the parameter form, and what is picked
reaches the engine's parameters."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox

from app.core.generation.engines.base import resolve_params
from app.core.generation.engines.relief import ReliefEngine
from app.ui.panels.params_form import ParamsForm


def test_the_camera_is_picked_from_its_choices_and_reaches_the_parameters(qtbot) -> None:
    form = ParamsForm()
    qtbot.addWidget(form)
    form.set_specs(ReliefEngine.params)
    camera = form.findChild(QComboBox, "param_camera")
    assert [camera.itemText(i) for i in range(camera.count())] == ["front", "raised", "top"]
    assert camera.currentText() == "front"
    assert isinstance(form.findChild(QDoubleSpinBox, "param_elevation"), QDoubleSpinBox)
    with qtbot.waitSignal(form.sig_edited, timeout=1000):
        camera.setCurrentText("raised")
    form.findChild(QDoubleSpinBox, "param_elevation").setValue(40.0)
    params = resolve_params(ReliefEngine.params, form.values())
    assert params["camera"] == "raised" and params["elevation"] == 40.0
    # A saved value from another build that is not a choice is ignored, not shown.
    form.set_values({"camera": "sideways"})
    assert camera.currentText() == "raised"
    form.set_values({"camera": "top"})
    assert form.values()["camera"] == "top"

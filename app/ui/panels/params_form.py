"""Editors for an engine's declared parameters (ParamSpec), so new engines need no UI code."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QLineEdit, QSpinBox, QWidget

from app.core.generation.engines.base import ParamSpec


class ParamsForm(QWidget):
    sig_edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QFormLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._editors: dict[str, tuple[ParamSpec, QWidget]] = {}

    def set_specs(self, specs: tuple[ParamSpec, ...]) -> None:
        while self._layout.rowCount():
            self._layout.removeRow(0)
        self._editors.clear()
        for spec in specs:
            editor = self._editor_for(spec)
            editor.setToolTip(spec.help)
            editor.setObjectName(f"param_{spec.name}")
            self._layout.addRow(spec.name.replace("_", " ").capitalize(), editor)
            self._editors[spec.name] = (spec, editor)

    def values(self) -> dict[str, Any]:
        return {name: _read(editor) for name, (_spec, editor) in self._editors.items()}

    def set_values(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name in self._editors:
                spec, editor = self._editors[name]
                try:
                    _write(editor, spec.coerce(value))
                except Exception:  # a value saved by another build: keep the default
                    continue

    def _editor_for(self, spec: ParamSpec) -> QWidget:
        editor: QWidget
        if spec.choices:
            editor = QComboBox()
            editor.addItems(list(spec.choices))
            editor.setCurrentText(str(spec.default))
            editor.currentTextChanged.connect(self.sig_edited)
        elif spec.kind is bool:
            editor = QCheckBox()
            editor.setChecked(bool(spec.default))
            editor.toggled.connect(self.sig_edited)
        elif spec.kind is int:
            editor = QSpinBox()
            editor.setRange(int(spec.minimum or -(2**31) + 1), int(spec.maximum or 2**31 - 1))
            editor.setValue(int(spec.default))
            editor.valueChanged.connect(self.sig_edited)
        elif spec.kind is float:
            editor = QDoubleSpinBox()
            editor.setDecimals(3)
            editor.setRange(spec.minimum if spec.minimum is not None else -1e9, spec.maximum or 1e9)
            editor.setSingleStep(_step(spec))
            editor.setValue(float(spec.default))
            editor.valueChanged.connect(self.sig_edited)
        else:
            editor = QLineEdit(str(spec.default))
            editor.textEdited.connect(self.sig_edited)
        return editor


def _step(spec: ParamSpec) -> float:
    span = (spec.maximum or 1.0) - (spec.minimum or 0.0)
    return 0.01 if span <= 2 else 0.1 if span <= 20 else 1.0


def _read(editor: QWidget) -> Any:
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, QSpinBox | QDoubleSpinBox):
        return editor.value()
    if isinstance(editor, QComboBox):
        return editor.currentText()
    assert isinstance(editor, QLineEdit)
    return editor.text()


def _write(editor: QWidget, value: Any) -> None:
    if isinstance(editor, QCheckBox):
        editor.setChecked(bool(value))
    elif isinstance(editor, QSpinBox):
        editor.setValue(int(value))
    elif isinstance(editor, QDoubleSpinBox):
        editor.setValue(float(value))
    elif isinstance(editor, QComboBox):
        editor.setCurrentText(str(value))
    elif isinstance(editor, QLineEdit):
        editor.setText(str(value))

"""What to make and how: prompt, engine, preset, engine parameters, size, LODs, texture.

The panel turns its fields into a `GenerationRequest` (the core validates it, so the messages are
the CLI's) and remembers its values between runs in the "generate" settings section.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.base.errors import InputError
from app.core.base.rules import (
    DEFAULT_LODS,
    DEFAULT_TEXTURE_SIZE,
    TEXTURE_SIZES,
    name_from_prompt,
    parse_lods,
)
from app.core.generation.engines.base import Engine
from app.core.generation.engines.registry import engine_names, get_engine
from app.core.generation.request import GenerationRequest
from app.core.settings import load_section, save_section, setting
from app.core.texture.paint_options import TEXTURE_METHODS, PaintOptions
from app.ui.panels.params_form import ParamsForm

CUSTOM = "Custom"
TEXTURE_METHOD_LABELS = {
    "auto": "Automatic",
    "paint": "Hunyuan Paint",
    "projection": "Projection",
}
TEXTURE_METHOD_TIPS = {
    "auto": "Hunyuan Paint for Hunyuan shapes when its weights and a GPU are there, otherwise projection",
    "paint": "Hunyuan3D-2 Paint makes six views of the mesh and bakes them: every side painted (GPU)",
    "projection": "Bake the pictures onto the mesh; sides no picture shows are filled smoothly",
}
SIZE_PRESETS = (("Prop", 1.0), ("Character", 1.8), ("Building", 8.0))
"""Real-world heights in metres for the usual kinds of game asset."""
PRESET_NAMES = (*dict.fromkeys(p for name in engine_names() for p in get_engine(name).presets), CUSTOM)
SEED_MAX = 2**31 - 1
"""QSpinBox holds a 32-bit signed int."""
HEIGHT_RANGE = (0.001, 10000.0)
LOD0_MAX = 10_000_000


def _valid_params(params: dict[str, dict[str, Any]]) -> bool:
    """Every saved value of a known engine's known parameter passes that parameter's own check
    (other engines' and other builds' names are left for `ParamsForm.set_values` to ignore)."""
    for engine_name, values in params.items():
        specs = (
            {spec.name: spec for spec in get_engine(engine_name).params}
            if engine_name in engine_names()
            else {}
        )
        for name, value in values.items():
            try:
                if name in specs:
                    specs[name].coerce(value)
            except InputError:
                return False
    return True


def _whole_64(pixels: int) -> bool:
    return pixels % 64 == 0


def _valid_heights(heights: dict[str, float]) -> bool:
    return all(HEIGHT_RANGE[0] <= metres <= HEIGHT_RANGE[1] for metres in heights.values())


@dataclass
class GenerateSettings:
    """What the panel shows at start; the limits are the widgets' own ranges."""

    engine: str = setting("relief", choices=tuple(engine_names()))
    preset: str = setting("Standard", choices=PRESET_NAMES)
    params: dict[str, dict[str, Any]] = setting(default_factory=dict, max_length=1000, check=_valid_params)
    seed: int = setting(0, minimum=0, maximum=SEED_MAX)
    randomise_seed: bool = False
    heights: dict[str, float] = setting(default_factory=dict, max_length=64, check=_valid_heights)
    """The height last used with each engine (engine name → metres)."""
    height_m: float = setting(1.0, minimum=HEIGHT_RANGE[0], maximum=HEIGHT_RANGE[1])
    lods: str = setting(", ".join(DEFAULT_LODS), max_length=200)
    lod0_triangles: int = setting(0, minimum=0, maximum=LOD0_MAX)
    texture_size: int = setting(DEFAULT_TEXTURE_SIZE, choices=TEXTURE_SIZES)
    texture_method: str = setting("auto", choices=TEXTURE_METHODS)
    paint_steps: int = setting(PaintOptions.steps, minimum=1, maximum=200)
    paint_resolution: int = setting(PaintOptions.resolution, minimum=64, maximum=1024, check=_whole_64)
    paint_low_vram: bool = False
    normal_map: bool = True
    occlusion: bool = False
    bake_anew: bool = False


class PromptEdit(QPlainTextEdit):
    """The prompt field; a picture pasted or dropped into it is handed on instead of lost."""

    sig_picture_pasted = Signal()

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return source.hasImage() or source.hasUrls() or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        if source.hasImage() or source.hasUrls():
            self.sig_picture_pasted.emit()
        else:
            super().insertFromMimeData(source)


class PromptPanel(QWidget):
    sig_engine_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = load_section("generate", GenerateSettings)
        self._applying_preset = False

        self.prompt = PromptEdit()
        self.prompt.setObjectName("prompt")
        self.prompt.setPlaceholderText(
            "Describe the asset. Engines with text-to-3D generate from it; otherwise it names the asset."
        )
        self.prompt.setFixedHeight(52)

        self.engine = QComboBox()
        self.engine.setObjectName("engine")
        self.engine.setModel(self._engine_model())
        self.preset = QComboBox()
        self.preset.setObjectName("preset")
        self.params = ParamsForm()

        self.seed = QSpinBox()
        self.seed.setObjectName("seed")
        self.seed.setRange(0, SEED_MAX)
        self.randomise = QCheckBox("new each job")
        self.randomise.setToolTip("Pick a new random seed for every job")
        self.randomise.setObjectName("randomise_seed")
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.randomise)

        self.height_m = QDoubleSpinBox()
        self.height_m.setObjectName("height")
        self.height_m.setRange(*HEIGHT_RANGE)
        self.height_m.setDecimals(3)
        self.height_m.setSuffix(" m")
        self.size_preset = QComboBox()
        self.size_preset.setObjectName("size_preset")
        self.size_preset.setToolTip("Real-world height of the asset; Custom keeps the height you type")
        for label, metres in SIZE_PRESETS:
            self.size_preset.addItem(f"{label} {metres:g} m", metres)
        self.size_preset.addItem(CUSTOM, None)
        height_row = QHBoxLayout()
        height_row.addWidget(self.size_preset)
        height_row.addWidget(self.height_m, 1)
        self.lods = QLineEdit()
        self.lods.setObjectName("lods")
        self.lods.setToolTip(
            "LODs after LOD0: percentages of LOD0 (50%) or triangle budgets (5000); none or 0 for LOD0 only"
        )
        self.lod0 = QSpinBox()
        self.lod0.setObjectName("lod0_triangles")
        self.lod0.setRange(0, LOD0_MAX)
        self.lod0.setSingleStep(1000)
        self.lod0.setSpecialValueText("as generated")
        self.texture = QComboBox()
        self.texture.setObjectName("texture_size")
        for size in TEXTURE_SIZES:
            self.texture.addItem(f"{size} × {size}", size)

        self.texture_method = QComboBox()
        self.texture_method.setObjectName("texture_method")
        self.texture_method.setModel(self._texture_method_model())
        self.paint_steps = QSpinBox(objectName="paint_steps", suffix=" steps")
        self.paint_steps.setRange(1, 200)
        self.paint_steps.setToolTip("Hunyuan Paint's multi-view diffusion steps (its own 30)")
        self.paint_resolution = QSpinBox(objectName="paint_resolution", suffix=" px", singleStep=64)
        self.paint_resolution.setRange(64, 1024)
        self.paint_resolution.setToolTip(
            "Each painted view's size: the paint model's own 512; lower it when the GPU runs out of memory"
        )
        self.paint_low_vram = QCheckBox("low VRAM", objectName="paint_low_vram")
        self.paint_low_vram.setToolTip("Keep one paint model on the GPU at a time (slower, less memory)")
        paint_row = QHBoxLayout()
        for widget in (self.paint_steps, self.paint_resolution):
            paint_row.addWidget(widget, 1)
        paint_row.addWidget(self.paint_low_vram)
        self.normal_map = QCheckBox("Normal map", objectName="normal_map")
        self.normal_map.setToolTip(
            "Bake the full-detail shape's surface detail into a normal map on LOD0 (when LOD0 is reduced)"
        )
        self.occlusion = QCheckBox("Ambient occlusion", objectName="occlusion")
        self.occlusion.setToolTip("Bake ambient occlusion from the full-detail shape")
        self.bake_anew = QCheckBox("Texture baked anew (slower)", objectName="bake_anew")
        self.bake_anew.setToolTip(
            "Replace the engine's own texture with one baked onto an unwrapped LOD0 from the pictures "
            "(slower; Relief's front camera only)"
        )
        maps_row = QHBoxLayout()
        maps_row.addWidget(self.normal_map)
        maps_row.addWidget(self.occlusion)
        maps_row.addStretch(1)

        for combo in (self.engine, self.preset, self.size_preset, self.texture, self.texture_method):
            # sized by the field, not the longest item, so the panel fits a narrow dock
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(4)

        self.engine_note = QLabel()
        self.engine_note.setObjectName("hint")
        self.engine_note.setWordWrap(True)

        engine_box = QGroupBox("Engine")
        engine_form = QFormLayout(engine_box)
        engine_form.addRow("Engine", self.engine)
        engine_form.addRow("Preset", self.preset)
        engine_form.addRow(self.params)
        engine_form.addRow("Seed", seed_row)
        engine_form.addRow(self.engine_note)

        output_box = QGroupBox("Output")
        output_form = QFormLayout(output_box)
        output_form.addRow("Height", height_row)
        output_form.addRow("LOD0 budget", self.lod0)
        output_form.addRow("LODs", self.lods)
        output_form.addRow("Texture", self.texture)
        output_form.addRow("Texture method", self.texture_method)
        output_form.addRow("Paint", paint_row)
        output_form.addRow("Bake", maps_row)
        output_form.addRow("", self.bake_anew)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Prompt"))
        layout.addWidget(self.prompt)
        layout.addWidget(engine_box)
        layout.addWidget(output_box)
        layout.addStretch(1)

        self._restore()
        self._height_engine = self.engine_name
        self._match_size_preset()
        self.size_preset.currentIndexChanged.connect(self._on_size_preset)
        self.height_m.valueChanged.connect(self._match_size_preset)
        self.engine.currentIndexChanged.connect(self._on_engine_changed)
        self.preset.currentTextChanged.connect(self._on_preset_changed)
        self.params.sig_edited.connect(self._on_params_edited)
        self.texture_method.currentIndexChanged.connect(self._on_texture_method)

    @property
    def engine_name(self) -> str:
        return str(self.engine.currentData())

    def current_engine(self) -> Engine:
        return get_engine(self.engine_name)

    def build_request(
        self, image_path: Path | None, name: str | None = None, views: dict[str, Path] | None = None
    ) -> GenerationRequest:
        """The request for one picture (None: the prompt makes it), from the fields as they are;
        raises InputError with the field's problem. Building changes nothing: the caller gives
        each job its seed (`job_seed`) and saves the fields (`save`) once per Generate."""
        engine = self.current_engine()
        available = engine.availability()
        if not available.ok:
            raise InputError(f"{engine.label} cannot run here: {available.reason}")
        prompt = self.prompt.toPlainText().strip()
        if image_path is None:
            from_text = engine.text_availability()
            if not prompt or not from_text.ok:
                raise InputError(
                    "Add a front picture first: drop one on the window, paste it, or click the slot"
                    + (f" ({from_text.reason})." if prompt else ".")
                )
        return GenerationRequest(
            image_path=Path(image_path) if image_path is not None else None,
            prompt=prompt,
            views=dict(views or {}),
            engine=self.engine_name,
            name=name or self.asset_name(),
            height_m=self.height_m.value(),
            lods=parse_lods(self.lods.text()),
            lod0_triangles=self.lod0.value() or None,
            seed=self.seed.value(),
            texture_size=int(self.texture.currentData()),
            normal_map=self.normal_map.isChecked(),
            occlusion=self.occlusion.isChecked(),
            texture_method=str(self.texture_method.currentData()),
            bake="always" if self.bake_anew.isChecked() else "auto",
            paint=self.paint_options(),
            params=self.params.values(),
        )

    def job_seed(self) -> int:
        """The seed for one new job: with "new each job" ticked a fresh random one, put in the
        field so the user sees (and can keep) it; otherwise the field's."""
        if self.randomise.isChecked():
            self.seed.setValue(random.randrange(SEED_MAX))
        return self.seed.value()

    def paint_options(self) -> PaintOptions:
        """Hunyuan Paint's settings as the panel shows them (also used to re-texture library assets)."""
        resolution = self.paint_resolution.value() // 64 * 64
        return PaintOptions(self.paint_steps.value(), resolution, low_vram=self.paint_low_vram.isChecked())

    def refresh_engines(self) -> None:
        """Re-read which engines can run (after models were installed or removed)."""
        current = self.engine_name
        self.engine.blockSignals(True)
        self.engine.setModel(self._engine_model())
        index = self.engine.findData(current)
        self.engine.setCurrentIndex(max(index, 0))
        self.engine.blockSignals(False)
        if self.engine_name != current:
            self._on_engine_changed()
        method = self.texture_method.currentData()
        self.texture_method.setModel(self._texture_method_model())
        self._select_texture_method(str(method))

    def asset_name(self) -> str | None:
        """The name the prompt gives the asset (`name_from_prompt`); None uses the picture's name."""
        return name_from_prompt(self.prompt.toPlainText()) or None

    def save(self) -> None:
        s = self._settings
        s.engine = self.engine_name
        s.preset = self.preset.currentText()
        s.params[s.engine] = self.params.values()
        s.seed = self.seed.value()
        s.randomise_seed = self.randomise.isChecked()
        s.height_m = self.height_m.value()
        s.heights[s.engine] = s.height_m
        s.lods = self.lods.text()
        s.lod0_triangles = self.lod0.value()
        s.texture_size = int(self.texture.currentData())
        s.texture_method = str(self.texture_method.currentData())
        s.paint_steps = self.paint_steps.value()
        s.paint_resolution = self.paint_options().resolution
        s.paint_low_vram = self.paint_low_vram.isChecked()
        s.normal_map = self.normal_map.isChecked()
        s.occlusion = self.occlusion.isChecked()
        s.bake_anew = self.bake_anew.isChecked()
        save_section("generate", s)

    def _engine_model(self) -> QStandardItemModel:
        model = QStandardItemModel(self)
        for name in engine_names():
            engine = get_engine(name)
            available = engine.availability()
            item = QStandardItem(engine.label)
            item.setData(name, Qt.ItemDataRole.UserRole)
            item.setEnabled(available.ok)
            item.setToolTip(available.reason if not available.ok else engine.label)
            model.appendRow(item)
        return model

    def _texture_method_model(self) -> QStandardItemModel:
        """The texture methods; Hunyuan Paint is greyed out, saying why, when its weights are not usable."""
        from app.core.weights.paint_weights import paint_problem

        problem = paint_problem()
        model = QStandardItemModel(self)
        for method in TEXTURE_METHODS:
            item = QStandardItem(TEXTURE_METHOD_LABELS[method])
            item.setData(method, Qt.ItemDataRole.UserRole)
            unusable = method == "paint" and bool(problem)
            item.setEnabled(not unusable)
            item.setToolTip(problem if unusable else TEXTURE_METHOD_TIPS[method])
            model.appendRow(item)
        return model

    def _on_texture_method(self) -> None:
        """The paint settings matter unless the texture is projected."""
        painting = self.texture_method.currentData() != "projection"
        for widget in (self.paint_steps, self.paint_resolution, self.paint_low_vram):
            widget.setEnabled(painting)

    def _select_texture_method(self, method: str) -> None:
        index = self.texture_method.findData(method)
        model = self.texture_method.model()
        if index < 0 or not model.item(index).isEnabled():  # type: ignore[attr-defined]
            index = self.texture_method.findData("auto")
        self.texture_method.setCurrentIndex(index)

    def _restore(self) -> None:
        s = self._settings
        index = self.engine.findData(s.engine)
        model = self.engine.model()
        if index < 0 or not model.item(index).isEnabled():  # type: ignore[attr-defined]
            index = self.engine.findData("relief")
        self.engine.setCurrentIndex(max(index, 0))
        self._load_engine(self.engine_name, s.params.get(self.engine_name, {}), s.preset)
        self.seed.setValue(s.seed)
        self.randomise.setChecked(s.randomise_seed)
        self.height_m.setValue(s.heights.get(self.engine_name, s.height_m))
        self.lods.setText(s.lods)
        self.lod0.setValue(s.lod0_triangles)
        self.texture.setCurrentIndex(max(self.texture.findData(s.texture_size), 0))
        self._select_texture_method(s.texture_method)
        self.paint_steps.setValue(s.paint_steps)
        self.paint_resolution.setValue(s.paint_resolution)
        self.paint_low_vram.setChecked(s.paint_low_vram)
        self.normal_map.setChecked(s.normal_map)
        self.occlusion.setChecked(s.occlusion)
        self.bake_anew.setChecked(s.bake_anew)
        self._on_texture_method()

    def _load_engine(self, name: str, values: dict[str, Any], preset: str) -> None:
        engine = get_engine(name)
        self.params.set_specs(engine.params)
        self.params.set_values(values)
        self.preset.blockSignals(True)
        self.preset.clear()
        self.preset.addItems([*engine.presets, CUSTOM])
        self.preset.setCurrentText(preset if preset in engine.presets else self._matching_preset(engine))
        self.preset.blockSignals(False)
        self.engine_note.setText(engine.note)
        self.engine_note.setVisible(bool(self.engine_note.text()))

    def _matching_preset(self, engine: Engine) -> str:
        values = self.params.values()
        for preset_name, preset in engine.presets.items():
            if all(values.get(k) == v for k, v in preset.items()):
                return preset_name
        return CUSTOM

    def _on_engine_changed(self) -> None:
        name = self.engine_name
        self._settings.heights[self._height_engine] = self.height_m.value()
        self._height_engine = name
        self.height_m.setValue(self._settings.heights.get(name, self.height_m.value()))
        self._load_engine(name, self._settings.params.get(name, {}), "Standard")
        self.sig_engine_changed.emit(name)

    def _on_size_preset(self) -> None:
        metres = self.size_preset.currentData()
        if metres is not None:
            self.height_m.setValue(float(metres))

    def _match_size_preset(self) -> None:
        """Show the preset the height matches, or Custom."""
        index = self.size_preset.findData(self.height_m.value())
        self.size_preset.blockSignals(True)
        self.size_preset.setCurrentIndex(index if index >= 0 else self.size_preset.count() - 1)
        self.size_preset.blockSignals(False)

    def _on_preset_changed(self, preset_name: str) -> None:
        preset = self.current_engine().presets.get(preset_name)
        if preset is None:
            return
        self._applying_preset = True
        self.params.set_values(preset)
        self._applying_preset = False

    def _on_params_edited(self) -> None:
        if self._applying_preset:
            return
        self.preset.blockSignals(True)
        self.preset.setCurrentText(self._matching_preset(self.current_engine()))
        self.preset.blockSignals(False)

"""Cutout models in the model store, run by onnxruntime, with a tiny model built at test time
(tests the plumbing, not cutout quality; no real model can be downloaded here)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from cutout_tiny_model import bright_square, tiny_cutout_model
from PIL import Image

from app.core.base.errors import GenerationError, InputError
from app.core.imaging import foreground_mask, load_image
from app.core.imaging.cutout_model import model_mask
from app.core.imaging.loading import LoadedImage
from app.core.weights.catalog import cutout_models, spec
from app.core.weights.cutout_folder import import_onnx_file
from app.core.weights.licence import LICENCES, licence_text
from app.core.weights.onnx_check import OnnxProblem, check_onnx
from app.core.weights.store import ModelStore

LITE = "birefnet-lite"


def _store() -> ModelStore:
    return ModelStore(Path(os.environ["SWEEDLE_MODELS"]))


def _install(tmp_path: Path, **variant: bool) -> Path:
    model = spec(LITE)
    source = tiny_cutout_model(tmp_path / "download" / "model.onnx", **variant)
    return import_onnx_file(model, source, _store().path(model))


def _picture(rgba: np.ndarray, name: str = "square.png") -> LoadedImage:
    rgba = np.ascontiguousarray(rgba)
    rgba.setflags(write=False)
    return LoadedImage(rgba, False, "PNG", "RGB", Path(name))


def test_catalog_has_commercial_use_cutout_models_with_sizes() -> None:
    models = cutout_models()
    assert [m.id for m in models] == ["birefnet-general", "birefnet-lite"]
    for model in models:
        assert model.download_gb > 0 and model.weight_file == "model.onnx"
        assert model.files == ("onnx/model.onnx",)
        assert LICENCES[model.licence].name.startswith("MIT License")
    terms = licence_text(models[1].licence)
    assert "commercial use" in terms and "Not licensed in" not in terms


def test_imported_model_is_used_for_pictures_without_alpha(tmp_path: Path) -> None:
    folder = _install(tmp_path)
    state = _store().state(spec(LITE))
    assert state.usable and state.size_bytes > 0 and (folder / ".sweedle.json").is_file()
    mask = foreground_mask(_picture(bright_square()), _store().root)
    assert mask.method == "model:birefnet-lite" and mask.alpha.shape == (256, 256)
    truth = bright_square()[..., 0] > 0
    found = mask.alpha > 0.5
    assert np.count_nonzero(found & truth) / np.count_nonzero(found | truth) > 0.97
    assert 0.5 < mask.confidence <= 1.0


def test_alpha_comes_before_the_model(tmp_path: Path) -> None:
    _install(tmp_path)
    sample = Path(__file__).resolve().parents[3] / "shared" / "samples" / "images" / "tsr_robot.png"
    assert foreground_mask(load_image(sample), _store().root).method == "alpha"


def test_without_a_model_auto_goes_classical_and_model_mode_says_what_to_do() -> None:
    picture = _picture(bright_square())
    assert foreground_mask(picture, _store().root).method in ("border-colour", "grabcut")
    with pytest.raises(InputError, match=r"no cutout model is installed: download one in Models ▸ Models…"):
        foreground_mask(picture, _store().root, mode="model")


def test_without_onnxruntime_auto_goes_classical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install(tmp_path)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    picture = _picture(bright_square())
    assert model_mask(picture, _store().root) is None
    assert foreground_mask(picture, _store().root).method in ("border-colour", "grabcut")
    with pytest.raises(InputError, match=r"installed but onnxruntime is not: pip install -e '\.\[cutout\]'"):
        foreground_mask(picture, _store().root, mode="model")


def test_a_changed_model_file_is_checked_again_before_use(tmp_path: Path) -> None:
    folder = _install(tmp_path)
    foreground_mask(_picture(bright_square()), _store().root)
    data = (folder / "model.onnx").read_bytes()
    (folder / "model.onnx").write_bytes(data[: len(data) // 2])
    with pytest.raises(GenerationError, match=r"model\.onnx is truncated or damaged"):
        foreground_mask(_picture(bright_square()), _store().root)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("external", "keeps the data of 'scale' in another file (external data)"),
        ("custom", "uses the operator com.example.custom::Mul, a custom operator onnxruntime does not have"),
        ("truncated", "is truncated or damaged"),
        ("text", "is not an ONNX model"),
        ("empty", "is empty (0 bytes)"),
        ("training", "has a model field (20) that inference models do not have"),
    ],
)
def test_hostile_model_files_are_refused_at_import_and_never_installed(
    case: str, expected: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad" / "model.onnx"
    if case in ("external", "custom"):
        tiny_cutout_model(path, external=case == "external", custom_op=case == "custom")
    else:
        good = tiny_cutout_model(tmp_path / "good.onnx").read_bytes()
        path.parent.mkdir(parents=True)
        path.write_bytes(
            {
                "truncated": good[: len(good) - 7],
                "text": b"name: not a model\n" * 20,
                "empty": b"",
                "training": good + bytes([0xA2, 0x01, 0x00]),  # field 20, length 0
            }[case]
        )
    model = spec(LITE)
    with pytest.raises(GenerationError, match=r"^BiRefNet lite .*model\.onnx " + _escaped(expected)):
        import_onnx_file(model, path, _store().path(model))
    assert not _store().path(model).exists()
    assert not list(_store().path(model).parent.glob(".*importing"))


def test_a_model_swapped_in_the_store_is_refused_before_onnxruntime_sees_it(tmp_path: Path) -> None:
    folder = _install(tmp_path)
    tiny_cutout_model(folder / "model.onnx", external=True)
    state = _store().state(spec(LITE))
    assert state.installed and "external data" in state.problem
    with pytest.raises(GenerationError, match="external data"):
        model_mask(_picture(bright_square()), _store().root)


def test_a_pipe_or_a_link_outside_is_refused(tmp_path: Path) -> None:
    folder = _store().path(spec(LITE))
    folder.mkdir(parents=True)
    os.mkfifo(folder / "model.onnx")
    assert "is not a regular file" in _store().state(spec(LITE)).problem
    (folder / "model.onnx").unlink()
    outside = tiny_cutout_model(tmp_path / "elsewhere.onnx")
    (folder / "model.onnx").symlink_to(outside)
    assert "outside the model folder" in _store().state(spec(LITE)).problem


def test_the_checker_reads_a_real_onnx_file_and_counts_it(tmp_path: Path) -> None:
    summary = check_onnx(tiny_cutout_model(tmp_path / "m.onnx").read_bytes())
    assert summary.nodes == 2 and summary.initializers == 1 and summary.opsets == {"": 13}
    with pytest.raises(OnnxProblem):
        check_onnx(bytes([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]))


def test_import_of_an_onnx_file_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli.main import main

    source = tiny_cutout_model(tmp_path / "isnet.onnx")
    assert main(["models", "import", str(source), "--model", LITE]) == 0
    assert "imported birefnet-lite" in capsys.readouterr().out
    assert main(["models", "list"]) == 0
    listed = capsys.readouterr().out
    assert "birefnet-lite" in listed and "birefnet-general" in listed and "not installed" in listed


def test_the_mask_is_the_models_size_scaled_to_the_picture() -> None:
    rgba = np.asarray(Image.fromarray(bright_square(256)).resize((300, 180)))
    folder = tiny_cutout_model(_store().path(spec(LITE)) / "model.onnx").parent
    assert folder.is_dir()
    mask = foreground_mask(_picture(rgba), _store().root)
    assert mask.alpha.shape == (180, 300)
    assert mask.alpha[90, 150] > 0.9 and mask.alpha[5, 5] < 0.1


def _escaped(text: str) -> str:
    import re

    return re.escape(text)

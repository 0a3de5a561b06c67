"""The subject by a background-removal model from the model store, run by onnxruntime.

The first installed cutout model in catalog order is used (best first). Its file is read once,
the bytes are checked (`onnx_check`: no external data, no custom operators) and onnxruntime
builds its session from those same bytes, never from the path, so nothing can change between
the check and the load. Sessions are kept for the next picture while the file stays the same.
onnxruntime is optional (`pip install -e '.[cutout]'`); without it `auto` goes on to the
classical cutout and `--cutout model` says what to install.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from app.core.base.cancel import CancelToken
from app.core.base.errors import GenerationError, InputError
from app.core.imaging.loading import LoadedImage
from app.core.imaging.mask import MIN_VISIBLE_FRACTION, MaskResult
from app.core.weights.catalog import ModelSpec, cutout_models
from app.core.weights.cutout_folder import check_onnx_data
from app.core.weights.safe_files import Where, open_regular
from app.core.weights.store import ModelStore

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)
"""BiRefNet's input normalisation (its preprocessor config)."""
DEFAULT_SIDE = 1024
"""The input size when the model leaves it open."""
INSTALL_HINT = "pip install -e '.[cutout]'"

_log = logging.getLogger(__name__)


def installed_model(models_dir: Path | None) -> tuple[ModelSpec, Path] | None:
    """The cutout model to use and its folder, or None when none is installed."""
    if models_dir is None:
        return None
    store = ModelStore(Path(models_dir))
    for spec in cutout_models():
        if store.path(spec).is_dir():
            return spec, store.path(spec)
    return None


def model_mask(
    image: LoadedImage, models_dir: Path | None, cancel: CancelToken | None = None, required: bool = False
) -> MaskResult | None:
    """The model's mask; None (for `auto`) when no model or no onnxruntime is there, which
    `required` (the user asked for the model) turns into a message instead."""
    found = installed_model(models_dir)
    if found is None:
        if required:
            raise InputError(
                "no cutout model is installed: download one in Models ▸ Models… or with "
                f"sweedle models download {cutout_models()[-1].id}"
            )
        return None
    spec, folder = found
    try:
        import onnxruntime  # noqa: F401  # optional: imported only when a model is installed
    except ImportError:
        if required:
            raise InputError(f"{spec.label} is installed but onnxruntime is not: {INSTALL_HINT}") from None
        _log.info("onnxruntime is not installed; %s is not used (%s)", spec.id, INSTALL_HINT)
        return None
    session = load_session(spec, folder)
    if cancel is not None:
        cancel.raise_if_cancelled()
    alpha = _predict(session, np.ascontiguousarray(image.rgba[..., :3]), spec)
    if np.count_nonzero(alpha > 0.5) < MIN_VISIBLE_FRACTION * alpha.size:
        raise InputError(
            f"{image.path.name}: no subject found by {spec.label}: use --cutout classical, or give a "
            "mask with --mask FILE.png"
        )
    decided = 1.0 - float(np.mean(4.0 * alpha * (1.0 - alpha)))
    return MaskResult(alpha, f"model:{spec.id}", round(decided, 3))


def load_session(spec: ModelSpec, folder: Path) -> Any:
    """The checked model's session, re-made whenever its file changed."""
    weights = folder / spec.weight_file
    fix = f"re-import or re-download it (sweedle models download {spec.id})"
    try:
        info = os.stat(weights)
    except OSError:
        raise GenerationError(f"{spec.label}: {weights} is missing: {fix}") from None
    return _session(spec.id, str(weights), fix, (info.st_size, info.st_mtime_ns, info.st_ino))


@functools.lru_cache(maxsize=1)
def _session(model_id: str, weights: str, fix: str, identity: tuple[int, int, int]) -> Any:
    """Read, check and load in one go; `identity` (size, time, inode) makes a changed file a miss."""
    import onnxruntime

    path = Path(weights)
    where = Where(model_id, fix)
    with open_regular(path, where) as (fh, _size):
        data = fh.read()
    check_onnx_data(data, path, where)
    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.load_model_format", "ONNX")
    available = onnxruntime.get_available_providers()
    providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
    try:
        session = onnxruntime.InferenceSession(data, sess_options=options, providers=providers)
    except Exception as exc:  # onnxruntime raises its own types for a model it cannot build
        raise GenerationError(
            f"{model_id}: {path} could not be loaded by onnxruntime ({_first_line(exc)}): {fix}"
        ) from None
    inputs = session.get_inputs()
    if len(inputs) != 1 or len(inputs[0].shape) != 4 or inputs[0].shape[1] not in (3, "3"):
        raise GenerationError(f"{model_id}: {path} does not take one RGB picture as its input: {fix}")
    return session


def _predict(session: Any, rgb: np.ndarray, spec: ModelSpec) -> np.ndarray:
    height, width = rgb.shape[:2]
    shape = session.get_inputs()[0].shape
    side_h = shape[2] if isinstance(shape[2], int) else DEFAULT_SIDE
    side_w = shape[3] if isinstance(shape[3], int) else DEFAULT_SIDE
    resized = np.asarray(Image.fromarray(rgb).resize((side_w, side_h), Image.Resampling.BILINEAR), np.float32)
    tensor = ((resized / 255.0 - IMAGENET_MEAN) / IMAGENET_STD).transpose(2, 0, 1)[None].astype(np.float32)
    try:
        output = session.run(None, {session.get_inputs()[0].name: tensor})[0]
    except Exception as exc:  # a model that loads can still fail on its first run
        why = _first_line(exc)
        raise GenerationError(f"{spec.label} could not run ({why}): replace or delete it") from None
    prediction = np.asarray(output, np.float32).reshape(output.shape[-2], output.shape[-1])
    if prediction.min() < 0.0 or prediction.max() > 1.0:
        prediction = 1.0 / (1.0 + np.exp(-np.clip(prediction, -60.0, 60.0)))
    scaled = Image.fromarray(prediction.astype(np.float32)).resize((width, height), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(scaled, np.float32), 0.0, 1.0)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= 200 else line[:197] + "..."


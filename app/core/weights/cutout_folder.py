"""A cutout model in the store: one ONNX file in its folder, checked before every load and at import.

The folder is `<store>/<repo>/<subfolder>/` like every other model, holding the ONNX file the
catalog names, the manifest and any licence file. The check walks the ONNX file (`onnx_check`),
so a file that is truncated, keeps weights in another file or needs a custom operator is
refused with one line before onnxruntime sees it. A file imported by hand is checked first,
copied under a temporary name, checked again and renamed into place.
"""

from __future__ import annotations

import mmap
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from app.core.base.errors import GenerationError, InputError
from app.core.weights.catalog import ModelSpec
from app.core.weights.onnx_check import OnnxProblem, OnnxSummary, check_onnx
from app.core.weights.safe_files import Where, open_regular


@dataclass(frozen=True)
class CheckedOnnx:
    folder: Path
    weights: Path
    summary: OnnxSummary


def check_cutout_folder(spec: ModelSpec, folder: Path, fix: str) -> CheckedOnnx:
    weights = folder / spec.weight_file
    return CheckedOnnx(folder, weights, check_onnx_file(weights, Where(spec.label, fix)))


def check_onnx_file(path: Path, where: Where) -> OnnxSummary:
    """Map the file (regular files only, never through a pipe) and walk it."""
    with open_regular(path, where) as (fh, size):
        if size == 0:
            raise where.refuse(path, "is empty (0 bytes)")
        try:
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                problem, summary = _walk(mapped)
        except OSError as exc:
            raise where.refuse(path, f"cannot be read ({exc.strerror or exc})") from None
    if summary is None:
        raise where.refuse(path, problem)
    return summary


def check_onnx_data(data: bytes, path: Path, where: Where) -> OnnxSummary:
    """The same check on bytes already read (what the loader hands to onnxruntime)."""
    problem, summary = _walk(data)
    if summary is None:
        raise where.refuse(path, problem)
    return summary


def _walk(data: bytes | mmap.mmap) -> tuple[str, OnnxSummary | None]:
    """The problem in words, or the summary; the exception is dropped here so no view of a
    mapped file outlives the walk (the map could not close)."""
    try:
        return "", check_onnx(data)
    except OnnxProblem as exc:
        return str(exc), None


def import_onnx_file(spec: ModelSpec, source: Path, target: Path) -> Path:
    """Copy `source` into the empty model folder `target` as the spec's weight file, checked
    before and after the copy; returns `target`."""
    from app.core.weights.store import write_manifest

    if spec.kind != "cutout":
        raise InputError(f"{spec.id} is not a cutout model: only cutout models are imported from one file")
    source = source.expanduser()
    where = Where(spec.label, f"choose the {spec.weight_file} of {spec.repo}")
    check_onnx_file(source, where)
    if target.exists() or target.is_symlink():
        raise GenerationError(f"{spec.label} is already installed in {target}: remove it first")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.importing")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir()
        shutil.copyfile(source, staging / spec.weight_file)
        check_onnx_file(staging / spec.weight_file, Where(spec.label, "check the disk and import it again"))
        write_manifest(staging, revision="local", source=str(source), mode="copy")
        os.replace(staging, target)
    except OSError as exc:
        raise GenerationError(
            f"{spec.label} could not be copied from {source} into {target.parent} "
            f"({exc.strerror or exc}): check the disk space and permissions"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target

"""The model store on disk: which models are installed, how big, from which revision, and are they whole.

Layout is hy3dgen's own (`HY3DGEN_MODELS`): `<store>/<repo>/<subfolder>/config.yaml` plus the
weight file, so hy3dgen resolves a local model without the hub. A `.sweedle.json` beside the
files records where it came from (revision, source). Verification is cheap and runs before every
load: the config parses and targets hy3dgen, and each safetensors file's header and length agree,
which catches truncated downloads and damaged copies before torch reads a byte.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from app.core.errors import GenerationError
from app.core.models.catalog import CATALOG, ModelSpec
from app.core.paths import models_dir

MANIFEST = ".sweedle.json"
_SHAPE_SECTIONS = ("model", "vae", "conditioner", "scheduler", "image_processor")


@dataclass(frozen=True)
class ModelState:
    spec: ModelSpec
    path: Path
    installed: bool
    size_bytes: int = 0
    revision: str = ""
    problem: str = ""
    """Why an installed-looking folder cannot be used; empty when it can."""

    @property
    def usable(self) -> bool:
        return self.installed and not self.problem


class ModelStore:
    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else models_dir()

    def path(self, spec: ModelSpec) -> Path:
        return self.root / spec.relative_dir

    def states(self) -> list[ModelState]:
        return [self.state(spec) for spec in CATALOG]

    def state(self, spec: ModelSpec) -> ModelState:
        folder = self.path(spec)
        if not folder.exists():
            return ModelState(spec, folder, installed=False)
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        revision = str(read_manifest(folder).get("revision", ""))
        try:
            self.verify(spec)
            problem = ""
        except GenerationError as exc:
            problem = str(exc)
        return ModelState(spec, folder, True, size, revision, problem)

    def verify(self, spec: ModelSpec) -> Path:
        """The folder to load from, or a GenerationError that says what is wrong and what to do."""
        folder = self.path(spec)
        if not folder.is_dir():
            raise GenerationError(
                f"{spec.label} is not installed in {self.root}: download it (sweedle models download "
                f"{spec.id}) or import a folder that has it (sweedle models import PATH)"
            )
        return verify_folder(spec, folder)

    def weight_path(self, spec: ModelSpec) -> Path:
        return weight_path(spec, self.path(spec))


def verify_folder(spec: ModelSpec, folder: Path) -> Path:
    """`folder` if it holds a whole, loadable copy of `spec`; else a GenerationError saying what to do."""
    fix = f"re-import or re-download it (sweedle models download {spec.id})"
    if spec.kind == "text2image":
        if not (folder / "model_index.json").is_file():
            raise GenerationError(f"{spec.label} in {folder} has no model_index.json: {fix}")
        for weights in folder.rglob("*.safetensors"):
            check_safetensors(weights, fix)
        return folder
    config = folder / "config.yaml"
    if not config.is_file():
        raise GenerationError(f"{spec.label}: {config} is missing: {fix}")
    try:
        parsed = yaml.safe_load(config.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise GenerationError(f"{spec.label}: {config} is not valid YAML ({exc}): {fix}") from None
    _check_config(spec, parsed, config, fix)
    check_safetensors(weight_path(spec, folder), fix)
    return folder


def weight_path(spec: ModelSpec, folder: Path) -> Path:
    """`model.fp16.safetensors` (what Tencent publishes), else `model.safetensors`."""
    fp16 = folder / spec.weight_file
    plain = folder / "model.safetensors"
    return plain if not fp16.exists() and plain.exists() else fp16


def _check_config(spec: ModelSpec, parsed: Any, config: Path, fix: str) -> None:
    if not isinstance(parsed, dict):
        raise GenerationError(f"{spec.label}: {config} does not hold a model configuration: {fix}")
    if "hy3dshape" in json.dumps(parsed, default=str):
        raise GenerationError(
            f"{spec.label}: {config} is a Hunyuan3D-2.1 configuration, which hy3dgen 2.0.2 cannot load; "
            "use a Hunyuan3D-2 / 2mini / 2mv model"
        )
    sections = _SHAPE_SECTIONS if spec.kind == "shape" else ("params",)
    missing = [name for name in sections if name not in parsed]
    if missing:
        raise GenerationError(f"{spec.label}: {config} lacks {', '.join(missing)}: {fix}")


def check_safetensors(path: Path, fix: str) -> None:
    """Header parses and the file is exactly as long as the tensors it declares."""
    if not path.is_file():
        raise GenerationError(f"the weight file {path} is missing: {fix}")
    size = path.stat().st_size
    try:
        with path.open("rb") as fh:
            (header_len,) = struct.unpack("<Q", fh.read(8))
            if header_len <= 0 or header_len > min(size - 8, 100_000_000):
                raise ValueError("bad header length")
            header = json.loads(fh.read(header_len))
        ends = [int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"]
    except (struct.error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise GenerationError(
            f"the weight file {path} is damaged (not a valid safetensors file): {fix}"
        ) from None
    expected = 8 + header_len + max(ends, default=0)
    if size != expected:
        raise GenerationError(
            f"the weight file {path} is incomplete or damaged ({size:,} bytes, expected {expected:,}): {fix}"
        )


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_manifest(folder: Path, **fields: Any) -> None:
    from app.core.formats.atomic import atomic_write_bytes

    atomic_write_bytes(folder / MANIFEST, json.dumps(fields, indent=2).encode())

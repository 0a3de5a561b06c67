"""The model store on disk: which models are installed, how big, from which revision, and are they whole.

Layout is hy3dgen's own (`HY3DGEN_MODELS`): `<store>/<repo>/<subfolder>/config.yaml` plus the
weight file, so hy3dgen resolves a local model without the hub. A `.sweedle.json` beside the
files records where it came from (revision, source). Checking is cheap and runs at import, for
the Models dialog and again right before every load: no file links outside the folder, the
config names only the classes and settings the allow-list gives the variant (so a shared folder
cannot make Sweedle run code), and each safetensors file's header and length agree, which
catches truncated downloads and damaged copies before torch reads a byte. Pickle weight files
(`.ckpt`, `.bin`) are never read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.base.errors import GenerationError
from app.core.paths import models_dir
from app.core.weights.allowlist import (
    DELIGHT_LAYOUT,
    DIT_LAYOUT,
    PAINT_LAYOUT,
    PICKLE_SUFFIXES,
    DiffusersLayout,
)
from app.core.weights.catalog import CATALOG, ModelSpec
from app.core.weights.cutout_folder import CheckedOnnx, check_cutout_folder
from app.core.weights.diffusers_folder import CheckedDiffusers, check_diffusers_folder
from app.core.weights.safe_files import Where, scan_folder
from app.core.weights.safetensors_check import check_safetensors
from app.core.weights.shape_config import Part, read_parts

MANIFEST = ".sweedle.json"
DIFFUSERS_LAYOUTS: dict[str, DiffusersLayout] = {
    "text2image": DIT_LAYOUT,
    "delight": DELIGHT_LAYOUT,
    "paint": PAINT_LAYOUT,
}
"""Model kinds kept as diffusers folders, and what each folder may hold."""


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
        try:
            size = scan_folder(folder, Where(spec.label, "")).size_bytes
        except GenerationError:
            size = 0
        revision = str(read_manifest(folder).get("revision", ""))
        try:
            self.verify(spec)
            problem = ""
        except GenerationError as exc:
            problem = str(exc)
        return ModelState(spec, folder, True, size, revision, problem)

    def verify(self, spec: ModelSpec) -> Path:
        """The folder to load from, or a GenerationError that says what is wrong and what to do."""
        self.check(spec)
        return self.path(spec)

    def check(self, spec: ModelSpec) -> CheckedWeights | CheckedDiffusers | CheckedOnnx:
        """What to load, checked now: loaders call this right before loading, never trusting an
        earlier check (the folder may have changed since)."""
        folder = self.path(spec)
        if not folder.is_dir():
            raise GenerationError(
                f"{spec.label} is not installed in {self.root}: download it (sweedle models download "
                f"{spec.id}) or import a folder that has it (sweedle models import PATH)"
            )
        return check_folder(spec, folder)

    def weight_path(self, spec: ModelSpec) -> Path:
        return weight_path(spec, self.path(spec))


@dataclass(frozen=True)
class CheckedWeights:
    """A shape variant or VAE folder that passed every check; the loader builds exactly this."""

    folder: Path
    weights: Path
    parts: Mapping[str, Part]
    """Section name to checked class and settings; a VAE folder has the one part "vae"."""


def verify_folder(spec: ModelSpec, folder: Path) -> Path:
    """`folder` if it holds a whole, loadable copy of `spec`; else a GenerationError saying what to do."""
    check_folder(spec, folder)
    return folder


def check_folder(spec: ModelSpec, folder: Path) -> CheckedWeights | CheckedDiffusers | CheckedOnnx:
    """Every check, in one pass over what the loader will read: files, config, weights."""
    fix = f"re-import or re-download it (sweedle models download {spec.id})"
    scan_folder(folder, Where(spec.label, fix))
    layout = DIFFUSERS_LAYOUTS.get(spec.kind)
    if layout is not None:
        return check_diffusers_folder(spec, folder, fix, layout)
    if spec.kind == "cutout":
        return check_cutout_folder(spec, folder, fix)
    config = folder / "config.yaml"
    if not os.path.lexists(config):
        raise GenerationError(f"{spec.label}: {config} is missing: {fix}")
    parts = read_parts(spec, config, fix)
    weights = weight_path(spec, folder)
    if not os.path.lexists(weights):
        pickles = sorted(p.name for p in folder.iterdir() if p.name.endswith(PICKLE_SUFFIXES))
        if pickles:
            raise GenerationError(
                f"{spec.label}: {folder} has no {weights.name}, only {pickles[0]}, a pickle file Sweedle "
                f"never loads (it could run code): {fix}"
            )
    check_safetensors(weights, fix)
    return CheckedWeights(folder, weights, parts)


def weight_path(spec: ModelSpec, folder: Path) -> Path:
    """`model.fp16.safetensors` (what Tencent publishes), else `model.safetensors`."""
    fp16 = folder / spec.weight_file
    plain = folder / "model.safetensors"
    return plain if not os.path.lexists(fp16) and os.path.lexists(plain) else fp16


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_manifest(folder: Path, **fields: Any) -> None:
    from app.core.base.atomic import atomic_write_bytes

    atomic_write_bytes(folder / MANIFEST, json.dumps(fields, indent=2).encode())

"""Bring models the user already has into the store, by copy or by symbolic link.

Recognised sources: a hy3dgen cache (`~/.cache/hy3dgen`, holding `tencent/Hunyuan3D-2/...`), a
Hugging Face snapshot of one repo (holding `hunyuan3d-dit-v2-0/...`), a Hugging Face hub cache
(`models--tencent--Hunyuan3D-2/snapshots/<revision>/...`, the revision is recorded), or one model
folder itself. Each model is checked in place before anything is written (links, allow-listed
config, whole safetensors); a copy, without pickle weight files, goes to a temporary folder, is
checked again there and renamed into place, so a failed copy leaves nothing half-imported.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from app.core.base.errors import GenerationError, InputError
from app.core.weights.allowlist import PICKLE_SUFFIXES
from app.core.weights.catalog import CATALOG, ModelSpec
from app.core.weights.store import ModelStore, verify_folder, write_manifest

_PICKLES = shutil.ignore_patterns(*(f"*{suffix}" for suffix in PICKLE_SUFFIXES))
"""Pickle weight files (`model.fp16.ckpt` beside the safetensors in a hy3dgen cache) are never
read, so a copy leaves them out."""


@dataclass(frozen=True)
class Found:
    spec: ModelSpec
    folder: Path
    revision: str


def find_models(source: Path) -> list[Found]:
    source = source.expanduser()
    if not source.is_dir():
        raise InputError(f"{source} is not a folder")
    found: dict[str, Found] = {}
    for root, revision in _candidate_roots(source):
        for spec in CATALOG:
            if spec.id in found or not spec.subfolder:
                continue
            marker = "model_index.json" if spec.diffusers else "config.yaml"
            for folder in (root / spec.relative_dir, root / spec.subfolder, root):
                if folder.name == spec.subfolder and os.path.lexists(folder / marker):
                    found[spec.id] = Found(spec, folder, revision)
                    break
    return list(found.values())


def _candidate_roots(source: Path) -> list[tuple[Path, str]]:
    """The folder itself, and each snapshot of a hub cache in or at it (named by its revision)."""
    roots = [(source, "")]
    hub_dirs = [source] if source.name.startswith("models--") else sorted(source.glob("models--*"))
    for hub in hub_dirs:
        roots += [(snapshot, snapshot.name) for snapshot in sorted((hub / "snapshots").glob("*"))]
    return roots


def import_models(source: Path, store: ModelStore, link: bool = False) -> list[Found]:
    """Verify and import every known model under `source`; returns what was imported."""
    found = find_models(source)
    if not found:
        raise InputError(
            f"no Hunyuan3D-2 model found in {source}: point at a hy3dgen cache (~/.cache/hy3dgen), a "
            "Hugging Face snapshot of tencent/Hunyuan3D-2 (or 2mini / 2mv), or one model folder"
        )
    for item in found:
        verify_folder(item.spec, item.folder)
    imported = []
    for item in found:
        target = store.path(item.spec)
        if target.exists() or target.is_symlink():
            raise GenerationError(f"{item.spec.label} is already installed in {target}: remove it first")
        target.parent.mkdir(parents=True, exist_ok=True)
        if link:
            os.symlink(item.folder.resolve(), target, target_is_directory=True)
        else:
            tmp = target.with_name(f".{target.name}.importing")
            shutil.rmtree(tmp, ignore_errors=True)
            try:
                shutil.copytree(item.folder, tmp, symlinks=False, ignore=_PICKLES)
                verify_folder(item.spec, tmp)  # the copy is what loads: check it, not only the source
                write_manifest(tmp, revision=item.revision or "local", source=str(item.folder), mode="copy")
                os.replace(tmp, target)
            except (OSError, shutil.Error) as exc:
                shutil.rmtree(tmp, ignore_errors=True)
                raise GenerationError(
                    f"{item.spec.label} could not be copied from {item.folder} into {target.parent} "
                    f"({_first_problem(exc)}): check the disk space and permissions, or import with --link"
                ) from None
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        store.verify(item.spec)
        imported.append(item)
    return imported


def _first_problem(exc: BaseException) -> str:
    """shutil.Error carries a list of (source, destination, reason); one line is enough."""
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        return str(exc.args[0][0][-1])
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__

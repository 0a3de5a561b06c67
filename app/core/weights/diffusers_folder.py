"""Diffusers model folders (HunyuanDiT, the Hunyuan3D-2 delight and paint models), checked, and
staged for loading.

diffusers picks every component's class from the names in model_index.json (a library name it
does not know makes it import `<component>/<library>.py` from the folder), and diffusers and
transformers act on keys in the component configs (`auto_map` imports code from the folder,
`quantization_config` loads through another library) and fall back to pickle weights when the
safetensors file is absent. So model_index.json must name exactly the classes its model uses (the
layout tables in `allowlist`), each config names its own class and none of those keys, and each
weighted component has its safetensors file. The loader then reads a private staging folder
holding the checked bytes of every config and links to the checked weights and vocabularies (or
builds the parts itself from the same record), and nothing else: no pickle file to fall back to,
no code to import, and no config that changed after it was checked.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.base.errors import GenerationError
from app.core.weights import allowlist
from app.core.weights.catalog import ModelSpec
from app.core.weights.safe_files import Where, load_json, show
from app.core.weights.safetensors_check import check_safetensors


@dataclass(frozen=True)
class StagedFile:
    relative: str
    """Where the loader finds it, relative to the staging folder."""
    data: bytes | None = None
    """The checked bytes of a config, written as they were read."""
    source: Path | None = None
    """The resolved weight or vocabulary file the staging folder links to."""


@dataclass(frozen=True)
class CheckedDiffusers:
    folder: Path
    files: tuple[StagedFile, ...]

    def config(self, relative: str) -> dict[str, Any]:
        """A checked config, parsed from the bytes that were checked."""
        data = next(f.data for f in self.files if f.relative == relative and f.data is not None)
        parsed = json.loads(data)
        assert isinstance(parsed, dict), relative
        return parsed

    def weights(self, component: str) -> list[Path]:
        """The checked safetensors files of `component` (one, or the shards of a sharded index)."""
        return [
            f.source
            for f in self.files
            if f.source is not None
            and f.relative.startswith(f"{component}/")
            and f.relative.endswith(".safetensors")
        ]

    def stage(self, dest: Path) -> None:
        """Fill the empty folder `dest` with what the loader may read."""
        for item in self.files:
            target = dest / item.relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if item.data is not None:
                target.write_bytes(item.data)
            elif item.source is not None:
                _place(item.source, target)


def _place(source: Path, target: Path) -> None:
    """A link where the system allows one (Windows often refuses symbolic links), else a copy."""
    try:
        os.symlink(source, target)
    except OSError:
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)


def check_diffusers_folder(
    spec: ModelSpec, folder: Path, fix: str, layout: allowlist.DiffusersLayout
) -> CheckedDiffusers:
    where = Where(spec.label, fix)
    index_path = folder / "model_index.json"
    if not os.path.lexists(index_path):
        raise GenerationError(f"{spec.label} in {folder} has no model_index.json: {fix}")
    index, raw = _config(index_path, where)
    _check_index(index, index_path, where, layout)
    files = [StagedFile("model_index.json", data=raw)]
    for name in layout.components:
        if name in index:
            files += _component(name, folder / name, where, layout)
    return CheckedDiffusers(folder, tuple(files))


def _config(path: Path, where: Where) -> tuple[dict[str, Any], bytes]:
    parsed, raw = load_json(path, where)
    if not isinstance(parsed, dict):
        raise where.refuse(path, "does not hold a configuration table")
    stack: list[Any] = [parsed]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in allowlist.LIBRARY_CODE_KEYS:
                    raise where.refuse(
                        path, f"sets {key}, which {allowlist.DANGEROUS_KEYS[key]}; Sweedle refuses it"
                    )
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return parsed, raw


def _check_index(index: dict[str, Any], path: Path, where: Where, layout: allowlist.DiffusersLayout) -> None:
    if index.get("_class_name") != layout.pipeline:
        raise where.refuse(
            path, f"names the pipeline {show(index.get('_class_name'))}; this model is a {layout.pipeline}"
        )
    for key, value in index.items():
        if key in layout.index_fields:
            continue
        if key in layout.empty or (key in layout.unread and value == [None, None]):
            if value != [None, None]:
                raise where.refuse(
                    path, f"gives {key} the class {show(value)}; {layout.model} leaves it empty"
                )
            continue
        if key not in layout.components and key not in layout.unread:
            raise where.refuse(path, f"names the component {show(key)}, which {layout.model} does not have")
        library, classes = layout.components.get(key) or layout.unread[key]
        if not (isinstance(value, list) and len(value) == 2 and value[0] == library and value[1] in classes):
            raise where.refuse(
                path,
                f"names {show(value)} for {key}, which is not a class this model uses ({library}: "
                f"{', '.join(sorted(classes))}); a model folder cannot make Sweedle import other code",
            )
    missing = [name for name in layout.components if name not in index and name not in layout.optional]
    if missing:
        raise where.refuse(path, f"lacks {', '.join(missing)}")


def _component(name: str, folder: Path, where: Where, layout: allowlist.DiffusersLayout) -> list[StagedFile]:
    if not folder.is_dir():
        raise where.refuse(folder, "is missing")
    files = []
    config_name, field, classes = layout.config_class[name]
    config_path = folder / config_name
    if os.path.lexists(config_path) or name in layout.required_configs:
        config, raw = _config(config_path, where)
        value = config.get(field)
        if (value is not None or name in layout.required_configs) and value not in classes:
            raise where.refuse(
                config_path,
                f"names {show(value)} as its {field}; this model uses {', '.join(sorted(classes))}",
            )
        files.append(StagedFile(f"{name}/{config_name}", data=raw))
    if name in layout.weights:
        files += _weights(name, folder, where, layout.weights[name])
    for entry in sorted(os.listdir(folder)):
        path = folder / entry
        staged = f"{name}/{entry}"
        if any(f.relative == staged for f in files) or not entry.endswith(allowlist.DATA_SUFFIXES):
            continue
        if not path.is_file():
            continue
        if entry.endswith(("config.json", "special_tokens_map.json")):
            files.append(StagedFile(staged, data=_config(path, where)[1]))
        else:
            files.append(StagedFile(staged, source=Path(os.path.realpath(path))))
    return files


def _weights(name: str, folder: Path, where: Where, weight_name: str) -> list[StagedFile]:
    """The component's safetensors file, or a sharded index and its shards, all checked."""
    single = folder / weight_name
    index_path = folder / f"{weight_name}.index.json"
    if os.path.lexists(single):
        check_safetensors(single, where.fix)
        return [StagedFile(f"{name}/{weight_name}", source=Path(os.path.realpath(single)))]
    if os.path.lexists(index_path):
        index, raw = _config(index_path, where)
        shards = index.get("weight_map")
        if not isinstance(shards, dict) or not shards:
            raise where.refuse(index_path, "has no weight_map")
        files = [StagedFile(f"{name}/{index_path.name}", data=raw)]
        for shard in sorted(set(shards.values())):
            if not (isinstance(shard, str) and shard.endswith(".safetensors") and shard == Path(shard).name):
                raise where.refuse(
                    index_path, f"names the weight file {show(shard)}; only safetensors files beside it load"
                )
            check_safetensors(folder / shard, where.fix)
            files.append(StagedFile(f"{name}/{shard}", source=Path(os.path.realpath(folder / shard))))
        return files
    pickles = sorted(p.name for p in folder.iterdir() if p.name.endswith(allowlist.PICKLE_SUFFIXES))
    only = f" (only {pickles[0]}, a pickle file Sweedle never loads: it could run code)" if pickles else ""
    raise where.refuse(folder, f"has no {weight_name}{only}")

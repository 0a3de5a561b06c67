"""A Hunyuan3D-2 config.yaml, checked against the allow-list and turned into plain settings per part.

hy3dgen would import whatever `target:` names and pass every setting on; here each section must
name one of the classes its variant uses, every setting must be one that class takes (so
`ckpt_path`, which makes hy3dgen call `torch.load`, never passes), values are plain numbers,
text or short lists, and a `target:` anywhere else in the file is refused. The loader builds the
parts from the returned record, so what is loaded is exactly what was checked.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.base.errors import GenerationError
from app.core.weights import allowlist
from app.core.weights.catalog import ModelSpec
from app.core.weights.safe_files import Where, load_yaml, show

NUMBER_LIMIT = 10_000_000
"""Largest number a setting may hold; published configs stay below 100,000."""
LIST_LIMIT = 16


@dataclass(frozen=True)
class Part:
    """One hy3dgen part: a class named in the allow-list and the checked keyword arguments for it."""

    target: str
    params: Mapping[str, Any]


def read_parts(spec: ModelSpec, config: Path, fix: str) -> dict[str, Part]:
    """The checked parts of a shape variant (`model`, `vae`, ...) or of a VAE folder (`vae` alone)."""
    where = Where(spec.label, fix)
    parsed = load_yaml(config, where)
    if not isinstance(parsed, dict):
        raise where.refuse(config, "does not hold a model configuration")
    targets = list(_targets(parsed, ""))
    if any(isinstance(value, str) and value.startswith("hy3dshape") for _, value in targets):
        raise GenerationError(
            f"{spec.label}: {config} is a Hunyuan3D-2.1 configuration, which hy3dgen 2.0.2 cannot load; "
            "use a Hunyuan3D-2 / 2mini / 2mv model"
        )
    check = _Checker(where, config)
    if spec.kind == "vae":
        check.stray_targets(targets, {"target"})
        return {"vae": check.part(parsed, "", {allowlist.SHAPE_VAE: allowlist.VAE_PARAMS}, spec.multiview)}
    sections = allowlist.shape_parts(spec.multiview)
    check.stray_targets(targets, {f"{name}.target" for name in sections})
    missing = [name for name in allowlist.SHAPE_SECTIONS if name not in parsed]
    if missing:
        raise where.refuse(config, f"lacks {', '.join(missing)}")
    unknown = [key for key in parsed if key not in sections]
    if unknown:
        raise where.refuse(
            config, f"has the unknown section {show(unknown[0])}; Sweedle reads only {_listed(sections)}"
        )
    return {name: check.part(parsed[name], f"{name}.", sections[name], spec.multiview) for name in sections}


def _targets(node: Any, at: str) -> Iterator[tuple[str, Any]]:
    """Every `target:` in the file, with where it is, however deep."""
    stack = [(node, at)]
    while stack:
        current, path = stack.pop()
        if isinstance(current, dict):
            for key, value in current.items():
                if key == "target":
                    yield f"{path}target", value
                stack.append((value, f"{path}{key}."))
        elif isinstance(current, list):
            stack.extend((value, f"{path}{i}.") for i, value in enumerate(current))


def _listed(names: Any) -> str:
    return ", ".join(sorted(names))


class _Checker:
    def __init__(self, where: Where, config: Path) -> None:
        self.where = where
        self.config = config

    def refuse(self, reason: str) -> GenerationError:
        return self.where.refuse(self.config, reason)

    def stray_targets(self, targets: list[tuple[str, Any]], places: set[str]) -> None:
        for at, value in targets:
            if at not in places:
                raise self.refuse(
                    f"names the class {show(value)} at {at}, where no class is expected; a model folder "
                    "cannot make Sweedle import other code"
                )

    def part(self, node: Any, at: str, classes: Mapping[str, frozenset[str]], multiview: bool) -> Part:
        if not isinstance(node, dict):
            raise self.refuse(f"has no settings table at {at.rstrip('.') or 'the top'}")
        extra = [key for key in node if key not in ("target", "params")]
        if extra:
            raise self.refuse(f"has the unknown key {show(extra[0])} at {at.rstrip('.') or 'the top'}")
        target = node.get("target")
        if target not in classes:
            raise self.refuse(
                f"names {show(target)} as {at}target, which is not a class this model uses "
                f"({_listed(classes)}); a model folder cannot make Sweedle import other code"
            )
        params = node.get("params", {})
        if not isinstance(params, dict):
            raise self.refuse(f"has {at}params that are not a settings table")
        self.keys(params, classes[target], f"{at}params.", target)
        checked = {}
        for key, value in params.items():
            if key == "main_image_encoder":
                checked[key] = self.image_encoder(value, f"{at}params.{key}.", multiview)
            else:
                checked[key] = self.value(value, f"{at}params.{key}")
        return Part(target, checked)

    def keys(self, table: dict[Any, Any], allowed: frozenset[str], at: str, owner: str) -> None:
        for key in table:
            if key in allowlist.DANGEROUS_KEYS:
                raise self.refuse(
                    f"sets {at}{key}, which {allowlist.DANGEROUS_KEYS[key]}; Sweedle refuses it"
                )
            if key not in allowed:
                raise self.refuse(f"sets {at}{show(key)}, which is not a setting of {owner}")

    def image_encoder(self, node: Any, at: str, multiview: bool) -> dict[str, Any]:
        expected = allowlist.image_encoder(multiview)
        if not isinstance(node, dict):
            raise self.refuse(f"has no image encoder settings at {at.rstrip('.')}")
        self.keys(node, frozenset({"type", "kwargs"}), at, "the image encoder")
        if node.get("type") != expected:
            raise self.refuse(
                f"names the image encoder {show(node.get('type'))} at {at}type; this model uses {expected}"
            )
        kwargs = node.get("kwargs", {})
        if not isinstance(kwargs, dict) or not isinstance(kwargs.get("config"), dict):
            raise self.refuse(
                f"gives no encoder config at {at}kwargs.config (without one hy3dgen fetches a model by name)"
            )
        self.keys(kwargs, allowlist.IMAGE_ENCODERS[expected], f"{at}kwargs.", expected)
        dino = kwargs["config"]
        self.keys(dino, allowlist.DINO_CONFIG_KEYS, f"{at}kwargs.config.", "the DINOv2 image encoder")
        for key, choices in allowlist.DINO_CONFIG_CHOICES.items():
            if key in dino and dino[key] not in choices:
                raise self.refuse(f"sets {at}kwargs.config.{key} to {show(dino[key])}, not one of {choices}")
        config = {key: self.value(value, f"{at}kwargs.config.{key}") for key, value in dino.items()}
        checked = {
            key: self.value(value, f"{at}kwargs.{key}") for key, value in kwargs.items() if key != "config"
        }
        return {"type": expected, "kwargs": {**checked, "config": config}}

    def value(self, value: Any, at: str) -> Any:
        if isinstance(value, list):
            if len(value) > LIST_LIMIT:
                raise self.refuse(f"has a list of {len(value)} items at {at}, longer than any setting")
            return [self.scalar(item, at) for item in value]
        return self.scalar(value, at)

    def scalar(self, value: Any, at: str) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            if not math.isfinite(value) or abs(value) > NUMBER_LIMIT:
                raise self.refuse(f"sets {at} to {show(value)}, out of range for any setting")
            return value
        if isinstance(value, str) and len(value) <= 64 and value.isprintable():
            return value
        raise self.refuse(f"sets {at} to {show(value)}, which is not a number, a word or a short list")

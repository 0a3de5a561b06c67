"""The engines this build knows, by name; the CLI and GUI list them from here."""

from __future__ import annotations

from app.core.base.errors import InputError
from app.core.generation.engines.base import Engine
from app.core.generation.engines.hunyuan import HunyuanEngine
from app.core.generation.engines.relief import ReliefEngine

_ENGINES: dict[str, Engine] = {"relief": ReliefEngine(), "hunyuan": HunyuanEngine()}


def engine_names() -> list[str]:
    return list(_ENGINES)


def get_engine(name: str) -> Engine:
    try:
        return _ENGINES[name]
    except KeyError:
        raise InputError(f"unknown engine {name!r}; available: {', '.join(_ENGINES)}") from None

"""A generation request as JSON, for the queue's database row and for the trip to a farm worker.

Every field of `GenerationRequest` is written, whatever fields it grows, and read back by its
type hint (paths, LOD targets, nested option records); a field missing from an older row takes
its default and an unknown one is ignored. The request is rebuilt through its own constructor,
so a row edited by hand is checked like any other input and fails its job with a one-line message.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from pathlib import Path
from typing import Any

from app.core.base.errors import InputError
from app.core.generation.request import GenerationRequest


def request_to_json(request: GenerationRequest) -> dict[str, Any]:
    encoded = _encode(request)
    assert isinstance(encoded, dict)
    return encoded


def request_from_json(data: dict[str, Any]) -> GenerationRequest:
    """The request `data` describes; InputError naming what is wrong when it is not one."""
    try:
        request = _decode(GenerationRequest, data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(
            f"the queued request is damaged ({type(exc).__name__}: {exc}); remove the job"
        ) from None
    for target in request.lods:
        if not (target.fraction is not None and 0.0 < target.fraction < 1.0) and not (
            target.triangles is not None and target.triangles >= 4
        ):
            raise InputError(f"the queued LOD target {target} is not valid; remove the job")
    return request


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _encode(item) for key, item in value.items()}
    return value


def _decode(hint: Any, data: Any) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _decode(inner, data)
    if hint is Path:
        return Path(_typed(data, str))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        fields = _hints(hint)
        given = _typed(data, dict)
        return hint(**{name: _decode(fields[name], given[name]) for name in fields if name in given})
    if origin is tuple:
        return tuple(_decode(args[0], item) for item in _typed(data, list))
    if origin is dict:
        return {str(key): _decode(args[1], item) for key, item in _typed(data, dict).items()}
    if hint in (int, float, str, bool):
        if hint is float and isinstance(data, int) and not isinstance(data, bool):
            return float(data)
        return _typed(data, hint)
    return data  # Any: engine parameters, checked by the engine


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.init}


def _typed(data: Any, kind: type) -> Any:
    if not isinstance(data, kind) or (kind is int and isinstance(data, bool)):
        raise TypeError(f"{data!r} is not a {kind.__name__}")
    return data

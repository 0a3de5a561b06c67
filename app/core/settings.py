"""Typed settings, one section per feature, kept as one versioned JSON file in the config dir.

Each feature owns a dataclass and reads it with `load_section`. Every saved value is checked on
read against its field's type and the limits declared with `setting(...)` (range, choices, length,
a predicate): a hand-edited or damaged value never reaches a widget. A bad value falls back to
that field's default with one warning naming the key, and the rest of the section is kept;
unknown keys (from a newer or older build) are ignored. A file that cannot be parsed at all is
set aside (renamed) rather than overwritten silently, so a user can recover hand edits.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import hashlib
import json
import logging
import math
import stat
import threading
import time
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from app.core.base.atomic import atomic_write_bytes
from app.core.base.disk_errors import WriteError, disk_error_message
from app.core.paths import config_dir

SETTINGS_VERSION = 1
MAX_FILE_BYTES = 4 * 2**20
"""A settings file is a few kilobytes; anything this large is not ours and is set aside."""
MAX_TEXT = 10_000
"""Longest string a field takes unless its `setting(max_length=...)` says otherwise."""
MAX_ITEMS = 1_000
"""Most entries a list or dict field takes."""
INT_RANGE = (-(2**31), 2**31 - 1)
"""Range of an int field without its own: what every Qt widget can hold."""
_MAX_DIGITS = 40
"""Longer integers in the file are not parsed (Python refuses very long ones, which would make
the whole file unreadable for one bad value)."""

log = logging.getLogger(__name__)
T = TypeVar("T")
_lock = threading.Lock()


def settings_path() -> Path:
    return config_dir() / "settings.json"


def setting(
    default: Any = dataclasses.MISSING,
    *,
    default_factory: Callable[[], Any] | Any = dataclasses.MISSING,
    minimum: float | None = None,
    maximum: float | None = None,
    choices: tuple[Any, ...] | None = None,
    max_length: int = MAX_TEXT,
    check: Callable[[Any], bool] | None = None,
) -> Any:
    """A settings dataclass field with the limits `load_section` enforces on the saved value."""
    limits = _Limits(minimum, maximum, choices, max_length, check)
    return dataclasses.field(default=default, default_factory=default_factory, metadata={_LIMITS: limits})


def load_section(name: str, cls: type[T]) -> T:
    """The saved section `name` as a `cls` dataclass: each valid saved value, the default for
    every field that is missing or fails its check (with one warning naming the key)."""
    with _lock:
        raw = _read().get(name)
    if raw is None:
        return cls()
    if not isinstance(raw, dict):
        log.warning("settings section %r is not an object; using its defaults", name)
        return cls()
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in raw:
            continue
        limits = f.metadata.get(_LIMITS, _Limits())
        problem = _problem(raw[f.name], hints[f.name], limits)
        if problem is None:
            values[f.name] = raw[f.name]
        else:
            log.warning("settings: %s.%s %s; using its default", name, f.name, problem)
    return cls(**values)


def save_section(name: str, value: Any) -> None:
    """Replace section `name` with the dataclass `value` (atomically, keeping other sections).
    A disk that refuses the write costs only the remembered values, so it is logged, not raised:
    a full disk must not stop a generation or an export."""
    with _lock:
        data = _read()
        data[name] = dataclasses.asdict(value)
        path = settings_path()
        payload = {"version": SETTINGS_VERSION, "sections": data}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, json.dumps(payload, indent=2, sort_keys=True).encode())
        except OSError as exc:
            log.warning(
                "settings not saved: %s",
                exc if isinstance(exc, WriteError) else disk_error_message(path, exc),
            )


def seal(data: bytes) -> str:
    """`data` as text with its digest, for blobs only the app writes (a window layout)."""
    return f"{_digest(data)}:{base64.b64encode(data).decode('ascii')}"


def unseal(text: str) -> bytes | None:
    """The bytes `seal` made, or None when `text` was damaged or edited since. Qt's
    restoreState crashes the process on some damaged layouts, so only intact ones reach it."""
    digest, _, encoded = text.partition(":")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if digest == _digest(data) else None


def is_sealed(text: str) -> bool:
    """For `setting(check=...)`: an empty value or an intact `seal`."""
    return text == "" or unseal(text) is not None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


_LIMITS = "sweedle_setting"


@dataclasses.dataclass(frozen=True)
class _Limits:
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    max_length: int = MAX_TEXT
    check: Callable[[Any], bool] | None = None


def _problem(value: Any, hint: Any, limits: _Limits) -> str | None:
    """Why `value` does not fit the field (type `hint`, `limits`), or None when it does."""
    problem = _type_problem(value, hint, limits.max_length)
    if problem is not None:
        return problem
    if limits.choices is not None and value not in limits.choices:
        return f"is {_brief(value)}, not one of {', '.join(map(str, limits.choices))}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = limits.minimum, limits.maximum
        if hint is int:
            low = INT_RANGE[0] if low is None else low
            high = INT_RANGE[1] if high is None else high
        if (low is not None and value < low) or (high is not None and value > high):
            return f"is {_brief(value)}, outside its range ({_bound(low)} to {_bound(high)})"
    if limits.check is not None and not limits.check(value):
        return "is not in the expected form"
    return None


def _bound(limit: float | None) -> str:
    return "any" if limit is None else f"{limit:g}"


def _type_problem(value: Any, hint: Any, max_length: int) -> str | None:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        if any(_type_problem(value, option, max_length) is None for option in options):
            return None
        return f"is {_brief(value)}, not a valid value"
    if hint is Any:
        return _scalar_problem(value, max_length)
    if hint is bool:
        return None if isinstance(value, bool) else f"is {_brief(value)}, not true or false"
    if hint is int:
        return (
            None
            if isinstance(value, int) and not isinstance(value, bool)
            else f"is {_brief(value)}, not a whole number"
        )
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"is {_brief(value)}, not a number"
        return None if math.isfinite(value) else f"is {_brief(value)}, not a finite number"
    if hint is str:
        if not isinstance(value, str):
            return f"is {_brief(value)}, not text"
        if len(value) > max_length:
            return f"is {len(value)} characters long, more than {max_length}"
        return "holds a NUL character" if "\x00" in value else None
    if origin is list:
        if not isinstance(value, list) or len(value) > MAX_ITEMS:
            return f"is {_brief(value)}, not a list of at most {MAX_ITEMS} items"
        return next((p for item in value if (p := _type_problem(item, args[0], max_length))), None)
    if origin is dict:
        if not isinstance(value, dict) or len(value) > MAX_ITEMS:
            return f"is {_brief(value)}, not an object of at most {MAX_ITEMS} entries"
        for key, item in value.items():
            problem = _type_problem(key, args[0], max_length) or _type_problem(item, args[1], max_length)
            if problem is not None:
                return f"has an entry that {problem}"
        return None
    raise TypeError(f"settings fields of type {hint} are not supported")


def _scalar_problem(value: Any, max_length: int) -> str | None:
    """A free-form value (an engine parameter) must be one plain JSON scalar."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        return _type_problem(value, type(value), max_length)
    return f"is {_brief(value)}, not a plain value"


def _brief(value: Any) -> str:
    """What the value is, without echoing a huge or hostile string into the log."""
    if value is None or isinstance(value, bool | float) or (isinstance(value, int) and abs(value) < 10**20):
        return json.dumps(value)
    if isinstance(value, int):
        return "a huge number"
    return {str: "text", list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def _read() -> dict[str, Any]:
    path = settings_path()
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("it is not a regular file")  # a FIFO would block the read forever
        if info.st_size > MAX_FILE_BYTES:
            raise ValueError(f"it is larger than {MAX_FILE_BYTES // 2**20} MB")
        payload = json.loads(
            path.read_text(encoding="utf-8"),
            parse_int=_parse_int,
            parse_constant=lambda _name: math.nan,
        )
        sections = payload["sections"]
        if not isinstance(sections, dict):
            raise TypeError("sections is not an object")
        return sections
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        aside = path.with_name(f"settings.unreadable-{int(time.time())}.json")
        log.warning("settings file %s is unreadable (%s); moved aside to %s", path, exc, aside.name)
        with contextlib.suppress(OSError):
            path.replace(aside)
        return {}


def _parse_int(text: str) -> int | float:
    """An integer too long to be any setting reads as NaN, which every field refuses."""
    return int(text) if len(text) <= _MAX_DIGITS else math.nan

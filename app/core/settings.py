"""Typed settings, one section per feature, kept as one versioned JSON file in the config dir.

Each feature owns a dataclass and reads it with `load_section`; unknown keys (from a newer or older
build) are ignored and missing ones take the dataclass defaults, so a settings file never stops the
app from starting. A file that cannot be parsed is set aside (renamed) rather than overwritten
silently, so a user can recover hand edits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any, TypeVar

from app.core.formats.atomic import atomic_write_bytes
from app.core.paths import config_dir

SETTINGS_VERSION = 1
log = logging.getLogger(__name__)
T = TypeVar("T")
_lock = threading.Lock()


def settings_path() -> Path:
    return config_dir() / "settings.json"


def load_section(name: str, cls: type[T]) -> T:
    """The saved section `name` as a `cls` dataclass (defaults where nothing valid is saved)."""
    with _lock:
        raw = _read().get(name)
    if not isinstance(raw, dict):
        return cls()
    known = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values = {key: value for key, value in raw.items() if key in known}
    try:
        return cls(**values)
    except TypeError:
        log.warning("settings section %r is not valid; using defaults", name)
        return cls()


def save_section(name: str, value: Any) -> None:
    """Replace section `name` with the dataclass `value` (atomically, keeping other sections)."""
    with _lock:
        data = _read()
        data[name] = dataclasses.asdict(value)
        path = settings_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"version": SETTINGS_VERSION, "sections": data}
        atomic_write_bytes(path, json.dumps(payload, indent=2, sort_keys=True).encode())


def _read() -> dict[str, Any]:
    path = settings_path()
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        sections = payload["sections"]
        if not isinstance(sections, dict):
            raise TypeError("sections is not an object")
        return sections
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        aside = path.with_name(f"settings.unreadable-{int(time.time())}.json")
        log.warning("settings file %s is unreadable (%s); moved aside to %s", path, exc, aside.name)
        with contextlib.suppress(OSError):
            path.replace(aside)
        return {}

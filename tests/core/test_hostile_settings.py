"""A hostile settings corpus: every bad value falls back to its own field's default with one
warning naming the key, the rest of the section is kept, and a file that cannot be read at all
is set aside. (The window starting with each of these is tests/ui/test_bad_settings_window.py.)"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from typing import Any

import pytest

from app.core.settings import (
    is_sealed,
    load_section,
    save_section,
    seal,
    setting,
    settings_path,
    unseal,
)


@dataclass
class _Section:
    seed: int = setting(0, minimum=0, maximum=2**31 - 1)
    height: float = setting(1.0, minimum=0.001, maximum=10000.0)
    flag: bool = False
    size: int = setting(1024, choices=(512, 1024, 2048))
    name: str = setting("relief", max_length=64)
    folder: str = ""
    count: int = 3
    params: dict[str, dict[str, Any]] = setting(default_factory=dict)
    recent: list[str] = setting(default_factory=list)
    layout: str = setting("", check=is_sealed)
    budget: int | None = None


GOOD = {"seed": 7, "height": 2.5, "flag": True, "size": 2048, "name": "hunyuan", "folder": "/p", "count": 4}

# (key, raw JSON text of the value): each must be refused on its own.
HOSTILE = [
    ("seed", '"abc"'),
    ("seed", "1180591620717411303424"),  # 2**70
    ("seed", "-5"),
    ("seed", "true"),
    ("seed", "1.5"),
    ("seed", "1" * 5000),  # longer than Python parses by default: must not sink the whole file
    ("height", "NaN"),
    ("height", "Infinity"),
    ("height", "-Infinity"),
    ("height", "1e400"),
    ("height", '"1.0"'),
    ("height", "0"),
    ("height", "null"),
    ("flag", '"yes"'),
    ("flag", "1"),
    ("size", "333"),
    ("size", '"1024"'),
    ("name", "5"),
    ("name", json.dumps("x" * 100)),
    ("name", '["relief"]'),
    ("folder", json.dumps("a\u0000b")),
    ("folder", json.dumps("y" * 20_000)),
    ("folder", '{"a": 1}'),
    ("count", "2147483648"),
    ("count", "-2147483649"),
    ("params", '"garbage"'),
    ("params", '{"relief": [1, 2]}'),
    ("params", '{"relief": {"thickness": {"a": {"b": []}}}}'),
    ("params", '{"relief": {"thickness": NaN}}'),
    ("params", "[" * 50 + "]" * 50),
    ("params", json.dumps({f"k{i}": {} for i in range(1001)})),
    ("recent", '["a", 5]'),
    ("recent", '"a"'),
    ("layout", '"AAAA"'),
    ("layout", '"not:base64!"'),
    ("layout", json.dumps(seal(b"layout").replace("bGF5b3V0", "bGF5b3V1"))),
    ("budget", '"many"'),
]


def _write(text: str) -> None:
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text(text, encoding="utf-8")


def _file_with(key: str, raw: str) -> str:
    good = ", ".join(f'"{k}": {json.dumps(v)}' for k, v in GOOD.items() if k != key)
    return f'{{"version": 1, "sections": {{"s": {{{good}, "{key}": {raw}}}}}}}'


@pytest.mark.parametrize(("key", "raw"), HOSTILE, ids=[f"{k}={r[:24]}" for k, r in HOSTILE])
def test_a_bad_value_falls_back_to_its_default_and_keeps_the_rest(
    key: str, raw: str, caplog: pytest.LogCaptureFixture
) -> None:
    _write(_file_with(key, raw))
    with caplog.at_level(logging.WARNING, logger="app.core.settings"):
        loaded = load_section("s", _Section)
    assert getattr(loaded, key) == getattr(_Section(), key)
    for other, value in GOOD.items():
        if other != key:
            assert getattr(loaded, other) == value, f"{other} was lost because {key} was bad"
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and f"s.{key}" in warnings[0], warnings
    assert len(warnings[0]) < 200, "the warning echoes the hostile value"
    assert settings_path().is_file(), "one bad value must not set the whole file aside"


def test_valid_values_of_every_kind_are_kept(caplog: pytest.LogCaptureFixture) -> None:
    value = _Section(
        seed=2**31 - 1,
        height=0.001,
        size=512,
        params={"relief": {"thickness": 0.5, "note": "x", "on": True, "none": None}},
        recent=["a", "b"],
        layout=seal(b"\x00\xff layout"),
        budget=5000,
    )
    save_section("s", value)
    with caplog.at_level(logging.WARNING):
        assert load_section("s", _Section) == value
    assert not caplog.records
    assert unseal(value.layout) == b"\x00\xff layout"


@pytest.mark.parametrize(
    "content",
    [
        b"{ hand-edited and broken",
        b'{"version": 1}',
        b"[1, 2, 3]",
        b'"sections"',
        b"\xff\xfe\x00garbage",
        b'{"version": 1, "sections": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"version": 1, "sections": {"s": {}}, "pad": "' + b"x" * (5 * 2**20) + b'"}',
    ],
    ids=["broken", "no-sections", "list", "string", "binary", "deep-nesting", "oversized"],
)
def test_an_unreadable_file_is_set_aside_not_lost(content: bytes) -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    assert load_section("s", _Section) == _Section()
    (aside,) = path.parent.glob("settings.unreadable-*.json")
    assert aside.read_bytes() == content
    save_section("s", _Section(seed=3))
    assert load_section("s", _Section).seed == 3


def test_a_fifo_in_place_of_the_file_is_set_aside_without_blocking() -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    assert load_section("s", _Section) == _Section()
    assert not path.exists() and len(list(path.parent.glob("settings.unreadable-*.json"))) == 1


def test_a_section_that_is_not_an_object_gives_defaults(caplog: pytest.LogCaptureFixture) -> None:
    _write('{"version": 1, "sections": {"s": [1, 2], "t": {"seed": 4}}}')
    with caplog.at_level(logging.WARNING):
        assert load_section("s", _Section) == _Section()
    assert load_section("t", _Section).seed == 4
    assert any("'s'" in r.getMessage() for r in caplog.records)


def test_seal_detects_any_change() -> None:
    sealed = seal(b"window state bytes")
    assert unseal(sealed) == b"window state bytes"
    digest, _, encoded = sealed.partition(":")
    other = "1" if digest[-1] == "0" else "0"
    assert unseal(f"{digest[:-1]}{other}:{encoded}") is None
    assert unseal(f"{digest}:{encoded[:-4]}") is None
    assert unseal("") is None and is_sealed("") and not is_sealed("garbage")


def test_a_full_disk_costs_only_the_remembered_values(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from app.core.base import atomic

    save_section("s", _Section(seed=1))
    full_disk = lambda path, flags: os.open("/dev/full", os.O_WRONLY)  # noqa: E731
    monkeypatch.setattr(atomic, "_exclusive", lambda _permissions: full_disk)
    with caplog.at_level(logging.WARNING):
        save_section("s", _Section(seed=2))
    (record,) = caplog.records
    assert record.getMessage() == (
        f"settings not saved: Could not write {settings_path()}: the disk is full. "
        "Free some space (or choose a folder on another drive) and try again."
    )
    assert load_section("s", _Section).seed == 1

"""Shared pytest fixtures. The tests folder is put on sys.path so tests can import its helpers
(`from gltf_tools import validate_gltf`) whatever pytest's import mode."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

from gltf_tools import validate_gltf  # noqa: E402


@pytest.fixture
def gltf_validator() -> Callable[[Path], dict[str, Any]]:
    """validate_gltf(path) -> the Khronos validator's report (fails if it is not installed)."""
    return validate_gltf


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs with its own empty SWEEDLE_HOME and models store: no test reads or writes
    the real user profile, and a model someone dropped into models_cache/ cannot change results."""
    home = tmp_path_factory.mktemp("sweedle-home")
    monkeypatch.setenv("SWEEDLE_HOME", str(home))
    monkeypatch.setenv("SWEEDLE_MODELS", str(home / "models"))
    return home

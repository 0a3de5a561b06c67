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

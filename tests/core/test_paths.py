"""Where things live: one override for tests and portable installs, the checkout's model store."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core import paths


def test_models_store_follows_the_override(isolated_home: Path) -> None:
    assert paths.models_dir() == isolated_home / "models"


def test_source_checkout_uses_models_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWEEDLE_MODELS")
    assert paths.models_dir() == paths.REPO_ROOT / "models_cache"


def test_home_override_moves_the_cache(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert paths.cache_dir() == isolated_home / "cache"
    monkeypatch.delenv("SWEEDLE_HOME")
    assert "Sweedle" in str(paths.cache_dir())

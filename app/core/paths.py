"""Where Sweedle keeps things.

One environment variable, SWEEDLE_HOME, moves every per-user folder under one root: tests and
portable installs use it so nothing touches the real user profile.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "Sweedle"
HOME_ENV = "SWEEDLE_HOME"
MODELS_ENV = "SWEEDLE_MODELS"

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = _PACKAGE_DIR.parent


def resources_dir() -> Path:
    """Shaders, icons and samples: beside the package in a checkout, inside the bundle when frozen."""
    bundle = getattr(sys, "_MEIPASS", None)
    return (Path(bundle) if bundle else REPO_ROOT) / "resources"


def _home_override() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    home = _home_override()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """Settings and window layout."""
    home = _home_override()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """The asset library (database and asset folders): what a user backs up."""
    home = _home_override()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def library_dir() -> Path:
    """The asset library: `library.sqlite3`, its backups and one folder per asset."""
    return data_dir() / "library"


def models_dir() -> Path:
    """The model store: SWEEDLE_MODELS, else `models_cache/` of a source checkout, else the user cache."""
    explicit = os.environ.get(MODELS_ENV)
    if explicit:
        return Path(explicit).expanduser()
    checkout_store = REPO_ROOT / "models_cache"
    if (REPO_ROOT / "pyproject.toml").is_file() and checkout_store.is_dir():
        return checkout_store
    return cache_dir() / "models"

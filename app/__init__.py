"""Sweedle: a picture or a prompt in, a game-ready 3D asset out, on the artist's own machine."""

from app.core.base.version import VERSION as __version__

__all__ = ["__version__"]

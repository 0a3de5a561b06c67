"""Sweedle: a picture or a prompt in, a game-ready 3D asset out, on the artist's own machine."""

__version__ = "0.1.0"

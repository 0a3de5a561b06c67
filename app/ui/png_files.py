"""Qt pictures written as PNG files the way every file is written: under a temporary name, then
renamed, so a reader never finds half a picture."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QImage

from app.core.base.atomic import atomic_write_bytes


def write_png(image: QImage, path: Path) -> Path:
    """Encode `image` as PNG and write it to `path` atomically; returns `path`."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise RuntimeError(f"the picture for {path.name} could not be encoded as PNG")
    atomic_write_bytes(path, bytes(buffer.data().data()))
    return path

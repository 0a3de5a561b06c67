"""The OpenGL surface format, which must be set before the QApplication exists."""

from __future__ import annotations

from PySide6.QtGui import QSurfaceFormat


def configure_surface_format() -> None:
    """3.3 core with depth and 4x MSAA for every GL surface (viewport, thumbnails)."""
    fmt = QSurfaceFormat()
    fmt.setRenderableType(QSurfaceFormat.RenderableType.OpenGL)
    fmt.setVersion(3, 3)
    fmt.setProfile(QSurfaceFormat.OpenGLContextProfile.CoreProfile)
    fmt.setDepthBufferSize(24)
    fmt.setStencilBufferSize(8)
    fmt.setSamples(4)
    QSurfaceFormat.setDefaultFormat(fmt)

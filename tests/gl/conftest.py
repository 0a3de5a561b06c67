"""GL test fixtures: a real ViewportWidget on Mesa llvmpipe under Xvfb, small meshes, and pixel
read-back. These tests need an X server: without one they fail (never skip), so CI cannot pass
them by accident."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from app.ui.viewport.gl_widget import ViewportWidget

SIZE = (160, 120)


@pytest.fixture
def viewport(qapp: QApplication, qtbot) -> ViewportWidget:
    assert qapp.platformName() == "xcb", (
        f"GL tests need an X server with OpenGL (Qt platform is {qapp.platformName()!r}): install Xvfb "
        "(apt install xvfb) so pytest-xvfb can start it"
    )
    widget = ViewportWidget()
    qtbot.addWidget(widget)
    widget.resize(*SIZE)
    widget.set_grid_visible(False)
    return widget


def to_array(image: QImage) -> np.ndarray:
    """(H, W, 3) uint8 copy of a QImage (the QImage is kept alive while its bits are read)."""
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    height, width, stride = rgba.height(), rgba.width(), rgba.bytesPerLine()
    data = np.frombuffer(rgba.constBits(), dtype=np.uint8, count=stride * height)
    return data.reshape(height, stride)[:, : width * 4].reshape(height, width, 4)[..., :3].copy()


@pytest.fixture
def grab() -> Callable[[ViewportWidget], np.ndarray]:
    def _grab(widget: ViewportWidget) -> np.ndarray:
        image = widget.grabFramebuffer()
        assert not image.isNull(), widget.gl_error
        return to_array(image)

    return _grab

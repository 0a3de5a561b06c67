"""The Qt-free core: everything the GUI, the CLI and the tests drive alike.

Nothing under this package may import PySide6, OpenGL or `app.ui` (an import-linter contract in
CI enforces it), so every feature can run headless and be tested without a display.
"""

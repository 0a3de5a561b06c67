"""Export failures a person can act on: each names the folder or asset and what to do."""

from __future__ import annotations

from app.core.base.errors import SweedleError


class ExportError(SweedleError):
    """An export cannot be done; nothing was written outside its own temporary files."""

"""The one progress report every long step sends, and the type of the callback that takes it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """Which stage, how far within it, how far overall, and what is happening."""

    stage: str
    fraction: float
    overall: float
    message: str = ""


ProgressCallback = Callable[[Progress], None]

StepProgress = Callable[[float, str], None]
"""Progress within one stage or step: its fraction done (0..1) and what is happening. The
pipeline maps it onto the job's `Progress`."""

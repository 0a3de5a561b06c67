"""A one-line progress bar for the terminal, fed by the pipeline's `Progress` reports, and the
Ctrl+C handler that turns the first interrupt into a clean cancel.

On a terminal it redraws one line in place; when stderr is a file or a pipe (CI logs) it prints
one line per stage instead, so logs stay readable.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from types import FrameType
from typing import TextIO

from app.core.base.cancel import CancelToken
from app.core.base.progress import Progress


def cancel_on_interrupt(cancel: CancelToken) -> Callable[[int, FrameType | None], None]:
    """A SIGINT handler: the first Ctrl+C cancels the running job cleanly; a second one aborts at once."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if cancel.cancelled:
            raise KeyboardInterrupt
        cancel.cancel()
        print("\ncancelling… (Ctrl+C again to abort at once)", file=sys.stderr)

    return handler


class ProgressBar:
    def __init__(self, label: str, stream: TextIO, enabled: bool = True) -> None:
        self._label = label
        self._stream = stream
        self._enabled = enabled
        self._interactive = enabled and stream.isatty()
        self._stage = ""
        self._start = time.perf_counter()
        self._last_draw = 0.0
        self._drawn = False

    def update(self, progress: Progress) -> None:
        if not self._enabled:
            return
        new_stage = progress.stage != self._stage
        self._stage = progress.stage
        if not self._interactive:
            if new_stage:
                print(f"{self._label}: {progress.stage}", file=self._stream, flush=True)
            return
        now = time.perf_counter()
        if not new_stage and now - self._last_draw < 0.05 and progress.fraction < 1.0:
            return
        self._last_draw = now
        width = shutil.get_terminal_size((80, 20)).columns
        filled = round(progress.overall * 24)
        bar = "█" * filled + "·" * (24 - filled)
        text = f"{self._label} {bar} {progress.overall * 100:3.0f}% {progress.stage}"
        if progress.message:
            text += f": {progress.message}"
        text += f"  {now - self._start:4.1f}s"
        self._stream.write("\r" + text[: width - 1].ljust(width - 1))
        self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self._stream.write("\r" + " " * (shutil.get_terminal_size((80, 20)).columns - 1) + "\r")
            self._stream.flush()

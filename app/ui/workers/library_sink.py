"""Saving finished jobs into the asset library from the generation thread.

The library opens in the pool at start-up while the window is already usable; a job that
finishes before it is ready waits for it (briefly), so no result is ever dropped on the floor. If
the library cannot open, the job still succeeds and says where its files are instead.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.core.generation.request import GenerationRequest, GenerationResult
    from app.core.library.repository import Library

log = logging.getLogger(__name__)
WAIT_FOR_LIBRARY_S = 120.0


class LibrarySink:
    def __init__(self) -> None:
        self._ready = threading.Event()
        self._library: Library | None = None
        self._problem = ""
        self.saved_asset_ids: dict[int, int] = {}
        """Job id → asset id, for the GUI to find what a job produced."""

    @property
    def library(self) -> Library | None:
        return self._library

    def set_library(self, library: Library | None, problem: str = "") -> None:
        self._library, self._problem = library, problem
        self._ready.set()

    def suspend(self) -> None:
        """The library closes for a while (a rebuild): saves wait for `set_library` again."""
        self._ready.clear()
        self._library = None

    def save(self, result: GenerationResult, job_id: int = 0) -> GenerationResult:
        """Runs in the generation thread after a finished job."""
        from app.core.errors import SweedleError
        from app.core.library.records import GLB_FILE
        from app.core.library.saving import save_generation

        if not self._ready.wait(WAIT_FOR_LIBRARY_S) or self._library is None:
            return _unsaved(result, self._problem or "the library did not open in time")
        try:
            prompt = getattr(result.request, "prompt", None) or ""
            record = save_generation(self._library, result, prompt=prompt)
        except (SweedleError, OSError) as exc:
            log.exception("saving job %s into the library failed", job_id)
            return _unsaved(result, str(exc))
        self.saved_asset_ids[job_id] = record.summary.id
        # The library holds its own copy now; the job's working file would only double the disk use.
        if result.output_path is not None and record.summary.folder is not None:
            shutil.rmtree(result.output_path.parent, ignore_errors=True)
            result = dataclasses.replace(result, output_path=record.summary.folder / GLB_FILE)
        return result


    def reuse(self, request: GenerationRequest, job_id: int = 0) -> GenerationResult | None:
        """Runs in the generation thread before a job: the library's identical version, read back
        for the viewport, instead of generating it again (None: run the job)."""
        from app.core.errors import SweedleError
        from app.core.formats.glb_reader import read_glb
        from app.core.library.saving import find_identical, reused_result

        if not self._ready.wait(WAIT_FOR_LIBRARY_S) or self._library is None:
            return None
        try:
            found = find_identical(self._library, request)
            if found is None:
                return None
            model = dataclasses.replace(read_glb(found.glb_path), name=found.asset_name)
        except (SweedleError, OSError):
            log.exception("looking for an identical version of job %s failed; generating it", job_id)
            return None
        self.saved_asset_ids[job_id] = found.asset_id
        return reused_result(request, found, found.glb_path, model)


def _unsaved(result: GenerationResult, reason: str) -> GenerationResult:
    message = f"not saved in the library ({reason}); file: {result.output_path}"
    return dataclasses.replace(result, message=message)

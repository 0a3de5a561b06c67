"""Download a model with huggingface_hub, only when the user asks, with progress, resume and cancel.

The download runs in a child process (`python -m app.core.weights.download REPO SUBFOLDER DEST`):
the app itself stays offline (HF_HUB_OFFLINE), cancel is a clean kill of that process, and what
it had fetched stays in huggingface_hub's `.incomplete` files, so the next download of the same
model resumes. Progress is the bytes on disk against the total the hub lists for the files.
The model appears in the store only after it downloaded completely and verified.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.base.errors import GenerationError
from app.core.weights.allowlist import PICKLE_SUFFIXES
from app.core.weights.catalog import ModelSpec
from app.core.weights.store import ModelStore, write_manifest

DOWNLOADS = ".downloads"
"""Under the store root: one folder per repo, huggingface_hub's `local_dir` while downloading."""


@dataclass
class DownloadStatus:
    done_bytes: int
    total_bytes: int | None
    finished: bool
    error: str = ""


class DownloadJob:
    def __init__(self, spec: ModelSpec, store: ModelStore) -> None:
        self.spec = spec
        self.store = store
        self.staging = store.root / DOWNLOADS / spec.repo
        self._proc: subprocess.Popen[str] | None = None
        self._total: int | None = None
        self._revision = ""
        self._error = ""

    def start(self) -> None:
        self.staging.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "HF_HUB_OFFLINE": "0", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
        cmd = [sys.executable, "-m", "app.core.weights.download", self.spec.repo, self.spec.subfolder]
        self._proc = subprocess.Popen(
            [*cmd, str(self.staging), *self.spec.files],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    def poll(self) -> DownloadStatus:
        """Non-blocking: bytes so far and whether the child has finished (and installed the model)."""
        assert self._proc is not None, "start() first"
        finished = self._proc.poll() is not None
        if finished and not self._error and not self._revision:
            self._collect()
        done = sum(p.stat().st_size for p in self.staging.rglob("*") if p.is_file())
        return DownloadStatus(done, self._total, finished, self._error)

    def wait(self, timeout: float | None = None) -> DownloadStatus:
        assert self._proc is not None, "start() first"
        self._proc.wait(timeout)
        return self.poll()

    def cancel(self) -> None:
        """Stop now; the partial files stay for a later resume."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate()
            self._error = "cancelled"

    def _collect(self) -> None:
        assert self._proc is not None
        out, err = self._proc.communicate()
        for line in out.splitlines():
            try:
                message = json.loads(line)
            except ValueError:
                continue
            self._total = message.get("total", self._total)
            self._revision = message.get("revision", self._revision)
            self._error = message.get("error", self._error)
        if self._proc.returncode != 0 and not self._error:
            self._error = f"the download stopped: {(err.strip().splitlines() or ['no message'])[-1]}"
        if not self._error:
            self._install()

    def _install(self) -> None:
        source = self.staging / self.spec.subfolder if self.spec.subfolder else self.staging
        target = self.store.path(self.spec)
        try:
            origin = f"huggingface:{self.spec.repo}"
            write_manifest(source, revision=self._revision, source=origin, mode="download")
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                raise GenerationError(f"{target} already exists: remove it first")
            os.replace(source, target)
            for extra in ("LICENSE", "LICENSE.txt", "NOTICE"):
                if (self.staging / extra).is_file() and not (target.parent / extra).exists():
                    os.replace(self.staging / extra, target.parent / extra)
            self.store.verify(self.spec)
        except (OSError, GenerationError) as exc:
            self._error = str(exc)


def _worker(argv: Sequence[str]) -> int:
    """Child process: list the files and their total size, then download them into `dest` (only
    the files matching the patterns after `dest`, when there are any)."""
    repo, subfolder, dest, *only = argv
    patterns = [f"{subfolder}/*", "LICENSE*", "NOTICE*"] if subfolder else None
    if only:
        patterns = [*only, "LICENSE*", "NOTICE*"]
    pickles = [f"*{suffix}" for suffix in PICKLE_SUFFIXES]  # never loaded: not worth the download
    try:
        from fnmatch import fnmatch

        from huggingface_hub import HfApi, snapshot_download

        info = HfApi().model_info(repo, files_metadata=True)
        siblings = info.siblings or []
        files = [
            s
            for s in siblings
            if (patterns is None or any(fnmatch(s.rfilename, p) for p in patterns))
            and not any(fnmatch(s.rfilename, p) for p in pickles)
        ]
        print(json.dumps({"total": sum(s.size or 0 for s in files), "revision": info.sha}), flush=True)
        snapshot_download(
            repo, revision=info.sha, allow_patterns=patterns, ignore_patterns=pickles, local_dir=dest
        )
    except Exception as exc:  # the parent shows it; the child only reports
        print(json.dumps({"error": f"download of {repo} failed: {type(exc).__name__}: {exc}"}), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(_worker(sys.argv[1:]))

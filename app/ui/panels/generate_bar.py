"""Generate / Cancel and the running job's progress: stage, percentage and elapsed time."""

from __future__ import annotations

import time

from PySide6.QtCore import QElapsedTimer, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from app.core.base.progress import Progress
from app.core.generation.request import JobStatus
from app.ui.workers.jobs import Job
from app.ui.workers.queue_relay import QueueRelay

PROGRESS_INTERVAL_MS = 100
"""Progress is drawn at most this often (the 250 ms clock shows the latest report): a window that
holds the GL viewport is composed anew on every repaint, tens of milliseconds on a software
rasterizer, so a burst of reports must not become a burst of frames on the GUI thread."""


class GenerateBar(QWidget):
    sig_generate = Signal()

    def __init__(self, runner: QueueRelay, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self.generate_button = QPushButton("Generate")
        self.generate_button.setObjectName("primary")
        self.generate_button.setToolTip("Generate from the front picture (Ctrl+Enter)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("idle")
        self.progress.setTextVisible(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button, 1)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)

        self._clock = QTimer(self)
        self._clock.setInterval(250)
        self._clock.timeout.connect(self._refresh)
        self._shown = QElapsedTimer()
        self.generate_button.clicked.connect(self.sig_generate)
        self.cancel_button.clicked.connect(self._cancel)
        runner.sig_progress.connect(self._on_progress)
        runner.sig_job_changed.connect(self._on_job_changed)

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setObjectName("error" if error else "hint")
        self.message.setStyleSheet("color: #ff7b7b;" if error else "color: #9a9aa0;")
        self.message.setText(text)

    def _cancel(self) -> None:
        job = self._runner.current
        if job is not None:
            self._runner.cancel(job.id)

    def _on_progress(self, job: Job, progress: Progress) -> None:
        if not self._shown.isValid() or self._shown.elapsed() >= PROGRESS_INTERVAL_MS:
            self._show(job, progress)

    def _on_job_changed(self, job: Job) -> None:
        running = self._runner.current
        self.cancel_button.setEnabled(running is not None and not running.cancel.cancelled)
        if running is not None:
            if not self._clock.isActive():
                self._clock.start()
                self._show(running, running.progress)
        elif job.status.finished:
            self._clock.stop()
            self._set_progress(
                1000 if job.status is JobStatus.DONE else self.progress.value(),
                f"{job.label}: {job.status.value} in {job.elapsed():.1f} s",
            )
            if job.status is JobStatus.FAILED:
                self.show_message(f"{job.label} failed: {job.message}", error=True)
            elif job.status is JobStatus.CANCELLED:
                self.show_message(f"{job.label} was cancelled.")
            else:
                self.show_message("")

    def _refresh(self) -> None:
        job = self._runner.current
        if job is not None:
            self._show(job, job.progress)

    def _show(self, job: Job, progress: Progress | None) -> None:
        self._shown.start()
        elapsed = time.monotonic() - (job.started or time.monotonic())
        minutes, seconds = divmod(int(elapsed), 60)
        if progress is None:
            self._set_progress(0, f"{job.label}: starting · {minutes}:{seconds:02d}")
            return
        self._set_progress(
            round(progress.overall * 1000),
            f"{job.label}: {progress.stage} {progress.overall:.0%} · {minutes}:{seconds:02d}",
        )

    def _set_progress(self, value: int, text: str) -> None:
        """Value and text in one deferred repaint: QProgressBar.setValue alone repaints at once,
        inside the slot, and composes the whole window a second time for the text."""
        self.progress.setUpdatesEnabled(False)
        self.progress.setValue(value)
        self.progress.setFormat(text)
        self.progress.setUpdatesEnabled(True)

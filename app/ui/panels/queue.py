"""The job queue: every job's state, progress and message; cancel or remove a job."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.workers.generation import JobRunner
from app.ui.workers.jobs import Job, JobState

_STATE_COLOURS = {
    JobState.QUEUED: QColor(160, 160, 165),
    JobState.RUNNING: QColor(74, 144, 226),
    JobState.DONE: QColor(110, 200, 120),
    JobState.FAILED: QColor(255, 123, 123),
    JobState.CANCELLED: QColor(220, 180, 90),
}


class QueuePanel(QWidget):
    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._items: dict[int, QTreeWidgetItem] = {}
        self.tree = QTreeWidget()
        self.tree.setObjectName("queue")
        self.tree.setHeaderLabels(["Asset", "State", "Time", "Details"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        header = self.tree.header()
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.cancel_button = QPushButton("Cancel")
        self.remove_button = QPushButton("Remove")
        self.clear_button = QPushButton("Clear finished")
        buttons = QHBoxLayout()
        for button in (self.cancel_button, self.remove_button, self.clear_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tree)
        layout.addLayout(buttons)

        self.cancel_button.clicked.connect(self._cancel_selected)
        self.remove_button.clicked.connect(self._remove_selected)
        self.clear_button.clicked.connect(self._clear_finished)
        runner.sig_job_added.connect(self._on_job)
        runner.sig_job_changed.connect(self._on_job)
        runner.sig_job_removed.connect(self._on_removed)

    def item_for(self, job_id: int) -> QTreeWidgetItem | None:
        return self._items.get(job_id)

    def _on_job(self, job: Job) -> None:
        item = self._items.get(job.id)
        if item is None:
            item = QTreeWidgetItem(self.tree)
            item.setData(0, Qt.ItemDataRole.UserRole, job.id)
            self._items[job.id] = item
        item.setText(0, job.label)
        state = job.state.value
        if job.state is JobState.RUNNING and job.progress is not None:
            state = f"{job.progress.stage} {job.progress.overall:.0%}"
        item.setText(1, state)
        item.setForeground(1, _STATE_COLOURS[job.state])
        item.setText(2, f"{job.elapsed():.1f} s" if job.started is not None else "")
        item.setText(3, job.message)
        item.setToolTip(3, job.message)

    def _on_removed(self, job_id: int) -> None:
        item = self._items.pop(job_id, None)
        if item is not None:
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))

    def _selected_ids(self) -> list[int]:
        return [int(item.data(0, Qt.ItemDataRole.UserRole)) for item in self.tree.selectedItems()]

    def _cancel_selected(self) -> None:
        for job_id in self._selected_ids():
            self._runner.cancel(job_id)

    def _remove_selected(self) -> None:
        for job_id in self._selected_ids():
            self._runner.remove(job_id)

    def _clear_finished(self) -> None:
        for job_id, job in list(self._runner.jobs.items()):
            if job.state.finished:
                self._runner.remove(job_id)

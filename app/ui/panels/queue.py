"""The Queue panel: the persistent queue's batches with each job's state, priority, time, worker
and message; controls for priorities, order, pause, cancel and retry; where the jobs run (this
machine or a Ray farm) and the farm's workers with their GPU, free VRAM and current job."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QToolBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.base.errors import InputError
from app.core.generation.request import GenerationRequest, JobStatus
from app.core.queue.records import BatchSummary, Priority, QueueView, WorkerInfo
from app.ui.workers.jobs import Job
from app.ui.workers.queue_relay import QueueRelay

_STATE_COLOURS = {
    JobStatus.QUEUED: QColor(160, 160, 165),
    JobStatus.RUNNING: QColor(74, 144, 226),
    JobStatus.DONE: QColor(110, 200, 120),
    JobStatus.FAILED: QColor(255, 123, 123),
    JobStatus.CANCELLED: QColor(220, 180, 90),
}
ASSET, STATE, TIME, DETAILS, PRIORITY, WORKER = range(6)
_JOB, _BATCH = "job", "batch"
LOCAL, FARM = 0, 1

BuildRequests = Callable[[list[Path]], list[GenerationRequest]]
"""The Generate panel's current settings as one request per picture (raises InputError)."""


class QueuePanel(QWidget):
    def __init__(
        self, runner: QueueRelay, build_requests: BuildRequests | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._build_requests = build_requests
        self._items: dict[int, QTreeWidgetItem] = {}
        self._batches: dict[int, QTreeWidgetItem] = {}
        self._paused = False

        self.toolbar = QToolBar()
        self.toolbar.setObjectName("queue_toolbar")
        self.add_pictures_action = self.toolbar.addAction("Add Pictures…")
        self.add_folder_action = self.toolbar.addAction("Add Folder…")
        self.new_priority = QComboBox()
        for priority in reversed(Priority):
            self.new_priority.addItem(f"{priority.label.capitalize()} priority", priority)
        self.new_priority.setCurrentIndex(1)
        self.new_priority.setToolTip("Priority of the batches added here")
        self.toolbar.addWidget(self.new_priority)
        self.toolbar.addSeparator()
        self.up_action = self.toolbar.addAction("Up")
        self.up_action.setToolTip("Run the selected waiting job earlier (within its priority)")
        self.down_action = self.toolbar.addAction("Down")
        self.down_action.setToolTip("Run the selected waiting job later (within its priority)")
        self.priority_choice = QComboBox()
        self.priority_choice.addItem("Set priority…")
        for priority in reversed(Priority):
            self.priority_choice.addItem(priority.label.capitalize(), priority)
        self.priority_choice.setToolTip("Priority of the selected waiting jobs or batches")
        self.toolbar.addWidget(self.priority_choice)
        self.pause_action = self.toolbar.addAction("Pause")
        self.pause_action.setToolTip("Running jobs finish; no new job starts until Resume")
        self.toolbar.addSeparator()
        self.cancel_action = self.toolbar.addAction("Cancel")
        self.retry_action = self.toolbar.addAction("Retry")
        self.retry_action.setToolTip("Queue the selected failed or cancelled jobs (or a batch's) again")
        self.remove_action = self.toolbar.addAction("Remove")
        self.clear_action = self.toolbar.addAction("Clear finished")

        self.tree = QTreeWidget()
        self.tree.setObjectName("queue")
        self.tree.setHeaderLabels(["Asset", "State", "Time", "Details", "Priority", "Worker"])
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.header().setSectionResizeMode(DETAILS, QHeaderView.ResizeMode.Stretch)

        self.run_on = QComboBox()
        self.run_on.addItem("This machine")
        self.run_on.addItem("Ray farm")
        self.address = QLineEdit()
        self.address.setPlaceholderText("head address, e.g. 192.168.1.20:6379")
        self.connect_button = QPushButton("Use")
        self.status = QLabel("Jobs run on this machine.")
        self.status.setWordWrap(True)
        self.workers = QTreeWidget()
        self.workers.setObjectName("queue_workers")
        self.workers.setHeaderLabels(["Worker", "GPU", "VRAM free", "Job"])
        self.workers.setRootIsDecorated(False)
        self.workers.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

        farm_row = QHBoxLayout()
        farm_row.addWidget(QLabel("Run on"))
        farm_row.addWidget(self.run_on)
        farm_row.addWidget(self.address, 1)
        farm_row.addWidget(self.connect_button)
        farm = QWidget()
        farm_layout = QVBoxLayout(farm)
        farm_layout.setContentsMargins(0, 0, 0, 0)
        farm_layout.addLayout(farm_row)
        farm_layout.addWidget(self.status)
        farm_layout.addWidget(self.workers, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tree)
        split.addWidget(farm)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.toolbar)
        layout.addWidget(split, 1)

        self._show_farm_availability()
        self.add_pictures_action.triggered.connect(self._pick_pictures)
        self.add_folder_action.triggered.connect(self._pick_folder)
        self.up_action.triggered.connect(lambda: self._move(-1))
        self.down_action.triggered.connect(lambda: self._move(1))
        self.priority_choice.activated.connect(self._set_priority)
        self.pause_action.triggered.connect(self._toggle_pause)
        self.cancel_action.triggered.connect(self._cancel_selected)
        self.retry_action.triggered.connect(self._retry_selected)
        self.remove_action.triggered.connect(self._remove_selected)
        self.clear_action.triggered.connect(runner.clear_finished)
        self.connect_button.clicked.connect(self._use_executor)
        runner.sig_job_added.connect(self._on_job)
        runner.sig_job_changed.connect(self._on_job)
        runner.sig_job_removed.connect(self._on_removed)
        runner.sig_view.connect(self._on_view)
        runner.sig_workers.connect(self._on_workers)
        runner.sig_problem.connect(lambda text: self.status.setText(text))

    # -- what tests and the window use ------------------------------------------------------------

    def item_for(self, job_id: int) -> QTreeWidgetItem | None:
        return self._items.get(job_id)

    def batch_item(self, batch_id: int) -> QTreeWidgetItem | None:
        return self._batches.get(batch_id)

    def add_paths(self, paths: list[Path], priority: Priority | None = None) -> bool:
        """Queue `paths` (a folder of pictures, or pictures) as one batch with the Generate
        panel's settings; a problem is shown on the panel's status line."""
        from app.core.queue.batches import batch_name, batch_pictures

        if self._build_requests is None or not paths:
            return False
        try:
            pictures = batch_pictures(paths)
            requests = self._build_requests(pictures)
        except InputError as exc:
            self.status.setText(str(exc))
            return False
        source = paths[0] if len(paths) == 1 and paths[0].is_dir() else ""
        chosen = priority if priority is not None else Priority(self.new_priority.currentData())
        self._runner.add_batch(requests, batch_name(paths), source, chosen)
        self.status.setText(f"Queued {len(requests)} picture(s) at {chosen.label} priority.")
        return True

    def selected_job_ids(self) -> list[int]:
        return [
            int(item.data(0, Qt.ItemDataRole.UserRole)[1])
            for item in self.tree.selectedItems()
            if item.data(0, Qt.ItemDataRole.UserRole)[0] == _JOB
        ]

    def selected_batch_ids(self) -> list[int]:
        return [
            int(item.data(0, Qt.ItemDataRole.UserRole)[1])
            for item in self.tree.selectedItems()
            if item.data(0, Qt.ItemDataRole.UserRole)[0] == _BATCH
        ]

    # -- jobs and batches -----------------------------------------------------------------------

    def _on_job(self, job: Job) -> None:
        item = self._items.get(job.id)
        if item is None:
            item = QTreeWidgetItem(self.tree)
            item.setData(0, Qt.ItemDataRole.UserRole, (_JOB, job.id))
            self._items[job.id] = item
        item.setText(ASSET, job.label)
        state = job.status.value
        if job.status is JobStatus.RUNNING and job.progress is not None:
            state = f"{job.progress.stage} {job.progress.overall:.0%}"
        item.setText(STATE, state)
        item.setForeground(STATE, _STATE_COLOURS[job.status])
        item.setText(TIME, f"{job.elapsed():.1f} s" if job.started is not None else "")
        item.setText(DETAILS, job.message)
        item.setToolTip(DETAILS, job.message)

    def _on_removed(self, job_id: int) -> None:
        item = self._items.pop(job_id, None)
        if item is not None:
            parent = item.parent()
            if parent is None:
                self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))
            else:
                parent.removeChild(item)

    def _on_view(self, view: QueueView) -> None:
        """Group the jobs under their batches in run order, with priorities and workers."""
        selected = set(self.selected_job_ids()), set(self.selected_batch_ids())
        for batch in view.batches:
            self._batch_row(batch)
        for batch_id in [b for b in self._batches if b not in {batch.id for batch in view.batches}]:
            gone = self._batches.pop(batch_id)
            for child in [gone.child(i) for i in range(gone.childCount())]:
                self._detach(child)
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(gone))
        for batch in view.batches:
            parent = self._batches[batch.id]
            order = []
            for queued in view.jobs_of(batch.id):
                window_id = self._runner.window_id(queued.id)
                item = self._items.get(window_id) if window_id is not None else None
                if item is None:
                    continue
                item.setText(PRIORITY, queued.priority.label)
                item.setText(WORKER, queued.worker)
                order.append(item)
            current = [parent.child(i).data(0, Qt.ItemDataRole.UserRole) for i in range(parent.childCount())]
            if current != [item.data(0, Qt.ItemDataRole.UserRole) for item in order]:
                for item in order:
                    self._detach(item)
                parent.addChildren(order)
            parent.setExpanded(True)
        for item in self._all_items():
            kind, key = item.data(0, Qt.ItemDataRole.UserRole)
            item.setSelected(key in (selected[0] if kind == _JOB else selected[1]))
        self._paused = view.paused
        self.pause_action.setText("Resume" if view.paused else "Pause")

    def _batch_row(self, batch: BatchSummary) -> None:
        item = self._batches.get(batch.id)
        if item is None:
            item = QTreeWidgetItem()
            item.setData(0, Qt.ItemDataRole.UserRole, (_BATCH, batch.id))
            self.tree.addTopLevelItem(item)
            self._batches[batch.id] = item
        item.setText(ASSET, batch.name)
        parts = [f"{batch.finished}/{batch.total} finished"]
        for status in (JobStatus.RUNNING, JobStatus.FAILED, JobStatus.CANCELLED):
            if batch.counts.get(status):
                parts.append(f"{batch.counts[status]} {status.value}")
        item.setText(STATE, ", ".join(parts))
        item.setText(DETAILS, batch.source)
        item.setToolTip(DETAILS, batch.source)

    def _detach(self, item: QTreeWidgetItem) -> None:
        parent = item.parent()
        if parent is not None:
            parent.removeChild(item)
        else:
            index = self.tree.indexOfTopLevelItem(item)
            if index >= 0:
                self.tree.takeTopLevelItem(index)

    def _all_items(self) -> list[QTreeWidgetItem]:
        return [*self._batches.values(), *self._items.values()]

    # -- where jobs run -------------------------------------------------------------------------

    def _show_farm_availability(self) -> None:
        from app.core.queue import farm

        available = farm.availability()
        settings = farm.load_settings()
        self.address.setText(settings.address)
        model = self.run_on.model()
        assert isinstance(model, QStandardItemModel)
        ray_item = model.item(FARM)
        if not available.ok:
            ray_item.setEnabled(False)
            ray_item.setToolTip(available.reason)
            self.run_on.setToolTip(f"Ray farm: unavailable ({available.reason})")
            self.status.setText(f"Jobs run on this machine. Ray farm: unavailable ({available.reason}).")
            return
        if settings.executor == "ray":
            self.run_on.setCurrentIndex(FARM)

    def _use_executor(self) -> None:
        farm_chosen = self.run_on.currentIndex() == FARM
        address = self.address.text().strip()
        if farm_chosen and not address:
            self.status.setText("Give the farm head's address (HOST:PORT) first.")
            return
        self.status.setText(
            f"Connecting to the farm at {address}…" if farm_chosen else "Jobs run on this machine."
        )
        self._runner.use_executor("ray" if farm_chosen else "local", address)

    def _on_workers(self, workers: list[WorkerInfo], line: str) -> None:
        labels = {}
        view = self._runner.view
        if view is not None:
            labels = {job.id: job.label for job in view.jobs}
        self.workers.clear()
        for worker in workers:
            vram = (
                f"{worker.vram_free_gb:.1f} / {worker.vram_total_gb:.0f} GB"
                if worker.vram_total_gb is not None and worker.vram_free_gb is not None
                else "—"
            )
            if worker.note:
                job = worker.note
            elif worker.current_job is None:
                job = "idle"
            else:
                job = labels.get(worker.current_job, f"job {worker.current_job}")
            row = QTreeWidgetItem([worker.name, worker.gpu, vram, job])
            row.setToolTip(0, f"{worker.host}, process {worker.pid}" if worker.pid else worker.host)
            self.workers.addTopLevelItem(row)
        paused = " The queue is paused." if self._paused else ""
        self.status.setText(f"Jobs run on {line}: {len(workers)} worker(s).{paused}")

    # -- buttons ----------------------------------------------------------------------------------

    def _pick_pictures(self) -> None:
        from app.ui.panels.image import FILE_FILTER

        files, _ = QFileDialog.getOpenFileNames(self, "Add Pictures to the Queue", "", FILE_FILTER)
        if files:
            self.add_paths([Path(f) for f in files])

    def _pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a Folder of Pictures to the Queue")
        if folder:
            self.add_paths([Path(folder)])

    def _move(self, steps: int) -> None:
        for job_id in self.selected_job_ids():
            self._runner.move(job_id, steps)

    def _set_priority(self, index: int) -> None:
        priority = self.priority_choice.itemData(index)
        self.priority_choice.setCurrentIndex(0)
        if priority is None:
            return
        self._runner.set_priority(self.selected_job_ids(), Priority(priority))
        for batch_id in self.selected_batch_ids():
            self._runner.batch_command(batch_id, Priority(priority).label)

    def _toggle_pause(self) -> None:
        self._paused = not self._paused
        self.pause_action.setText("Resume" if self._paused else "Pause")
        self._runner.set_paused(self._paused)

    def _cancel_selected(self) -> None:
        for job_id in self.selected_job_ids():
            self._runner.cancel(job_id)
        for batch_id in self.selected_batch_ids():
            self._runner.batch_command(batch_id, "cancel")

    def _retry_selected(self) -> None:
        self._runner.retry(self.selected_job_ids())
        for batch_id in self.selected_batch_ids():
            self._runner.batch_command(batch_id, "retry")

    def _remove_selected(self) -> None:
        for job_id in self.selected_job_ids():
            self._runner.remove(job_id)

"""The Models dialog: what is installed, import a folder, download with the licence first, unload.

Everything slow happens off the GUI thread: the table is read from the store and folders are
imported on the thread pool (`run_task`), and a download runs in its child process while a QTimer
polls its byte count. Licence terms appear inside the dialog and must be accepted before a
download starts. Failures are shown in the dialog's message line; nothing here raises into Qt.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.generation.engines.hunyuan_setup import RuntimeCheck, runtime_check
from app.core.generation.engines.registry import engine_names, get_engine
from app.core.weights.catalog import UNSUPPORTED_NOTE, ModelSpec
from app.core.weights.cutout_folder import import_onnx_file
from app.core.weights.download import DownloadJob
from app.core.weights.importing import Found, import_models
from app.core.weights.licence import LICENCES, licence_text
from app.core.weights.store import ModelState, ModelStore
from app.ui.workers.tasks import run_task

CUTOUT_RUNTIME_NOTE = (
    "Cutout models (background removal) run with onnxruntime, which is not installed: "
    "pip install -e '.[cutout]'. Without one, pictures with a background use the classical cutout."
)
COLUMNS = ("Model", "Id", "Status", "Size", "Licence", "Revision", "Problem")
POLL_MS = 250


def _size_text(size: int) -> str:
    return f"{size / 2**30:.2f} GB" if size >= 2**28 else f"{size / 2**20:.1f} MB"


def _status_text(state: ModelState) -> str:
    if state.usable:
        return "Installed"
    if state.installed:
        return "Damaged"
    return f"Not installed (~{state.spec.download_gb:g} GB download)"


def _before_download(runtime: RuntimeCheck, selected: ModelSpec) -> str:
    """What the user should know about this machine before spending the download."""
    if runtime.gpu or selected.kind == "cutout":  # cutout models run well on the CPU
        return ""
    size = f"{selected.download_gb:g} GB"
    return f"Before you download {size}: {runtime.summary()}\n\n"


class ModelsDialog(QDialog):
    sig_store_changed = Signal()
    """A model was imported or downloaded: engine availability may have changed."""
    sig_refreshed = Signal()
    """The table shows the store as it is now."""

    def __init__(
        self,
        parent: QWidget | None = None,
        unload: Callable[[str], None] | None = None,
        store: ModelStore | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(960, 560)
        self.store = store or ModelStore()
        self._unload = unload or (lambda name: get_engine(name).unload())  # type: ignore[attr-defined]
        self._states: list[ModelState] = []
        self._job: DownloadJob | None = None
        self._busy = False

        self.runtime = runtime_check()
        self.readiness = QLabel(self.runtime.summary())
        self.readiness.setObjectName("hint" if self.runtime.gpu else "error")
        self.readiness.setWordWrap(True)
        self.readiness.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.root_label = QLabel(f"Model store: {self.store.root}")
        self.root_label.setObjectName("hint")
        self.root_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("models_table")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)

        self.unsupported_note = QLabel(UNSUPPORTED_NOTE)
        self.unsupported_note.setObjectName("hint")
        self.unsupported_note.setWordWrap(True)

        self.import_button = QPushButton("Import folder…")
        self.import_button.setToolTip(
            "Bring in models you already have: a hy3dgen cache (~/.cache/hy3dgen), a Hugging Face snapshot "
            "or hub cache, or one model folder"
        )
        self.import_file_button = QPushButton("Import file…")
        self.import_file_button.setToolTip("Import a cutout model's .onnx file as the selected model")
        self.cutout_note = QLabel(CUTOUT_RUNTIME_NOTE)
        self.cutout_note.setObjectName("hint")
        self.cutout_note.setWordWrap(True)
        self.cutout_note.setVisible(importlib.util.find_spec("onnxruntime") is None)
        self.link_box = QCheckBox("Link instead of copying")
        self.link_box.setToolTip("Leave the files where they are and link to them (saves disk space)")
        self.download_button = QPushButton("Download…")
        self.cancel_button = QPushButton("Cancel download")
        self.unload_button = QPushButton("Unload model")
        self.unload_button.setToolTip("Free the loaded Hunyuan pipeline and its GPU memory")
        buttons = QHBoxLayout()
        for widget in (
            self.import_button,
            self.import_file_button,
            self.link_box,
            self.download_button,
            self.cancel_button,
        ):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(self.unload_button)

        self.licence_box = QGroupBox("Licence terms")
        self.licence_text = QPlainTextEdit()
        self.licence_text.setReadOnly(True)
        self.accept_box = QCheckBox(
            "I have read and accept these terms, and I am not in an excluded territory"
        )
        self.start_button = QPushButton("Accept and download")
        self.start_button.setObjectName("primary")
        self.decline_button = QPushButton("Decline")
        licence_buttons = QHBoxLayout()
        licence_buttons.addWidget(self.accept_box, 1)
        licence_buttons.addWidget(self.decline_button)
        licence_buttons.addWidget(self.start_button)
        licence_layout = QVBoxLayout(self.licence_box)
        licence_layout.addWidget(self.licence_text)
        licence_layout.addLayout(licence_buttons)
        self.licence_box.hide()

        self.progress = QProgressBar()
        self.progress.hide()
        self.loaded_label = QLabel()
        self.loaded_label.setObjectName("hint")
        self.message = QLabel()
        self.message.setObjectName("hint")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.addWidget(self.readiness)
        layout.addWidget(self.root_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.unsupported_note)
        layout.addWidget(self.cutout_note)
        layout.addLayout(buttons)
        layout.addWidget(self.licence_box)
        layout.addWidget(self.progress)
        layout.addWidget(self.loaded_label)
        layout.addWidget(self.message)

        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.import_button.clicked.connect(self._choose_folder)
        self.import_file_button.clicked.connect(self._choose_file)
        self.download_button.clicked.connect(self.show_licence)
        self.accept_box.toggled.connect(self._update_buttons)
        self.start_button.clicked.connect(self.start_download)
        self.decline_button.clicked.connect(self._decline)
        self.cancel_button.clicked.connect(self.cancel_download)
        self.unload_button.clicked.connect(self.unload_model)
        self._update_buttons()
        self.refresh()

    # --- reading the store -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the store on the pool (it stats and verifies files) and fill the table."""
        run_task(self.store.states, on_result=self._show_states, on_error=self._show_error, owner=self)

    def _show_states(self, states: list[ModelState]) -> None:
        selected = self.selected_spec()
        self._states = states
        self.table.setRowCount(len(states))
        for row, state in enumerate(states):
            cells = (
                state.spec.label,
                state.spec.id,
                _status_text(state),
                _size_text(state.size_bytes) if state.installed else "",
                LICENCES[state.spec.licence].name,
                state.revision[:12],
                state.problem,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
            if selected is not None and state.spec.id == selected.id:
                self.table.selectRow(row)
        self._show_loaded()
        self._update_buttons()
        self.sig_refreshed.emit()

    def state(self, model_id: str) -> ModelState:
        return next(s for s in self._states if s.spec.id == model_id)

    def select(self, model_id: str) -> None:
        row = next(i for i, s in enumerate(self._states) if s.spec.id == model_id)
        self.table.selectRow(row)

    def selected_spec(self) -> ModelSpec | None:
        rows = self.table.selectionModel().selectedRows()
        return self._states[rows[0].row()].spec if rows and self._states else None

    def _show_loaded(self) -> None:
        engines = [get_engine(name) for name in engine_names()]
        loaded = ", ".join(f"{e.label}: {e.loaded_variant}" for e in engines if e.loaded_variant)
        self.loaded_label.setText(f"Loaded in memory: {loaded}" if loaded else "No model is loaded")

    def _update_buttons(self) -> None:
        downloading = self._job is not None
        selected = self.selected_spec()
        installed = selected is not None and self.state(selected.id).installed
        self.import_button.setEnabled(not self._busy and not downloading)
        self.import_file_button.setEnabled(
            selected is not None
            and selected.kind == "cutout"
            and not installed
            and not downloading
            and not self._busy
        )
        self.download_button.setEnabled(
            selected is not None and not installed and not downloading and not self._busy
        )
        self.start_button.setEnabled(self.accept_box.isChecked() and not downloading)
        self.cancel_button.setEnabled(downloading)

    # --- messages ----------------------------------------------------------------------------------

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setObjectName("error" if error else "hint")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text)

    def _show_error(self, exc: BaseException) -> None:
        self._say(str(exc) or type(exc).__name__, error=True)

    # --- import ------------------------------------------------------------------------------------

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import models from a folder")
        if folder:
            self.import_folder(Path(folder), self.link_box.isChecked())

    def import_folder(self, folder: Path, link: bool = False) -> None:
        """Verify and import every known model under `folder` on the pool; the table follows."""
        self._busy = True
        self._update_buttons()
        self.progress.setRange(0, 0)
        self.progress.show()
        self._say(f"{'Linking' if link else 'Copying'} models from {folder}…")
        run_task(
            import_models,
            folder,
            self.store,
            link=link,
            on_result=self._imported,
            on_error=self._import_failed,
            owner=self,
        )

    def _choose_file(self) -> None:
        file, _ = QFileDialog.getOpenFileName(self, "Import a cutout model", "", "ONNX models (*.onnx)")
        if file:
            self.import_file(Path(file))

    def import_file(self, file: Path) -> None:
        """Check and copy one .onnx file in as the selected cutout model, on the pool."""
        selected = self.selected_spec()
        if selected is None or selected.kind != "cutout":
            return
        self._busy = True
        self._update_buttons()
        self.progress.setRange(0, 0)
        self.progress.show()
        self._say(f"Checking and copying {file.name}…")
        run_task(
            import_onnx_file,
            selected,
            file,
            self.store.path(selected),
            on_result=lambda _folder: self._imported([Found(selected, file.parent, "local")]),
            on_error=self._import_failed,
            owner=self,
        )

    def _imported(self, found: list[Found]) -> None:
        self._import_done()
        self._say("Imported: " + ", ".join(f"{item.spec.label} from {item.folder}" for item in found))
        self.sig_store_changed.emit()

    def _import_failed(self, exc: BaseException) -> None:
        self._import_done()
        self._show_error(exc)

    def _import_done(self) -> None:
        self._busy = False
        self.progress.hide()
        self.progress.setRange(0, 100)
        self._update_buttons()
        self.refresh()

    # --- download ----------------------------------------------------------------------------------

    def show_licence(self) -> None:
        """Show the selected model's licence terms; the download starts only once they are accepted."""
        selected = self.selected_spec()
        if selected is None:
            return
        self.licence_box.setTitle(f"Licence terms for {selected.label}")
        self.licence_text.setPlainText(
            _before_download(self.runtime, selected)
            + licence_text(selected.licence, self.store.path(selected))
        )
        self.accept_box.setChecked(False)
        self.licence_box.show()
        self._update_buttons()

    def _decline(self) -> None:
        self.licence_box.hide()
        self.accept_box.setChecked(False)
        self._say("Not downloaded: the licence terms were declined")

    def start_download(self) -> None:
        selected = self.selected_spec()
        if selected is None or not self.accept_box.isChecked() or self._job is not None:
            return
        self.licence_box.hide()
        self.accept_box.setChecked(False)
        job = DownloadJob(selected, self.store)
        try:
            job.start()
        except OSError as exc:
            self._say(f"the download of {selected.label} could not start: {exc}", error=True)
            return
        self._job = job
        self.progress.setRange(0, 0)
        self.progress.show()
        self._say(f"Downloading {selected.label} (about {selected.download_gb:g} GB)…")
        self._update_buttons()
        self._timer.start()

    def _poll(self) -> None:
        job = self._job
        if job is None:
            return
        try:
            status = job.poll()
        except OSError as exc:
            self._finish_download(f"the download of {job.spec.label} failed: {exc}")
            return
        if status.total_bytes:
            self.progress.setRange(0, 1000)
            self.progress.setValue(min(1000, round(1000 * status.done_bytes / status.total_bytes)))
            self.progress.setFormat(
                f"{_size_text(status.done_bytes)} of {_size_text(status.total_bytes)} (%p%)"
            )
        if status.finished:
            self._finish_download(status.error)

    def cancel_download(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._finish_download("cancelled")

    def _finish_download(self, error: str) -> None:
        job = self._job
        assert job is not None
        self._timer.stop()
        self._job = None
        self.progress.hide()
        self.progress.resetFormat()
        if error == "cancelled":
            self._say(f"Download of {job.spec.label} cancelled; downloading it again resumes from there")
        elif error:
            self._say(error, error=True)
        else:
            self._say(f"Installed {job.spec.label} in {self.store.path(job.spec)}")
            self.sig_store_changed.emit()
        self._update_buttons()
        self.refresh()

    @property
    def downloading(self) -> bool:
        return self._job is not None

    # --- unload ------------------------------------------------------------------------------------

    def unload_model(self) -> None:
        try:
            for name in engine_names():
                self._unload(name)
        except Exception as exc:  # shown, never raised into Qt's event loop
            self._say(f"could not unload the model: {exc}", error=True)
            return
        self._show_loaded()
        self._say("The model was unloaded; the next Hunyuan job loads it again")

    def done(self, result: int) -> None:
        """Closing stops a running download; its partial files stay, so the next download resumes."""
        self.cancel_download()
        super().done(result)

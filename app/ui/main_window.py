"""The main window: composes the panels, the viewport and the job runner; no business logic.

Docks can be rearranged; their layout and the window geometry are remembered between runs
(settings section "window"). Pictures can be dropped anywhere on the window; meshes open in the
viewport.
"""

from __future__ import annotations

import importlib
import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import QDockWidget, QFileDialog, QLabel, QMainWindow, QVBoxLayout, QWidget

from app.core.errors import InputError
from app.core.formats.suffixes import MESH_SUFFIXES
from app.core.generation.engines.registry import get_engine
from app.core.generation.request import GenerationRequest
from app.core.paths import cache_dir
from app.core.settings import is_sealed, load_section, save_section, seal, setting, unseal
from app.ui.panels.generate_bar import GenerateBar
from app.ui.panels.image import FILE_FILTER as PICTURE_FILTER
from app.ui.panels.image import ImagePanel, dropped_paths
from app.ui.panels.image_preview import is_mesh
from app.ui.panels.inspector import InspectorPanel
from app.ui.panels.prompt import PromptPanel
from app.ui.panels.queue import QueuePanel
from app.ui.viewport.gl_widget import ViewportWidget
from app.ui.viewport.lod_bar import LodBar
from app.ui.viewport.toolbar import ViewportToolbar
from app.ui.workers.generation import JobRunner
from app.ui.workers.jobs import Job
from app.ui.workers.library_sink import LibrarySink
from app.ui.workers.tasks import run_task, wait_for_tasks

if TYPE_CHECKING:
    from app.core.library.repository import Library
    from app.core.mesh.types import LodSet
    from app.ui.panels.export import ExportPanel
    from app.ui.panels.library import LibraryPanel

log = logging.getLogger(__name__)
LAYOUT_VERSION = 1
LAYOUT_MAX_CHARS = 100_000
"""A saved window layout is a few kilobytes of base64."""


@dataclass
class WindowSettings:
    geometry: str = setting("", check=is_sealed, max_length=LAYOUT_MAX_CHARS)
    state: str = setting("", check=is_sealed, max_length=LAYOUT_MAX_CHARS)


class MainWindow(QMainWindow):
    sig_library_ready = Signal()

    def __init__(self, runner: JobRunner | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Sweedle")
        self.setObjectName("main_window")
        self.setAcceptDrops(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
            | QMainWindow.DockOption.AllowNestedDocks
        )
        self.library_sink = LibrarySink()
        self.runner = runner or JobRunner(after_job=self.library_sink.save, parent=self)
        self.library_panel: LibraryPanel | None = None
        self.export_panel: ExportPanel | None = None

        self.viewport = ViewportWidget()
        self.viewport_toolbar = ViewportToolbar(self.viewport)
        self.lod_bar = LodBar(self.viewport)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.setSpacing(0)
        centre_layout.addWidget(self.viewport_toolbar)
        centre_layout.addWidget(self.viewport, 1)
        centre_layout.addWidget(self.lod_bar)
        self.setCentralWidget(centre)
        self.prompt_panel = PromptPanel()
        self.generate_bar = GenerateBar(self.runner)
        self.image_panel = ImagePanel()
        self.queue_panel = QueuePanel(self.runner)
        self.inspector = InspectorPanel()

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.prompt_panel, 1)
        left_layout.addWidget(self.generate_bar)
        self.docks: dict[str, QDockWidget] = {}
        self._dock("Generate", left, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._dock("Pictures", self.image_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._dock("Queue", self.queue_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._dock("Library", _waiting("Opening the asset library…"), Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("Export", _waiting("Opening the asset library…"), Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.docks["Export"], self.docks["Inspector"])
        self.docks["Export"].raise_()
        self.resize(1440, 900)
        self.resizeDocks(
            [self.docks["Generate"], self.docks["Inspector"]], [340, 300], Qt.Orientation.Horizontal
        )
        self.resizeDocks([self.docks["Queue"]], [140], Qt.Orientation.Vertical)
        self._default_state = self.saveState(LAYOUT_VERSION)
        self._build_menus()
        self._restore_layout()
        self.image_panel.set_views(self._engine_views(self.prompt_panel.engine_name))

        self.generate_bar.sig_generate.connect(self.generate)
        self.prompt_panel.sig_engine_changed.connect(self._on_engine_changed)
        self.prompt_panel.prompt.sig_picture_pasted.connect(self.paste)
        self.image_panel.sig_images_for_batch.connect(self.generate_batch)
        self.image_panel.sig_refused.connect(self.show_error)
        self.viewport.sig_mesh_file_dropped.connect(self.open_mesh)
        self.runner.sig_finished.connect(self._on_job_finished)
        self.runner.sig_failed.connect(self._on_job_failed)
        self.statusBar().showMessage("Drop a picture on the window, then press Generate.")
        QTimer.singleShot(0, self._start_background_work)

    # --- actions -------------------------------------------------------------------------------
    def generate(self) -> Job | None:
        """Queue one job from the pictures and fields; a problem is shown, never raised."""
        front = self.image_panel.front
        extra_views = {view: path for view, path in self.image_panel.views().items() if view != "front"}
        try:
            request = self.prompt_panel.build_request(front, views=extra_views)
        except InputError as exc:
            self.show_error(str(exc))
            return None
        return self._submit(request)

    def generate_batch(self, images: list[Path]) -> list[Job]:
        """One job per picture, with the current settings; each is named after its file."""
        jobs = []
        for image in images:
            try:
                request = self.prompt_panel.build_request(image, name=image.stem)
            except InputError as exc:
                self.show_error(str(exc))
                return jobs
            jobs.append(self._submit(request))
        self.statusBar().showMessage(f"Queued {len(jobs)} jobs.", 5000)
        return jobs

    def open_mesh(self, path: str | Path) -> None:
        path = Path(path)
        self.statusBar().showMessage(f"Opening {path.name}…")
        run_task(_read_mesh_file, path, on_result=self.show_lodset, on_error=self._on_open_failed)

    def show_lodset(self, lodset: LodSet) -> None:
        self.viewport.set_lodset(lodset)
        self.inspector.show_lods([(lod.mesh.triangle_count, lod.error_pct) for lod in lodset.lods])
        self.statusBar().showMessage(
            f"{lodset.name}: {len(lodset.lods)} LOD(s), {lodset.lod0.triangle_count:,} triangles", 8000
        )
        if lodset.notes:
            self.generate_bar.show_message(" ".join(lodset.notes))

    def paste(self) -> None:
        """Ctrl+V: an image on the clipboard becomes the front picture (files are dropped as usual)."""
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None and mime.hasUrls():
            paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
            if paths:
                self.accept_paths(paths)
                return
        image = QGuiApplication.clipboard().image()
        if image.isNull():
            self.show_error("The clipboard holds no picture to paste.")
            return
        stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        target = cache_dir() / "pasted" / f"pasted-{stamp}.png"
        run_task(
            _save_pasted,
            image.convertToFormat(QImage.Format.Format_RGBA8888),
            target,
            on_result=lambda path: self.image_panel.accept_files("front", [path]),
            on_error=lambda exc: self.show_error(f"Could not keep the pasted picture: {exc}"),
        )

    def show_models_dialog(self) -> None:
        from app.ui.dialogs.models import ModelsDialog

        dialog = ModelsDialog(self, unload=self.runner.unload_engine)
        dialog.sig_store_changed.connect(self.prompt_panel.refresh_engines)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    def show_error(self, message: str) -> None:
        self.generate_bar.show_message(message, error=True)
        self.statusBar().showMessage(message, 10000)

    # --- window plumbing -----------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = dropped_paths(event)
        if paths:
            event.acceptProposedAction()
            self.accept_paths(paths)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._save_layout()
        self.prompt_panel.save()
        self.runner.shutdown()
        wait_for_tasks()
        super().closeEvent(event)

    def accept_paths(self, paths: list[Path]) -> None:
        """Meshes open in the viewport; pictures go to the picture slots, which refuse the rest."""
        meshes = [p for p in paths if is_mesh(p)]
        if meshes:
            self.open_mesh(meshes[0])
        rest = [p for p in paths if not is_mesh(p)]
        if rest:
            self.image_panel.accept_files("front", rest)

    def _submit(self, request: GenerationRequest) -> Job:
        output = cache_dir() / "jobs" / f"{uuid.uuid4().hex[:12]}" / f"{request.asset_name}.glb"
        job = self.runner.submit(Job(request, output))
        self.generate_bar.show_message("")
        return job

    def _start_background_work(self) -> None:
        run_task(_open_library, on_result=self._on_library_open, on_error=self._on_library_failed)
        run_task(_warm_up)

    def _on_library_open(self, opened: tuple[Library, list[str]]) -> None:
        from app.ui.panels.export import ExportPanel
        from app.ui.panels.library import LibraryPanel

        library, recovery_lines = opened
        self.library_sink.set_library(library)
        self.library_panel = LibraryPanel(library)
        self.library_panel.setObjectName("library_panel")
        self.library_panel.sig_open_asset.connect(self.open_asset)
        self.library_panel.sig_error.connect(self.show_error)
        self.docks["Library"].setWidget(self.library_panel)
        self.export_panel = ExportPanel(library)
        self.export_panel.setObjectName("export_panel")
        self.docks["Export"].setWidget(self.export_panel)
        self.library_panel.view.selectionModel().selectionChanged.connect(self._on_library_selection)
        self.export_panel.sig_finished.connect(lambda _items: self.library_panel.refresh())
        if recovery_lines:
            self.show_error("Library check after an unclean exit: " + " ".join(recovery_lines))
        self.sig_library_ready.emit()

    def _on_library_failed(self, exc: BaseException) -> None:
        message = f"The asset library could not open: {exc}"
        self.library_sink.set_library(None, str(exc))
        for title in ("Library", "Export"):
            self.docks[title].setWidget(_waiting(message))
        self.show_error(message)

    def _on_library_selection(self) -> None:
        if self.library_panel is not None and self.export_panel is not None:
            self.export_panel.set_assets(self.library_panel.selected_ids())

    def open_asset(self, asset_id: int) -> None:
        """Show a library asset's current version in the viewport."""
        library = self.library_sink.library
        if library is None:
            return
        run_task(_read_asset, library, asset_id, on_result=self.show_lodset, on_error=self._on_open_failed)

    def _on_job_finished(self, job: Job) -> None:
        result = job.result
        if result is None or result.model is None:
            return
        asset_id = self.library_sink.saved_asset_ids.get(job.id)
        if self.library_panel is not None:
            self.library_panel.refresh()
        if self.export_panel is not None and asset_id is not None:
            self.export_panel.set_assets([asset_id])
        if job.message:
            self.show_error(f"{job.label}: {job.message}")
        self.viewport.set_lodset(result.model)
        self.inspector.show_result(result)
        triangles = result.model.lod0.triangle_count
        self.statusBar().showMessage(
            f"{job.label}: done in {job.elapsed():.1f} s, {triangles:,} triangles", 10000
        )

    def _on_job_failed(self, job: Job) -> None:
        self.statusBar().showMessage(f"{job.label} failed: {job.message}", 15000)

    def _on_open_failed(self, exc: BaseException) -> None:
        self.show_error(str(exc))

    def _on_engine_changed(self, name: str) -> None:
        self.image_panel.set_views(self._engine_views(name))

    @staticmethod
    def _engine_views(name: str) -> tuple[str, ...]:
        return get_engine(name).views

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower()}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[title] = dock
        return dock

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        open_image = QAction("Open &Picture…", self)
        open_image.setShortcut(QKeySequence.StandardKey.Open)
        open_image.triggered.connect(self._open_picture_dialog)
        open_mesh = QAction("Open &Mesh…", self)
        open_mesh.triggered.connect(self._open_mesh_dialog)
        paste = QAction("&Paste Picture", self)
        paste.setShortcut(QKeySequence.StandardKey.Paste)
        paste.triggered.connect(self.paste)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        for action in (open_image, open_mesh, paste):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        self.addActions([paste])

        generate_menu = self.menuBar().addMenu("&Generate")
        generate_action = QAction("&Generate", self)
        generate_action.setShortcut(QKeySequence("Ctrl+Return"))
        generate_action.triggered.connect(self.generate)
        cancel_action = QAction("&Cancel All", self)
        cancel_action.triggered.connect(self.runner.cancel_all)
        generate_menu.addAction(generate_action)
        generate_menu.addAction(cancel_action)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self.generate)

        models_menu = self.menuBar().addMenu("&Models")
        models_action = QAction("&Models…", self)
        models_action.setToolTip("Installed model weights: import, download, unload")
        models_action.triggered.connect(self.show_models_dialog)
        models_menu.addAction(models_action)
        unload_action = QAction("&Unload Hunyuan3D-2", self)
        unload_action.triggered.connect(lambda: self.runner.unload_engine("hunyuan"))
        models_menu.addAction(unload_action)

        self.view_menu = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addSeparator()
        reset = QAction("&Reset Layout", self)
        reset.triggered.connect(lambda: self.restoreState(self._default_state, LAYOUT_VERSION))
        self.view_menu.addAction(reset)

    def _open_picture_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Open pictures", "", PICTURE_FILTER)
        if files:
            self.accept_paths([Path(f) for f in files])

    def _open_mesh_dialog(self) -> None:
        file, _ = QFileDialog.getOpenFileName(
            self, "Open mesh", "", "Meshes ({})".format(" ".join(f"*{s}" for s in MESH_SUFFIXES))
        )
        if file:
            self.open_mesh(file)

    def _restore_layout(self) -> None:
        """Only layouts this app wrote and nobody damaged reach Qt (see `unseal`)."""
        saved = load_section("window", WindowSettings)
        geometry, state = unseal(saved.geometry), unseal(saved.state)
        if geometry:
            self.restoreGeometry(QByteArray(geometry))
        if state:
            self.restoreState(QByteArray(state), LAYOUT_VERSION)

    def _save_layout(self) -> None:
        save_section(
            "window",
            WindowSettings(
                geometry=seal(bytes(self.saveGeometry().data())),
                state=seal(bytes(self.saveState(LAYOUT_VERSION).data())),
            ),
        )


def _warm_up() -> None:
    """Runs in the pool right after start-up: load what the first job and its result need, so
    neither the window's start nor the GUI thread pays for these imports (about a second here)."""
    for module in _WARM_MODULES:
        importlib.import_module(module)


_WARM_MODULES = (
    "app.core.imaging",  # picture previews
    "app.core.generation.stages",  # the pipeline
    "app.core.formats.glb_reader",  # opening meshes
    "pyqtgraph",  # the inspector's plots
)


def _open_library() -> tuple[Library, list[str]]:
    """Runs in the pool: open (create, migrate after a backup, recover) the library."""
    import app.ui.panels.export
    import app.ui.panels.library  # noqa: F401
    from app.core.library.startup import open_library

    library, report = open_library()
    return library, report.lines()


def _read_asset(library: Library, asset_id: int) -> LodSet:
    from app.core.formats.glb_reader import read_glb
    from app.core.library.records import GLB_FILE

    summary = library.get_asset(asset_id).summary
    if summary.folder is None:
        raise InputError(f"asset {summary.name} has no saved version to open")
    return read_glb(summary.folder / GLB_FILE)


def _waiting(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


def _read_mesh_file(path: Path) -> LodSet:
    """Runs in the pool, where the mesh readers (numpy, scipy) load on first use."""
    from app.core.formats.mesh_files import read_mesh_file

    return read_mesh_file(path)


def _save_pasted(image: QImage, target: Path) -> Path:
    """Runs in the pool: PNG-encode the pasted picture under a temporary name, then rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.part")
    if not image.save(str(temp), "PNG"):
        raise OSError(f"could not write {temp}")
    temp.replace(target)
    return target

"""The main window: composes the panels, the viewport and the job runner; no business logic.

Docks can be rearranged; their layout and the window geometry are remembered between runs
(settings section "window"). Pictures can be dropped anywhere on the window; meshes open in the
viewport.
"""

from __future__ import annotations

import base64
import importlib
import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt, QTimer
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
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMainWindow, QVBoxLayout, QWidget

from app.core.errors import InputError
from app.core.generation.engines.registry import get_engine
from app.core.generation.request import GenerationRequest
from app.core.paths import cache_dir
from app.core.settings import load_section, save_section
from app.ui.panels.generate_bar import GenerateBar
from app.ui.panels.image import ImagePanel, dropped_paths
from app.ui.panels.image_preview import is_mesh
from app.ui.panels.inspector import InspectorPanel
from app.ui.panels.prompt import PromptPanel
from app.ui.panels.queue import QueuePanel
from app.ui.viewport.gl_widget import ViewportWidget
from app.ui.workers.generation import JobRunner
from app.ui.workers.jobs import Job
from app.ui.workers.tasks import run_task, wait_for_tasks

if TYPE_CHECKING:
    from app.core.mesh.types import LodSet

log = logging.getLogger(__name__)
LAYOUT_VERSION = 1


@dataclass
class WindowSettings:
    geometry: str = ""
    state: str = ""


class MainWindow(QMainWindow):
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
        self.runner = runner or JobRunner(parent=self)

        self.viewport = ViewportWidget()
        self.setCentralWidget(self.viewport)
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
        self._dock("Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
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
        QTimer.singleShot(0, lambda: run_task(_warm_up))

    # --- actions -------------------------------------------------------------------------------
    def generate(self) -> Job | None:
        """Queue one job from the pictures and fields; a problem is shown, never raised."""
        front = self.image_panel.front
        if front is None:
            self.show_error("Add a front picture first: drop one on the window, paste it, or click the slot.")
            return None
        try:
            request = self.prompt_panel.build_request(front)
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

    def _on_job_finished(self, job: Job) -> None:
        result = job.result
        if result is None or result.model is None:
            return
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
        return tuple(getattr(get_engine(name), "views", ("front",)))

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

        self.view_menu = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addSeparator()
        reset = QAction("&Reset Layout", self)
        reset.triggered.connect(lambda: self.restoreState(self._default_state, LAYOUT_VERSION))
        self.view_menu.addAction(reset)

    def _open_picture_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, "Open pictures", "", "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff *.tga *.gif)"
        )
        if files:
            self.accept_paths([Path(f) for f in files])

    def _open_mesh_dialog(self) -> None:
        file, _ = QFileDialog.getOpenFileName(
            self, "Open mesh", "", "Meshes (*.glb *.gltf *.obj *.ply *.stl)"
        )
        if file:
            self.open_mesh(file)

    def _restore_layout(self) -> None:
        saved = load_section("window", WindowSettings)
        if saved.geometry:
            self.restoreGeometry(QByteArray(base64.b64decode(saved.geometry)))
        if saved.state:
            self.restoreState(QByteArray(base64.b64decode(saved.state)), LAYOUT_VERSION)

    def _save_layout(self) -> None:
        save_section(
            "window",
            WindowSettings(
                geometry=base64.b64encode(bytes(self.saveGeometry().data())).decode(),
                state=base64.b64encode(bytes(self.saveState(LAYOUT_VERSION).data())).decode(),
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

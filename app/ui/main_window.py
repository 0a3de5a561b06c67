"""The main window: composes the panels, the viewport and the job runner; no business logic.

Docks can be rearranged; their layout and the window geometry are remembered between runs
(settings section "window"). Pictures can be dropped anywhere on the window; meshes open in the
viewport. File ▸ Import… brings meshes into the library, File ▸ Export As… writes the asset in
the viewport to a file; the Inspector's version history compares two versions side by side in
the viewport and opens Re-texture.
"""

from __future__ import annotations

import importlib
import logging
import time
import uuid
from dataclasses import dataclass, replace
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
    QUndoStack,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from app.core.base.errors import InputError, SweedleError
from app.core.formats.suffixes import MESH_SUFFIXES
from app.core.generation.engines.registry import engine_names, get_engine
from app.core.generation.request import GenerationRequest
from app.core.paths import cache_dir
from app.core.settings import is_sealed, load_section, save_section, seal, setting, unseal
from app.ui.heap import freeze_start_up_objects
from app.ui.library_edits import LibraryEdits
from app.ui.panels.generate_bar import GenerateBar
from app.ui.panels.image import FILE_FILTER as PICTURE_FILTER
from app.ui.panels.image import ImagePanel, dropped_paths
from app.ui.panels.image_preview import is_mesh
from app.ui.panels.inspector import InspectorPanel
from app.ui.panels.prompt import PromptPanel
from app.ui.panels.queue import QueuePanel
from app.ui.panels.scrolling import scrolled
from app.ui.png_files import write_png
from app.ui.viewport.gl_widget import ViewportWidget
from app.ui.viewport.lod_bar import LodBar
from app.ui.viewport.toolbar import ViewportToolbar
from app.ui.workers.jobs import Job
from app.ui.workers.library_sink import LibrarySink
from app.ui.workers.queue_relay import QueueRelay
from app.ui.workers.tasks import run_task, wait_for_tasks

if TYPE_CHECKING:
    from app.core.export.options import ExportOptions
    from app.core.export.staging import ExportResult
    from app.core.library.records import AssetRecord
    from app.core.library.repository import Library
    from app.core.mesh.types import LodSet
    from app.ui.dialogs.retexture import RetextureDialog
    from app.ui.panels.export import ExportPanel
    from app.ui.panels.library import LibraryPanel

log = logging.getLogger(__name__)
LAYOUT_VERSION = 2
"""2: docks full height beside a wider viewport (a layout saved by version 1 is not restored)."""
LAYOUT_MAX_CHARS = 100_000
"""A saved window layout is a few kilobytes of base64."""
_MESH_FILTER = "Meshes ({})".format(" ".join(f"*{s}" for s in MESH_SUFFIXES))
_EXPORT_LABELS = {
    "glb": "glTF binary",
    "gltf": "glTF with .bin",
    "fbx": "FBX",
    "obj": "OBJ",
    "stl": "STL",
    "ply": "PLY",
}
"""File ▸ Export As…'s file types, in the order offered (every format the CLI's `--as` writes)."""
BACKGROUND_AT_THE_LATEST_MS = 1500
"""The library opens and the pipeline's modules load on the pool once the viewport has drawn its
first frame (the pool loads the viewport's drawing code first, and their imports would share the
GIL with it, doubling its time), or after this long when the viewport is not on screen."""


@dataclass
class WindowSettings:
    geometry: str = setting("", check=is_sealed, max_length=LAYOUT_MAX_CHARS)
    state: str = setting("", check=is_sealed, max_length=LAYOUT_MAX_CHARS)


class MainWindow(QMainWindow):
    sig_library_ready = Signal()
    sig_library_rebuilt = Signal(list)
    """What File ▸ Rebuild Library… did, one line each."""
    sig_exported = Signal(object)
    """File ▸ Export As… wrote its files (the ExportResult)."""

    def __init__(self, runner: QueueRelay | None = None) -> None:
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
        self.runner = runner or QueueRelay(self.library_sink, parent=self)
        self.library_panel: LibraryPanel | None = None
        self.export_panel: ExportPanel | None = None
        self.edits: LibraryEdits | None = None
        self.undo_stack = QUndoStack(self)
        self._retired: list[QWidget] = []
        self._export_folder = Path.home()
        """Where File ▸ Export As… last wrote, offered again."""
        """Library edits (rename, tags, notes, favourite, trash, restore, promote) for Edit ▸ Undo."""

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
        self.queue_panel = QueuePanel(self.runner, build_requests=self._batch_requests)
        self.inspector = InspectorPanel()

        settings = scrolled(self.prompt_panel)
        settings.setObjectName("generate_settings")
        settings.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        settings.setMinimumWidth(
            self.prompt_panel.minimumSizeHint().width() + settings.verticalScrollBar().sizeHint().width()
        )
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(settings, 1)
        left_layout.addWidget(self.generate_bar)
        self.docks: dict[str, QDockWidget] = {}
        self._dock("Generate", left, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._dock("Pictures", self.image_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._dock("Queue", self.queue_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._dock("Library", _waiting("Opening the asset library…"), Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("Export", _waiting("Opening the asset library…"), Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        self._default_layout()
        self._default_state = self.saveState(LAYOUT_VERSION)
        self._build_menus()
        self._restore_layout()
        self.image_panel.set_views(self._engine_views(self.prompt_panel.engine_name))

        self.generate_bar.sig_generate.connect(lambda: self.generate())
        self.inspector.sig_version_changed.connect(self.open_asset)
        self.inspector.sig_compare.connect(self.compare_versions)
        self.inspector.sig_retexture.connect(self.show_retexture_dialog)
        self.prompt_panel.sig_engine_changed.connect(self._on_engine_changed)
        self.prompt_panel.prompt.sig_picture_pasted.connect(self.paste)
        self.image_panel.sig_images_for_batch.connect(self.generate_batch)
        self.image_panel.sig_refused.connect(self.show_error)
        self.viewport.sig_mesh_file_dropped.connect(self.open_mesh)
        self.runner.sig_finished.connect(self._on_job_finished)
        self.runner.sig_failed.connect(self._on_job_failed)
        self.statusBar().showMessage("Drop a picture on the window, then press Generate.")
        self._background_started = False
        self.viewport.sig_first_frame.connect(self._start_background_work, Qt.ConnectionType.QueuedConnection)
        QTimer.singleShot(BACKGROUND_AT_THE_LATEST_MS, self, self._start_background_work)

    # --- actions -------------------------------------------------------------------------------
    def generate(self, force: bool = False) -> list[Job]:
        """Queue the pictures that wait for Generate: one job per picture when several wait, else
        one from the front picture (and its other views) or the prompt. A problem is shown, never
        raised. `force` generates even when the library holds an identical version."""
        panel = self.image_panel
        if panel.waiting:
            return self.generate_batch(panel.take_batch(), force=force)
        extra_views = {view: path for view, path in panel.views().items() if view != "front"}
        name = None if self.prompt_panel.asset_name() else panel.front_name
        try:
            request = panel.with_front_mask(
                self.prompt_panel.build_request(panel.front, name=name, views=extra_views)
            )
        except InputError as exc:
            self.show_error(str(exc))
            return []
        request = replace(request, seed=self.prompt_panel.job_seed())
        self.prompt_panel.save()
        panel.take_batch()
        return [self._submit(request, force)]

    def generate_batch(self, images: list[Path], force: bool = False) -> list[Job]:
        """One job per picture, with the current settings; each is named after its file."""
        try:
            requests = [self.image_panel.with_front_mask(request) for request in self._batch_requests(images)]
        except InputError as exc:
            self.show_error(str(exc))
            return []
        jobs = [self._submit(request, force) for request in requests]
        self.statusBar().showMessage(f"Queued {len(jobs)} jobs.", 5000)
        return jobs

    def open_mesh(self, path: str | Path) -> None:
        path = Path(path)
        self.statusBar().showMessage(f"Opening {path.name}…")
        run_task(
            _read_mesh_file,
            path,
            on_result=lambda lodset: self.show_lodset(lodset, path),
            on_error=lambda exc: self._on_mesh_failed(path, exc),
            owner=self,
        )

    def show_lodset(
        self,
        lodset: LodSet,
        file: Path | None = None,
        asset_id: int | None = None,
        source: Path | None = None,
    ) -> None:
        """Show a mesh in the viewport and the inspector, and its source picture (if it has one)
        in the front slot, so the two never show different assets. A mesh with a position that is
        not a finite number is refused with a message: it must never reach the GPU."""
        from app.core.formats.mesh_checks import check_lodset  # numpy is loaded once a mesh exists

        try:
            check_lodset(file.name if file is not None else lodset.name, lodset)
        except InputError as exc:
            self.show_error(str(exc))
            return
        self.viewport.set_lodset_later(lodset)  # staged on the pool, copied over frames
        self.inspector.show_lodset(lodset, file, asset_id)
        self.image_panel.show_source(source, lodset.name)
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
            owner=self,
        )

    def _unload_engines(self) -> None:
        for name in engine_names():
            self.runner.unload_engine(name)

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

    def accept_paths(self, paths: list[Path], queue: bool | None = None) -> None:
        """Meshes open in the viewport; pictures go to the picture slots, which refuse the rest
        (`queue`: queue the pictures now instead of waiting for Generate; None: the user's choice)."""
        meshes = [p for p in paths if is_mesh(p)]
        if meshes:
            self.open_mesh(meshes[0])
        rest = [p for p in paths if not is_mesh(p)]
        if rest:
            self.image_panel.accept_files("front", rest, queue=queue)

    def _batch_requests(self, pictures: list[Path]) -> list[GenerationRequest]:
        """One request per picture with the Generate panel's settings, each named after its file
        and with its own job seed; the settings are saved once, for the whole batch. Raises
        InputError (nothing saved or queued) when the settings cannot make a request."""
        requests = [self.prompt_panel.build_request(picture, name=picture.stem) for picture in pictures]
        requests = [replace(request, seed=self.prompt_panel.job_seed()) for request in requests]
        self.prompt_panel.save()
        return requests

    def _submit(self, request: GenerationRequest, force: bool = False, asset_id: int | None = None) -> Job:
        output = cache_dir() / "jobs" / f"{uuid.uuid4().hex[:12]}" / f"{request.asset_name}.glb"
        job = Job(request, output, force=force)
        if asset_id is not None:  # the result becomes this asset's new version
            self.library_sink.targets[job.id] = asset_id
        self.runner.submit(job)
        self.generate_bar.show_message("")
        return job

    def _start_background_work(self) -> None:
        if self._background_started:
            return
        self._background_started = True
        run_task(_open_library, on_result=self._on_library_open, on_error=self._on_library_failed, owner=self)
        run_task(_warm_up, on_result=lambda _: freeze_start_up_objects("warm-up"), owner=self)

    def _on_library_open(self, opened: tuple[Library, list[str]]) -> None:
        from app.ui.panels.export import ExportPanel
        from app.ui.panels.library import LibraryPanel

        library, recovery_lines = opened
        self.library_sink.set_library(library)
        self.edits = LibraryEdits(library, self, self.undo_stack)
        self.edits.sig_error.connect(self.show_error)
        self.inspector.set_edits(self.edits)
        self.edits.sig_changed.connect(self._on_library_edited)
        self.library_panel = LibraryPanel(library, self.edits)
        self.library_panel.setObjectName("library_panel")
        self.library_panel.sig_open_asset.connect(self.open_asset)
        self.library_panel.sig_error.connect(self.show_error)
        self.library_panel.sig_retexture_paint.connect(self.retexture_with_paint)
        self.library_panel.sig_retexture.connect(self.show_retexture_dialog)
        self.docks["Library"].setWidget(self.library_panel)
        self.export_panel = ExportPanel(library)
        self.export_panel.setObjectName("export_panel")
        self.docks["Export"].setWidget(self.export_panel)
        self.library_panel.view.selectionModel().selectionChanged.connect(self._on_library_selection)
        self.export_panel.sig_finished.connect(lambda _items: self.library_panel.refresh())
        if recovery_lines:
            self.show_error("Library check after an unclean exit: " + " ".join(recovery_lines))
        freeze_start_up_objects("library")
        self.sig_library_ready.emit()

    def _on_library_failed(self, exc: BaseException) -> None:
        message = f"The asset library could not open: {exc}"
        self.library_sink.set_library(None, str(exc))
        for title in ("Library", "Export"):
            self.docks[title].setWidget(_waiting(message))
        self.show_error(message)

    def rebuild_library(self, confirm: bool = True) -> bool:
        """File ▸ Rebuild Library…: a new database made from the asset folders on the pool (the old
        one is set aside), then the library reopens. Waits for a running job or import to end."""
        panel = self.library_panel
        if self.runner.busy or (panel is not None and panel.imports_running()):
            self.show_error("Wait for the running job or import to finish, then rebuild the library.")
            return False
        question = (
            "Make a new library database from the asset folders? The current database is moved to "
            "set-aside/ in the library folder, not deleted. Close other Sweedle windows first."
        )
        answer = QMessageBox.question(self, "Rebuild Library", question) if confirm else None
        if confirm and answer != QMessageBox.StandardButton.Yes:
            return False
        library = self.library_sink.library
        self.library_sink.suspend()
        if panel is not None:
            panel.watcher.stop()
        self.undo_stack.clear()
        self.library_panel = self.export_panel = None
        for title in ("Library", "Export"):
            self._retired.append(self.docks[title].widget())
            self.docks[title].setWidget(_waiting("Rebuilding the asset library…"))
        run_task(
            _rebuild_library,
            library,
            on_result=self._on_library_rebuilt,
            on_error=self._on_rebuild_failed,
            owner=self,
        )
        return True

    def _on_library_rebuilt(self, done: tuple[Library, list[str], list[str]]) -> None:
        library, recovery_lines, rebuild_lines = done
        self._drop_retired()
        self._on_library_open((library, recovery_lines))
        self.statusBar().showMessage("; ".join(rebuild_lines), 20000)
        self.sig_library_rebuilt.emit(rebuild_lines)

    def _on_rebuild_failed(self, exc: BaseException) -> None:
        self._drop_retired()
        self.show_error(f"The library was not rebuilt: {exc}")
        run_task(_open_library, on_result=self._on_library_open, on_error=self._on_library_failed, owner=self)

    def _drop_retired(self) -> None:
        """Panels of the closed library, kept until now so their last pool tasks could land."""
        for widget in self._retired:
            widget.deleteLater()
        self._retired.clear()

    def _on_library_edited(self, _change: object) -> None:
        """A rename shows on the Export buttons at once (they name their assets)."""
        self._on_library_selection()

    def _on_library_selection(self) -> None:
        if self.library_panel is not None and self.export_panel is not None:
            self.export_panel.set_assets(self.library_panel.selected_ids())

    def retexture_with_paint(self, asset_id: int, picture: Path | None = None) -> Job | None:
        """Queue a re-texture of a library asset with Hunyuan Paint: the mesh and its LOD sizes stay,
        the result is the asset's new version. It paints from the picture the asset was made from,
        or (an imported mesh) one the user chooses; the Generate panel's paint settings apply."""
        from app.core.library.records import source_picture

        library = self.library_sink.library
        if library is None:
            self.show_error("The library is not open yet; re-texture once it is.")
            return None
        summary = library.get_asset(asset_id).summary
        glb = summary.glb_path
        if glb is None or not glb.is_file():
            self.show_error(f"{summary.name} has no saved mesh to re-texture")
            return None
        picture = picture or source_picture(summary.folder)
        if picture is None:
            chosen, _ = QFileDialog.getOpenFileName(
                self, f"Picture to paint {summary.name} from", "", PICTURE_FILTER
            )
            if not chosen:
                return None
            picture = Path(chosen)
        panel = self.prompt_panel
        try:
            request = GenerationRequest(
                image_path=picture,
                mesh_path=glb,
                name=summary.name,
                seed=panel.seed.value(),
                texture_size=int(panel.texture.currentData()),
                texture_method="paint",
                paint=panel.paint_options(),
            )
        except InputError as exc:
            self.show_error(str(exc))
            return None
        return self._submit(request, force=True, asset_id=asset_id)

    def open_asset(self, asset_id: int) -> None:
        """Show a library asset's current version in the viewport."""
        library = self.library_sink.library
        if library is None:
            return
        run_task(
            _read_asset,
            library,
            asset_id,
            on_result=lambda opened: self.show_lodset(*opened),
            on_error=self._on_open_failed,
            owner=self,
        )

    def compare_versions(self, asset_id: int, older_id: int, newer_id: int) -> None:
        """Show two versions of a library asset side by side in the viewport (read on the pool)."""
        library = self.library_sink.library
        if library is not None:
            run_task(
                _read_versions,
                library,
                asset_id,
                (older_id, newer_id),
                on_result=self._show_comparison,
                on_error=self._on_open_failed,
                owner=self,
            )

    def _show_comparison(self, shown: tuple[LodSet, LodSet, tuple[str, str]]) -> None:
        left, right, captions = shown
        self.viewport.compare(left, right, captions)
        self.statusBar().showMessage(
            f"Left: {captions[0]}; right: {captions[1]}. Esc in the viewport ends the comparison.", 15000
        )

    def show_retexture_dialog(self, asset_id: int) -> RetextureDialog | None:
        """Re-texture a library asset: choose the picture, size and roughness; a new version results."""
        from app.ui.dialogs.retexture import RetextureDialog

        library = self.library_sink.library
        if library is None:
            self.show_error("The library is not open yet; re-texture once it is.")
            return None
        try:
            dialog = RetextureDialog(library, asset_id, self)
        except SweedleError as exc:
            self.show_error(str(exc))
            return None
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_done.connect(self._on_retextured)
        dialog.show()
        return dialog

    def _on_retextured(self, record: AssetRecord) -> None:
        if self.library_panel is not None:
            self.library_panel.refresh()
            self.library_panel.select_ids([record.id])
        self.open_asset(record.id)
        version = record.current_version
        self.statusBar().showMessage(
            f"{record.name}: re-textured as version {version.version if version else '?'}", 10000
        )

    def import_meshes(self, paths: list[Path]) -> None:
        """File ▸ Import…: mesh files into the library, one after another on the pool; the Library
        panel shows the progress and can cancel."""
        if self.library_panel is None:
            self.show_error("The library is not open yet; import once it is.")
            return
        self.docks["Library"].raise_()
        self.library_panel.import_files(paths)

    def export_as(self, path: Path) -> None:
        """File ▸ Export As…: the asset in the viewport (a library asset's current version, or the
        mesh opened) to `path`, in the format its suffix names, with the Export panel's options."""
        from dataclasses import replace

        from app.core.export.options import ExportOptions
        from app.core.mesh.collision import NO_COLLISION

        lodset = self.viewport.lodset
        if lodset is None:
            self.show_error("Open or generate an asset first, then export it.")
            return
        options = self.export_panel.options() if self.export_panel is not None else ExportOptions()
        dropped = options.collision.wanted  # collision shapes are for the engine exports
        options = replace(options, collision=NO_COLLISION)
        compress = self.export_panel is not None and self.export_panel.compress.isChecked()
        asset_id = self.inspector.asset_id if self.inspector.lodset is lodset else None
        self.statusBar().showMessage(f"Exporting {lodset.name} to {path.name}…")
        run_task(
            _export_as,
            lodset,
            asset_id,
            path,
            options,
            self.library_sink.library,
            compress,
            on_result=lambda result: self._on_exported(
                replace(result, notes=[*result.notes, _NO_COLLISION_IN_FILES]) if dropped else result
            ),
            on_error=lambda exc: self.show_error(f"Export As failed: {exc}"),
            owner=self,
        )

    def _on_exported(self, result: ExportResult) -> None:
        others = f" and {len(result.files) - 1} more file(s)" if len(result.files) > 1 else ""
        self.statusBar().showMessage(f"Wrote {result.files[0]}{others}", 15000)
        self.generate_bar.show_message("")
        if self.export_panel is not None:  # what was made (a LOD chain remade, …), under its options
            lines = [f"✓ {result.files[0]}", *(f"   {note}" for note in result.notes)]
            self.export_panel.result.setText("\n".join(lines))
        self.sig_exported.emit(result)

    def _on_job_finished(self, job: Job) -> None:
        result = job.result
        if result is None or result.lodset is None:
            return
        asset_id = self.library_sink.saved_asset_ids.get(job.id)
        waiting = self.image_panel.pending  # the user is preparing the next picture: keep it shown
        if self.library_panel is not None:  # queried on the pool; the new asset selected once shown
            select = [asset_id] if asset_id is not None and not waiting else None
            self.library_panel.refresh_later(select)  # the export targets, visibly selected
        if waiting:
            self.statusBar().showMessage(f"{job.label} is done: double-click it in the Library", 10000)
            return
        if result.reused:
            self.generate_bar.show_message(
                f"{job.label}: {result.message}. Generate ▸ Generate Again Anyway makes a new version."
            )
        elif result.message:
            self.show_error(f"{job.label}: {result.message}")
        self.viewport.set_lodset_later(result.lodset)  # staged on the pool, copied over frames
        self.inspector.show_result(result, asset_id)
        self.image_panel.show_source(job.request.image_path, job.label)
        triangles = result.lodset.lod0.triangle_count
        self.statusBar().showMessage(
            f"{job.label}: done in {job.elapsed():.1f} s, {triangles:,} triangles", 10000
        )

    def _on_job_failed(self, job: Job) -> None:
        self.statusBar().showMessage(f"{job.label} failed: {job.message}", 15000)

    def _on_open_failed(self, exc: BaseException) -> None:
        self.show_error(str(exc))

    def _on_mesh_failed(self, path: Path, exc: BaseException) -> None:
        """A mesh file that could not be opened: the message names it, whatever went wrong."""
        text = str(exc) or type(exc).__name__
        self.show_error(text if path.name in text else f"Could not open {path.name}: {text}")

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
        import_meshes = QAction("&Import into Library…", self)
        import_meshes.setToolTip("Add GLB, glTF, OBJ, PLY or STL files to the library (with LODs, thumbnail)")
        import_meshes.triggered.connect(self._import_dialog)
        export_as = QAction("&Export As…", self)
        export_as.setShortcut(QKeySequence.StandardKey.SaveAs)
        export_as.setToolTip("Write the asset in the viewport as GLB, glTF, FBX, OBJ, STL or PLY")
        export_as.triggered.connect(self._export_as_dialog)
        rebuild = QAction("&Rebuild Library…", self)
        rebuild.setToolTip("Make a new library database from the asset folders (the old one is set aside)")
        rebuild.triggered.connect(lambda: self.rebuild_library())
        for action in (open_image, open_mesh, paste):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(import_meshes)
        file_menu.addAction(export_as)
        file_menu.addSeparator()
        file_menu.addAction(rebuild)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        self.addActions([paste])

        generate_menu = self.menuBar().addMenu("&Generate")
        generate_action = QAction("&Generate", self)
        generate_action.setShortcut(QKeySequence("Ctrl+Return"))
        generate_action.triggered.connect(lambda: self.generate())
        cancel_action = QAction("&Cancel All", self)
        cancel_action.triggered.connect(self.runner.cancel_all)
        again_action = QAction("Generate &Again Anyway", self)
        again_action.setShortcut(QKeySequence("Ctrl+Shift+Return"))
        again_action.setToolTip("Generate even when the library holds an identical version (same picture, "
                                "engine, settings and seed), which Generate would reuse")
        again_action.triggered.connect(lambda: self.generate(force=True))
        generate_menu.addAction(generate_action)
        generate_menu.addAction(again_action)
        generate_menu.addAction(cancel_action)
        QShortcut(QKeySequence("Ctrl+Enter"), self, lambda: self.generate()).setWhatsThis("Generate")

        models_menu = self.menuBar().addMenu("&Models")
        models_action = QAction("&Models…", self)
        models_action.setToolTip("Installed model weights: import, download, unload")
        models_action.triggered.connect(self.show_models_dialog)
        models_menu.addAction(models_action)
        unload_action = QAction("&Unload Models", self)
        unload_action.setToolTip("Free the memory of every loaded model (the next job loads it again)")
        unload_action.triggered.connect(self._unload_engines)
        models_menu.addAction(unload_action)

        self.view_menu = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addSeparator()
        reset = QAction("&Reset Layout", self)
        reset.triggered.connect(self.reset_layout)
        self.view_menu.addAction(reset)
        self._build_edit_and_help_menus()

    def _build_edit_and_help_menus(self) -> None:
        edit_menu = QMenu("&Edit", self)
        self.menuBar().insertMenu(self.menuBar().actions()[1], edit_menu)
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        edit_menu.addAction(undo)
        edit_menu.addAction(redo)
        help_menu = self.menuBar().addMenu("&Help")
        shortcuts = QAction("&Keyboard Shortcuts…", self)
        shortcuts.setShortcut(QKeySequence.StandardKey.HelpContents)
        shortcuts.triggered.connect(self.show_shortcuts)
        about = QAction("&About Sweedle…", self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(shortcuts)
        help_menu.addAction(about)

    def show_shortcuts(self) -> None:
        from app.ui.dialogs.help import ShortcutsDialog, shortcut_rows

        dialog = ShortcutsDialog(shortcut_rows(self), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    def show_about(self) -> None:
        from app.ui.dialogs.help import AboutDialog

        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    def _default_layout(self) -> None:
        """Settings and pictures on the left, library and inspector on the right, both full height;
        the queue under the viewport only, so the viewport keeps most of the window. The window
        fills the screen's free area the first time (a saved geometry replaces this)."""
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.docks["Export"], self.docks["Inspector"])
        self.docks["Inspector"].raise_()
        screen = QGuiApplication.primaryScreen()
        size = screen.availableGeometry().size() if screen is not None else None
        self.resize(*((size.width(), size.height()) if size is not None else (1440, 900)))
        self.arrange_docks()

    def reset_layout(self) -> None:
        """View ▸ Reset Layout: the default docks, sized for the window as it is now."""
        self.restoreState(self._default_state, LAYOUT_VERSION)
        self.arrange_docks()

    def arrange_docks(self) -> None:
        """Size the docks for the window's current size: side columns of about a quarter of the
        width, the settings as tall as their content, the queue a fifth of the height."""
        width, height = self.width(), self.height()
        horizontal, vertical = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
        side = min(max(320, width // 4), 420)
        self.resizeDocks([self.docks["Generate"], self.docks["Library"]], [side, side], horizontal)
        # Qt scales the sizes to the docks' free height (the window less its menu and status bars)
        settings = self.prompt_panel.sizeHint().height() + self.generate_bar.sizeHint().height() + 30
        column = height - 50
        generate = min(settings, column - 220)
        left = [self.docks["Generate"], self.docks["Pictures"]]
        self.resizeDocks(left, [generate, column - generate], vertical)
        right = [self.docks["Library"], self.docks["Inspector"]]
        self.resizeDocks(right, [column * 11 // 20, column * 9 // 20], vertical)
        self.resizeDocks([self.docks["Queue"]], [max(150, height // 5)], vertical)

    def _open_picture_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Open pictures", "", PICTURE_FILTER)
        if files:
            self.accept_paths([Path(f) for f in files])

    def _open_mesh_dialog(self) -> None:
        file, _ = QFileDialog.getOpenFileName(self, "Open mesh", "", _MESH_FILTER)
        if file:
            self.open_mesh(file)

    def _import_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import meshes into the library", "", _MESH_FILTER)
        if files:
            self.import_meshes([Path(f) for f in files])

    def _export_as_dialog(self) -> None:
        from app.core.export.export_as import FORMATS
        from app.core.export.naming import safe_name

        lodset = self.viewport.lodset
        if lodset is None:
            self.show_error("Open or generate an asset first, then export it.")
            return
        filters = [f"{label} (*.{fmt})" for fmt, label in _EXPORT_LABELS.items() if fmt in FORMATS]
        suggested = str(self._export_folder / f"{safe_name(lodset.name)}.glb")
        title = f"Export {lodset.name} as"
        file, chosen = QFileDialog.getSaveFileName(self, title, suggested, ";;".join(filters))
        if not file:
            return
        path = Path(file)
        if path.suffix.lower().lstrip(".") not in FORMATS:
            path = path.with_name(f"{path.name}.{chosen.rpartition('*.')[2].rstrip(')')}")
        self._export_folder = path.parent
        self.export_as(path)

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
    neither the window's start nor the GUI thread pays for these imports (about a second here).
    The mesh simplifier's child process starts too: in this process its calls would hold the GIL,
    and so the GUI thread, for as long as they run (core/mesh/simplifier.py)."""
    for module in _WARM_MODULES:
        importlib.import_module(module)
    from app.core.mesh import simplifier

    simplifier.use_child_process()
    simplifier.start_child()


_WARM_MODULES = (
    "app.core.imaging",  # picture previews
    "app.core.generation.stages",  # the pipeline
    "app.core.formats.glb_reader",  # opening meshes
    "app.core.render.inspection",  # the inspector's measurements
)


def _open_library() -> tuple[Library, list[str]]:
    """Runs in the pool: open (create, migrate after a backup, recover) the library."""
    import app.ui.panels.export
    import app.ui.panels.library  # noqa: F401
    from app.core.library.startup import open_library

    library, report = open_library()
    return library, report.lines()


def _rebuild_library(library: Library | None) -> tuple[Library, list[str], list[str]]:
    """Runs in the pool: close the window's library, rebuild it from its folders, open it again."""
    from app.core.library.rebuild import rebuild_library
    from app.core.paths import library_dir

    root = library.root if library is not None else library_dir()
    if library is not None:
        library.close()
    report = rebuild_library(root)
    reopened, recovery_lines = _open_library()
    return reopened, recovery_lines, report.lines()


def _read_versions(
    library: Library, asset_id: int, version_ids: tuple[int, int]
) -> tuple[LodSet, LodSet, tuple[str, str]]:
    """Runs in the pool: two versions of an asset and a caption for each."""
    from dataclasses import replace

    from app.core.formats.glb_reader import read_glb

    record = library.get_asset(asset_id)
    versions = {v.id: v for v in record.versions}
    shown = []
    for version_id in version_ids:
        version = versions.get(version_id)
        if version is None:
            raise InputError(f"{record.name} has no version {version_id} any more")
        lodset = replace(read_glb(version.glb_path), name=record.name)
        current = " (current)" if version.current else ""
        caption = f"v{version.version}{current} · {version.engine} · {version.created_at:%Y-%m-%d %H:%M}"
        shown.append((lodset, caption))
    (left, left_caption), (right, right_caption) = shown
    return left, right, (left_caption, right_caption)


_NO_COLLISION_IN_FILES = (
    "No collision shapes were written: a plain file has none. Export to Unity, Unreal or Godot for collision."
)


def _export_as(
    lodset: LodSet,
    asset_id: int | None,
    path: Path,
    options: ExportOptions,
    library: Library | None,
    compress: bool,
) -> ExportResult:
    """Runs in the pool: a library asset is exported (and the export recorded) as the CLI's
    `export ID --as FILE` does; an opened mesh is written as it is shown."""
    from app.core.export.export_as import export_as
    from app.core.export.jobs import export_file

    if asset_id is not None and library is not None:
        return export_file(str(asset_id), path, options, library, compress)
    return export_as(lodset, path, options, compress)


def _read_asset(library: Library, asset_id: int) -> tuple[LodSet, Path, int, Path | None]:
    """Runs in the pool: the asset's current version, its file, id and source picture."""
    from dataclasses import replace

    from app.core.formats.glb_reader import read_glb
    from app.core.library.records import source_picture

    summary = library.get_asset(asset_id).summary
    glb = summary.glb_path
    if glb is None:
        raise InputError(f"asset {summary.name} has no saved version to open")
    return replace(read_glb(glb), name=summary.name), glb, asset_id, source_picture(summary.folder)


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
    """Runs in the pool: the pasted picture as a PNG file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return write_png(image, target)

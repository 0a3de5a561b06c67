"""The everyday loop through the real window: pictures in, jobs through the worker, mesh out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication, QImage

from app.core.generation.request import JobStatus
from app.core.generation.stages import STAGES
from app.ui.workers.threads import running_threads

from qt_events import drop_files


def test_dropping_a_picture_fills_the_front_slot_with_a_mask_preview(qtbot, window, sample_image) -> None:
    drop_files(window, [sample_image])
    slot = window.image_panel.slots["front"]
    assert slot.path == sample_image
    qtbot.waitUntil(lambda: slot.preview is not None, timeout=10_000)
    assert slot.preview.mask_method == "alpha"
    assert not slot.picture.pixmap().isNull()


def test_dropping_a_non_image_is_refused_with_a_message(qtbot, window, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    drop_files(window, [notes])
    assert window.image_panel.front is None
    assert "notes.txt is not a picture" in window.generate_bar.message.text()
    assert window.generate() == []  # nothing to generate from; still no crash


def test_a_corrupt_picture_shows_the_loader_message_on_its_slot(qtbot, window, tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    drop_files(window.image_panel.slots["front"], [broken])
    slot = window.image_panel.slots["front"]
    qtbot.waitUntil(lambda: bool(slot.error), timeout=10_000)
    assert "broken.png" in slot.error


def test_paste_from_the_clipboard_becomes_the_front_picture(qtbot, window) -> None:
    image = QImage(64, 48, QImage.Format.Format_RGBA8888)
    image.fill(Qt.GlobalColor.transparent)
    for x in range(16, 48):
        for y in range(8, 40):
            image.setPixelColor(x, y, Qt.GlobalColor.red)
    QGuiApplication.clipboard().setImage(image)
    window.activateWindow()
    qtbot.waitActive(window)
    window.prompt_panel.prompt.setFocus()  # even with the text field focused, a picture is a picture
    qtbot.keyClick(window.prompt_panel.prompt, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    slot = window.image_panel.slots["front"]
    qtbot.waitUntil(lambda: slot.preview is not None, timeout=10_000)
    assert slot.path.name.startswith("pasted-") and slot.path.suffix == ".png"
    assert slot.preview.size == (64, 48)


def test_generate_runs_through_the_worker_with_ordered_progress_and_shows_the_mesh(
    qtbot, window, sample_image
) -> None:
    drop_files(window, [sample_image])
    stages: list[str] = []
    overall: list[float] = []
    window.runner.sig_progress.connect(lambda job, p: (stages.append(p.stage), overall.append(p.overall)))
    with qtbot.waitSignal(window.runner.sig_finished, timeout=60_000) as finished:
        [job] = window.generate()
    assert finished.args[0] is job and job.status is JobStatus.DONE
    seen = list(dict.fromkeys(stages))
    assert seen == [s for s in STAGES if s in seen] and {"preprocess", "shape", "lods", "save"} <= set(seen)
    assert overall == sorted(overall) and overall[-1] > 0.9
    saved = job.result.output_path  # moved into the library's asset folder
    assert saved.is_file() and saved.name == "model.glb" and not job.output_path.exists()
    asset_id = window.library_sink.saved_asset_ids[job.id]
    assert window.library_sink.library.get_asset(asset_id).summary.name == "robot"
    viewport = window.viewport
    assert viewport.lodset is job.result.lodset and len(viewport.lodset.lods) == 3
    qtbot.waitUntil(lambda: not viewport.uploading(), timeout=30_000)  # staged, copied over frames
    frame = viewport.grabFramebuffer()
    pixels = np.array(frame.constBits(), np.uint8).reshape(frame.height(), frame.width(), 4)
    h, w = frame.height(), frame.width()
    centre = pixels[h // 3 : 2 * h // 3, w // 3 : 2 * w // 3]
    assert centre.std() > 10  # a textured robot, not an empty gradient
    assert window.inspector.shown_timings.keys() == job.result.timings.keys()
    assert [t for t, _ in window.inspector.shown_lods] == [lod.triangles for lod in job.result.lods]


def test_cancel_stops_the_running_job_and_the_worker_takes_the_next(qtbot, window, sample_image) -> None:
    drop_files(window, [sample_image])
    window.prompt_panel.params.set_values({"resolution": 640})  # seconds of work: time to cancel
    with qtbot.waitSignal(window.runner.sig_progress, timeout=30_000):
        [slow] = window.generate()
    with qtbot.waitSignal(window.runner.sig_cancelled, timeout=30_000):
        window.generate_bar.cancel_button.click()
    assert slow.status is JobStatus.CANCELLED and not slow.output_path.exists()
    window.prompt_panel.params.set_values({"resolution": 48})
    with qtbot.waitSignal(window.runner.sig_finished, timeout=60_000):
        [quick] = window.generate()
    assert quick.status is JobStatus.DONE


def test_three_queued_jobs_run_in_order_and_a_queued_one_can_be_cancelled(
    qtbot, window, sample_image, tmp_path: Path
) -> None:
    images = []
    for name in ("a", "b", "c"):
        copy = tmp_path / f"{name}.png"
        copy.write_bytes(sample_image.read_bytes())
        images.append(copy)
    order: list[str] = []

    def note_start(job) -> None:
        if job.status is JobStatus.RUNNING and job.label not in order:
            order.append(job.label)

    window.runner.sig_job_changed.connect(note_start)
    drop_files(window, images)  # several pictures wait for Generate, which makes one job each
    assert not window.runner.jobs and window.image_panel.waiting == images[1:]
    jobs = window.generate()
    assert list(window.runner.jobs.values()) == jobs
    assert [j.label for j in jobs] == ["a", "b", "c"]
    assert [j.status for j in jobs[1:]] == [JobStatus.QUEUED, JobStatus.QUEUED]
    window.runner.cancel(jobs[1].id)
    assert jobs[1].status is JobStatus.CANCELLED
    qtbot.waitUntil(lambda: all(j.status.finished for j in jobs), timeout=120_000)
    assert [j.status for j in jobs] == [JobStatus.DONE, JobStatus.CANCELLED, JobStatus.DONE]
    assert order == ["a", "c"]
    queue = window.queue_panel
    assert queue.item_for(jobs[1].id).text(1) == "cancelled"
    window.runner.remove(jobs[1].id)
    assert queue.item_for(jobs[1].id) is None


def test_a_failing_job_shows_its_message_and_the_window_keeps_working(qtbot, window, tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    empty = QImage(64, 64, QImage.Format.Format_RGBA8888)
    empty.fill(Qt.GlobalColor.transparent)  # fully transparent: no subject to find
    empty.save(str(blank))
    drop_files(window, [blank])
    with qtbot.waitSignal(window.runner.sig_failed, timeout=30_000) as failed:
        window.generate()
    job = failed.args[0]
    assert "subject" in job.message or "transparent" in job.message, job.message
    assert window.queue_panel.item_for(job.id).text(3) == job.message
    assert job.message in window.generate_bar.message.text()


def test_closing_the_window_during_a_job_stops_the_worker(qtbot, sample_image) -> None:
    from app.ui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    drop_files(win, [sample_image])
    win.prompt_panel.params.set_values({"resolution": 640})
    with qtbot.waitSignal(win.runner.sig_progress, timeout=30_000):
        [job] = win.generate()
    win.close()
    assert not running_threads()
    assert job.cancel.cancelled


def test_a_dropped_mesh_file_opens_in_the_viewport_with_its_lods(qtbot, window, sample_image) -> None:
    drop_files(window, [sample_image])
    with qtbot.waitSignal(window.runner.sig_finished, timeout=60_000):
        [job] = window.generate()
    window.viewport.set_lodset(None)
    drop_files(window.viewport, [job.result.output_path])
    qtbot.waitUntil(lambda: window.viewport.lodset is not None, timeout=10_000)
    assert [lod.mesh.triangle_count for lod in window.viewport.lodset.lods] == [
        lod.triangles for lod in job.result.lods
    ]


def test_building_the_main_window_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from app.ui.surface import configure_surface_format\n"
        "configure_surface_format()\n"
        "qt = QApplication([])\n"
        "from app.ui.main_window import MainWindow\n"
        "w = MainWindow(); w.show(); qt.processEvents()\n"
        "heavy = sorted(m for m in ('torch', 'hy3dgen', 'transformers', 'diffusers') if m in sys.modules)\n"
        "w.close()\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY=\n" in proc.stdout or proc.stdout.strip().endswith("HEAVY="), proc.stdout


def test_one_click_export_of_a_generated_asset_into_a_unity_project(
    qtbot, window, sample_image, tmp_path
) -> None:
    from app.core.export.projects import EngineKind

    project = tmp_path / "unity"
    (project / "Assets").mkdir(parents=True)
    (project / "ProjectSettings").mkdir()
    (project / "ProjectSettings" / "ProjectVersion.txt").write_text("m_EditorVersion: 2022.3.20f1\n")
    qtbot.waitUntil(lambda: window.export_panel is not None, timeout=30_000)
    drop_files(window, [sample_image])
    with qtbot.waitSignal(window.runner.sig_finished, timeout=60_000):
        [job] = window.generate()
    asset_id = window.library_sink.saved_asset_ids[job.id]
    panel = window.export_panel
    qtbot.waitUntil(lambda: window.library_panel.selected_ids() == [asset_id], timeout=10_000)
    panel.folders[EngineKind.UNITY].setText(str(project))
    with qtbot.waitSignal(panel.sig_finished, timeout=60_000) as done:
        panel.buttons[EngineKind.UNITY].click()  # the just-generated asset is the export target
    [item] = done.args[0]
    assert item.error is None
    fbx = project / "Assets" / "Sweedle" / "robot" / "robot.fbx"
    assert fbx.is_file() and fbx.read_bytes().startswith(b"Kaydara FBX Binary")
    assert (project / "Assets" / "Sweedle" / "robot" / "Textures" / "robot_BaseColor.png").is_file()
    exports = window.library_sink.library.get_asset(asset_id).exports
    assert [e.engine for e in exports] == ["unity"]
    assert Path(exports[0].target_path).resolve().is_relative_to(project.resolve())


def test_a_prompt_without_a_picture_says_why_relief_cannot_use_it(qtbot, window) -> None:
    window.prompt_panel.prompt.setPlainText("a wooden crate")
    assert window.generate() == []
    message = window.generate_bar.message.text()
    assert "Add a front picture first" in message and "pictures only" in message
    assert not window.runner.jobs


def test_the_models_dialog_opens_from_the_menu_and_lists_the_variants(qtbot, window) -> None:
    from app.ui.dialogs.models import ModelsDialog

    action = next(a for a in window.findChildren(QAction) if a.text() == "&Models…")
    action.trigger()
    dialog = window.findChild(ModelsDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.table.rowCount() > 0, timeout=10_000)
    labels = [dialog.table.item(row, 0).text() for row in range(dialog.table.rowCount())]
    assert any("Hunyuan3D-2" in label for label in labels)
    dialog.close()


def test_the_picture_slots_follow_the_views_the_engine_uses(window) -> None:
    slots = window.image_panel.slots
    window.prompt_panel.sig_engine_changed.emit("hunyuan")  # multi-view variants and the bake use all four
    assert all(slot.isEnabled() for slot in slots.values())
    window.prompt_panel.sig_engine_changed.emit("relief")
    assert slots["front"].isEnabled() and not any(slots[v].isEnabled() for v in ("back", "left", "right"))

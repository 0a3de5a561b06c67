"""The Models dialog driven through its real widgets: the catalog with the tiny RANDOM-weight
checkpoint shown installed, importing a folder, the licence before any download, a download that
cannot reach the network (a closed local port) ending in a message, cancel, and unload.
Nothing here touches the network."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from hunyuan_tiny import build_tiny_checkpoint

from app.core.weights.catalog import CATALOG, UNSUPPORTED_NOTE
from app.core.weights.store import ModelStore
from app.ui.dialogs.models import ModelsDialog

TURBO = "hunyuan3d-2-turbo"


def _store_root() -> Path:
    return Path(os.environ["SWEEDLE_MODELS"])


def _dialog(qtbot, **kwargs) -> ModelsDialog:
    dialog = ModelsDialog(**kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == len(CATALOG), timeout=10_000)
    return dialog


def _cell(dialog: ModelsDialog, model_id: str, column: str) -> str:
    from app.ui.dialogs.models import COLUMNS

    ids = [dialog.table.item(r, COLUMNS.index("Id")).text() for r in range(dialog.table.rowCount())]
    return dialog.table.item(ids.index(model_id), COLUMNS.index(column)).text()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_table_lists_the_catalog_with_the_tiny_checkpoint_installed(qtbot) -> None:
    build_tiny_checkpoint(_store_root())
    dialog = _dialog(qtbot)
    assert _cell(dialog, "hunyuan3d-2", "Status") == "Installed"
    assert _cell(dialog, "hunyuan3d-2", "Size").endswith("MB")
    assert _cell(dialog, "hunyuan3d-2", "Licence") == "Tencent Hunyuan 3D 2.0 Community License Agreement"
    assert _cell(dialog, TURBO, "Status").startswith("Not installed")
    assert _cell(dialog, "hunyuandit-t2i", "Status").startswith("Not installed")
    assert dialog.unsupported_note.isVisible() and "Hunyuan3D-2.1" in dialog.unsupported_note.text()
    assert dialog.unsupported_note.text() == UNSUPPORTED_NOTE


def test_a_damaged_model_shows_its_problem(qtbot) -> None:
    folder = build_tiny_checkpoint(_store_root())
    (folder / "config.yaml").write_text("model: [unclosed")
    dialog = _dialog(qtbot)
    assert _cell(dialog, "hunyuan3d-2", "Status") == "Damaged"
    assert "not valid YAML" in _cell(dialog, "hunyuan3d-2", "Problem")


def test_import_of_a_folder_shows_up_in_the_table(qtbot, tmp_path: Path) -> None:
    cache = tmp_path / "hy3dgen"
    build_tiny_checkpoint(cache, "hunyuan3d-dit-v2-0-turbo", turbo=True)
    dialog = _dialog(qtbot)
    assert _cell(dialog, TURBO, "Status").startswith("Not installed")
    with qtbot.waitSignal(dialog.sig_store_changed, timeout=30_000):
        dialog.import_folder(cache, link=True)
    qtbot.waitUntil(lambda: _cell(dialog, TURBO, "Status") == "Installed", timeout=10_000)
    assert ModelStore().path(dialog.state(TURBO).spec).is_symlink()
    assert "Imported: Hunyuan3D-2 Turbo" in dialog.message.text()
    assert dialog.import_button.isEnabled() and dialog.progress.isHidden()


def test_import_of_a_folder_without_models_says_so(qtbot, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    dialog = _dialog(qtbot)
    dialog.import_folder(tmp_path / "empty")
    qtbot.waitUntil(lambda: "no Hunyuan3D-2 model found" in dialog.message.text(), timeout=30_000)
    assert dialog.message.objectName() == "error"
    assert dialog.import_button.isEnabled()


def test_licence_must_be_accepted_before_a_download_starts_and_a_failed_download_is_reported(
    qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("HF_HUB_ETAG_TIMEOUT", "2")
    dialog = _dialog(qtbot)
    assert not dialog.download_button.isEnabled()
    dialog.select(TURBO)
    assert dialog.download_button.isEnabled()
    dialog.download_button.click()
    assert dialog.licence_box.isVisible()
    terms = dialog.licence_text.toPlainText()
    assert all(t in terms for t in ("European Union", "United Kingdom", "South Korea"))
    assert not dialog.start_button.isEnabled()
    dialog.start_button.click()
    assert not dialog.downloading
    dialog.accept_box.setChecked(True)
    assert dialog.start_button.isEnabled()
    dialog.start_button.click()
    assert dialog.downloading and dialog.cancel_button.isEnabled() and not dialog.licence_box.isVisible()
    qtbot.waitUntil(lambda: not dialog.downloading, timeout=120_000)
    assert "download of tencent/Hunyuan3D-2 failed" in dialog.message.text()
    assert dialog.message.objectName() == "error"
    assert not ModelStore().state(dialog.state(TURBO).spec).installed
    assert dialog.download_button.isEnabled()


def test_declining_the_licence_downloads_nothing(qtbot) -> None:
    dialog = _dialog(qtbot)
    dialog.select("hunyuandit-t2i")
    dialog.download_button.click()
    assert "HunyuanDiT" in dialog.licence_box.title()
    dialog.decline_button.click()
    assert not dialog.licence_box.isVisible() and not dialog.downloading
    assert "declined" in dialog.message.text()


def test_cancel_stops_a_stalled_download(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as server:  # accepts the connection and never answers: a stalled download
        server.bind(("127.0.0.1", 0))
        server.listen()
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
        dialog = _dialog(qtbot)
        dialog.select(TURBO)
        dialog.download_button.click()
        dialog.accept_box.setChecked(True)
        dialog.start_button.click()
        job = dialog._job
        assert job is not None and dialog.progress.isVisible()
        qtbot.wait(2 * 250)
        assert dialog.downloading
        dialog.cancel_button.click()
    assert not dialog.downloading and job._proc is not None and job._proc.poll() is not None
    assert "cancelled" in dialog.message.text() and dialog.progress.isHidden()
    assert not ModelStore().state(dialog.state(TURBO).spec).installed


def test_closing_the_dialog_stops_its_download(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
        dialog = _dialog(qtbot)
        dialog.select(TURBO)
        dialog.download_button.click()
        dialog.accept_box.setChecked(True)
        dialog.start_button.click()
        job = dialog._job
        dialog.reject()
    assert job is not None and job._proc is not None and job._proc.poll() is not None
    assert not dialog.downloading


def test_unload_calls_the_worker_and_reports_failures(qtbot) -> None:
    calls: list[str] = []
    dialog = _dialog(qtbot, unload=calls.append)
    dialog.unload_button.click()
    from app.core.generation.engines.registry import engine_names

    assert calls == list(engine_names()) and "hunyuan" in calls and "unloaded" in dialog.message.text()

    def broken(_name: str) -> None:
        raise RuntimeError("the worker is gone")

    dialog = _dialog(qtbot, unload=broken)
    dialog.unload_button.click()
    assert "the worker is gone" in dialog.message.text() and dialog.message.objectName() == "error"

"""The Models dialog's cutout (background removal) models, through the real widgets: listed with
their size and MIT licence, the licence before any download, a closed or stalled server ending
in a message or a cancel with no model installed, and a file import with the tiny ONNX model
built at test time (plumbing, not cutout quality). Nothing here touches the network."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from cutout_tiny_model import tiny_cutout_model

from app.core.weights.catalog import CATALOG, spec
from app.core.weights.store import ModelStore
from app.ui.dialogs.models import COLUMNS, ModelsDialog

LITE = "birefnet-lite"


def _dialog(qtbot) -> ModelsDialog:
    dialog = ModelsDialog(store=ModelStore(Path(os.environ["SWEEDLE_MODELS"])))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == len(CATALOG), timeout=10_000)
    return dialog


def _cell(dialog: ModelsDialog, model_id: str, column: str) -> str:
    ids = [dialog.table.item(r, COLUMNS.index("Id")).text() for r in range(dialog.table.rowCount())]
    return dialog.table.item(ids.index(model_id), COLUMNS.index(column)).text()


def _start_download(dialog: ModelsDialog) -> None:
    dialog.select(LITE)
    dialog.download_button.click()
    dialog.accept_box.setChecked(True)
    dialog.start_button.click()


def test_cutout_models_are_listed_with_size_and_licence(qtbot) -> None:
    dialog = _dialog(qtbot)
    assert _cell(dialog, LITE, "Status") == "Not installed (~0.22 GB download)"
    assert _cell(dialog, "birefnet-general", "Licence") == "MIT License (BiRefNet, Zheng Peng et al.)"
    dialog.select(LITE)
    assert dialog.download_button.isEnabled() and dialog.import_file_button.isEnabled()
    dialog.select("hunyuan3d-2")
    assert not dialog.import_file_button.isEnabled()


def test_the_licence_comes_first_and_a_closed_server_ends_in_a_message(
    qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_HUB_ETAG_TIMEOUT", "2")
    dialog = _dialog(qtbot)
    dialog.select(LITE)
    dialog.download_button.click()
    terms = dialog.licence_text.toPlainText()
    assert dialog.licence_box.isVisible() and "MIT License" in terms and "commercial use" in terms
    assert "Before you download" not in terms  # cutout models need no GPU
    assert not dialog.downloading
    dialog.accept_box.setChecked(True)
    dialog.start_button.click()
    assert dialog.downloading
    qtbot.waitUntil(lambda: not dialog.downloading, timeout=120_000)
    assert "download of onnx-community/BiRefNet_lite-ONNX failed" in dialog.message.text()
    assert dialog.message.objectName() == "error"
    assert not ModelStore().state(spec(LITE)).installed


def test_cancel_of_a_stalled_download_leaves_no_model_in_use(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as server:  # accepts the connection and never answers
        server.bind(("127.0.0.1", 0))
        server.listen()
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
        dialog = _dialog(qtbot)
        _start_download(dialog)
        job = dialog._job
        assert job is not None and dialog.progress.isVisible()
        qtbot.wait(500)
        assert dialog.downloading
        dialog.cancel_button.click()
    assert not dialog.downloading and job._proc is not None and job._proc.poll() is not None
    assert "cancelled" in dialog.message.text()
    store = ModelStore()
    assert not store.state(spec(LITE)).installed and not store.path(spec(LITE)).exists()
    from app.core.imaging.cutout_model import installed_model

    assert installed_model(store.root) is None  # pictures keep using the classical cutout


def test_closing_the_dialog_stops_the_cutout_download(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
        dialog = _dialog(qtbot)
        _start_download(dialog)
        job = dialog._job
        dialog.reject()
    assert job is not None and job._proc is not None and job._proc.poll() is not None
    assert not ModelStore().path(spec(LITE)).exists()


def test_import_file_installs_a_checked_model_and_refuses_a_bad_one(qtbot, tmp_path: Path) -> None:
    dialog = _dialog(qtbot)
    dialog.select(LITE)
    bad = tiny_cutout_model(tmp_path / "bad.onnx", external=True)
    dialog.import_file(bad)
    qtbot.waitUntil(lambda: "external data" in dialog.message.text(), timeout=30_000)
    assert dialog.message.objectName() == "error" and not ModelStore().path(spec(LITE)).exists()
    with qtbot.waitSignal(dialog.sig_store_changed, timeout=30_000):
        dialog.import_file(tiny_cutout_model(tmp_path / "model.onnx"))
    qtbot.waitUntil(lambda: _cell(dialog, LITE, "Status") == "Installed", timeout=10_000)
    assert ModelStore().state(spec(LITE)).usable and "Imported: BiRefNet lite" in dialog.message.text()

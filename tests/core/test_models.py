"""The model store: verification, import by copy / link / from a hub cache, the CLI, downloads offline.

Checkpoints here are the tiny RANDOM-weight ones from tests/hunyuan_tiny.py; nothing touches the
network (the download test points huggingface_hub at a closed local port).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from hunyuan_tiny import build_tiny_checkpoint

from app.cli.main import main
from app.core.base.errors import GenerationError, InputError
from app.core.weights.catalog import spec
from app.core.weights.download import DownloadJob
from app.core.weights.importing import import_models
from app.core.weights.licence import licence_text
from app.core.weights.store import ModelStore, read_manifest

BASE = spec("hunyuan3d-2")


def test_store_lists_installed_models_with_size_and_flags_damage(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "store")
    assert not store.state(BASE).installed
    folder = build_tiny_checkpoint(store.root)
    state = store.state(BASE)
    assert state.usable and state.size_bytes == sum(p.stat().st_size for p in folder.iterdir())
    (folder / "config.yaml").write_text("model: [unclosed")
    assert "not valid YAML" in store.state(BASE).problem


def test_a_hunyuan_2_1_config_is_named_as_such(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    folder = build_tiny_checkpoint(store.root)
    config = folder / "config.yaml"
    config.write_text(
        config.read_text().replace("hy3dgen.shapegen.models.Hunyuan3DDiT", "hy3dshape.models.X")
    )
    with pytest.raises(GenerationError, match=r"Hunyuan3D-2\.1 configuration"):
        store.verify(BASE)


def test_import_by_copy_from_a_hy3dgen_cache(tmp_path: Path) -> None:
    cache = tmp_path / "hy3dgen"
    build_tiny_checkpoint(cache)
    store = ModelStore(tmp_path / "store")
    imported = import_models(cache, store)
    assert [i.spec.id for i in imported] == ["hunyuan3d-2"]
    target = store.path(BASE)
    assert target.is_dir() and not target.is_symlink() and store.state(BASE).usable
    assert read_manifest(target)["mode"] == "copy"
    with pytest.raises(GenerationError, match="already installed"):
        import_models(cache, store)


def test_import_by_link_from_a_hub_cache_records_the_revision(tmp_path: Path) -> None:
    snapshot = tmp_path / "hub" / "models--tencent--Hunyuan3D-2" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    build_tiny_checkpoint(tmp_path / "src")
    (snapshot / "hunyuan3d-dit-v2-0").symlink_to(
        tmp_path / "src" / "tencent" / "Hunyuan3D-2" / "hunyuan3d-dit-v2-0"
    )
    store = ModelStore(tmp_path / "store")
    [item] = import_models(tmp_path / "hub", store, link=True)
    assert item.revision == "abc123" and store.path(BASE).is_symlink() and store.state(BASE).usable


def test_import_refuses_damaged_models_before_writing(tmp_path: Path) -> None:
    folder = build_tiny_checkpoint(tmp_path / "src")
    weights = folder / "model.fp16.safetensors"
    weights.write_bytes(weights.read_bytes()[:5000])
    store = ModelStore(tmp_path / "store")
    with pytest.raises(GenerationError, match="is damaged"):
        import_models(tmp_path / "src", store)
    assert not store.path(BASE).exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no Hunyuan3D-2 model found"):
        import_models(tmp_path / "empty", store)


def test_cli_models_list_and_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_tiny_checkpoint(tmp_path / "cache")
    assert main(["models", "import", str(tmp_path / "cache")]) == 0
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "imported hunyuan3d-2" in out
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("hunyuan3d-2 "))
    assert "installed" in line and "Community License" in line
    assert "Hunyuan3D-2.1 is not listed" in out


def test_cli_download_without_a_terminal_needs_the_licence_accepted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["models", "download", "hunyuan3d-2-turbo"]) == 2
    err = capsys.readouterr().err
    assert "European Union" in err and "--accept-licence" in err


def test_licence_text_names_the_excluded_territories() -> None:
    text = licence_text("tencent-hunyuan-community")
    assert all(t in text for t in ("European Union", "United Kingdom", "South Korea"))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_download_failure_is_reported_and_installs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("HF_HUB_ETAG_TIMEOUT", "2")
    store = ModelStore(tmp_path / "store")
    job = DownloadJob(spec("hunyuan3d-2-turbo"), store)
    job.start()
    status = job.wait(timeout=120)
    assert status.finished and "download of tencent/Hunyuan3D-2 failed" in status.error
    assert not store.path(spec("hunyuan3d-2-turbo")).exists()


def test_download_cancel_stops_the_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as server:  # accepts the connection and never answers: a stalled download
        server.bind(("127.0.0.1", 0))
        server.listen()
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
        job = DownloadJob(spec("hunyuan3d-2-turbo"), ModelStore(tmp_path / "store"))
        job.start()
        assert not job.poll().finished
        job.cancel()
        status = job.poll()
    assert status.finished and status.error == "cancelled"

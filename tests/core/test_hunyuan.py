"""Hunyuan engine through hy3dgen's REAL loader and pipeline, on the CPU, with a tiny checkpoint.

The checkpoint's weights are RANDOM (see tests/hunyuan_tiny.py): its geometry decoder is rigged
to an analytic blob so a closed mesh comes out. These tests check the plumbing (loading,
progress, cancel, errors, provenance, multi-view), not the quality of any real model.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.core.generation.engines.hunyuan_torch import import_hy3dgen_shapegen

import_hy3dgen_shapegen()  # before anything imports torchvision (see hunyuan_torch)
import torch  # noqa: E402
from hunyuan_tiny import build_tiny_checkpoint  # noqa: E402

from app.core.base.cancel import CancelToken  # noqa: E402
from app.core.base.errors import Cancelled, GenerationError, InputError  # noqa: E402
from app.core.formats.glb_reader import read_glb  # noqa: E402
from app.core.generation.engines.base import ShapeInput, resolve_params  # noqa: E402
from app.core.generation.engines.hunyuan import HunyuanEngine  # noqa: E402
from app.core.generation.request import GenerationRequest, JobStatus  # noqa: E402
from app.core.imaging.framing import FramedImage  # noqa: E402
from app.core.paths import models_dir  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "robot.png"
SMALL = {"steps": 5, "octree_resolution": 40, "flashvdm": 0}


@pytest.fixture(autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)


def _framed(shift: int = 0) -> FramedImage:
    rgb = np.full((96, 96, 3), 180, np.uint8)
    rgb[:, :, shift % 3] = 40
    alpha = np.zeros((96, 96), np.float32)
    alpha[20 + shift : 80, 25 : 70 + shift] = 1.0
    return FramedImage(rgb, alpha, (0, 0, 96, 96), 1.0, (0.0, 0.0))


def _run(engine: HunyuanEngine, seed: int = 0, cancel: CancelToken | None = None, **given):
    messages: list[tuple[float, str]] = []
    params = resolve_params(engine.params, {**SMALL, **given})
    out = engine.generate(
        ShapeInput(_framed(), seed), params, lambda f, m: messages.append((f, m)), cancel or CancelToken()
    )
    return out, messages


def test_random_weight_checkpoint_makes_a_closed_mesh_through_the_whole_pipeline(tmp_path: Path) -> None:
    build_tiny_checkpoint(models_dir())
    from app.core.generation.stages import generate

    request = GenerationRequest(
        SAMPLE,
        engine="hunyuan",
        lods=(),
        texture_size=256,
        seed=3,
        params={**SMALL, "variant": "hunyuan3d-2"},
    )
    result = generate(request, tmp_path / "robot.glb")
    assert result.status is JobStatus.DONE, result.message
    assert result.report["watertight"] and result.lods[0].triangles > 1000
    prov = read_glb(tmp_path / "robot.glb").provenance
    details = prov["engine_details"]
    assert prov["engine"] == "hunyuan" and prov["model"] == "tencent/Hunyuan3D-2/hunyuan3d-dit-v2-0"
    assert prov["variant"] == "hunyuan3d-2" and prov["licence"] == "tencent-hunyuan-community"
    assert prov["device"] == "cpu" and prov["dtype"] == "float32" and details["steps"] == 5
    assert {"load_s", "diffusion_s", "decode_s"} <= set(details["timings"])
    assert set(prov["stage_timings"]) >= {"preprocess", "shape", "post-process", "lods"}
    assert prov["parameters"]["octree_resolution"] == 40 and prov["seed"] == 3


def test_same_seed_same_mesh_other_seed_other_mesh() -> None:
    build_tiny_checkpoint(models_dir())
    engine = HunyuanEngine()
    a, _ = _run(engine, seed=7)
    b, _ = _run(engine, seed=7)
    c, _ = _run(engine, seed=8)
    assert np.array_equal(a.mesh.vertices, b.mesh.vertices) and np.array_equal(a.mesh.faces, b.mesh.faces)
    assert a.mesh.vertices.shape != c.mesh.vertices.shape or not np.array_equal(
        a.mesh.vertices, c.mesh.vertices
    )


def test_progress_reports_every_diffusion_step_and_every_decoding_chunk() -> None:
    build_tiny_checkpoint(models_dir())
    _, messages = _run(HunyuanEngine(), num_chunks=8000)
    steps = [m for _, m in messages if m.startswith("diffusion step")]
    chunks = [m for _, m in messages if m.startswith("decoding chunk")]
    assert steps == [f"diffusion step {i}/5" for i in range(1, 6)]
    total = math.ceil(41**3 / 8000)
    assert chunks == [f"decoding chunk {i}/{total}" for i in range(1, total + 1)]
    fractions = [f for f, _ in messages]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert any("this will be slow" in m for _, m in messages)


def test_cancel_after_step_two_of_five_keeps_the_pipeline_loaded_for_the_next_job() -> None:
    build_tiny_checkpoint(models_dir())
    engine = HunyuanEngine()
    cancel = CancelToken()
    seen: list[str] = []

    def progress(fraction: float, message: str) -> None:
        seen.append(message)
        if message == "diffusion step 2/5":
            cancel.cancel()

    params = resolve_params(engine.params, SMALL)
    with pytest.raises(Cancelled):
        engine.generate(ShapeInput(_framed(), 0), params, progress, cancel)
    assert "diffusion step 3/5" not in seen and not any(m.startswith("decoding") for m in seen)
    loaded = engine._runtime.loaded
    assert loaded is not None and engine.loaded_variant == "hunyuan3d-2"
    out, _ = _run(engine)
    assert engine._runtime.loaded is loaded and out.facts.details["timings"]["load_s"] == 0.0
    assert len(out.mesh.faces) > 1000
    engine.unload()
    assert engine.loaded_variant is None


def test_cancel_during_decoding_chunks_through_the_pipeline_gives_a_cancelled_result(tmp_path: Path) -> None:
    build_tiny_checkpoint(models_dir())
    from app.core.generation.stages import generate

    cancel = CancelToken()

    def on_progress(p) -> None:
        if p.message.startswith("decoding chunk 2"):
            cancel.cancel()

    request = GenerationRequest(SAMPLE, engine="hunyuan", lods=(), texture_size=256, params=SMALL)
    result = generate(request, tmp_path / "x.glb", on_progress=on_progress, cancel=cancel)
    assert result.status is JobStatus.CANCELLED and not (tmp_path / "x.glb").exists()


def test_no_surface_is_a_clear_failure_not_a_crash(tmp_path: Path) -> None:
    build_tiny_checkpoint(models_dir(), threshold=50.0)
    from app.core.generation.stages import generate

    request = GenerationRequest(SAMPLE, engine="hunyuan", lods=(), texture_size=256, params=SMALL)
    result = generate(request, tmp_path / "x.glb")
    assert result.status is JobStatus.FAILED
    assert "found no surface" in result.message and "another seed" in result.message
    assert not (tmp_path / "x.glb").exists()


def test_truncated_weight_file_is_refused_with_a_clear_message() -> None:
    folder = build_tiny_checkpoint(models_dir())
    weights = folder / "model.fp16.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1000])
    with pytest.raises(GenerationError, match=r"incomplete or damaged.*sweedle models download hunyuan3d-2"):
        _run(HunyuanEngine())


def test_garbage_weight_file_is_refused() -> None:
    folder = build_tiny_checkpoint(models_dir())
    (folder / "model.fp16.safetensors").write_bytes(b"\x00" * 4096)
    with pytest.raises(GenerationError, match="not a valid safetensors file"):
        _run(HunyuanEngine())


def test_missing_weight_file_names_the_file_and_the_fix() -> None:
    folder = build_tiny_checkpoint(models_dir())
    (folder / "model.fp16.safetensors").unlink()
    with pytest.raises(GenerationError, match=r"model\.fp16\.safetensors is missing.*download"):
        _run(HunyuanEngine())


def test_weights_that_do_not_match_the_config_are_a_clear_load_error() -> None:
    folder = build_tiny_checkpoint(models_dir())
    other = build_tiny_checkpoint(models_dir(), "hunyuan3d-dit-v2-0-fast", guidance_embed=True)
    (folder / "model.fp16.safetensors").write_bytes((other / "model.fp16.safetensors").read_bytes())
    with pytest.raises(GenerationError, match=r"could not be loaded.*do not match hy3dgen 2\.0\.2"):
        _run(HunyuanEngine())


def test_multiview_variant_runs_with_four_images() -> None:
    build_tiny_checkpoint(models_dir(), "hunyuan3d-dit-v2-mv", repo="tencent/Hunyuan3D-2mv", multiview=True)
    engine = HunyuanEngine()
    params = resolve_params(engine.params, {**SMALL, "variant": "hunyuan3d-2mv"})
    views = {name: _framed(i + 1) for i, name in enumerate(("back", "left", "right"))}
    out = engine.generate(ShapeInput(_framed(), 0, views), params, lambda f, m: None, CancelToken())
    assert out.facts.variant == "hunyuan3d-2mv" and len(out.mesh.faces) > 1000
    with pytest.raises(InputError, match="takes several views"):
        engine.generate(ShapeInput(_framed(), 0), params, lambda f, m: None, CancelToken())


def test_turbo_variant_and_flashvdm_decoding() -> None:
    build_tiny_checkpoint(models_dir(), "hunyuan3d-dit-v2-0-turbo", guidance_embed=True, turbo=True)
    out, messages = _run(HunyuanEngine(), variant="hunyuan3d-2-turbo", steps=0, flashvdm=1)
    assert out.facts.details["steps"] == 5 and out.facts.details["flashvdm"] is True
    assert sum(m.startswith("diffusion step") for _, m in messages) == 5
    assert any(m.startswith("decoding chunk") for _, m in messages) and len(out.mesh.faces) > 1000


def test_without_models_the_engine_says_what_to_install() -> None:
    engine = HunyuanEngine()
    available = engine.availability()
    assert not available.ok and "Models" in available.reason and "download" in available.reason
    assert not engine.text_availability().ok


def test_text_to_3d_is_disabled_with_its_reason_until_hunyuandit_is_installed() -> None:
    build_tiny_checkpoint(models_dir())
    engine = HunyuanEngine()
    assert engine.availability().ok
    reason = engine.text_availability().reason
    assert "HunyuanDiT" in reason and "hunyuandit-t2i" in reason


def test_unknown_variant_and_device_are_refused() -> None:
    build_tiny_checkpoint(models_dir())
    with pytest.raises(InputError, match=r"unknown Hunyuan variant 'hunyuan3d-2\.1'.*2\.1 is not listed"):
        _run(HunyuanEngine(), variant="hunyuan3d-2.1")
    with pytest.raises(InputError, match="device='tpu'"):
        _run(HunyuanEngine(), device="tpu")


def test_importing_the_engine_registry_and_cli_does_not_import_torch() -> None:
    code = (
        "import sys; import app.cli.main, app.core.generation.engines.registry as r; "
        "r.get_engine('hunyuan').availability(); "
        "assert 'torch' not in sys.modules and 'hy3dgen' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)

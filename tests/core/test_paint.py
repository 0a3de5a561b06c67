"""Hunyuan Paint through hy3dgen's real classes on the CPU, with tiny delight and paint models whose
weights are RANDOM (tests/hunyuan_paint_tiny.py): these tests check the plumbing, never texture
quality. The paint model is rigged so that each of its six cameras paints one flat colour of its
own (`VIEW_COLOURS`): where a view lands on the mesh shows whether the conditions, the camera
indices and our bake agree. Views are painted at 64 px with 3 steps to keep the tests quick; the
delighter runs its fixed 50 steps at its fixed 512 px, as in production.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from hunyuan_paint_tiny import (
    CAMERA_INFO,
    REPO,
    VIEW_COLOURS,
    build_tiny_delight,
    build_tiny_paint,
    trap_markers,
)
from hunyuan_tiny import build_tiny_checkpoint
from PIL import Image

from app.core.base.cancel import CancelToken
from app.core.base.progress import Progress
from app.core.generation import paint_runtime
from app.core.generation.engines.registry import get_engine
from app.core.generation.request import GenerationRequest, JobStatus
from app.core.generation.stages import generate
from app.core.mesh.types import LodSet
from app.core.texture.paint_cameras import PAINT_CAMERAS
from app.core.texture.paint_options import PaintOptions

pytestmark = pytest.mark.slow
SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "robot.png"
SHAPE = {"steps": 2, "octree_resolution": 48, "num_chunks": 4000, "flashvdm": 0, "device": "cpu"}
QUICK = PaintOptions(steps=3, resolution=64)
AXES = {
    "front": (0, 0, 1),
    "right": (1, 0, 0),
    "back": (0, 0, -1),
    "left": (-1, 0, 0),
    "top": (0, 1, 0),
    "bottom": (0, -1, 0),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("paint-models")
    build_tiny_checkpoint(root)
    build_tiny_paint(root)
    build_tiny_delight(root)
    return root


@pytest.fixture
def store(built: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny models as the store; no test may run model-folder code or unpickle a weight file."""
    import torch

    torch.set_num_threads(1)
    monkeypatch.setenv("SWEEDLE_MODELS", str(built))
    yield built
    assert trap_markers(built) == [], "a model folder's code was run or a pickle was read"


def _request(**changes: object) -> GenerationRequest:
    fields: dict[str, object] = {
        "image_path": SAMPLE,
        "engine": "hunyuan",
        "params": SHAPE,
        "texture_size": 256,
        "lods": (),
        "seed": 3,
        "texture_method": "paint",
        "paint": QUICK,
    }
    return GenerationRequest(**(fields | changes))  # type: ignore[arg-type]


def _run(tmp_path: Path, request: GenerationRequest, seen: list[Progress] | None = None) -> LodSet:
    result = generate(request, tmp_path / "out.glb", on_progress=None if seen is None else seen.append)
    assert result.status is JobStatus.DONE, result.message
    assert result.lodset is not None
    return result.lodset


def _side_colours(lodset: LodSet) -> dict[str, np.ndarray]:
    """The mean texture colour of the surface facing each camera squarely (within ~25°)."""
    mesh = lodset.lod0
    texture = lodset.material.base_color_texture
    assert mesh.uvs is not None and texture is not None
    corners = mesh.vertices[mesh.faces].astype(np.float64)
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    uv = mesh.uvs[mesh.faces].mean(axis=1)
    size = texture.shape[0]
    rows = np.clip((uv[:, 1] * size).astype(int), 0, size - 1)
    cols = np.clip((uv[:, 0] * size).astype(int), 0, size - 1)
    texels = texture[rows, cols]
    out = {}
    for name, axis in AXES.items():
        facing = normals @ np.asarray(axis, dtype=np.float64) > 0.9
        assert facing.sum() >= 3, f"the test shape has no surface facing {name}"
        out[name] = texels[facing].astype(np.float64).mean(axis=0)
    return out


def test_camera_indices_and_order_are_hy3dgens() -> None:
    assert (
        [c.name for c in PAINT_CAMERAS]
        == list(CAMERA_INFO)
        == ["front", "right", "back", "left", "top", "bottom"]
    )
    assert [c.camera_info for c in PAINT_CAMERAS] == list(CAMERA_INFO.values()) == [21, 12, 15, 18, 43, 37]
    assert [c.weight for c in PAINT_CAMERAS] == [1, 0.1, 0.5, 0.1, 0.05, 0.05]


def test_every_diffusion_step_of_both_runs_is_reported(store: Path, tmp_path: Path) -> None:
    seen: list[Progress] = []
    lodset = _run(tmp_path, _request(), seen)
    steps = [p.message for p in seen if p.stage == "texture" and "step" in p.message]
    expected = [f"delighting the picture: step {i}/50" for i in range(1, 51)]
    expected += [f"painting six views: step {i}/3" for i in range(1, 4)]
    assert steps == expected
    overall = [p.overall for p in seen]
    assert overall == sorted(overall)
    texture = lodset.provenance["texture"]
    assert texture["method"] == "paint" and texture["paint_device"] == "cpu"
    assert texture["paint_steps"] == 3 and texture["delight_steps"] == 50
    assert lodset.provenance["licence"] == texture["licence"] == "tencent-hunyuan-community"


def test_each_view_paints_its_own_side_and_the_back_is_no_longer_a_fill(store: Path, tmp_path: Path) -> None:
    painted = _side_colours(_run(tmp_path, _request()))
    for name, colour in painted.items():
        assert np.abs(colour - VIEW_COLOURS[name]).max() < 40, f"{name}: {colour} is not {VIEW_COLOURS[name]}"
    projected = _side_colours(_run(tmp_path, _request(texture_method="projection")))
    # projection fills the back from the seen surfaces: nothing there is the back view's own colour
    assert np.abs(projected["back"] - VIEW_COLOURS["back"]).max() > 100
    assert np.abs(painted["back"] - painted["front"]).max() > 150


def test_same_seed_same_texture(store: Path, tmp_path: Path) -> None:
    first = _run(tmp_path, _request(seed=7)).material.base_color_texture
    again = _run(tmp_path, _request(seed=7)).material.base_color_texture
    other = _run(tmp_path, _request(seed=8)).material.base_color_texture
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("stop_at", ["delighting the picture: step 2/50", "painting six views: step 2/3"])
def test_cancel_at_step_2_keeps_the_models_loaded(store: Path, tmp_path: Path, stop_at: str) -> None:
    _run(tmp_path, _request())
    assert paint_runtime.RUNTIME.loaded
    cancel = CancelToken()
    seen: list[str] = []

    def watch(progress: Progress) -> None:
        seen.append(progress.message)
        if progress.message == stop_at:
            cancel.cancel()

    result = generate(_request(), tmp_path / "cancelled.glb", on_progress=watch, cancel=cancel)
    assert result.status is JobStatus.CANCELLED and not (tmp_path / "cancelled.glb").exists()
    assert [m for m in seen if "step" in m and "diffusion" not in m][-1] == stop_at
    assert paint_runtime.RUNTIME.loaded
    again = _run(tmp_path, _request())
    assert again.provenance["texture"]["paint_timings"]["load_s"] == 0.0, "the models were loaded again"


def test_unload_frees_the_paint_models(store: Path, tmp_path: Path) -> None:
    import gc
    import weakref

    _run(tmp_path, _request())
    loaded = paint_runtime.RUNTIME._loaded
    assert loaded is not None
    unet = weakref.ref(loaded.paint.unet)
    delight = weakref.ref(loaded.delight.pipeline.unet)
    del loaded
    get_engine("hunyuan").unload()  # what Models ▸ Unload does
    gc.collect()
    assert not paint_runtime.RUNTIME.loaded
    assert unet() is None and delight() is None, "the paint models are still in memory"


def test_a_picture_given_for_a_side_takes_that_side(store: Path, tmp_path: Path) -> None:
    back = tmp_path / "back.png"
    rgba = np.zeros((128, 128, 4), np.uint8)
    rgba[16:112, 16:112] = (250, 140, 0, 255)
    Image.fromarray(rgba, "RGBA").save(back)
    lodset = _run(tmp_path, _request(views={"back": back}))
    colours = _side_colours(lodset)
    assert np.abs(colours["back"] - (250, 140, 0)).max() < 40, colours["back"]
    assert np.abs(colours["front"] - VIEW_COLOURS["front"]).max() < 40
    assert lodset.provenance["texture"]["sides_from_pictures"] == ["back"]


def test_retexture_keeps_the_mesh_and_paints_it(store: Path, tmp_path: Path) -> None:
    relief = generate(
        GenerationRequest(SAMPLE, params={"resolution": 48}, texture_size=256, lods=()),
        tmp_path / "relief.glb",
    )
    assert relief.ok and relief.lodset is not None
    result = generate(_request(mesh_path=tmp_path / "relief.glb", name="robot"), tmp_path / "painted.glb")
    assert result.status is JobStatus.DONE, result.message
    assert result.lodset is not None
    before, after = relief.lodset.lod0, result.lodset.lod0
    assert after.triangle_count == before.triangle_count
    key = lambda v: {tuple(p) for p in np.round(v, 5)}  # noqa: E731 - positions, seams aside
    assert key(after.vertices) == key(before.vertices)
    prov = result.lodset.provenance
    assert prov["engine"] == "relief" and prov["retextured_from"] == "relief.glb"
    assert prov["texture"]["method"] == "paint"
    assert np.abs(_side_colours(result.lodset)["back"] - VIEW_COLOURS["back"]).max() < 60


def test_missing_or_damaged_paint_weights(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "models"
    shutil.copytree(built / REPO / "hunyuan3d-dit-v2-0", root / REPO / "hunyuan3d-dit-v2-0")
    monkeypatch.setenv("SWEEDLE_MODELS", str(root))
    missing = generate(_request(), tmp_path / "a.glb")
    assert missing.status is JobStatus.FAILED
    assert "not installed" in missing.message and "sweedle models download" in missing.message
    assert "\n" not in missing.message

    shutil.copytree(built / REPO / "hunyuan3d-paint-v2-0", root / REPO / "hunyuan3d-paint-v2-0")
    shutil.copytree(built / REPO / "hunyuan3d-delight-v2-0", root / REPO / "hunyuan3d-delight-v2-0")
    weights = root / REPO / "hunyuan3d-paint-v2-0" / "unet" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    damaged = generate(_request(), tmp_path / "b.glb")
    assert damaged.status is JobStatus.FAILED and "\n" not in damaged.message
    assert str(weights) in damaged.message and "incomplete or damaged" in damaged.message
    assert not (tmp_path / "b.glb").exists()

    automatic = generate(_request(texture_method="auto"), tmp_path / "c.glb")
    assert automatic.status is JobStatus.DONE
    assert "incomplete or damaged" in automatic.message
    assert automatic.message.endswith("the texture was projected from the pictures instead")
    assert automatic.lodset is not None and automatic.lodset.provenance["texture"]["method"] == "projection"


def test_weights_that_do_not_fit_fail_a_paint_and_an_automatic_one_falls_back(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import safetensors.torch
    import torch

    root = tmp_path / "models"
    shutil.copytree(built, root)
    monkeypatch.setenv("SWEEDLE_MODELS", str(root))
    weights = root / REPO / "hunyuan3d-paint-v2-0" / "unet" / "diffusion_pytorch_model.safetensors"
    safetensors.torch.save_file({"not.a.unet": torch.zeros(2)}, str(weights))
    asked = generate(_request(), tmp_path / "a.glb")
    assert asked.status is JobStatus.FAILED
    assert "could not be loaded" in asked.message and "do not match hy3dgen 2.0.2" in asked.message
    # automatic painting needs a GPU; pretend one is there so the failed load is what it meets
    monkeypatch.setattr(paint_runtime, "can_paint_here", lambda _device="auto": (True, ""))
    automatic = generate(_request(texture_method="auto"), tmp_path / "b.glb")
    assert automatic.status is JobStatus.DONE
    assert automatic.message.startswith("Hunyuan Paint could not run: ")
    assert automatic.message.endswith("the texture was projected from the pictures instead")


def test_out_of_memory_says_what_to_lower(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    def out_of_memory(*_args: object, **_kwargs: object) -> None:
        raise torch.cuda.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(paint_runtime.PaintRuntime, "_delight", out_of_memory)
    result = generate(_request(paint=PaintOptions(steps=3, resolution=512)), tmp_path / "a.glb")
    assert result.status is JobStatus.FAILED
    assert result.message.startswith("the GPU ran out of memory while painting the texture: ")
    assert "lower the paint resolution (now 512 px)" in result.message and "low-VRAM mode" in result.message


def test_vram_preflight_switches_to_low_vram_or_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from app.core.base.errors import GenerationError

    gib = 2**30
    for free, expected in ((20, (False, "")), (8, (True, "low-VRAM mode"))):
        monkeypatch.setattr(torch.cuda, "mem_get_info", lambda free=free: (free * gib, 24 * gib))
        low_vram, notice = paint_runtime.preflight("cuda", False)
        assert low_vram is expected[0] and expected[1] in notice
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda: (3 * gib, 8 * gib))
    with pytest.raises(
        GenerationError, match="close other programs that use the GPU, or choose texture projection"
    ):
        paint_runtime.preflight("cuda", False)

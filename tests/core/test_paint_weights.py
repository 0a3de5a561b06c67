"""The delight and paint weights in the model store: catalog entries, import, and hostile folders
refused with one line naming the file, in the store check and at load, with no code from the
folder run and no pickle read. The folders are tiny with RANDOM weights (tests/hunyuan_paint_tiny.py)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hunyuan_paint_tiny import DELIGHT, PAINT, REPO, build_tiny_delight, build_tiny_paint, trap_markers

from app.cli.main import main
from app.core.base.errors import GenerationError
from app.core.generation.paint_runtime import PaintRuntime
from app.core.weights.catalog import PAINT_TURBO_NOTE, spec
from app.core.weights.importing import import_models
from app.core.weights.paint_weights import paint_problem
from app.core.weights.store import ModelStore

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("paint-template")
    build_tiny_paint(root)
    build_tiny_delight(root)
    return root


def test_the_catalog_lists_delight_and_paint(capsys: pytest.CaptureFixture[str]) -> None:
    for model_id, kind in (("hunyuan3d-delight-v2-0", "delight"), ("hunyuan3d-paint-v2-0", "paint")):
        model = spec(model_id)
        assert model.kind == kind and model.diffusers and model.download_gb > 1
        assert model.relative_dir == f"{REPO}/{model_id}" and model.licence == "tencent-hunyuan-community"
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "hunyuan3d-paint-v2-0" in out and "not installed (download ~3.9 GB)" in out
    assert "hunyuan3d-delight-v2-0" in out and PAINT_TURBO_NOTE in out


def test_import_from_a_snapshot_leaves_the_pickles_behind(template: Path, tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot"
    shutil.copytree(template / REPO, snapshot)
    store = ModelStore(tmp_path / "store")
    imported = {found.spec.id for found in import_models(snapshot, store)}
    assert imported == {"hunyuan3d-delight-v2-0", "hunyuan3d-paint-v2-0"}
    assert paint_problem(store) == ""
    assert not list(store.root.rglob("*.bin")), "a pickle weight file was copied"
    assert trap_markers(tmp_path / "store") == [] and trap_markers(snapshot) == []


@dataclass(frozen=True)
class Case:
    model: str
    make: Callable[[Path], None]
    says: tuple[str, ...]


def _json(relative: str, change: Callable[[dict], None]) -> Callable[[Path], None]:  # type: ignore[type-arg]
    def edit(folder: Path) -> None:
        path = folder / relative
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))

    return edit


def _only_pickle(component: str, weights: str, pickle_name: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        (folder / component / weights).unlink()
        (folder / component / pickle_name).write_bytes(b"\x80\x04K\x01.")

    return edit


def _truncate(folder: Path) -> None:
    path = folder / "unet" / "diffusion_pytorch_model.safetensors"
    path.write_bytes(path.read_bytes()[:-64])


CASES: dict[str, Case] = {
    "unet from os": Case(
        PAINT,
        _json("model_index.json", lambda d: d.update(unet=["os", "system"])),
        ("model_index.json", "['os', 'system']"),
    ),
    "unet from another module class": Case(
        PAINT,
        _json("model_index.json", lambda d: d.update(unet=["modules", "Evil"])),
        ("model_index.json", "'Evil'"),
    ),
    "custom pipeline": Case(
        PAINT,
        _json("model_index.json", lambda d: d.update(_class_name="Evil")),
        ("names the pipeline", "'Evil'"),
    ),
    "extra component": Case(
        PAINT, _json("model_index.json", lambda d: d.update(watermarker=["evil", "Evil"])), ("'watermarker'",)
    ),
    "auto_map in the unet config": Case(
        PAINT,
        _json("unet/config.json", lambda d: d.update(auto_map={"AutoModel": "evil.Evil"})),
        ("unet/config.json", "auto_map"),
    ),
    "unet config names another class": Case(
        PAINT,
        _json("unet/config.json", lambda d: d.update(_class_name="Evil")),
        ("unet/config.json", "'Evil'"),
    ),
    "scheduler names another class": Case(
        PAINT,
        _json("scheduler/scheduler_config.json", lambda d: d.update(_class_name="Evil")),
        ("scheduler_config.json", "'Evil'"),
    ),
    "unet only as a pickle": Case(
        PAINT,
        _only_pickle("unet", "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin"),
        ("unet", "pickle"),
    ),
    "unet weights cut short": Case(
        PAINT, _truncate, ("diffusion_pytorch_model.safetensors", "incomplete or damaged")
    ),
    "delight text encoder only as a pickle": Case(
        DELIGHT,
        _only_pickle("text_encoder", "model.safetensors", "pytorch_model.bin"),
        ("text_encoder", "pytorch_model.bin", "pickle"),
    ),
    "delight image encoder filled in": Case(
        DELIGHT,
        _json(
            "model_index.json",
            lambda d: d.update(image_encoder=["transformers", "CLIPVisionModelWithProjection"]),
        ),
        ("image_encoder", "leaves it empty"),
    ),
    "delight tokenizer class": Case(
        DELIGHT,
        _json("tokenizer/tokenizer_config.json", lambda d: d.update(tokenizer_class="Evil")),
        ("tokenizer_config.json", "'Evil'"),
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_hostile_paint_or_delight_folder_is_refused_in_the_store_and_at_load(
    case: str, template: Path, tmp_path: Path
) -> None:
    root = tmp_path / "models"
    shutil.copytree(template, root)
    CASES[case].make(root / REPO / CASES[case].model)
    store = ModelStore(root)
    problem = store.state(spec(CASES[case].model)).problem
    with pytest.raises(GenerationError) as loading:
        PaintRuntime()._ensure_loaded(store, "cpu", "float32")
    for message in (problem, paint_problem(store), str(loading.value)):
        assert "\n" not in message and all(part in message for part in CASES[case].says), message
        assert f"sweedle models download {CASES[case].model}" in message
    assert trap_markers(root) == []


def test_the_benchmarks_full_size_models_match_the_published_weight_files() -> None:
    """hy3dgen's 2.5D UNet on Stable Diffusion 2's UNet holds exactly as many float16 numbers as
    Tencent's unet/diffusion_pytorch_model.safetensors has bytes (less its header), so the state
    this loader reads strictly is that file's, and bench_paint's models are the real sizes."""
    import torch

    from app.core.generation.engines.hunyuan_torch import import_hy3dgen_paint

    unet_module = import_hy3dgen_paint().unet
    from bench.bench_paint import CLIP_VIT_H_TEXT, SD2_UNET, SD_VAE
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    def count(module: torch.nn.Module) -> int:
        return sum(p.numel() for p in module.parameters())

    with torch.device("meta"):
        paint = unet_module.UNet2p5DConditionModel(UNet2DConditionModel(in_channels=4, **SD2_UNET))
        delight = UNet2DConditionModel(in_channels=8, **SD2_UNET)
        vae = AutoencoderKL(**SD_VAE)
        text = CLIPTextModel(CLIPTextConfig(**CLIP_VIT_H_TEXT))
    published = {  # bytes on the hub, header included (paint in float16, delight UNet in float32)
        "paint unet": (2 * count(paint), 3_662_636_472),
        "delight unet": (4 * count(delight), 3.46e9),
        "vae": (2 * count(vae), 167e6),
        "text encoder": (2 * count(text), 681e6),
    }
    ours, theirs = published["paint unet"]
    assert 0 < theirs - ours < 1_000_000, "not the published paint UNet: the difference is more than a header"
    for name, (ours, theirs) in published.items():
        assert abs(ours - theirs) / theirs < 0.005, (
            f"{name}: {ours:,} bytes of weights, published {theirs:,.0f}"
        )

"""Hostile model folders: none may make Sweedle import code, start a process, unpickle or write.

Each case is a real tiny checkpoint (tests/hunyuan_tiny.py, tests/hunyuan_dit_tiny.py, RANDOM
weights) made hostile at test time. Every case goes through every door a folder has: `sweedle
models import`, the store check behind the Models dialog, and the loader itself (which must check
again, not trust an earlier check). Each must give one line naming the file and the offending
value, start no process (tests/process_guard.py fails any spawn at once), write nothing, import
no module at all, and never import the sentinel module the hostile files point at (importing it
would leave a mark on disk). The two real loads at the end show the loaders read only safetensors:
torch.load raises if anything calls it, with pickle files that import the sentinel lying beside.
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
import shutil
import struct
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.abc import MetaPathFinder
from pathlib import Path
from typing import Any

import pytest
import yaml
from hunyuan_tiny import build_tiny_checkpoint, build_tiny_vae
from process_guard import watching

from app.cli.main import main
from app.core.base.errors import GenerationError
from app.core.generation.engines.hunyuan_torch import import_hy3dgen_shapegen

import_hy3dgen_shapegen()  # before anything imports torchvision (see hunyuan_torch)
import torch  # noqa: E402
from hunyuan_dit_tiny import REPO as DIT_REPO  # noqa: E402
from hunyuan_dit_tiny import build_tiny_hunyuandit  # noqa: E402

from app.core.generation import text_to_image  # noqa: E402
from app.core.generation.engines import hunyuan_build  # noqa: E402
from app.core.generation.engines.hunyuan_runtime import HunyuanRuntime  # noqa: E402
from app.core.weights import allowlist  # noqa: E402
from app.core.weights.catalog import spec  # noqa: E402
from app.core.weights.importing import import_models  # noqa: E402
from app.core.weights.store import ModelStore  # noqa: E402

BASE = spec("hunyuan3d-2")
T2I = spec("hunyuandit-t2i")
SENTINEL = "sweedle_hostile_sentinel"
VARIANT = Path("tencent/Hunyuan3D-2/hunyuan3d-dit-v2-0")


@pytest.fixture(scope="module")
def sentinel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A module on sys.path that marks the disk when imported; `Evil` and `run` for configs to name."""
    folder = tmp_path_factory.mktemp("sentinel")
    mark = folder / "IMPORTED"
    (folder / f"{SENTINEL}.py").write_text(
        f"from pathlib import Path\nPath({str(mark)!r}).write_text('imported')\n"
        "class Evil:\n    def __init__(self, *a, **k):\n        pass\n"
        "def run(*a, **k):\n    return 0\n"
    )
    sys.path.insert(0, str(folder))
    yield mark
    sys.path.remove(str(folder))


class _Guard(MetaPathFinder):
    """Sees every import not already done (and finds nothing: the normal finders go on); keeps the
    files written meanwhile."""

    def __init__(self) -> None:
        self.imports: list[str] = []
        self.writes: list[str] = []

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        self.imports.append(fullname)


@contextmanager
def guarded(mark: Path) -> Iterator[_Guard]:
    """No process may start (it fails at once, whoever catches it); afterwards the sentinel module
    must not have been imported, or even looked for."""
    guard = _Guard()
    sys.meta_path.insert(0, guard)
    try:
        with watching(forbid_processes=True) as seen:
            yield guard
    finally:
        sys.meta_path.remove(guard)
    guard.writes = seen.writes
    assert seen.processes == [], f"a process was started: {seen.processes}"
    assert SENTINEL not in guard.imports and SENTINEL not in sys.modules and not mark.exists()


def _pickle_payload() -> bytes:
    """A pickle that imports the sentinel when anything unpickles it."""

    class Payload:
        def __reduce__(self) -> tuple[Any, ...]:
            return (importlib.import_module, (SENTINEL,))

    return pickle.dumps(Payload())


def _one_line(message: str, *parts: str) -> None:
    assert "\n" not in message and "Traceback" not in message, message
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"


# --- shape variants: config.yaml, weights, links ------------------------------------------------


@pytest.fixture(scope="module")
def shape_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shape-template")
    build_tiny_checkpoint(root)
    return root


def _config(folder: Path) -> dict[str, Any]:
    return yaml.safe_load((folder / "config.yaml").read_text())


def _set_config(folder: Path, config: dict[str, Any]) -> None:
    (folder / "config.yaml").write_text(yaml.safe_dump(config))


def _edit(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        config = _config(folder)
        change(config)
        _set_config(folder, config)

    return apply


def _encoder_kwargs(config: dict[str, Any]) -> dict[str, Any]:
    return config["conditioner"]["params"]["main_image_encoder"]["kwargs"]


def _write_safetensors(
    path: Path, header: dict[str, Any], data: bytes, header_len: int | None = None
) -> None:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw) if header_len is None else header_len) + raw + data)


def _outside_link(folder: Path, name: str) -> None:
    outside = folder.parent.parent.parent / f"outside-{name}"
    shutil.copyfile(folder / name, outside)
    (folder / name).unlink()
    (folder / name).symlink_to(outside)


def _pickle_instead(folder: Path) -> None:
    (folder / "model.fp16.safetensors").unlink()
    (folder / "model.fp16.ckpt").write_bytes(_pickle_payload())


def _ckpt_path(folder: Path) -> None:
    (folder / "evil.ckpt").write_bytes(_pickle_payload())
    _edit(lambda c: c["model"]["params"].update(ckpt_path=str(folder / "evil.ckpt")))(folder)


def _fifo(name: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / name).unlink()
        os.mkfifo(folder / name)

    return apply


def _text(content: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / "config.yaml").write_text(content)

    return apply


BILLION_LAUGHS = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n"
    for i in range(1, 12)
)
"""7^11 (about 2 billion) strings once every alias is expanded."""


@dataclass(frozen=True)
class Case:
    make: Callable[[Path], None]
    says: tuple[str, ...]
    """What the one-line message must contain (besides the folder's path)."""


SHAPE_CASES: dict[str, Case] = {
    "target os.system": Case(
        _edit(lambda c: c["model"].update(target="os.system", params={"command": "touch /tmp/pwned"})),
        ("config.yaml", "'os.system'", "model.target"),
    ),
    "nested target": Case(
        _edit(
            lambda c: c["model"]["params"].update(hook={"target": "os.system", "params": {"command": "id"}})
        ),
        ("config.yaml", "'os.system'", "model.params.hook.target"),
    ),
    "target deep in a list": Case(
        _edit(lambda c: _encoder_kwargs(c)["config"].update(out_features=[{"target": f"{SENTINEL}.run"}])),
        ("config.yaml", f"'{SENTINEL}.run'", "out_features.0.target"),
    ),
    "module outside hy3dgen": Case(
        _edit(lambda c: c["vae"].update(target=f"{SENTINEL}.Evil")), ("config.yaml", f"'{SENTINEL}.Evil'")
    ),
    "builtins.eval": Case(
        _edit(lambda c: c["scheduler"].update(target="builtins.eval", params={"source": "1"})),
        ("config.yaml", "'builtins.eval'"),
    ),
    "hy3dgen's own instantiate_from_config": Case(
        _edit(lambda c: c["model"].update(target="hy3dgen.shapegen.pipelines.instantiate_from_config")),
        ("config.yaml", "'hy3dgen.shapegen.pipelines.instantiate_from_config'"),
    ),
    "multi-view class in a single-view variant": Case(
        _edit(lambda c: c["image_processor"].update(target=allowlist.MV_IMAGE_PROCESSOR)),
        ("config.yaml", "MVImageProcessorV2"),
    ),
    "ckpt_path to a pickle": Case(_ckpt_path, ("config.yaml", "ckpt_path", "torch.load")),
    "encoder fetched by version": Case(
        _edit(lambda c: _encoder_kwargs(c).update(version="facebook/dinov2-giant")),
        ("config.yaml", "kwargs.version"),
    ),
    "attention kernel from the hub": Case(
        _edit(lambda c: _encoder_kwargs(c)["config"].update(attn_implementation="kernels-community/flash")),
        ("config.yaml", "'kernels-community/flash'"),
    ),
    "unknown setting": Case(
        _edit(lambda c: c["model"]["params"].update(on_load="rm -rf ~")), ("config.yaml", "'on_load'")
    ),
    "absurd number": Case(
        _edit(lambda c: c["model"]["params"].update(hidden_size=10**15)), ("config.yaml", "hidden_size")
    ),
    "YAML python tag": Case(
        _text("model: !!python/object/apply:os.system ['touch /tmp/pwned']\n"),
        ("config.yaml", "python/object/apply:os.system"),
    ),
    "YAML anchors (billion laughs)": Case(_text(BILLION_LAUGHS), ("config.yaml", "anchors")),
    "YAML nested 50,000 deep": Case(
        _text("model: " + "[" * 50_000 + "]" * 50_000 + "\n"), ("config.yaml", "nest")
    ),
    "YAML of 8 MB": Case(_text("# " + "x" * (8 << 20) + "\n"), ("config.yaml", "bytes")),
    "config is a pipe": Case(_fifo("config.yaml"), ("config.yaml", "not a regular file")),
    "weights are a pipe": Case(
        _fifo("model.fp16.safetensors"), ("model.fp16.safetensors", "not a regular file")
    ),
    "config links outside": Case(
        lambda f: _outside_link(f, "config.yaml"), ("config.yaml", "outside the model")
    ),
    "weights link outside": Case(
        lambda f: _outside_link(f, "model.fp16.safetensors"), ("model.fp16.safetensors", "outside the model")
    ),
    "pickle .ckpt instead of safetensors": Case(_pickle_instead, ("model.fp16.ckpt", "pickle")),
    "safetensors header: overlapping tensors": Case(
        lambda f: _write_safetensors(
            f / "model.fp16.safetensors",
            {
                "model.a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "model.b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
            },
            bytes(12),
        ),
        ("model.fp16.safetensors", "overlap"),
    ),
    "safetensors header: shape larger than its bytes": Case(
        lambda f: _write_safetensors(
            f / "model.fp16.safetensors",
            {"model.a": {"dtype": "F32", "shape": [1 << 40], "data_offsets": [0, 4]}},
            bytes(4),
        ),
        ("model.fp16.safetensors", "claims"),
    ),
    "safetensors header: absurd header length": Case(
        lambda f: _write_safetensors(f / "model.fp16.safetensors", {}, bytes(64), header_len=1 << 62),
        ("model.fp16.safetensors", "not a valid safetensors file"),
    ),
    "safetensors header: unknown dtype": Case(
        lambda f: _write_safetensors(
            f / "model.fp16.safetensors",
            {"model.a": {"dtype": "PICKLE", "shape": [4], "data_offsets": [0, 4]}},
            bytes(4),
        ),
        ("model.fp16.safetensors", "'PICKLE'"),
    ),
}


@pytest.mark.parametrize("case", SHAPE_CASES, ids=list(SHAPE_CASES))
def test_hostile_shape_folder_is_refused_at_import_in_the_store_and_at_load(
    case: str, shape_template: Path, sentinel: Path, tmp_path: Path
) -> None:
    source = tmp_path / "shared"
    shutil.copytree(shape_template, source)
    SHAPE_CASES[case].make(source / VARIANT)
    says = SHAPE_CASES[case].says
    store = ModelStore(tmp_path / "store")
    with guarded(sentinel) as guard:
        with pytest.raises(GenerationError) as imported:
            import_models(source, store)
        with pytest.raises(GenerationError) as linked:
            import_models(source, store, link=True)
        problem = ModelStore(source).state(BASE).problem
        with pytest.raises(GenerationError) as loaded:
            HunyuanRuntime().ensure_loaded(BASE, ModelStore(source), "cpu", False, False)
    for message in (str(imported.value), str(linked.value), problem, str(loaded.value)):
        _one_line(message, *says)
    assert guard.imports == [], f"modules imported while checking a hostile folder: {guard.imports}"
    assert guard.writes == [] and not (tmp_path / "store").exists()


def test_cli_import_of_a_hostile_folder_prints_one_line(
    shape_template: Path, sentinel: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(shape_template, tmp_path / "shared")
    SHAPE_CASES["target os.system"].make(tmp_path / "shared" / VARIANT)
    with guarded(sentinel):
        assert main(["models", "import", str(tmp_path / "shared")]) == 1
    err = capsys.readouterr().err.strip()
    _one_line(err, "config.yaml", "'os.system'", "sweedle models download hunyuan3d-2")


def test_the_loader_checks_again_instead_of_trusting_an_earlier_check(
    shape_template: Path, sentinel: Path, tmp_path: Path
) -> None:
    store = ModelStore(tmp_path / "store")
    import_models(shape_template, store)
    assert store.state(BASE).usable
    SHAPE_CASES["module outside hy3dgen"].make(store.path(BASE))  # changed after the check passed
    with (
        guarded(sentinel),
        pytest.raises(GenerationError, match=f"'{SENTINEL}.Evil' as vae.target, which is not"),
    ):
        HunyuanRuntime().ensure_loaded(BASE, store, "cpu", False, False)


def test_the_guard_catches_an_import_and_a_process(sentinel: Path) -> None:
    """The guard itself can fail: importing the sentinel or starting a process inside it is caught."""
    with pytest.raises(AssertionError), guarded(sentinel):
        importlib.import_module(SENTINEL)
    assert sentinel.exists()
    sentinel.unlink()
    del sys.modules[SENTINEL]
    with pytest.raises(RuntimeError, match="forbids starting a process"), guarded(sentinel):
        os.system("true")


def test_every_published_variant_layout_passes(tmp_path: Path) -> None:
    """The allow-list accepts what the known variants really use: single-view, multi-view, turbo
    scheduler, guidance embedding, the stand-alone turbo VAE."""
    build_tiny_checkpoint(tmp_path, "hunyuan3d-dit-v2-0-turbo", guidance_embed=True, turbo=True)
    build_tiny_checkpoint(tmp_path, "hunyuan3d-dit-v2-mv", repo="tencent/Hunyuan3D-2mv", multiview=True)
    build_tiny_vae(tmp_path)
    store = ModelStore(tmp_path)
    for model_id in ("hunyuan3d-2-turbo", "hunyuan3d-2mv", "hunyuan3d-2-vae-turbo"):
        assert store.state(spec(model_id)).problem == ""
    mv = tmp_path / "tencent/Hunyuan3D-2mv/hunyuan3d-dit-v2-mv"
    _edit(lambda c: c["image_processor"].update(target=allowlist.IMAGE_PROCESSOR))(mv)
    assert "ImageProcessorV2" in store.state(spec("hunyuan3d-2mv")).problem


def test_the_allow_list_names_real_hy3dgen_classes_and_settings() -> None:
    """The tables match hy3dgen 2.0.2's classes: every allowed setting is an argument the class
    takes, and none of the arguments that read files by name is allowed."""
    import inspect

    from transformers import Dinov2Config

    classes = hunyuan_build._classes()
    sections = [*allowlist.shape_parts(False).values(), *allowlist.shape_parts(True).values()]
    allowed = {target: params for section in sections for target, params in section.items()}
    assert set(classes) == set(allowed)
    for target, params in allowed.items():
        signature = set(inspect.signature(classes[target].__init__).parameters)
        assert params <= signature, f"{target} does not take {params - signature}"
        assert "ckpt_path" not in params and "version" not in params
    dino = set(inspect.signature(Dinov2Config.__init__).parameters)
    descriptive = {
        "model_type",
        "torch_dtype",
        "dtype",
        "architectures",
        "transformers_version",
        "_name_or_path",
    }
    assert allowlist.DINO_CONFIG_KEYS - descriptive - {"attn_implementation"} <= dino


def _hub_cache(source: Path, hub: Path) -> Path:
    """A Hugging Face hub cache of the variant: snapshot files are links into the repo's blobs."""
    repo = hub / "models--tencent--Hunyuan3D-2"
    snapshot = repo / "snapshots" / "0123abc" / VARIANT.name
    snapshot.mkdir(parents=True)
    (repo / "blobs").mkdir()
    for file in (source / VARIANT).iterdir():
        shutil.copyfile(file, repo / "blobs" / f"blob-{file.name}")
        (snapshot / file.name).symlink_to(Path("../../../blobs") / f"blob-{file.name}")
    return snapshot


def test_hub_cache_links_into_its_blobs_are_allowed_and_links_elsewhere_are_not(
    shape_template: Path, sentinel: Path, tmp_path: Path
) -> None:
    snapshot = _hub_cache(shape_template, tmp_path / "hub")
    with guarded(sentinel):
        [copied] = import_models(tmp_path / "hub", ModelStore(tmp_path / "copied"))
        [linked] = import_models(tmp_path / "hub", ModelStore(tmp_path / "linked"), link=True)
    assert copied.revision == linked.revision == "0123abc"
    assert (
        ModelStore(tmp_path / "copied").state(BASE).usable
        and ModelStore(tmp_path / "linked").state(BASE).usable
    )
    elsewhere = tmp_path / "elsewhere.yaml"
    shutil.copyfile(snapshot / "config.yaml", elsewhere)
    (snapshot / "config.yaml").unlink()
    (snapshot / "config.yaml").symlink_to(elsewhere)
    problem = ModelStore(tmp_path / "linked").state(BASE).problem
    _one_line(problem, "config.yaml", str(elsewhere), "outside the model folder")


def test_copy_import_leaves_pickle_files_out(shape_template: Path, sentinel: Path, tmp_path: Path) -> None:
    source = tmp_path / "cache"
    shutil.copytree(shape_template, source)
    (source / VARIANT / "model.fp16.ckpt").write_bytes(_pickle_payload())
    store = ModelStore(tmp_path / "store")
    with guarded(sentinel):
        import_models(source, store)
    names = {p.name for p in store.path(BASE).iterdir()}
    assert "model.fp16.safetensors" in names and "model.fp16.ckpt" not in names
    assert store.state(BASE).usable


# --- HunyuanDiT (diffusers) folder ------------------------------------------------------------


@pytest.fixture(scope="module")
def dit_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dit-template")
    build_tiny_hunyuandit(root)
    return root


def _json_edit(relative: str, change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / relative
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))

    return apply


def _bin_instead(folder: Path) -> None:
    (folder / "text_encoder" / "model.safetensors").unlink()
    (folder / "text_encoder" / "pytorch_model.bin").write_bytes(_pickle_payload())


def _shard_to_bin(folder: Path) -> None:
    weights = folder / "transformer" / "diffusion_pytorch_model.safetensors"
    weights.unlink()
    (folder / "transformer" / "evil.bin").write_bytes(_pickle_payload())
    index = {"metadata": {}, "weight_map": {"pos_embed.proj.weight": "evil.bin"}}
    (folder / "transformer" / "diffusion_pytorch_model.safetensors.index.json").write_text(json.dumps(index))


DIT_CASES: dict[str, Case] = {
    "component from os": Case(
        _json_edit("model_index.json", lambda d: d.update(text_encoder=["os", "system"])),
        ("model_index.json", "['os', 'system']"),
    ),
    "custom pipeline class": Case(
        _json_edit("model_index.json", lambda d: d.update(_class_name=[SENTINEL, "Evil"])),
        ("model_index.json", f"['{SENTINEL}', 'Evil']"),
    ),
    "extra component": Case(
        _json_edit("model_index.json", lambda d: d.update(watermarker=[SENTINEL, "Evil"])),
        ("model_index.json", "'watermarker'"),
    ),
    "feature extractor filled in": Case(
        _json_edit("model_index.json", lambda d: d.update(feature_extractor=[SENTINEL, "Evil"])),
        ("model_index.json", "feature_extractor"),
    ),
    "auto_map in a component config": Case(
        _json_edit(
            "text_encoder/config.json", lambda d: d.update(auto_map={"AutoModel": f"{SENTINEL}.Evil"})
        ),
        ("text_encoder/config.json", "auto_map"),
    ),
    "quantization_config": Case(
        _json_edit(
            "transformer/config.json", lambda d: d.update(quantization_config={"quant_method": "torchao"})
        ),
        ("transformer/config.json", "quantization_config"),
    ),
    "component config names another class": Case(
        _json_edit("vae/config.json", lambda d: d.update(_class_name=f"{SENTINEL}.Evil")),
        ("vae/config.json", f"'{SENTINEL}.Evil'"),
    ),
    "tokenizer class": Case(
        _json_edit("tokenizer/tokenizer_config.json", lambda d: d.update(tokenizer_class="Evil")),
        ("tokenizer_config.json", "'Evil'"),
    ),
    ".bin instead of safetensors": Case(_bin_instead, ("text_encoder", "pytorch_model.bin", "pickle")),
    "sharded index naming a .bin": Case(_shard_to_bin, ("index.json", "'evil.bin'")),
    "weights link outside": Case(
        lambda f: _outside_link(f / "vae", "diffusion_pytorch_model.safetensors"), ("outside the model",)
    ),
    "JSON nested deep": Case(
        lambda f: (f / "model_index.json").write_text("[" * 100_000 + "]" * 100_000),
        ("model_index.json", "JSON"),
    ),
}


@pytest.mark.parametrize("case", DIT_CASES, ids=list(DIT_CASES))
def test_hostile_hunyuandit_folder_is_refused_in_the_store_and_at_load(
    case: str, dit_template: Path, sentinel: Path, tmp_path: Path
) -> None:
    root = tmp_path / "models"
    shutil.copytree(dit_template, root)
    DIT_CASES[case].make(root / DIT_REPO)
    store = ModelStore(root)
    with guarded(sentinel) as guard:
        problem = store.state(T2I).problem
        with pytest.raises(GenerationError) as loaded:
            text_to_image.TextToImage()._ensure_loaded(store, "cpu")
    for message in (problem, str(loaded.value)):
        _one_line(message, *DIT_CASES[case].says)
    assert guard.imports == [], f"modules imported while checking a hostile folder: {guard.imports}"
    assert guard.writes == []


# --- real loads: only safetensors are read ------------------------------------------------------


@pytest.fixture
def torch_load_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("torch.load was called while loading a model")

    monkeypatch.setattr(torch, "load", refuse)


def test_shape_and_turbo_vae_load_only_safetensors_with_pickles_beside(
    shape_template: Path, sentinel: Path, tmp_path: Path, torch_load_forbidden: None
) -> None:
    root = tmp_path / "models"
    shutil.copytree(shape_template, root)
    vae = build_tiny_vae(root)
    for folder in (root / VARIANT, vae):
        (folder / "model.fp16.ckpt").write_bytes(_pickle_payload())
        (folder / "model.ckpt").write_bytes(_pickle_payload())
    store = ModelStore(root)
    assert store.state(BASE).usable and store.state(spec("hunyuan3d-2-vae-turbo")).usable
    runtime = HunyuanRuntime()
    with guarded(sentinel):
        loaded = runtime.ensure_loaded(BASE, store, "cpu", False, True)
    assert loaded.flashvdm and type(loaded.pipe.vae).__name__ == "ShapeVAE"
    expected = _tensors(vae / "model.fp16.safetensors")
    got = loaded.pipe.vae.state_dict()
    assert all(torch.equal(got[k], v.to(got[k].dtype)) for k, v in expected.items())
    runtime.unload()


def _tensors(path: Path) -> dict[str, Any]:
    import safetensors.torch

    return safetensors.torch.load_file(str(path))


def test_hunyuandit_loads_only_safetensors_from_a_staging_folder(
    dit_template: Path,
    sentinel: Path,
    tmp_path: Path,
    torch_load_forbidden: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = tmp_path / "models"
    shutil.copytree(dit_template, root)
    folder = root / DIT_REPO
    (folder / "text_encoder" / "pytorch_model.bin").write_bytes(_pickle_payload())
    (folder / "transformer" / "diffusion_pytorch_model.bin").write_bytes(_pickle_payload())
    (folder / "pipeline.py").write_text(f"import {SENTINEL}\n")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    runtime = text_to_image.TextToImage()
    with guarded(sentinel):
        loaded, _seconds = runtime._ensure_loaded(ModelStore(root), "cpu")
    pipe = loaded.dit.pipe
    assert type(pipe).__name__ == "HunyuanDiTPAGPipeline"
    assert (
        type(pipe.text_encoder).__name__ == "BertModel"
        and type(pipe.transformer).__name__ == "HunyuanDiT2DModel"
    )
    expected = _tensors(folder / "text_encoder" / "model.safetensors")
    got = pipe.text_encoder.state_dict()
    shared = expected.keys() & got.keys()
    assert len(shared) > 10  # hy3dgen loads float16 (then the CPU runs float32)
    assert all(torch.equal(got[k].float(), expected[k].half().float()) for k in shared)
    assert list(scratch.iterdir()) == [], "the staging folder was left behind"
    runtime.unload()

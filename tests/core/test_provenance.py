"""Provenance travels as one typed record from the engine to the GLB, the library and what the
CLI and the window show: the licence, device and weight revision a Hunyuan run reports must
arrive in the library (they used to be written under the engine's details and read from the top
level, so every generated version stored them empty).

The Hunyuan checkpoint has RANDOM weights (tests/hunyuan_tiny.py): this tests the plumbing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.generation.engines.hunyuan_torch import import_hy3dgen_shapegen

import_hy3dgen_shapegen()  # before anything imports torchvision (see hunyuan_torch)
from hunyuan_tiny import build_tiny_checkpoint  # noqa: E402

from app.cli.main import main  # noqa: E402
from app.core.base.provenance import EngineFacts, Provenance  # noqa: E402
from app.core.formats.glb_reader import read_glb  # noqa: E402
from app.core.library.records import AssetQuery  # noqa: E402
from app.core.library.startup import open_library  # noqa: E402
from app.core.paths import models_dir  # noqa: E402
from app.core.weights.store import write_manifest  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "robot.png"
REVISION = "0123abcd"


def test_hunyuan_licence_device_and_revision_reach_the_library_and_are_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_manifest(build_tiny_checkpoint(models_dir()), revision=REVISION, source="test")
    args = ["generate", str(SAMPLE), "-o", str(tmp_path / "robot.glb"), "--engine", "hunyuan", "-q"]
    args += ["-p", "steps=5", "-p", "octree_resolution=40", "-p", "flashvdm=0", "--texture-size", "256"]
    assert main(args) == 0, capsys.readouterr().err

    in_file = Provenance.from_dict(read_glb(tmp_path / "robot.glb").provenance)
    assert (in_file.licence, in_file.device, in_file.model_revision) == (
        "tencent-hunyuan-community",
        "cpu",
        REVISION,
    )
    assert (
        in_file.dtype == "float32" and in_file.variant == "hunyuan3d-2" and len(in_file.source_sha256) == 64
    )

    library, _ = open_library()
    try:
        (summary,) = library.list_assets(AssetQuery())
        version = library.get_asset(summary.id).versions[-1]
    finally:
        library.close()
    assert (version.licence, version.device, version.model_version) == (
        "tencent-hunyuan-community",
        "cpu",
        REVISION,
    )

    capsys.readouterr()
    assert main(["library", "show", str(summary.id)]) == 0
    shown = capsys.readouterr().out
    assert (
        f"revision {REVISION}" in shown
        and "device cpu" in shown
        and "licence tencent-hunyuan-community" in shown
    )


def test_files_written_before_the_record_are_read_back() -> None:
    older = {
        "engine": "hunyuan",
        "seed": 3,
        "stage_timings": {"shape": 1.5},
        "engine_details": {"licence": "tencent-hunyuan-community", "device": "cuda", "model_revision": "r1"},
        "texture": {"method": "projection"},
    }
    prov = Provenance.from_dict(older)
    assert (prov.licence, prov.device, prov.model_revision, prov.seed) == (
        "tencent-hunyuan-community",
        "cuda",
        "r1",
        3,
    )
    assert prov.timings == {"shape": 1.5} and prov.extra["texture"] == {"method": "projection"}


def test_the_record_round_trips_through_its_file_layout() -> None:
    facts = EngineFacts(
        variant="v", model_revision="r", licence="l", device="cpu", dtype="float16", details={"steps": 5}
    )
    prov = Provenance.of_engine("hunyuan", facts, seed=7, parameters={"a": 1}, timings={"shape": 2.0})
    again = Provenance.from_dict(prov.to_dict())
    assert again == prov

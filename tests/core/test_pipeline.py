"""The pipeline's contract with every front end: ordered progress, prompt cancel, clean failures."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path

import pytest

import app
from app.core.base.cancel import CancelToken
from app.core.base.progress import Progress
from app.core.generation.request import GenerationRequest, JobStatus
from app.core.generation.stages import STAGES, generate

ROBOT = Path(__file__).resolve().parents[2] / "resources" / "samples" / "robot.png"


def test_progress_runs_through_every_stage_in_order(tmp_path: Path) -> None:
    seen: list[Progress] = []
    result = generate(
        GenerationRequest(image_path=ROBOT, seed=7), tmp_path / "r.glb", on_progress=seen.append
    )
    assert result.status is JobStatus.DONE
    stages_in_order = list(dict.fromkeys(p.stage for p in seen))
    assert stages_in_order == list(STAGES)
    overall = [p.overall for p in seen]
    assert overall == sorted(overall) and overall[-1] == pytest.approx(1.0)
    assert all(0.0 <= p.fraction <= 1.0 for p in seen)
    assert any(p.message for p in seen if p.stage == "shape")
    assert list(result.timings) == list(STAGES)


def test_provenance_is_recorded_in_the_glb(tmp_path: Path) -> None:
    out = tmp_path / "r.glb"
    request = GenerationRequest(image_path=ROBOT, seed=42, params={"thickness": 0.25})
    assert generate(request, out).ok
    data = out.read_bytes()
    doc = json.loads(data[20 : 20 + struct.unpack_from("<I", data, 12)[0]])
    prov = doc["asset"]["extras"]["sweedle"]
    assert prov["app_version"] == app.__version__
    assert prov["engine"] == "relief" and prov["model"] == "relief-v2" and prov["seed"] == 42
    assert prov["parameters"]["thickness"] == 0.25
    assert prov["parameters"]["lods"] == ["50%", "25%", "10%"]
    assert prov["source_image"] == "robot.png"


@pytest.mark.parametrize("stage", ["shape", "lods", "save"])
def test_cancel_mid_run_returns_promptly_and_leaves_nothing(stage: str, tmp_path: Path) -> None:
    token = CancelToken()
    cancelled_at: list[float] = []

    def on_progress(p: Progress) -> None:
        if p.stage == stage and not token.cancelled:
            token.cancel()
            cancelled_at.append(time.perf_counter())

    result = generate(
        GenerationRequest(image_path=ROBOT), tmp_path / "r.glb", on_progress=on_progress, cancel=token
    )
    returned = time.perf_counter()
    assert result.status is JobStatus.CANCELLED
    assert returned - cancelled_at[0] < 2.0
    assert list(tmp_path.iterdir()) == []


def test_failure_is_a_result_with_a_message_not_an_exception(tmp_path: Path) -> None:
    missing = tmp_path / "nope.png"
    result = generate(GenerationRequest(image_path=missing), tmp_path / "r.glb")
    assert result.status is JobStatus.FAILED
    assert "nope.png" in result.message
    assert not (tmp_path / "r.glb").exists()


def test_lod0_budget_is_honoured(tmp_path: Path) -> None:
    result = generate(GenerationRequest(image_path=ROBOT, lod0_triangles=8000), tmp_path / "r.glb")
    assert result.ok
    assert result.lods[0].triangles <= 8000
    assert result.lods[0].triangles >= 7800
    assert result.report["watertight"] is True

"""Text-to-3D: a prompt-only request makes its picture with hy3dgen's HunyuanDiT text-to-image and
goes on as an image job. The HunyuanDiT model has RANDOM weights (tests/hunyuan_dit_tiny.py): its
picture is noise, which no background removal can cut out, so the job stops at finding the subject;
this tests the plumbing (steps, cancel, determinism, hand-off, messages), never quality. Pictures
are made at 64 px instead of 1024 to keep the test quick; everything else is the production path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hunyuan_dit_tiny import build_tiny_hunyuandit
from hunyuan_tiny import build_tiny_checkpoint

from app.core.base.cancel import CancelToken
from app.core.base.errors import InputError
from app.core.base.progress import Progress
from app.core.generation import text_to_image
from app.core.generation.engines.registry import get_engine
from app.core.generation.request import GenerationRequest, JobStatus
from app.core.generation.stages import generate

PARAMS = {"steps": 3, "octree_resolution": 32, "num_chunks": 4000, "flashvdm": 0, "device": "cpu"}


@pytest.fixture
def small_pictures(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(text_to_image, "IMAGE_SIZE", 64)
    yield
    text_to_image.RUNTIME.unload()


def _store() -> Path:
    return Path(os.environ["SWEEDLE_MODELS"])


def test_a_request_needs_a_picture_or_a_prompt() -> None:
    with pytest.raises(InputError, match="give a picture, or a prompt"):
        GenerationRequest(image_path=None, prompt="  ")
    request = GenerationRequest(image_path=None, prompt="a red wooden chair!")
    assert request.asset_name == "a_red_wooden_chair"


def test_prompt_only_is_refused_with_the_reason_without_hunyuandit(tmp_path: Path) -> None:
    build_tiny_checkpoint(_store())
    assert "HunyuanDiT" in get_engine("hunyuan").text_availability().reason
    result = generate(
        GenerationRequest(image_path=None, prompt="a chair", engine="hunyuan", params=PARAMS),
        tmp_path / "a.glb",
    )
    assert result.status is JobStatus.FAILED and "text-to-3D is not available" in result.message
    assert "hunyuandit-t2i" in result.message and not (tmp_path / "a.glb").exists()


def test_prompt_only_is_refused_by_an_engine_without_text(tmp_path: Path) -> None:
    result = generate(GenerationRequest(image_path=None, prompt="a chair"), tmp_path / "a.glb")
    assert result.status is JobStatus.FAILED and "cannot make an asset from a prompt alone" in result.message


@pytest.mark.slow
def test_prompt_makes_a_picture_that_goes_on_as_an_image_job(tmp_path: Path, small_pictures: None) -> None:
    """The random-weight picture is noise with no subject, so the image job stops at finding the
    subject, with the same message a real noisy photo gets: the hand-off is what is tested."""
    build_tiny_checkpoint(_store())
    build_tiny_hunyuandit(_store())
    assert get_engine("hunyuan").text_availability().ok
    seen: list[Progress] = []
    request = GenerationRequest(
        image_path=None, prompt="a red chair", engine="hunyuan", seed=5, lods=(), params=PARAMS
    )
    result = generate(request, tmp_path / "chair.glb", on_progress=seen.append)
    steps = [p.message for p in seen if p.message.startswith("picture from the prompt")]
    assert steps == [f"picture from the prompt: step {i}/25" for i in range(1, 26)]
    assert [p.message for p in seen if p.message == "finding the subject"], "the picture was not handed on"
    overall = [p.overall for p in seen]
    assert overall == sorted(overall)
    assert result.status is JobStatus.FAILED and result.message.startswith("prompt.png: ")
    assert "--mask FILE.png" in result.message  # what the artist can do about it
    assert not (tmp_path / "chair.glb").exists()


@pytest.mark.slow
def test_same_seed_same_picture_and_cancel_between_steps(small_pictures: None) -> None:
    build_tiny_checkpoint(_store())
    build_tiny_hunyuandit(_store())
    runtime = text_to_image.RUNTIME

    def picture(seed: int) -> np.ndarray:
        return runtime.make_picture("a cat", seed, "cpu", lambda f, m: None, CancelToken(), 64).image.rgba

    first = picture(1)
    assert np.array_equal(first, picture(1)) and not np.array_equal(first, picture(2))
    cancel = CancelToken()
    steps: list[str] = []

    def stop_after_two(fraction: float, message: str) -> None:
        steps.append(message)
        if message.endswith("step 2/25"):
            cancel.cancel()

    from app.core.base.errors import Cancelled

    with pytest.raises(Cancelled):
        runtime.make_picture("a cat", 1, "cpu", stop_after_two, cancel, 64)
    assert steps[-1].endswith("step 2/25") and runtime.loaded

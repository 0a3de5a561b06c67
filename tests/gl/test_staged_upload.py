"""A result shown with `set_lodset_later` is staged on the pool and copied to the GPU over several
frames (the GUI thread never packs, mipmaps or copies it in one paint), and it then looks exactly
as the same asset uploaded at once."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest
from gl_meshes import lodset_of, textured_quad

from app.ui.viewport import gl_widget, staging, uploads
from app.ui.viewport.staging import mip_chain


def _texture() -> np.ndarray:
    texture = np.zeros((64, 64, 3), dtype=np.uint8)
    texture[:32] = (220, 30, 30)
    texture[32:] = (30, 200, 30)
    return texture


def test_a_later_asset_is_staged_off_the_gui_thread_and_copied_over_several_frames(
    viewport, grab, qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    lodset = lodset_of(textured_quad(), texture=_texture())
    viewport.set_lodset(lodset)
    viewport.set_view("front")
    at_once = grab(viewport)
    viewport.set_lodset(None)
    grab(viewport)

    staged_in_gui_thread: list[bool] = []
    stage = staging.stage_lodset

    def spy(*args: Any) -> Any:
        staged_in_gui_thread.append(threading.current_thread() is threading.main_thread())
        return stage(*args)

    steps: list[bool] = []
    step = uploads.AssetUpload.step

    def counted(self: uploads.AssetUpload, deadline: float | None = None) -> bool:
        steps.append(deadline is not None)
        return step(self, deadline)

    monkeypatch.setattr(staging, "stage_lodset", spy)  # the viewport imports it when first used
    monkeypatch.setattr(uploads.AssetUpload, "step", counted)
    monkeypatch.setattr(gl_widget, "UPLOAD_BUDGET_S", 0.0)  # one slice per frame
    monkeypatch.setattr(uploads, "BAND_BYTES", 64 * 3 * 8)  # eight rows of level 0 per slice
    sync_uploads: list[object] = []
    monkeypatch.setattr(viewport.renderer, "set_lodset", lambda shown: sync_uploads.append(shown))

    viewport.set_lodset_later(lodset, frame=False)
    assert viewport.lodset is lodset and viewport.uploading()
    viewport.show()
    qtbot.waitExposed(viewport)
    qtbot.waitUntil(lambda: not viewport.uploading(), timeout=10_000)
    assert staged_in_gui_thread == [False], "the staging ran on the pool"
    assert len(steps) > 8 and all(steps), "the copy was spread over frames, each with a deadline"
    assert sync_uploads == [], "nothing was uploaded in one go"
    assert np.array_equal(grab(viewport), at_once), "it looks as the same asset uploaded at once"


def test_a_newer_asset_replaces_one_still_being_staged(viewport, grab, qtbot) -> None:
    first = lodset_of(textured_quad(), texture=_texture())
    second = lodset_of(textured_quad(), texture=np.full((16, 16, 3), (20, 40, 220), np.uint8))
    viewport.show()  # a hidden viewport keeps the staged asset until it is painted
    qtbot.waitExposed(viewport)
    viewport.set_lodset_later(first)
    viewport.set_lodset_later(second)
    qtbot.waitUntil(lambda: not viewport.uploading(), timeout=10_000)
    viewport.set_view("front")
    image = grab(viewport).astype(int)
    centre = image[image.shape[0] // 2, image.shape[1] // 2]
    assert viewport.lodset is second and centre[2] > centre[0] + 60, centre


def test_a_compared_asset_that_cannot_be_staged_is_logged_and_not_waited_for(
    viewport, grab, qtbot, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    left, right = lodset_of(textured_quad(), texture=_texture()), lodset_of(textured_quad())
    stage = staging.stage_lodset

    def failing(lodset: Any) -> Any:
        if lodset is right:
            raise MemoryError("no room for the right half")
        return stage(lodset)

    monkeypatch.setattr(staging, "stage_lodset", failing)
    viewport.show()  # a hidden viewport keeps the staged asset until it is painted
    qtbot.waitExposed(viewport)
    viewport.compare(left, right, ("v1", "v2"))
    qtbot.waitUntil(lambda: not viewport.uploading(), timeout=10_000)
    assert "could not prepare test for the viewport: no room for the right half" in caplog.text
    assert viewport.compared is right
    pixels = grab(viewport).astype(int)
    half = pixels.shape[1] // 2

    def red(part: np.ndarray) -> int:
        return int(np.count_nonzero(part[..., 0] > part[..., 1] + 80))

    assert red(pixels[:, :half]) > 50, "the left half draws"
    assert red(pixels[:, half:]) == 0, "the right half, which could not be staged, is empty"


def test_mip_chain_halves_to_one_texel_and_averages_srgb_in_linear_light() -> None:
    checker = np.zeros((4, 6, 3), dtype=np.uint8)
    checker[::2, ::2] = checker[1::2, 1::2] = 255
    levels = mip_chain(checker, srgb=True)
    assert [level.shape[:2] for level in levels] == [(4, 6), (2, 3), (1, 1)]
    half_linear = round(0.5 ** (1 / 2.2) * 255)  # 186, not the 128 of averaging the stored values
    assert np.all(np.abs(levels[1].astype(int) - half_linear) <= 1)
    assert np.all(np.abs(mip_chain(checker, srgb=False)[1].astype(int) - 128) <= 1)

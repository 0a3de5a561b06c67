"""Every shading mode, with and without each map and the wireframe overlay, renders what it did
when one program branched on uniforms for all of them (tests/gl/data/shading_goldens.npz was read
back from that renderer at commit e188e46): the per-mode programs change the cost, not the picture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shading_scene import CASES, GOLDENS, lodsets

GOLDEN_IMAGES = np.load(Path(__file__).parent / "data" / GOLDENS)
LODSETS = lodsets()


@pytest.mark.parametrize("case", list(CASES))
def test_each_shading_mode_renders_as_the_single_program_did(viewport, grab, case):
    asset, shading, wire = CASES[case]
    viewport.set_lodset(LODSETS[asset])
    viewport.camera.yaw, viewport.camera.pitch = 30.0, 35.0
    viewport.frame()
    viewport.set_shading(shading)
    viewport.set_wireframe(wire)
    image = grab(viewport).astype(int)
    golden = GOLDEN_IMAGES[case].astype(int)
    difference = np.abs(image - golden).max(axis=-1)
    assert (golden != golden[:1, :1]).any(axis=-1).mean() > 0.05, "the golden shows the sphere"
    assert np.percentile(difference, 99.5) <= 2, f"{case}: {np.count_nonzero(difference > 2)} pixels differ"
    assert difference.mean() < 0.2, f"{case}: mean difference {difference.mean():.2f}"

"""The Relief engine's solid: closed, manifold, outward, no fold-overs, thickness as asked."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.base.cancel import CancelToken
from app.core.base.errors import Cancelled
from app.core.generation.engines.base import ShapeInput, resolve_params
from app.core.generation.engines.relief import ReliefEngine
from app.core.imaging import FramedImage
from app.core.mesh.cleanup import weld
from app.core.mesh.validate import validate


def _framed(alpha: np.ndarray) -> FramedImage:
    size = alpha.shape[0]
    rgb = np.zeros((size, size, 3), dtype=np.uint8)
    rgb[alpha > 0.5] = (200, 40, 10)
    return FramedImage(
        rgb=rgb, alpha=alpha.astype(np.float32), crop_box=(0, 0, size, size), scale=1.0, offset=(0.0, 0.0)
    )


def _ring(size: int = 256) -> np.ndarray:
    """A thick ring with a square notch: a hole (genus 1) and a concave outline."""
    y, x = np.mgrid[0:size, 0:size] + 0.5
    r = np.hypot(x - size / 2, y - size / 2)
    alpha = ((r < size * 0.42) & (r > size * 0.18)).astype(np.float32)
    alpha[int(size * 0.45) : int(size * 0.55), int(size * 0.8) :] = 0.0
    return alpha


def _run(alpha: np.ndarray, **params: float) -> tuple[object, dict]:
    engine = ReliefEngine()
    resolved = resolve_params(engine.params, params)
    out = engine.generate(ShapeInput(_framed(alpha)), resolved, lambda f, m: None, CancelToken())
    return out, resolved


def test_ring_is_a_closed_outward_manifold_genus_one_solid() -> None:
    out, _ = _run(_ring())
    report = validate(out.mesh)
    assert report.watertight and report.manifold and report.winding_consistent
    assert report.outward is True
    assert report.components == 1
    # Euler characteristic of a closed genus-1 surface (a torus-like ring) is 0, once the UV seam
    # along the outline (front and back charts) is welded.
    vertices, faces, _ = weld(out.mesh.vertices, out.mesh.faces)
    edges = np.unique(
        np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1), axis=0
    )
    assert len(vertices) - len(edges) + len(faces) == 0
    assert len(vertices) < out.mesh.vertex_count


def test_front_and_back_are_height_fields_without_fold_overs() -> None:
    out, _ = _run(_ring())
    v, f = out.mesh.vertices, out.mesh.faces
    a = v[f[:, 1], :2] - v[f[:, 0], :2]
    b = v[f[:, 2], :2] - v[f[:, 0], :2]
    signed = 0.5 * (a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])
    normal_z = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])[:, 2]
    front = normal_z > 0
    # Every triangle faces clearly front or back, and in projection the front triangles tile the
    # silhouette exactly once (no overlap): their signed areas sum to their absolute areas.
    assert (np.abs(signed) > 0).all()
    assert front.sum() == (~front).sum()
    assert np.isclose(signed[front].sum(), np.abs(signed[front]).sum())
    assert np.isclose(signed[front].sum(), -signed[~front].sum(), rtol=1e-5)
    # The region's area matches the mask's area (within the outline's sub-cell error).
    assert signed[front].sum() == pytest.approx(_ring().sum(), rel=0.02)


def test_thickness_sets_the_depth_and_the_uvs_project_the_picture() -> None:
    thin, _ = _run(_ring(), thickness=0.1)
    thick, _ = _run(_ring(), thickness=0.6)
    band = (0.42 - 0.18) * 256  # the ring's width, where it is thickest
    assert np.ptp(thin.mesh.vertices[:, 2]) == pytest.approx(0.1 * band, rel=0.15)
    assert np.ptp(thick.mesh.vertices[:, 2]) == pytest.approx(0.6 * band, rel=0.15)
    # Front UV = framed pixel position / size: the front shows the picture pixel for pixel.
    v, uv = thick.mesh.vertices, thick.mesh.uvs
    front = np.arange(len(v)) < len(v) // 2
    assert np.allclose(uv[front, 0] * 256, v[front, 0], atol=1e-3)
    assert np.allclose(uv[front, 1] * 256, -v[front, 1], atol=1e-3)
    # The back has its own chart: a small copy of the subject's box in the empty margin beside it.
    back_uv = uv[~front] * 256
    lo, hi = back_uv.min(axis=0), back_uv.max(axis=0)
    inside_box = (hi > 256 * 0.08) & (lo < 256 * 0.92)
    assert not inside_box.all(), f"the back chart {lo}..{hi} overlaps the subject's box"
    assert 8 <= (hi - lo).max() <= 0.5 * 256 * 0.84
    texture = thick.material.base_color_texture
    assert texture.shape == (256, 256, 3)
    # The bleed replaced the black background with the subject's colour, so edges have no fringe,
    # and the back chart holds the subject's colour too.
    assert tuple(texture[0, 0]) == (200, 40, 10)
    centre = ((lo + hi) / 2).astype(int)
    assert np.abs(texture[centre[1], centre[0]].astype(int) - (200, 40, 10)).max() <= 2


def test_cancel_inside_the_engine_raises_cancelled() -> None:
    engine = ReliefEngine()
    token = CancelToken()
    seen: list[float] = []

    def progress(fraction: float, message: str) -> None:
        seen.append(fraction)
        if fraction >= 0.3:
            token.cancel()

    with pytest.raises(Cancelled):
        engine.generate(ShapeInput(_framed(_ring())), resolve_params(engine.params, {}), progress, token)
    assert max(seen) < 0.7

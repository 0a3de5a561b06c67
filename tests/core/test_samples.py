"""End to end on every shared sample image: picture → GLB, checked by independent readers.

For each sample the pipeline writes a GLB; then the Khronos glTF validator (Node) must report no
errors, trimesh must read LOD0 as a watertight solid, LOD0 seen from the front must cover the
input's mask (IoU ≥ 0.9, rasterised here with Pillow), and the LODs must have the asked-for
triangle counts.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
import trimesh

from app.core.base.rules import LodTarget
from app.core.generation.request import GenerationRequest, JobStatus
from app.core.generation.stages import generate
from app.core.imaging import foreground_mask, load_image

from raster import front_silhouette, iou

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "images"
SAMPLE_FILES = sorted(SAMPLES.glob("*.png"))
LODS = ("50%", "25%", "10%")


def _glb_json(path: Path) -> dict:
    data = path.read_bytes()
    length = struct.unpack_from("<I", data, 12)[0]
    return json.loads(data[20 : 20 + length])


def test_samples_are_present() -> None:
    assert len(SAMPLE_FILES) >= 14, f"expected the shared samples in {SAMPLES}"


@pytest.mark.slow
@pytest.mark.parametrize("image_path", SAMPLE_FILES, ids=lambda p: p.stem)
def test_sample_becomes_a_valid_watertight_glb_matching_its_silhouette(
    image_path: Path, tmp_path: Path, gltf_validator
) -> None:
    request = GenerationRequest(image_path=image_path, lods=tuple(LodTarget.parse(t) for t in LODS))
    out = tmp_path / f"{image_path.stem}.glb"
    result = generate(request, out)
    assert result.status is JobStatus.DONE, result.message

    report = gltf_validator(out)
    assert report["issues"]["numErrors"] == 0, report["issues"]["messages"]

    doc = _glb_json(out)
    lod0_name = f"{image_path.stem}_LOD0"
    assert [m["name"] for m in doc["meshes"]] == [f"{image_path.stem}_LOD{i}" for i in range(4)]

    scene = trimesh.load(out, force="scene", process=False)
    geometry = {name: g for name, g in scene.geometry.items()}
    lod0 = geometry[lod0_name]
    welded = lod0.copy()
    welded.merge_vertices(merge_tex=True, merge_norm=True)
    assert welded.is_watertight
    assert welded.is_winding_consistent
    assert welded.volume > 0

    # Heights and pivot: 1 m tall, standing on y = 0, centred on x and z.
    lo, hi = lod0.bounds
    assert hi[1] - lo[1] == pytest.approx(1.0, rel=1e-3)
    assert lo[1] == pytest.approx(0.0, abs=1e-4)
    assert (lo[0] + hi[0]) / 2 == pytest.approx(0.0, abs=1e-3)

    # Triangle counts straight from the file's index accessors.
    counts = [doc["accessors"][m["primitives"][0]["indices"]]["count"] // 3 for m in doc["meshes"]]
    assert counts[0] == len(lod0.faces)
    for level, fraction in zip(range(1, 4), (0.5, 0.25, 0.1), strict=True):
        target = round(counts[0] * fraction)
        assert abs(counts[level] - target) <= max(2, 0.02 * target), (level, counts[level], target)

    image = load_image(image_path)
    mask = foreground_mask(image).alpha > 0.5
    rows, cols = np.nonzero(mask)
    bbox = (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1)
    drawn = front_silhouette(np.asarray(lod0.vertices), np.asarray(lod0.faces), bbox, mask.shape[::-1])
    assert iou(drawn, mask) >= 0.9

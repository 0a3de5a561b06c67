"""Export As: every format written, then read back by independent readers (one Blender run)."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest
from export_samples import sample_lodset
from readers import assimp_info, blender_import

from app.core.export.errors import ExportError
from app.core.export.export_as import FORMATS, export_as, export_many
from app.core.export.options import ExportOptions

from gltf_tools import validate_gltf

HEIGHT = 2.5


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("export-as")
    asset = sample_lodset("Crate", levels=2, texture_size=32)
    results = {
        fmt: export_as(asset, folder / f"crate.{fmt}", ExportOptions(height_m=HEIGHT)) for fmt in FORMATS
    }
    blender = blender_import([results[f].files[0] for f in ("fbx", "obj", "stl", "ply")])
    return {"results": results, "blender": blender, "folder": folder}


def test_files(written: dict[str, Any]) -> None:
    names = sorted(p.name for p in written["folder"].iterdir())
    assert names == sorted(
        [
            "crate.glb", "crate.gltf", "crate.bin", "crate.fbx", "crate_BaseColor.png", "crate.obj",
            "crate_LOD1.obj", "crate.mtl", "crate.stl", "crate.ply",
        ]
    )  # fmt: skip


def test_glb_validates(written: dict[str, Any]) -> None:
    report = validate_gltf(written["results"]["glb"].files[0])
    assert report["issues"]["numErrors"] == 0, report["issues"]["messages"]


def test_gltf_with_bin_validates(written: dict[str, Any], tmp_path: Path) -> None:
    """tests/node's validator script reads no external files, so the .gltf and its .bin are
    packed into a GLB container byte for byte (JSON and buffer unchanged) and validated."""
    gltf, bin_file = written["results"]["gltf"].files
    doc = json.loads(gltf.read_text())
    assert doc["buffers"][0]["uri"] == bin_file.name
    binary = bin_file.read_bytes()
    assert len(binary) == doc["buffers"][0]["byteLength"]
    del doc["buffers"][0]["uri"]
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    binary += b"\0" * (-len(binary) % 4)
    packed = tmp_path / "packed.glb"
    packed.write_bytes(
        struct.pack("<4sII", b"glTF", 2, 28 + len(text) + len(binary))
        + struct.pack("<I4s", len(text), b"JSON") + text
        + struct.pack("<I4s", len(binary), b"BIN\0") + binary
    )  # fmt: skip
    report = validate_gltf(packed)
    assert report["issues"]["numErrors"] == 0, report["issues"]["messages"]


@pytest.mark.parametrize("fmt", ["fbx", "obj", "stl", "ply"])
def test_blender_reads_upright_at_height(written: dict[str, Any], fmt: str) -> None:
    report = written["blender"][written["results"][fmt].files[0]]
    meshes = [o for o in report["objects"] if o["type"] == "MESH"]
    lod0 = meshes[0] if fmt != "fbx" else next(o for o in meshes if o["name"].endswith("_LOD0"))
    assert lod0["max"][2] - lod0["min"][2] == pytest.approx(HEIGHT, rel=0.01)
    assert lod0["min"][2] == pytest.approx(0, abs=1e-3)
    assert lod0["triangles"] == 320
    if fmt in ("fbx", "obj"):
        assert lod0["images"] and lod0["images"][0]["size"] == [32, 32]


@pytest.mark.parametrize("fmt", ["fbx", "obj", "stl", "ply", "glb", "gltf"])
def test_assimp_loads(written: dict[str, Any], fmt: str) -> None:
    info = assimp_info(written["results"][fmt].files[0])
    assert max(info.meshes.values()) == 320


def test_bad_paths(tmp_path: Path) -> None:
    asset = sample_lodset("Crate", levels=1, texture_size=8)
    with pytest.raises(ExportError, match="use one of the suffixes"):
        export_as(asset, tmp_path / "crate.blend")
    with pytest.raises(ExportError, match="does not exist"):
        export_as(asset, tmp_path / "missing" / "crate.glb")
    (tmp_path / "dir.glb").mkdir()
    with pytest.raises(ExportError, match="is a folder"):
        export_as(asset, tmp_path / "dir.glb")
    assert [p.name for p in tmp_path.iterdir()] == ["dir.glb"]


def test_many_assets_get_unique_names(tmp_path: Path) -> None:
    assets = [sample_lodset("Crate", levels=1, texture_size=8) for _ in range(3)]
    results = export_many(assets, tmp_path, "stl")
    assert [r.files[0].name for r in results] == ["Crate.stl", "Crate_2.stl", "Crate_3.stl"]

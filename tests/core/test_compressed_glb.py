"""Export As a compressed GLB: Draco meshes (KHR_draco_mesh_compression) and a JPEG base colour,
checked by the Khronos validator, decoded by Google's own `draco_decoder` (shipped with DracoPy)
and by DracoPy, compared with the uncompressed export; refusals where compression does not apply."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh
from export_samples import sample_lodset, unity_project
from PIL import Image

from app.cli.main import main
from app.core.export.compression import DRACO, POSITION_BITS
from app.core.export.errors import ExportError
from app.core.export.export_as import export_as
from app.core.export.options import ExportOptions
from app.core.formats.glb_edit import split_glb
from app.core.mesh.collision import Collision, CollisionKind, collision_shapes
from app.core.mesh.types import MaterialMaps

from gltf_tools import validate_gltf

DRACO_DECODER = Path(sys.executable).parent / "draco_decoder"


def _mapped_lodset() -> Any:
    """The sample asset with a normal and an occlusion map, so TANGENT goes through Draco too."""
    lodset = sample_lodset("Old Rock", levels=2, texture_size=128)
    normal = np.full((64, 64, 3), (128, 128, 255), np.uint8)
    normal[::8, :, 0] = 170
    occlusion = np.linspace(90, 255, 64 * 64).reshape(64, 64).astype(np.uint8)
    lodset.material.maps = MaterialMaps(normal=normal, occlusion=occlusion)
    return lodset


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("compress")
    lodset = _mapped_lodset()
    options = ExportOptions(lightmap_uv=True)
    plain = export_as(lodset, folder / "plain.glb", options).files[0]
    packed = export_as(lodset, folder / "packed.glb", options, compress=True).files[0]
    return {"folder": folder, "plain": plain, "packed": packed}


def _draco_buffers(path: Path) -> list[tuple[dict[str, Any], dict[str, Any], bytes]]:
    doc, binary = split_glb(path.read_bytes())
    out = []
    for mesh in doc["meshes"]:
        for primitive in mesh["primitives"]:
            view = doc["bufferViews"][primitive["extensions"][DRACO]["bufferView"]]
            start = view.get("byteOffset", 0)
            out.append((doc, primitive, bytes(binary[start : start + view["byteLength"]])))
    return out


def test_compressed_glb_is_valid_smaller_and_requires_draco(files: dict[str, Any]) -> None:
    report = validate_gltf(files["packed"])
    assert report["issues"]["numErrors"] == 0, report["issues"]["messages"]
    assert files["packed"].stat().st_size < 0.6 * files["plain"].stat().st_size
    doc, binary = split_glb(files["packed"].read_bytes())
    assert doc["extensionsRequired"] == [DRACO] and DRACO in doc["extensionsUsed"]
    for accessor in doc["accessors"]:
        assert "bufferView" not in accessor, "Draco data only: no raw vertex or index data left"
    # Base colour as JPEG; the normal and occlusion maps stay PNG.
    material = doc["materials"][0]
    colour = doc["images"][
        doc["textures"][material["pbrMetallicRoughness"]["baseColorTexture"]["index"]]["source"]
    ]
    normal = doc["images"][doc["textures"][material["normalTexture"]["index"]]["source"]]
    assert colour["mimeType"] == "image/jpeg" and normal["mimeType"] == "image/png"
    view = doc["bufferViews"][colour["bufferView"]]
    start = view.get("byteOffset", 0)
    with Image.open(io.BytesIO(bytes(binary[start : start + view["byteLength"]]))) as image:
        assert image.format == "JPEG" and image.size == (128, 128)


def test_dracos_own_decoder_reads_every_mesh_back(files: dict[str, Any]) -> None:
    plain = trimesh.load(files["plain"], force="scene")
    lod0 = next(g for name, g in plain.geometry.items() if name.endswith("LOD0"))
    buffers = _draco_buffers(files["packed"])
    assert len(buffers) >= 2, "every LOD is compressed"
    doc, primitive, data = buffers[0]
    drc, ply = files["folder"] / "lod0.drc", files["folder"] / "lod0.ply"
    drc.write_bytes(data)
    done = subprocess.run(
        [str(DRACO_DECODER), "-i", str(drc), "-o", str(ply)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    decoded = trimesh.load(ply, process=False)
    assert len(decoded.faces) == len(lod0.faces)
    size = np.ptp(lod0.vertices, axis=0).max()
    tolerance = size / 2**POSITION_BITS
    nearest = trimesh.proximity.ProximityQuery(decoded).vertex(lod0.vertices)[0]
    assert nearest.max() < tolerance
    np.testing.assert_allclose(decoded.bounds, lod0.bounds, atol=tolerance)
    position = doc["accessors"][primitive["attributes"]["POSITION"]]
    assert position["count"] == len(decoded.vertices)


def test_dracopy_decodes_every_attribute_at_its_id(files: dict[str, Any]) -> None:
    import DracoPy

    for doc, primitive, data in _draco_buffers(files["packed"]):
        mesh = DracoPy.decode(data)
        ids = primitive["extensions"][DRACO]["attributes"]
        assert (
            set(ids)
            == set(primitive["attributes"])
            >= {"POSITION", "NORMAL", "TEXCOORD_0", "TANGENT", "TEXCOORD_1"}
        )
        for name, unique_id in ids.items():
            attribute = mesh.get_attribute_by_unique_id(unique_id)
            accessor = doc["accessors"][primitive["attributes"][name]]
            assert attribute["data"].shape == (
                accessor["count"],
                {"VEC2": 2, "VEC3": 3, "VEC4": 4}[accessor["type"]],
            )
        tangents = mesh.get_attribute_by_unique_id(ids["TANGENT"])["data"]
        assert np.allclose(np.abs(tangents[:, 3]), 1) and np.allclose(
            np.linalg.norm(tangents[:, :3], axis=1), 1, atol=1e-4
        )
        uv2 = mesh.get_attribute_by_unique_id(ids["TEXCOORD_1"])["data"]
        assert uv2.min() >= 0 and uv2.max() <= 1


def test_compression_refusals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lodset = sample_lodset()
    with pytest.raises(ExportError, match=r"Compression is for \.glb files, not rock\.fbx"):
        export_as(lodset, tmp_path / "rock.fbx", compress=True)
    monkeypatch.setitem(sys.modules, "DracoPy", None)
    with pytest.raises(ExportError, match=r"pip install 'sweedle\[compress\]'"):
        export_as(lodset, tmp_path / "rock.glb", compress=True)
    monkeypatch.setitem(sys.modules, "vhacdx", None)
    with pytest.raises(Exception, match=r"pip install 'sweedle\[collision\]'"):
        collision_shapes(lodset.lod0, Collision(CollisionKind.DECOMPOSE, 4))
    assert not list(tmp_path.iterdir())
    monkeypatch.undo()
    glb = tmp_path / "rock.glb"
    export_as(lodset, glb)
    project = unity_project(tmp_path / "unity")
    assert main(["export", str(glb), "--unity", str(project), "--compress"]) == 2
    assert "--compress takes --as FILE.glb" in capsys.readouterr().err
    assert main(["export", str(glb), "--as", str(tmp_path / "small.glb"), "--compress"]) == 0
    assert struct.unpack_from("<4s", (tmp_path / "small.glb").read_bytes())[0] == b"glTF"

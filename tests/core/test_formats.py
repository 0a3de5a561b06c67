"""GLB/OBJ/PNG writers and the GLB reader, checked against independent readers: the Khronos
glTF validator, trimesh, Pillow, and the GLB's JSON chunk parsed by hand."""

from __future__ import annotations

import io
import json
import struct
import subprocess
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh
from PIL import Image

from app import __version__
from app.core.base.atomic import TEMP_SUFFIX, atomic_write, atomic_write_bytes
from app.core.base.errors import Cancelled, InputError
from app.core.formats.glb import glb_bytes, write_glb
from app.core.formats.glb_reader import read_glb
from app.core.formats.images import encode_png
from app.core.formats.obj import write_obj
from app.core.mesh.types import Lod, LodSet, Material, Mesh

import gltf_tools

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)
CORNER_COLOURS = [((-1, -1), RED), ((1, -1), GREEN), ((-1, 1), BLUE), ((1, 1), WHITE)]
"""Tile corners (x, z) and the quadrant_texture colour their UVs sample."""
PROVENANCE = {"engine": "test", "seed": 7, "source": {"image": "robot.png"}}


def tile(cells: int, uvs: bool = True) -> Mesh:
    """A bumpy square in the XZ plane, seen from +Y; u follows x and v follows z, so the corner
    at (-1, -1) samples the texture's top-left. Every vertex position is unique."""
    ticks = np.linspace(-1.0, 1.0, cells + 1)
    x, z = np.meshgrid(ticks, ticks)
    y = 0.1 * np.sin(3 * x) * np.cos(2 * z)
    index = np.arange((cells + 1) ** 2).reshape(cells + 1, cells + 1)
    a, b = index[:-1, :-1].ravel(), index[:-1, 1:].ravel()
    c, d = index[1:, :-1].ravel(), index[1:, 1:].ravel()
    faces = np.concatenate([np.stack([a, c, b], 1), np.stack([b, c, d], 1)])
    vertices = np.stack([x, y, z], -1).reshape(-1, 3)
    uv = np.stack([(x + 1) / 2, (z + 1) / 2], -1).reshape(-1, 2) if uvs else None
    return Mesh(vertices, faces, uvs=uv)


def quadrant_texture(size: int = 64) -> np.ndarray:
    """Top-left red, top-right green, bottom-left blue, bottom-right white."""
    image = np.zeros((size, size, 3), dtype=np.uint8)
    half = size // 2
    image[:half, :half], image[:half, half:] = RED, GREEN
    image[half:, :half], image[half:, half:] = BLUE, WHITE
    return image


def asset(textured: bool = True) -> LodSet:
    lods = [
        Lod(0, tile(16, textured)),
        Lod(1, tile(6, textured), error_pct=0.4),
        Lod(2, tile(2, textured), error_pct=2.5),
    ]
    material = Material(
        name="Rock Material",
        base_color_texture=quadrant_texture() if textured else None,
        base_color_factor=(1.0, 0.9, 0.8, 1.0),
        metallic=0.1,
        roughness=0.7,
    )
    return LodSet("Rock", lods, material, PROVENANCE)


def glb_chunks(path: Path) -> tuple[dict[str, Any], bytes, bytes]:
    """(JSON document, raw JSON chunk, BIN chunk), parsed without our reader."""
    data = path.read_bytes()
    magic, version, length = struct.unpack_from("<4sII", data)
    assert (magic, version, length) == (b"glTF", 2, len(data))
    json_length, json_type = struct.unpack_from("<II", data, 12)
    assert json_type == 0x4E4F534A
    raw_json = data[20 : 20 + json_length]
    bin_length, bin_type = struct.unpack_from("<II", data, 20 + json_length)
    assert bin_type == 0x004E4942
    binary = data[28 + json_length : 28 + json_length + bin_length]
    assert 28 + json_length + bin_length == len(data)
    return json.loads(raw_json), raw_json, binary


def assert_valid(report: dict[str, Any], allowed_infos: set[str]) -> None:
    issues = report["issues"]
    messages = json.dumps(issues["messages"], indent=1)
    assert issues["numErrors"] == 0, messages
    assert issues["numWarnings"] == 0, messages
    assert {m["code"] for m in issues["messages"] if m["severity"] == 2} <= allowed_infos, messages


def vertex_at(vertices: np.ndarray, corner_xz: tuple[int, int], atol: float = 1e-6) -> int:
    """The index of the tile's vertex at an (x, z) corner."""
    (index,) = np.flatnonzero(np.all(np.abs(vertices[:, [0, 2]] - corner_xz) <= atol, axis=1))
    return int(index)


def colour_at(uv: np.ndarray, image: Image.Image) -> tuple[int, ...]:
    """The texel trimesh maps `uv` (its bottom-left convention) to."""
    return tuple(int(c) for c in trimesh.visual.color.uv_to_color(uv[None], image)[0][:3])


@pytest.fixture
def rock_glb(tmp_path: Path) -> Path:
    path = tmp_path / "Rock.glb"
    write_glb(asset(), path)
    return path


# --- GLB: validity and structure -----------------------------------------------------------

# LOD1.. are meshes no node places (only LOD0 is shown): the validator calls them unused.
LOD_INFOS = {"UNUSED_OBJECT"}


def test_glb_passes_the_khronos_validator(rock_glb: Path, gltf_validator: Any) -> None:
    report = gltf_validator(rock_glb)
    assert_valid(report, LOD_INFOS)
    assert {(m["code"], m["pointer"]) for m in report["issues"]["messages"]} == {
        ("UNUSED_OBJECT", "/meshes/1"),
        ("UNUSED_OBJECT", "/meshes/2"),
    }
    assert report["info"]["hasTextures"] and report["info"]["generator"] == f"Sweedle {__version__}"


def test_untextured_single_lod_glb_has_no_issue_at_all(tmp_path: Path, gltf_validator: Any) -> None:
    path = tmp_path / "plain.glb"
    write_glb(LodSet("Plain", [Lod(0, tile(4, uvs=False))]), path)
    assert_valid(gltf_validator(path), set())
    doc, _, _ = glb_chunks(path)
    assert "extensionsUsed" not in doc and "MSFT_lod" not in json.dumps(doc)
    assert "TEXCOORD_0" not in doc["meshes"][0]["primitives"][0]["attributes"]


def test_glb_over_65535_vertices_uses_32_bit_indices(tmp_path: Path, gltf_validator: Any) -> None:
    big = tile(256)
    assert big.vertex_count >= 65536
    path = tmp_path / "big.glb"
    material = Material(base_color_texture=quadrant_texture())
    write_glb(LodSet("Big", [Lod(0, big), Lod(1, tile(8), 1.0)], material), path)
    assert_valid(gltf_validator(path), LOD_INFOS)
    doc, _, _ = glb_chunks(path)
    indices = [doc["accessors"][m["primitives"][0]["indices"]] for m in doc["meshes"]]
    assert [accessor["componentType"] for accessor in indices] == [5125, 5123]


def test_glb_layout_lods_and_provenance(rock_glb: Path) -> None:
    doc, raw_json, binary = glb_chunks(rock_glb)
    nodes = doc["nodes"]
    assert doc["scenes"][doc["scene"]]["nodes"] == [0]
    assert nodes[0] == {"name": "Rock", "children": [1]}
    # One node shows LOD0; LOD1.. are meshes no node places, listed on LOD0's node.
    assert [n["name"] for n in nodes] == ["Rock", "Rock_LOD0"] and nodes[1]["mesh"] == 0
    assert [m["name"] for m in doc["meshes"]] == ["Rock_LOD0", "Rock_LOD1", "Rock_LOD2"]
    assert "extensionsUsed" not in doc and "extensionsRequired" not in doc
    lower = nodes[1]["extras"]["sweedle_lods"]
    assert lower["meshes"] == [1, 2]
    coverage = lower["screen_coverage"]
    assert len(coverage) == 3 and all(1 >= a > b > 0 for a, b in pairwise(coverage))
    assert [m["extras"]["sweedle_lod"] for m in doc["meshes"]] == [
        {"level": 0, "triangles": 512, "error_pct": 0.0},
        {"level": 1, "triangles": 72, "error_pct": 0.4},
        {"level": 2, "triangles": 8, "error_pct": 2.5},
    ]
    assert doc["asset"]["generator"] == f"Sweedle {__version__}"
    assert doc["asset"]["extras"] == {"sweedle": PROVENANCE}

    primitive = doc["meshes"][0]["primitives"][0]
    assert primitive["mode"] == 4 and primitive["material"] == 0
    assert set(primitive["attributes"]) == {"POSITION", "NORMAL", "TEXCOORD_0"}
    position = doc["accessors"][primitive["attributes"]["POSITION"]]
    assert position["componentType"] == 5126 and "min" in position and "max" in position
    assert doc["accessors"][primitive["indices"]]["componentType"] == 5123
    pbr = doc["materials"][0]["pbrMetallicRoughness"]
    assert (pbr["metallicFactor"], pbr["roughnessFactor"]) == pytest.approx((0.1, 0.7))
    assert pbr["baseColorFactor"] == pytest.approx([1.0, 0.9, 0.8, 1.0])
    assert pbr["baseColorTexture"] == {"index": 0}
    (image,) = doc["images"]
    assert image["mimeType"] == "image/png"
    assert "target" not in doc["bufferViews"][image["bufferView"]]
    assert doc["samplers"][0]["minFilter"] == 9987 and doc["samplers"][0]["magFilter"] == 9729

    assert len(doc["buffers"]) == 1 and doc["buffers"][0]["byteLength"] == len(binary)
    assert all(v["byteOffset"] % 4 == 0 for v in doc["bufferViews"])
    assert len(raw_json) % 4 == 0 and len(binary) % 4 == 0
    assert raw_json.rstrip(b" ").endswith(b"}")
    last = max(doc["bufferViews"], key=lambda v: v["byteOffset"])
    assert set(binary[last["byteOffset"] + last["byteLength"] :]) <= {0}


def test_trimesh_sees_lod0_only_with_its_texture(rock_glb: Path) -> None:
    scene = trimesh.load(rock_glb, force="scene", process=False)
    instances = [scene.geometry[scene.graph[name][1]] for name in scene.graph.nodes_geometry]
    assert sum(len(mesh.faces) for mesh in instances) == 512  # LOD0 alone, nothing stacked
    (lod0,) = instances
    image = lod0.visual.material.baseColorTexture
    assert image.size == (64, 64)
    for corner, colour in CORNER_COLOURS:
        assert colour_at(lod0.visual.uv[vertex_at(lod0.vertices, corner)], image) == colour, corner


# --- GLB: reading back ------------------------------------------------------------------------


def test_read_glb_round_trips_what_we_wrote(rock_glb: Path) -> None:
    original = asset()
    loaded = read_glb(rock_glb)
    assert loaded.name == "Rock" and loaded.provenance == PROVENANCE
    assert [lod.level for lod in loaded.lods] == [0, 1, 2]
    assert [lod.error_pct for lod in loaded.lods] == [0.0, 0.4, 2.5]
    for ours, theirs in zip(original.lods, loaded.lods, strict=True):
        np.testing.assert_array_equal(theirs.mesh.vertices, ours.mesh.vertices)
        np.testing.assert_array_equal(theirs.mesh.faces, ours.mesh.faces)
        np.testing.assert_array_equal(theirs.mesh.uvs, ours.mesh.uvs)
        assert theirs.mesh.normals is not None
        np.testing.assert_allclose(np.linalg.norm(theirs.mesh.normals, axis=1), 1.0, atol=1e-6)
        assert np.mean(theirs.mesh.normals[:, 1]) > 0.9  # the tile faces +Y
    material = loaded.material
    assert material.name == "M_Rock"  # named for its asset, not what the LodSet called it
    assert material.base_color_factor == pytest.approx((1.0, 0.9, 0.8, 1.0))
    assert (material.metallic, material.roughness) == pytest.approx((0.1, 0.7))
    assert material.base_color_texture is not None
    assert material.base_color_texture.dtype == np.uint8
    np.testing.assert_array_equal(material.base_color_texture, quadrant_texture())


def test_read_glb_flattens_a_foreign_scene_with_transforms(tmp_path: Path) -> None:
    scene = trimesh.Scene()
    move = trimesh.transformations.translation_matrix([3, 0, 0])
    turn = trimesh.transformations.rotation_matrix(np.pi / 3, [0, 1, 0])
    scene.add_geometry(trimesh.creation.box(), transform=move)
    stretch = np.diag([2.0, 1.0, 1.0, 1.0])
    scene.add_geometry(trimesh.creation.icosphere(subdivisions=1), transform=turn @ stretch)
    path = tmp_path / "foreign.glb"
    path.write_bytes(scene.export(file_type="glb"))
    expected = scene.to_mesh()
    loaded = read_glb(path)
    assert len(loaded.lods) == 1 and loaded.provenance == {}
    mesh = loaded.lod0
    assert mesh.triangle_count == len(expected.faces)
    np.testing.assert_allclose(mesh.bounds(), expected.bounds, atol=1e-5)
    np.testing.assert_allclose(abs(_signed_volume(mesh)), expected.volume, rtol=1e-4)
    assert _signed_volume(mesh) > 0  # winding still faces outwards


def test_read_glb_reads_a_gltfpack_quantized_file(rock_glb: Path, tmp_path: Path) -> None:
    """gltfpack's default output needs KHR_mesh_quantization (integer attributes dequantized by
    the node transform) and moves UVs with KHR_texture_transform; it also drops MSFT_lod."""
    packed = tmp_path / "packed.glb"
    subprocess.run(
        [str(gltf_tools.gltfpack_path()), "-i", str(rock_glb), "-o", str(packed)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert "KHR_mesh_quantization" in glb_chunks(packed)[0]["extensionsRequired"]
    loaded = read_glb(packed)
    mesh, texture = loaded.lod0, loaded.material.base_color_texture
    assert mesh.triangle_count == 512 and texture is not None
    np.testing.assert_allclose(mesh.bounds(), asset().lod0.bounds(), atol=1e-3)
    assert mesh.uvs is not None
    for corner, colour in CORNER_COLOURS:
        assert texel(texture, mesh.uvs[vertex_at(mesh.vertices, corner, 1e-3)]) == colour, corner


def texel(texture: np.ndarray, uv: np.ndarray) -> tuple[int, ...]:
    """The texel at a glTF-convention UV (origin at the image's top-left)."""
    height, width = texture.shape[:2]
    row = min(max(int(uv[1] * height), 0), height - 1)
    column = min(max(int(uv[0] * width), 0), width - 1)
    return tuple(int(c) for c in texture[row, column])


def _signed_volume(mesh: Mesh) -> float:
    a, b, c = (mesh.vertices[mesh.faces[:, i]].astype(np.float64) for i in range(3))
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, this is a text file\n", "is not a GLB file"),
        (b'{"asset": {"version": "2.0"}}', "text .gltf file"),
        (b"glTF\x02\x00\x00\x00\xff\x00\x00\x00" + b"\x00" * 20, "is truncated"),
        (b"glTF\x01\x00\x00\x00\x20\x00\x00\x00" + b"\x00" * 20, "only glTF 2.0"),
        (struct.pack("<4sIIII", b"glTF", 2, 24, 4, 0x4E4F534A) + b"{{{{", "JSON chunk does not"),
    ],
)
def test_read_glb_rejects_bad_files_clearly(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.glb"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as caught:
        read_glb(path)
    assert str(path) in str(caught.value)


def test_read_glb_rejects_a_truncated_export(rock_glb: Path) -> None:
    data = rock_glb.read_bytes()
    rock_glb.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"truncated.*copy it again"):
        read_glb(rock_glb)


def test_read_glb_rejects_broken_structure(rock_glb: Path, tmp_path: Path) -> None:
    doc, _, binary = glb_chunks(rock_glb)
    doc["accessors"][0]["count"] = 10**6
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    path = tmp_path / "broken.glb"
    path.write_bytes(
        b"".join(
            [
                struct.pack("<4sII", b"glTF", 2, 28 + len(text) + len(binary)),
                struct.pack("<II", len(text), 0x4E4F534A),
                text,
                struct.pack("<II", len(binary), 0x004E4942),
                binary,
            ]
        )
    )
    with pytest.raises(InputError, match=r"is damaged: accessor 0 declares 1,000,000 items"):
        read_glb(path)


def test_read_glb_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.glb does not exist"):
        read_glb(tmp_path / "nope.glb")


def test_glb_bytes_rejects_a_textured_material_on_a_mesh_without_uvs() -> None:
    material = Material(base_color_texture=quadrant_texture())
    lodset = LodSet("X", [Lod(0, tile(2, uvs=False))], material)
    with pytest.raises(ValueError, match="no UVs"):
        glb_bytes(lodset)


# --- OBJ -----------------------------------------------------------------------------------


def test_obj_files_load_in_trimesh_with_material_texture_and_flipped_v(tmp_path: Path) -> None:
    written = write_obj(asset(), tmp_path / "Rock.obj")
    assert [p.name for p in written] == [
        "Rock.obj",
        "Rock_LOD1.obj",
        "Rock_LOD2.obj",
        "Rock.mtl",
        "Rock_BaseColor.png",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)

    lod0 = trimesh.load(tmp_path / "Rock.obj", process=False)
    assert len(lod0.faces) == 512
    image = lod0.visual.material.image
    assert image is not None and image.size == (64, 64)
    for corner, colour in CORNER_COLOURS:
        assert colour_at(lod0.visual.uv[vertex_at(lod0.vertices, corner)], image) == colour, corner
    for name, triangles in [("Rock_LOD1.obj", 72), ("Rock_LOD2.obj", 8)]:
        assert len(trimesh.load(tmp_path / name, process=False).faces) == triangles

    text = (tmp_path / "Rock.obj").read_text()
    for line in ["mtllib Rock.mtl", "o Rock_LOD0", "usemtl M_Rock"]:
        assert line + "\n" in text
    mtl = (tmp_path / "Rock.mtl").read_text()
    for line in [
        "newmtl M_Rock",
        "Kd 1.000000 0.900000 0.800000",
        "Ks 0.000000 0.000000 0.000000",
        "illum 2",
        "map_Kd Rock_BaseColor.png",
    ]:
        assert line + "\n" in mtl


def test_untextured_obj_has_no_texture_coordinates(tmp_path: Path) -> None:
    written = write_obj(asset(textured=False), tmp_path / "Plain.obj")
    assert [p.name for p in written] == [
        "Plain.obj",
        "Plain_LOD1.obj",
        "Plain_LOD2.obj",
        "Plain.mtl",
    ]
    text = (tmp_path / "Plain.obj").read_text()
    assert "\nvt " not in text and "\nf 1//1 " in text
    assert "map_Kd" not in (tmp_path / "Plain.mtl").read_text()
    assert len(trimesh.load(tmp_path / "Plain.obj", process=False).faces) == 512


# --- test tooling, atomic writes and PNG ----------------------------------------------------


def test_a_missing_validator_install_fails_with_instructions(
    rock_glb: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(gltf_tools, "NODE_DIR", tmp_path / "node")
    for tool in (lambda: gltf_tools.validate_gltf(rock_glb), gltf_tools.gltfpack_path):
        with pytest.raises(RuntimeError, match="npm ci --prefix tests/node"):
            tool()


@pytest.mark.parametrize("error", [RuntimeError("disk on fire"), KeyboardInterrupt(), Cancelled()])
def test_atomic_write_leaves_the_old_file_on_failure(tmp_path: Path, error: BaseException) -> None:
    target = tmp_path / "asset.glb"
    target.write_bytes(b"old content")
    with pytest.raises(type(error)), atomic_write(target) as f:
        f.write(b"new partial content")
        raise error
    assert target.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["asset.glb"]


def test_atomic_write_replaces_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("old")
    with atomic_write(target, "w") as f:
        f.write("new ✓\n")
        (temp,) = [p for p in tmp_path.iterdir() if p != target]
        assert temp.name.startswith(".") and temp.name.endswith(TEMP_SUFFIX)
        assert target.read_text() == "old"
    atomic_write_bytes(tmp_path / "data.bin", b"\x00\x01")
    assert target.read_bytes() == "new ✓\n".encode()
    assert (tmp_path / "data.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin", "notes.txt"]


@pytest.mark.parametrize("shape", [(5, 7), (5, 7, 2), (33, 17, 3), (16, 16, 4)])
def test_encode_png_round_trips_through_pillow(shape: tuple[int, ...]) -> None:
    image = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    with Image.open(io.BytesIO(encode_png(image))) as decoded:
        np.testing.assert_array_equal(np.asarray(decoded).reshape(shape), image)

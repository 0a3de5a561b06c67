"""What each engine's files carry for materials: unique names, PBR maps where the importers read
them, tangents, lightmap UVs, Unreal's ORM packing and DirectX normal map, read back by real
readers (Godot 3, Blender, the Autodesk FBX SDK, the Khronos validator) and from the PNGs."""

from __future__ import annotations

import json
import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import trimesh
from export_samples import sample_lodset, sample_mesh, unity_project, unreal_project
from PIL import Image
from readers import blender_import, fbx_sdk_read, godot_import, read_fbx_records

from app.core.export.export_as import export_as
from app.core.export.options import ExportOptions
from app.core.export.unity import export_unity
from app.core.export.unreal import export_unreal
from app.core.formats.fbx import write_fbx
from app.core.formats.glb import write_glb
from app.core.formats.obj import write_obj
from app.core.mesh.lightmap_uv import LIGHTMAP_PADDING, LIGHTMAP_RESOLUTION, with_lightmap_uvs
from app.core.mesh.normals import shading_normals
from app.core.mesh.tangents import with_tangents
from app.core.mesh.types import LodSet, MaterialMaps, Mesh

from gltf_tools import validate_gltf


def mapped(name: str = "Old Rock", colour: int = 200) -> LodSet:
    """A two-LOD asset with a base colour, a normal map (a tilt, so green is not 128) and occlusion."""
    lodset = sample_lodset(name, levels=2)
    normal = np.zeros((64, 64, 3), np.uint8)
    normal[..., 0] = 128
    normal[..., 1] = np.linspace(60, 200, 64, dtype=np.uint8)[:, None]
    normal[..., 2] = 230
    occlusion = np.tile(np.linspace(40, 255, 64, dtype=np.uint8), (64, 1))
    base = np.full((64, 64, 3), colour, np.uint8)
    material = replace(
        lodset.material,
        base_color_texture=base,
        roughness=0.7,
        metallic=0.0,
        maps=MaterialMaps(normal=normal, occlusion=occlusion),
    )
    return replace(lodset, material=material)


def rasterised(uvs: np.ndarray, faces: np.ndarray, size: int) -> np.ndarray:
    """How many triangles cover each texel centre of a `size`² grid (an independent scan of
    each triangle's bounding box with barycentric tests; edges shared inside a chart count once)."""
    count = np.zeros((size, size), np.int32)
    corners = uvs[faces].astype(np.float64) * size
    for a, b, c in corners:
        lo = np.floor(np.minimum(np.minimum(a, b), c)).astype(int)
        hi = np.ceil(np.maximum(np.maximum(a, b), c)).astype(int)
        ys, xs = np.mgrid[max(lo[1], 0) : min(hi[1], size), max(lo[0], 0) : min(hi[0], size)]
        px, py = xs + 0.5, ys + 0.5
        area = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
        if abs(area) < 1e-12:
            continue
        w0 = ((b[0] - px) * (c[1] - py) - (b[1] - py) * (c[0] - px)) / area
        w1 = ((c[0] - px) * (a[1] - py) - (c[1] - py) * (a[0] - px)) / area
        inside = (w0 > 1e-9) & (w1 > 1e-9) & (1 - w0 - w1 > 1e-9)
        count[ys[inside], xs[inside]] += 1
    return count


def mirrored_mesh() -> Mesh:
    """A sphere whose UVs are a planar projection: front and back land on the same texels."""
    sphere = trimesh.creation.icosphere(subdivisions=3)
    vertices = np.asarray(sphere.vertices)
    return Mesh(vertices, sphere.faces, None, (vertices[:, :2] + 1) / 2)


@pytest.mark.parametrize("mesh", [sample_mesh(3), mirrored_mesh()], ids=["egg", "mirrored"])
def test_lightmap_uvs_are_inside_the_square_and_never_overlap(mesh: Mesh) -> None:
    assert rasterised(mesh.uvs, mesh.faces, 256).max() >= 2  # the texture atlas overlaps
    out = with_lightmap_uvs(mesh)
    uv2 = out.lightmap_uvs
    assert uv2 is not None and uv2.shape == (out.vertex_count, 2)
    assert uv2.min() >= 0.0 and uv2.max() <= 1.0
    coverage = rasterised(uv2, out.faces, 512)
    assert coverage.max() == 1
    assert coverage.sum() > 0.25 * 512 * 512  # packed, not shrunk into a corner
    # The same surface: positions and texture UVs follow the split vertices.
    np.testing.assert_array_equal(out.vertices[out.faces], mesh.vertices[mesh.faces])
    np.testing.assert_array_equal(out.uvs[out.faces], mesh.uvs[mesh.faces])
    # Charts keep the planned gap: texels of two charts are never neighbours.
    gap = LIGHTMAP_PADDING / LIGHTMAP_RESOLUTION
    chart = _chart_image(out, 256)
    for dy, dx in ((0, 1), (1, 0), (1, 1)):
        a, b = chart[: 256 - dy, : 256 - dx], chart[dy:, dx:]
        assert not np.any((a >= 0) & (b >= 0) & (a != b)), gap


def _chart_image(mesh: Mesh, size: int) -> np.ndarray:
    """Chart id per texel (-1 empty), charts being the lightmap's connected triangle sets."""
    graph = trimesh.graph.connected_components(
        trimesh.graph.face_adjacency(mesh.faces), nodes=np.arange(len(mesh.faces))
    )
    ids = np.full((size, size), -1)
    for number, faces in enumerate(graph):
        covered = rasterised(mesh.lightmap_uvs, mesh.faces[faces], size) > 0
        ids[covered] = number
    return ids


def test_two_assets_in_one_godot_folder_keep_their_own_textures(tmp_path: Path) -> None:
    files = []
    for name, colour in (("rock", 200), ("tree", 30)):
        path = tmp_path / f"{name}.glb"
        write_glb(mapped(name, colour), path)
        files.append(path)
    report = godot_import(files, tmp_path / "project")
    surfaces = {path: meshes[0]["surfaces"][0] for path, meshes in report.items()}
    rock, tree = surfaces["res://rock.glb"], surfaces["res://tree.glb"]
    assert (rock["name"], tree["name"]) == ("M_rock", "M_tree")
    assert rock["material"] != tree["material"]
    assert rock["albedo"] and tree["albedo"] and rock["albedo"] != tree["albedo"]
    assert rock["normal"] and rock["normal"] != tree["normal"]


def test_the_fbx_material_carries_pbr_maps_tangents_and_two_uv_sets(tmp_path: Path) -> None:
    asset = mapped()
    asset = asset.with_lods([replace(lod, mesh=with_lightmap_uvs(lod.mesh)) for lod in asset.lods])
    fbx, base, normal, orm = write_fbx(asset, tmp_path / "rock.fbx")
    assert [p.name for p in (base, normal, orm)] == ["rock_BaseColor.png", "rock_Normal.png", "rock_ORM.png"]

    listing, converted = fbx_sdk_read(fbx, tmp_path / "sdk")
    assert "Material 0: M_Old Rock" in listing
    assert "Found texture 'T_Old Rock_BaseColor'" in listing
    assert "Found texture 'T_Old Rock_Normal'" in listing
    doc = _glb_json(converted)
    assert "normalTexture" in doc["materials"][0]
    assert {"TEXCOORD_0", "TEXCOORD_1"} <= set(doc["meshes"][0]["primitives"][0]["attributes"])

    (lod0, lod1) = (o for o in blender_import([fbx])[fbx]["objects"] if o["type"] == "MESH")
    for obj in (lod0, lod1):
        assert obj["uv_names"] == ["UVMap", "Lightmap"]
        (material,) = obj["materials"]
        assert material["name"] == "M_Old Rock"
        assert material["normal_maps"] == [str(normal)] and material["normal_linked"]
        assert material["roughness"] == pytest.approx(0.7, abs=0.01)
        assert material["metallic"] == pytest.approx(0.0)

    geometry = read_fbx_records(fbx).find("Objects")[0].find("Geometry")[0]
    tangent = geometry.find("LayerElementTangent")[0].find("Tangents")[0].props[0].reshape(-1, 3)
    binormal = geometry.find("LayerElementBinormal")[0].find("Binormals")[0].props[0].reshape(-1, 3)
    expected = with_tangents(asset.lod0)
    np.testing.assert_allclose(tangent, expected.tangents[:, :3], atol=1e-6)
    sign = expected.tangents[:, 3:4]
    np.testing.assert_allclose(binormal, sign * np.cross(shading_normals(expected), tangent), atol=1e-6)
    assert len(geometry.find("LayerElementUV")) == 2 and len(geometry.find("Layer")) == 2


def _glb_json(path: Path) -> dict:
    data = path.read_bytes()
    return json.loads(data[20 : 20 + struct.unpack_from("<I", data, 12)[0]])


def test_gltf_exports_carry_named_maps_and_a_valid_lightmap_set(tmp_path: Path) -> None:
    options = ExportOptions(lightmap_uv=True)
    result = export_as(mapped("Crate"), tmp_path / "crate.glb", options)
    report = validate_gltf(result.files[0])
    assert report["issues"]["numErrors"] == 0, report["issues"]["messages"]
    doc = _glb_json(result.files[0])
    material = doc["materials"][0]
    assert material["name"] == "M_Crate"
    assert [image["name"] for image in doc["images"]] == [
        "T_Crate_BaseColor",
        "T_Crate_Normal",
        "T_Crate_Occlusion",
    ]
    assert {"normalTexture", "occlusionTexture"} <= set(material)
    assert material["pbrMetallicRoughness"]["metallicFactor"] == 0.0
    assert material["pbrMetallicRoughness"]["roughnessFactor"] == pytest.approx(0.7)
    for mesh in doc["meshes"]:
        assert {"TANGENT", "TEXCOORD_0", "TEXCOORD_1"} <= set(mesh["primitives"][0]["attributes"])
    plain = _glb_json(export_as(mapped("Crate"), tmp_path / "plain.glb").files[0])
    assert "TEXCOORD_1" not in plain["meshes"][0]["primitives"][0]["attributes"]


def test_unreal_gets_orm_a_directx_normal_map_and_an_import_script_that_uses_them(tmp_path: Path) -> None:
    asset = mapped()
    result = export_unreal(asset, unreal_project(tmp_path / "game"), ExportOptions(), "k1")
    folder = result.folder
    orm = np.asarray(Image.open(folder / "T_Old_Rock_ORM.png"))
    assert orm.shape == (64, 64, 3)
    np.testing.assert_array_equal(orm[..., 0], asset.material.maps.occlusion)  # R = AO
    assert (orm[..., 1] == round(0.7 * 255)).all()  # G = roughness
    assert (orm[..., 2] == 0).all()  # B = metallic
    normal = np.asarray(Image.open(folder / "T_Old_Rock_N.png"))
    np.testing.assert_array_equal(normal[..., 1], 255 - asset.material.maps.normal[..., 1])  # green -Y
    np.testing.assert_array_equal(normal[..., [0, 2]], asset.material.maps.normal[..., [0, 2]])

    records = read_fbx_records(folder / "SM_Old_Rock.fbx").find("Objects")[0]
    (material,) = records.find("Material")
    assert material.props[1].split("\x00")[0] == "M_Old_Rock"
    videos = {v.find("RelativeFilename")[0].props[0] for v in records.find("Video")}
    assert videos == {"T_Old_Rock_D.png", "T_Old_Rock_N.png"}
    for geometry in records.find("Geometry"):
        assert [uv.find("Name")[0].props[0] for uv in geometry.find("LayerElementUV")] == [
            "UVMap",
            "Lightmap",
        ]

    script = (folder / "import_SM_Old_Rock.py").read_text()
    compile(script, "import_SM_Old_Rock.py", "exec")
    for line in (
        "mesh_data.generate_lightmap_u_vs = False",
        'mesh.set_editor_property("light_map_coordinate_index", 1)',
        "LIGHTMAP = True",
        "NORMAL_MAP, ORM = 'T_Old_Rock_N', 'T_Old_Rock_ORM'",
        'texture.set_editor_property("srgb", False)',
        "mesh_data.auto_generate_collision = False",
        "mesh_data.normal_import_method = unreal.FBXNormalImportMethod.FBXNIM_IMPORT_NORMALS_AND_TANGENTS",
    ):
        assert line in script, line
    for channel, target in (("R", "MP_AMBIENT_OCCLUSION"), ("G", "MP_ROUGHNESS"), ("B", "MP_METALLIC")):
        assert f'connect_material_property(sample, "{channel}", unreal.MaterialProperty.{target})' in script

    off = export_unreal(asset, unreal_project(tmp_path / "off"), ExportOptions(lightmap_uv=False), "k2")
    assert "mesh_data.generate_lightmap_u_vs = True" in (off.folder / "import_SM_Old_Rock.py").read_text()
    geometry = read_fbx_records(off.folder / "SM_Old_Rock.fbx").find("Objects")[0].find("Geometry")[0]
    assert len(geometry.find("LayerElementUV")) == 1


def test_unity_gets_its_normal_map_bound_occlusion_beside_and_a_lightmap_set(tmp_path: Path) -> None:
    result = export_unity(mapped(), unity_project(tmp_path / "unity"), ExportOptions(), "k1")
    textures = result.folder / "Textures"
    assert sorted(p.name for p in textures.iterdir()) == [
        "Old_Rock_BaseColor.png",
        "Old_Rock_Normal.png",
        "Old_Rock_Occlusion.png",
    ]
    normal = np.asarray(Image.open(textures / "Old_Rock_Normal.png"))
    np.testing.assert_array_equal(normal, mapped().material.maps.normal)  # green +Y, Unity's
    fbx = result.folder / "Old_Rock.fbx"
    (lod0, _) = (o for o in blender_import([fbx])[fbx]["objects"] if o["type"] == "MESH")
    assert lod0["uv_names"] == ["UVMap", "Lightmap"]
    assert lod0["materials"][0]["name"] == "M_Old_Rock"
    assert lod0["materials"][0]["normal_maps"] == [str(textures / "Old_Rock_Normal.png")]


def _uv_layers(fbx: Path) -> list[int]:
    geometries = read_fbx_records(fbx).find("Objects")[0].find("Geometry")
    return [len(g.find("LayerElementUV")) for g in geometries]


def test_the_export_command_turns_lightmap_uvs_on_and_off(tmp_path: Path) -> None:
    from app.cli.main import main

    glb = tmp_path / "crate.glb"
    write_glb(sample_lodset("Crate", levels=2, texture_size=16), glb)
    assert main(["export", str(glb), "--as", str(tmp_path / "plain.glb")]) == 0
    assert main(["export", str(glb), "--as", str(tmp_path / "lit.glb"), "--lightmap-uv"]) == 0
    plain, lit = (
        _glb_json(tmp_path / n)["meshes"][0]["primitives"][0]["attributes"] for n in ("plain.glb", "lit.glb")
    )
    assert "TEXCOORD_1" not in plain and "TEXCOORD_1" in lit
    on, off = unity_project(tmp_path / "on"), unity_project(tmp_path / "off")
    assert main(["export", str(glb), "--unity", str(on)]) == 0
    assert main(["export", str(glb), "--unity", str(off), "--no-lightmap-uv"]) == 0
    assert _uv_layers(on / "Assets/Sweedle/crate/crate.fbx") == [2, 2]
    assert _uv_layers(off / "Assets/Sweedle/crate/crate.fbx") == [1, 1]


def test_obj_names_its_material_and_binds_the_normal_map(tmp_path: Path) -> None:
    written = write_obj(mapped(), tmp_path / "rock.obj")
    assert [p.name for p in written[-2:]] == ["rock_BaseColor.png", "rock_Normal.png"]
    mtl = (tmp_path / "rock.mtl").read_text()
    for line in ("newmtl M_Old_Rock", "Pr 0.700000", "Pm 0.000000", "map_Bump rock_Normal.png"):
        assert line + "\n" in mtl
    obj = tmp_path / "rock.obj"
    (mesh,) = (o for o in blender_import([obj])[obj]["objects"] if o["type"] == "MESH")
    (material,) = mesh["materials"]
    assert material["name"] == "M_Old_Rock"
    assert material["normal_maps"] == [str(tmp_path / "rock_Normal.png")]

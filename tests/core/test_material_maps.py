"""Game-ready materials, core: MikkTSpace tangents checked against Blender's own (mikktspace.c),
the normal and occlusion bake on shapes whose answer is known, the GLB form read back by the
Khronos validator and our reader, the full-detail archive, and the pipeline's and re-texture's
maps stored in the library."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from bake_scenes import displaced_sphere, reduced_and_unwrapped
from readers import _tool

from app.core.base.errors import InputError
from app.core.formats.full_detail import FULL_DETAIL_FILE, full_detail_bytes, read_full_detail
from app.core.formats.glb import write_glb
from app.core.formats.glb_reader import read_glb
from app.core.generation.request import GenerationRequest
from app.core.generation.stages import generate
from app.core.library.material_files import NORMAL_FILE, OCCLUSION_FILE, version_full_detail
from app.core.library.saving import save_generation
from app.core.library.startup import open_library
from app.core.mesh.normals import welded_vertex_normals
from app.core.mesh.tangents import corner_tangents, with_tangents
from app.core.mesh.types import Lod, LodSet, Material, MaterialMaps, Mesh, NormalConvention
from app.core.paths import REPO_ROOT
from app.core.texture import rays
from app.core.texture.maps import BakeSettings, bake_maps
from app.core.texture.pipeline import retexture

ROBOT = REPO_ROOT / "resources" / "samples" / "robot.png"

_BLENDER_TANGENTS = r"""
import bpy, json, sys
d = json.loads(open(sys.argv[sys.argv.index("--") + 1]).read())
me = bpy.data.meshes.new("m")
me.from_pydata(d["v"], [], d["f"])
for poly in me.polygons:
    poly.use_smooth = True
uv = me.uv_layers.new(name="UV")
flat = []
for tri in d["f"]:
    for i in tri:
        flat += [d["uv"][i][0], 1.0 - d["uv"][i][1]]  # Blender's UVs grow upwards
uv.data.foreach_set("uv", flat)
me.calc_tangents(uvmap="UV")
n = len(me.loops)
t = [0.0] * (3 * n); me.loops.foreach_get("tangent", t)
s = [0.0] * n; me.loops.foreach_get("bitangent_sign", s)
vn = [0.0] * (3 * len(me.vertices)); me.vertices.foreach_get("normal", vn)
print("SWEEDLE-TANGENTS" + json.dumps({"t": t, "s": s, "n": vn}))
"""


def _blender_tangents(mesh: Mesh, tmp_path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Blender's per-corner MikkTSpace tangents, signs, and the vertex normals it used."""
    data = tmp_path / "mesh.json"
    data.write_text(
        json.dumps({"v": mesh.vertices.tolist(), "f": mesh.faces.tolist(), "uv": mesh.uvs.tolist()})
    )
    result = subprocess.run(
        [_tool("blender"), "-b", "--factory-startup", "--python-expr", _BLENDER_TANGENTS, "--", str(data)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("SWEEDLE-TANGENTS")), None)
    assert line is not None, result.stdout[-2000:] + result.stderr[-2000:]
    out = json.loads(line[len("SWEEDLE-TANGENTS") :])
    return np.array(out["t"]).reshape(-1, 3), np.array(out["s"]), np.array(out["n"]).reshape(-1, 3)


def _with_mirrored_half(mesh: Mesh) -> Mesh:
    """`mesh` with the UVs of the triangles on its +X side mirrored (u → 1 - u), on their own
    vertices: a mirrored chart meeting unmirrored ones, as a symmetric asset's atlas has."""
    right = mesh.vertices[mesh.faces].mean(axis=1)[:, 0] > 0
    faces = mesh.faces.copy()
    corners = np.unique(faces[right])
    new = np.arange(len(corners)) + mesh.vertex_count
    remap = np.full(mesh.vertex_count, -1)
    remap[corners] = new
    faces[right] = remap[faces[right]]
    uvs = np.vstack([mesh.uvs, mesh.uvs[corners] * [-1, 1] + [1, 0]])
    vertices = np.vstack([mesh.vertices, mesh.vertices[corners]])
    return Mesh(vertices, faces, None, uvs)


def test_tangents_match_blenders_mikktspace(tmp_path: Path) -> None:
    source = displaced_sphere(subdivisions=3)
    unwrapped = _with_mirrored_half(reduced_and_unwrapped(source, 900, 512))
    blender_t, blender_s, blender_n = _blender_tangents(unwrapped, tmp_path)
    # Blender's own vertex normals, so only the tangent algorithm is compared.
    ours, _ = corner_tangents(
        unwrapped.vertices, blender_n.astype(np.float32), unwrapped.uvs, unwrapped.faces
    )
    ours = ours.reshape(-1, 4)
    assert (blender_s == -1).sum() > 100 and (blender_s == 1).sum() > 100  # both orientations seen
    np.testing.assert_array_equal(ours[:, 3], blender_s)
    assert np.abs(ours[:, :3] - blender_t).max() < 1e-4


def test_with_tangents_splits_a_vertex_shared_by_mirrored_triangles() -> None:
    # Two triangles share the edge 0-1; the second winds the other way in UV (a mirrored chart).
    vertices = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, -1, 0]], np.float32)
    faces = np.array([[0, 1, 2], [1, 0, 3]])
    uvs = np.array([[0, 1], [1, 1], [0, 0], [1, 0]], np.float32)
    mesh = with_tangents(Mesh(vertices, faces, np.tile([0, 0, 1.0], (4, 1)), uvs))
    assert mesh.vertex_count == 6  # vertices 0 and 1 got a twin each, appended
    np.testing.assert_array_equal(mesh.vertices[:4], vertices)
    np.testing.assert_array_equal(mesh.vertices[mesh.faces], vertices[faces])
    assert not set(mesh.faces[0]) & set(mesh.faces[1])
    signs = mesh.tangents[:, 3]
    assert set(signs[mesh.faces[0]]) == {1.0} and set(signs[mesh.faces[1]]) == {-1.0}
    np.testing.assert_allclose(mesh.tangents[:, :3], np.tile([1.0, 0, 0], (6, 1)), atol=1e-6)


def _grid(n: int, height) -> Mesh:
    xs, ys = np.meshgrid(np.linspace(-0.1, 1.1, n), np.linspace(-0.1, 1.1, n))
    vertices = np.stack([xs, ys, height(xs, ys)], -1).reshape(-1, 3)
    index = np.arange(n * n).reshape(n, n)
    a, b, c, d = (
        index[:-1, :-1].ravel(),
        index[:-1, 1:].ravel(),
        index[1:, 1:].ravel(),
        index[1:, :-1].ravel(),
    )
    faces = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])
    return Mesh(vertices, faces, welded_vertex_normals(vertices, faces))


def _square() -> Mesh:
    """The unit square facing +Z, u along +X and glTF's v down the image (so +Y is image up)."""
    vertices = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float32)
    return Mesh(
        vertices, [[0, 1, 2], [0, 2, 3]], np.tile([0, 0, 1.0], (4, 1)), vertices[:, :2] * [1, -1] + [0, 1]
    )


def test_normal_bake_writes_the_detail_normal_in_tangent_space() -> None:
    """Above a flat square, a full-detail plane tilted down towards +X and +Y: every texel must
    say so, red (tangent, +X) and green (bitangent, +Y, OpenGL) below the neutral 128."""
    tilted = _grid(120, lambda x, y: 0.01 + 0.2 * x + 0.1 * y)
    lod, maps = bake_maps(_square(), tilted, 64, BakeSettings(cage_pct=25))
    expected = np.array([-0.2, -0.1, 1.0]) / np.linalg.norm([-0.2, -0.1, 1.0])
    colour = np.rint((expected * 0.5 + 0.5) * 255)
    assert maps.details["texels_hit"] == 1.0
    assert np.abs(maps.normal.reshape(-1, 3).astype(int) - colour).max() <= 1
    assert maps.normal_convention is NormalConvention.OPENGL
    flipped = maps.normal_for(NormalConvention.DIRECTX)
    assert abs(int(flipped[32, 32, 1]) - (255 - colour[1])) <= 1
    np.testing.assert_array_equal(lod.tangents[:, :3], np.tile([1.0, 0, 0], (4, 1)))


def test_normal_bake_ignores_surfaces_beyond_the_cage_and_behind() -> None:
    far = _grid(40, lambda x, y: 0.5 + 0 * x)  # 0.5 m above: out of a 2 % cage
    _, maps = bake_maps(_square(), far, 32, BakeSettings())
    assert maps.details["texels_hit"] == 0.0
    assert (maps.normal == [128, 128, 255]).all()
    facing_away = _grid(40, lambda x, y: 0.005 + 0 * x)
    facing_away.faces = facing_away.faces[:, ::-1].copy()
    facing_away.normals = -facing_away.normals
    _, maps = bake_maps(_square(), facing_away, 32, BakeSettings(cage_pct=5))
    assert maps.details["texels_hit"] == 0.0


def test_occlusion_is_darker_in_a_crease() -> None:
    """A floor meeting a wall along x = 0.5: texels next to the wall are occluded, far ones open."""
    floor = _grid(60, lambda x, y: 0 * x)
    wall = Mesh(
        [[0.5, -0.1, 0], [0.5, 1.1, 0], [0.5, 1.1, 1], [0.5, -0.1, 1]],
        [[0, 1, 2], [0, 2, 3]],
        np.tile([-1.0, 0, 0], (4, 1)),
    )
    source = Mesh(
        np.vstack([floor.vertices, wall.vertices]),
        np.vstack([floor.faces, wall.faces + floor.vertex_count]),
        np.vstack([floor.normals, wall.normals]),
    )
    _, maps = bake_maps(
        _square(), source, 64, BakeSettings(normal_map=False, occlusion=True, ao_distance_pct=30)
    )
    assert maps.normal is None
    row = maps.occlusion[32]  # image columns follow u = x
    near_wall, far_side = row[26:31].mean(), row[2:8].mean()
    assert near_wall < 0.75 * 255 and far_side > 0.9 * 255 and near_wall < far_side - 40


def test_glb_with_maps_passes_the_validator_and_reads_back(tmp_path: Path, gltf_validator) -> None:
    source = displaced_sphere(subdivisions=4)
    low = reduced_and_unwrapped(source, 1500, 256)
    lod, maps = bake_maps(low, source, 256, BakeSettings(occlusion=True))
    lods = [Lod(0, lod), Lod(1, with_tangents(reduced_and_unwrapped(source, 600, 256)))]
    path = tmp_path / "maps.glb"
    write_glb(LodSet("maps", lods, Material(name="M", maps=maps)), path)
    report = gltf_validator(path)
    assert report["issues"]["numErrors"] == 0, report["issues"]["messages"]
    codes = {m["code"] for m in report["issues"]["messages"]}
    assert "UNUSED_MESH_TANGENT" not in codes
    back = read_glb(path)
    np.testing.assert_array_equal(back.material.maps.normal, maps.normal)
    np.testing.assert_array_equal(back.material.maps.occlusion, maps.occlusion)
    np.testing.assert_allclose(back.lod0.tangents, lod.tangents, atol=1e-6)
    assert back.material.maps.details["texels_hit"] == maps.details["texels_hit"]
    doc = _glb_json(path)
    material = doc["materials"][0]
    assert {"normalTexture", "occlusionTexture"} <= set(material)
    assert material["extras"]["sweedle_maps"]["normal_convention"] == "opengl"
    assert all("TANGENT" in p["attributes"] for m in doc["meshes"] for p in m["primitives"])


def test_full_detail_archive_round_trips_and_refuses_what_it_did_not_write(tmp_path: Path) -> None:
    shape = displaced_sphere(subdivisions=3)
    path = tmp_path / FULL_DETAIL_FILE
    path.write_bytes(full_detail_bytes(shape))
    back = read_full_detail(path)
    np.testing.assert_array_equal(back.vertices, shape.vertices)
    np.testing.assert_array_equal(back.faces, shape.faces)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, vertices=np.array([object()], dtype=object), faces=shape.faces)
    bad_index = tmp_path / "bad_index.npz"
    np.savez(bad_index, vertices=shape.vertices, faces=shape.faces + shape.vertex_count)
    extra = tmp_path / "extra.npz"
    np.savez(extra, vertices=shape.vertices, faces=shape.faces, more=shape.faces)
    (tmp_path / "text.npz").write_text("not an archive")
    for name in ("pickled.npz", "bad_index.npz", "extra.npz", "text.npz"):
        with pytest.raises(InputError, match=name):
            read_full_detail(tmp_path / name)
    with zipfile.ZipFile(extra) as archive:
        assert len(archive.namelist()) == 3


def test_generation_bakes_maps_and_the_library_keeps_them(tmp_path: Path) -> None:
    request = GenerationRequest(ROBOT, params={"resolution": 96}, lod0_triangles=3000, occlusion=True)
    result = generate(request, tmp_path / "robot.glb")
    assert result.ok, result.message
    lodset = result.lodset
    maps = lodset.material.maps
    assert maps.normal is not None and maps.occlusion is not None
    assert maps.details["texels_hit"] > 0.98
    assert (
        lodset.full_detail is not None
        and lodset.full_detail.triangle_count > 3 * lodset.lods[0].mesh.triangle_count
    )
    assert all(lod.mesh.tangents is not None for lod in lodset.lods)
    # The normal map holds detail (not the flat colour everywhere); occlusion is not all open.
    assert np.abs(maps.normal.astype(int) - [128, 128, 255]).max() > 60
    assert maps.occlusion.min() < 200
    library, _ = open_library(tmp_path / "lib")
    try:
        record = save_generation(library, result)
        folder = record.current_version.folder
        assert (folder / NORMAL_FILE).is_file() and (folder / OCCLUSION_FILE).is_file()
        kept = version_full_detail(folder)
        assert kept is not None and kept.triangle_count == lodset.full_detail.triangle_count
        assert record.current_version.parameters["occlusion"] is True
    finally:
        library.close()
    plain = generate(
        GenerationRequest(ROBOT, params={"resolution": 48}, lod0_triangles=1000, normal_map=False),
        tmp_path / "plain.glb",
    )
    assert plain.ok and plain.lodset.material.maps.empty
    assert all(lod.mesh.tangents is None for lod in plain.lodset.lods)


def test_without_the_ray_caster_the_job_finishes_and_says_why(tmp_path: Path, monkeypatch) -> None:
    def missing() -> None:
        raise rays.BakeUnavailable("normal and occlusion maps need the embreex ray caster: install it")

    monkeypatch.setattr(rays, "_embree", missing)
    result = generate(
        GenerationRequest(ROBOT, params={"resolution": 48}, lod0_triangles=1000), tmp_path / "r.glb"
    )
    assert result.ok
    assert "no normal or occlusion map was baked" in result.message and "embreex" in result.message
    assert result.lodset.material.maps.empty


def test_retexture_bakes_the_maps_again_for_the_new_atlas(tmp_path: Path) -> None:
    request = GenerationRequest(ROBOT, params={"resolution": 64}, lod0_triangles=1500, occlusion=True)
    first = generate(request, tmp_path / "first.glb").lodset
    again = retexture(first, ROBOT, 512)
    assert again.full_detail is first.full_detail
    maps = again.material.maps
    # 512² for LOD0 and the strip below it, where the lower LODs have their own UVs (lod_atlas).
    assert maps.normal is not None and maps.normal.shape == (768, 512, 3) and maps.occlusion is not None
    assert again.provenance["maps"]["lod_atlas"]["levels"] == [lod.level for lod in again.lods[1:]]
    assert again.provenance["maps"]["texels_hit"] > 0.98
    assert all(lod.mesh.tangents is not None for lod in again.lods)


def _glb_json(path: Path) -> dict:
    data = path.read_bytes()
    return json.loads(data[20 : 20 + int.from_bytes(data[12:16], "little")])


def test_generate_command_bakes_what_its_options_say(tmp_path: Path) -> None:
    def run(*options: str) -> dict:
        out = tmp_path / f"robot{len(options)}.glb"
        command = [sys.executable, "-m", "app", "generate", str(ROBOT), "-o", str(out), "-q", "--no-library"]
        result = subprocess.run(
            [*command, "-p", "resolution=64", "--lod0-triangles", "1500", *options],
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return _glb_json(out)["materials"][0]

    default = run()
    assert "normalTexture" in default and "occlusionTexture" not in default
    both = run("--ao", "--normal-map")
    assert {"normalTexture", "occlusionTexture"} <= set(both)
    assert both["extras"]["sweedle_maps"]["occlusion"] is True
    neither = run("--no-normal-map", "--no-ao", "--seed", "0")
    assert "normalTexture" not in neither and "occlusionTexture" not in neither


def test_orm_packs_occlusion_roughness_and_metallic_in_that_order() -> None:
    occlusion = np.array([[0, 100], [200, 255]], np.uint8)
    material = Material(roughness=0.5, metallic=0.0, maps=MaterialMaps(occlusion=occlusion))
    orm = material.orm()
    np.testing.assert_array_equal(orm[..., 0], occlusion)
    assert (orm[..., 1] == 128).all() and (orm[..., 2] == 0).all()
    assert Material().orm() is None

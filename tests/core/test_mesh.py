"""Mesh processing: welding and cleanup, winding, normalisation, normals, validation, metrics, LODs."""

from __future__ import annotations

import json
import threading

import fast_simplification
import numpy as np
import pytest
import trimesh

from app.core.base.cancel import CancelToken
from app.core.base.errors import Cancelled, InputError
from app.core.mesh.cleanup import clean, group_rows, weld
from app.core.mesh.lod import _repair_topology, _simplify_once, build_lods, surviving_vertices
from app.core.mesh.metrics import Surface, max_deviation, point_mesh_distance, surface_samples
from app.core.mesh.normalize import normalize
from app.core.mesh.normals import vertex_normals, welded_vertex_normals
from app.core.mesh.orient import fix_winding
from app.core.mesh.topology import _sort_order
from app.core.mesh.types import Mesh
from app.core.mesh.validate import validate

# ----------------------------------------------------------------------------- test meshes


def icosphere(subdivisions: int = 3) -> Mesh:
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions)
    return Mesh(sphere.vertices, sphere.faces)


def torus(major: int = 48, minor: int = 24) -> Mesh:
    shape = trimesh.creation.torus(1.0, 0.3, major_sections=major, minor_sections=minor)
    return Mesh(shape.vertices, shape.faces)


def cube(offset: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> Mesh:
    box = trimesh.creation.box()
    return Mesh(np.asarray(box.vertices) + offset, box.faces)


def combine(*meshes: Mesh) -> Mesh:
    offsets = np.cumsum([0] + [m.vertex_count for m in meshes[:-1]])
    return Mesh(
        np.vstack([m.vertices for m in meshes]),
        np.vstack([m.faces + o for m, o in zip(meshes, offsets, strict=True)]),
    )


_TILE = 0.9
"""Each chart fills this much of its atlas tile, so tiles never touch."""


def chart_uvs(mesh: Mesh) -> Mesh:
    """`mesh` with box-projected UVs: 6 charts (by dominant normal axis and sign), one atlas tile
    each (3 x 2), vertices split along chart borders like a real unwrap's seams."""
    v = mesh.vertices.astype(np.float64)
    f = mesh.faces
    normal = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    axis = np.abs(normal).argmax(axis=1)
    chart = np.repeat(axis * 2 + (normal[np.arange(len(f)), axis] > 0), 3)
    split, first = group_rows(np.stack([f.ravel(), chart], axis=1).astype(np.uint32))
    source, chart = f.ravel()[first], chart[first]
    uv = _project(v[source], chart, v.min(axis=0), v.max(axis=0))
    return Mesh(v[source], split.reshape(-1, 3), None, uv)


def _project(points: np.ndarray, chart: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    w = (points - lo) / (hi - lo)
    axis = chart // 2
    rows = np.arange(len(points))
    u = w[rows, np.where(axis == 0, 2, 0)]
    v = w[rows, np.where(axis == 1, 2, 1)]
    tile = np.stack([chart % 3, chart // 3], axis=1)
    return (tile + (1 - _TILE) / 2 + _TILE * np.stack([u, v], axis=1)) / [3, 2]


def uv_chart(uvs: np.ndarray) -> np.ndarray:
    return np.floor(uvs[:, 0] * 3).astype(int) + 3 * np.floor(uvs[:, 1] * 2).astype(int)


def canonical(faces: np.ndarray) -> np.ndarray:
    """Faces as directed cycles starting at their smallest index, sorted: equal iff same winding."""
    start = faces.argmin(axis=1)
    rolled = faces[np.arange(len(faces))[:, None], (start[:, None] + np.arange(3)) % 3]
    return rolled[np.lexsort(rolled.T[::-1])]


def flip(faces: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = faces.copy()
    out[mask] = out[mask][:, ::-1]
    return out


# ----------------------------------------------------------------------------- validate


def test_validate_closed_sphere() -> None:
    report = validate(icosphere(4))
    assert report.watertight and report.manifold and report.winding_consistent
    assert report.outward is True
    assert report.components == 1 and report.boundary_edges == 0 and report.non_manifold_edges == 0
    assert report.degenerate_faces == 0
    assert report.triangles == 5120 and report.vertices == 2562
    assert report.volume == pytest.approx(4 / 3 * np.pi, rel=0.01)
    assert report.bounds == [pytest.approx([-1, -1, -1]), pytest.approx([1, 1, 1])]
    assert report.size == pytest.approx([2, 2, 2])
    data = json.loads(json.dumps(report.to_dict()))
    assert data["manifold"] is True and data["watertight"] is True


def test_validate_welds_uv_seams_before_checking() -> None:
    mesh = chart_uvs(icosphere(3))
    assert mesh.vertex_count > 642
    assert validate(mesh).watertight


def test_validate_open_mesh() -> None:
    sphere = icosphere(3)
    report = validate(Mesh(sphere.vertices, sphere.faces[1:]))
    assert not report.watertight
    assert report.boundary_edges == 3
    assert report.manifold
    assert report.outward is None and report.volume is None


def test_validate_inside_out_and_inconsistent() -> None:
    sphere = icosphere(3)
    inside_out = validate(Mesh(sphere.vertices, sphere.faces[:, ::-1]))
    assert inside_out.winding_consistent and inside_out.outward is False
    one_flipped = np.zeros(len(sphere.faces), dtype=bool)
    one_flipped[7] = True
    assert not validate(Mesh(sphere.vertices, flip(sphere.faces, one_flipped))).winding_consistent


def test_validate_cubes_sharing_an_edge_are_not_manifold() -> None:
    report = validate(combine(cube(), cube((1.0, 1.0, 0.0))))
    assert report.non_manifold_edges == 1
    assert not report.edge_manifold and not report.vertex_manifold and not report.manifold
    assert not report.watertight
    assert report.components == 1


def test_validate_bowtie_vertex_is_not_vertex_manifold() -> None:
    report = validate(combine(cube(), cube((1.0, 1.0, 1.0))))
    assert report.edge_manifold and report.watertight
    assert not report.vertex_manifold and not report.manifold
    assert report.components == 1


def test_validate_counts_components_and_degenerates() -> None:
    sphere = icosphere(2)
    far = Mesh(sphere.vertices + np.array([5, 0, 0], dtype=np.float32), sphere.faces)
    both = combine(sphere, far)
    degenerate = Mesh(both.vertices, np.vstack([both.faces, [[0, 0, 1]]]))
    report = validate(degenerate)
    assert report.components == 2
    assert report.degenerate_faces == 1


# ----------------------------------------------------------------------------- fix_winding


@pytest.mark.parametrize("make", [lambda: icosphere(4), lambda: torus()], ids=["icosphere", "torus"])
def test_fix_winding_repairs_random_flips(make) -> None:
    mesh = make()
    rng = np.random.default_rng(3)
    broken = Mesh(mesh.vertices, flip(mesh.faces, rng.random(mesh.triangle_count) < 0.3))
    assert not validate(broken).winding_consistent
    fixed = fix_winding(broken)
    report = validate(fixed)
    assert report.winding_consistent and report.outward is True
    np.testing.assert_array_equal(canonical(fixed.faces), canonical(mesh.faces))


@pytest.mark.parametrize("make", [lambda: icosphere(4), lambda: torus()], ids=["icosphere", "torus"])
def test_fix_winding_turns_inside_out_mesh_outward(make) -> None:
    mesh = make()
    fixed = fix_winding(Mesh(mesh.vertices, mesh.faces[:, ::-1]))
    np.testing.assert_array_equal(canonical(fixed.faces), canonical(mesh.faces))


def test_fix_winding_per_component_and_across_uv_seams() -> None:
    sphere = chart_uvs(icosphere(3))
    ring = torus()
    ring = Mesh(ring.vertices + np.array([4, 0, 0], dtype=np.float32), ring.faces[:, ::-1])
    rng = np.random.default_rng(5)
    flipped = rng.random(sphere.triangle_count) < 0.3
    both = combine(Mesh(sphere.vertices, flip(sphere.faces, flipped)), ring)
    fixed = fix_winding(both)
    report = validate(fixed)
    assert report.winding_consistent and report.outward is True and report.components == 2
    n = sphere.triangle_count
    np.testing.assert_array_equal(canonical(fixed.faces[:n]), canonical(sphere.faces))
    np.testing.assert_array_equal(
        canonical(fixed.faces[n:] - sphere.vertex_count), canonical(ring.faces[:, ::-1])
    )


def test_fix_winding_open_mesh_keeps_majority_orientation() -> None:
    sphere = icosphere(4)
    centroids = sphere.vertices[sphere.faces].mean(axis=1)
    cap = Mesh(sphere.vertices, sphere.faces[centroids[:, 1] > 0.2])
    rng = np.random.default_rng(11)
    broken = Mesh(cap.vertices, flip(cap.faces, rng.random(cap.triangle_count) < 0.3))
    fixed = fix_winding(broken)
    assert validate(fixed).winding_consistent
    np.testing.assert_array_equal(canonical(fixed.faces), canonical(cap.faces))


def test_fix_winding_recomputes_normals_only_when_flipping() -> None:
    sphere = icosphere(3)
    inward = Mesh(sphere.vertices, sphere.faces[:, ::-1], -vertex_normals(sphere.vertices, sphere.faces))
    fixed = fix_winding(inward)
    assert np.all(np.einsum("ij,ij->i", fixed.normals, sphere.vertices) > 0.99)
    untouched_normals = np.tile([0.0, 0.0, 1.0], (sphere.vertex_count, 1))
    untouched = fix_winding(Mesh(sphere.vertices, sphere.faces, untouched_normals))
    np.testing.assert_array_equal(untouched.normals, untouched_normals)


def test_fix_winding_leaves_non_manifold_edges_alone() -> None:
    pair = combine(cube(), cube((1.0, 1.0, 0.0)))
    fixed = fix_winding(Mesh(pair.vertices, pair.faces[:, ::-1]))
    np.testing.assert_array_equal(canonical(fixed.faces), canonical(pair.faces))


# ----------------------------------------------------------------------------- clean / weld


def test_weld_merges_identical_positions_only() -> None:
    vertices = np.array(
        [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 0, 0], [0, -0.0, 0], [1, 1e-6, 0]], dtype=np.float32
    )
    welded, faces, index_map = weld(vertices, [[0, 1, 2], [3, 4, 5]])
    assert len(welded) == 4
    np.testing.assert_array_equal(index_map, [0, 1, 2, 1, 0, 3])
    np.testing.assert_array_equal(faces, [[0, 1, 2], [1, 0, 3]])


def test_group_rows_survives_hash_collisions() -> None:
    rng = np.random.default_rng(0)
    rows = rng.integers(0, 4, size=(5000, 3)).astype(np.uint32)
    inverse, first = group_rows(rows)
    unique, expected_inverse = np.unique(rows, axis=0, return_inverse=True)
    assert len(first) == len(unique)
    np.testing.assert_array_equal(rows[first][inverse], rows)
    assert np.all(np.diff(first) > 0)
    assert len(np.unique(expected_inverse)) == len(first)


def test_clean_repairs_a_messy_mesh() -> None:
    sphere = icosphere(3)
    n = sphere.vertex_count
    vertices = np.vstack(
        [
            sphere.vertices,
            sphere.vertices[:50],  # duplicates of the first 50 vertices
            (sphere.vertices[0] + sphere.vertices[1]) / 2,  # for a collinear (zero-area) triangle
            [[9, 9, 9], [9.01, 9, 9], [9, 9.01, 9], [9, 9, 9.01]],  # a tiny floating tetrahedron
            [[7, 7, 7]],  # unreferenced
        ]
    )
    faces = sphere.faces.copy()
    uses_first_50 = np.isin(faces, np.arange(50))
    faces[uses_first_50 & (np.arange(len(faces)) % 2 == 0)[:, None]] += n  # half the uses go to duplicates
    tetra = n + 51 + np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    messy = np.vstack(
        [
            faces,
            sphere.faces[:10],  # duplicate faces
            sphere.faces[10:15, ::-1],  # duplicates wound the other way
            [[0, 0, 1], [2, 3, 3]],  # repeated index
            [[0, 1, n + 50]],  # zero area
            tetra,
        ]
    )
    cleaned = clean(Mesh(vertices, messy))
    assert cleaned.triangle_count == sphere.triangle_count
    assert cleaned.vertex_count == n
    report = validate(cleaned)
    assert report.watertight and report.manifold and report.components == 1 and report.degenerate_faces == 0
    assert max_deviation(sphere, cleaned, max_samples=None) < 1e-6


def test_clean_keeps_uv_seams_and_aligns_attributes() -> None:
    mesh = chart_uvs(icosphere(3))
    mesh.normals = welded_vertex_normals(mesh.vertices, mesh.faces)
    order = np.random.default_rng(2).permutation(mesh.vertex_count)
    shuffled = Mesh(mesh.vertices[order], np.argsort(order)[mesh.faces], mesh.normals[order], mesh.uvs[order])
    doubled = Mesh(
        np.vstack([shuffled.vertices, shuffled.vertices]),
        np.vstack([shuffled.faces[::2], shuffled.faces[1::2] + shuffled.vertex_count]),
        np.vstack([shuffled.normals, shuffled.normals]),
        np.vstack([shuffled.uvs, shuffled.uvs]),
    )
    cleaned = clean(doubled)
    assert cleaned.vertex_count == mesh.vertex_count  # exact duplicates merged, seam twins kept
    assert cleaned.triangle_count == mesh.triangle_count
    key = {
        tuple(p) + tuple(t): i
        for i, (p, t) in enumerate(zip(mesh.vertices.tolist(), mesh.uvs.tolist(), strict=True))
    }
    source = np.array(
        [
            key[tuple(p) + tuple(t)]
            for p, t in zip(cleaned.vertices.tolist(), cleaned.uvs.tolist(), strict=True)
        ]
    )
    np.testing.assert_array_equal(cleaned.normals, mesh.normals[source])
    np.testing.assert_array_equal(canonical(source[cleaned.faces]), canonical(mesh.faces))


def test_clean_drops_pieces_small_in_both_triangles_and_area() -> None:
    sphere = icosphere(3)
    small = icosphere(2)
    smaller = Mesh(small.vertices * 0.5 + [3.0, 0, 0], small.faces)  # 1/4 the triangles and area
    assert clean(combine(sphere, smaller)).triangle_count == sphere.triangle_count + small.triangle_count
    assert clean(combine(sphere, smaller), min_component_fraction=0.3).triangle_count == sphere.triangle_count
    fine = Mesh(icosphere(4).vertices * 0.3 + [3.0, 0, 0], icosphere(4).faces)  # more triangles, less area
    assert (
        clean(combine(sphere, fine), min_component_fraction=0.3).triangle_count
        == sphere.triangle_count + fine.triangle_count
    )


# ----------------------------------------------------------------------------- normalize


@pytest.mark.parametrize(
    ("pivot", "lo", "hi"),
    [
        ("bottom-center", [-0.5, 0.0, -0.25], [0.5, 2.0, 0.25]),
        ("center", [-0.5, -1.0, -0.25], [0.5, 1.0, 0.25]),
        ("original", [-0.5, 1.0, 1.5], [0.5, 3.0, 2.0]),
    ],
)
def test_normalize_scales_to_height_and_moves_pivot(pivot: str, lo: list[float], hi: list[float]) -> None:
    box = trimesh.creation.box(bounds=[[-1, 2, 3], [1, 6, 4]])
    normals = vertex_normals(box.vertices, box.faces)
    mesh = Mesh(box.vertices, box.faces, normals, np.zeros((8, 2)))
    out = normalize(mesh, 2.0, pivot)
    np.testing.assert_allclose(out.bounds(), [lo, hi], atol=1e-6)
    np.testing.assert_array_equal(out.normals, normals)
    np.testing.assert_array_equal(out.faces, mesh.faces)
    assert out.uvs is not None


def test_normalize_refuses_bad_input() -> None:
    flat = Mesh([[0, 0, 0], [1, 0, 0], [0, 0, 1]], [[0, 1, 2]])
    with pytest.raises(InputError, match="no height"):
        normalize(flat, 1.0)
    with pytest.raises(InputError, match="pivot"):
        normalize(icosphere(1), 1.0, "top")
    with pytest.raises(InputError, match="greater than zero"):
        normalize(icosphere(1), 0.0)


# ----------------------------------------------------------------------------- normals


def test_vertex_normals_of_a_sphere_are_radial_and_unit() -> None:
    sphere = icosphere(4)
    normals = vertex_normals(sphere.vertices, sphere.faces)
    assert normals.dtype == np.float32 and normals.shape == (sphere.vertex_count, 3)
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1, atol=1e-6)
    assert np.all(np.einsum("ij,ij->i", normals, sphere.vertices) > 0.999)


def test_vertex_normals_are_area_weighted_and_safe_for_isolated_vertices() -> None:
    vertices = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 10], [5, 5, 5]]
    faces = [[0, 1, 2], [0, 3, 1]]  # facing +z and, 10x larger, +y
    normals = vertex_normals(vertices, faces)
    np.testing.assert_allclose(normals[4], [0, 1, 0])
    expected = np.array([0, 10, 1]) / np.linalg.norm([0, 10, 1])
    np.testing.assert_allclose(normals[0], expected, atol=1e-6)


def test_welded_normals_match_across_uv_seams() -> None:
    mesh = chart_uvs(icosphere(3))
    normals = welded_vertex_normals(mesh.vertices, mesh.faces)
    _, _, index_map = weld(mesh.vertices, mesh.faces)
    first = np.zeros(index_map.max() + 1, dtype=int)
    first[index_map[::-1]] = np.arange(len(index_map))[::-1]
    np.testing.assert_array_equal(normals, normals[first[index_map]])
    assert np.all(np.einsum("ij,ij->i", normals, mesh.vertices) > 0.99)


# ----------------------------------------------------------------------------- metrics


def test_point_mesh_distance_to_a_unit_cube() -> None:
    box = cube()
    points = [[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1], [0.5, 0.2, 0.1], [0.4, 0, 0], [0.2, -0.3, 0.25]]
    expected = [0.5, 0.5, np.sqrt(0.5), np.sqrt(0.75), 0.0, 0.1, 0.2]
    np.testing.assert_allclose(point_mesh_distance(points, box.vertices, box.faces), expected, atol=1e-7)


def test_point_mesh_distance_matches_brute_force() -> None:
    ring = torus(24, 12)
    rng = np.random.default_rng(4)
    points = rng.uniform(-1.5, 1.5, (300, 3))
    triangles = ring.vertices[ring.faces].astype(np.float64)
    pairs = trimesh.triangles.closest_point(
        np.repeat(triangles[None], len(points), axis=0).reshape(-1, 3, 3),
        np.repeat(points, len(triangles), axis=0),
    )
    brute = (
        np.linalg.norm(pairs - np.repeat(points, len(triangles), axis=0), axis=1)
        .reshape(len(points), -1)
        .min(axis=1)
    )
    np.testing.assert_allclose(
        Surface(ring.vertices, ring.faces).distances(points, k=ring.triangle_count), brute, atol=1e-9
    )
    assert np.all(point_mesh_distance(points, ring.vertices, ring.faces) >= brute - 1e-9)


def test_surface_samples_lie_on_the_surface_by_area() -> None:
    vertices = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [5, 0, 0], [5, 3, 0], [8, 0, 0]]
    faces = [[0, 1, 2], [3, 5, 4]]  # areas 0.5 and 4.5
    points = surface_samples(vertices, faces, 20000, seed=1)
    assert points.shape == (20000, 3)
    assert np.all(point_mesh_distance(points, vertices, faces) < 1e-9)
    assert np.mean(points[:, 0] >= 5) == pytest.approx(0.9, abs=0.01)
    np.testing.assert_array_equal(points, surface_samples(vertices, faces, 20000, seed=1))


@pytest.mark.parametrize("samples", [20000, None])
def test_max_deviation(samples: int | None) -> None:
    sphere = icosphere(4)
    assert max_deviation(sphere, sphere, samples) < 1e-9
    moved = Mesh(sphere.vertices + np.array([0.01, 0, 0], dtype=np.float32), sphere.faces)
    assert max_deviation(sphere, moved, samples) == pytest.approx(0.01, rel=0.05)
    box = cube()
    bigger = Mesh(box.vertices * 1.2, box.faces)
    assert max_deviation(box, bigger, samples) == pytest.approx(np.sqrt(3) * 0.1, rel=0.01)


# ----------------------------------------------------------------------------- LODs


def fractions_of(mesh: Mesh, fractions: tuple[float, ...] = (0.5, 0.25, 0.1)) -> list[int]:
    return [round(mesh.triangle_count * f) for f in fractions]


@pytest.fixture(scope="module")
def uv_sphere_lods() -> tuple[Mesh, list]:
    lod0 = chart_uvs(icosphere(5))
    lod0.normals = welded_vertex_normals(lod0.vertices, lod0.faces)
    return lod0, build_lods(lod0, fractions_of(lod0))


def test_lods_hit_their_budgets_and_stay_watertight(uv_sphere_lods) -> None:
    lod0, lods = uv_sphere_lods
    assert [lod.level for lod in lods] == [0, 1, 2, 3]
    assert lods[0].mesh is lod0 and lods[0].error_pct == 0
    for lod, target in zip(lods[1:], fractions_of(lod0), strict=True):
        assert abs(lod.mesh.triangle_count - target) <= 0.05 * target
        report = validate(lod.mesh)
        assert report.watertight and report.manifold and report.winding_consistent and report.outward


def test_lods_carry_uvs_consistently(uv_sphere_lods) -> None:
    lod0, lods = uv_sphere_lods
    lo, hi = lod0.vertices.min(axis=0).astype(np.float64), lod0.vertices.max(axis=0).astype(np.float64)
    for lod in lods[1:]:
        mesh = lod.mesh
        assert mesh.uvs is not None and mesh.uvs.shape == (mesh.vertex_count, 2)
        assert np.all((mesh.uvs >= 0) & (mesh.uvs <= 1))
        chart = uv_chart(mesh.uvs)
        face_chart = chart[mesh.faces]
        assert np.all(face_chart == face_chart[:, :1])  # no triangle straddles two charts
        drift = np.linalg.norm(mesh.uvs - _project(mesh.vertices.astype(np.float64), chart, lo, hi), axis=1)
        # UVs come from each surviving vertex's original UV while the simplifier moves the vertex
        # to its quadric optimum, so they drift a little (a chart tile here is 0.3 wide).
        assert np.median(drift) < 0.005 and np.percentile(drift, 99) < 0.03 and drift.max() < 0.05
        _, _, index_map = weld(mesh.vertices, mesh.faces)
        twins = np.bincount(index_map)[index_map] > 1
        assert twins.any()  # seams survive simplification
        charts_per_position = np.unique(np.stack([index_map, chart], axis=1)[twins], axis=0)
        assert len(charts_per_position) == twins.sum()  # seam twins sit in different charts


def test_lod_errors_are_small_and_grow(uv_sphere_lods) -> None:
    _, lods = uv_sphere_lods
    errors = [lod.error_pct for lod in lods]
    assert 0 < errors[1] < errors[3] < 1.0
    assert errors[1] <= errors[2] * 1.05 and errors[2] <= errors[3] * 1.05


def test_lod_normals_are_smooth_across_seams(uv_sphere_lods) -> None:
    _, lods = uv_sphere_lods
    mesh = lods[3].mesh
    np.testing.assert_allclose(np.linalg.norm(mesh.normals, axis=1), 1, atol=1e-5)
    assert np.all(
        np.einsum(
            "ij,ij->i", mesh.normals, mesh.vertices / np.linalg.norm(mesh.vertices, axis=1, keepdims=True)
        )
        > 0.95
    )


def test_lods_without_uvs() -> None:
    lod0 = icosphere(6)
    lods = build_lods(lod0, fractions_of(lod0))
    for lod, target in zip(lods[1:], fractions_of(lod0), strict=True):
        assert lod.mesh.uvs is None
        assert abs(lod.mesh.triangle_count - target) <= 0.05 * target
        assert validate(lod.mesh).watertight
    assert 0 < lods[1].error_pct < lods[3].error_pct < 1.0


def test_surviving_vertices_match_fast_simplification_on_open_meshes() -> None:
    sphere = icosphere(5)
    rng = np.random.default_rng(9)
    holes = Mesh(sphere.vertices, sphere.faces[rng.random(sphere.triangle_count) > 0.02])
    used = np.unique(holes.faces)
    remap = np.zeros(sphere.vertex_count, dtype=np.int64)
    remap[used] = np.arange(len(used))
    vertices, faces = holes.vertices[used], remap[holes.faces].astype(np.int32)
    for preserve_border in (False, True):
        points, _, collapses = fast_simplification.simplify(
            vertices,
            faces,
            target_count=len(faces) // 4,
            return_collapses=True,
            preserve_border=preserve_border,
        )
        kept = surviving_vertices(len(vertices), faces, collapses)
        assert len(kept) == len(points)
        moved = np.linalg.norm(points - vertices[kept], axis=1)
        assert np.median(moved) < 0.05


def test_lod_budget_above_previous_level_copies_it() -> None:
    lod0 = icosphere(3)
    lods = build_lods(lod0, [lod0.triangle_count + 100, 600])
    assert lods[1].mesh.triangle_count == lod0.triangle_count and lods[1].error_pct == 0
    assert lods[1].mesh is not lod0
    assert abs(lods[2].mesh.triangle_count - 600) <= 30


def test_lod_budgets_must_decrease() -> None:
    with pytest.raises(InputError, match="decrease"):
        build_lods(icosphere(3), [500, 500])
    with pytest.raises(InputError, match="decrease"):
        build_lods(icosphere(3), [0])


def test_lod_measurement_can_be_skipped() -> None:
    lod0 = icosphere(4)
    lods = build_lods(lod0, [1000], measure_samples=0)
    assert lods[1].error_pct == 0 and abs(lods[1].mesh.triangle_count - 1000) <= 50


def test_lod_progress_and_cancel() -> None:
    lod0 = icosphere(4)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        build_lods(lod0, fractions_of(lod0), token)

    token = CancelToken()
    reports: list[tuple[float, str]] = []

    def cancel_after_first_level(fraction: float, message: str) -> None:
        reports.append((fraction, message))
        if fraction >= 1 / 3:
            token.cancel()

    with pytest.raises(Cancelled):
        build_lods(lod0, fractions_of(lod0), token, cancel_after_first_level)
    assert [f for f, _ in reports] == pytest.approx([1 / 6, 1 / 3])
    assert "LOD1" in reports[-1][1]


def test_lods_are_thread_safe() -> None:
    meshes = [icosphere(5), torus(160, 64)]
    expected = [build_lods(m, fractions_of(m), measure_samples=0) for m in meshes]
    results: dict[int, list] = {}

    def run(i: int) -> None:
        results[i] = build_lods(meshes[i], fractions_of(meshes[i]), measure_samples=0)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(meshes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, lods in enumerate(expected):
        for got, want in zip(results[i], lods, strict=True):
            np.testing.assert_array_equal(got.mesh.faces, want.mesh.faces)
            np.testing.assert_array_equal(got.mesh.vertices, want.mesh.vertices)


def test_edge_sort_falls_back_when_keys_do_not_pack() -> None:
    rng = np.random.default_rng(1)
    small = rng.integers(0, 1000, 5000)
    np.testing.assert_array_equal(_sort_order(small, 1000), np.argsort(small, kind="stable"))
    huge = rng.integers(0, 2**61, 5000)
    np.testing.assert_array_equal(_sort_order(huge, 2**61), np.argsort(huge, kind="stable"))


def subdivided_box(times: int) -> Mesh:
    box = trimesh.creation.box(extents=[2.0, 2.0, 0.3])
    for _ in range(times):
        box = box.subdivide()
    return Mesh(box.vertices, box.faces)


@pytest.mark.parametrize("with_uvs", [False, True], ids=["plain", "uvs"])
def test_lods_of_flat_faces_and_sharp_corners_stay_watertight(with_uvs: bool) -> None:
    # Flat faces meeting at right angles make the simplifier move several vertices onto one
    # corner and fold triangles onto each other: both must be repaired.
    lod0 = subdivided_box(5)
    lod0 = chart_uvs(lod0) if with_uvs else lod0
    lods = build_lods(lod0, fractions_of(lod0, (0.25, 0.1, 0.05, 0.02)))
    for lod in lods[1:]:
        report = validate(lod.mesh)
        assert report.watertight and report.manifold and report.winding_consistent, lod.level
        assert report.degenerate_faces == 0
        assert lod.error_pct < 10  # fast-simplification is weak on boxes: ~5% at 2% of the triangles


def test_repair_finds_pinches_and_cancels_folds() -> None:
    pair = combine(cube(), cube((1.0, 1.0, 0.0)))
    _, welded, _ = weld(pair.vertices, pair.faces)
    keep, pinched = _repair_topology(welded, int(welded.max()) + 1)
    assert keep.all()
    np.testing.assert_array_equal(np.sort(pair.vertices[pinched][:, 2]), [-0.5, 0.5])
    assert np.all(pair.vertices[pinched][:, :2] == 0.5)

    sphere = icosphere(2)
    a, b = sphere.faces[0, :2]
    c = int(np.argmin(sphere.vertices @ sphere.vertices[a]))  # far from a and b
    fin = np.array([[a, b, c], [b, a, c]])  # folded onto the existing edge a-b
    folded = np.vstack([sphere.faces, fin, sphere.faces[:1]])  # plus a same-way duplicate
    keep, pinched = _repair_topology(folded, sphere.vertex_count)
    assert len(pinched) == 0
    n = sphere.triangle_count
    np.testing.assert_array_equal(np.flatnonzero(~keep), [n, n + 1, n + 2])


def test_locked_vertices_stay_in_place() -> None:
    sphere = icosphere(4)
    locked = np.arange(0, sphere.vertex_count, 97)
    out, _ = _simplify_once(sphere, sphere.triangle_count // 8, locked)
    positions = {tuple(p) for p in out.vertices.tolist()}
    assert all(tuple(p) in positions for p in sphere.vertices[locked].tolist())
    assert out.vertex_count < sphere.vertex_count // 4
    assert validate(out).watertight

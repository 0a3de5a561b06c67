"""LODs at their triangle budgets and with LOD0's look: their own UVs, in one taller atlas.

A LOD simplified from LOD0 keeps LOD0's UV atlas, so its seams stay where LOD0's are: each side
of a seam is a border the simplifier may only thin along the seam (`mesh.seams`). On a small
LOD0 with many small charts (xatlas cuts a low-poly shape into hundreds) that leaves more seam
vertices than a low LOD has room for, and it stops short of its budget. And its vertices move
while their UVs stay, so a normal map slides over its surface and its detail shows warped. Such
a level (with a normal map: every level below LOD0), and every level below it, is made here
from the geometry alone (welded, no seams: it reaches its budget), unwrapped on its own, and
given its own region of the one texture: the atlas grows by a strip half as tall as LOD0's
square, below it (LOD0's texels are not touched), holding the first such level at half LOD0's
texel density and up to three more at a quarter, about what a distant LOD is shown at. One
material, one set of textures, so every writer and engine reads it as before.

The strip is filled from LOD0 itself: each of its texels finds LOD0's surface (the bake's ray
search) and takes LOD0's base colour there, its occlusion, and its normal-map normal (decoded in
LOD0's frame, encoded again in the level's MikkTSpace frame), so every LOD shows LOD0's look,
which was baked from the full-detail shape; no full-detail shape is needed, so an export that
remakes the chain does the same.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from app.core.base.cancel import CancelToken
from app.core.mesh.cleanup import weld
from app.core.mesh.lod import simplify
from app.core.mesh.metrics import Deviation
from app.core.mesh.normals import shading_normals, welded_vertex_normals
from app.core.mesh.tangents import with_tangents
from app.core.mesh.types import Lod, Material, MaterialMaps, Mesh
from app.core.render.raster import rasterize
from app.core.texture.fill import push_pull_fill
from app.core.texture.normal_bake import TexelFrames, encode_normals, find_detail
from app.core.texture.rays import SurfaceTracer
from app.core.texture.unwrap import unwrap

BUDGET_TOLERANCE = 0.01
"""A level more than this share over its budget is made again with its own UVs (half the 2 %
a LOD may miss its budget by, so a level the seams barely held is remade too)."""
STRIP_LEVELS = 4
"""Levels the strip holds: one at half LOD0's texel density, three at a quarter."""
RETRIES = 3
"""Simplifications of one level after the first, when it came out short of its budget."""
CAGE_PCT = 3.0
"""How far (in % of LOD0's diagonal) a strip texel looks for LOD0's surface."""


@dataclass(frozen=True)
class Region:
    """A square of the atlas in pixels: left, top, side."""

    x: int
    y: int
    size: int


def strip_regions(width: int) -> list[Region]:
    """The strip's squares under a `width`² LOD0 square, largest first."""
    half, quarter = width // 2, width // 4
    return [
        Region(0, width, half),
        Region(half, width, quarter),
        Region(half + quarter, width, quarter),
        Region(half, width + quarter, quarter),
    ]


def first_over_budget(lods: list[Lod], budgets: list[int]) -> int | None:
    """The first level (1..) more than BUDGET_TOLERANCE over its budget, or None."""
    for lod, budget in zip(lods[1:], budgets, strict=False):
        if lod.mesh.triangle_count > budget * (1 + BUDGET_TOLERANCE):
            return lod.level
    return None


def fit_chain(
    lods: list[Lod],
    budgets: list[int],
    material: Material,
    cancel: CancelToken | None = None,
) -> tuple[list[Lod], Material, dict[str, Any]]:
    """`lods` with every level at its budget (`budgets[k - 1]` for LOD k) and showing LOD0's look,
    and the material whose textures hold them (module docstring).

    With a normal map every level below LOD0 is made again with its own UVs in the strip: on
    LOD0's atlas a lower level's vertices have moved while their UVs stayed, which slides the map
    over the surface (its detail shows warped), where a level's own texels, filled from LOD0's
    surface point by point, show it where it is. Without one only the levels from the first one
    LOD0's seams hold over budget are. Nothing changes when LOD0 has no UVs. Returns what was
    done, for provenance and a note."""
    cancel = cancel or CancelToken()
    lod0 = lods[0].mesh
    by_map = material.maps.normal is not None and len(lods) > 1
    first = 1 if by_map else first_over_budget(lods, budgets)
    texture = material.base_color_texture
    if first is None or lod0.uvs is None:
        return lods, material, {}
    start = time.perf_counter()
    shape = texture.shape if texture is not None else _maps_shape(material.maps)
    if shape is None:
        return lods, material, {}
    width, old_height = shape[1], shape[0]
    height = width + width // 2  # an atlas that already has its strip keeps its size
    regions = strip_regions(width)
    remade = _remade_levels(lods, budgets, first, cancel)[: len(regions)]
    last = first + len(remade)
    squeeze = old_height / height
    shared = [_in_square(lod, squeeze) for lod in lods[:first]]
    placed: list[Lod] = []
    # Each unwrap runs in its own child process, mostly starting up: side by side they overlap.
    sizes = [region.size for region in regions[: len(remade)]]
    with ThreadPoolExecutor(max_workers=max(len(remade), 1)) as pool:
        unwrapped = list(pool.map(lambda lod, size: unwrap(lod.mesh, size, cancel), remade, sizes))
    for lod, region, mesh in zip(remade, regions, unwrapped, strict=False):
        placed.append(replace(lod, mesh=_in_region(mesh, region, width, height)))
    reference = _with_frames(lod0) if material.maps.normal is not None else lod0
    if material.maps.normal is not None:
        placed = [replace(lod, mesh=with_tangents(lod.mesh)) for lod in placed]
    transfer = _Transfer(reference, material, width, height)
    for lod in placed:
        cancel.raise_if_cancelled()
        transfer.add(lod.mesh)
    material = transfer.material()
    seconds = time.perf_counter() - start
    details = {
        "own_uvs_from": f"LOD{first}",
        "because": "normal map" if by_map else "budgets",
        "levels": [lod.level for lod in placed],
        "atlas": [width, height],
        "seconds": round(seconds, 3),
        "seconds_per_level": round(seconds / max(len(placed), 1), 3),
    }
    rest = [_in_square(lod, squeeze) for lod in lods[last:]]
    return [*shared, *placed, *rest], material, details


def chain_note(details: dict[str, Any]) -> str:
    """One line for the user about what `fit_chain` did ("" when nothing)."""
    if not details:
        return ""
    width, height = details["atlas"]
    levels = ", ".join(f"LOD{level}" for level in details["levels"])
    why = (
        "so that the normal map shows each where it is"
        if details.get("because") == "normal map"
        else "since LOD0's UV seams held them above their triangle budgets"
    )
    return f"{levels} made with their own UVs, {why}, in a strip below LOD0's texture (now {width}×{height})"


def _maps_shape(maps: MaterialMaps) -> tuple[int, ...] | None:
    image = maps.normal if maps.normal is not None else maps.occlusion
    return None if image is None else image.shape


def _remade_levels(lods: list[Lod], budgets: list[int], first: int, cancel: CancelToken) -> list[Lod]:
    """Levels `first`.. simplified from the geometry of the level above, welded (no seams), each
    from the one before (as `build_lods` cascades)."""
    above = lods[first - 1].mesh
    vertices, faces, _ = weld(above.vertices, above.faces)
    previous = Mesh(vertices, faces, welded_vertex_normals(vertices, faces))
    deviation = Deviation(lods[0].mesh, 20000)
    diagonal = max(lods[0].mesh.diagonal(), 1e-12)
    out = []
    for level, budget in enumerate(budgets[first - 1 :], start=first):
        cancel.raise_if_cancelled()
        mesh = _at_budget(previous, budget)
        mesh.normals = welded_vertex_normals(mesh.vertices, mesh.faces)
        out.append(Lod(level, mesh, deviation.measure(mesh) / diagonal * 100))
        previous = mesh
    return out


def _at_budget(mesh: Mesh, budget: int) -> Mesh:
    """`mesh` simplified to `budget`: the repairs after a collapse (slivers, folds) can take a few
    per cent more than asked, so a result short of it is made again from a target raised by
    what was missing."""
    target = budget
    result = simplify(mesh, target)
    for _ in range(RETRIES):
        missing = budget - result.triangle_count
        if missing <= BUDGET_TOLERANCE * budget or target + missing >= mesh.triangle_count:
            break
        target += missing
        result = simplify(mesh, target)
    return result


def _in_square(lod: Lod, squeeze: float) -> Lod:
    """A level on LOD0's atlas, its UVs squeezed by `squeeze` (old atlas height / new) into the
    square at the top of the taller atlas."""
    mesh = lod.mesh
    if mesh.uvs is None or squeeze == 1:
        return lod
    uvs = mesh.uvs.copy()
    uvs[:, 1] *= np.float32(squeeze)
    return replace(lod, mesh=replace(mesh, uvs=uvs))


def _in_region(mesh: Mesh, region: Region, width: int, height: int) -> Mesh:
    assert mesh.uvs is not None
    uvs = np.empty_like(mesh.uvs)
    uvs[:, 0] = (region.x + mesh.uvs[:, 0] * region.size) / width
    uvs[:, 1] = (region.y + mesh.uvs[:, 1] * region.size) / height
    return replace(mesh, uvs=uvs, tangents=None)


def _with_frames(mesh: Mesh) -> Mesh:
    return mesh if mesh.tangents is not None and mesh.normals is not None else with_tangents(mesh)


class _Transfer:
    """The taller atlas under construction: LOD0's square copied, strip texels taken from LOD0."""

    def __init__(self, reference: Mesh, material: Material, width: int, height: int) -> None:
        self.reference, self.source, self.width, self.height = reference, material, width, height
        self.tracer = SurfaceTracer(reference)
        self.normals = shading_normals(reference)
        self.cage = CAGE_PCT / 100 * max(reference.diagonal(), 1e-9)
        maps = material.maps
        self.before: dict[str, np.ndarray] = {}
        """The textures as `reference`'s UVs address them."""
        if material.base_color_texture is not None:
            self.before["color"] = material.base_color_texture
        if maps.normal is not None:
            self.before["normal"] = maps.normal
        if maps.occlusion is not None:
            self.before["occlusion"] = maps.occlusion[..., None]
        self.layers = {name: _taller(image[:width], height) for name, image in self.before.items()}
        self.known = np.zeros((height, width), dtype=np.float32)
        self.known[:width] = 1.0

    def add(self, mesh: Mesh) -> None:
        """Fill `mesh`'s texels (its UVs in the strip) from LOD0."""
        assert mesh.uvs is not None
        size = np.array([self.width, self.height], dtype=np.float32)
        cov = rasterize(mesh.uvs * size, mesh.faces, (self.width, self.height))
        corners = mesh.faces[cov.faces]
        blend = lambda values: np.einsum("kj,kjc->kc", cov.bary, values[corners])  # noqa: E731
        tangents = blend(mesh.tangents) if mesh.tangents is not None else None
        frames = TexelFrames(
            points=blend(mesh.vertices),
            normal=blend(shading_normals(mesh)),
            tangent=tangents[:, :3] if tangents is not None else np.zeros((len(cov.pixels), 3), np.float32),
            sign=np.where(tangents[:, 3] < 0, -1.0, 1.0).astype(np.float32)
            if tangents is not None
            else np.ones(len(cov.pixels), np.float32),
        )
        hits, _ = find_detail(self.tracer, self.normals, frames, self.cage, 1e-4 * self.cage)
        hit = hits.hit
        pixels = cov.pixels[hit]
        uv = hits.interpolate(self.reference.faces, self.reference.uvs)[hit]
        row, col = np.divmod(pixels, self.width)
        for name, image in self.layers.items():
            sampled = _bilinear(self.before[name], uv)
            if name == "normal":
                sampled = self._normals_in(frames, hits, hit, sampled)
            image[row, col] = sampled
        self.known[row, col] = 1.0

    def _normals_in(self, frames: TexelFrames, hits: Any, hit: np.ndarray, coded: np.ndarray) -> np.ndarray:
        """LOD0's normal-map colours `coded` (at the hits) re-encoded in the level's frames."""
        ref = self.reference
        assert ref.tangents is not None and ref.normals is not None
        n = hits.interpolate(ref.faces, ref.normals)[hit]
        t4 = hits.interpolate(ref.faces, ref.tangents)[hit]
        sign = np.where(t4[:, 3] < 0, -1.0, 1.0)[:, None]
        b = sign * np.cross(n, t4[:, :3])
        c = coded.astype(np.float32) / 255 * 2 - 1
        world = c[:, :1] * t4[:, :3] + c[:, 1:2] * b + c[:, 2:] * n
        world /= np.maximum(np.linalg.norm(world, axis=1, keepdims=True), 1e-12)
        level = TexelFrames(frames.points[hit], frames.normal[hit], frames.tangent[hit], frames.sign[hit])
        return encode_normals(world.astype(np.float32), level)

    def material(self) -> Material:
        filled = {name: push_pull_fill(image, self.known) for name, image in self.layers.items()}
        maps = self.source.maps
        maps = replace(
            maps,
            normal=filled.get("normal", maps.normal),
            occlusion=filled["occlusion"][..., 0] if "occlusion" in filled else maps.occlusion,
        )
        return replace(self.source, base_color_texture=filled.get("color"), maps=maps)


def _taller(image: np.ndarray, height: int) -> np.ndarray:
    """`image` (LOD0's square) with empty rows below it up to `height`."""
    out = np.zeros((height, *image.shape[1:]), dtype=image.dtype)
    out[: image.shape[0]] = image
    return out


def _bilinear(image: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """`image` (H, W, C) sampled at glTF UVs (origin top-left, texel centres at half pixels)."""
    height, width = image.shape[:2]
    x = np.clip(uv[:, 0] * width - 0.5, 0, width - 1)
    y = np.clip(uv[:, 1] * height - 0.5, 0, height - 1)
    x0, y0 = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    x1, y1 = np.minimum(x0 + 1, width - 1), np.minimum(y0 + 1, height - 1)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    pixels = image.astype(np.float32)
    top = pixels[y0, x0] * (1 - fx) + pixels[y0, x1] * fx
    bottom = pixels[y1, x0] * (1 - fx) + pixels[y1, x1] * fx
    return np.clip(np.rint(top * (1 - fy) + bottom * fy), 0, 255).astype(image.dtype)

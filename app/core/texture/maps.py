"""Bake the game-ready maps of a textured LOD0 from the full-detail shape: a tangent-space normal
map (MikkTSpace, green +Y) and ambient occlusion, on LOD0's own UV atlas.

Every texel of the atlas is traced to its point on LOD0 (rasterising LOD0 in UV space, as the
colour bake does) and from there to the full-detail surface (`normal_bake.find_detail`); that
one hit serves both maps. Texels no ray reached and the UV gutter are filled from their
neighbours (push-pull), so bilinear filtering and mip-maps show no seams. Roughness stays the
material's constant and metallic is 0: Sweedle's pictures say nothing about either.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from app.core.base.cancel import CancelToken
from app.core.base.progress import StepProgress
from app.core.mesh.normals import shading_normals
from app.core.mesh.tangents import with_tangents
from app.core.mesh.types import Lod, Material, MaterialMaps, Mesh
from app.core.render.raster import rasterize
from app.core.texture.ao_bake import vertex_occlusion
from app.core.texture.fill import push_pull_fill
from app.core.texture.normal_bake import FLAT_NORMAL, TexelFrames, encode_normals, find_detail
from app.core.texture.rays import SurfaceTracer

TEXEL_CHUNK = 1 << 20
"""Texels traced at once: bounds the per-texel arrays to ~100 MB at any texture size."""


@dataclass(frozen=True)
class BakeSettings:
    """Which maps to bake and how far their rays reach."""

    normal_map: bool = True
    occlusion: bool = False
    cage_pct: float = 2.0
    """How far from LOD0 (in % of the full-detail shape's bounding-box diagonal) a texel looks for
    the full-detail surface, outwards and inwards: above LOD0's largest deviation from it, below
    the thickness of the thinnest part."""
    ao_rays: int = 16
    """Hemisphere rays per full-detail vertex (stratified, then averaged with the neighbours':
    a full-detail shape has far more vertices than the texels that show them)."""
    ao_distance_pct: float = 10.0
    """How far (in % of the diagonal) geometry still occludes: nearby creases, not the whole
    object's self-shadowing."""

    @property
    def wanted(self) -> bool:
        return self.normal_map or self.occlusion

    def details(self) -> dict[str, object]:
        return {
            "normal_map": self.normal_map,
            "occlusion": self.occlusion,
            "cage_pct": self.cage_pct,
            "ao_rays": self.ao_rays,
            "ao_distance_pct": self.ao_distance_pct,
        }


def bake_maps(
    lod0: Mesh,
    source: Mesh,
    texture_size: int,
    settings: BakeSettings,
    *,
    cancel: CancelToken | None = None,
    progress: StepProgress | None = None,
) -> tuple[Mesh, MaterialMaps]:
    """(LOD0 as the maps fit it, its maps baked from `source`).

    LOD0 must have UVs with no overlapping charts. With a normal map, the returned LOD0 carries
    the MikkTSpace tangents it was baked in (computed when it had none; a vertex may be split
    for them, see `with_tangents`): the map is only right in that exact basis. Raises
    `BakeUnavailable` where the ray caster cannot be loaded, `Cancelled` when `cancel` is set.
    """
    if lod0.uvs is None:
        raise ValueError("baking maps needs a LOD0 with UVs: unwrap it first")
    cancel = cancel or CancelToken()
    report = progress or (lambda _f, _m: None)
    if not settings.wanted:
        return lod0, MaterialMaps()
    report(0.0, "tangents for LOD0")
    lod = lod0 if lod0.tangents is not None else with_tangents(lod0)
    size = texture_size
    report(0.0, "building the ray-casting structure")
    tracer = SurfaceTracer(source)
    detail_normals = shading_normals(source)
    diagonal = max(source.diagonal(), 1e-9)
    cancel.raise_if_cancelled()
    occlusion = None
    if settings.occlusion:
        report(0.05, f"ambient occlusion of {source.triangle_count:,} triangles")
        occlusion = vertex_occlusion(
            tracer,
            detail_normals,
            settings.ao_rays,
            settings.ao_distance_pct / 100 * diagonal,
            cancel=cancel,
            progress=lambda f: report(0.05 + 0.4 * f, "ambient occlusion"),
        )
    report(0.45, "finding the texels on LOD0")
    cov = rasterize(lod.uvs * np.float32(size), lod.faces, (size, size))
    # Normal in channels 0-2, occlusion in 3: one gutter fill serves both.
    image = np.zeros((size * size, 4), dtype=np.uint8)
    known = np.zeros(size * size, dtype=np.float32)
    cage = settings.cage_pct / 100 * diagonal
    offset = 1e-4 * diagonal
    texels = len(cov.pixels)
    for start in range(0, texels, TEXEL_CHUNK):
        cancel.raise_if_cancelled()
        part = slice(start, min(start + TEXEL_CHUNK, texels))
        frames = TexelFrames.at(lod, cov.faces[part], cov.bary[part])
        hits, detail = find_detail(tracer, detail_normals, frames, cage, offset)
        hit = hits.hit
        pixels = cov.pixels[part][hit]
        known[pixels] = 1.0
        if settings.normal_map:
            image[pixels, :3] = encode_normals(detail, frames)[hit]
        if occlusion is not None:
            shade = hits.interpolate(source.faces, occlusion)[hit]
            image[pixels, 3] = np.clip(np.rint(shade * 255), 0, 255).astype(np.uint8)
        report(0.45 + 0.5 * part.stop / max(texels, 1), "baking texels")
    cancel.raise_if_cancelled()
    report(0.95, "filling the UV gutter")
    hit_share = float(known.sum()) / max(texels, 1)
    weights = known.reshape(size, size)
    filled = (
        push_pull_fill(image.reshape(size, size, 4), weights)
        if (weights > 0).any()
        else np.broadcast_to(np.uint8([*FLAT_NORMAL, 255]), (size, size, 4))
    )
    maps = MaterialMaps(
        normal=np.ascontiguousarray(filled[..., :3]) if settings.normal_map else None,
        occlusion=np.ascontiguousarray(filled[..., 3]) if occlusion is not None else None,
        details={
            **settings.details(),
            "source_triangles": source.triangle_count,
            "texture_size": size,
            "texels_hit": round(hit_share, 4),
        },
    )
    report(1.0, "maps baked")
    return (lod if settings.normal_map else lod0), maps


def bake_chain(
    lods: list[Lod],
    source: Mesh,
    material: Material,
    texture_size: int,
    settings: BakeSettings,
    *,
    cancel: CancelToken | None = None,
    progress: StepProgress | None = None,
) -> tuple[list[Lod], Material, dict[str, Any]]:
    """Maps for a LOD chain that shares LOD0's UV atlas: baked onto LOD0 from `source`, and, with
    a normal map, every lower LOD given LOD0's frames (`follow_frames`) so that the one map shows
    the same surface on each. Returns the LODs, the material with the maps, and what was done
    (for provenance).

    The normal map is skipped when LOD0 is `source` itself (only split along its UV seams, not
    reduced): it would hold no detail. Raises `BakeUnavailable` where the ray caster is missing.
    """
    cancel = cancel or CancelToken()
    report = progress or (lambda _f, _m: None)
    lod0 = lods[0].mesh
    details: dict[str, Any] = {}
    if settings.normal_map and lod0.triangle_count == source.triangle_count:
        settings = replace(settings, normal_map=False)
        details["normal_map_skipped"] = "LOD0 is the full-detail shape: there is no detail to carry"
    if lod0.uvs is None:
        return lods, material, details | {"skipped": "LOD0 has no UVs"}
    if not settings.wanted:
        return lods, material, details
    lod0, maps = bake_maps(
        lod0, source, texture_size, settings, cancel=cancel, progress=lambda f, m: report(0.9 * f, m)
    )
    material = replace(material, maps=maps)
    details |= maps.details
    out = [Lod(0, lod0, lods[0].error_pct)]
    if maps.normal is None:
        return out + lods[1:], material, details
    report(0.9, "LOD0's frames for every LOD")
    start = time.perf_counter()
    for lod in lods[1:]:
        cancel.raise_if_cancelled()
        out.append(Lod(lod.level, follow_frames(lod.mesh, lod0), lod.error_pct))
    details["lower_lod_frames"] = {"from": "LOD0", "seconds": round(time.perf_counter() - start, 3)}
    return out, material, details


def follow_frames(mesh: Mesh, reference: Mesh) -> Mesh:
    """`mesh` (reduced from `reference`, on its UV atlas) with the reference's normal at every
    vertex and MikkTSpace tangents rebuilt from them.

    A tangent-space map stores the detail relative to the surface frame it was baked in. A lower
    LOD's own normals differ from LOD0's (bigger triangles, moved vertices), so LOD0's map on
    them shows LOD0's facets and loses its shading. The LOD simplifier keeps every surviving
    vertex's UV exactly (it collapses, never resamples), so each LOD vertex is found in LOD0 by
    its UV and takes LOD0's normal there: on every LOD the map then rebuilds the same normals as
    on LOD0, at LOD0's vertices, and in between they are interpolated over the LOD's larger
    triangles. A vertex whose UV is not in the reference keeps its own normal.
    """
    if mesh.uvs is None or reference.uvs is None or reference.normals is None:
        return mesh if mesh.tangents is not None or mesh.uvs is None else with_tangents(mesh)
    keys = np.ascontiguousarray(reference.uvs).view(np.uint64).ravel()
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    wanted = np.ascontiguousarray(mesh.uvs).view(np.uint64).ravel()
    at = np.minimum(np.searchsorted(sorted_keys, wanted), len(sorted_keys) - 1)
    found = sorted_keys[at] == wanted
    normals = shading_normals(mesh).copy()
    normals[found] = reference.normals[order[at[found]]]
    return with_tangents(replace(mesh, normals=normals, tangents=None))

"""Texture a mesh from its pictures (unwrap + bake), and re-texture a saved asset keeping its mesh.

The unwrap runs on the LOD0 that is written (never on a raw million-triangle generator mesh) and
the LODs are derived afterwards from the textured LOD0, so they carry its UVs and every level
shows the same texture.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from app.core.base.cancel import CancelToken
from app.core.base.progress import StepProgress
from app.core.base.rules import DEFAULT_ROUGHNESS, check_texture_size
from app.core.imaging import foreground_mask, frame_subject, load_image
from app.core.mesh.lod import build_lods
from app.core.mesh.types import LodSet, Material, Mesh
from app.core.paths import models_dir
from app.core.texture.bake import View, bake
from app.core.texture.lod_atlas import fit_chain
from app.core.texture.maps import BakeSettings, bake_chain
from app.core.texture.rays import BakeUnavailable
from app.core.texture.unwrap import unwrap


def texture_mesh(
    mesh: Mesh,
    views: Sequence[View],
    texture_size: int,
    *,
    roughness: float = DEFAULT_ROUGHNESS,
    back: str = "auto",
    progress: StepProgress | None = None,
    cancel: CancelToken | None = None,
) -> tuple[Mesh, Material]:
    """`mesh` unwrapped (split along seams, with UVs) and its base-colour PBR material."""
    check_texture_size(texture_size)
    report = progress or (lambda _f, _m: None)
    cancel = cancel or CancelToken()
    unwrapped = unwrap(mesh, texture_size, cancel, lambda f, m: report(0.5 * f, m))
    baked = lambda f, m: report(0.5 + 0.5 * f, m)  # noqa: E731
    texture = bake(unwrapped, views, texture_size, back=back, cancel=cancel, progress=baked)
    material = Material(name="BaseColor", base_color_texture=texture, metallic=0.0, roughness=roughness)
    return unwrapped, material


def retexture(
    lodset: LodSet,
    image_path: Path,
    texture_size: int,
    roughness: float = DEFAULT_ROUGHNESS,
    progress: StepProgress | None = None,
    cancel: CancelToken | None = None,
) -> LodSet:
    """`lodset` with LOD0's geometry kept, re-unwrapped and baked from `image_path` (a front
    picture), and its lower LODs rebuilt from it at their previous triangle counts.

    The maps `lodset` had (normal, occlusion) are baked again for the new atlas, from its
    `full_detail` shape (its old LOD0 when it has none), and the lower LODs get their own UVs for
    them (`lod_atlas.fit_chain`); where the ray caster is missing the result has no maps and its
    provenance says why."""
    report = progress or (lambda _f, _m: None)
    cancel = cancel or CancelToken()
    report(0.0, "reading the picture")
    image = load_image(Path(image_path))
    framed = frame_subject(image, foreground_mask(image, models_dir(), cancel), texture_size)
    cancel.raise_if_cancelled()
    lod0, material = texture_mesh(
        lodset.lod0,
        [View("front", framed)],
        texture_size,
        roughness=roughness,
        progress=lambda f, m: report(0.05 + 0.8 * f, m),
        cancel=cancel,
    )
    targets = [lod.mesh.triangle_count for lod in lodset.lods[1:]]
    report(0.8, "rebuilding the LODs")
    lods = build_lods(lod0, targets, cancel)
    provenance = {**lodset.provenance, "retextured_from": Path(image_path).name, "texture_size": texture_size}
    old_maps = lodset.material.maps
    settings = BakeSettings(normal_map=old_maps.normal is not None, occlusion=old_maps.occlusion is not None)
    if settings.wanted:
        source = lodset.full_detail if lodset.full_detail is not None else lodset.lod0
        try:
            lods, material, details = bake_chain(
                lods,
                source,
                material,
                texture_size,
                settings,
                cancel=cancel,
                progress=lambda f, m: report(0.85 + 0.15 * f, m),
            )
            lods, material, fitted = fit_chain(lods, targets, material, cancel)
            if fitted:
                details["lod_atlas"] = fitted
        except BakeUnavailable as exc:
            details = {"skipped": str(exc)}
        provenance["maps"] = details
    return LodSet(lodset.name, lods, material, provenance, full_detail=lodset.full_detail)

"""A job's maps step: the normal and occlusion maps baked from the full-detail shape onto LOD0,
LOD0's frames and MikkTSpace tangents for every LOD (`texture.maps.bake_chain`), and the levels
LOD0's UV seams held above their budgets made again with their own UVs (`texture.lod_atlas`).

Where the ray caster cannot be loaded the job still finishes, without maps (and so without
tangents, which only a normal map needs), and its result says why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.base.cancel import CancelToken
from app.core.base.progress import StepProgress
from app.core.formats.full_detail import FULL_DETAIL_FILE, read_full_detail
from app.core.generation.request import GenerationRequest
from app.core.mesh.types import Lod, Material, Mesh
from app.core.texture.lod_atlas import chain_note, fit_chain
from app.core.texture.maps import BakeSettings, bake_chain
from app.core.texture.rays import BakeUnavailable

log = logging.getLogger(__name__)


@dataclass
class Baked:
    lods: list[Lod]
    """The LODs with tangents (LOD0 possibly with vertices split for them)."""
    material: Material
    details: dict[str, Any] = field(default_factory=dict)
    """Provenance: what was baked, or why not."""
    notice: str = ""
    """A line for the result when a map that was asked for was not made."""


def maps_step(
    request: GenerationRequest,
    lods: list[Lod],
    full_detail: Mesh,
    material: Material,
    *,
    progress: StepProgress,
    cancel: CancelToken,
    budgets: list[int] | None = None,
) -> Baked:
    """Bake what `request` asks for onto `lods[0]` from `full_detail`, and tangents for every LOD;
    with `budgets` (LOD1's first), levels over theirs get their own UVs (`fit_chain`)."""
    settings = BakeSettings(normal_map=request.normal_map, occlusion=request.occlusion)
    try:
        lods, material, details = bake_chain(
            lods, full_detail, material, request.texture_size, settings, cancel=cancel, progress=progress
        )
    except BakeUnavailable as exc:
        log.warning("maps not baked: %s", exc)
        return Baked(lods, material, {"skipped": str(exc)}, f"no normal or occlusion map was baked: {exc}")
    if budgets:
        progress(0.95, "LODs over budget at LOD0's UV seams")
        try:
            lods, material, fitted = fit_chain(lods, budgets, material, cancel)
        except BakeUnavailable as exc:
            log.warning("LODs not fitted to their budgets: %s", exc)
            return Baked(lods, material, details, f"LODs below LOD0 may be over their budgets: {exc}")
        if fitted:
            details = details | {"lod_atlas": fitted | {"note": chain_note(fitted)}}
    return Baked(lods, material, details)


def saved_full_detail(glb_path: Path) -> Mesh | None:
    """The full-detail shape saved beside a GLB (a library version folder keeps it), or None."""
    path = Path(glb_path).parent / FULL_DETAIL_FILE
    return read_full_detail(path) if path.is_file() else None

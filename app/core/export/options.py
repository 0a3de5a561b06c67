"""What the user chooses for an export, and the LodSet it turns into.

The library keeps each asset as generated (metres, +Y up, bottom-centre pivot); an export can
still resize it, move its pivot, set LOD0's budget and the number of LODs, shrink the texture and
add a collision hull. A new LOD0 budget or more LODs than stored remake the chain from LOD0 (the
stored LODs are only ever copies reduced from it), and the LodSet's notes say what was made. One
transform (from LOD0's bounds) is applied to every LOD, so the LODs stay aligned with each other.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from app.core.base.errors import InputError
from app.core.base.rules import DEFAULT_LODS, LodTarget, check_texture_size
from app.core.export.errors import ExportError
from app.core.mesh.collision import NO_COLLISION, Collision
from app.core.mesh.lod import build_lods
from app.core.mesh.normalize import PIVOTS
from app.core.mesh.types import Lod, LodSet, Material, Mesh
from app.core.texture.lod_atlas import chain_note, fit_chain
from app.core.texture.maps import follow_frames


@dataclass
class ExportOptions:
    height_m: float | None = None
    """Real-world height in metres; None keeps the asset's own height."""
    pivot: str = "bottom-center"
    """One of mesh.normalize.PIVOTS."""
    lod0_triangles: int | None = None
    """Triangle budget for LOD0; None keeps it as it is."""
    lod_levels: int | None = None
    """LODs after LOD0 (0: LOD0 only); None keeps as many as stored. More than stored are made."""
    texture_size: int | None = None
    """Largest texture side in pixels; None keeps the texture's own size."""
    collision: Collision = NO_COLLISION
    """Collision shapes an engine export carries (`mesh.collision`); file exports take none."""
    godot_authored_lods: bool = False
    """Godot builds LODs itself; True ships the asset's own LODs as well (one file per LOD)."""
    lightmap_uv: bool | None = None
    """A second, non-overlapping UV set for baked lighting; None: the target's default (on for
    Unity and Unreal, off for Godot and file exports; see `export.lightmaps`)."""

    def check(self) -> None:
        if self.height_m is not None and not (np.isfinite(self.height_m) and self.height_m > 0):
            raise ExportError(f"The height must be a positive number of metres, not {self.height_m}.")
        if self.pivot not in PIVOTS:
            raise ExportError(f"Unknown pivot {self.pivot!r}; choose one of: {', '.join(PIVOTS)}.")
        if self.lod0_triangles is not None and self.lod0_triangles < 4:
            raise ExportError(f"The LOD0 triangle budget must be at least 4, not {self.lod0_triangles}.")
        if self.lod_levels is not None and self.lod_levels < 0:
            raise ExportError(f"The number of LOD levels cannot be negative ({self.lod_levels}).")
        if self.texture_size is not None:
            check_texture_size(self.texture_size)


def prepare(lodset: LodSet, options: ExportOptions) -> LodSet:
    """`lodset` as `options` ask: scaled and pivoted, the LOD chain requested, texture shrunk."""
    options.check()
    lods, material, notes = requested_chain(lodset, options)
    scale, origin = _placement(lods[0].mesh, options)
    lods = [Lod(i, _placed(lod.mesh, scale, origin), lod.error_pct) for i, lod in enumerate(lods)]
    texture = material.base_color_texture
    # The width is LOD0's square: a taller atlas holds lower LODs below it (`texture.lod_atlas`).
    if options.texture_size is not None and texture is not None and texture.shape[1] > options.texture_size:
        material = replace(material, base_color_texture=_shrunk(texture, options.texture_size))
    return replace(lodset, lods=lods, material=material, notes=[*lodset.notes, *notes])


def requested_chain(lodset: LodSet, options: ExportOptions) -> tuple[list[Lod], Material, list[str]]:
    """(the LODs `options` ask for, their material, notes saying what was made when it is not the
    stored chain).

    Without a new LOD0 budget or extra levels the stored LODs are kept (the first
    `lod_levels + 1`). Otherwise LOD0 is reduced to its budget (a budget above LOD0's count
    keeps LOD0) and the levels below it are made anew from it by `build_lods`, at the shares of
    LOD0 the asset's LODs were asked for (`chain_fractions`); with a normal map they take the
    stored LOD0's frames (`follow_frames`), and levels LOD0's UV seams hold above their budgets
    get their own UVs (`fit_chain`), so each reaches its budget and shows LOD0's look.
    """
    stored = list(lodset.lods)
    levels = len(stored) - 1 if options.lod_levels is None else options.lod_levels
    lod0 = stored[0].mesh
    new_lod0 = options.lod0_triangles is not None and options.lod0_triangles < lod0.triangle_count
    kept = []
    if options.lod0_triangles is not None and not new_lod0:
        budget = options.lod0_triangles
        kept = [f"LOD0 kept at {lod0.triangle_count:,} triangles, within its budget of {budget:,}."]
    if not new_lod0 and levels < len(stored):
        return stored[: levels + 1], lodset.material, kept
    if new_lod0:
        assert options.lod0_triangles is not None
        lod0 = build_lods(lod0, [options.lod0_triangles], measure_samples=0)[1].mesh
    fractions = chain_fractions(lodset, levels)
    targets = _budgets(lod0.triangle_count, fractions)
    lods = build_lods(lod0, targets)
    material = lodset.material
    if material.maps.normal is not None:
        lods = [replace(lod, mesh=follow_frames(lod.mesh, stored[0].mesh)) for lod in lods]
    lods, material, fitted = fit_chain(lods, targets, material)
    counts = ", ".join(f"LOD{lod.level} {lod.mesh.triangle_count:,}" for lod in lods)
    reason = (
        f"LOD0 reduced from {stored[0].mesh.triangle_count:,} to its budget of {options.lod0_triangles:,}"
        if new_lod0
        else f"{levels} LODs asked for, {len(stored) - 1} stored"
    )
    made = f"LOD chain made for this export ({reason}): {counts} triangles."
    return lods, material, [*kept, made, *filter(None, [chain_note(fitted)])]


def chain_fractions(lodset: LodSet, levels: int) -> list[float]:
    """Each level's share of LOD0's triangles: the percentages the asset's LODs were asked for
    (its provenance), else the default ones, then halving for levels beyond those."""
    parameters = lodset.provenance.get("parameters")
    asked = parameters.get("lods") if isinstance(parameters, dict) else None
    labels = asked if isinstance(asked, list) and all(isinstance(a, str) for a in asked) else []
    fractions = [f for f in (_fraction(label) for label in labels) if f is not None]
    if not fractions:
        fractions = [f for f in (_fraction(label) for label in DEFAULT_LODS) if f is not None]
    while len(fractions) < levels:
        fractions.append(fractions[-1] / 2)
    return fractions[:levels]


def _fraction(label: str) -> float | None:
    """The share of LOD0 a percentage LOD label ("50%") asks for; None for anything else."""
    try:
        return LodTarget.parse(label).fraction
    except InputError:
        return None


def _budgets(lod0_triangles: int, fractions: list[float]) -> list[int]:
    """Strictly decreasing budgets at `fractions` of LOD0 (at least 4 triangles each)."""
    budgets: list[int] = []
    previous = lod0_triangles
    for fraction in fractions:
        budget = min(max(4, round(lod0_triangles * fraction)), previous - 1)
        if budget < 4:
            break
        budgets.append(budget)
        previous = budget
    return budgets


def _placement(mesh: Mesh, options: ExportOptions) -> tuple[float, np.ndarray]:
    lo, hi = mesh.bounds().astype(np.float64)
    extent = hi[1] - lo[1]
    if not extent > 0:
        raise ExportError("The asset has no height (it is flat in Y), so it cannot be exported to scale.")
    scale = 1.0 if options.height_m is None else options.height_m / extent
    if options.pivot == "bottom-center":
        origin = np.array([(lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2])
    elif options.pivot == "center":
        origin = (lo + hi) / 2
    else:
        origin = np.zeros(3)
    return scale, origin


def _placed(mesh: Mesh, scale: float, origin: np.ndarray) -> Mesh:
    vertices = (mesh.vertices.astype(np.float64) - origin) * scale
    return replace(mesh, vertices=vertices.astype(np.float32))


def _shrunk(texture: np.ndarray, size: int) -> np.ndarray:
    height, width = texture.shape[:2]
    factor = size / width
    new_size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.asarray(Image.fromarray(texture).resize(new_size, Image.Resampling.LANCZOS))

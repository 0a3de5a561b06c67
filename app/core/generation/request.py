"""Plain data that crosses the pipeline's boundary: what to make, how it is going, what came out.

These are the only types the GUI worker, the CLI and the tests exchange with the pipeline; they
hold no behaviour beyond validation so they can be copied between threads and serialised.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import operator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.base.errors import InputError
from app.core.base.rules import (
    CUTOUT_MODES,
    DEFAULT_LODS,
    DEFAULT_ROUGHNESS,
    DEFAULT_TEXTURE_SIZE,
    MAX_SEED,
    LodTarget,
    check_name,
    check_texture_size,
    name_from_prompt,
    visible_name,
)
from app.core.texture.paint_options import TEXTURE_METHODS, PaintOptions

if TYPE_CHECKING:  # numpy stays out of the window's start-up
    from app.core.mesh.types import LodSet


@dataclass(frozen=True)
class GenerationRequest:
    """Everything that decides the output; recorded verbatim as provenance."""

    image_path: Path | None
    """The picture to make the asset from; None when the prompt makes the picture (text-to-3D)."""
    engine: str = "relief"
    name: str | None = None
    height_m: float = 1.0
    lods: tuple[LodTarget, ...] = tuple(LodTarget.parse(t) for t in DEFAULT_LODS)
    lod0_triangles: int | None = None
    seed: int = 0
    texture_size: int = DEFAULT_TEXTURE_SIZE
    roughness: float = DEFAULT_ROUGHNESS
    """The material's PBR roughness (metallic is always 0)."""
    bake: str = "auto"
    """"auto" bakes a texture from the pictures when the engine gives none; "always" also
    replaces an engine's own texture (Relief's planar projection) with an unwrapped bake."""
    params: dict[str, Any] = field(default_factory=dict)
    """Engine parameters by name; the engine fills in defaults and refuses unknown names."""
    views: dict[str, Path] = field(default_factory=dict)
    """More pictures of the same subject for multi-view engines: "back", "left", "right"."""
    prompt: str = ""
    """Text-to-3D: without an image, an engine that supports text makes the picture from this."""
    texture_method: str = "auto"
    """One of TEXTURE_METHODS."""
    paint: PaintOptions = field(default_factory=PaintOptions)
    mesh_path: Path | None = None
    """Re-texture: keep this GLB's mesh (LOD0 and its LOD triangle counts) and make only a new
    texture from `image_path`; no shape is generated."""
    cutout: str = "auto"
    """One of CUTOUT_MODES."""
    mask_path: Path | None = None
    """The artist's mask for the front picture (white = subject); it replaces any cutout."""
    normal_map: bool = True
    """Bake a tangent-space normal map from the full-detail shape onto LOD0 (when LOD0 was reduced)."""
    occlusion: bool = False
    """Bake ambient occlusion from the full-detail shape."""

    def __post_init__(self) -> None:
        if self.image_path is None and not self.prompt.strip():
            raise InputError("nothing to make: give a picture, or a prompt for an engine with text-to-3D")
        if not 0.001 <= self.height_m <= 10000:
            raise InputError(f"height {self.height_m} m is out of range (0.001 to 10000 metres)")
        check_texture_size(self.texture_size)
        if not 0.0 <= self.roughness <= 1.0:
            raise InputError(f"roughness {self.roughness} is out of range (0 to 1)")
        if self.bake not in ("auto", "always"):
            raise InputError(f"bake {self.bake!r} is not valid: use auto or always")
        if self.texture_method not in TEXTURE_METHODS:
            raise InputError(
                f"texture method {self.texture_method!r} is not valid: use {', '.join(TEXTURE_METHODS)}"
            )
        if self.mesh_path is not None and self.image_path is None:
            raise InputError("re-texturing needs a picture to paint from")
        if self.cutout not in CUTOUT_MODES:
            raise InputError(f"cutout {self.cutout!r} is not valid: use {', '.join(CUTOUT_MODES)}")
        if self.mask_path is not None and self.image_path is None:
            raise InputError("a mask needs a picture to cut out: give the picture too")
        unknown_views = sorted(set(self.views) - {"back", "left", "right"})
        if unknown_views:
            raise InputError(f"unknown view(s) {', '.join(unknown_views)}: use back, left or right")
        if self.lod0_triangles is not None and self.lod0_triangles < 4:
            raise InputError("the LOD0 triangle budget must be at least 4")
        _check_seed(self.seed)
        if self.name is not None:
            check_name(self.name)
        for name, value in self.params.items():
            _check_finite(name, value)

    @property
    def asset_name(self) -> str:
        if self.name:
            return self.name
        if self.image_path is not None:
            return visible_name(Path(self.image_path).stem) or "asset"
        return name_from_prompt(self.prompt) or "prompt"

    def provenance_params(self) -> dict[str, Any]:
        return {
            "height_m": self.height_m,
            "lods": [t.label() for t in self.lods],
            "lod0_triangles": self.lod0_triangles,
            "texture_size": self.texture_size,
            "roughness": self.roughness,
            "bake": self.bake,
            "normal_map": self.normal_map,
            "occlusion": self.occlusion,
            "texture_method": self.texture_method,
            **({} if self.texture_method == "projection" else {"paint": dataclasses.asdict(self.paint)}),
            **({} if self.cutout == "auto" else {"cutout": self.cutout}),
            **({} if self.mask_path is None else {"mask_sha256": file_digest(self.mask_path)}),
            **self.params,
        }


def file_digest(path: Path) -> str:
    """SHA-256 of a file, or "" when it cannot be read (the job that reads it says why)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def _check_seed(seed: object) -> None:
    try:
        value = operator.index(seed)  # type: ignore[call-overload]
    except TypeError:
        raise InputError(f"seed {seed!r} is not a whole number: use one from 0 to {MAX_SEED}") from None
    if isinstance(seed, bool) or not 0 <= value <= MAX_SEED:
        raise InputError(f"seed {seed!r} is out of range: use a whole number from 0 to {MAX_SEED}")


def _check_finite(name: str, value: object) -> None:
    """A number that is NaN or infinite poisons every stage after it; text counts too ("nan")."""
    number = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return
    if isinstance(number, float) and not math.isfinite(number):
        raise InputError(f"parameter {name}={value} is not a finite number; give a real value")


class JobStatus(StrEnum):
    """Where a job stands: the one status the pipeline's result, the persistent queue (its values
    are what the database holds) and the window's job list all use."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


@dataclass
class LodInfo:
    level: int
    triangles: int
    vertices: int
    error_pct: float
    """Geometric deviation from LOD0, in % of LOD0's bounding-box diagonal."""


@dataclass
class GenerationResult:
    request: GenerationRequest
    status: JobStatus
    """DONE, FAILED or CANCELLED: a result exists only once its job has finished."""
    output_path: Path | None = None
    message: str = ""
    lods: list[LodInfo] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds spent in each pipeline stage, in stage order."""
    report: dict[str, Any] = field(default_factory=dict)
    """LOD0's validation report (watertight, manifold, counts, bounds)."""
    lodset: LodSet | None = None
    """What was written, for a front end to show without reading the file back."""
    reused: bool = False
    """True when an identical earlier version was reused instead of generating (see
    `app.core.library.saving.find_identical`); `message` says which."""

    @property
    def ok(self) -> bool:
        return self.status is JobStatus.DONE

"""Plain data that crosses the pipeline's boundary: what to make, how it is going, what came out.

These are the only types the GUI worker, the CLI and the tests exchange with the pipeline; they
hold no behaviour beyond validation so they can be copied between threads and serialised.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import operator
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.errors import Cancelled, InputError

if TYPE_CHECKING:  # numpy stays out of the window's start-up
    from app.core.mesh.types import LodSet

DEFAULT_LODS: tuple[str, ...] = ("50%", "25%", "10%")
MAX_SEED = 2**32 - 1
"""Seeds are 32-bit: every engine's random generator accepts them, and provenance can be replayed."""
MAX_NAME_LENGTH = 200
_UNPRINTABLE = ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")
"""Unicode categories never allowed in a name: controls (NUL, escape codes, newlines), bidi
overrides and other invisible format characters, surrogates, private-use and unassigned."""
_FOLDER_STEP = re.compile(r"(^|[/\\])\.\.([/\\]|$)")
TEXTURE_METHODS = ("auto", "paint", "projection")
"""How a texture is made: "projection" bakes the pictures onto the mesh, "paint" has Hunyuan3D-2
Paint make six views first, "auto" paints Hunyuan shapes when its weights and a GPU are there."""
PAINT_DEVICES = ("auto", "cuda", "cpu")
CUTOUT_MODES: tuple[str, ...] = ("auto", "alpha", "model", "classical")
"""How the subject is found: `auto` tries the picture's alpha, then a cutout model, then the
classical cutout, and stops when that is unsure; the others use one method whatever it gives."""


@dataclass(frozen=True)
class LodTarget:
    """One LOD below LOD0: a fraction of LOD0's triangles, or an absolute triangle budget."""

    fraction: float | None = None
    triangles: int | None = None

    @classmethod
    def parse(cls, text: str) -> LodTarget:
        """`"50%"` is half of LOD0's triangles; `"5000"` is a budget of 5000 triangles."""
        raw = text.strip()
        try:
            if raw.endswith("%"):
                pct = float(raw[:-1])
                if not 0 < pct < 100:
                    raise ValueError
                return cls(fraction=pct / 100.0)
            count = int(raw)
            if count < 4:
                raise ValueError
            return cls(triangles=count)
        except ValueError:
            raise InputError(
                f"LOD target {text!r} is not valid: use a percentage of LOD0 such as 50% "
                "(between 0 and 100, exclusive) or a triangle budget such as 5000"
            ) from None

    def resolve(self, lod0_triangles: int) -> int:
        if self.fraction is not None:
            return max(4, round(lod0_triangles * self.fraction))
        assert self.triangles is not None
        return self.triangles

    def label(self) -> str:
        return f"{self.fraction * 100:g}%" if self.fraction is not None else f"{self.triangles} tris"


@dataclass(frozen=True)
class PaintOptions:
    """Hunyuan Paint's settings, for jobs that paint their texture."""

    steps: int = 30
    """Multi-view diffusion steps (hy3dgen's own 30); the delighting runs its fixed 50."""
    resolution: int = 512
    """Each view's side in pixels: the paint model's 512; lower saves time and VRAM."""
    guidance: float = 2.0
    low_vram: bool = False
    """Keep only the running diffusion model on the GPU (slower)."""
    device: str = "auto"
    """auto (the GPU when there is one), cuda or cpu."""

    def __post_init__(self) -> None:
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or not 1 <= self.steps <= 200:
            raise InputError(f"paint steps {self.steps!r} is out of range: use a whole number from 1 to 200")
        if not isinstance(self.resolution, int) or self.resolution % 64 or not 64 <= self.resolution <= 1024:
            raise InputError(
                f"paint resolution {self.resolution!r} is not valid: use a multiple of 64 from 64 to 1024"
            )
        if not (isinstance(self.guidance, int | float) and math.isfinite(self.guidance)):
            raise InputError(f"paint guidance {self.guidance!r} is not a finite number")
        if not 0.0 <= self.guidance <= 30.0:
            raise InputError(f"paint guidance {self.guidance} is out of range (0 to 30)")
        if self.device not in PAINT_DEVICES:
            raise InputError(f"paint device {self.device!r} is not valid: use auto, cuda or cpu")


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
    texture_size: int = 1024
    roughness: float = 0.85
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
        if self.texture_size not in (256, 512, 1024, 2048, 4096):
            raise InputError(
                f"texture size {self.texture_size} is not supported: use 256, 512, 1024, 2048 or 4096"
            )
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
        return "_".join("".join(c if c.isalnum() else " " for c in self.prompt).split()[:6]) or "prompt"

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


def visible_name(text: str) -> str:
    """`text` without the characters `_check_name` refuses (a picture's file name may hold them)."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in _UNPRINTABLE).strip()


def _check_seed(seed: object) -> None:
    try:
        value = operator.index(seed)  # type: ignore[call-overload]
    except TypeError:
        raise InputError(f"seed {seed!r} is not a whole number: use one from 0 to {MAX_SEED}") from None
    if isinstance(seed, bool) or not 0 <= value <= MAX_SEED:
        raise InputError(f"seed {seed!r} is out of range: use a whole number from 0 to {MAX_SEED}")


def check_name(name: str) -> None:
    """Asset names become node names, library entries and (made file-safe) file names: refuse
    what no tool shows honestly, rather than store it."""
    if len(name) > MAX_NAME_LENGTH:
        raise InputError(
            f"the asset name is {len(name)} characters long; use at most {MAX_NAME_LENGTH} characters"
        )
    bad = sorted({ch for ch in name if unicodedata.category(ch) in _UNPRINTABLE})
    if bad:
        codes = ", ".join(f"U+{ord(ch):04X}" for ch in bad)
        raise InputError(
            f"the asset name contains control or invisible characters ({codes}); use visible characters only"
        )
    if _FOLDER_STEP.search(name):
        raise InputError(
            "the asset name contains '..' as a folder step; choose another name "
            "(names become file names and cannot point outside their folder)"
        )


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


class Status(StrEnum):
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


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
    status: Status
    output_path: Path | None = None
    message: str = ""
    lods: list[LodInfo] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds spent in each pipeline stage, in stage order."""
    report: dict[str, Any] = field(default_factory=dict)
    """LOD0's validation report (watertight, manifold, counts, bounds)."""
    model: LodSet | None = None
    """What was written, for a front end to show without reading the file back."""
    reused: bool = False
    """True when an identical earlier version was reused instead of generating (see
    `app.core.library.saving.find_identical`); `message` says which."""

    @property
    def ok(self) -> bool:
        return self.status is Status.DONE


@dataclass(frozen=True)
class Progress:
    """One progress report: which stage, how far within it, how far overall, and what is happening."""

    stage: str
    fraction: float
    overall: float
    message: str = ""


ProgressCallback = Callable[[Progress], None]


class CancelToken:
    """Cooperative cancel: set from any thread, checked between stages and inside long loops."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

"""Rules every layer shares, each written once: texture sizes, the LOD list and how it is
parsed, the LOD switch curve, what an asset name may hold and how one is made from a prompt,
the seed range. The window, the CLI and the core call these; none keeps its own copy."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from app.core.base.errors import InputError

TEXTURE_SIZES: tuple[int, ...] = (256, 512, 1024, 2048, 4096)
"""Square texture sizes every engine, exporter and front end offers."""
DEFAULT_TEXTURE_SIZE = 1024
"""What a job bakes when nobody chose a size."""
DEFAULT_ROUGHNESS = 0.85
"""A material's PBR roughness when nobody chose one (metallic is always 0): matte, as most props."""
DEFAULT_LODS: tuple[str, ...] = ("50%", "25%", "10%")
CUTOUT_MODES: tuple[str, ...] = ("auto", "alpha", "model", "classical")
"""How the subject is found: `auto` tries the picture's alpha, then a cutout model, then the
classical cutout, and stops when that is unsure; the others use one method whatever it gives.
Here rather than in `imaging.mask`, so a request can be checked without loading the imaging code."""
MAX_SEED = 2**32 - 1
"""Seeds are 32-bit: every engine's random generator accepts them, and provenance can be replayed."""
MAX_NAME_LENGTH = 200
UNPRINTABLE_CATEGORIES = ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")
"""Unicode categories never allowed in a name: controls (NUL, escape codes, newlines), bidi
overrides and other invisible format characters, surrogates, private-use and unassigned."""
_FOLDER_STEP = re.compile(r"(^|[/\\])\.\.([/\\]|$)")
PROMPT_NAME_WORDS = 6
"""An asset made from a prompt is named after its first words..."""
PROMPT_NAME_LENGTH = 48
"""...and at most this many characters of them, short enough for a file name and a grid cell."""
NO_LODS = ("", "none", "0")
"""LOD lists that mean LOD0 only: nothing, "none", or "0" (zero LODs after LOD0)."""


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


def parse_lods(text: str) -> tuple[LodTarget, ...]:
    """A comma-separated LOD list after LOD0 ("50%, 25%, 5000"); one of NO_LODS means LOD0 only."""
    if text.strip().lower() in NO_LODS:
        return ()
    return tuple(LodTarget.parse(part) for part in text.split(",") if part.strip())


def check_texture_size(size: int) -> None:
    """Refuse a texture size no engine, exporter or front end offers."""
    if size not in TEXTURE_SIZES:
        sizes = ", ".join(map(str, TEXTURE_SIZES))
        raise InputError(f"texture size {size} is not supported: use one of {sizes}")


def lod_screen_coverages(lod_count: int) -> list[float]:
    """The smallest screen-height fraction each LOD is shown at, the last one's being where the
    asset is culled: the shape of Unity's LODGroup defaults (LOD0 above 60 %, each next LOD down
    to half the previous threshold, culled below 1 %). Every writer that declares LOD switches
    (GLB's MSFT_screencoverage, FBX's LodGroup thresholds) uses this one curve."""
    coverages = [0.6 * 0.5**i for i in range(lod_count - 1)]
    return [*coverages, min(0.01, coverages[-1] / 2) if coverages else 0.01]


def visible_name(text: str) -> str:
    """`text` without the characters `_check_name` refuses (a picture's file name may hold them)."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in UNPRINTABLE_CATEGORIES).strip()


def name_from_prompt(prompt: str) -> str:
    """The asset name a prompt gives: its first words (letters and digits), joined by
    underscores, cut to PROMPT_NAME_LENGTH characters; "" when it has no word."""
    words = "".join(c if c.isalnum() else " " for c in prompt).split()
    return "_".join(words[:PROMPT_NAME_WORDS])[:PROMPT_NAME_LENGTH].rstrip("_")


def check_name(name: str) -> None:
    """Asset names become node names, library entries and (made file-safe) file names: refuse
    what no tool shows honestly, rather than store it."""
    if len(name) > MAX_NAME_LENGTH:
        raise InputError(
            f"the asset name is {len(name)} characters long; use at most {MAX_NAME_LENGTH} characters"
        )
    bad = sorted({ch for ch in name if unicodedata.category(ch) in UNPRINTABLE_CATEGORIES})
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

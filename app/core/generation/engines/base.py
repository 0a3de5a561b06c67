"""The protocol every engine implements, and how its parameters are declared.

Engines declare their parameters as data (`ParamSpec`) so the CLI, the GUI's parameter panel and
provenance all come from one list, and a bad value is refused with the same message everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from app.core.base.errors import InputError
from app.core.base.progress import StepProgress
from app.core.base.provenance import EngineFacts

if TYPE_CHECKING:  # engines are listed at start-up; numpy and Pillow load with the first job
    from app.core.base.cancel import CancelToken
    from app.core.imaging import FramedImage
    from app.core.mesh.types import Material, Mesh

"""Reports (fraction of the current stage in [0, 1], message)."""


@dataclass(frozen=True)
class ParamSpec:
    name: str
    kind: type
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""
    choices: tuple[str, ...] = ()
    """The only values allowed (a text parameter picked from a list), or () for any."""

    def coerce(self, value: Any) -> Any:
        try:
            coerced = self.kind(value)
        except (TypeError, ValueError):
            raise InputError(f"parameter {self.name}={value!r} must be a {self.kind.__name__}") from None
        if isinstance(coerced, float) and not math.isfinite(coerced):
            raise InputError(f"parameter {self.name}={value} is not a finite number; give a real value")
        if self.minimum is not None and coerced < self.minimum:
            raise InputError(f"parameter {self.name}={value} is below its minimum {self.minimum:g}")
        if self.maximum is not None and coerced > self.maximum:
            raise InputError(f"parameter {self.name}={value} is above its maximum {self.maximum:g}")
        if self.choices and coerced not in self.choices:
            raise InputError(f"parameter {self.name}={value!r} is not one of: {', '.join(self.choices)}")
        return coerced


def resolve_params(specs: tuple[ParamSpec, ...], given: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults filled in, values checked; unknown names are refused rather than ignored."""
    known = {s.name: s for s in specs}
    unknown = sorted(set(given) - set(known))
    if unknown:
        names = ", ".join(known) or "none"
        raise InputError(f"unknown parameter(s) {', '.join(unknown)}; this engine takes: {names}")
    return {name: spec.coerce(given[name]) if name in given else spec.default for name, spec in known.items()}


@dataclass(frozen=True)
class Availability:
    ok: bool
    reason: str = ""


@dataclass
class ShapeInput:
    """What an engine receives: the framed subject, and for multi-view engines more views by name."""

    front: FramedImage
    seed: int = 0
    views: dict[str, FramedImage] = field(default_factory=dict)
    """Extra views of the same subject: "back", "left", "right"."""


@dataclass
class EngineOutput:
    mesh: Mesh
    """In any unit, +Y up, front facing +Z; post-processing scales and places it."""
    material: Material
    model_id: str
    facts: EngineFacts = field(default_factory=EngineFacts)
    """Which weights, licence and device made it: recorded on the asset as its provenance."""


class Engine(Protocol):
    name: str
    label: str
    version: str
    params: tuple[ParamSpec, ...]
    presets: dict[str, dict[str, Any]]
    """Named parameter sets (Turbo / Fast / Standard), trading quality for time."""
    views: tuple[str, ...]
    """The pictures it can use: "front", and "back" / "left" / "right" for engines (and the
    texture bake) that take more views of the subject."""
    note: str
    """A line the window shows under the engine's parameters ("" for none)."""

    def availability(self) -> Availability: ...

    def text_availability(self) -> Availability:
        """Whether it can make an asset from a prompt alone, and why not."""
        ...

    def unload(self) -> None:
        """Free loaded weights (a no-op for engines that keep none); the next job loads them again."""
        ...

    @property
    def loaded_variant(self) -> str | None:
        """The weights variant held in memory, None when nothing is loaded (or the engine has none)."""
        ...

    def generate(
        self,
        shape_input: ShapeInput,
        params: dict[str, Any],
        progress: StepProgress,
        cancel: CancelToken,
    ) -> EngineOutput: ...

"""Where an asset came from, as one typed record from the engine to the database and the file.

The engine reports what only it knows (`EngineFacts`); the pipeline adds the request and the
timings (`Provenance`); the GLB carries `Provenance.to_dict()` in its extras and the library
reads the same fields back with `Provenance.from_dict()`. Writing and reading through this one
record is what keeps a field from being written under one key and read under another.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

ENGINE_DETAILS = "engine_details"
"""The extras key under which an engine's own settings (steps, flags) are kept, for display."""


@dataclass(frozen=True)
class EngineFacts:
    """What an engine knows about one run: which weights, under which licence, on which device."""

    variant: str = ""
    """The weights' variant id ("" for an engine without weights)."""
    model_revision: str = ""
    """The weights' revision (a hub commit or the manifest's), "" when unknown."""
    licence: str = ""
    """The weights' licence; "" when the engine uses no weights."""
    device: str = ""
    dtype: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    """Engine-specific settings and timings, shown as they are."""


@dataclass(frozen=True)
class Provenance:
    """Everything that decided an asset: replaying it with the same weights gives the same shape."""

    engine: str
    engine_version: str = ""
    model: str = ""
    """The engine's model id (e.g. tencent/Hunyuan3D-2/hunyuan3d-dit-v2-0, relief-v2)."""
    variant: str = ""
    model_revision: str = ""
    licence: str = ""
    device: str = ""
    dtype: str = ""
    seed: int = 0
    parameters: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per pipeline stage."""
    source_image: str = ""
    source_sha256: str = ""
    prompt: str = ""
    app_version: str = ""
    created: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    """What other stages record (texture, maps, cutout, engine details), kept verbatim."""

    @classmethod
    def of_engine(cls, engine: str, facts: EngineFacts, **rest: Any) -> Provenance:
        return cls(
            engine=engine,
            variant=facts.variant,
            model_revision=facts.model_revision,
            licence=facts.licence,
            device=facts.device,
            dtype=facts.dtype,
            extra={ENGINE_DETAILS: dict(facts.details)} | rest.pop("extra", {}),
            **rest,
        )

    def with_texture_licence(self, texture: dict[str, Any]) -> Provenance:
        """A texture painted by a model carries that model's licence when the shape has none."""
        licence = texture.get("licence")
        if self.licence or not isinstance(licence, str) or not licence:
            return self
        return replace(self, licence=licence)

    def to_dict(self) -> dict[str, Any]:
        """The layout stored in GLB extras and version folders: the typed fields at the top."""
        typed = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        typed["stage_timings"] = typed.pop("timings")
        return {**self.extra, **typed}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        """Read back any file Sweedle wrote: older files kept licence, device and revision only
        inside the engine's details, so those are looked up there too."""
        details = data.get(ENGINE_DETAILS)
        details = details if isinstance(details, dict) else {}
        older = {"model_revision": details.get("model_revision"), "variant": details.get("variant")}
        older |= {key: details.get(key) for key in ("licence", "device", "dtype")}
        known = {f.name for f in fields(cls)} - {"extra", "timings"}
        values: dict[str, Any] = {}
        for name in known:
            value = data.get(name)
            if value in (None, ""):
                value = older.get(name)
            if value not in (None, ""):
                values[name] = value
        values["engine"] = str(values.get("engine", ""))
        values["seed"] = _int(values.get("seed"))
        for name in known - {"seed", "parameters"}:
            if name in values:
                values[name] = str(values[name])
        parameters = values.get("parameters")
        values["parameters"] = dict(parameters) if isinstance(parameters, dict) else {}
        timings = data.get("stage_timings")
        timings = timings if isinstance(timings, dict) else {}
        values["timings"] = {str(k): float(v) for k, v in timings.items() if isinstance(v, int | float)}
        values["extra"] = {k: v for k, v in data.items() if k not in known and k != "stage_timings"}
        return cls(**values)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0

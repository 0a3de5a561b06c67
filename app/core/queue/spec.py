"""A generation request as JSON, for the queue's database row and for the trip to a farm worker.

The request is rebuilt through `GenerationRequest`, so a row edited by hand (or written by an
older Sweedle) is checked like any other input and fails its job with a one-line message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.core.errors import InputError
from app.core.generation.request import GenerationRequest, LodTarget


def request_to_json(request: GenerationRequest) -> dict[str, Any]:
    return {
        "image": str(request.image_path) if request.image_path is not None else None,
        "engine": request.engine,
        "name": request.name,
        "height_m": request.height_m,
        "lods": [_lod_to_json(target) for target in request.lods],
        "lod0_triangles": request.lod0_triangles,
        "seed": request.seed,
        "texture_size": request.texture_size,
        "roughness": request.roughness,
        "bake": request.bake,
        "params": dict(request.params),
        "views": {view: str(path) for view, path in request.views.items()},
        "prompt": request.prompt,
    }


def request_from_json(data: dict[str, Any]) -> GenerationRequest:
    """The request `data` describes; InputError naming what is wrong when it is not one."""
    try:
        return GenerationRequest(
            image_path=Path(data["image"]) if data.get("image") is not None else None,
            engine=str(data["engine"]),
            name=data.get("name"),
            height_m=float(data["height_m"]),
            lods=tuple(_lod_from_json(item) for item in data["lods"]),
            lod0_triangles=data.get("lod0_triangles"),
            seed=int(data["seed"]),
            texture_size=int(data["texture_size"]),
            roughness=float(data["roughness"]),
            bake=str(data["bake"]),
            params=dict(data.get("params") or {}),
            views={str(view): Path(path) for view, path in (data.get("views") or {}).items()},
            prompt=str(data.get("prompt") or ""),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(
            f"the queued request is damaged ({type(exc).__name__}: {exc}); remove the job"
        ) from None


def _lod_to_json(target: LodTarget) -> dict[str, float | int]:
    if target.fraction is not None:
        return {"fraction": target.fraction}
    assert target.triangles is not None
    return {"triangles": target.triangles}


def _lod_from_json(item: dict[str, Any]) -> LodTarget:
    if "fraction" in item:
        fraction = float(item["fraction"])
        if not 0.0 < fraction < 1.0:
            raise InputError(f"the queued LOD fraction {fraction} is not between 0 and 1")
        return LodTarget(fraction=fraction)
    triangles = int(item["triangles"])
    if triangles < 4:
        raise InputError(f"the queued LOD budget {triangles} is below 4 triangles")
    return LodTarget(triangles=triangles)

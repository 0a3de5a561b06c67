"""The names a file gives an asset's material and textures: `M_<Asset>`, `T_<Asset>_<Map>`.

Engines key imported materials by name: Godot 3 saves a GLB's material as `<name>.material`
beside it and reuses a file of that name on the next import, so two assets whose materials were
both called `BaseColor` showed one texture. Deriving the names from the asset makes them as
unique as the asset names are (and follows Unreal's M_/T_ prefixes). An Unreal static mesh's
own `SM_` prefix is not repeated: `SM_Rock` has `M_Rock` and `T_Rock_BaseColor`.
"""

from __future__ import annotations

from enum import StrEnum


class MapKind(StrEnum):
    """The maps a material can carry, as they appear in texture names."""

    BASE_COLOR = "BaseColor"
    NORMAL = "Normal"
    ORM = "ORM"
    """Occlusion, roughness, metallic in R, G, B (glTF's and Unreal's packing)."""
    OCCLUSION = "Occlusion"


def _asset(name: str) -> str:
    return name[3:] if name.startswith("SM_") and len(name) > 3 else name


def material_name(asset: str) -> str:
    return f"M_{_asset(asset)}"


def texture_name(asset: str, kind: MapKind) -> str:
    return f"T_{_asset(asset)}_{kind.value}"

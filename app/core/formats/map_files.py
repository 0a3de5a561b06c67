"""A material's maps as PNG files beside a model that references them (FBX, OBJ).

Which maps a target gets, and in which form, is the caller's choice (`MapFiles`): the normal
map in the target's green-channel convention, occlusion packed with roughness and metallic
(ORM: glTF's and Unreal's layout) or alone (grey, for Unity's occlusion slot, which reads G).
A map the material does not have is not written, whatever path it was given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.base.atomic import atomic_write_bytes
from app.core.formats.asset_names import MapKind
from app.core.formats.images import encode_png
from app.core.mesh.types import Material, NormalConvention


@dataclass(frozen=True)
class MapFiles:
    """Where each map goes (None: not written)."""

    base_color: Path | None = None
    normal: Path | None = None
    orm: Path | None = None
    occlusion: Path | None = None
    normal_convention: NormalConvention = NormalConvention.OPENGL

    @classmethod
    def beside(cls, model: Path) -> MapFiles:
        """`<stem>_BaseColor.png`, `<stem>_Normal.png` (green +Y), `<stem>_ORM.png` next to `model`."""
        model = Path(model)
        return cls(
            base_color=model.with_name(f"{model.stem}_BaseColor.png"),
            normal=model.with_name(f"{model.stem}_Normal.png"),
            orm=model.with_name(f"{model.stem}_ORM.png"),
        )

    def images(self, material: Material) -> dict[MapKind, tuple[Path, np.ndarray]]:
        """The maps `material` has that have a path here, with their pixels, base colour first."""
        wanted: list[tuple[MapKind, Path | None, np.ndarray | None]] = [
            (MapKind.BASE_COLOR, self.base_color, material.base_color_texture),
            (MapKind.NORMAL, self.normal, material.maps.normal_for(self.normal_convention)),
            (MapKind.ORM, self.orm, material.orm()),
            (MapKind.OCCLUSION, self.occlusion, material.maps.occlusion),
        ]
        return {kind: (path, image) for kind, path, image in wanted if path is not None and image is not None}


def available(material: Material) -> set[MapKind]:
    """The maps `material` can give (base colour, normal, and ORM and occlusion from occlusion)."""
    kinds = set()
    if material.base_color_texture is not None:
        kinds.add(MapKind.BASE_COLOR)
    if material.maps.normal is not None:
        kinds.add(MapKind.NORMAL)
    if material.maps.occlusion is not None:
        kinds |= {MapKind.ORM, MapKind.OCCLUSION}
    return kinds


def write_maps(images: dict[MapKind, tuple[Path, np.ndarray]]) -> list[Path]:
    """Each image as a PNG, atomically (folders made as needed); returns the paths in order."""
    for path, image in images.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, encode_png(image))
    return [path for path, _ in images.values()]

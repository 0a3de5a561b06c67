"""The scene the shading-mode goldens were rendered from: a UV sphere with a base-colour texture,
a normal map and an occlusion map, seen from above at an angle, at every shading mode."""

from __future__ import annotations

import numpy as np
import trimesh

from app.core.mesh.tangents import with_tangents
from app.core.mesh.types import Lod, LodSet, Material, MaterialMaps, Mesh
from app.ui.viewport.renderer import Shading

GOLDENS = "shading_goldens.npz"
"""In tests/gl/data: one (120, 160, 3) uint8 image per case name."""


def _uv_sphere() -> Mesh:
    shape = trimesh.creation.uv_sphere(radius=0.5, count=[24, 32])
    vertices = np.asarray(shape.vertices)
    unit = vertices / np.linalg.norm(vertices, axis=1, keepdims=True)
    uvs = np.stack([np.arctan2(unit[:, 2], unit[:, 0]) / (2 * np.pi) + 0.5, np.arccos(unit[:, 1]) / np.pi], 1)
    return with_tangents(Mesh(vertices + np.array([0, 0.5, 0]), np.asarray(shape.faces), uvs=uvs))


def _maps() -> tuple[np.ndarray, MaterialMaps]:
    y, x = np.mgrid[0:64, 0:64]
    texture = np.stack([(x // 8 % 2) * 150 + 60, (y // 8 % 2) * 150 + 60, np.full_like(x, 110)], -1)
    tilt = np.where((x // 16 + y // 16) % 2 == 0, 0.45, -0.45)
    normal = np.stack([tilt, np.zeros_like(tilt), np.sqrt(1 - tilt**2)], -1)
    occlusion = (255 - (y // 4 % 4) * 40).astype(np.uint8)
    maps = MaterialMaps(normal=np.rint((normal * 0.5 + 0.5) * 255).astype(np.uint8), occlusion=occlusion)
    return texture.astype(np.uint8), maps


def lodsets() -> dict[str, LodSet]:
    """The sphere bare (no texture, no maps), textured, and with every map."""
    sphere = _uv_sphere()
    texture, maps = _maps()
    return {
        "bare": LodSet("bare", [Lod(0, sphere)], Material(base_color_factor=(0.8, 0.7, 0.6, 1.0))),
        "textured": LodSet("textured", [Lod(0, sphere)], Material(base_color_texture=texture)),
        "mapped": LodSet("mapped", [Lod(0, sphere)], Material(base_color_texture=texture, maps=maps)),
    }


CASES: dict[str, tuple[str, Shading, bool]] = {
    f"{asset}-{shading.value}{'-wire' if wire else ''}": (asset, shading, wire)
    for asset in ("bare", "textured", "mapped")
    for shading in Shading
    for wire in (False, True)
}
"""Case name: (asset, shading mode, wireframe overlay)."""

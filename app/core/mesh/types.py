"""The in-memory mesh model every stage and writer shares.

Plain numpy arrays rather than trimesh objects: stages control exactly when work happens
(trimesh's lazy caches and `process=True` repairs are surprising and, on generator output, broke
watertightness), and the arrays go to the GPU and into files without copies.

Conventions: positions in metres, +Y up, the front faces +Z (glTF); triangles wind
counter-clockwise seen from outside; UVs in glTF convention (origin at the image's top-left,
v grows downwards); textures are sRGB uint8 arrays of shape (H, W, 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from app.core.mesh.geometry import vertex_bounds


@dataclass
class Mesh:
    vertices: np.ndarray
    """(N, 3) float32 positions."""
    faces: np.ndarray
    """(M, 3) int32 vertex indices."""
    normals: np.ndarray | None = None
    """(N, 3) float32 unit vertex normals, or None until computed."""
    uvs: np.ndarray | None = None
    """(N, 2) float32 texture coordinates, or None for an untextured mesh."""

    def __post_init__(self) -> None:
        self.vertices = np.ascontiguousarray(self.vertices, dtype=np.float32).reshape(-1, 3)
        self.faces = np.ascontiguousarray(self.faces, dtype=np.int32).reshape(-1, 3)
        if self.normals is not None:
            self.normals = np.ascontiguousarray(self.normals, dtype=np.float32).reshape(-1, 3)
        if self.uvs is not None:
            self.uvs = np.ascontiguousarray(self.uvs, dtype=np.float32).reshape(-1, 2)

    @property
    def triangle_count(self) -> int:
        return len(self.faces)

    @property
    def vertex_count(self) -> int:
        return len(self.vertices)

    def bounds(self) -> np.ndarray:
        """(2, 3) array: min corner, max corner."""
        return vertex_bounds(self.vertices)

    def diagonal(self) -> float:
        lo, hi = self.bounds()
        return float(np.linalg.norm(hi - lo))

    def copy(self) -> Mesh:
        return Mesh(
            self.vertices.copy(),
            self.faces.copy(),
            None if self.normals is None else self.normals.copy(),
            None if self.uvs is None else self.uvs.copy(),
        )


@dataclass
class Material:
    """A metallic-roughness PBR material with an optional base-colour texture."""

    name: str = "Material"
    base_color_texture: np.ndarray | None = None
    """(H, W, 3) uint8 sRGB image, or None."""
    base_color_factor: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    metallic: float = 0.0
    roughness: float = 0.85


@dataclass
class Lod:
    level: int
    mesh: Mesh
    error_pct: float = 0.0
    """Deviation from LOD0 in % of LOD0's bounding-box diagonal (0 for LOD0 itself)."""


@dataclass
class LodSet:
    """One asset as it is written to a file: its LODs (LOD0 first), one material, provenance."""

    name: str
    lods: list[Lod]
    material: Material = field(default_factory=Material)
    provenance: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """What a reader left out (e.g. a texture outside the mesh's folder), one line each for the user."""

    @property
    def lod0(self) -> Mesh:
        return self.lods[0].mesh

    def with_lods(self, lods: list[Lod]) -> LodSet:
        return replace(self, lods=lods)

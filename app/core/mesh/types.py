"""The in-memory meshes every stage and writer shares.

Plain numpy arrays rather than trimesh objects: stages control exactly when work happens
(trimesh's lazy caches and `process=True` repairs are surprising and, on generator output, broke
watertightness), and the arrays go to the GPU and into files without copies.

Conventions: positions in metres, +Y up, the front faces +Z (glTF); triangles wind
counter-clockwise seen from outside; UVs in glTF convention (origin at the image's top-left,
v grows downwards); textures are sRGB uint8 arrays of shape (H, W, 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np

from app.core.base.rules import DEFAULT_ROUGHNESS
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
    tangents: np.ndarray | None = None
    """(N, 4) float32 MikkTSpace tangents (xyz unit, w = ±1 bitangent sign, glTF's TANGENT), made
    from these normals and UVs by `mesh.tangents.with_tangents`; None until computed. Any change
    to positions, normals or UVs makes them stale."""
    lightmap_uvs: np.ndarray | None = None
    """(N, 2) float32 second UV set for baked lighting (glTF's TEXCOORD_1, FBX's second UV layer):
    non-overlapping, inside [0, 1], made by `mesh.lightmap_uv.with_lightmap_uvs`; None without one."""

    def __post_init__(self) -> None:
        self.vertices = np.ascontiguousarray(self.vertices, dtype=np.float32).reshape(-1, 3)
        self.faces = np.ascontiguousarray(self.faces, dtype=np.int32).reshape(-1, 3)
        if self.normals is not None:
            self.normals = np.ascontiguousarray(self.normals, dtype=np.float32).reshape(-1, 3)
        if self.uvs is not None:
            self.uvs = np.ascontiguousarray(self.uvs, dtype=np.float32).reshape(-1, 2)
        if self.tangents is not None:
            self.tangents = np.ascontiguousarray(self.tangents, dtype=np.float32).reshape(-1, 4)
        if self.lightmap_uvs is not None:
            self.lightmap_uvs = np.ascontiguousarray(self.lightmap_uvs, dtype=np.float32).reshape(-1, 2)

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
            None if self.tangents is None else self.tangents.copy(),
            None if self.lightmap_uvs is None else self.lightmap_uvs.copy(),
        )


class NormalConvention(StrEnum):
    """Which way a tangent-space normal map's green channel points."""

    OPENGL = "opengl"
    """Green is +Y, towards the top of the image (glTF, Blender, Godot, Unity)."""
    DIRECTX = "directx"
    """Green is -Y (Unreal, DirectX tools): the OpenGL map with its green channel inverted."""


@dataclass
class MaterialMaps:
    """Maps baked from the full-detail shape onto LOD0's UV atlas; every LOD shares them.

    Stored in one form (tangent space MikkTSpace, green +Y): a writer for a target with another
    convention converts with `normal_for` and says so. Base colour stays in
    `Material.base_color_texture`; roughness and metallic are the material's constants.
    """

    normal: np.ndarray | None = None
    """(H, W, 3) uint8 linear tangent-space normal map (128, 128, 255 is the surface's own normal)."""
    occlusion: np.ndarray | None = None
    """(H, W) uint8 linear ambient occlusion, 255 fully open."""
    normal_convention: NormalConvention = NormalConvention.OPENGL
    tangent_space: str = "mikktspace"
    """The tangent basis the normal map was baked in: per-vertex MikkTSpace tangents with the
    bitangent `sign * cross(normal, tangent)`, rebuilt per pixel from the interpolated vectors."""
    details: dict[str, Any] = field(default_factory=dict)
    """How they were baked (source triangles, ray distances, sample counts), for provenance."""

    @property
    def empty(self) -> bool:
        return self.normal is None and self.occlusion is None

    def normal_for(self, convention: NormalConvention) -> np.ndarray | None:
        """The normal map in `convention` (a copy with green inverted when it differs)."""
        if self.normal is None or convention is self.normal_convention:
            return self.normal
        flipped = self.normal.copy()
        flipped[..., 1] = 255 - flipped[..., 1]
        return flipped


@dataclass
class Material:
    """A metallic-roughness PBR material with an optional base-colour texture and baked maps."""

    name: str = "Material"
    base_color_texture: np.ndarray | None = None
    """(H, W, 3) uint8 sRGB image, or None."""
    base_color_factor: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    metallic: float = 0.0
    roughness: float = DEFAULT_ROUGHNESS
    maps: MaterialMaps = field(default_factory=MaterialMaps)

    def orm(self) -> np.ndarray | None:
        """(H, W, 3) uint8 occlusion / roughness / metallic packed in R / G / B (glTF's and
        Unreal's ORM layout, linear), at the occlusion map's size; None without one."""
        occlusion = self.maps.occlusion
        if occlusion is None:
            return None
        packed = np.empty((*occlusion.shape, 3), dtype=np.uint8)
        packed[..., 0] = occlusion
        packed[..., 1] = round(self.roughness * 255)
        packed[..., 2] = round(self.metallic * 255)
        return packed


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
    full_detail: Mesh | None = None
    """The engine's shape after cleanup and before any reduction: what the maps are baked from,
    kept with the asset (the library's FULL_DETAIL_FILE), never written into its mesh files."""

    @property
    def lod0(self) -> Mesh:
        return self.lods[0].mesh

    def with_lods(self, lods: list[Lod]) -> LodSet:
        return replace(self, lods=lods)

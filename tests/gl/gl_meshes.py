"""Small meshes for the GL tests (llvmpipe is slow: a few thousand triangles at most)."""

from __future__ import annotations

import numpy as np
import trimesh

from app.core.mesh.types import Lod, LodSet, Material, Mesh


def lodset_of(*meshes: Mesh, texture: np.ndarray | None = None, errors: list[float] | None = None) -> LodSet:
    errors = errors or [0.0] * len(meshes)
    lods = [Lod(level, mesh, error) for level, (mesh, error) in enumerate(zip(meshes, errors, strict=True))]
    return LodSet("test", lods, Material(base_color_texture=texture))


def box(extents: tuple[float, float, float] = (0.6, 1.0, 0.6)) -> Mesh:
    """A box standing on the ground (y from 0), centred on the Y axis."""
    shape = trimesh.creation.box(extents=extents)
    return Mesh(np.asarray(shape.vertices) + np.array([0, extents[1] / 2, 0]), shape.faces)


def sphere(subdivisions: int, radius: float = 0.5) -> Mesh:
    shape = trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)
    return Mesh(np.asarray(shape.vertices) + np.array([0, radius, 0]), shape.faces)


def textured_quad() -> Mesh:
    """A 1 x 1 m quad facing +Z with glTF UVs: the image's top-left at the quad's top-left."""
    vertices = [(-0.5, 0, 0), (0.5, 0, 0), (0.5, 1, 0), (-0.5, 1, 0)]
    uvs = [(0, 1), (1, 1), (1, 0), (0, 0)]
    return Mesh(np.array(vertices), np.array([(0, 1, 2), (0, 2, 3)]), uvs=np.array(uvs))

"""Test scenes for the map bake: a full-detail shape with fine relief and its low-poly LOD0.

A sphere displaced by a product of sines has detail a few thousand triangles cannot carry
(wavelength ~2.7 low-poly edges) but that shades strongly (slopes up to ~30°), so a normal map
either restores it or visibly does not. Shared by the tests, the bake benchmark and the picture
script.
"""

from __future__ import annotations

import numpy as np
import trimesh

from app.core.mesh.lod import build_lods
from app.core.mesh.normals import welded_vertex_normals
from app.core.mesh.types import Mesh
from app.core.texture.unwrap import unwrap

FREQUENCY = 30.0
AMPLITUDE = 0.012


def displaced_sphere(subdivisions: int = 7, radius: float = 0.5) -> Mesh:
    """An icosphere (20·4^subdivisions triangles: 327,680 at 7) with sine relief, radius in metres."""
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions)
    unit = sphere.vertices / np.linalg.norm(sphere.vertices, axis=1, keepdims=True)
    x, y, z = (unit[:, k] * FREQUENCY for k in range(3))
    relief = 1.0 + AMPLITUDE * np.sin(x) * np.sin(y) * np.sin(z)
    vertices = (unit * relief[:, None] * radius).astype(np.float32)
    faces = sphere.faces.astype(np.int32)
    return Mesh(vertices, faces, welded_vertex_normals(vertices, faces))


def reduced_and_unwrapped(source: Mesh, triangles: int, texture_size: int) -> Mesh:
    """`source` reduced to `triangles` by the LOD simplifier and unwrapped with xatlas."""
    low = build_lods(source, [triangles], measure_samples=0)[1].mesh
    low.normals = welded_vertex_normals(low.vertices, low.faces)
    return unwrap(low, texture_size)

"""Hunyuan3D-2 Paint's six cameras, and the normal and position pictures of a mesh it is conditioned on.

The paint model was trained on pictures made by hy3dgen's own renderer, which needs the compiled
`custom_rasterizer`. These are made by our rasteriser instead, with hy3dgen 2.0.2's conventions
(worked out from its camera and renderer code, not by running it):

- six orthographic cameras: front, right, back, left (azimuth 0, 90, 180, 270), top and bottom
  (elevation ±90), oriented as `render.camera.VIEWS` names them;
- framing: the box centre in the image centre and the vertex farthest from it at 1.15 / 1.2 of
  the half-width (hy3dgen scales the mesh to 1.15 and its orthographic window is 1.2 wide);
- hy3dgen's renderer axes are (-x, z, -y) of our +Y-up, +Z-front mesh. Position pictures hold
  0.5 - p / 1.15 of the scaled mesh, that is 0.5 + (x, -z, y) / 2r around the box centre with r the
  farthest vertex distance; normal pictures hold (n + 1) / 2 of smooth vertex normals, and because
  that axis change is a reflection, hy3dgen's face normals of an outward-wound mesh come out as
  (x, -z, y) of the outward normals too. Both on white where the mesh is not drawn;
- each view's camera index is hy3dgen's: ((azimuth // 30 + 9) % 12) // {0: 1, ±90: 3} +
  {0: 12, 90: 40, -90: 36}.
Every view is drawn at twice its size and averaged down, as hy3dgen's are drawn large and shrunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.core.mesh.normals import welded_vertex_normals
from app.core.mesh.types import Mesh
from app.core.render.camera import project
from app.core.render.raster import rasterize

PAINT_BORDER = 1.0 - 1.15 / 1.2
"""The empty border of the "farthest" framing that matches hy3dgen's texture cameras."""
SUPERSAMPLE = 2


@dataclass(frozen=True)
class PaintCamera:
    name: str
    """The `render.camera.VIEWS` camera it is."""
    azimuth: int
    elevation: int
    weight: float
    """hy3dgen's priority for the view where views overlap."""

    @property
    def camera_info(self) -> int:
        """The paint model's camera index (its camera embedding is looked up by it)."""
        per_ring = {0: 1, 90: 3, -90: 3}[self.elevation]
        offset = {0: 12, 90: 40, -90: 36}[self.elevation]
        return ((self.azimuth // 30 + 9) % 12) // per_ring + offset


PAINT_CAMERAS = (
    PaintCamera("front", 0, 0, 1.0),
    PaintCamera("right", 90, 0, 0.1),
    PaintCamera("back", 180, 0, 0.5),
    PaintCamera("left", 270, 0, 0.1),
    PaintCamera("top", 0, 90, 0.05),
    PaintCamera("bottom", 180, -90, 0.05),
)
"""hy3dgen 2.0.2's candidate cameras and view weights, in its order."""


@dataclass(frozen=True)
class ConditionMaps:
    """What the paint model is shown of the mesh, one picture per camera in `PAINT_CAMERAS` order."""

    normals: np.ndarray
    """(6, S, S, 3) float32 in [0, 1]."""
    positions: np.ndarray
    """(6, S, S, 3) float32 in [0, 1]."""
    coverage: np.ndarray
    """(6, S, S) float32: how much of each pixel the mesh covers."""

    @property
    def size(self) -> int:
        return int(self.normals.shape[1])


def render_conditions(mesh: Mesh, size: int) -> ConditionMaps:
    """The normal and position pictures of `mesh` from the six paint cameras, `size` pixels square."""
    big = size * SUPERSAMPLE
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    centre = (vertices.min(axis=0) + vertices.max(axis=0)) / 2
    radius = max(float(np.sqrt(((vertices - centre) ** 2).sum(axis=1).max())), 1e-12)
    normals = welded_vertex_normals(mesh.vertices, mesh.faces).astype(np.float32)
    normal_colour = (_hunyuan_axes(normals) + 1.0) / 2.0
    position_colour = 0.5 + _hunyuan_axes((vertices - centre) / (2.0 * radius)).astype(np.float32)
    out_normals, out_positions, out_cover = [], [], []
    for camera in PAINT_CAMERAS:
        proj = project(vertices, (big, big), camera.name, framing="farthest", border=PAINT_BORDER)
        cov = rasterize(proj.points, mesh.faces, (big, big), proj.depth)
        corners = mesh.faces[cov.faces]
        drawn = np.zeros(big * big, dtype=np.float32)
        drawn[cov.pixels] = 1.0
        pictures = []
        for colour in (normal_colour, position_colour):
            picture = np.ones((big * big, 3), dtype=np.float32)
            picture[cov.pixels] = np.einsum("kj,kjc->kc", cov.bary, colour[corners])
            pictures.append(_shrink(picture.reshape(big, big, 3)))
        out_normals.append(np.clip(pictures[0], 0.0, 1.0))
        out_positions.append(np.clip(pictures[1], 0.0, 1.0))
        out_cover.append(_shrink(drawn.reshape(big, big, 1))[..., 0])
    return ConditionMaps(np.stack(out_normals), np.stack(out_positions), np.stack(out_cover))


def _hunyuan_axes(vectors: np.ndarray) -> np.ndarray:
    """Our (x, y, z) as hy3dgen's pictures give them: (x, -z, y)."""
    return np.stack([vectors[:, 0], -vectors[:, 2], vectors[:, 1]], axis=1)


def _shrink(picture: np.ndarray) -> np.ndarray:
    """Average SUPERSAMPLE × SUPERSAMPLE blocks."""
    h, w, c = picture.shape
    s = SUPERSAMPLE
    return picture.reshape(h // s, s, w // s, s, c).mean(axis=(1, 3))

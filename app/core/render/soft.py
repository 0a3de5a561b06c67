"""A z-buffered software renderer (numpy only): thumbnails without a GL context, test renders.

Renders like a game engine would show a glTF asset: back faces culled (glTF materials are
single-sided by default), the base-colour texture sampled bilinearly with the edge clamped (the
sampler the GLB writer declares), UVs in glTF's top-left convention. Lighting is done on linear
colour and encoded back to sRGB.
"""

from __future__ import annotations

import numpy as np

from app.core.mesh.geometry import cross_rows, face_corners, unit_rows
from app.core.mesh.normals import vertex_normals
from app.core.mesh.types import LodSet, Material, Mesh
from app.core.render.camera import project
from app.core.render.raster import Coverage, rasterize

SHADINGS = ("textured", "lit", "flat-colour")
_LIGHT = unit_rows(np.array([[-0.45, 0.6, 0.75]]))[0].astype(np.float64)
"""Key light direction in camera space: from the upper left, in front."""
_AMBIENT = 0.35
_CLAY = np.array([0.72, 0.72, 0.70])
"""Linear albedo of "flat-colour" renders when the material's colour is plain white."""
_THUMB_SUPERSAMPLE = 2
_SRGB_TO_LINEAR = (
    np.where(
        (k := np.arange(256) / 255.0) <= 0.04045,
        k / 12.92,
        ((k + 0.055) / 1.055) ** 2.4,
    )
).astype(np.float32)


def render(
    mesh: Mesh,
    material: Material | None,
    *,
    size: tuple[int, int] = (256, 256),
    view: str = "front",
    ortho: bool = True,
    shading: str = "textured",
    background: tuple[int, int, int, int] = (0, 0, 0, 0),
    framing: str = "fit",
) -> np.ndarray:
    """An (H, W, 4) uint8 RGBA image of `mesh` seen from `view` (see `camera.VIEWS`).

    "textured" shows the base colour unlit (texture × factor; a front render lines up with the
    framed input picture), "lit" multiplies it by a key light plus ambient on smooth normals,
    "flat-colour" ignores the texture and shades one colour per triangle to show the geometry.
    """
    if shading not in SHADINGS:
        raise ValueError(f"unknown shading {shading!r}; use one of: {', '.join(SHADINGS)}")
    width, height = size
    if width < 1 or height < 1:
        raise ValueError(f"bad render size {size}")
    material = material or Material()
    out = np.empty((height, width, 4), dtype=np.uint8)
    out[:] = np.asarray(background, dtype=np.uint8)
    if mesh.triangle_count == 0:
        return out
    proj = project(mesh.vertices, (width, height), view, ortho=ortho, framing=framing)
    cov = rasterize(
        proj.points, mesh.faces, (width, height), proj.depth, cull_clockwise=True, inv_w=proj.inv_w
    )
    if len(cov.pixels) == 0:
        return out
    if shading == "flat-colour":
        linear = _flat_colour(mesh, material, cov, proj.rotation)
    else:
        linear = _albedo(mesh, material, cov)
        if shading == "lit":
            normals = mesh.normals if mesh.normals is not None else vertex_normals(mesh.vertices, mesh.faces)
            n = _interpolate(normals, mesh.faces, cov) @ proj.rotation.T
            n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
            linear = linear * (_AMBIENT + (1 - _AMBIENT) * np.clip(n @ _LIGHT, 0.0, 1.0))[:, None]
    flat = out.reshape(-1, 4)
    flat[cov.pixels, :3] = _encode_srgb(linear)
    flat[cov.pixels, 3] = np.uint8(round(255 * float(np.clip(material.base_color_factor[3], 0, 1))))
    return out


def render_thumbnail(lodset: LodSet, size: int = 256) -> np.ndarray:
    """(size, size, 4) RGBA: LOD0 from the three-quarter view, lit and textured, on transparency.

    Rendered at twice the size and averaged down (alpha-weighted), so edges are anti-aliased.
    """
    big = size * _THUMB_SUPERSAMPLE
    image = render(lodset.lod0, lodset.material, size=(big, big), view="three-quarter", shading="lit")
    blocks = image.reshape(size, _THUMB_SUPERSAMPLE, size, _THUMB_SUPERSAMPLE, 4).astype(np.float32)
    alpha = blocks[..., 3:4]
    colour = (blocks[..., :3] * alpha).sum(axis=(1, 3)) / np.maximum(alpha.sum(axis=(1, 3)), 1e-6)
    out = np.empty((size, size, 4), dtype=np.uint8)
    out[..., :3] = np.clip(colour + 0.5, 0, 255).astype(np.uint8)
    out[..., 3] = np.clip(alpha.mean(axis=(1, 3))[..., 0] + 0.5, 0, 255).astype(np.uint8)
    return out


def _interpolate(values: np.ndarray, faces: np.ndarray, cov: Coverage) -> np.ndarray:
    """Per-vertex `values` (N, C) interpolated at every covered pixel: (K, C) float64."""
    corners = values[faces[cov.faces]].astype(np.float64)  # (K, 3, C)
    return np.einsum("kj,kjc->kc", cov.bary.astype(np.float64), corners)


def _albedo(mesh: Mesh, material: Material, cov: Coverage) -> np.ndarray:
    """(K, 3) linear base colour at each covered pixel."""
    factor = np.asarray(material.base_color_factor[:3], dtype=np.float64)
    texture = material.base_color_texture
    if texture is None or mesh.uvs is None:
        return np.broadcast_to(factor, (len(cov.pixels), 3)).copy()
    return sample_linear(texture, _interpolate(mesh.uvs, mesh.faces, cov)) * factor


def sample_linear(texture: np.ndarray, uvs: np.ndarray) -> np.ndarray:
    """Bilinear, edge-clamped samples of an sRGB uint8 texture at glTF UVs, as linear (K, 3)."""
    th, tw = texture.shape[:2]
    x = np.clip(uvs[:, 0] * tw - 0.5, 0, tw - 1)
    y = np.clip(uvs[:, 1] * th - 0.5, 0, th - 1)
    x0 = np.minimum(x.astype(np.int64), tw - 2 if tw > 1 else 0)
    y0 = np.minimum(y.astype(np.int64), th - 2 if th > 1 else 0)
    fx = (x - x0)[:, None]
    fy = (y - y0)[:, None]
    x1 = np.minimum(x0 + 1, tw - 1)
    y1 = np.minimum(y0 + 1, th - 1)
    lin = _SRGB_TO_LINEAR
    t = texture[..., :3]
    top = lin[t[y0, x0]] * (1 - fx) + lin[t[y0, x1]] * fx
    bottom = lin[t[y1, x0]] * (1 - fx) + lin[t[y1, x1]] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float64)


def _flat_colour(mesh: Mesh, material: Material, cov: Coverage, rotation: np.ndarray) -> np.ndarray:
    factor = np.asarray(material.base_color_factor[:3], dtype=np.float64)
    base = _CLAY if np.all(factor >= 0.999) else factor
    a, b, c = face_corners(mesh.vertices, mesh.faces)
    face_normal = unit_rows(cross_rows(b - a, c - a).T.astype(np.float64)) @ rotation.T
    light = _AMBIENT + (1 - _AMBIENT) * np.clip(face_normal[cov.faces] @ _LIGHT, 0.0, 1.0)
    return base[None, :] * light[:, None]


def _encode_srgb(linear: np.ndarray) -> np.ndarray:
    c = np.clip(linear, 0.0, 1.0)
    srgb = np.where(c <= 0.0031308, c * 12.92, 1.055 * np.power(c, 1 / 2.4) - 0.055)
    return np.clip(srgb * 255 + 0.5, 0, 255).astype(np.uint8)

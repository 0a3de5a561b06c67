"""Copies a staged asset to the GPU a slice at a time, so no frame of the GUI thread copies more
than its time budget allows (on a software rasterizer a 2048² map alone took a frame's worth).

Each `step` creates the GL objects it reaches, copies LOD buffers whole and textures a band of
rows per call (glTexSubImage2D into storage allocated for the whole chain), and stops once the
deadline has passed. The renderer shows the new asset only when `step` reports it complete, so a
half-copied texture is never sampled. No Qt: any current OpenGL 3.3 context will do.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from OpenGL import GL

from app.ui.viewport.gpu import MeshBuffers
from app.ui.viewport.staging import StagedAsset, StagedTexture

BAND_BYTES = 1 << 20
"""Rows of a texture copied per call: small enough to stop near the deadline."""


@dataclass
class UploadedAsset:
    """The GL objects of one asset, ready to draw."""

    lods: list[MeshBuffers]
    base_color: int
    normal: int
    occlusion: int


def _allocate(texture: StagedTexture) -> int:
    """Storage for the whole mip chain, sampled trilinearly once filled."""
    channels = texture.levels[0].shape[2]
    source = GL.GL_RGB if channels == 3 else GL.GL_RGBA
    internal = (GL.GL_SRGB8 if channels == 3 else GL.GL_SRGB8_ALPHA8) if texture.srgb else source
    name = int(GL.glGenTextures(1))
    GL.glBindTexture(GL.GL_TEXTURE_2D, name)
    for level, image in enumerate(texture.levels):
        height, width = image.shape[:2]
        GL.glTexImage2D(
            GL.GL_TEXTURE_2D, level, internal, width, height, 0, source, GL.GL_UNSIGNED_BYTE, None
        )
    GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAX_LEVEL, len(texture.levels) - 1)
    GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR_MIPMAP_LINEAR)
    GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAG_FILTER, GL.GL_LINEAR)
    GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_S, GL.GL_REPEAT)
    GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_T, GL.GL_REPEAT)
    GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
    return name


def _copy_bands(name: int, texture: StagedTexture) -> Iterator[None]:
    """Copy the chain into texture `name`, yielding after each band of rows."""
    for level, image in enumerate(texture.levels):
        height, width, channels = image.shape
        source = GL.GL_RGB if channels == 3 else GL.GL_RGBA
        rows = max(1, BAND_BYTES // max(image[0].nbytes, 1))
        for top in range(0, height, rows):
            band = image[top : top + rows]
            GL.glBindTexture(GL.GL_TEXTURE_2D, name)
            GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)
            GL.glTexSubImage2D(
                GL.GL_TEXTURE_2D, level, 0, top, width, band.shape[0], source, GL.GL_UNSIGNED_BYTE, band
            )
            GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
            yield


class AssetUpload:
    """One staged asset on its way to the GPU; call `step` with the context current."""

    def __init__(self, staged: StagedAsset) -> None:
        self.staged = staged
        self.uploaded = UploadedAsset([], 0, 0, 0)
        self._work = self._copies()
        self.done = False

    def _copies(self) -> Iterator[None]:
        for lod in self.staged.lods:
            self.uploaded.lods.append(MeshBuffers.from_arrays(lod.vertices, lod.indices, lod.has_tangents))
            yield
        for slot in ("base_color", "normal", "occlusion"):
            texture: StagedTexture | None = getattr(self.staged, slot)
            if texture is not None:
                name = _allocate(texture)
                setattr(self.uploaded, slot, name)
                yield from _copy_bands(name, texture)

    def step(self, deadline: float | None = None) -> bool:
        """Copy until `deadline` (time.perf_counter seconds) has passed, or everything without
        one; True once the whole asset is on the GPU. At least one slice is copied per call."""
        for _ in self._work:
            if deadline is not None and time.perf_counter() >= deadline:
                return False
        self.done = True
        return True

    def discard(self) -> None:
        """Delete what was copied (the asset was replaced before it was shown)."""
        for buffers in self.uploaded.lods:
            buffers.delete()
        names = [n for n in (self.uploaded.base_color, self.uploaded.normal, self.uploaded.occlusion) if n]
        if names:
            GL.glDeleteTextures(len(names), names)
        self.uploaded = UploadedAsset([], 0, 0, 0)
        self._work = iter(())

"""GPU-side objects of the viewport: shader programs, one vertex/index buffer pair per LOD, textures.

No Qt: any current OpenGL 3.3 core context will do (the widget's, or an EGL one in a test).

Vertex format, 28 bytes: float32 position, normal packed as GL_INT_2_10_10_10_REV (4 bytes
instead of 12; 10 bits per axis is below a shading difference anyone sees), float32 UV (half
floats would be 4 bytes smaller but step 1/2048 near u = 1, two texels of a 4k texture), and the
MikkTSpace tangent packed the same way with its bitangent sign in the 2-bit w (zero for a mesh
without tangents).
Indices are uint32 so a multi-million-vertex mesh needs no splitting.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from OpenGL import GL

from app.core.mesh.types import Mesh

VERTEX_DTYPE = np.dtype([("position", "<f4", 3), ("normal", "<u4"), ("uv", "<f4", 2), ("tangent", "<u4")])


class GLSetupError(RuntimeError):
    """The OpenGL context cannot run the viewport (too old, or a shader failed to build)."""


def _compile(kind: int, source: str, name: str) -> int:
    shader = GL.glCreateShader(kind)
    GL.glShaderSource(shader, source)
    GL.glCompileShader(shader)
    if not GL.glGetShaderiv(shader, GL.GL_COMPILE_STATUS):
        log = GL.glGetShaderInfoLog(shader).decode(errors="replace")
        GL.glDeleteShader(shader)
        raise GLSetupError(f"shader {name} did not compile: {log.strip()}")
    return shader


def _with_defines(source: str, defines: tuple[str, ...]) -> str:
    """`source` with a `#define` line for each name, right after its `#version` line."""
    if not defines:
        return source
    version, _, rest = source.partition("\n")
    return "\n".join([version, *(f"#define {name}" for name in defines), rest])


def build_program(shader_dir: Path, name: str, defines: tuple[str, ...] = ()) -> int:
    """Compile and link `<name>.vert` + `<name>.frag` from `shader_dir`, with `defines` set."""
    stages = [(GL.GL_VERTEX_SHADER, ".vert"), (GL.GL_FRAGMENT_SHADER, ".frag")]
    shaders = [
        _compile(kind, _with_defines((shader_dir / f"{name}{ext}").read_text(), defines), name + ext)
        for kind, ext in stages
    ]
    program = GL.glCreateProgram()
    for shader in shaders:
        GL.glAttachShader(program, shader)
    GL.glLinkProgram(program)
    for shader in shaders:
        GL.glDetachShader(program, shader)
        GL.glDeleteShader(shader)
    if not GL.glGetProgramiv(program, GL.GL_LINK_STATUS):
        log = GL.glGetProgramInfoLog(program).decode(errors="replace")
        GL.glDeleteProgram(program)
        raise GLSetupError(f"shader program {name} did not link: {log.strip()}")
    return program


def pack_normals(normals: np.ndarray) -> np.ndarray:
    """(N, 3) unit vectors, or (N, 4) with w = ±1, to GL_INT_2_10_10_10_REV words (x in the low
    bits; w = 0 for three components)."""
    q = np.clip(np.rint(normals[:, :3] * 511.0), -511, 511).astype(np.int64) & 0x3FF
    words = q[:, 0] | (q[:, 1] << 10) | (q[:, 2] << 20)
    if normals.shape[1] == 4:
        words |= (np.where(normals[:, 3] < 0, -1, 1).astype(np.int64) & 0x3) << 30
    return words.astype(np.uint32)


def interleave(mesh: Mesh) -> np.ndarray:
    """The mesh's vertices in VERTEX_DTYPE; a mesh without UVs gets (0, 0)."""
    from app.core.mesh.normals import shading_normals  # scipy: loaded by then, kept off start-up

    vertices = np.empty(mesh.vertex_count, dtype=VERTEX_DTYPE)
    vertices["position"] = mesh.vertices
    vertices["normal"] = pack_normals(shading_normals(mesh))
    vertices["uv"] = 0.0 if mesh.uvs is None else mesh.uvs
    vertices["tangent"] = 0 if mesh.tangents is None else pack_normals(mesh.tangents)
    return vertices


@dataclass
class MeshBuffers:
    """One LOD on the GPU: a VAO holding its vertex and index buffers."""

    vao: int
    buffers: tuple[int, int]
    index_count: int
    has_tangents: bool = False

    @classmethod
    def upload(cls, mesh: Mesh) -> MeshBuffers:
        indices = np.ascontiguousarray(mesh.faces, dtype=np.uint32)
        return cls.from_arrays(interleave(mesh), indices, mesh.tangents is not None)

    @classmethod
    def from_arrays(cls, vertices: np.ndarray, indices: np.ndarray, has_tangents: bool) -> MeshBuffers:
        """Upload vertices already in VERTEX_DTYPE and uint32 indices (packed on another thread)."""
        vao = GL.glGenVertexArrays(1)
        GL.glBindVertexArray(vao)
        vbo, ebo = (int(b) for b in GL.glGenBuffers(2))
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, vbo)
        GL.glBufferData(GL.GL_ARRAY_BUFFER, vertices.nbytes, vertices, GL.GL_STATIC_DRAW)
        stride = VERTEX_DTYPE.itemsize
        GL.glEnableVertexAttribArray(0)
        GL.glVertexAttribPointer(0, 3, GL.GL_FLOAT, GL.GL_FALSE, stride, ctypes.c_void_p(0))
        GL.glEnableVertexAttribArray(1)
        GL.glVertexAttribPointer(1, 4, GL.GL_INT_2_10_10_10_REV, GL.GL_TRUE, stride, ctypes.c_void_p(12))
        GL.glEnableVertexAttribArray(2)
        GL.glVertexAttribPointer(2, 2, GL.GL_FLOAT, GL.GL_FALSE, stride, ctypes.c_void_p(16))
        GL.glEnableVertexAttribArray(3)
        GL.glVertexAttribPointer(3, 4, GL.GL_INT_2_10_10_10_REV, GL.GL_TRUE, stride, ctypes.c_void_p(24))
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, ebo)
        GL.glBufferData(GL.GL_ELEMENT_ARRAY_BUFFER, indices.nbytes, indices, GL.GL_STATIC_DRAW)
        GL.glBindVertexArray(0)
        return cls(int(vao), (vbo, ebo), int(indices.size), has_tangents)

    def draw(self, runs: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Draw every triangle, or only the runs given as (first index, index count) arrays."""
        GL.glBindVertexArray(self.vao)
        if runs is None:
            GL.glDrawElements(GL.GL_TRIANGLES, self.index_count, GL.GL_UNSIGNED_INT, None)
            return
        first, count = runs
        if len(first) == 1:
            GL.glDrawElements(
                GL.GL_TRIANGLES, int(count[0]), GL.GL_UNSIGNED_INT, ctypes.c_void_p(int(first[0]) * 4)
            )
        elif len(first):
            offsets = (first * 4).astype(np.uintp)
            GL.glMultiDrawElements(
                GL.GL_TRIANGLES, count.astype(np.int32), GL.GL_UNSIGNED_INT, offsets, len(first)
            )

    def delete(self) -> None:
        GL.glDeleteVertexArrays(1, [self.vao])
        GL.glDeleteBuffers(2, list(self.buffers))


def upload_texture(image: np.ndarray, srgb: bool) -> int:
    """An (H, W, 3|4) uint8 image as a mipmapped 2D texture; row 0 is the image's top, which is
    where glTF's UV origin is, so glTF UVs sample it unflipped."""
    image = np.ascontiguousarray(image, dtype=np.uint8)
    channels = image.shape[2] if image.ndim == 3 else 1
    if channels not in (3, 4):
        raise ValueError(f"a texture needs 3 or 4 channels, not {channels}")
    source = GL.GL_RGB if channels == 3 else GL.GL_RGBA
    internal = (GL.GL_SRGB8 if channels == 3 else GL.GL_SRGB8_ALPHA8) if srgb else source
    texture = int(GL.glGenTextures(1))
    GL.glBindTexture(GL.GL_TEXTURE_2D, texture)
    GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)
    height, width = image.shape[:2]
    GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, internal, width, height, 0, source, GL.GL_UNSIGNED_BYTE, image)
    GL.glGenerateMipmap(GL.GL_TEXTURE_2D)
    GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR_MIPMAP_LINEAR)
    GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAG_FILTER, GL.GL_LINEAR)
    GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_S, GL.GL_REPEAT)
    GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_T, GL.GL_REPEAT)
    GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
    return texture


def upload_lines(vertices: np.ndarray) -> tuple[int, int]:
    """(N, 7) float32 rows of position + RGBA as a VAO for GL_LINES; returns (vao, vbo)."""
    data = np.ascontiguousarray(vertices, dtype=np.float32)
    vao = int(GL.glGenVertexArrays(1))
    GL.glBindVertexArray(vao)
    vbo = int(GL.glGenBuffers(1))
    GL.glBindBuffer(GL.GL_ARRAY_BUFFER, vbo)
    GL.glBufferData(GL.GL_ARRAY_BUFFER, data.nbytes, data, GL.GL_STATIC_DRAW)
    GL.glEnableVertexAttribArray(0)
    GL.glVertexAttribPointer(0, 3, GL.GL_FLOAT, GL.GL_FALSE, 28, ctypes.c_void_p(0))
    GL.glEnableVertexAttribArray(1)
    GL.glVertexAttribPointer(1, 4, GL.GL_FLOAT, GL.GL_FALSE, 28, ctypes.c_void_p(12))
    GL.glBindVertexArray(0)
    return vao, vbo

"""The viewport's renderer: PyOpenGL, 3.3 core profile, and no Qt, so a test can drive it from any
current context (the widget's, or EGL with no display at all).

What makes a frame of a million triangles cheap on a software rasterizer (measured with
tests/bench/bench_viewport.py on llvmpipe): back faces are culled, as glTF prescribes for a
material that is not double-sided, which halves the triangles that reach setup and
rasterization, by far the largest cost, and runs of triangles that cannot show (wholly
back-facing or out of view) are not drawn at all (`clusters`: no vertex shading or setup for
them, about a fifth of the main thread's frame); the vertex is 24 bytes (packed normal) instead
of 32; the mesh program is built per shading mode and feature set (`_MeshProgram`), so a fragment does only
the work of what is shown, with no uniform branch (llvmpipe runs both sides of one) and no varying
the mode does not read (the linker drops it; llvmpipe sets up every varying of every triangle).
The key light's direction is turned into world space once a frame, not per fragment. Every LOD
is uploaded when the asset is set, not on first use: automatic LOD switches while the user zooms,
and a first-use upload of a big level would stall that frame; the whole chain costs about twice
LOD0's memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
from OpenGL import GL

from app.core.mesh.types import LodSet
from app.core.paths import resources_dir
from app.ui.viewport.clusters import Clusters
from app.ui.viewport.gpu import GLSetupError, MeshBuffers, build_program, upload_lines, upload_texture
from app.ui.viewport.scenery import clay_matcap, grid_lines
from app.ui.viewport.staging import StagedAsset, stage_lodset
from app.ui.viewport.uploads import AssetUpload, UploadedAsset

SHADER_DIR = resources_dir() / "shaders"


class Shading(StrEnum):
    TEXTURED = "textured"
    SOLID = "solid"
    NORMALS = "normals"
    MATCAP = "matcap"


KEY_LIGHT = np.array([-0.35, 0.55, 0.75]) / np.linalg.norm([-0.35, 0.55, 0.75])
"""The key light's direction in view space: over the viewer's left shoulder."""


@dataclass(frozen=True)
class _MeshProgram:
    """Which variant of the mesh program a draw needs: each field is a define of mesh.frag."""

    mode: str
    """TEXTURED, SOLID, NORMALS, MATCAP or WIRE."""
    has_texture: bool = False
    occlusion: bool = False
    normal_map: bool = False
    double_sided: bool = False

    @property
    def name(self) -> str:
        return "mesh:" + "+".join(self.defines)

    @property
    def defines(self) -> tuple[str, ...]:
        flags = (
            ("HAS_TEXTURE", self.has_texture),
            ("USE_OCCLUSION", self.occlusion),
            ("NORMAL_MAP", self.normal_map),
            ("DOUBLE_SIDED", self.double_sided),
        )
        return (f"MODE_{self.mode}", *(name for name, wanted in flags if wanted))


@dataclass
class RenderOptions:
    shading: Shading = Shading.TEXTURED
    wireframe: bool = False
    """Draw the triangle edges over the shaded surface."""
    grid: bool = True
    back_faces: bool = False
    """Draw back faces too (for open meshes); off culls them, as glTF does for single-sided materials."""
    normal_map: bool = True
    """Bend the shading by the asset's baked normal map (off: the bare geometry's normals)."""
    occlusion: bool = True
    """Darken the ambient light by the asset's baked occlusion map."""
    background_top: tuple[float, float, float] = (0.27, 0.28, 0.31)
    background_bottom: tuple[float, float, float] = (0.11, 0.11, 0.12)
    wire_colour: tuple[float, float, float] = (0.05, 0.05, 0.06)


class Renderer:
    """Draws one LodSet (any of its LODs) over a gradient background and a floor grid.

    Call `initialize` once and every other method with the same GL context current.
    """

    def __init__(self, shader_dir: Path = SHADER_DIR) -> None:
        self.options = RenderOptions()
        self._shader_dir = shader_dir
        self._programs: dict[str, int] = {}
        self._uniforms: dict[tuple[str, str], int] = {}
        self._background_vao = 0
        self._grid: tuple[int, int, int] | None = None
        self._lods: list[MeshBuffers] = []
        self._clusters: list[Clusters] = []
        self._base_texture = 0
        self._normal_texture = 0
        self._occlusion_texture = 0
        self._matcap = 0
        self._base_factor = (1.0, 1.0, 1.0, 1.0)
        self._bounds = np.array([[-0.5, 0.0, -0.5], [0.5, 1.0, 0.5]])

    @property
    def initialized(self) -> bool:
        return bool(self._programs)

    @property
    def lod_count(self) -> int:
        return len(self._lods)

    def initialize(self) -> None:
        """Build programs and fixed objects; raises GLSetupError if the context cannot run them."""
        version = GL.glGetIntegerv(GL.GL_MAJOR_VERSION) * 10 + GL.glGetIntegerv(GL.GL_MINOR_VERSION)
        if version < 33:
            raise GLSetupError(
                f"the viewport needs OpenGL 3.3, this driver offers {version // 10}.{version % 10}"
            )
        for name in ("lines", "background"):
            self._programs[name] = build_program(self._shader_dir, name)
        self._mesh_program(_MeshProgram(Shading.TEXTURED.name, has_texture=True))
        self._background_vao = int(GL.glGenVertexArrays(1))
        self._set_grid(self._bounds)

    def _mesh_program(self, variant: _MeshProgram) -> str:
        """The name of `variant`'s program, built and its samplers bound to their texture units on
        first use (the window's start builds the textured one; another costs one compile)."""
        program = variant.name
        if program in self._programs:
            return program
        self._programs[program] = build_program(self._shader_dir, "mesh", variant.defines)
        GL.glUseProgram(self._programs[program])
        for unit, sampler in enumerate(("u_base_color", "u_matcap", "u_normal_map", "u_occlusion")):
            GL.glUniform1i(self._uniform(program, sampler), unit)
        GL.glUseProgram(0)
        return program

    def _uniform(self, program: str, name: str) -> int:
        key = (program, name)
        if key not in self._uniforms:
            self._uniforms[key] = GL.glGetUniformLocation(self._programs[program], name)
        return self._uniforms[key]

    def _set_grid(self, bounds: np.ndarray) -> None:
        if self._grid is not None:
            GL.glDeleteVertexArrays(1, [self._grid[0]])
            GL.glDeleteBuffers(1, [self._grid[1]])
        lines = grid_lines(bounds)
        vao, vbo = upload_lines(lines)
        self._grid = (vao, vbo, len(lines))

    def set_lodset(self, lodset: LodSet | None) -> None:
        """Upload every LOD of `lodset` (and its texture) now, replacing what was shown; None
        clears. The window stages on the pool and copies a slice per frame instead (`adopt`)."""
        self._clear_asset()
        if lodset is None:
            return
        staged = stage_lodset(lodset)
        upload = AssetUpload(staged)
        upload.step()
        self.adopt(staged, upload.uploaded)

    def adopt(self, staged: StagedAsset, uploaded: UploadedAsset) -> None:
        """Show an asset whose GL objects `AssetUpload` made, replacing (and deleting) the shown one."""
        self._clear_asset()
        self._lods = list(uploaded.lods)
        self._clusters = [lod.clusters for lod in staged.lods]
        self._base_factor = staged.base_factor
        self._base_texture = uploaded.base_color
        self._normal_texture = uploaded.normal
        self._occlusion_texture = uploaded.occlusion
        self._bounds = staged.bounds
        self._set_grid(self._bounds)

    def _clear_asset(self) -> None:
        for buffers in self._lods:
            buffers.delete()
        self._lods = []
        self._clusters = []
        for texture in (self._base_texture, self._normal_texture, self._occlusion_texture):
            if texture:
                GL.glDeleteTextures(1, [texture])
        self._base_texture = self._normal_texture = self._occlusion_texture = 0

    def render(
        self,
        view: np.ndarray,
        projection: np.ndarray,
        size: tuple[int, int],
        lod: int = 0,
        origin: tuple[int, int] = (0, 0),
    ) -> None:
        """Draw a frame into the bound framebuffer; `size` is its width and height in pixels. With
        an `origin`, only the rectangle of `size` at that pixel is drawn and cleared (one half of a
        side-by-side comparison)."""
        GL.glViewport(*origin, *size)
        GL.glScissor(*origin, *size)
        GL.glEnable(GL.GL_SCISSOR_TEST)
        GL.glDepthMask(GL.GL_TRUE)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT | GL.GL_DEPTH_BUFFER_BIT)
        self._draw_background()
        view_projection = projection @ view
        if self.options.grid and self._grid is not None:
            self._draw_grid(view_projection)
        if self._lods:
            level = min(max(lod, 0), len(self._lods) - 1)
            runs = None if self.options.back_faces else self._clusters[level].visible_runs(view, projection)
            self._draw_mesh(view, view_projection, self._lods[level], runs)
        GL.glBindVertexArray(0)
        GL.glUseProgram(0)
        GL.glDisable(GL.GL_SCISSOR_TEST)

    def _draw_background(self) -> None:
        GL.glDisable(GL.GL_DEPTH_TEST)
        GL.glUseProgram(self._programs["background"])
        GL.glUniform3f(self._uniform("background", "u_top"), *self.options.background_top)
        GL.glUniform3f(self._uniform("background", "u_bottom"), *self.options.background_bottom)
        GL.glBindVertexArray(self._background_vao)
        GL.glDrawArrays(GL.GL_TRIANGLES, 0, 3)

    def _draw_grid(self, view_projection: np.ndarray) -> None:
        assert self._grid is not None
        GL.glEnable(GL.GL_DEPTH_TEST)
        GL.glDepthFunc(GL.GL_LESS)
        GL.glUseProgram(self._programs["lines"])
        GL.glUniformMatrix4fv(self._uniform("lines", "u_view_projection"), 1, GL.GL_TRUE, view_projection)
        GL.glBindVertexArray(self._grid[0])
        GL.glDrawArrays(GL.GL_LINES, 0, self._grid[2])

    def _draw_mesh(
        self,
        view: np.ndarray,
        view_projection: np.ndarray,
        buffers: MeshBuffers,
        runs: tuple[np.ndarray, np.ndarray] | None,
    ) -> None:
        """Draw one LOD: every triangle, or only the runs of clusters that may show (`runs`)."""
        options = self.options
        GL.glEnable(GL.GL_DEPTH_TEST)
        GL.glDepthFunc(GL.GL_LEQUAL)
        if options.back_faces:
            GL.glDisable(GL.GL_CULL_FACE)
        else:
            GL.glEnable(GL.GL_CULL_FACE)
            GL.glCullFace(GL.GL_BACK)
        use_normal_map = options.normal_map and bool(self._normal_texture) and buffers.has_tangents
        lit = options.shading in (Shading.TEXTURED, Shading.SOLID)
        variant = _MeshProgram(
            options.shading.name,
            has_texture=options.shading is Shading.TEXTURED and bool(self._base_texture),
            occlusion=lit and options.occlusion and bool(self._occlusion_texture),
            normal_map=use_normal_map,
            double_sided=options.back_faces,
        )
        program = self._mesh_program(variant)
        GL.glUseProgram(self._programs[program])
        GL.glUniformMatrix4fv(self._uniform(program, "u_view_projection"), 1, GL.GL_TRUE, view_projection)
        rotation = np.ascontiguousarray(view[:3, :3], dtype=np.float32)
        GL.glUniformMatrix3fv(self._uniform(program, "u_view_rotation"), 1, GL.GL_TRUE, rotation)
        GL.glUniform3f(self._uniform(program, "u_key_dir"), *(view[:3, :3].T @ KEY_LIGHT))
        GL.glUniform4f(self._uniform(program, "u_base_factor"), *self._base_factor)
        if options.shading is Shading.MATCAP and not self._matcap:
            # Made on first use: uploading it costs ~70 ms on llvmpipe, at every start otherwise.
            self._matcap = upload_texture(clay_matcap(), srgb=False)
        textures = (self._base_texture, self._matcap, self._normal_texture, self._occlusion_texture)
        for unit, texture in enumerate(textures):
            GL.glActiveTexture(GL.GL_TEXTURE0 + unit)
            GL.glBindTexture(GL.GL_TEXTURE_2D, texture)
        if options.wireframe:
            # Push the surface back a little so the edges drawn over it win the depth test.
            GL.glEnable(GL.GL_POLYGON_OFFSET_FILL)
            GL.glPolygonOffset(1.0, 1.0)
        buffers.draw(runs)
        if options.wireframe:
            GL.glDisable(GL.GL_POLYGON_OFFSET_FILL)
            wire = self._mesh_program(_MeshProgram("WIRE"))
            GL.glUseProgram(self._programs[wire])
            GL.glUniformMatrix4fv(self._uniform(wire, "u_view_projection"), 1, GL.GL_TRUE, view_projection)
            GL.glUniform3f(self._uniform(wire, "u_wire_color"), *options.wire_colour)
            GL.glPolygonMode(GL.GL_FRONT_AND_BACK, GL.GL_LINE)
            buffers.draw(runs)
            GL.glPolygonMode(GL.GL_FRONT_AND_BACK, GL.GL_FILL)
        GL.glDisable(GL.GL_CULL_FACE)
        GL.glActiveTexture(GL.GL_TEXTURE0)

    def release(self) -> None:
        """Delete every GL object (the context must still be current)."""
        self._clear_asset()
        if self._grid is not None:
            GL.glDeleteVertexArrays(1, [self._grid[0]])
            GL.glDeleteBuffers(1, [self._grid[1]])
            self._grid = None
        if self._matcap:
            GL.glDeleteTextures(1, [self._matcap])
            self._matcap = 0
        if self._background_vao:
            GL.glDeleteVertexArrays(1, [self._background_vao])
            self._background_vao = 0
        for program in self._programs.values():
            GL.glDeleteProgram(program)
        self._programs.clear()
        self._uniforms.clear()

    @property
    def bounds(self) -> np.ndarray:
        """(2, 3) bounds of the shown asset's LOD0 (a unit box at the origin when none is shown)."""
        return self._bounds

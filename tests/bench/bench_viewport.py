"""Viewport frame time on a ~1M-triangle mesh next to pyqtgraph's GLMeshItem and a minimal raw VBO
draw of the same mesh, same camera, same window size, same GL context format, in one run.

    .venv/bin/python tests/bench/bench_viewport.py [--triangles 1000000] [--size 640x480] [--frames 10]

Needs an X server with OpenGL; without DISPLAY the script re-runs itself under `xvfb-run`.
The three are QOpenGLWidgets with the app's surface format (3.3 core, 4x MSAA), shown side by
side; frames are timed round-robin (one frame of each per round) as makeCurrent + paintGL +
glFinish, so each time is the whole frame's GPU work on llvmpipe, and the median is reported,
both as wall time and as this process's CPU time (llvmpipe's threads are this process's): on a
shared machine the CPU time is the steadier of the two, since waiting for a core is not in it.
- floor: positions only (12 bytes a vertex), uint32 indices, a constant-colour shader, depth
  test, nothing else: the least any renderer must do to show the mesh. "floor, culled" is the
  same with back-face culling, the floor's own best case.
- pyqtgraph: GLViewWidget + GLMeshItem(shader="shaded", smooth=True), its camera replaced by ours.
- sweedle: ViewportWidget, textured shading with a 1024² texture, grid on: what the artist sees.
A silhouette overlap check (grid off, normals shading) prints how alike the three images are
(same framing: a fair race).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
for _path in (HERE.parents[1], HERE):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

if not os.environ.get("DISPLAY") and shutil.which("xvfb-run"):
    os.execvp("xvfb-run", ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24", sys.executable, *sys.argv])
os.environ["QT_QPA_PLATFORM"] = "xcb"

from OpenGL import GL  # noqa: E402
from PySide6.QtGui import QImage, QMatrix4x4  # noqa: E402
from PySide6.QtOpenGLWidgets import QOpenGLWidget  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.core.mesh.types import Lod, LodSet, Material, Mesh  # noqa: E402
from app.ui.surface import configure_surface_format  # noqa: E402
from app.ui.viewport.gl_widget import ViewportWidget  # noqa: E402
from app.ui.viewport.gpu import build_program  # noqa: E402
from app.ui.viewport.renderer import Shading  # noqa: E402

from bench_lod import bumpy_torus  # noqa: E402

FLOOR_SHADERS = {
    ".vert": "#version 330 core\nlayout(location = 0) in vec3 p;\nuniform mat4 mvp;\n"
    "void main() { gl_Position = mvp * vec4(p, 1.0); }\n",
    ".frag": "#version 330 core\nout vec4 c;\nvoid main() { c = vec4(0.8, 0.5, 0.3, 1.0); }\n",
}


class FloorWidget(QOpenGLWidget):
    """The least a renderer can do: one VBO of positions, one uint32 index buffer, one draw."""

    def __init__(self, mesh: Mesh, matrices: tuple[np.ndarray, np.ndarray], shader_dir: Path) -> None:
        super().__init__()
        self.mesh, self.matrices, self.shader_dir, self.cull = mesh, matrices, shader_dir, False

    def initializeGL(self) -> None:
        self.program = build_program(self.shader_dir, "floor")
        self.vao = GL.glGenVertexArrays(1)
        GL.glBindVertexArray(self.vao)
        vbo, ebo = GL.glGenBuffers(2)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, vbo)
        GL.glBufferData(GL.GL_ARRAY_BUFFER, self.mesh.vertices.nbytes, self.mesh.vertices, GL.GL_STATIC_DRAW)
        GL.glEnableVertexAttribArray(0)
        GL.glVertexAttribPointer(0, 3, GL.GL_FLOAT, GL.GL_FALSE, 12, None)
        indices = self.mesh.faces.astype(np.uint32)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, ebo)
        GL.glBufferData(GL.GL_ELEMENT_ARRAY_BUFFER, indices.nbytes, indices, GL.GL_STATIC_DRAW)
        GL.glBindVertexArray(0)

    def paintGL(self) -> None:
        view, projection = self.matrices
        GL.glViewport(0, 0, self.width(), self.height())
        GL.glClearColor(0.1, 0.1, 0.1, 1.0)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT | GL.GL_DEPTH_BUFFER_BIT)
        GL.glEnable(GL.GL_DEPTH_TEST)
        (GL.glEnable if self.cull else GL.glDisable)(GL.GL_CULL_FACE)
        GL.glUseProgram(self.program)
        GL.glUniformMatrix4fv(GL.glGetUniformLocation(self.program, "mvp"), 1, GL.GL_TRUE, projection @ view)
        GL.glBindVertexArray(self.vao)
        GL.glDrawElements(GL.GL_TRIANGLES, self.mesh.faces.size, GL.GL_UNSIGNED_INT, None)


def _pyqtgraph_widget(mesh: Mesh, matrices: tuple[np.ndarray, np.ndarray]) -> QOpenGLWidget:
    import pyqtgraph.opengl as gl

    view, projection = matrices

    class Matched(gl.GLViewWidget):
        def viewMatrix(self) -> QMatrix4x4:
            return QMatrix4x4(*view.ravel().tolist())

        def projectionMatrix(self, region, viewport) -> QMatrix4x4:
            return QMatrix4x4(*projection.ravel().tolist())

        def paintGL(self) -> None:
            GL.glViewport(0, 0, self.width(), self.height())
            super().paintGL()

    widget = Matched()
    widget.setBackgroundColor((25, 25, 25))
    data = gl.MeshData(vertexes=mesh.vertices, faces=mesh.faces)
    widget.addItem(gl.GLMeshItem(meshdata=data, smooth=True, shader="shaded", color=(0.8, 0.6, 0.5, 1.0)))
    return widget


def _textured_lodset(mesh: Mesh) -> LodSet:
    lo, hi = mesh.bounds()
    uvs = (mesh.vertices[:, [0, 1]] - lo[[0, 1]]) / (hi - lo)[[0, 1]]
    y, x = np.mgrid[0:1024, 0:1024]
    texture = np.stack([(x // 64 % 2) * 160 + 60, (y // 64 % 2) * 160 + 60, np.full_like(x, 120)], axis=-1)
    textured = Mesh(mesh.vertices, mesh.faces, uvs=uvs.astype(np.float32))
    return LodSet("bench", [Lod(0, textured)], Material(base_color_texture=texture.astype(np.uint8)))


def _time_frame(widget: QOpenGLWidget, cpu: list[float] | None = None) -> float:
    """Wall seconds of one frame; its CPU seconds (all threads) are appended to `cpu`."""
    widget.makeCurrent()
    start, start_cpu = time.perf_counter(), time.process_time()
    widget.paintGL()
    GL.glFinish()
    elapsed = time.perf_counter() - start
    if cpu is not None:
        cpu.append(time.process_time() - start_cpu)
    widget.doneCurrent()
    return elapsed


def _silhouette(widget: QOpenGLWidget) -> np.ndarray:
    image = widget.grabFramebuffer().convertToFormat(QImage.Format.Format_Grayscale8)
    stride = image.bytesPerLine()
    pixels = np.frombuffer(image.constBits(), np.uint8, count=stride * image.height())
    pixels = pixels.reshape(image.height(), stride)[:, : image.width()].astype(int)
    return np.abs(pixels - pixels[:, :1]) > 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triangles", type=int, default=1_000_000)
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--frames", type=int, default=10)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    configure_surface_format()
    app = QApplication(sys.argv)
    mesh = bumpy_torus(args.triangles)
    print(f"mesh: {mesh.triangle_count:,} triangles, {mesh.vertex_count:,} vertices; window {width}x{height}")

    viewport = ViewportWidget()
    lodset = _textured_lodset(mesh)
    viewport.resize(width, height)
    viewport.set_lodset(lodset)
    viewport.camera.yaw, viewport.camera.pitch = 30.0, 35.0
    viewport.frame()
    projection = viewport.camera.projection_matrix(width / height, mesh.diagonal() / 2)
    matrices = (viewport.camera.view_matrix(), projection)

    floor_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"sweedle-bench-floor-{os.getpid()}"
    floor_dir.mkdir(exist_ok=True)
    for ext, source in FLOOR_SHADERS.items():
        (floor_dir / f"floor{ext}").write_text(source)
    floor = FloorWidget(mesh, matrices, floor_dir)
    pyqtgraph = _pyqtgraph_widget(mesh, matrices)
    widgets = {"floor (raw VBO)": floor, "pyqtgraph GLMeshItem": pyqtgraph, "sweedle viewport": viewport}
    for i, widget in enumerate(widgets.values()):
        widget.resize(width, height)
        widget.move(i * (width + 10), 0)
        widget.show()
    app.processEvents()

    viewport.makeCurrent()
    print(f"renderer: {GL.glGetString(GL.GL_RENDERER).decode()}, {GL.glGetString(GL.GL_VERSION).decode()}")
    start = time.perf_counter()
    viewport.paintGL()
    GL.glFinish()
    first_ms = (time.perf_counter() - start) * 1000
    print(f"sweedle first frame incl. upload of LOD0 + texture: {first_ms:.0f} ms")
    viewport.doneCurrent()

    # Silhouettes with the grid off and normals shading, so no dark texel passes for background.
    viewport.set_grid_visible(False)
    viewport.set_shading(Shading.NORMALS)
    silhouettes = {name: _silhouette(widget) for name, widget in widgets.items()}
    viewport.set_grid_visible(True)
    viewport.set_shading(Shading.TEXTURED)
    reference = silhouettes["floor (raw VBO)"]
    for name, mask in silhouettes.items():
        overlap = (mask & reference).sum() / max((mask | reference).sum(), 1)
        print(f"silhouette overlap with the floor: {name:22s} {overlap:.3f} ({mask.mean():.0%} of window)")

    times: dict[str, list[float]] = {name: [] for name in [*widgets, "floor, culled"]}
    cpu: dict[str, list[float]] = {name: [] for name in times}
    for widget in widgets.values():
        _time_frame(widget)  # warm: first draw, shader variants
    for _ in range(args.frames):
        for name, widget in widgets.items():
            times[name].append(_time_frame(widget, cpu[name]))
        floor.cull = True
        times["floor, culled"].append(_time_frame(floor, cpu["floor, culled"]))
        floor.cull = False

    median = {name: statistics.median(values) * 1000 for name, values in times.items()}
    cpu_median = {name: statistics.median(values) * 1000 for name, values in cpu.items()}
    print(f"\nframe time, median of {args.frames} (ms), load average {os.getloadavg()[0]:.1f}:")
    for name, ms in median.items():
        spread = f"{min(times[name]) * 1000:6.1f}..{max(times[name]) * 1000:6.1f}"
        print(f"  {name:22s} {ms:7.1f}   (min..max {spread})   CPU {cpu_median[name]:7.1f}")
    for label, table in (("wall", median), ("CPU ", cpu_median)):
        ours, peer = table["sweedle viewport"], table["pyqtgraph GLMeshItem"]
        print(
            f"\n{label}: sweedle / pyqtgraph     = {ours / peer:.2f}  (target <= 0.5)"
            f"\n{label}: sweedle / floor         = {ours / table['floor (raw VBO)']:.2f}  (target <= 1.2)"
            f"\n{label}: sweedle / floor, culled = {ours / table['floor, culled']:.2f}"
        )
    for widget in widgets.values():
        widget.close()
    shutil.rmtree(floor_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

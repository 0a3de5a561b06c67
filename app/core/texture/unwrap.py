"""UV unwrap with xatlas, in a child process that cancel can stop.

xatlas holds the GIL for the whole `generate` call and has no progress callback: run in a
thread it would freeze the GUI and could not be cancelled. A spawned child process costs ~0.3 s
to start (more when the parent's main script imports much: the child imports it first), leaves
the parent's threads running, and is killed at once on cancel.

Charts are capped at a fraction of the surface area: on smooth generator meshes xatlas otherwise
grows a few huge charts whose parametrisation and validity checks dominate (50k triangles took
22 s with the defaults here, ~3 s with a 1/64 cap), and smaller charts also waste less atlas
space on distortion. With a 1/128 cap and no re-seeding iterations (xatlas's `max_iterations`,
which regrows every chart from better seeds) the charts take about a third of that, for ~40 %
more charts and 2 points less atlas use; the bake paints a ring of texels round every chart
from its own surface, so the extra seams do not show. Charts are packed on a grid of at most
PACK_RESOLUTION texels: packing rasterises every chart at the grid's size, so at 4096² it cost
more than the charts themselves, while the UVs are fractions of the atlas whatever its grid.
Padding is given in texels of the grid, scaled with the texture size, so it survives
mip-mapping down to about a quarter of the size.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection, wait

import numpy as np

from app.core.base.cancel import CancelToken
from app.core.base.child_outcome import run_for_parent, value_from_child
from app.core.base.errors import GenerationError
from app.core.base.progress import StepProgress
from app.core.mesh.geometry import double_areas
from app.core.mesh.types import Mesh

CHARTS_PER_SURFACE = 128
"""A chart may hold at most 1/CHARTS_PER_SURFACE of the surface area."""
CHART_ITERATIONS = 0
"""xatlas's chart re-seeding iterations (its default is 1)."""
PACK_RESOLUTION = 1024
"""Largest packing grid side; larger textures scale the packed atlas up."""
PADDING_TEXELS_AT_1K = 4
"""Gutter between charts at 1024²; scaled with the texture size (2 at 512², 16 at 4096²)."""
_POLL_S = 0.05


def padding_texels(texture_size: int) -> int:
    return max(2, round(PADDING_TEXELS_AT_1K * texture_size / 1024))


def unwrap(
    mesh: Mesh,
    texture_size: int,
    cancel: CancelToken | None = None,
    progress: StepProgress | None = None,
) -> Mesh:
    """A copy of `mesh` split along UV seams with atlas UVs in [0, 1] (glTF orientation).

    Positions and normals are carried to the split vertices. Raises `Cancelled` when `cancel`
    is set while xatlas runs.
    """
    if mesh.triangle_count == 0:
        raise GenerationError("cannot unwrap an empty mesh")
    cancel = cancel or CancelToken()
    if progress is not None:
        progress(0.0, f"unwrapping {mesh.triangle_count} triangles")
    area = float(double_areas(mesh.vertices, mesh.faces).sum()) / 2
    job = (mesh.vertices, mesh.faces.astype(np.uint32), area / CHARTS_PER_SURFACE, texture_size)
    mapping, faces, uvs = _run_in_child(job, cancel)
    out = Mesh(
        mesh.vertices[mapping],
        faces,
        None if mesh.normals is None else mesh.normals[mapping],
        uvs,
    )
    if progress is not None:
        progress(1.0, f"unwrapped: {out.vertex_count} vertices after seams")
    return out


def _run_in_child(
    job: tuple[np.ndarray, np.ndarray, float, int], cancel: CancelToken
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child_main, args=(send, job), name="sweedle-unwrap", daemon=True)
    child.start()
    send.close()
    try:
        while not wait([receive, child.sentinel], _POLL_S):
            if cancel.cancelled:
                child.kill()
                cancel.raise_if_cancelled()
        if not receive.poll(0):
            raise GenerationError(
                f"the UV unwrapper stopped unexpectedly (exit code {child.exitcode}): "
                "try a lower LOD0 triangle budget"
            )
        outcome = receive.recv()
    finally:
        receive.close()
        child.join(timeout=5)
        if child.is_alive():
            child.kill()
            child.join()
    return value_from_child(outcome, "UV unwrap")  # type: ignore[no-any-return]


def _child_main(send: Connection, job: tuple[np.ndarray, np.ndarray, float, int]) -> None:
    try:
        send.send(run_for_parent(lambda: atlas_uvs(*job), "lower the LOD0 triangle budget"))
    finally:
        send.close()


def atlas_uvs(
    vertices: np.ndarray, faces: np.ndarray, max_chart_area: float, texture_size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """xatlas in this process: (original vertex per output vertex, faces, UVs in [0, 1])."""
    import xatlas

    chart_options = xatlas.ChartOptions()
    chart_options.max_chart_area = max_chart_area
    chart_options.max_iterations = CHART_ITERATIONS
    grid = min(texture_size, PACK_RESOLUTION)
    pack_options = xatlas.PackOptions()
    pack_options.resolution = grid
    pack_options.padding = padding_texels(grid)
    pack_options.bilinear = True
    atlas = xatlas.Atlas()
    atlas.add_mesh(vertices, faces)
    atlas.generate(chart_options=chart_options, pack_options=pack_options)
    if atlas.atlas_count != 1:
        raise RuntimeError(f"xatlas made {atlas.atlas_count} atlases instead of one")
    mapping, out_faces, uvs = atlas[0]
    return mapping.astype(np.int64), out_faces.astype(np.int32), uvs.astype(np.float32)

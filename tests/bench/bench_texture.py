"""Texture benchmark: UV unwrap + projection bake of a 50k-triangle LOD0, by texture size and views.

    .venv/bin/python tests/bench/bench_texture.py [--repeat 3] [--triangles 50000]
        [--sizes 1024 2048 4096] [--xatlas-defaults]

Builds a LOD0 of `--triangles` from the sample picture (Relief at a fine grid, reduced by the LOD
simplifier), then prints the figures the speed goal is stated in (median of `--repeat` runs, with
the load average, since the machine may be shared):

- unwrap (xatlas in its child process, start-up included) at each size;
- bake of the front picture at each size, each run in a fresh process so its peak RSS (the
  process's whole resident memory: numpy buffers, the pictures, the interpreter) is its own;
- unwrap + 2048² bake against the goal of 4 s, and 4096² bake against 12 s and 1 GiB;
- the bake of four views (front, back, left, right) at 2048² against the one-view bake: what each
  further view costs once texel positions and normals are shared.

The unwrap's child process is spawned, and a spawned child imports the parent's main script
first: the pipeline's own imports are therefore made inside the functions here, so the child
starts as it does under `python -m app` or `sweedle` (whose main modules import nothing heavy).

`--xatlas-defaults` also times xatlas with its default chart options once, the baseline the
chart-area cap is measured against (slow: tens of seconds).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

import numpy as np  # noqa: E402

from app.core.texture.unwrap import unwrap  # noqa: E402

if TYPE_CHECKING:
    from app.core.imaging import FramedImage
    from app.core.mesh.types import Mesh
    from app.core.texture.bake import View

SAMPLE = HERE.parents[1] / "resources" / "samples" / "robot.png"
GOAL_2048_S = 4.0
GOAL_4096_S = 12.0
GOAL_4096_MIB = 1024.0
SIDE_VIEWS = ("front", "back", "left", "right")


def _lod0(triangles: int, sizes: list[int]) -> tuple[Mesh, dict[int, FramedImage]]:
    from app.core.base.cancel import CancelToken
    from app.core.generation.engines.base import ShapeInput
    from app.core.generation.engines.relief import ReliefEngine
    from app.core.imaging import foreground_mask, frame_subject, load_image
    from app.core.mesh.lod import build_lods
    from app.core.mesh.types import Mesh
    from app.core.paths import models_dir

    image = load_image(SAMPLE)
    mask = foreground_mask(image, models_dir(), None)
    framed = {size: frame_subject(image, mask, size) for size in sizes}
    params = {"thickness": 0.6, "resolution": 320, "smoothing": 1.5}
    shape_input = ShapeInput(frame_subject(image, mask, 1024))
    shaped = ReliefEngine().generate(shape_input, params, lambda _f, _m: None, CancelToken())
    mesh = Mesh(shaped.mesh.vertices, shaped.mesh.faces)
    return build_lods(mesh, [triangles], measure_samples=0)[1].mesh, framed


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _bake_here(mesh: Mesh, views: list[View], size: int) -> tuple[float, float, float, float]:
    """(bake wall seconds, CPU seconds, RSS before the bake, peak RSS of this process), in MiB."""
    from app.core.texture.bake import bake

    before = _rss_mib()
    start, cpu = time.perf_counter(), time.process_time()
    bake(mesh, views, size)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return seconds, cpu, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed_unwrap(mesh: Mesh, size: int) -> tuple[Mesh, float, float]:
    """(unwrapped mesh, wall seconds, CPU seconds of the unwrap's child process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = unwrap(mesh, size)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return out, seconds, cpu


def _bake_in_child(mesh: Mesh, views: list[View], size: int) -> tuple[float, float, float, float]:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_bake_here, mesh, views, size).result()


def _load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} [{min(values):.2f}–{max(values):.2f}]"


def _side_views(front: FramedImage) -> list[View]:
    """Four views of one picture: the timing does not depend on what the pictures show."""
    from app.core.texture.bake import View

    return [View(name, front) for name in SIDE_VIEWS]


def main() -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--triangles", type=int, default=50_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096])
    parser.add_argument("--xatlas-defaults", action="store_true")
    args = parser.parse_args()
    from app.core.texture.bake import View

    sizes = sorted(set(args.sizes) | {2048})
    mesh, framed = _lod0(args.triangles, sizes)
    print(f"LOD0: {mesh.triangle_count} triangles, {mesh.vertex_count} vertices (sample: {SAMPLE.name})")
    print(f"median [min–max] of {args.repeat} runs; {_load()} at the start")
    print(f"\n{'size':>6} {'unwrap s':>17} {'unwrap CPU s':>13} {'bake s':>17} {'bake CPU s':>11}", end="")
    print(f" {'peak RSS MiB':>13} {'(at start)':>10}  load")
    unwrap_s: dict[int, float] = {}
    bake_s: dict[int, float] = {}
    peak_mib: dict[int, float] = {}
    unwrapped: dict[int, Mesh] = {}
    for size in sizes:
        unwraps = [_timed_unwrap(mesh, size) for _ in range(args.repeat)]
        unwrapped[size] = unwraps[-1][0]
        front = [View("front", framed[size])]
        runs = [_bake_in_child(unwrapped[size], front, size) for _ in range(args.repeat)]
        unwrap_s[size] = statistics.median(u[1] for u in unwraps)
        bake_s[size] = statistics.median(r[0] for r in runs)
        peak_mib[size] = max(r[3] for r in runs)
        unwrap_cpu = statistics.median(u[2] for u in unwraps)
        bake_cpu = statistics.median(r[1] for r in runs)
        start_rss = statistics.median(r[2] for r in runs)
        print(
            f"{size:>6} {_median([u[1] for u in unwraps]):>17} {unwrap_cpu:13.2f}"
            f" {_median([r[0] for r in runs]):>17} {bake_cpu:11.2f} {peak_mib[size]:13.0f} {start_rss:10.0f}"
            f"  {_load()}"
        )
    total = unwrap_s[2048] + bake_s[2048]
    verdict = _verdict(total <= GOAL_2048_S)
    print(f"\nunwrap + 2048² bake: {total:.2f} s (goal {GOAL_2048_S:.0f} s: {verdict})")
    if 4096 in bake_s:
        met = bake_s[4096] <= GOAL_4096_S and peak_mib[4096] <= GOAL_4096_MIB
        print(
            f"4096² bake: {bake_s[4096]:.2f} s, peak RSS {peak_mib[4096]:.0f} MiB "
            f"(goal {GOAL_4096_S:.0f} s and {GOAL_4096_MIB:.0f} MiB: {_verdict(met)})"
        )

    one, four = [], []
    for _ in range(args.repeat):
        one.append(_bake_in_child(unwrapped[2048], [View("front", framed[2048])], 2048))
        four.append(_bake_in_child(unwrapped[2048], _side_views(framed[2048]), 2048))
    print("\n2048² bake by views (wall s, then CPU s):")
    for label, runs in (("1 view", one), (f"{len(SIDE_VIEWS)} views", four)):
        cpu = statistics.median(r[1] for r in runs)
        print(f"  {label:<8} {_median([r[0] for r in runs])}  CPU {cpu:.2f}")
    extra = statistics.median(r[1] for r in four) - statistics.median(r[1] for r in one)
    extra /= len(SIDE_VIEWS) - 1
    print(f"each further view: {extra:.2f} CPU s  ({_load()})")
    if args.xatlas_defaults:
        import xatlas

        atlas = xatlas.Atlas()
        atlas.add_mesh(mesh.vertices, mesh.faces.astype(np.uint32))
        start = time.perf_counter()
        atlas.generate()
        print(f"baseline: xatlas with default chart options, in process: {time.perf_counter() - start:.2f} s")
    return 0


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


if __name__ == "__main__":
    sys.exit(main())

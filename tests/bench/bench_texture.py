"""Texture benchmark: UV unwrap + projection bake of a 50k-triangle LOD0, and texture-size scaling.

    .venv/bin/python tests/bench/bench_texture.py [--repeat 3] [--triangles 50000] [--xatlas-defaults]

Builds a LOD0 of `--triangles` from the sample picture (Relief at a fine grid, reduced by the LOD
simplifier), then times unwrap (xatlas in its child process, start-up included) + bake at 2048²
`--repeat` times and prints the medians; then one unwrap + bake at 1024², 2048² and 4096² with the
bake's peak Python-side memory (tracemalloc, which counts numpy arrays) and the unwrap child's
peak RSS. `--xatlas-defaults` also times xatlas with its default chart options once, the baseline
the chart-area cap is measured against (slow: tens of seconds).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

import numpy as np  # noqa: E402

from app.core.base.cancel import CancelToken  # noqa: E402
from app.core.generation.engines.base import ShapeInput  # noqa: E402
from app.core.generation.engines.relief import ReliefEngine  # noqa: E402
from app.core.imaging import foreground_mask, frame_subject, load_image  # noqa: E402
from app.core.mesh.lod import build_lods  # noqa: E402
from app.core.mesh.types import Mesh  # noqa: E402
from app.core.paths import models_dir  # noqa: E402
from app.core.texture.bake import View, bake  # noqa: E402
from app.core.texture.unwrap import unwrap  # noqa: E402

SAMPLE = HERE.parents[1] / "resources" / "samples" / "robot.png"


def _lod0(triangles: int) -> tuple[Mesh, object]:
    image = load_image(SAMPLE)
    mask = foreground_mask(image, models_dir(), None)
    framed = {size: frame_subject(image, mask, size) for size in (1024, 2048, 4096)}
    params = {"thickness": 0.6, "resolution": 320, "smoothing": 1.5}
    shaped = ReliefEngine().generate(ShapeInput(framed[1024]), params, lambda _f, _m: None, CancelToken())
    mesh = Mesh(shaped.mesh.vertices, shaped.mesh.faces)
    return build_lods(mesh, [triangles], measure_samples=0)[1].mesh, framed


def _timed(mesh: Mesh, framed: dict, size: int) -> tuple[float, float, float]:
    start = time.perf_counter()
    unwrapped = unwrap(mesh, size)
    middle = time.perf_counter()
    tracemalloc.start()
    bake(unwrapped, [View("front", framed[size])], size)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    end = time.perf_counter()
    return middle - start, end - middle, peak / 2**20


def main() -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--triangles", type=int, default=50_000)
    parser.add_argument("--xatlas-defaults", action="store_true")
    args = parser.parse_args()
    mesh, framed = _lod0(args.triangles)
    print(f"LOD0: {mesh.triangle_count} triangles, {mesh.vertex_count} vertices (sample: {SAMPLE.name})")
    runs = [_timed(mesh, framed, 2048) for _ in range(args.repeat)]
    unwraps, bakes = [r[0] for r in runs], [r[1] for r in runs]
    totals = [u + b for u, b in zip(unwraps, bakes, strict=True)]
    print(f"\nUVs + 2048² bake, {args.repeat} runs (median [min–max]):")
    for label, values in (("unwrap", unwraps), ("bake", bakes), ("total", totals)):
        print(f"  {label:<7} {statistics.median(values):6.2f} s  [{min(values):.2f}–{max(values):.2f}]")
    print("\nby texture size (one run each):")
    print(f"  {'size':>5} {'unwrap s':>9} {'bake s':>7} {'bake peak MiB':>14} {'texture MiB':>12}")
    for size in (1024, 2048, 4096):
        u, b, peak = _timed(mesh, framed, size)
        print(f"  {size:>5} {u:9.2f} {b:7.2f} {peak:14.0f} {size * size * 3 / 2**20:12.0f}")
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\nunwrap child process peak RSS (largest run): {child_rss:.0f} MiB")
    if args.xatlas_defaults:
        import xatlas

        atlas = xatlas.Atlas()
        atlas.add_mesh(mesh.vertices, mesh.faces.astype(np.uint32))
        start = time.perf_counter()
        atlas.generate()
        print(f"baseline: xatlas with default chart options, in process: {time.perf_counter() - start:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

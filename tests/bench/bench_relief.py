"""Relief benchmark: time per sample image split by stage, and the LOD chain next to gltfpack.

    .venv/bin/python tests/bench/bench_relief.py [--repeat 5] [--images DIR] [--no-gltfpack]

For every sample image it runs the whole pipeline (picture → watertight textured LOD0 + 3 LODs →
GLB on disk) `--repeat` times after one warm-up run and prints the median of each stage. Then, on
each sample's LOD0, it times Sweedle's LOD chain (50/25/10 %) and gltfpack's simplifier
(`-si 0.5/0.25/0.1`, one run per level) and measures both with the same error metric (symmetric
max deviation, % of LOD0's bounding-box diagonal) and the same watertightness check.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from PIL import Image  # noqa: E402

from app.core.generation.request import GenerationRequest  # noqa: E402
from app.core.generation.stages import STAGES, generate  # noqa: E402

from bench_lod import compare_with_gltfpack  # noqa: E402

DEFAULT_IMAGES = HERE.parents[2] / "shared" / "samples" / "images"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-gltfpack", action="store_true", help="skip the LOD comparison")
    args = parser.parse_args()

    images = sorted(args.images.glob("*.png"))
    if not images:
        print(f"no images in {args.images}", file=sys.stderr)
        return 1
    stages = list(STAGES)
    header = (
        f"{'image':<18}{'size':>11}{'LOD0 tris':>11}" + "".join(f"{s:>13}" for s in stages) + f"{'total':>9}"
    )
    print("Relief pipeline, median of", args.repeat, "runs after a warm-up (seconds)")
    print(header)
    totals_1024: list[float] = []
    all_totals: list[float] = []
    lod0_meshes = {}
    with tempfile.TemporaryDirectory() as tmp:
        for image in images:
            out = Path(tmp) / f"{image.stem}.glb"
            request = GenerationRequest(image_path=image)
            first = generate(request, out)
            if not first.ok:
                print(f"{image.name}: FAILED: {first.message}")
                continue
            runs = [generate(request, out) for _ in range(args.repeat)]
            per_stage = {s: statistics.median(r.timings[s] for r in runs) for s in stages}
            total = statistics.median(sum(r.timings.values()) for r in runs)
            with Image.open(image) as im:
                size = im.size
            if size == (1024, 1024):
                totals_1024.append(total)
            all_totals.append(total)
            lod0_meshes[image.stem] = first.lodset.lods[0].mesh
            print(
                f"{image.stem:<18}{f'{size[0]}x{size[1]}':>11}{first.lods[0].triangles:>11,}"
                + "".join(f"{per_stage[s]:>13.3f}" for s in stages)
                + f"{total:>9.3f}"
            )
    if totals_1024:
        print(
            f"\nmedian total, 1024x1024 images ({len(totals_1024)}): {statistics.median(totals_1024):.3f} s"
        )
    print(f"median total, all images ({len(all_totals)}): {statistics.median(all_totals):.3f} s")

    if not args.no_gltfpack:
        print("\nLOD chain (50/25/10 %) on each sample's LOD0: Sweedle vs gltfpack -si, same run")
        compare_with_gltfpack(lod0_meshes, fractions=(0.5, 0.25, 0.1))
    return 0


if __name__ == "__main__":
    t0 = time.perf_counter()
    code = main()
    print(f"\n(benchmark wall time {time.perf_counter() - t0:.1f} s)")
    sys.exit(code)

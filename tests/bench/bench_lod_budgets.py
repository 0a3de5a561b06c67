"""LOD budgets on the sample pictures: every LOD of every asset within 2 % of its triangle budget.

    .venv/bin/python tests/bench/bench_lod_budgets.py [--lod0 N] [--lods 50%,25%,10%] [IMAGE ...]

Each picture (default: the 14 in shared/samples/images beside the checkout) goes through the real pipeline
with a texture baked anew (`--bake always`: xatlas charts, so the LODs carry UV seams) and
ambient occlusion and the normal map baked, exactly as `sweedle generate --bake always --ao`
does. Prints one line per asset (budget → triangles made, per LOD, and the LOD step's time) and
exits 1 when any LOD misses its budget by more than 2 %. "own UVs" is the time per LOD for the
levels made with their own UVs (`texture.lod_atlas`: unwrap and texel transfer).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from app.core.base.rules import DEFAULT_LODS, parse_lods  # noqa: E402
from app.core.generation.request import GenerationRequest  # noqa: E402
from app.core.generation.stages import generate  # noqa: E402

SAMPLES = HERE.parents[2] / "shared" / "samples" / "images"
"""The shared sample pictures beside the checkout, as the tests find them."""
TOLERANCE = 0.02


def main() -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--lod0", type=int, default=None, help="LOD0 budget (default: the app's)")
    parser.add_argument("--lods", default=",".join(DEFAULT_LODS))
    args = parser.parse_args()
    images = args.images or sorted(SAMPLES.glob("*.png"))
    misses = 0
    with tempfile.TemporaryDirectory() as out:
        for image in images:
            request = GenerationRequest(
                image, lod0_triangles=args.lod0, lods=parse_lods(args.lods), bake="always", occlusion=True
            )
            start = time.perf_counter()
            result = generate(request, Path(out) / f"{image.stem}.glb")
            seconds = time.perf_counter() - start
            if not result.ok:
                print(f"{image.name}: FAILED {result.message}")
                misses += 1
                continue
            lod0 = result.lods[0].triangles
            full = result.lodset.full_detail if result.lodset is not None else None
            wanted = (
                args.lod0
                if args.lod0 is not None and full is not None and full.triangle_count > args.lod0
                else lod0
            )
            budgets = [wanted, *(t.resolve(lod0) for t in request.lods)]
            cells, ok = [], True
            for budget, lod in zip(budgets, result.lods, strict=True):
                off = abs(lod.triangles - budget) / budget
                ok &= off <= TOLERANCE
                cells.append(f"{budget}→{lod.triangles}{'' if off <= TOLERANCE else ' MISS'}")
            misses += not ok
            lod_s = result.timings.get("lods", 0.0)
            maps_s = result.timings.get("maps", 0.0)
            atlas = result.lodset.provenance.get("maps", {}).get("lod_atlas", {}) if result.lodset else {}
            if atlas:
                cells.append(f"own UVs {atlas['seconds_per_level']:.1f} s/LOD")
            print(
                f"{image.name:20s} {'ok  ' if ok else 'MISS'} {' | '.join(cells)}  "
                f"(lods {lod_s:.1f} s, maps {maps_s:.1f} s, total {seconds:.0f} s)",
                flush=True,
            )
    print(
        f"{len(images) - misses} of {len(images)} assets have every LOD within {TOLERANCE:.0%} of its budget"
    )
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())

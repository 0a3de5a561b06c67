"""Cutout benchmark: how well each method finds the subject, on pictures whose answer is known.

    .venv/bin/python tests/bench/bench_cutout.py [--size 1024] [--placements 3] [--kinds photo,noise,...]

The 14 sample subjects are pasted onto four kinds of background (photos that ship with
scikit-image, textured noise, linear and radial gradients, checkerboards) at three sizes and
positions (`tests/cutout_scenes.py`). For each method it prints the intersection-over-union of
its mask (alpha > 0.5) with the true alpha, mean and worst per background kind, how many
results it flagged as unsure (confidence under 0.5: the window opens the mask editor for those,
the CLI asks for a mask) and the mean IoU of the rest, and its time per picture: wall clock, and
the CPU time of this process (on a shared machine the wall clock also counts the time others
hold the cores; the CPU time adds up all of OpenCV's threads).

Methods: `classical` (no model: the plain-backdrop key when GrabCut agrees, else GrabCut),
`classical+box` (GrabCut from a box 2 % larger than the subject, what one drag of the mask
editor's box tool gives) and `model` when a cutout model is installed in the model store
(`sweedle models download birefnet-lite`); without one the model row says so.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parents[1]))

import numpy as np  # noqa: E402
from cutout_scenes import KINDS, PLACEMENTS, Scene, iou, scenes  # noqa: E402

from app.core.imaging import foreground_mask  # noqa: E402
from app.core.imaging.classical import Seeds, classical_cut  # noqa: E402
from app.core.imaging.cutout_model import installed_model  # noqa: E402
from app.core.imaging.mask import LOW_CONFIDENCE  # noqa: E402
from app.core.paths import models_dir  # noqa: E402


def main() -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--size", type=int, default=1024, help="square picture side (default 1024)")
    parser.add_argument("--placements", type=int, default=len(PLACEMENTS), choices=(1, 2, 3))
    parser.add_argument("--kinds", default=",".join(KINDS))
    args = parser.parse_args()
    kinds = tuple(args.kinds.split(","))
    model = installed_model(models_dir())
    methods = ["classical", "classical+box"] + (["model"] if model is not None else [])
    scores: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    times: dict[str, list[float]] = defaultdict(list)
    cpu_times: dict[str, list[float]] = defaultdict(list)
    count = 0
    for placement in range(args.placements):
        for scene in scenes((args.size, args.size), kinds, placement):
            count += 1
            for method in methods:
                start, cpu = time.perf_counter(), time.process_time()
                found, confidence = _run(method, scene)
                times[method].append(time.perf_counter() - start)
                cpu_times[method].append(time.process_time() - cpu)
                scores[method, scene.kind].append((iou(found, scene.truth), confidence))
            print(f"\r{count} pictures", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(f"Cutout IoU against the true alpha, {count} composites of {args.size}×{args.size} px")
    print(f"{'method':<15}{'background':<11}{'n':>4}{'mean':>7}{'worst':>7}{'unsure':>8}{'sure mean':>11}")
    for method in methods:
        for kind in kinds:
            rows = scores[method, kind]
            values = [value for value, _ in rows]
            sure = [value for value, confidence in rows if confidence >= LOW_CONFIDENCE]
            sure_mean = f"{statistics.mean(sure):.3f}" if sure else "-"
            print(
                f"{method:<15}{kind:<11}{len(rows):>4}{statistics.mean(values):>7.3f}{min(values):>7.3f}"
                f"{len(rows) - len(sure):>8}{sure_mean:>11}"
            )
    print(f"\nSeconds per {args.size}×{args.size} picture (median / max), wall clock and CPU")
    for method in methods:
        wall, cpu = times[method], cpu_times[method]
        print(
            f"{method:<15}{statistics.median(wall):>7.3f} / {max(wall):.3f}"
            f"{statistics.median(cpu):>10.3f} / {max(cpu):.3f}"
        )
    if model is None:
        print("\nmodel: no cutout model is installed in the model store, so there is no model row; the tests")
        print("check its plumbing with a tiny ONNX model built at test time (tests/cutout_tiny_model.py)")
    else:
        print(f"\nmodel: {model[0].id} from {model[1]}")
    return 0


def _run(method: str, scene: Scene) -> tuple[np.ndarray, float]:
    if method == "classical":
        mask = foreground_mask(scene.image, mode="classical")
        return mask.alpha > 0.5, mask.confidence
    if method == "model":
        mask = foreground_mask(scene.image, models_dir(), mode="model")
        return mask.alpha > 0.5, mask.confidence
    rows, cols = np.nonzero(scene.truth)
    margin = round(0.02 * max(scene.truth.shape))
    left, top = int(cols.min()) - margin, int(rows.min()) - margin
    box = (left, top, int(cols.max()) + margin, int(rows.max()) + margin)
    cut = classical_cut(np.ascontiguousarray(scene.image.rgba[..., :3]), Seeds(box=box))
    return cut.alpha > 0.5, cut.confidence


if __name__ == "__main__":
    raise SystemExit(main())

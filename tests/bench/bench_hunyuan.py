"""Hunyuan adapter overhead vs a bare hy3dgen pipeline call, same tiny RANDOM-weight checkpoint and
parameters, side by side in one run (interleaved, median of N); and the start-up import check.

    .venv/bin/python tests/bench/bench_hunyuan.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
ROUNDS = 9
PARAMS = {"steps": 5, "octree_resolution": 64, "num_chunks": 8000, "flashvdm": 0, "guidance": 5.0}


def main() -> None:
    code = (
        "import sys, app.cli.main, app.core.generation.engines.registry as r; "
        "r.get_engine('hunyuan').availability(); print('torch' in sys.modules)"
    )
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    print(f"start-up: torch imported by the CLI + engine registry + availability(): {imported.strip()}")

    root = Path(tempfile.mkdtemp(prefix="sweedle-bench-"))
    os.environ["SWEEDLE_MODELS"] = str(root)
    from app.core.generation.engines.hunyuan_torch import import_hy3dgen_shapegen

    shapegen = import_hy3dgen_shapegen()
    import numpy as np
    import torch
    from hunyuan_tiny import build_tiny_checkpoint

    from app.core.base.cancel import CancelToken
    from app.core.generation.engines.base import ShapeInput, resolve_params
    from app.core.generation.engines.hunyuan import HunyuanEngine
    from app.core.generation.engines.hunyuan_runtime import pil_image
    from app.core.imaging.framing import FramedImage

    torch.set_num_threads(1)
    folder = build_tiny_checkpoint(root)
    rgb = np.full((128, 128, 3), 180, np.uint8)
    alpha = np.zeros((128, 128), np.float32)
    alpha[20:110, 30:100] = 1.0
    framed = FramedImage(rgb, alpha, (0, 0, 128, 128), 1.0, (0.0, 0.0))
    bare = shapegen.Hunyuan3DDiTFlowMatchingPipeline.from_single_file(
        str(folder / "model.fp16.safetensors"),
        str(folder / "config.yaml"),
        device="cpu",
        dtype=torch.float32,
        use_safetensors=True,
    )
    engine = HunyuanEngine()
    params = resolve_params(engine.params, PARAMS)

    def run_bare() -> None:
        out = bare(
            image=pil_image(rgb, alpha),
            num_inference_steps=5,
            guidance_scale=5.0,
            generator=torch.Generator("cpu").manual_seed(0),
            octree_resolution=64,
            num_chunks=8000,
            output_type="mesh",
            enable_pbar=False,
        )
        assert out[0] is not None

    def run_adapter() -> None:
        engine.generate(ShapeInput(framed, 0), params, lambda f, m: None, CancelToken())

    run_bare(), run_adapter()  # warm-up (the adapter loads its pipeline here)
    times: dict[str, list[float]] = {"bare hy3dgen": [], "Sweedle adapter": []}
    for _ in range(ROUNDS):
        for name, fn in (("bare hy3dgen", run_bare), ("Sweedle adapter", run_adapter)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    bare_s = statistics.median(times["bare hy3dgen"])
    print(
        f"tiny checkpoint, CPU float32, 1 thread, 5 steps, octree 64, {ROUNDS} interleaved rounds (median):"
    )
    for name, values in times.items():
        print(f"  {name:<16} {statistics.median(values) * 1000:8.1f} ms  (min {min(values) * 1000:.1f})")
    adapter_s = statistics.median(times["Sweedle adapter"])
    print(f"  adapter overhead {(adapter_s - bare_s) / bare_s * 100:+.1f} % of wall time (target <= 5 %)")


if __name__ == "__main__":
    main()

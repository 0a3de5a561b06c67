"""Cold start of the frozen window (build.spec) against `python -m app`, in the same run.

    .venv/bin/pyinstaller --noconfirm build.spec
    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python tests/bench/bench_frozen.py [--dist dist/Sweedle]

Each run is a whole process from launch to the window shown with the event loop idle
(`--quit-when-ready` prints READY then), median of --repeat runs after one warm-up run each.
Also prints the folder size of the build and whether torch is inside it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def time_to_ready(command: list[str], repeat: int, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(repeat + 1):  # the first run warms the OS file cache
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("READY"):
                times.append(time.perf_counter() - start)
                break
        proc.wait(60)
        if proc.returncode != 0:
            raise SystemExit(f"{command[0]} exited with {proc.returncode}")
    return times[1:]


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=REPO / "dist" / "Sweedle")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    window = args.dist / ("Sweedle.exe" if os.name == "nt" else "Sweedle")
    if not window.is_file():
        raise SystemExit(f"no frozen build at {args.dist}: run pyinstaller build.spec first")
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "SWEEDLE_HOME": home}
        frozen = time_to_ready([str(window), "--quit-when-ready"], args.repeat, env)
        source = time_to_ready([sys.executable, "-m", "app", "--quit-when-ready"], args.repeat, env)
    torch_inside = (args.dist / "_internal" / "torch").is_dir()
    print(f"frozen folder: {folder_mb(args.dist):.0f} MB ({'with' if torch_inside else 'without'} torch)")
    print(f"cold start to an idle window, median of {args.repeat}:")
    print(f"  python -m app    {statistics.median(source):.2f} s")
    print(f"  frozen Sweedle   {statistics.median(frozen):.2f} s")
    print(f"  frozen / source  {statistics.median(frozen) / statistics.median(source):.2f}x")


if __name__ == "__main__":
    main()

"""`sweedle generate` of one picture as a whole process: what a user waits for at the terminal.

    .venv/bin/python tests/bench/bench_cli.py [--repeat 7] [--image PNG] [--importtime]

Runs `python -m app generate IMAGE -o out.glb --force -q` (and the same with `--no-library`)
`--repeat` times after one warm-up run, each a fresh process with SWEEDLE_HOME in a temp folder
(the warm-up creates the library, so the timed runs record into an existing one, as a user's
would), and prints the median and minimum wall time and the median CPU time (user + system; on a
shared machine the steadier figure, since waiting for a core is not in it). `--force` makes every
run really generate instead of reusing the identical version the warm-up saved. Next to them it times a bare
`python -c pass` and `python -c "import numpy"`, the floor any Python command pays, and the
in-process pipeline alone, so start-up = whole process - pipeline. `--importtime` prints the
modules that took longest to import (cumulative, `python -X importtime`). The processes write
their bytecode to a temporary cache (PYTHONPYCACHEPREFIX), as an installed Sweedle has it;
`--no-bytecode` compiles every module at every run (PYTHONDONTWRITEBYTECODE=1).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "samples" / "robot.png"


def _timed(cmd: list[str], env: dict[str, str], repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + system) seconds of each run after a warm-up run."""
    wall, cpu = [], []
    for _ in range(repeat + 1):  # the first run warms the file cache (and creates the library)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return wall[1:], cpu[1:]


def _pipeline_seconds(
    image: Path, out: Path, repeat: int, env: dict[str, str]
) -> tuple[list[float], list[float]]:
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from app.core.generation.request import GenerationRequest\n"
        "from app.core.generation.stages import generate\n"
        "request = GenerationRequest(image_path=Path(sys.argv[1]))\n"
        "for _ in range(int(sys.argv[3]) + 1):\n"
        "    start, start_cpu = time.perf_counter(), time.process_time()\n"
        "    generate(request, Path(sys.argv[2]), 'glb')\n"
        "    print(time.perf_counter() - start, time.process_time() - start_cpu)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(image), str(out), str(repeat)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env=dict(env, SWEEDLE_HOME=str(out.parent / "home-pipeline")),
    )
    rows = [[float(v) for v in line.split()] for line in done.stdout.splitlines()][1:]
    return [wall for wall, _ in rows], [cpu for _, cpu in rows]


def _import_offenders(cmd: list[str], env: dict[str, str], top: int) -> list[tuple[float, str]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *cmd[1:]], env=env, cwd=REPO, capture_output=True, text=True
    )
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line.split("|")
            rows.append((int(cumulative) / 1e6, name.rstrip()))
    return sorted(rows, reverse=True)[:top]


def _line(label: str, times: tuple[list[float], list[float]]) -> str:
    wall, cpu = times
    return (
        f"  {label:30s} wall median {statistics.median(wall):5.2f} s, min {min(wall):5.2f} s;"
        f"  CPU median {statistics.median(cpu):5.2f} s"
    )


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--image", type=Path, default=SAMPLE)
    parser.add_argument("--importtime", action="store_true", help="print the slowest imports")
    parser.add_argument("--no-bytecode", action="store_true", help="compile every module at every run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sweedle-bench-cli-") as tmp:
        env = dict(os.environ, SWEEDLE_HOME=str(Path(tmp) / "home"))
        if not args.no_bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        out = Path(tmp) / "out.glb"
        generate = [sys.executable, "-m", "app", "generate", str(args.image), "-o", str(out), "-q"]
        print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        cache = "no bytecode cache" if args.no_bytecode else "bytecode cache"
        print(f"whole process, {args.image.name}, median of {args.repeat} after a warm-up, {cache}:")
        bare = _timed([sys.executable, "-c", "pass"], env, args.repeat)
        numpy = _timed([sys.executable, "-c", "import numpy"], env, args.repeat)
        ours = _timed([*generate, "--force"], env, args.repeat)
        no_library = _timed([*generate, "--no-library"], env, args.repeat)
        pipeline = _pipeline_seconds(args.image, Path(tmp) / "pipeline.glb", args.repeat, env)
        print(_line("python -c pass", bare))
        print(_line('python -c "import numpy"', numpy))
        print(_line("sweedle generate (library)", ours) + "   (target median <= 1.2 s)")
        print(_line("sweedle generate --no-library", no_library))
        print(_line("pipeline alone, in process", pipeline))
        for label, kind in (("wall", 0), ("CPU", 1)):
            start_up = statistics.median(ours[kind]) - statistics.median(pipeline[kind])
            print(f"  start-up and library = whole - pipeline ({label}): {start_up:.2f} s")
        print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        if args.importtime:
            print("slowest imports of `generate` (cumulative seconds, one run):")
            for seconds, name in _import_offenders([*generate, "--force"], env, 25):
                print(f"  {seconds:6.3f}  {name}")


if __name__ == "__main__":
    main()

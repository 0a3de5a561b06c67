"""Desktop window benchmark: cold start against a bare PySide6 window, and GUI stalls during a job.

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python tests/bench/bench_window.py [--repeat 5]

Cold start: wall time from launching a fresh Python process to its main window being shown and
the event loop idle (a zero-delay timer fired after show()), median of --repeat runs, for a bare
QMainWindow program, for the floor of any app with a GL viewport (a QMainWindow holding a
QOpenGLWidget, with Sweedle's surface format: 3.3 core, 4x MSAA) and for Sweedle's window. The
three are launched in turn, round after round, so a change in the machine's load hits all three.
The programs write their bytecode to a temporary cache (PYTHONPYCACHEPREFIX) as an installed app
has it; --no-bytecode compiles every module at every start, as PYTHONDONTWRITEBYTECODE=1 does.
Stalls: a 5 ms QTimer probe runs in the GUI thread while the worker generates the robot sample
with Relief at its Standard preset; the largest gap between probe ticks minus the interval is the
worst stall the artist could feel.
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
sys.path.insert(0, str(REPO))

_BARE = """
import time, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.resize(1440, 900); w.show()
QTimer.singleShot(0, lambda: (print("READY", flush=True), app.quit()))
app.exec()
"""
_GL_FLOOR = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtOpenGLWidgets import QOpenGLWidget
from PySide6.QtWidgets import QApplication, QMainWindow
from app.ui.surface import configure_surface_format
configure_surface_format()
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.setCentralWidget(QOpenGLWidget()); w.resize(1440, 900); w.show()
QTimer.singleShot(0, lambda: (print("READY", flush=True), app.quit()))
app.exec()
"""

_SWEEDLE = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from app.ui.surface import configure_surface_format
configure_surface_format()
app = QApplication(sys.argv[:1])
from app.ui.theme import apply_dark_theme
apply_dark_theme(app)
from app.ui.main_window import MainWindow
w = MainWindow(); w.show()
QTimer.singleShot(0, lambda: (print("READY", flush=True), w.close(), app.quit()))
app.exec()
"""


def _launch(code: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds to READY, and the CPU seconds (user + system, all threads) the process used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    command = [sys.executable, "-c", code]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
    assert proc.stdout is not None
    elapsed = float("nan")
    for line in proc.stdout:
        if line.startswith("READY"):
            elapsed = time.perf_counter() - start
            break
    proc.wait(60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def cold_starts(
    codes: dict[str, str], repeat: int, env: dict[str, str]
) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds of each program, `repeat` rounds of one launch each, after a warm-up
    round (the OS file cache, the bytecode cache)."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in codes}
    for round_ in range(repeat + 1):
        for name, code in codes.items():
            measured = _launch(code, env)
            if round_:
                times[name].append(measured)
    return times


def gui_stalls(image: Path) -> tuple[float, float, float, float]:
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from app.ui.surface import configure_surface_format

    configure_surface_format()
    qt = QApplication.instance() or QApplication([])
    from app.ui.main_window import MainWindow

    window = MainWindow()
    window.show()
    window.prompt_panel.preset.setCurrentText("Standard")
    window.image_panel.accept_files("front", [image])
    clock = QElapsedTimer()
    gaps: list[float] = []
    last = [0.0]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        gaps.append(now - last[0])
        last[0] = now

    probe = QTimer()
    probe.setInterval(5)
    probe.timeout.connect(tick)
    done = []
    window.runner.sig_idle.connect(lambda: done.append(True))
    for _ in range(50):  # let the preview task finish first
        qt.processEvents()
        time.sleep(0.01)
    clock.start()
    probe.start()
    job = window.generate()
    started = time.perf_counter()
    while not done and time.perf_counter() - started < 300:
        qt.processEvents()
        time.sleep(0.001)
    probe.stop()
    wall = time.perf_counter() - started
    state = job.state.value if job else "not started"
    window.close()
    stalls = sorted(g - 5.0 for g in gaps[1:])
    p99 = stalls[int(len(stalls) * 0.99)] if stalls else 0.0
    print(f"  job: {state} in {wall:.2f} s, {len(gaps)} probe ticks")
    return max(stalls, default=0.0), p99, statistics.median(stalls) if stalls else 0.0, wall


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--no-bytecode", action="store_true", help="cold starts compile every module (no .pyc cache)"
    )
    args = parser.parse_args()
    env = dict(os.environ, SWEEDLE_HOME=tempfile.mkdtemp(prefix="sweedle-bench-"))
    os.environ["SWEEDLE_HOME"] = env["SWEEDLE_HOME"]
    child_env = dict(env)
    if not args.no_bytecode:
        child_env.pop("PYTHONDONTWRITEBYTECODE", None)
        child_env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="sweedle-bench-pyc-")
    load = os.getloadavg()[0]
    print(
        f"cold start to a shown, idle main window (median of {args.repeat}, after one warm-up),"
        f" load average {load:.1f}, {'no ' if args.no_bytecode else ''}bytecode cache:"
    )
    codes = {"bare": _BARE, "floor": _GL_FLOOR, "sweedle": _SWEEDLE}
    runs = cold_starts(codes, args.repeat, child_env)
    wall = {name: statistics.median(w for w, _ in r) for name, r in runs.items()}
    cpu = {name: statistics.median(c for _, c in r) for name, r in runs.items()}
    labels = {
        "bare": "bare PySide6 QMainWindow",
        "floor": "QMainWindow + QOpenGLWidget (floor)",
        "sweedle": "Sweedle main window",
    }
    for name, label in labels.items():
        print(f"  {label:36s}: {wall[name] * 1000:7.0f} ms   (CPU {cpu[name] * 1000:5.0f} ms, to exit)")
    bare, floor, ours = wall["bare"], wall["floor"], wall["sweedle"]
    print(f"  ratio to the GL floor {ours / floor:.2f}x (target <= 1.3x)")
    print(f"  ratio to the bare window {ours / bare:.2f}x")
    image = REPO / "resources" / "samples" / "robot.png"
    print("GUI event-loop stalls while a Relief job (Standard preset, robot sample) runs, 5 ms QTimer probe:")
    worst, p99, median, _ = gui_stalls(image)
    print(f"  max stall {worst:.1f} ms (target <= 50 ms), p99 {p99:.1f} ms, median {median:.1f} ms")


if __name__ == "__main__":
    main()

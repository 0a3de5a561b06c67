"""Desktop window benchmark: cold start against a bare PySide6 window, and GUI stalls during a job.

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python tests/bench/bench_window.py [--repeat 5]

Cold start: wall time from launching a fresh Python process to its main window being shown and
the event loop idle (a zero-delay timer fired after show()), median of --repeat runs, for a bare
QMainWindow program and for Sweedle's window. Stalls: a 5 ms QTimer probe runs in the GUI thread
while the worker generates the robot sample with Relief at its Standard preset; the largest gap
between probe ticks minus the interval is the worst stall the artist could feel.
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


def cold_start(code: str, repeat: int, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(repeat + 1):  # the first run warms the OS file cache
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("READY"):
                times.append(time.perf_counter() - start)
                break
        proc.wait(60)
    return times[1:]


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
    args = parser.parse_args()
    env = dict(os.environ, SWEEDLE_HOME=tempfile.mkdtemp(prefix="sweedle-bench-"))
    os.environ["SWEEDLE_HOME"] = env["SWEEDLE_HOME"]
    print(f"cold start to a shown, idle main window (median of {args.repeat}, after one warm-up):")
    bare = statistics.median(cold_start(_BARE, args.repeat, env))
    ours = statistics.median(cold_start(_SWEEDLE, args.repeat, env))
    print(f"  bare PySide6 QMainWindow : {bare * 1000:7.0f} ms")
    print(f"  Sweedle main window      : {ours * 1000:7.0f} ms   ratio {ours / bare:.2f}x (target <= 1.5x)")
    image = REPO / "resources" / "samples" / "robot.png"
    print("GUI event-loop stalls while a Relief job (Standard preset, robot sample) runs, 5 ms QTimer probe:")
    worst, p99, median, _ = gui_stalls(image)
    print(f"  max stall {worst:.1f} ms (target <= 50 ms), p99 {p99:.1f} ms, median {median:.1f} ms")


if __name__ == "__main__":
    main()

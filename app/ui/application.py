"""Start the desktop app: surface format before the QApplication, theme, excepthook, window.

`python -m app` (or `sweedle-gui`) opens the window. Files named on the command line are opened
as if dropped; `--generate` queues them, and `--screenshot PNG` saves the whole window once the
queue is done and quits (the documented way to produce a screenshot after a real generation); the
exit status is then non-zero when any job failed or was cancelled, so scripts and CI can trust it.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QThreadPool, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

import app
from app.core.paths import resources_dir
from app.ui.surface import configure_surface_format
from app.ui.theme import apply_dark_theme

log = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    configure_surface_format()
    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    qt_app.setApplicationName("Sweedle")
    qt_app.setApplicationVersion(app.__version__)
    qt_app.setDesktopFileName("sweedle")
    qt_app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "sweedle.png")))
    apply_dark_theme(qt_app)  # type: ignore[arg-type]

    from app.ui.main_window import MainWindow  # after the format is set

    window = MainWindow()
    sys.excepthook = _excepthook_for(window)
    window.show()
    if args.bake:
        window.prompt_panel.bake_anew.setChecked(args.bake == "always")
    if args.files:
        window.accept_paths(args.files, queue=True if args.generate else None)
    failures: list[str] = []
    if args.generate:
        window.runner.sig_failed.connect(lambda job: failures.append(f"{job.label}: {job.message}"))
        window.runner.sig_cancelled.connect(lambda job: failures.append(f"{job.label}: cancelled"))
    if args.screenshot:
        _screenshot_when_idle(window, args.screenshot, expect_job=args.generate)
    elif args.quit_when_ready:
        QTimer.singleShot(0, lambda: (print("READY", flush=True), window.close()))
    status = qt_app.exec()
    for line in failures:
        print(f"sweedle-gui: job failed: {line}", file=sys.stderr)
    return status or (1 if failures else 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sweedle-gui", description="Sweedle's desktop window.")
    parser.add_argument("files", nargs="*", type=Path, help="pictures or meshes to open")
    parser.add_argument("--generate", action="store_true", help="generate from the pictures given")
    parser.add_argument(
        "--bake",
        choices=("auto", "always"),
        help="always: bake each texture anew onto an unwrapped LOD0 (as the Bake anew box)",
    )
    parser.add_argument("--screenshot", type=Path, metavar="PNG", help="save the window when idle, then quit")
    parser.add_argument(
        "--quit-when-ready",
        action="store_true",
        help="print READY once the window is shown and idle, then quit (start-up checks and benchmarks)",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def _screenshot_when_idle(window, path: Path, expect_job: bool) -> None:
    def take() -> None:
        if QThreadPool.globalInstance().activeThreadCount():  # thumbnails, inspector measurements
            QTimer.singleShot(100, take)
            return
        window.viewport.update()
        QTimer.singleShot(500, save)

    def save() -> None:
        from app.ui.png_files import write_png
        from app.ui.viewport.gl_widget import grab_window

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_png(grab_window(window, window.viewport), path)
        except (OSError, RuntimeError) as exc:
            log.error("could not save the screenshot to %s: %s", path, exc)
        window.close()

    if expect_job:
        window.runner.sig_idle.connect(take)
    else:
        QTimer.singleShot(1500, take)


def _excepthook_for(window):
    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.error("unexpected error:\n%s", "".join(traceback.format_exception(kind, exc, tb)))
        window.show_error(
            f"Unexpected error (the app keeps running; please report it): {kind.__name__}: {exc}"
        )

    return hook

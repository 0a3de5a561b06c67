"""`python -m app` opens the desktop window; with a command (`python -m app generate ...`) it is
the `sweedle` command line. In the frozen build this is also the entry point of both executables:
`Sweedle` is the window and `sweedle` (`sweedle-cli` on Windows) the command line."""

import sys
from pathlib import Path

from app.cli.commands import COMMANDS

FROZEN_CLI_NAMES = ("sweedle", "sweedle-cli")


def _run() -> int:
    args = sys.argv[1:]
    frozen_cli = getattr(sys, "frozen", False) and Path(sys.executable).stem in FROZEN_CLI_NAMES
    if frozen_cli or (args and args[0] in ("-h", "--help", "--version", *COMMANDS)):
        from app.cli.main import main

        return main(args)
    from app.ui.application import main as gui_main

    return gui_main(args)


if __name__ == "__main__":  # not when a spawned child (UV unwrap, mesh simplifier) re-imports this module
    import multiprocessing

    multiprocessing.freeze_support()
    sys.exit(_run())

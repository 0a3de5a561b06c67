"""`python -m app` opens the desktop window; with a command (`python -m app generate ...`) it is
the `sweedle` command line. In the frozen build this is also the entry point of both executables:
`Sweedle` is the window and `sweedle` (`sweedle-cli` on Windows) the command line."""

import sys
from pathlib import Path

FROZEN_CLI_NAMES = ("sweedle", "sweedle-cli")


def _run() -> int:
    args = sys.argv[1:]
    frozen_cli = getattr(sys, "frozen", False) and Path(sys.executable).stem in FROZEN_CLI_NAMES
    if frozen_cli or (args and (args[0] in ("-h", "--help", "--version") or _is_command(args[0]))):
        from app.core.cli import main

        return main(args)
    from app.ui.application import main as gui_main

    return gui_main(args)


def _is_command(word: str) -> bool:
    from app.core.cli import command_names

    return word in command_names()


if __name__ == "__main__":  # not when a spawned worker process (UV unwrap) re-imports this module
    import multiprocessing

    multiprocessing.freeze_support()
    sys.exit(_run())

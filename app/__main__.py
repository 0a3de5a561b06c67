"""`python -m app` opens the desktop window; with a command (`python -m app generate ...`) it is
the `sweedle` command line."""

import sys


def _run() -> int:
    args = sys.argv[1:]
    if args and (args[0] in ("-h", "--help", "--version") or _is_command(args[0])):
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

"""The exit codes of every `sweedle` command, defined once."""

EXIT_OK = 0
"""Everything asked for was done."""
EXIT_FAILED = 1
"""At least one input failed (the others still ran); the reason is printed, one line each."""
EXIT_USAGE = 2
"""The command line itself was wrong (argparse's own code)."""
EXIT_INTERRUPTED = 130
"""Stopped with Ctrl+C (128 + SIGINT, as shells report it)."""

"""The names of `sweedle`'s commands, so `python -m app` can tell a command from files to open in
the window without building the whole parser (which imports the engines)."""

COMMANDS: tuple[str, ...] = ("generate", "info", "library", "export", "models", "queue", "farm")

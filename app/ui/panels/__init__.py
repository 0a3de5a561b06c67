"""Dockable panels of the main window; each is a self-contained widget with `sig_*` signals."""

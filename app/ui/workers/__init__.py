"""Work that leaves the GUI thread: one long-lived generation thread, and a pool for short jobs."""

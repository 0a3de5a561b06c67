"""Work that leaves the GUI thread: one long-lived queue thread, and a pool for short jobs."""

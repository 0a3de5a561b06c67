"""Everything Qt: the desktop window, its panels, the viewport and the workers."""

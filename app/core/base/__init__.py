"""The bottom layer: what every other layer of the core shares (cancel, progress, errors, safe
file writing, shared rules). It imports nothing else from the app."""

"""Triangle meshes: cleanup, normalisation, LODs, validation and metrics, all on numpy arrays."""

"""File kinds by name, in a module light enough for the window to import at start-up."""

MESH_SUFFIXES = (".glb", ".gltf", ".obj", ".ply", ".stl")
"""Mesh files Sweedle opens in the viewport and imports into the library."""

PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif")
"""Picture files Sweedle takes; their content must be one of these formats too, whatever the name."""

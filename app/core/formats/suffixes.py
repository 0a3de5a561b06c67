"""File kinds by name, in a module light enough for the window to import at start-up."""

MESH_SUFFIXES = (".glb", ".gltf", ".obj", ".ply", ".stl")
"""Mesh files Sweedle opens in the viewport and imports into the library."""

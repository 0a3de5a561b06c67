"""Texture work: filling, and later UV unwrap and projection baking."""

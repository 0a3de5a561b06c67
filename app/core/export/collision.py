"""Collision shapes named the way each engine finds them, and a refusal where a target has no
way to carry them (so a chosen collision never silently disappears)."""

from __future__ import annotations

from app.core.export.errors import ExportError
from app.core.mesh.collision import Collision, collision_shapes
from app.core.mesh.types import LodSet, Mesh


def named_shapes(lodset: LodSet, collision: Collision, name: str, suffix: str = "") -> list[tuple[str, Mesh]]:
    """The convex pieces `collision` asks for, built from the prepared `lodset`'s LOD0, named
    `<name>NN<suffix>` (00, 01, ..). Empty for no collision."""
    shapes = collision_shapes(lodset.lod0, collision)
    return [(f"{name}{i:02d}{suffix}", shape) for i, shape in enumerate(shapes)]


def collision_note(shapes: list[tuple[str, Mesh]], how: str) -> list[str]:
    """One sentence for the export's notes: how many pieces, how light, and what the engine does."""
    if not shapes:
        return []
    triangles = sum(shape.triangle_count for _, shape in shapes)
    pieces = "1 convex hull" if len(shapes) == 1 else f"{len(shapes)} convex pieces"
    return [f"Collision: {pieces} ({triangles:,} triangles in all) {how}."]


def refuse_collision(collision: Collision, target: str) -> None:
    """An ExportError when `collision` is asked of a `target` that writes no collision shapes."""
    if collision.wanted:
        raise ExportError(
            f"{target} carries no collision shapes, so collision '{collision}' cannot be written: "
            "export into a Unity, Unreal or Godot project for collision, or choose collision 'none'."
        )

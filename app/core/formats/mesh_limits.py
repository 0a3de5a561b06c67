"""How big a mesh Sweedle opens or imports: a limit the user can raise, kept in settings.

Reading, welding, LODs and the thumbnail all grow with the triangle count, and a file from
elsewhere can declare any count: the readers compare every declared count with this limit
before they allocate, so an absurd file is refused in a moment with a message that says how to
raise the limit, instead of running for minutes or exhausting memory.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.core.base.errors import InputError
from app.core.settings import load_section, settings_path

DEFAULT_MAX_TRIANGLES = 4_000_000
"""Far above any game asset (LOD0 is usually under 100k), and still a minute or two to import."""
SECTION = "import"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MeshLimits:
    """Settings section "import"; `sweedle info` and `sweedle library import` also take
    `--max-triangles`."""

    max_triangles: int = DEFAULT_MAX_TRIANGLES

    @property
    def max_vertices(self) -> int:
        """A triangle soup has three vertices per triangle; more than that is never needed."""
        return 3 * self.max_triangles


def mesh_limits(max_triangles: int | None = None) -> MeshLimits:
    """The user's limits from settings; `max_triangles` (a command-line flag) overrides them."""
    if max_triangles is not None:
        return MeshLimits(max_triangles)
    saved = load_section(SECTION, MeshLimits)
    if not isinstance(saved.max_triangles, int) or saved.max_triangles < 1:
        log.warning("settings: %s.max_triangles must be a positive whole number; using its default", SECTION)
        return MeshLimits()
    return saved


def check_triangles(name: str, count: int, limits: MeshLimits) -> None:
    """Refuse `count` triangles (declared or counted) over the limit, saying how to raise it."""
    if count > limits.max_triangles:
        raise InputError(
            f"{name} has {count:,} triangles, more than the limit of {limits.max_triangles:,}: "
            f"to open it anyway, raise the limit with --max-triangles {count} on the command line, "
            f'or set "max_triangles" in the "{SECTION}" section of {settings_path()}'
        )


def check_vertices(name: str, count: int, limits: MeshLimits) -> None:
    """Refuse more vertices than the triangle limit can use (three per triangle)."""
    if count > limits.max_vertices:
        raise InputError(
            f"{name} has {count:,} vertices, more than the {limits.max_vertices:,} that the "
            f"triangle limit of {limits.max_triangles:,} allows: to open it anyway, raise the "
            f"limit with --max-triangles {-(-count // 3)} on the command line, or set "
            f'"max_triangles" in the "{SECTION}" section of {settings_path()}'
        )

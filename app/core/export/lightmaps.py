"""Lightmap UVs on export: which targets get them, and the LodSet with them.

Unity and Unreal bake static lighting into a mesh's second UV set, so they get one by default
(Unreal's import script then turns its own generation off and points the lightmap at UV
channel 1; Unity uses a mesh's second set as it is while the model's "Generate Lightmap UVs" is
off, its default). Godot unwraps its own when asked to (`Static Lightmaps`), and a file export
has no engine to use one: both get it only when asked.
"""

from __future__ import annotations

from dataclasses import replace

from app.core.export.options import ExportOptions
from app.core.export.projects import EngineKind
from app.core.mesh.lightmap_uv import with_lightmap_uvs
from app.core.mesh.types import LodSet

ON_BY_DEFAULT = frozenset({EngineKind.UNITY, EngineKind.UNREAL})


def lightmaps_wanted(options: ExportOptions, target: EngineKind | None) -> bool:
    """The user's choice, else the target's default (`target` None: a file export)."""
    if options.lightmap_uv is not None:
        return options.lightmap_uv
    return target in ON_BY_DEFAULT


def with_lightmaps(lodset: LodSet) -> LodSet:
    """Every LOD with its own lightmap UV set (each LOD is lit on its own)."""
    return lodset.with_lods([replace(lod, mesh=with_lightmap_uvs(lod.mesh)) for lod in lodset.lods])

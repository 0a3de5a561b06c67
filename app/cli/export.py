"""`sweedle export ASSET...`: into a Unity, Unreal or Godot project, or Export As a file.

ASSET is a library asset id or a .glb file. Exit codes as for every command: 0 all exported,
1 any failed (the others still ran), 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.cli.exits import EXIT_FAILED, EXIT_OK
from app.cli.terminal import shown
from app.core.base.errors import InputError
from app.core.base.rules import TEXTURE_SIZES
from app.core.export.projects import EngineKind
from app.core.mesh.collision import Collision
from app.core.mesh.normalize import PIVOTS


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "export",
        help="export assets into a Unity/Unreal/Godot project or to a file",
        description="Export library assets (by id) or .glb files into a game-engine project, in the form "
        "the engine imports natively, or to a file (--as) in GLB, glTF, FBX, OBJ, STL or PLY.",
    )
    parser.add_argument("assets", nargs="+", metavar="ASSET", help="library asset id or .glb file")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--unity", type=Path, metavar="PROJECT", help="Unity project folder")
    target.add_argument("--unreal", type=Path, metavar="PROJECT", help="Unreal project folder")
    target.add_argument("--godot", type=Path, metavar="PROJECT", help="Godot project folder")
    target.add_argument(
        "--as",
        dest="as_file",
        type=Path,
        metavar="FILE",
        help="file to write (.fbx .glb .gltf .obj .stl .ply)",
    )
    parser.add_argument(
        "--height", type=float, metavar="METRES", help="real-world height (default: as stored)"
    )
    parser.add_argument("--pivot", choices=PIVOTS, default="bottom-center")
    parser.add_argument(
        "--lod0-triangles", type=int, metavar="N", help="triangle budget for LOD0 (the LODs below are remade)"
    )
    parser.add_argument(
        "--lods",
        type=int,
        metavar="N",
        help="LOD levels after LOD0 (0: LOD0 only; more than stored are made)",
    )
    parser.add_argument("--texture-size", type=int, choices=TEXTURE_SIZES)
    parser.add_argument(
        "--collision",
        type=_collision,
        default=Collision(),
        metavar="none|hull|decompose[:N]",
        help="collision for Unity, Unreal and Godot: one convex hull, or N convex pieces (default 8; "
        "needs the 'collision' extra)",
    )
    parser.add_argument(
        "--compress",
        action="store_true",
        help="with --as FILE.glb: Draco meshes and KTX2 textures (needs the 'compress' extra)",
    )
    parser.add_argument("--godot-lods", action="store_true", help="Godot: ship the asset's own LODs too")
    parser.add_argument(
        "--lightmap-uv",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a second, non-overlapping UV set for baked lighting (default: on for Unity and Unreal, "
        "off for Godot and --as)",
    )
    parser.set_defaults(run=_cmd_export)


def _cmd_export(args: argparse.Namespace) -> int:
    from app.core.export.jobs import export_batch, export_file
    from app.core.export.options import ExportOptions

    options = ExportOptions(
        height_m=args.height,
        pivot=args.pivot,
        lod0_triangles=args.lod0_triangles,
        lod_levels=args.lods,
        texture_size=args.texture_size,
        collision=args.collision,
        godot_authored_lods=args.godot_lods,
        lightmap_uv=args.lightmap_uv,
    )
    options.check()
    library = _library_if_needed(args.assets)
    try:
        if args.as_file is not None:
            if len(args.assets) != 1:
                print(
                    "error: --as FILE takes one asset; export several into a project instead", file=sys.stderr
                )
                return 2
            result = export_file(args.assets[0], args.as_file, options, library, compress=args.compress)
            for note in result.notes:
                print(f"note: {shown(note)}", file=sys.stderr)
            files = ", ".join(shown(p) for p in result.files)
            print(f"ok    {shown(args.assets[0])} → {files}", file=sys.stderr)
            return EXIT_OK
        if args.compress:
            print("error: --compress takes --as FILE.glb; engine exports stay uncompressed", file=sys.stderr)
            return 2
        kind, project = next((k, getattr(args, k.value)) for k in EngineKind if getattr(args, k.value))
        failures = 0
        for item in export_batch(args.assets, kind, project, options, library):
            if item.result is None:
                failures += 1
                print(f"error: {shown(item.spec)}: {shown(item.error)}", file=sys.stderr)
                continue
            print(f"ok    {shown(item.spec)} → {shown(item.result.folder)}", file=sys.stderr)
            for note in item.result.notes:
                print(f"      {shown(note)}", file=sys.stderr)
        return EXIT_FAILED if failures else EXIT_OK
    finally:
        if library is not None:
            library.close()


def _collision(text: str) -> Collision:
    try:
        return Collision.parse(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _library_if_needed(assets: list[str]) -> Any:
    """The library, opened only when an asset is given by id (a .glb needs none)."""
    if not any(a.strip().isdigit() for a in assets):
        return None
    from app.core.library.startup import open_library

    library, _report = open_library()
    return library

"""`sweedle library ...`: the asset library from the command line, on the same repository as
the window. Also the hook `sweedle generate` uses to record its results."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.exits import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from app.cli.progress import ProgressBar, cancel_on_interrupt
from app.cli.terminal import shown
from app.core.base.cancel import CancelToken
from app.core.base.errors import Cancelled, SweedleError
from app.core.generation.request import GenerationRequest, GenerationResult
from app.core.library.cutout_record import describe_cutout
from app.core.library.records import AssetQuery, AssetRecord, AssetStatus, SortKey

if TYPE_CHECKING:
    from app.core.library.repository import Library
    from app.core.library.saving import IdenticalVersion



def register(sub: Any) -> None:
    parser = sub.add_parser("library", help="list, show and import the assets of the library")
    actions = parser.add_subparsers(dest="library_command", metavar="ACTION", required=True)

    ls = actions.add_parser("list", help="list assets, newest first")
    ls.add_argument("--search", default="", metavar="Q", help="words to find in name, prompt, tags, notes")
    ls.add_argument("--tag", help="only assets with this tag")
    ls.add_argument("--engine", help="only assets made by this engine ('import' for imports)")
    ls.add_argument("--status", choices=[s.value for s in AssetStatus])
    ls.add_argument("--sort", choices=[k.value for k in SortKey], default=SortKey.CREATED.value)
    ls.add_argument("--trash", action="store_true", help="list the trash instead")
    ls.add_argument("--json", action="store_true", help="one JSON array of assets")
    ls.set_defaults(run=_cmd_list)

    imp = actions.add_parser("import", help="add mesh files (GLB, glTF, OBJ, PLY, STL) as assets")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.add_argument("--json", action="store_true", help="one JSON object per imported asset")
    imp.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_max_triangles(imp)
    imp.set_defaults(run=_cmd_import)

    show = actions.add_parser("show", help="everything about one asset: versions, LODs, exports")
    show.add_argument("id", type=int, metavar="ID")
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=_cmd_show)

    rebuild = actions.add_parser(
        "rebuild",
        help="rebuild the library's database from its asset folders (the old database is set aside)",
        description="Make a new library database from the asset folders, for a database that is lost or "
        "damaged. The old database is moved to set-aside/ in the library folder, never deleted. Close "
        "Sweedle windows and commands that use the library first.",
    )
    rebuild.set_defaults(run=_cmd_rebuild)

    for name, verb in (
        ("trash", "move assets to the trash"),
        ("restore", "bring assets back from the trash"),
    ):
        cmd = actions.add_parser(name, help=verb)
        cmd.add_argument("ids", nargs="+", type=int, metavar="ID")
        cmd.set_defaults(run=_cmd_trash if name == "trash" else _cmd_restore)


def add_max_triangles(parser: argparse.ArgumentParser) -> None:
    """The `--max-triangles` option of the commands that read mesh files."""
    from app.core.formats.mesh_limits import DEFAULT_MAX_TRIANGLES, SECTION

    parser.add_argument(
        "--max-triangles",
        type=_positive_int,
        metavar="N",
        help=f"read meshes up to N triangles (default: max_triangles in the {SECTION!r} section of "
        f"the settings, else {DEFAULT_MAX_TRIANGLES:,})",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 2**31 - 1:
        raise argparse.ArgumentTypeError(f"{text} is out of range (1 to {2**31 - 1:,})")
    return value


def open_for_cli() -> Library:
    """The user's library; what the start-up recovery found goes to stderr as warnings."""
    from app.core.library.startup import open_library

    library, report = open_library()
    for line in report.lines():
        print(f"warning: library: {shown(line)}", file=sys.stderr)
    return library


class LibraryRecorder:
    """Records finished results in the library (opened on first use) and finds the version an
    identical request already made. A failure to open or record is a warning: the output file
    exists whatever happens to the library."""

    def __init__(self) -> None:
        self._library: Library | None = None

    def _open(self) -> Library:
        if self._library is None:
            self._library = open_for_cli()
        return self._library

    def __call__(self, result: GenerationResult) -> None:
        from app.core.library.saving import save_generation

        try:
            asset = save_generation(self._open(), result)
        except SweedleError as exc:
            print(
                f"warning: {shown(result.request.image_path)}: not recorded in the library: {shown(exc)}",
                file=sys.stderr,
            )
            return
        version = asset.current_version.version if asset.current_version else 1
        print(f"      recorded in the library as asset {asset.id} (version {version})", file=sys.stderr)

    def identical(self, request: GenerationRequest) -> IdenticalVersion | None:
        from app.core.library.saving import find_identical

        try:
            return find_identical(self._open(), request)
        except (SweedleError, OSError) as exc:
            print(
                f"warning: the library could not be searched for this version: {shown(exc)}", file=sys.stderr
            )
            return None


def library_recorder() -> LibraryRecorder:
    return LibraryRecorder()


def _cmd_list(args: argparse.Namespace) -> int:
    query = AssetQuery(
        search=args.search,
        tag=args.tag,
        engine=args.engine,
        status=AssetStatus(args.status) if args.status else None,
        sort=SortKey(args.sort),
        descending=args.sort != SortKey.NAME.value,
        trash=args.trash,
    )
    library = open_for_cli()
    assets = library.list_assets(query)
    if args.json:
        print(json.dumps([library.get_asset(a.id).to_dict() for a in assets], indent=2))
        return EXIT_OK
    if not assets:
        print(
            "no assets match"
            if (args.search or args.tag or args.engine or args.status)
            else "the library is empty"
        )
        return EXIT_OK
    print(f"{'ID':>6}  {'NAME':<32} {'ENGINE':<10} {'TRIANGLES':>10}  {'CREATED':<16}  TAGS")
    for a in assets:
        flag = "" if a.status is AssetStatus.READY else f" [{a.status.value}]"
        print(
            f"{a.id:>6}  {shown(a.name + flag)[:32]:<32} {shown(a.engine)[:10]:<10} {a.triangles:>10,}  "
            f"{a.created_at:%Y-%m-%d %H:%M}  {shown(', '.join(a.tags))}"
        )
    return EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    """Import each file; one bad file is one line and the others still go in. The first Ctrl+C
    cancels the file being imported (nothing of it is saved) and stops the batch."""
    from app.core.formats.mesh_limits import mesh_limits
    from app.core.library.importer import import_mesh

    limits = mesh_limits(args.max_triangles)
    library = open_for_cli()
    failures = 0
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, cancel_on_interrupt(cancel))
    try:
        for index, path in enumerate(args.files, start=1):
            label = f"[{index}/{len(args.files)}] {shown(path.name)}"
            # Stage lines in a log would come before a file's one-line error: the bar is for terminals.
            bar = ProgressBar(label, sys.stderr, enabled=not args.quiet and sys.stderr.isatty())
            try:
                asset = import_mesh(library, path, limits=limits, on_progress=bar.update, cancel=cancel)
            except Cancelled:
                bar.close()
                print(f"cancelled {label}: nothing of it was imported", file=sys.stderr)
                return EXIT_INTERRUPTED
            except SweedleError as exc:
                bar.close()
                print(f"error: {shown(exc)}", file=sys.stderr)
                failures += 1
                continue
            bar.close()
            _print_imported(path, asset, args.json)
    finally:
        signal.signal(signal.SIGINT, previous)
    return EXIT_FAILED if failures else EXIT_OK


def _print_imported(path: Path, asset: AssetRecord, as_json: bool) -> None:
    if as_json:
        print(json.dumps(asset.to_dict()))
    lods = (
        " / ".join(f"{lod.triangles:,}" for lod in asset.current_version.lods)
        if asset.current_version
        else ""
    )
    print(
        f"ok    {shown(path.name)} → asset {asset.id} {shown(repr(asset.name))} (triangles {lods})",
        file=sys.stderr,
    )


def _cmd_show(args: argparse.Namespace) -> int:
    asset = open_for_cli().get_asset(args.id)
    if args.json:
        print(json.dumps(asset.to_dict(), indent=2))
    else:
        print(_show_text(asset))
    return EXIT_OK


def _show_text(asset: AssetRecord) -> str:
    s = asset.summary
    lines = [
        f"asset {s.id}: {shown(s.name)}" + (" (in the trash)" if s.in_trash else ""),
        f"  status {s.status.value}, {s.source_type.value} by {s.engine}, {s.triangles:,} triangles, "
        f"{s.vertices:,} vertices, height {asset.height_m:.3f} m",
        f"  created {s.created_at:%Y-%m-%d %H:%M} UTC, tags: {shown(', '.join(s.tags)) or '-'}"
        + (", favourite" if s.favourite else ""),
        f"  files: {shown(s.folder)}",
    ]
    if asset.notes:
        lines.append(f"  notes: {shown(asset.notes)}")
    lines.append("  versions:")
    for v in asset.versions:
        mark = "*" if v.current else " "
        lods = " / ".join(f"{lod.triangles:,}" for lod in v.lods)
        lines.append(
            f"   {mark}v{v.version} {v.created_at:%Y-%m-%d %H:%M} {v.engine} {v.model_id} seed {v.seed} "
            f"[{v.status}] triangles {lods}" + (f" ({v.error})" if v.error else "")
        )
        made_with = ", ".join(
            f"{label} {shown(value)}"
            for label, value in (("revision", v.model_version), ("device", v.device), ("licence", v.licence))
            if value
        )
        if made_with:
            lines.append(f"      {made_with}")
        cutout = describe_cutout(v.parameters)
        if cutout:
            lines.append(f"      cutout: {shown(cutout)}")
    for e in asset.exports:
        lines.append(f"  exported to {e.engine}: {shown(e.target_path)} ({e.created_at:%Y-%m-%d %H:%M})")
    return "\n".join(lines)


def _cmd_rebuild(args: argparse.Namespace) -> int:
    from app.core.library.rebuild import rebuild_library

    report = rebuild_library()
    for line in report.lines():
        if line.startswith("skipped:"):
            print(f"warning: {shown(line)}", file=sys.stderr)
        else:
            print(shown(line))
    return EXIT_OK


def _cmd_trash(args: argparse.Namespace) -> int:
    moved = open_for_cli().trash(args.ids)
    print(f"moved {moved} asset(s) to the trash", file=sys.stderr)
    return EXIT_OK if moved == len(set(args.ids)) else EXIT_FAILED


def _cmd_restore(args: argparse.Namespace) -> int:
    restored = open_for_cli().restore(args.ids)
    print(f"restored {restored} asset(s)", file=sys.stderr)
    return EXIT_OK if restored == len(set(args.ids)) else EXIT_FAILED

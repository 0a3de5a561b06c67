"""`sweedle` on the command line: the same pipeline as the window, headless.

Exit codes: 0 everything succeeded, 1 at least one input failed (the others still ran),
2 bad usage, 130 interrupted with Ctrl+C.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import app
from app.cli.commands import COMMANDS
from app.cli.exits import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from app.cli.library import add_max_triangles, library_recorder
from app.cli.progress import ProgressBar, cancel_on_interrupt
from app.cli.requests import RequestOptions, add_request_options, parse_pairs
from app.cli.terminal import ShownFormatter, shown
from app.core.base.cancel import CancelToken
from app.core.base.disk_errors import disk_error_message
from app.core.base.errors import Cancelled, InputError, SweedleError
from app.core.base.rules import check_name
from app.core.export.naming import safe_name
from app.core.formats.leftovers import clean_leftovers, leftovers_note
from app.core.generation.request import GenerationRequest, GenerationResult, JobStatus
from app.core.mesh.types import LodSet

if TYPE_CHECKING:
    from app.core.library.saving import IdenticalVersion


# Commands that live in their own modules; each module has `register(subparsers)`, which adds
# its command and sets `run=callable(args) -> exit code` on its parsers.
_COMMAND_MODULES: dict[str, str] = {
    "library": "app.cli.library",
    "export": "app.cli.export",
    "models": "app.cli.weights",
    "queue": "app.cli.queue",
    "farm": "app.cli.farm",
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser(_command_named(argv))
    args = parser.parse_args(argv)
    handler = logging.StreamHandler()
    handler.setFormatter(ShownFormatter(tracebacks=args.verbose))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, handlers=[handler])
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.run(args))
    except SweedleError as exc:
        print(f"error: {shown(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:
        print(f"error: {shown(disk_error_message(exc.filename or 'a file', exc, 'use'))}", file=sys.stderr)
        return EXIT_FAILED
    except (KeyboardInterrupt, Cancelled):
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _command_named(argv: Sequence[str]) -> str | None:
    """The command `argv` runs (its first word that is not an option), if it is one of ours."""
    first = next((word for word in argv if not word.startswith("-")), None)
    return first if first in COMMANDS else None


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or with `command` only that command's: a run pays for importing and
    building the parsers of the commands it does not run (help and a mistyped command get all)."""
    from app.core.generation.engines.registry import engine_names, get_engine

    parser = argparse.ArgumentParser(
        prog="sweedle",
        description="Turn pictures into game-ready 3D assets (GLB/OBJ with LODs), on this machine.",
    )
    parser.add_argument("--version", action="version", version=f"Sweedle {app.__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details (and tracebacks of bugs)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    engines_help = "\n".join(
        f"  {name}: "
        + ", ".join(f"{p.name} (default {p.default}): {p.help}" for p in get_engine(name).params)
        for name in engine_names()
    )
    gen = sub.add_parser(
        "generate",
        help="turn images into 3D assets",
        description="Turn each IMAGE into a 3D asset. Several images are a batch: "
        "one bad image is reported and the others still run.",
        epilog="engine parameters (--param NAME=VALUE):\n" + engines_help,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    gen.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    gen.add_argument(
        "-o", "--output", type=Path, help="output file (one image) or folder (default: current folder)"
    )
    gen.add_argument(
        "--name", help="asset name (default: the picture's file name); a file-safe form names the output"
    )
    add_request_options(gen)
    gen.add_argument("--format", choices=("glb", "obj"), help="output format (default: from -o, else glb)")
    gen.add_argument(
        "--mask",
        type=Path,
        metavar="FILE.png",
        help="the subject's mask for a single IMAGE, at its size: white where the subject is, black "
        "where it is not (or a picture whose transparency cuts it out); replaces --cutout",
    )
    gen.add_argument(
        "--view",
        action="append",
        default=[],
        metavar="NAME=IMAGE",
        help="another view of the subject for multi-view variants: back=, left= or right=, repeatable",
    )
    gen.add_argument("--json", action="store_true", help="print one JSON result per image on stdout")
    gen.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    gen.add_argument(
        "--no-library", action="store_true", help="do not record the results in the asset library"
    )
    gen.add_argument(
        "--force",
        action="store_true",
        help="generate even when the library holds a version made from the same picture, engine, "
        "settings and seed (by default that version is reused)",
    )
    gen.set_defaults(run=_cmd_generate)

    info = sub.add_parser("info", help="validate a mesh file (GLB, glTF, OBJ, PLY, STL), print its LODs")
    info.add_argument("file", type=Path, metavar="FILE")
    info.add_argument("--json", action="store_true", help="print the report as JSON")
    add_max_triangles(info)
    info.set_defaults(run=_cmd_info)

    for name, module_name in _COMMAND_MODULES.items():
        if command in (None, name):
            importlib.import_module(module_name).register(sub)
    return parser


def _output_paths(
    images: list[Path], output: Path | None, fmt: str | None, name: str | None = None
) -> tuple[list[Path], str]:
    """One output file per image; a single image may name its output file exactly. With `name`,
    the files are named after its file-safe form instead of the pictures."""
    if (
        output is not None
        and len(images) == 1
        and output.suffix.lower() in (".glb", ".obj")
        and not output.is_dir()
    ):
        suffix_fmt = output.suffix.lower()[1:]
        if fmt is not None and fmt != suffix_fmt:
            raise SweedleError(f"--format {fmt} contradicts the output file name {output.name}")
        if output.exists() and not output.is_file():
            raise SweedleError(f"-o {output} exists and is not a regular file: give another file name")
        return [output], suffix_fmt
    if output is not None and output.exists() and not output.is_dir():
        raise SweedleError(
            f"-o {output} exists and is not a folder: give a folder, or for one picture "
            "a file name ending in .glb or .obj"
        )
    fmt = fmt or "glb"
    folder = output if output is not None else Path.cwd()
    used: set[str] = set()
    paths = []
    for image in images:
        base = safe_name(name) if name else image.stem
        stem, n = base, 2
        while stem.lower() in used:
            stem, n = f"{base}-{n}", n + 1
        used.add(stem.lower())
        paths.append(folder / f"{stem}.{fmt}")
    return paths, fmt


def _prepare_folders(outputs: list[Path]) -> None:
    """Create the output folders, and remove what an interrupted run left in them (one note
    per folder), before the first job: a folder that cannot be made fails the command at once."""
    for folder in dict.fromkeys(path.parent for path in outputs):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SweedleError(disk_error_message(folder, exc, "create the output folder")) from exc
        removed = clean_leftovers(folder)
        if removed:
            print(f"note: {shown(leftovers_note(removed, folder))}", file=sys.stderr)


def _cmd_generate(args: argparse.Namespace) -> int:
    from app.core.generation.stages import generate

    options = RequestOptions.parse(args)
    if args.name is not None:
        check_name(args.name)
    if args.mask is not None and len(args.images) != 1:
        raise InputError("--mask is the mask of one picture: give exactly one IMAGE with it")
    outputs, fmt = _output_paths(args.images, args.output, args.format, args.name)
    _prepare_folders(outputs)
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, cancel_on_interrupt(cancel))
    failures = 0
    record = None if args.no_library else library_recorder()
    try:
        for index, (image, output) in enumerate(zip(args.images, outputs, strict=True), start=1):
            label = f"[{index}/{len(args.images)}] {shown(image.name)}"
            try:
                request = options.request(
                    image,
                    name=args.name,
                    mask_path=args.mask,
                    views={name: Path(value) for name, value in parse_pairs(args.view).items()},
                )
            except SweedleError as exc:
                print(f"error: {shown(image.name)}: {shown(exc)}", file=sys.stderr)
                failures += 1
                continue
            identical = record.identical(request) if record is not None and not args.force else None
            if identical is not None:
                result = _reuse(request, identical, output, fmt)
                _print_result(result, label, args.json)
                continue
            bar = ProgressBar(label, sys.stderr, enabled=not args.quiet)
            result = generate(request, output, fmt, on_progress=bar.update, cancel=cancel)
            bar.close()
            _print_result(result, label, args.json)
            if record is not None and result.ok:
                record(result)
            if result.status is JobStatus.CANCELLED:
                return EXIT_INTERRUPTED
            failures += result.status is JobStatus.FAILED
    finally:
        signal.signal(signal.SIGINT, previous)
    return EXIT_FAILED if failures else EXIT_OK


def _reuse(
    request: GenerationRequest, identical: IdenticalVersion, output: Path, fmt: str
) -> GenerationResult:
    """Write the reused version's file where this job's output was asked for."""
    from app.core.base.atomic import atomic_write_bytes
    from app.core.library.saving import reused_result

    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "glb":
        atomic_write_bytes(output, identical.glb_path.read_bytes())
    else:
        from app.core.formats.glb_reader import read_glb
        from app.core.formats.obj import write_obj

        write_obj(read_glb(identical.glb_path), output)
    result = reused_result(request, identical, output)
    result.message += "; --force generates it again"
    return result


def _print_result(result: GenerationResult, label: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps(_result_dict(result)))
    if result.reused:
        print(f"reused {label} → {shown(result.output_path)}  ({shown(result.message)})", file=sys.stderr)
    elif result.status is JobStatus.DONE:
        lods = " / ".join(f"{lod.triangles:,}" for lod in result.lods)
        total = sum(result.timings.values())
        print(
            f"ok    {label} → {shown(result.output_path)}  (triangles {lods}; {total:.2f} s)", file=sys.stderr
        )
        if result.message:  # e.g. an automatic paint that fell back to projection
            print(f"note: {shown(result.message)}", file=sys.stderr)
    elif result.status is JobStatus.CANCELLED:
        print(f"cancelled {label}", file=sys.stderr)
    else:
        print(f"error: {shown(result.message)}", file=sys.stderr)


def _result_dict(result: GenerationResult) -> dict[str, object]:
    return {
        "image": str(result.request.image_path) if result.request.image_path is not None else None,
        "prompt": result.request.prompt,
        "status": result.status.value,
        "reused": result.reused,
        "output": str(result.output_path) if result.output_path else None,
        "message": result.message,
        "lods": [lod.__dict__ for lod in result.lods],
        "timings": result.timings,
        "report": result.report,
    }


def _cmd_info(args: argparse.Namespace) -> int:
    from app.core.formats.glb_reader import read_glb
    from app.core.formats.mesh_files import read_mesh_file
    from app.core.formats.mesh_limits import mesh_limits
    from app.core.mesh.validate import validate

    limits = mesh_limits(args.max_triangles)
    is_glb = args.file.suffix.lower() == ".glb"
    lodset = read_glb(args.file, limits) if is_glb else read_mesh_file(args.file, limits)
    report = validate(lodset.lod0).to_dict()
    if args.json:
        print(
            json.dumps(
                {
                    "file": str(args.file),
                    "name": lodset.name,
                    "provenance": lodset.provenance,
                    "lod0": report,
                    "lods": [
                        {
                            "level": lod.level,
                            "triangles": lod.mesh.triangle_count,
                            "vertices": lod.mesh.vertex_count,
                            "error_pct": lod.error_pct,
                        }
                        for lod in lodset.lods
                    ],
                },
                indent=2,
            )
        )
        return EXIT_OK
    print(_info_text(args.file, lodset, report))
    return EXIT_OK


def _info_text(path: Path, lodset: LodSet, report: dict[str, object]) -> str:
    prov = lodset.provenance
    lines = [f"{shown(path.name)}: {shown(lodset.name)}"]
    if prov:
        lines.append(
            f"  made by Sweedle {prov.get('app_version', '?')}, engine {prov.get('engine', '?')}, "
            f"model {prov.get('model', '?')}, seed {prov.get('seed', '?')}"
        )

    def yes(key: str) -> str:
        value = report.get(key)
        return "n/a" if value is None else ("yes" if value else "NO")

    size = report.get("size", [0.0, 0.0, 0.0])
    assert isinstance(size, list)
    lines += [
        f"  LOD0: watertight {yes('watertight')}, manifold {yes('manifold')}, "
        f"consistent winding {yes('winding_consistent')}, outward {yes('outward')}, "
        f"{report.get('components')} component(s)",
        f"  size: {size[0]:.3f} × {size[1]:.3f} × {size[2]:.3f} m (x × y × z)",
        "",
        "  LOD   triangles   vertices   error (% of diagonal)",
    ]
    for lod in lodset.lods:
        tris, verts = lod.mesh.triangle_count, lod.mesh.vertex_count
        lines.append(f"  {lod.level:>3}  {tris:>10,}  {verts:>9,}   {lod.error_pct:.3f}")
    return "\n".join(lines)

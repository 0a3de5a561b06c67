"""`sweedle models list|import|download`: the model store from the command line."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from app.core.weights.catalog import CATALOG, PAINT_TURBO_NOTE, UNSUPPORTED_NOTE, cutout_models, spec
from app.core.weights.licence import LICENCES


def register(sub: Any) -> None:
    models = sub.add_parser("models", help="list, import or download model weights")
    msub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    listing = msub.add_parser("list", help="known models, installed or not, with sizes and licence")
    listing.set_defaults(run=_cmd_list)
    imp = msub.add_parser(
        "import", help="import models from a folder (hy3dgen cache, HF snapshot) or a cutout .onnx file"
    )
    imp.add_argument("path", type=Path)
    imp.add_argument("--link", action="store_true", help="link to the folder instead of copying it")
    imp.add_argument(
        "--model",
        choices=[e.id for e in cutout_models()],
        default=cutout_models()[-1].id,
        help="which cutout model an .onnx file is (default: %(default)s)",
    )
    imp.set_defaults(run=_cmd_import)
    down = msub.add_parser("download", help="download a model from Hugging Face (asks for the licence)")
    down.add_argument("model", choices=[e.id for e in CATALOG])
    down.add_argument("--accept-licence", action="store_true", help="accept the licence terms without asking")
    down.set_defaults(run=_cmd_download)


def _cmd_list(args: argparse.Namespace) -> int:
    from app.core.weights.store import ModelStore

    store = ModelStore()
    print(f"model store: {store.root}")
    for state in store.states():
        if state.usable:
            status = f"installed {state.size_bytes / 2**30:.2f} GB"
        elif state.installed:
            status = f"DAMAGED: {state.problem}"
        else:
            status = f"not installed (download ~{state.spec.download_gb:g} GB)"
        revision = f" rev {state.revision[:10]}" if state.revision else ""
        print(f"  {state.spec.id:<28} {status}{revision}  [{LICENCES[state.spec.licence].name}]")
    print(UNSUPPORTED_NOTE)
    print(PAINT_TURBO_NOTE)
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from app.core.weights.importing import import_models
    from app.core.weights.store import ModelStore

    if args.path.suffix.lower() == ".onnx":
        from app.core.weights.cutout_folder import import_onnx_file

        store = ModelStore()
        model = spec(args.model)
        target = import_onnx_file(model, args.path, store.path(model))
        print(f"imported {model.id} from {args.path} into {target}")
        return 0
    for item in import_models(args.path, ModelStore(), link=args.link):
        print(f"imported {item.spec.id} from {item.folder}{' (linked)' if args.link else ''}")
    return 0


def _cmd_download(args: argparse.Namespace) -> int:
    from app.core.weights.download import DownloadJob
    from app.core.weights.licence import licence_text
    from app.core.weights.store import ModelStore

    model = spec(args.model)
    store = ModelStore()
    if store.state(model).usable:
        print(f"{model.id} is already installed in {store.path(model)}")
        return 0
    print(licence_text(model.licence), file=sys.stderr)
    if not args.accept_licence:
        if not sys.stdin.isatty():
            print("error: accept the licence with --accept-licence (no terminal to ask on)", file=sys.stderr)
            return 2
        if input("Accept these terms and download? [y/N] ").strip().lower() not in ("y", "yes"):
            print("not downloaded", file=sys.stderr)
            return 1
    job = DownloadJob(model, store)
    job.start()
    try:
        status = job.poll()
        while not status.finished:
            total = f" of {status.total_bytes / 2**30:.2f} GB" if status.total_bytes else ""
            print(f"\r{model.id}: {status.done_bytes / 2**30:.2f} GB{total}", end="", file=sys.stderr)
            time.sleep(0.5)
            status = job.poll()
    except KeyboardInterrupt:
        job.cancel()
        print("\ncancelled; run the same command again to resume", file=sys.stderr)
        return 130
    print(file=sys.stderr)
    if status.error:
        print(f"error: {status.error}", file=sys.stderr)
        return 1
    print(f"installed {model.id} in {store.path(model)}")
    return 0

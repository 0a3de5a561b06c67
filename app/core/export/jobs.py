"""Exporting assets by library id or file, as the CLI and the Export panel both do: load the
asset, export it to one engine project or file, record the export on the asset."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.base.cancel import CancelToken
from app.core.base.disk_errors import disk_error_message
from app.core.base.errors import SweedleError
from app.core.export.errors import ExportError
from app.core.export.export_as import export_as
from app.core.export.godot import export_godot
from app.core.export.options import ExportOptions
from app.core.export.projects import EngineKind
from app.core.export.staging import ExportResult
from app.core.export.unity import export_unity
from app.core.export.unreal import export_unreal
from app.core.formats.glb_reader import read_glb
from app.core.mesh.types import LodSet

if TYPE_CHECKING:
    from app.core.library.repository import Library

log = logging.getLogger(__name__)
ENGINE_EXPORTERS: dict[EngineKind, Callable[[LodSet, Path | str, ExportOptions, str], ExportResult]] = {
    EngineKind.UNITY: export_unity,
    EngineKind.UNREAL: export_unreal,
    EngineKind.GODOT: export_godot,
}


@dataclass
class LoadedAsset:
    lodset: LodSet
    key: str
    """Stable identity: the library uid, or a hash of the file's resolved path."""
    asset_id: int | None = None
    """The library id, None for a file."""


def load_asset(spec: str | int, library: Library | None) -> LoadedAsset:
    """A library asset by id (`12`) or a GLB file by path (`rock.glb`)."""
    text = str(spec).strip()
    if text.isdigit():
        if library is None:
            raise ExportError(f"Asset {text} cannot be looked up: the library is not open.")
        record = library.get_asset(int(text))
        glb = record.summary.glb_path
        if glb is None or not glb.is_file():
            raise ExportError(f"Asset {text} ({record.summary.name}) has no mesh file in the library.")
        lodset = replace(read_glb(glb), name=record.summary.name)
        return LoadedAsset(lodset, record.uid, record.summary.id)
    path = Path(text).expanduser()
    if path.suffix.lower() != ".glb":
        raise ExportError(f"{text!r} is neither a library asset id nor a .glb file.")
    if not path.is_file():
        raise ExportError(f"{path} does not exist.")
    lodset = replace(read_glb(path), name=path.stem)
    return LoadedAsset(lodset, "file:" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16])


@dataclass
class BatchItem:
    spec: str
    result: ExportResult | None = None
    error: str | None = None


def export_batch(
    specs: Sequence[str | int],
    kind: EngineKind,
    project: Path | str,
    options: ExportOptions,
    library: Library | None,
    on_progress: Callable[[int, int, str], None] | None = None,
    cancel: CancelToken | None = None,
) -> list[BatchItem]:
    """Export each asset into one project; one failure (a bad asset, a full disk, a bug) is
    reported on its item and the others still run.
    Each success is recorded on its library asset. `on_progress(done, total, label)` is called
    before each asset and at the end."""
    items = [BatchItem(str(spec)) for spec in specs]
    for index, item in enumerate(items):
        if cancel is not None and cancel.cancelled:
            item.error = "cancelled"
            continue
        if on_progress is not None:
            on_progress(index, len(items), item.spec)
        try:
            asset = load_asset(item.spec, library)
            item.result = ENGINE_EXPORTERS[kind](asset.lodset, project, options, asset.key)
            if library is not None and asset.asset_id is not None:
                library.record_export(asset.asset_id, kind.value, item.result.folder)
        except SweedleError as exc:
            item.error = str(exc)
        except OSError as exc:
            item.error = disk_error_message(exc.filename or project, exc, "export")
        except Exception as exc:  # a bug: one line for this asset, the batch goes on
            log.exception("export of %s failed unexpectedly", item.spec)
            item.error = f"unexpected error (please report it): {type(exc).__name__}: {exc}"
    if on_progress is not None:
        on_progress(len(items), len(items), "done")
    return items


def export_file(
    spec: str | int, path: Path | str, options: ExportOptions, library: Library | None, compress: bool = False
) -> ExportResult:
    """Export As for one asset (`compress`: a compressed .glb), recorded on the library asset as
    the file's format."""
    asset = load_asset(spec, library)
    result = export_as(asset.lodset, path, options, compress)
    if library is not None and asset.asset_id is not None:
        library.record_export(asset.asset_id, result.engine, result.files[0])
    return result

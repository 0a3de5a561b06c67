"""A lost database (0 bytes, missing, emptied, damaged) next to asset folders is reported, never
silently an empty library, and `rebuild` brings every asset back from its folders: names, tags,
notes, favourites, trash, versions with their parameters, exports. The old database is kept."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fixtures.library.factory import new_version

from app.cli.main import main
from app.core.formats.glb_reader import read_glb
from app.core.library.faults import LibraryNeedsRebuild
from app.core.library.leases import LEASES_DIR, acquire
from app.core.library.migrate import LibraryError, head_revision
from app.core.library.rebuild import rebuild_library
from app.core.library.records import AssetQuery, AssetRecord
from app.core.library.repository import Library
from app.core.library.startup import open_library
from app.core.paths import library_dir

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "library"


def _fill(library: Library) -> None:
    """A library with what a rebuild must bring back: versions, edits, trash, exports."""
    barrel = library.add_version(
        new_version("barrel", source_key="barrel.png", seed=1, prompt="a rusty barrel")
    )
    library.add_version(new_version("barrel again", source_key="barrel.png", seed=2, triangles=8))
    library.promote(barrel.id, barrel.versions[0].id)
    library.set_tags(barrel.id, ["Props", "metal"])
    library.set_notes(barrel.id, "for level 2")
    library.set_favourite([barrel.id], True)
    library.record_export(barrel.id, "godot", "/games/demo/sweedle/barrel")
    tree = library.add_version(new_version("tree", engine="hunyuan"))
    library.rename(tree.id, "Old oak")
    gone = library.add_version(new_version("crate"))
    library.trash([gone.id])


def _essentials(asset: AssetRecord) -> dict[str, Any]:
    data = asset.to_dict()
    for key in ("updated_at",):
        data.pop(key)
    for version in data["versions"]:
        version.pop("id")
    for export in data["exports"]:
        export.pop("created_at")
    return data


def _all(library: Library) -> dict[int, dict[str, Any]]:
    ids = library.search_ids(AssetQuery()) + library.search_ids(AssetQuery(trash=True))
    return {i: _essentials(library.get_asset(i)) for i in ids}


@pytest.mark.parametrize("damage", ["zero bytes", "missing", "no assets", "garbage"])
def test_lost_database_is_reported_then_rebuilt_with_every_asset(tmp_path: Path, damage: str) -> None:
    root = tmp_path / "lib"
    library, _ = open_library(root)
    _fill(library)
    before = _all(library)
    library.close()
    db = root / "library.sqlite3"
    for side in ("library.sqlite3-wal", "library.sqlite3-shm"):
        (root / side).unlink(missing_ok=True)
    if damage == "zero bytes":
        db.write_bytes(b"")
    elif damage == "missing":
        db.unlink()
    elif damage == "no assets":  # what a lost file became before: a new, empty database
        shutil.copy(_empty_head_db(tmp_path), db)
    else:
        db.write_bytes(b"not a database at all " * 300)
    damaged_bytes = db.read_bytes() if db.exists() else None

    with pytest.raises(LibraryNeedsRebuild) as refused:
        open_library(root)
    message = str(refused.value)
    assert "\n" not in message and "sweedle library rebuild" in message and "3 asset folder(s)" in message
    assert "backups" not in message, "no backups folder exists, so none is mentioned"
    assert (db.read_bytes() if db.exists() else None) == damaged_bytes, "nothing was written"

    report = rebuild_library(root)
    assert (report.assets, report.versions, report.from_glb, report.skipped) == (3, 4, 0, [])
    if damaged_bytes is not None:
        (kept,) = report.set_aside
        assert kept.read_bytes() == damaged_bytes, "the old database is kept, byte for byte"

    library, recovery = open_library(root)
    try:
        assert recovery.clean, recovery.lines()
        assert _all(library) == before
        for asset in before.values():
            assert read_glb(Path(asset["glb"])).lod0.triangle_count == 4
        assert library.get_asset(1).current_version.version == 1  # type: ignore[union-attr]
        assert library.list_assets(AssetQuery(search="metal"))[0].name == "barrel"
    finally:
        library.close()


def _empty_head_db(tmp_path: Path) -> Path:
    fresh = tmp_path / "fresh"
    open_library(fresh)[0].close()
    return fresh / "library.sqlite3"


def test_library_from_before_version_files_is_rebuilt_from_glb_provenance(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    shutil.copytree(FIXTURES / "rev0001", root)
    (root / "library.sqlite3").write_bytes(b"")

    report = rebuild_library(root)

    assert (report.assets, report.versions, report.from_glb) == (2, 2, 2)
    library, _ = open_library(root)
    try:
        assets = library.list_assets(AssetQuery())
        assert len(assets) == 2 and all(a.triangles == 4 for a in assets)
        assert {library.get_asset(a.id).uid for a in assets} == {"a1b2c3d4e5f60001", "a1b2c3d4e5f60002"}
        folders = [a.folder.parent for a in assets if a.folder is not None]
        assert all((f / "asset.json").is_file() for f in folders), "rebuilt assets get one"
    finally:
        library.close()


def test_unreadable_version_file_falls_back_to_the_glb_and_says_so(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    library, _ = open_library(root)
    asset = library.add_version(new_version("shelf"))
    library.close()
    assert asset.summary.folder is not None
    (asset.summary.folder / "version.json").write_text('{"format": 1, "lods": [[[[[[')
    (asset.summary.folder.parent / "asset.json").write_text('{"uid": 5}')
    (root / "library.sqlite3").unlink()

    report = rebuild_library(root)

    assert (report.assets, report.from_glb) == (1, 1)
    assert len(report.skipped) == 2 and all("\n" not in line for line in report.skipped)
    library, _ = open_library(root)
    try:
        (back,) = library.list_assets(AssetQuery())
        assert back.name == "shelf" and back.triangles == 4
    finally:
        library.close()


def test_damaged_database_message_names_what_exists(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    root.mkdir()
    (root / "library.sqlite3").write_bytes(b"garbage" * 1000)
    with pytest.raises(LibraryError) as nothing:
        open_library(root)
    assert "move it away to start an empty library" in str(nothing.value)
    assert "rebuild" not in str(nothing.value) and "backups" not in str(nothing.value)

    backup = root / "backups" / "library-0001-20261101.sqlite3"
    backup.parent.mkdir()
    backup.write_bytes(b"")
    with pytest.raises(LibraryError, match=rf"copy the newest backup {backup}"):
        open_library(root)


def test_rebuild_waits_for_other_users_of_the_library(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    library, _ = open_library(root)
    library.add_version(new_version("lamp"))
    try:
        with pytest.raises(
            LibraryError, match=r"open in another Sweedle window or command.*Nothing was changed"
        ):
            rebuild_library(root)
        assert library.count() == 1
    finally:
        library.close()
    holder = acquire(root / LEASES_DIR, exclusive=True)  # as a rebuild in another process would
    try:
        with pytest.raises(LibraryError, match="being rebuilt"):
            open_library(root)
    finally:
        holder.release()
    assert rebuild_library(root).assets == 1


def test_rebuild_command(capsys: pytest.CaptureFixture[str]) -> None:
    library, _ = open_library()
    library.add_version(new_version("anvil"))
    library.close()
    (library_dir() / "library.sqlite3").write_bytes(b"")

    assert main(["library", "list"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "sweedle library rebuild" in err

    assert main(["library", "rebuild"]) == 0
    out = capsys.readouterr().out
    assert "rebuilt the library: 1 asset(s), 1 version(s)" in out and "set-aside" in out
    assert main(["library", "list"]) == 0
    assert "anvil" in capsys.readouterr().out
    con = sqlite3.connect(library_dir() / "library.sqlite3")
    try:
        assert con.execute("SELECT version_num FROM alembic_version").fetchone() == (head_revision(),)
    finally:
        con.close()

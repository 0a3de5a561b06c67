"""The library on a real SQLite file: save, search, filter, sort, tag, rename, versions, trash."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import trimesh
from fixtures.library.factory import new_version
from PIL import Image

from app.core.base.errors import InputError
from app.core.formats.glb_reader import read_glb
from app.core.generation.request import GenerationRequest
from app.core.generation.stages import generate
from app.core.library.importer import import_mesh
from app.core.library.migrate import LibraryError
from app.core.library.records import GLB_FILE, THUMBNAIL_FILE, AssetQuery, AssetStatus, SortKey
from app.core.library.repository import Library
from app.core.library.saving import save_generation
from app.core.library.startup import open_library
from app.core.paths import REPO_ROOT, library_dir

ROBOT = REPO_ROOT / "resources" / "samples" / "robot.png"


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib, report = open_library(tmp_path / "lib")
    assert report.clean
    yield lib
    lib.close()


def _names(lib: Library, **query: object) -> list[str]:
    return [a.name for a in lib.list_assets(AssetQuery(**query))]  # type: ignore[arg-type]


def test_default_location_follows_sweedle_home(isolated_home: Path) -> None:
    lib, _ = open_library()
    try:
        assert lib.root == library_dir() == isolated_home / "data" / "library"
        assert (lib.root / "library.sqlite3").is_file()
    finally:
        lib.close()


def test_database_uses_wal_and_foreign_keys(library: Library) -> None:
    with library.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_save_generation_stores_files_and_provenance(library: Library, tmp_path: Path) -> None:
    request = GenerationRequest(ROBOT, params={"resolution": 48}, seed=5)
    result = generate(request, tmp_path / "out" / "robot.glb")
    assert result.ok, result.message

    asset = save_generation(library, result)

    assert asset.name == "robot" and asset.summary.status is AssetStatus.READY
    assert asset.summary.triangles == result.lods[0].triangles > 0
    version = asset.current_version
    assert version is not None and version.version == 1
    assert version.engine == "relief" and version.seed == 5
    assert version.parameters["resolution"] == 48
    assert set(version.timings) == set(result.timings)
    assert [lod.triangles for lod in version.lods] == [lod.triangles for lod in result.lods]
    stored = read_glb(version.folder / GLB_FILE)
    assert [lod.mesh.triangle_count for lod in stored.lods] == [lod.triangles for lod in result.lods]
    assert (version.folder / "source.png").read_bytes() == ROBOT.read_bytes()
    thumb = Image.open(version.folder / THUMBNAIL_FILE)
    assert thumb.size == (256, 256) and thumb.mode == "RGBA"
    assert thumb.getchannel("A").getextrema()[1] == 255, "the thumbnail shows the asset"
    assert asset.height_m == pytest.approx(1.0, abs=1e-3)


def test_generating_again_adds_a_version_that_can_be_promoted(library: Library, tmp_path: Path) -> None:
    first = save_generation(
        library, generate(GenerationRequest(ROBOT, params={"resolution": 40}), tmp_path / "a.glb")
    )
    again = generate(GenerationRequest(ROBOT, params={"resolution": 56}, seed=9), tmp_path / "b.glb")
    second = save_generation(library, again)

    assert second.id == first.id and library.count() == 1
    assert [v.version for v in second.versions] == [1, 2]
    assert second.current_version is not None and second.current_version.seed == 9
    assert second.summary.triangles == again.lods[0].triangles

    promoted = library.promote(first.id, second.versions[0].id)
    assert promoted.current_version is not None and promoted.current_version.version == 1
    assert promoted.summary.triangles == first.summary.triangles
    assert promoted.summary.folder == second.versions[0].folder
    with pytest.raises(LibraryError, match="does not belong"):
        library.promote(first.id, 999)


def test_search_matches_name_prompt_tags_and_notes(library: Library) -> None:
    barrel = library.add_version(new_version("Rusty Barrel"))
    tree = library.add_version(new_version("Oak", prompt="a gnarled old tree"))
    crate = library.add_version(new_version("Crate"))
    library.set_tags(crate.id, ["wooden", "props"])
    library.set_notes(barrel.id, "use for the harbour level")

    assert _names(library, search="barrel") == ["Rusty Barrel"]
    assert _names(library, search="GNARLED") == ["Oak"]
    assert _names(library, search="wood") == ["Crate"]
    assert _names(library, search="harbour") == ["Rusty Barrel"]
    assert _names(library, search="rusty harbour") == ["Rusty Barrel"], "every word must match"
    assert _names(library, search="100%") == [], "LIKE wildcards are taken literally"
    assert sorted(_names(library)) == ["Crate", "Oak", "Rusty Barrel"]
    assert tree.summary.tags == ()


def test_filters_and_sorts(library: Library) -> None:
    library.add_version(new_version("b-small", triangles=100, engine="relief"))
    big = library.add_version(new_version("a-big", triangles=90_000, engine="hunyuan"))
    library.add_version(new_version("C-mid", triangles=5_000, engine="relief"))
    library.set_favourite([big.id], True)
    library.set_tags(big.id, ["Hero"])

    assert _names(library, engine="hunyuan") == ["a-big"]
    assert _names(library, favourite=True) == ["a-big"]
    assert _names(library, tag="hero") == ["a-big"], "tags match whatever their case"
    assert _names(library, min_triangles=1_000, max_triangles=10_000) == ["C-mid"]
    assert _names(library, status=AssetStatus.READY, sort=SortKey.NAME, descending=False) == [
        "a-big",
        "b-small",
        "C-mid",
    ]
    assert _names(library, sort=SortKey.TRIANGLES) == ["a-big", "C-mid", "b-small"]
    assert _names(library, sort=SortKey.CREATED) == ["C-mid", "a-big", "b-small"]
    assert library.engines() == ["hunyuan", "relief"]


def test_tags_and_rename(library: Library) -> None:
    one = library.add_version(new_version("one"))
    two = library.add_version(new_version("two"))
    assert library.set_tags(one.id, [" Rock ", "rock", "moss"]) == ("moss", "Rock")
    library.add_tag([one.id, two.id], "ROCK")
    assert library.get_asset(two.id).summary.tags == ("Rock",), "an existing tag is reused"
    library.remove_tag([one.id], "rock")
    assert library.get_asset(one.id).summary.tags == ("moss",)
    assert library.tags() == ["moss", "Rock"]

    renamed = library.rename(one.id, "  Mossy   boulder ")
    assert renamed.name == "Mossy boulder"
    assert _names(library, search="boulder") == ["Mossy boulder"]
    with pytest.raises(LibraryError, match="cannot be empty"):
        library.rename(one.id, "   ")
    assert library.get_asset(one.id).name == "Mossy boulder"


def test_trash_restore_and_empty(library: Library) -> None:
    keep = library.add_version(new_version("keep"))
    gone = library.add_version(new_version("gone"))
    back = library.add_version(new_version("back"))
    assert library.trash([gone.id, back.id]) == 2
    assert _names(library) == ["keep"]
    assert sorted(_names(library, trash=True)) == ["back", "gone"]
    assert gone.summary.folder is not None and gone.summary.folder.is_dir(), "trash keeps the files"

    assert library.restore([back.id]) == 1
    assert sorted(_names(library)) == ["back", "keep"]

    assert library.empty_trash() == 1
    assert _names(library, trash=True) == []
    assert not gone.summary.folder.parent.exists()
    with pytest.raises(LibraryError, match="no asset"):
        library.get_asset(gone.id)
    assert keep.summary.folder is not None and (keep.summary.folder / GLB_FILE).is_file()


def test_exports_are_recorded(library: Library) -> None:
    asset = library.add_version(new_version("barrel"))
    library.record_export(asset.id, "godot", "/game/assets/barrel")
    (export,) = library.get_asset(asset.id).exports
    assert export.engine == "godot" and export.target_path == "/game/assets/barrel"
    assert export.version_id == asset.versions[0].id


@pytest.mark.parametrize("suffix", [".glb", ".obj"])
def test_import_mesh_makes_lods_and_thumbnail(library: Library, tmp_path: Path, suffix: str) -> None:
    source = tmp_path / f"ball{suffix}"
    trimesh.creation.icosphere(subdivisions=3).export(source)

    asset = import_mesh(library, source)

    assert asset.name == "ball" and asset.summary.source_type.value == "imported"
    version = asset.current_version
    assert version is not None
    assert version.lods[0].triangles == 1280
    assert len(version.lods) == 4 and version.lods[-1].triangles < 200
    stored = read_glb(version.folder / GLB_FILE)
    assert stored.lod0.triangle_count == 1280 and len(stored.lods) == 4
    assert Image.open(version.folder / THUMBNAIL_FILE).getchannel("A").getextrema()[1] == 255
    assert _names(library, search="ball") == ["ball"]


def test_import_refuses_bad_files(library: Library, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(InputError, match=r"cannot open \.txt"):
        import_mesh(library, text)
    broken = tmp_path / "broken.glb"
    broken.write_bytes(b"glTF garbage")
    with pytest.raises(InputError, match=r"broken\.glb"):
        import_mesh(library, broken)
    assert library.count() == 0


def test_damaged_database_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    root.mkdir()
    (root / "library.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(LibraryError, match=r"damaged or not a database.*move it away to start an empty"):
        open_library(root)


def test_integrity_after_many_changes(library: Library) -> None:
    ids = [library.add_version(new_version(f"asset {i}")).id for i in range(5)]
    library.trash(ids[:2])
    library.empty_trash()
    con = sqlite3.connect(library.root / "library.sqlite3")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        assert con.execute("SELECT COUNT(*) FROM versions").fetchone() == (3,), (
            "versions go with the asset"
        )
    finally:
        con.close()

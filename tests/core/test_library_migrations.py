"""Schema migrations: from an empty database, from every released revision (a fixture library
per revision under tests/fixtures/library), backups first, and a newer schema refused untouched."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic import command

from app.core.library.db import make_engine
from app.core.library.migrate import LibraryError, alembic_config, current_revision, head_revision
from app.core.library.records import AssetQuery, AssetStatus
from app.core.library.startup import open_library

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "library"
RELEASED = sorted(p.name.removeprefix("rev") for p in FIXTURES.glob("rev*") if p.is_dir())


def _revision(db: Path) -> str | None:
    engine = make_engine(db)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_revision_has_a_fixture() -> None:
    assert RELEASED, "no fixture libraries found"
    assert head_revision() in RELEASED, "release the head revision's fixture (build_fixtures.py)"


def test_empty_database_is_created_at_head(tmp_path: Path) -> None:
    library, _ = open_library(tmp_path / "lib")
    library.close()
    assert _revision(tmp_path / "lib" / "library.sqlite3") == head_revision()
    assert not (tmp_path / "lib" / "backups").exists(), "nothing to back up in a new library"


@pytest.mark.parametrize("revision", RELEASED)
def test_released_revision_opens_with_its_data(tmp_path: Path, revision: str) -> None:
    root = tmp_path / "lib"
    shutil.copytree(FIXTURES / f"rev{revision}", root)

    library, report = open_library(root)
    try:
        assert report.clean, report.lines()
        assert _revision(root / "library.sqlite3") == head_revision()
        barrel = library.get_asset(1)
        assert barrel.name == "Rusty barrel" and barrel.summary.tags == ("Props",)
        assert barrel.summary.favourite and barrel.summary.status is AssetStatus.READY
        assert barrel.versions[0].parameters == {"thickness": 0.6} and barrel.versions[0].seed == 7
        assert barrel.exports[0].engine == "godot"
        assert [a.name for a in library.list_assets(AssetQuery(search="barrel"))] == ["Rusty barrel"]
        assert library.count() == 2
        backups = list((root / "backups").glob("*.sqlite3")) if (root / "backups").exists() else []
        assert len(backups) == (0 if revision == head_revision() else 1)
    finally:
        library.close()


def test_older_database_is_backed_up_before_migrating(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    library, _ = open_library(root)
    library.close()
    db = root / "library.sqlite3"
    config = alembic_config()
    engine = make_engine(db)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    engine.dispose()
    assert _revision(db) is None

    open_library(root)[0].close()

    (backup,) = (root / "backups").glob("library-empty-*.sqlite3")
    con = sqlite3.connect(backup)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("SELECT name FROM sqlite_master WHERE name='alembic_version'").fetchone()
    finally:
        con.close()
    assert _revision(db) == head_revision()


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    open_library(root)[0].close()
    db = root / "library.sqlite3"
    con = sqlite3.connect(db)
    con.execute("UPDATE alembic_version SET version_num = '9999_future'")
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    before = _digest(db)

    with pytest.raises(LibraryError, match=r"newer version of Sweedle.*9999_future.*Nothing was changed"):
        open_library(root)

    assert _digest(db) == before
    assert not (root / "backups").exists()


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    root.mkdir()
    con = sqlite3.connect(root / "library.sqlite3")
    con.execute("CREATE TABLE photos (id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(LibraryError, match="not a Sweedle library"):
        open_library(root)


def test_0002_adds_the_save_owner_and_an_ownerless_save_is_recovered(tmp_path: Path) -> None:
    """A save an older Sweedle left half-done has no owner: after the upgrade, recovery treats it
    as abandoned (its owner cannot be alive: no process of that version records one)."""
    root = tmp_path / "lib"
    shutil.copytree(FIXTURES / "rev0001", root)
    con = sqlite3.connect(root / "library.sqlite3")
    con.execute("UPDATE generations SET status = 'saving' WHERE id = 2")
    con.execute("UPDATE assets SET status = 'saving', current_version_id = NULL WHERE id = 2")
    con.commit()
    con.close()
    (root / "assets" / "a1b2c3d4e5f60002" / "v1").rename(
        root / "assets" / "a1b2c3d4e5f60002" / ".v1.x.sweedle-tmp"
    )

    library, report = open_library(root)
    try:
        assert report.interrupted == [(2, "Oak tree")]
        assert library.get_asset(2).summary.status is AssetStatus.INTERRUPTED
        with library.engine.connect() as connection:
            columns = {row[1] for row in connection.exec_driver_sql("PRAGMA table_info(versions)")}
        assert "owner" in columns
    finally:
        library.close()

    config = alembic_config()
    engine = make_engine(root / "library.sqlite3")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    with engine.connect() as connection:
        columns = {row[1] for row in connection.exec_driver_sql("PRAGMA table_info(generations)")}
    engine.dispose()
    assert "owner" not in columns, "0002 downgrades cleanly"


def test_upgrade_adds_an_empty_running_queue(tmp_path: Path) -> None:
    from app.core.generation.request import GenerationRequest, JobStatus
    from app.core.queue.store import JobQueue

    root = tmp_path / "lib"
    shutil.copytree(FIXTURES / "rev0002", root)
    library, _ = open_library(root)
    try:
        jobs = JobQueue(library)
        view = jobs.view()
        assert view.batches == () and view.jobs == () and not view.paused
        jobs.add_batch([GenerationRequest(Path("a.png"))], "after the upgrade")
        assert jobs.counts() == {JobStatus.QUEUED: 1}
    finally:
        library.close()


def test_released_queue_keeps_its_batches_jobs_and_attempts(tmp_path: Path) -> None:
    from app.core.generation.request import JobStatus
    from app.core.queue.records import Outcome, Priority
    from app.core.queue.spec import request_from_json
    from app.core.queue.store import JobQueue

    root = tmp_path / "lib"
    shutil.copytree(FIXTURES / "rev0003", root)
    library, _ = open_library(root)
    try:
        jobs = JobQueue(library)
        view = jobs.view()
        (batch,) = view.batches
        assert batch.name == "Props" and batch.counts == {JobStatus.DONE: 1, JobStatus.QUEUED: 1}
        waiting, done = view.jobs  # run order: HIGH before NORMAL
        assert (waiting.label, waiting.priority, waiting.status) == ("crate", Priority.HIGH, JobStatus.QUEUED)
        assert done.asset_id == 1 and done.attempts == 2
        assert [a.outcome for a in jobs.attempts(done.id)] == [Outcome.LOST, Outcome.DONE]
        request = request_from_json(waiting.request)
        assert request.image_path == Path("/pictures/crate.png") and request.params == {"thickness": 0.6}
        assert request.lods[0].fraction == 0.5 and request.seed == 7
    finally:
        library.close()


def _schema(db: Path) -> dict[str, object]:
    """Tables, the columns that point at versions, and where every foreign key points."""
    con = sqlite3.connect(db)
    try:
        tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        keys = {
            (table, row[3]): row[2]  # (child table, its column) → parent table
            for table in ("assets", "lods", "exports")
            for row in con.execute(f"PRAGMA foreign_key_list({table})")
        }
        indexes = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        return {
            "tables": tables,
            "keys": keys,
            "indexes": indexes,
            "broken": con.execute("PRAGMA foreign_key_check").fetchall(),
        }
    finally:
        con.close()


def test_0004_renames_generations_to_versions_keeping_every_row_and_key(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    shutil.copytree(FIXTURES / "rev0003", root)
    db = root / "library.sqlite3"

    library, report = open_library(root)
    try:
        assert report.clean, report.lines()
        (version,) = (barrel := library.get_asset(1)).versions
        assert version.parameters == {"thickness": 0.6} and version.lods[0].triangles == 4
        assert barrel.exports[0].version_id == version.id, "the export still names its version"
    finally:
        library.close()
    schema = _schema(db)
    assert "versions" in schema["tables"] and "generations" not in schema["tables"]
    assert schema["keys"] == {
        ("assets", "current_version_id"): "versions",
        ("lods", "version_id"): "versions",
        ("exports", "version_id"): "versions",
        ("exports", "asset_id"): "assets",
    }
    assert {"ix_versions_asset_id", "ix_lods_version_id"} <= schema["indexes"]
    assert not any("generation" in name for name in schema["indexes"]) and schema["broken"] == []

    con = sqlite3.connect(db)
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("UPDATE assets SET current_version_id = NULL WHERE id = 2")
    con.execute("DELETE FROM versions WHERE id = 2")
    con.commit()
    assert con.execute("SELECT COUNT(*) FROM lods WHERE version_id = 2").fetchone() == (0,), (
        "deleting a version no longer deletes its LODs: the renamed key lost its ON DELETE CASCADE"
    )
    con.close()


def test_0004_downgrades_to_the_old_names(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    shutil.copytree(FIXTURES / "rev0004", root)
    db = root / "library.sqlite3"
    engine = make_engine(db)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    engine.dispose()
    schema = _schema(db)
    assert "generations" in schema["tables"] and "versions" not in schema["tables"]
    assert schema["keys"][("lods", "generation_id")] == "generations" and schema["broken"] == []
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT seed FROM generations WHERE id = 1").fetchone() == (7,)
        assert con.execute("SELECT generation_id FROM exports").fetchall() == [(1,)]
    finally:
        con.close()

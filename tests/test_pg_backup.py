"""``geociv backup`` / ``geociv restore`` on a PostGIS store: ``pg_dump -Fc`` and ``pg_restore``
on a real throw-away cluster (issue 11)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from shapely import Point

from geociv.auth import Users
from geociv.backup import backup, check_backup, last_backup, restore
from geociv.cli import main
from geociv.errors import BackendUnavailableError, ValidationError
from geociv.store import Facility, _pg_dump, open_store
from geociv.store._sqlite_schema import SCHEMA_VERSION
from geociv.store.postgis import PostgisStore
from geociv.store.tables import TABLES
from geociv.transfer import checksums, copy_store

pytestmark = pytest.mark.postgis


@pytest.fixture
def pg_demo(demo_path: Path, pg_dsn: str) -> str:
    """A PostGIS store holding the test demo (divisions, names, facilities, test accounts)."""
    copy_store(demo_path, pg_dsn, actor="pytest")
    return pg_dsn


def _count(dsn: str, sql: str) -> int:
    import psycopg

    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchone()[0]


def test_backup_and_restore_round_trip_on_postgis(pg_demo: str, tmp_path: Path) -> None:
    dump = tmp_path / "nightly.dump"
    with PostgisStore(pg_demo) as store:
        before = checksums(store)
        info = backup(store, dump, actor="pytest")
        assert (info.integrity, info.schema_version) == ("ok", SCHEMA_VERSION)
        assert dump.read_bytes()[:5] == b"PGDMP" and last_backup(store) == info
        # written after the backup: gone after the restore, kept in the replaced tables
        store.add_facilities(
            [Facility("", "备份后新增", "day_care", location=Point(114.0, 33.0))], actor="pytest"
        )
        facilities = store.count_rows("facilities")

    done = CliRunner().invoke(main, ["--store", pg_demo, "restore", str(dump), "--yes"])
    assert done.exit_code == 0, done.output
    assert "原存储已保存为 geociv_replaced_" in done.output

    with PostgisStore(pg_demo) as store:
        after = checksums(store)
        assert {t: after[t] for t in TABLES if t != "audit_log"} == {
            t: before[t] for t in TABLES if t != "audit_log"
        }
        assert after["audit_log"][0] == before["audit_log"][0] + 1  # the restore itself
        assert Users(store).authenticate("admin1", "correct-horse-9").role == "admin"
        added = store.add_facilities([Facility("", "恢复后新增", "day_care")], actor="pytest")
        assert added[0].facility_id == f"F{facilities:06d}"  # the series continues
    aside = _count(
        pg_demo, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'geociv_replaced_%'"
    )
    assert aside == 1


def test_the_replaced_tables_are_kept_not_dropped(pg_demo: str, tmp_path: Path) -> None:
    dump = tmp_path / "b.dump"
    with PostgisStore(pg_demo) as store:
        backup(store, dump, actor="pytest")
        store.add_facilities([Facility("", "之后新增", "day_care")], actor="pytest")
        now = store.count_rows("facilities")
    info = restore(pg_demo, dump, actor="pytest")
    assert info.replaced.startswith("geociv_replaced_") and info.schema_version == SCHEMA_VERSION
    kept = _count(pg_demo, f'SELECT count(*) FROM "{info.replaced}".facilities')
    assert kept == now and _count(pg_demo, "SELECT count(*) FROM facilities") == now - 1


def _stamp(dsn: str, version: int) -> None:
    import psycopg

    with psycopg.connect(dsn) as conn:
        conn.execute("INSERT INTO geociv_schema (version) VALUES (%s)", (version,))


def test_a_dump_of_a_newer_schema_is_refused_and_nothing_changes(
    pg_demo: str, pg_dsn: str, pg_cluster, tmp_path: Path
) -> None:
    newer = pg_cluster.new_database("geociv_from_the_future")
    copy_store(pg_demo, newer, actor="pytest")
    _stamp(newer, SCHEMA_VERSION + 1)
    dump = tmp_path / "future.dump"
    _pg_dump.dump(newer, dump)
    refused = f"备份的结构版本为 {SCHEMA_VERSION + 1}，高于本程序支持的 {SCHEMA_VERSION}"
    with pytest.raises(ValidationError, match=refused):
        check_backup(dump)
    before = _count(pg_demo, "SELECT count(*) FROM divisions")
    done = CliRunner().invoke(main, ["--store", pg_demo, "restore", str(dump), "--yes"])
    assert done.exit_code == 2 and "高于本程序支持" in done.output
    assert _count(pg_demo, "SELECT count(*) FROM divisions") == before
    assert _count(pg_demo, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'geociv_r%'") == 0


def test_backups_of_the_other_backend_are_refused_with_the_way_to_go(
    pg_demo: str, demo_path: Path, tmp_path: Path
) -> None:
    dump = tmp_path / "pg.dump"
    with PostgisStore(pg_demo) as store:
        backup(store, dump, actor="pytest")
    with pytest.raises(ValidationError, match="只能恢复到 PostgreSQL 存储"):
        restore(tmp_path / "new.gpkg", dump, actor="pytest")
    gpkg = tmp_path / "file-backup.gpkg"
    with open_store(demo_path) as store:
        backup(store, gpkg, actor="pytest")
    with pytest.raises(ValidationError, match="geociv store copy"):
        restore(pg_demo, gpkg, actor="pytest")


def test_a_damaged_dump_is_refused(pg_demo: str, tmp_path: Path) -> None:
    dump = tmp_path / "whole.dump"
    with PostgisStore(pg_demo) as store:
        backup(store, dump, actor="pytest")
    cut = tmp_path / "cut.dump"
    cut.write_bytes(dump.read_bytes()[: dump.stat().st_size // 3])
    with pytest.raises(ValidationError, match="无法恢复"):
        check_backup(cut)


def test_the_password_goes_to_the_child_in_its_environment_not_its_arguments() -> None:
    conninfo, env = _pg_dump._connection("postgresql://geociv:s3cr%40t@db.example:5433/gis")
    assert "s3cr" not in conninfo and env["PGPASSWORD"] == "s3cr@t"
    assert "host=db.example" in conninfo and "port=5433" in conninfo
    # and the real pg_dump takes that connection string
    shown = subprocess.run(
        [_pg_dump.program("pg_dump"), "--help"], capture_output=True, text=True, check=True
    )
    assert "--dbname" in shown.stdout


def test_missing_postgresql_programs_are_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """On a machine without Debian's PostgreSQL client (no PATH entry, no
    /usr/lib/postgresql)."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(_pg_dump, "_PG_ROOT", tmp_path)
    assert shutil.which("pg_dump") is None
    with pytest.raises(BackendUnavailableError, match="postgresql-client"):
        _pg_dump.program("pg_dump")


def test_cli_and_admin_page_back_up_a_postgis_store(pg_demo: str, tmp_path: Path) -> None:
    from tests.conftest import login
    from web import create_app

    target = tmp_path / "nightly.dump"
    done = CliRunner().invoke(main, ["--store", pg_demo, "backup", str(target)])
    assert done.exit_code == 0, done.output
    assert "已备份到" in done.output and check_backup(target) == SCHEMA_VERSION

    instance = tmp_path / "instance"  # not made yet: a database store has no folder of its own
    app = create_app({"GEOCIV_STORE": pg_demo, "GEOCIV_INSTANCE": str(instance),
                      "TESTING": True, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "t"})  # fmt: skip
    client = app.test_client()
    login(client, "admin1")
    page = client.post("/admin/backups", follow_redirects=True).get_data(as_text=True)
    assert "已备份到" in page, page[:500]
    (made,) = (instance / "backups").glob("geociv-*.dump")
    assert check_backup(made) == check_backup(target)
    assert last_backup(open_store(pg_demo)).path == str(made)

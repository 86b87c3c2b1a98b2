"""The PostGIS store's own promises: the GeoPackage schema table for table, typed geometry
columns in EPSG:4490 with GiST indexes, ids from sequences and counters, versioned migrations
that refuse a newer database, and every method of the Store API."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from shapely import MultiPolygon, Point, box

from geociv.errors import SchemaVersionError
from geociv.store import open_store
from geociv.store._pg_schema import FEATURE_TABLES
from geociv.store._sqlite_schema import SCHEMA_VERSION

pytestmark = pytest.mark.postgis


@pytest.fixture
def pg_store(pg_dsn):
    from geociv.store.postgis import PostgisStore

    store = PostgisStore(pg_dsn)
    yield store
    store.close()


def _gpkg_columns(path: Path) -> dict[str, set[str]]:
    """geociv's tables of a new GeoPackage store and their columns (GeoPackage's own left out)."""
    open_store(path).close()
    conn = sqlite3.connect(path)
    tables = [
        name
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not name.startswith(("gpkg_", "rtree_", "sqlite_"))
    ]
    return {t: {r[1] for r in conn.execute(f"PRAGMA table_info({t})")} for t in tables}


def test_every_geopackage_table_has_its_postgis_counterpart(pg_store, tmp_path: Path) -> None:
    rows = pg_store._conn().execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public'"
    )
    postgis: dict[str, set[str]] = {}
    for row in rows:
        postgis.setdefault(row["table_name"], set()).add(row["column_name"])
    for table, columns in _gpkg_columns(tmp_path / "g.gpkg").items():
        assert postgis.get(table) == columns, table
    assert pg_store.schema_version == SCHEMA_VERSION  # the GeoPackage store's version


def test_a_geopackage_only_version_stamps_the_database_without_a_step(pg_dsn) -> None:
    from geociv.store._pg_schema import migrate, read_version
    from geociv.store.postgis import PostgisStore

    with PostgisStore(pg_dsn, upgrade=False) as store:
        conn = store._conn()
        assert read_version(conn) == 0
        assert migrate(conn, target=SCHEMA_VERSION + 1)[-2:] == [SCHEMA_VERSION, SCHEMA_VERSION + 1]
        assert read_version(conn) == SCHEMA_VERSION + 1 and migrate(conn, SCHEMA_VERSION + 1) == []


def test_text_sorts_as_on_the_geopackage_whatever_the_server_locale(pg_store) -> None:
    rows = (
        pg_store._conn()
        .execute(
            "SELECT c.table_name, c.column_name, c.collation_name "
            "FROM information_schema.columns c JOIN information_schema.tables t "
            "USING (table_schema, table_name) "
            "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' "
            "AND c.data_type = 'text' AND c.table_name <> 'spatial_ref_sys'"
        )
        .fetchall()
    )
    assert len(rows) > 200
    assert [(r["table_name"], r["column_name"]) for r in rows if r["collation_name"] != "C"] == []


def test_geometry_columns_are_typed_cgcs2000_with_gist_indexes(pg_store) -> None:
    conn = pg_store._conn()
    registered = {
        r["f_table_name"]: (r["type"], r["srid"])
        for r in conn.execute("SELECT f_table_name, type, srid FROM geometry_columns")
    }
    assert registered == {t: (kind.upper(), 4490) for t, kind in FEATURE_TABLES.items()}
    gist = {
        r["tablename"]
        for r in conn.execute(
            "SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist (geom)%'"
        )
    }
    assert gist == set(FEATURE_TABLES)


def test_row_ids_come_from_sequences(pg_store) -> None:
    conn = pg_store._conn()
    identity = {
        r["table_name"]
        for r in conn.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND is_identity = 'YES'"
        )
    }
    assert {"audit_log", "login_attempts", "divisions", "names", "inspection_plans"} <= identity
    pg_store.set_meta("a", "1", actor="t")
    with pytest.raises(RuntimeError), pg_store.transaction():
        pg_store.set_meta("a", "2", actor="t")
        raise RuntimeError
    pg_store.set_meta("a", "3", actor="t")
    ids = [e.id for e in pg_store.audit_entries()]
    assert ids[0] > ids[1] + 1  # a sequence value is never handed out twice, even undone


def test_record_ids_come_from_counters_inside_the_transaction(pg_store) -> None:
    from geociv.store._pg_ids import new_id, note_given_id

    conn = pg_store._conn()
    with conn.transaction():
        assert [new_id(conn, "facilities") for _ in range(2)] == ["F000001", "F000002"]
        note_given_id(conn, "facilities", "F000040")
        note_given_id(conn, "facilities", "F000007")  # lower: no effect
        note_given_id(conn, "facilities", "custom-id")  # not of the form: no effect
        assert new_id(conn, "facilities") == "F000041"
    with pytest.raises(RuntimeError), conn.transaction():
        assert new_id(conn, "name_cases", "2026") == "C2026-0001"
        raise RuntimeError  # rolled back: the serial is given back
    assert new_id(conn, "name_cases", "2026") == "C2026-0001"
    assert new_id(conn, "name_cases", "2027") == "C2027-0001"  # one series per year

    made: list[str] = []

    def make() -> None:
        from geociv.store.postgis import PostgisStore

        with PostgisStore(pg_store._dsn) as other, other.transaction():
            made.append(new_id(other._conn(), "signs"))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(made) == [f"S{i:06d}" for i in range(1, 9)]


def test_a_database_newer_than_the_code_is_refused(pg_store) -> None:
    from geociv.store.postgis import PostgisStore

    pg_store._conn().execute("INSERT INTO geociv_schema (version) VALUES (%s)", (99,))
    with pytest.raises(SchemaVersionError, match="99"):
        PostgisStore(pg_store._dsn)


def test_processes_opening_a_new_database_at_once_create_it_once(pg_dsn) -> None:
    from geociv.store.postgis import PostgisStore

    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            PostgisStore(pg_dsn).close()
        except BaseException as exc:  # collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with PostgisStore(pg_dsn, upgrade=False) as store:
        rows = store._conn().execute("SELECT version FROM geociv_schema").fetchall()
    versions = [r["version"] for r in rows]
    assert max(versions) == SCHEMA_VERSION and len(versions) == len(set(versions))


def test_a_database_without_postgis_is_a_clear_error(pg_cluster) -> None:
    import psycopg

    from geociv.errors import StoreError
    from geociv.store.postgis import PostgisStore

    with psycopg.connect(pg_cluster.dsn(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE plain_db")
    with pytest.raises(StoreError, match="PostGIS"):
        PostgisStore(pg_cluster.dsn("plain_db"))


def test_every_store_method_is_built(pg_store) -> None:
    from geociv.store.postgis import PostgisStore

    assert not PostgisStore.__abstractmethods__
    assert pg_store.add_markers([], actor="t") == []


def test_open_store_and_the_cli_select_postgis_by_url(pg_dsn, monkeypatch, tmp_path) -> None:
    from click.testing import CliRunner

    from geociv.cli import main
    from geociv.store.postgis import PostgisStore

    store = open_store(pg_dsn)
    assert isinstance(store, PostgisStore) and store.schema_version >= 10
    store.close()
    monkeypatch.setenv("GEOCIV_STORE", pg_dsn)
    monkeypatch.chdir(tmp_path)  # the session key file goes to ./instance for a URL
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    assert "数据库：postgresql://" in result.output and "结构版本" in result.output


def _gdal_source(dsn: str) -> str:
    """The ``PG:`` connection string GDAL (and QGIS) take for the database at ``dsn``."""
    from psycopg.conninfo import conninfo_to_dict

    return "PG:" + " ".join(f"{k}={v}" for k, v in conninfo_to_dict(dsn).items())


def test_gdal_postgresql_driver_opens_the_layers_in_cgcs2000(pg_store) -> None:
    """What QGIS does on a bureau's desktop: open the layers through GDAL's PostgreSQL driver.

    pyogrio's wheel carries a GDAL built without that driver, so the test uses Debian's GDAL
    (``gdal-bin``, installed by ``make postgis``), the library QGIS runs on there.
    """
    import json
    import shutil
    import subprocess

    from shapely.geometry import shape

    if shutil.which("ogr2ogr") is None:
        pytest.skip("GDAL's command-line tools are missing (Debian gdal-bin; `make postgis`)")
    from geociv.store import Division, NameRecord

    geometry = MultiPolygon([box(113.9, 32.9, 114.1, 33.1)])
    pg_store.upsert_divisions(
        [Division("411702", "驿城区", "county", "411700", geometry=geometry, area_km2=414.5)],
        actor="t",
    )
    pg_store.upsert_names(
        [NameRecord("N1", "人民路", "人民", "路", "road", "411702", geometry=Point(114, 33))],
        actor="t",
    )
    source = _gdal_source(pg_store._dsn)
    listing = subprocess.run(
        ["ogrinfo", "-ro", "-q", source], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert "divisions (Multi Polygon)" in listing
    lines = [line.split(": ", 1)[1] for line in listing.splitlines() if ": " in line]
    layers = {line.split(" (")[0] for line in lines}
    assert layers == set(FEATURE_TABLES)  # every feature table is a layer
    info = subprocess.run(
        ["ogrinfo", "-ro", "-so", source, "divisions"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    assert 'ID["EPSG",4490]' in info and "Feature Count: 1" in info
    exported = subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", source, "divisions"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    feature = json.loads(exported)["features"][0]
    assert feature["properties"]["name"] == "驿城区"
    assert shape(feature["geometry"]).equals(geometry)


@pytest.mark.slow
def test_the_demo_without_boundaries_loads_into_postgis_as_into_the_geopackage(
    pg_store, demo_store
) -> None:
    """``load_demo`` (divisions, names, facilities, zone sets; the boundaries are checked in
    ``tests/test_boundaries_on_postgis.py``) gives the server the same contents as the
    GeoPackage demo the tests use."""
    from geociv.demo import load_demo

    load_demo(pg_store, boundaries=False)
    assert pg_store.count_divisions() == demo_store.count_divisions()
    names = [
        [(n.name_id, n.name, n.pinyin) for n in s.query_names()] for s in (pg_store, demo_store)
    ]
    assert names[0] == names[1] and len(names[0]) > 3000
    assert [f.facility_id for f in pg_store.query_facilities()] == [
        f.facility_id for f in demo_store.query_facilities()
    ]
    assert [z.name for z in pg_store.zone_sets()] == [z.name for z in demo_store.zone_sets()]
    assert pg_store.get_division("411702").geometry.equals(
        demo_store.get_division("411702").geometry
    )


def test_a_unique_constraint_has_the_last_word_as_a_duplicate(pg_store) -> None:
    """A writer that raced past a check is refused as a duplicate, not with a driver error."""
    from geociv.errors import DuplicateError

    pg_store.set_meta("site", "驻马店", actor="t")
    with pytest.raises(DuplicateError, match="site"), pg_store._write() as conn:
        conn.execute("INSERT INTO geociv_meta (key, value) VALUES ('site', 'x')")
    assert pg_store.get_meta("site") == "驻马店"


def test_the_url_shown_in_messages_hides_the_password(pg_dsn) -> None:
    from geociv.store.postgis import PostgisStore

    with_password = pg_dsn.replace("postgres@", "postgres:s3cret@")
    with PostgisStore(with_password) as store:  # the throw-away cluster trusts local users
        assert "s3cret" not in store.url and ":***@" in store.url


@pytest.mark.slow
def test_init_demo_through_the_cli_fills_a_postgis_database_once(pg_dsn, tmp_path) -> None:
    """``geociv --store postgresql://… init --demo``: the whole demo (divisions, names,
    boundary lines with sample markers and an inspection, facilities, zone sets, the demo
    admin) on the server; a second run changes nothing."""
    from click.testing import CliRunner

    from geociv.cli import main

    env = {"GEOCIV_INSTANCE": str(tmp_path)}
    first = CliRunner().invoke(main, ["--store", pg_dsn, "init", "--demo"], env=env)
    assert first.exit_code == 0, first.output
    assert "区划代码 新增 3127" in first.output and "界线：新增 42" in first.output
    again = CliRunner().invoke(main, ["--store", pg_dsn, "init", "--demo"], env=env)
    assert again.exit_code == 0, again.output
    assert "区划代码 新增 0" in again.output and "界线：新增 0、新版本 0" in again.output
    with open_store(pg_dsn) as store:
        assert len(store.query_boundary_lines()) == 42
        assert store.get_user("demo")[0].role == "admin"  # (user, password hash)

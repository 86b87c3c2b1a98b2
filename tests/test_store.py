"""The embedded GeoPackage store: creation, QGIS-readable layers, audit, upgrade, refusal."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pyogrio
import pytest
from shapely import MultiPolygon, box

from geociv.errors import SchemaVersionError, StoreError
from geociv.store import Division, User, open_store
from geociv.store._change_schema import CHANGE_ATTRIBUTE_TABLES
from geociv.store._gpkg_contents import ATTRIBUTE_TABLES
from geociv.store._sqlite_schema import SCHEMA_VERSION

FIXTURES = Path(__file__).parent / "data"


def _county(code: str = "411702", name: str = "驿城区") -> Division:
    return Division(
        code,
        name,
        "county",
        "411700",
        geometry=MultiPolygon([box(113.9, 32.9, 114.1, 33.1)]),
        area_km2=414.5,
    )


def test_new_store_is_a_geopackage_with_a_cgcs2000_divisions_layer(tmp_path: Path) -> None:
    path = tmp_path / "new" / "g.gpkg"
    store = open_store(path)
    store.upsert_divisions([_county()], actor="t")
    store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # 'GPKG'
    assert (
        conn.execute(
            "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'divisions'"
        ).fetchone()[0]
        == 4490
    )
    layers = dict(pyogrio.list_layers(path))
    assert layers["divisions"] == "MultiPolygon"
    frame = pyogrio.read_dataframe(path, layer="divisions")
    assert frame.crs.to_epsg() == 4490
    assert frame.loc[0, "name"] == "驿城区"
    assert frame.geometry[0].equals(_county().geometry)


def test_sqlite_url_and_path_open_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "g.gpkg"
    open_store(path).upsert_divisions([_county()], actor="t")
    assert open_store(f"sqlite:///{path}").get_division("411702").name == "驿城区"


@pytest.mark.parametrize("old_version", [1, 2, 3, 4, 5, 6, 7, 8, 9])
def test_upgrade_from_a_file_written_by_an_older_schema(tmp_path: Path, old_version: int) -> None:
    path = tmp_path / "old.gpkg"
    shutil.copy(FIXTURES / f"store_v{old_version}.gpkg", path)
    assert open_store(path, upgrade=False).schema_version == old_version
    store = open_store(path)
    assert store.schema_version == SCHEMA_VERSION
    assert store.upgraded_from == old_version
    county = store.get_division("411702")
    assert county.name == "驿城区" and county.area_km2 == 414.5
    assert county.geometry.bounds == pytest.approx((113.9, 32.9, 114.1, 33.1))
    assert county.source == ""  # column added by version 2
    user, password_hash = store.get_user("wang")
    assert (user.display_name, user.last_login_at) == ("王科员", None)
    assert password_hash.startswith("scrypt:")
    assert len(store.audit_entries()) == 1
    store.upsert_divisions([_county()], actor="t")  # the upgraded file takes writes
    assert store.get_division("411702").source == ""
    layers = dict(pyogrio.list_layers(path))  # layers added by later versions are registered
    assert layers["divisions"] == "MultiPolygon" and "names" in layers
    assert layers["signs"] == "Point"  # version 4
    assert store.query_signs() == []
    cases = store.query_cases()
    if old_version >= 7:  # the v7 fixture holds a renaming case under review, kept as it was
        assert [(c.case_id, c.kind, c.status, c.name_id, c.old_name) for c in cases] == [
            ("C2026-0001", "renaming", "reviewed", "N000001", "顺河路")
        ]
        assert [(s.step, s.on) for s in cases[0].steps] == [
            ("apply", "2026-01-05"),
            ("review", "2026-01-06"),
        ]
        assert cases[0].review == {"pinyin": "Shùnhé Lù"}
        (doc,) = store.case_documents("C2026-0001", with_content=True)
        assert (doc.doc_type, doc.filename, doc.content) == (
            "assessment",
            "综合评估报告.pdf",
            b"%PDF-1.7 assessment",
        )
        assert store.get_name("N000001").name == "顺河路"
    else:
        assert cases == []
    assert layers["boundary_lines"] == "MultiLineString"  # version 5
    assert layers["markers"] == "Point" and layers["inspection_records"] == "Point"
    assert store.query_boundary_lines() == [] and store.query_markers() == []
    assert store.inspection_rounds() == [] and store.query_inspection_records() == []
    assert layers["facilities"] == "Point"  # version 6
    facilities = store.query_facilities()
    if old_version >= 6:  # the v6 fixture holds one facility, kept as it was
        assert [(f.facility_id, f.name, f.capacity_beds) for f in facilities] == [
            ("F000001", "顺河社区日间照料中心", 20)
        ]
        assert facilities[0].location.coords[0] == pytest.approx((114.02, 32.98))
    else:
        assert facilities == []
    assert store.coverage_runs() == []
    assert layers["road_edges"] == "LineString"  # version 7
    assert layers["coverage_zones"] == "MultiPolygon"
    assert store.road_networks() == [] and store.population_rasters() == []
    assert store.zone_sets() == []


def test_version_8_lets_an_upgraded_case_close_and_keeps_its_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "v7.gpkg"
    shutil.copy(FIXTURES / "store_v7.gpkg", path)
    store = open_store(path)
    assert (store.upgraded_from, store.schema_version) == (7, SCHEMA_VERSION)
    closed = store.advance_case(
        "C2026-0001",
        "reject",
        expect_status="reviewed",
        on="2026-01-07",
        actor="wang",
        changes={"close_reason": "重名"},
    )  # the widened CHECK constraints take the new status and step
    assert (closed.status, closed.close_reason) == ("rejected", "重名")
    assert [s.step for s in closed.steps] == ["apply", "review", "reject"]
    assert store.audit_entries(entity="name_cases", limit=1)[0].action == "cases.reject"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = ON")
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    for table in ("name_case_events", "name_case_documents"):  # still pointing at name_cases
        (fk,) = conn.execute(f"PRAGMA foreign_key_list({table})").fetchall()
        assert fk[2] == "name_cases"
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        conn.execute(
            "INSERT INTO name_case_events (case_id, step, on_date, actor, at) "
            "VALUES ('C1999-0001', 'withdraw', '2026-01-07', 'x', 'now')"
        )
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute("UPDATE name_cases SET status = 'closed' WHERE case_id = 'C2026-0001'")
    # AUTOINCREMENT counters carried over: new rows never reuse an old id
    events = conn.execute("SELECT id, step FROM name_case_events ORDER BY id").fetchall()
    assert events == [(1, "apply"), (2, "review"), (3, "reject")]
    assert [
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE '%_v8'")
    ] == []
    conn.close()


def test_a_store_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.gpkg"
    open_store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE geociv_meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaVersionError, match="99"):
        open_store(path)


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.gpkg"
    path.write_text("这不是数据库" * 100, encoding="utf-8")
    with pytest.raises(StoreError, match="无法打开存储文件"):
        open_store(path)


def test_unknown_store_urls_are_refused_by_name() -> None:
    with pytest.raises(StoreError, match=r"无法识别.*mysql://x"):
        open_store("mysql://x")


def test_users_and_meta_writes_are_audited_secrets_hidden(empty_store) -> None:
    empty_store.add_user(User("li", "planner", "411700"), "hash", actor="admin")
    empty_store.update_user("li", actor="admin", role="officer")
    empty_store.set_meta("secret_key", "s3cret", actor="system", secret=True)
    actions = [(e.action, e.entity_key) for e in empty_store.audit_entries()]
    assert actions == [("meta.set", "secret_key"), ("users.update", "li"), ("users.add", "li")]
    latest = empty_store.audit_entries()[0]
    assert "s3cret" not in str(latest.after)
    assert empty_store.get_meta("secret_key") == "s3cret"
    update = empty_store.audit_entries()[1]
    assert (update.before["role"], update.after["role"]) == ("planner", "officer")


def test_writes_from_several_threads_all_land(empty_store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def write(i: int) -> None:
        empty_store.upsert_divisions(
            [Division(f"4117{i:02d}", f"县{i}", "county", "411700")], actor=f"u{i}"
        )

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(21, 41)))
    assert len(empty_store.query_divisions(level="county")) == 20


def test_version_9_adds_session_versions_login_attempts_and_thumbnails(tmp_path: Path) -> None:
    path = tmp_path / "v8.gpkg"
    shutil.copy(FIXTURES / "store_v8.gpkg", path)
    store = open_store(path)
    assert (store.upgraded_from, store.schema_version) == (8, SCHEMA_VERSION)
    conn = sqlite3.connect(path)
    columns = {r[1] for r in conn.execute("PRAGMA table_info(users)")}
    assert "session_version" in columns
    assert conn.execute("SELECT session_version FROM users WHERE username = 'wang'").fetchone() == (
        0,
    )
    assert conn.execute("SELECT count(*) FROM login_attempts").fetchone() == (0,)
    assert "thumbnail" in {r[1] for r in conn.execute("PRAGMA table_info(boundary_photos)")}
    assert "photo_thumbnail" in {r[1] for r in conn.execute("PRAGMA table_info(sign_patrols)")}


def test_version_10_repairs_the_contents_table_and_keeps_what_points_at_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v9.gpkg"
    shutil.copy(FIXTURES / "store_v9.gpkg", path)
    before = sqlite3.connect(path)
    old = dict(before.execute("SELECT table_name, last_change FROM gpkg_contents"))
    registered = before.execute("SELECT * FROM gpkg_geometry_columns ORDER BY 1").fetchall()
    before.close()
    assert old["names"].count(".") == 2  # seconds twice: …T13:43:47.47.547Z
    store = open_store(path)
    assert (store.upgraded_from, store.schema_version) == (9, SCHEMA_VERSION)
    conn = sqlite3.connect(path)
    new = dict(conn.execute("SELECT table_name, last_change FROM gpkg_contents"))
    # listed by version 11, and the tables of division changes by version 12
    assert new.keys() - old.keys() == set(ATTRIBUTE_TABLES) | set(CHANGE_ATTRIBUTE_TABLES)
    assert new["names"] == old["names"][:19] + old["names"][22:]  # the same instant, once
    assert new["divisions"] == old["divisions"][:23] + "Z"  # normalised to milliseconds
    assert conn.execute("PRAGMA user_version").fetchone() == (10300,)  # GeoPackage 1.3
    assert conn.execute("SELECT * FROM gpkg_geometry_columns ORDER BY 1").fetchall() == registered
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (0,)  # this test's own connection
    # the store's connection still enforces foreign keys after the rebuild
    assert store._conn().execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError):
        store._conn().execute(
            "INSERT INTO gpkg_geometry_columns VALUES ('nowhere', 'geom', 'POINT', 4490, 0, 0)"
        )
    store.upsert_divisions([_county(name="驿城新区")], actor="t")  # takes writes
    assert store.get_division("411702").name == "驿城新区"


def test_version_10_upgrades_a_file_without_tile_tables(tmp_path: Path) -> None:
    """Tile tables are optional in a GeoPackage: the rebuild checks only the tables there are."""
    path = tmp_path / "v9.gpkg"
    shutil.copy(FIXTURES / "store_v9.gpkg", path)
    conn = sqlite3.connect(path)
    conn.executescript("DROP TABLE gpkg_tile_matrix; DROP TABLE gpkg_tile_matrix_set;")
    conn.close()
    store = open_store(path)
    assert (store.upgraded_from, store.schema_version) == (9, SCHEMA_VERSION)
    assert store.get_division("411702").name == "驿城区"


def test_version_10_refuses_a_registration_pointing_nowhere_and_changes_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v9.gpkg"
    shutil.copy(FIXTURES / "store_v9.gpkg", path)
    conn = sqlite3.connect(path)  # foreign keys off: how another tool might have left it
    conn.execute("INSERT INTO gpkg_geometry_columns VALUES ('gone', 'geom', 'POINT', 4490, 0, 0)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="gpkg_geometry_columns"):
        open_store(path)
    assert open_store(path, upgrade=False).schema_version == 9  # rolled back whole

"""``geociv store copy``: a whole store between GeoPackage and PostGIS, checked by counts and
checksums (issue 11). Real stores only: the demo made by ``geociv init --demo``, a throw-away
PostgreSQL cluster, GDAL's validator on the copied GeoPackage."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from shapely import Point

from geociv.auth import Users
from geociv.cli import main
from geociv.store import AuditQuery, Facility, open_store
from geociv.store.postgis import PostgisStore
from geociv.store.tables import TABLES, table_digest
from geociv.transfer import checksums, copy_store
from tests.test_gpkg_conformance import validate

pytestmark = pytest.mark.postgis


def _cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def demo_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole demo as ``geociv init --demo`` makes it (boundaries, markers, inspections,
    facilities, zones, the demo administrator)."""
    path = tmp_path_factory.mktemp("copy-demo") / "demo.gpkg"
    done = _cli("--store", str(path), "init", "--demo")
    assert done.exit_code == 0, done.output
    return path


@pytest.fixture
def demo(demo_gpkg: Path, tmp_path: Path) -> Path:
    """A copy of the demo file a test may change."""
    return Path(shutil.copy(demo_gpkg, tmp_path / "source.gpkg"))


def _audit_upto(store, last_id: int) -> tuple[int, str]:
    """The digest of the audit entries up to ``last_id`` (a copy adds its own entry after)."""
    shape = store.table_shapes()["audit_log"]
    at = shape.columns.index("id")
    digest = table_digest(shape, (r for r in store.iter_rows(shape) if r[at] <= last_id))
    return digest.rows, digest.hexdigest()


def test_the_demo_goes_to_postgis_and_back_unchanged(demo: Path, pg_dsn: str, tmp_path: Path):
    back = tmp_path / "back.gpkg"
    there = _cli("store", "copy", str(demo), pg_dsn)
    assert there.exit_code == 0, there.output
    assert "全部一致" in there.output and "不一致" not in there.output
    assert "行政区划 divisions" in there.output  # the check table, in Chinese
    again = _cli("store", "copy", pg_dsn, str(back))
    assert again.exit_code == 0, again.output

    with open_store(demo, upgrade=False) as source, open_store(back) as copy:
        before, after = checksums(source), checksums(copy)
        assert {t: before[t] for t in TABLES if t != "audit_log"} == {
            t: after[t] for t in TABLES if t != "audit_log"
        }
        last = before["audit_log"][0]
        assert _audit_upto(copy, last) == _audit_upto(source, last)
        assert before["divisions"][0] > 3000 and before["boundary_lines"][0] > 0
        # the two copies are in the copy's audit trail, after the copied entries
        copies = copy.audit_page(AuditQuery(action="store.copy")).entries
        assert [e.entity_key for e in copies] == [str(back), PostgisStore(pg_dsn).url]
        assert _same_records(source, copy)


def _same_records(source, copy) -> bool:
    """A few records read back through the Store API are the same on both sides."""
    assert copy.get_division("411702") == source.get_division("411702")
    names = source.query_names()
    assert names and copy.query_names() == names
    shapes = [(n.name_id, n.geometry and n.geometry.wkb) for n in names]
    assert [(n.name_id, n.geometry and n.geometry.wkb) for n in copy.query_names()] == shapes
    assert copy.query_boundary_lines() == source.query_boundary_lines()
    return True


def test_the_postgis_copy_is_read_through_the_store_api(demo: Path, pg_dsn: str) -> None:
    copy_store(demo, pg_dsn, actor="pytest")
    with open_store(demo, upgrade=False) as source, PostgisStore(pg_dsn) as copy:
        assert copy.get_division("411702") == source.get_division("411702")
        assert copy.count_divisions() == source.count_divisions()
        name = source.query_names(division_prefix="411702")[0]
        assert copy.get_name(name.name_id) == name
        entries = source.audit_page(AuditQuery(entity="divisions"), limit=5).entries
        assert copy.audit_page(AuditQuery(entity="divisions"), limit=5).entries == entries
        # users log in on the copy with the passwords they had (hashes copied as they are)
        assert Users(copy).authenticate("demo", "geociv-demo").role == "admin"
        # new ids continue after the copied ones: record ids, row ids, audit ids
        last_audit = max(e.id for e in copy.audit_page(AuditQuery(), limit=1).entries)
        facility_ids = sorted(f.facility_id for f in source.query_facilities())
        added = copy.add_facilities(
            [Facility("", "新日间照料中心", "day_care", location=Point(114.02, 32.98))],
            actor="pytest",
        )[0]
        assert added.facility_id > facility_ids[-1]
        newest = copy.audit_page(AuditQuery(), limit=1).entries[0]
        assert newest.id > last_audit and newest.action.startswith("facilities")


def test_postgis_to_postgis_and_the_copied_geopackage_passes_gdal_validator(
    demo: Path, pg_cluster, tmp_path: Path
) -> None:
    first = pg_cluster.new_database("geociv_copy_first")
    second = pg_cluster.new_database("geociv_copy_second")
    copy_store(demo, first, actor="pytest")
    checks = copy_store(first, second, actor="pytest")
    assert all(c.ok for c in checks) and sum(c.copy_rows for c in checks) > 10_000
    back = tmp_path / "back.gpkg"
    copy_store(second, back, actor="pytest")
    assert validate(back) == ""


def test_a_copy_that_differs_from_its_source_is_an_error(demo: Path, tmp_path: Path) -> None:
    """A destination that changes what it is given (a trigger here) is caught by the check."""
    target = tmp_path / "target.gpkg"
    open_store(target).close()
    with sqlite3.connect(target) as conn:
        conn.execute(
            "CREATE TRIGGER garble AFTER INSERT ON names WHEN NEW.fid = 7 BEGIN "
            "UPDATE names SET name = name || '变' WHERE fid = 7; END"
        )
    done = _cli("store", "copy", str(demo), str(target))
    assert done.exit_code == 1
    lines = {line.split()[1]: line for line in done.output.splitlines() if "names " in line}
    assert lines["names"].endswith("不一致"), done.output
    assert "复制后校验不一致的表：names" in done.output
    assert "行政区划 divisions" in done.output and done.output.count("不一致") == 2


def test_checksums_see_a_moved_geometry_and_a_changed_blob(demo: Path, pg_dsn: str) -> None:
    copy_store(demo, pg_dsn, actor="pytest")
    with PostgisStore(pg_dsn) as copy:
        before = checksums(copy)
        conn = copy._conn()
        conn.execute(
            "UPDATE divisions SET geom = ST_Translate(geom, 1e-7, 0) WHERE code = '411702'"
        )
        conn.execute(
            "UPDATE users SET password_hash = password_hash || 'x' WHERE username = 'demo'"
        )
        after = checksums(copy)
    assert {t for t in TABLES if before[t] != after[t]} == {"divisions", "users"}


def test_a_destination_with_data_is_refused(demo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.gpkg"
    shutil.copy(demo, other)
    done = _cli("store", "copy", str(demo), str(other))
    assert done.exit_code == 2
    assert "目标存储不是空的" in done.output and "divisions" in done.output
    itself = _cli("store", "copy", str(demo), f"sqlite:///{tmp_path}/./{demo.name}")
    assert itself.exit_code == 2 and "同一个" in itself.output


def test_every_table_of_both_backends_is_one_the_copy_knows(any_store) -> None:
    """A table added to the schema must be added to ``TABLES`` (in load order), or the copy
    would refuse every store as having a table it does not know."""
    assert set(any_store.table_shapes()) == set(TABLES)


def test_a_destination_of_another_schema_version_is_refused(demo: Path, tmp_path: Path):
    older = tmp_path / "v9.gpkg"
    shutil.copy(Path(__file__).parent / "data" / "store_v9.gpkg", older)
    done = _cli("store", "copy", str(demo), str(older))
    assert done.exit_code == 1
    assert "结构版本不符" in done.output and "目标 9" in done.output
    with sqlite3.connect(older) as conn:  # left as it was
        assert conn.execute(
            "SELECT value FROM geociv_meta WHERE key = 'schema_version'"
        ).fetchone() == ("9",)


def test_a_store_with_a_table_geociv_does_not_know_is_refused(demo: Path, tmp_path: Path):
    with sqlite3.connect(demo) as conn:
        conn.execute("CREATE TABLE local_notes (id INTEGER PRIMARY KEY, note TEXT)")
    target = tmp_path / "target.gpkg"
    done = _cli("store", "copy", str(demo), str(target))
    assert done.exit_code == 2
    assert "geociv 不认识的表：local_notes" in done.output
    with open_store(target) as store:  # nothing was copied
        assert store.count_divisions() == {}


def test_a_missing_source_is_refused_without_creating_it(tmp_path: Path) -> None:
    done = _cli("store", "copy", str(tmp_path / "nope.gpkg"), str(tmp_path / "to.gpkg"))
    assert done.exit_code == 2 and "源存储文件不存在" in done.output
    assert not (tmp_path / "nope.gpkg").exists()


@pytest.mark.parametrize("backend", ["gpkg", "postgis"])
def test_what_is_written_to_the_source_during_a_copy_is_not_half_copied(
    backend: str, demo_path: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Every table is read as of one moment: a facility added (with its audit entry) while
    the names are being copied is in neither the facilities nor the audit log of the copy."""
    source: str | Path = demo_path
    if backend == "postgis":
        source = request.getfixturevalue("pg_dsn")
        copy_store(demo_path, source, actor="pytest")
    with open_store(source, upgrade=False) as store:
        facilities, audit = store.count_rows("facilities"), store.count_rows("audit_log")

    @contextlib.contextmanager
    def write_meanwhile(table: str, rows: int):
        if table == "names":
            with open_store(source, upgrade=False) as writer:
                writer.add_facilities([Facility("", "复制中新增", "day_care")], actor="pytest")
        yield _Quiet()

    target = tmp_path / "copy.gpkg"
    assert all(c.ok for c in copy_store(source, target, actor="pytest", progress=write_meanwhile))
    with open_store(target) as copy, open_store(source, upgrade=False) as store:
        assert copy.count_rows("facilities") == facilities
        assert copy.count_rows("audit_log") == audit + 1  # the copy's own entry
        assert store.count_rows("facilities") == facilities + 1  # the write did happen


class _Quiet:
    def update(self, rows: int) -> None:
        pass

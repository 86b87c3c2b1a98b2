"""The store is a GeoPackage that GDAL accepts: its own validator, Debian 12's GDAL, pyogrio.

GDAL's validator (``validate_gpkg.py`` of Debian's ``python3-gdal``, which ``make test``
installs) and Debian's GDAL bindings run in Debian's own Python as subprocesses: the real
programs a bureau's QGIS on Debian 12 goes through, not a re-implementation of their checks.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyogrio
import pytest
import shapely

from geociv.demo import load_demo
from geociv.store import NameRecord, open_store
from geociv.store._sqlite_schema import GPKG_USER_VERSION, SCHEMA_VERSION

FIXTURES = Path(__file__).parent / "data"
DEBIAN_PYTHON = "/usr/bin/python3"
VALIDATOR = "osgeo_utils.samples.validate_gpkg"

#: Run in Debian's Python: open the file with Debian's GDAL, read every feature's geometry of
#: every layer, and print the layers and whatever GDAL warned about on the way, as JSON.
_READ_WITH_DEBIAN_GDAL = """
import json, sys
from osgeo import gdal
gdal.UseExceptions()
said = []
gdal.PushErrorHandler(lambda cls, no, msg: said.append(msg))
ds = gdal.OpenEx(sys.argv[1], gdal.OF_VECTOR)
layers = {}
for i in range(ds.GetLayerCount()):
    layer = ds.GetLayer(i)
    srs = layer.GetSpatialRef()
    features = shapes = 0
    for feature in layer:
        shape = feature.GetGeometryRef()  # valid only while its feature is
        features += 1
        shapes += shape is not None and not shape.IsEmpty() and shape.ExportToWkb() is not None
    layers[layer.GetName()] = {
        "features": features,
        "with_geometry": shapes,
        "epsg": srs.GetAuthorityCode(None) if srs else None,
    }
print(json.dumps({"version": gdal.__version__, "layers": layers, "said": said}))
"""

#: The feature tables geociv registers, with their geometry type.
FEATURE_TABLES = {
    "divisions": "MultiPolygon",
    "names": "Unknown",
    "signs": "Point",
    "boundary_lines": "MultiLineString",
    "markers": "Point",
    "inspection_records": "Point",
    "facilities": "Point",
    "road_edges": "LineString",
    "coverage_zones": "MultiPolygon",
}


def _debian_gdal() -> None:
    probe = subprocess.run(
        [DEBIAN_PYTHON, "-c", "import osgeo_utils.samples.validate_gpkg"],
        capture_output=True,
        text=True,
    )
    if probe.returncode:
        pytest.fail(
            "Debian's python3-gdal is missing (GDAL's GeoPackage validator): "
            "`apt-get install python3-gdal` (make test does)\n" + probe.stderr
        )


def validate(path: Path) -> str:
    """What GDAL's validator says of ``path`` with every check on, warnings counted as errors."""
    _debian_gdal()
    run = subprocess.run(
        [DEBIAN_PYTHON, "-m", VALIDATOR, "-k", "--extra", "--warning-as-error", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return (run.stdout + run.stderr).strip() + ("" if run.returncode == 0 else " [failed]")


def read_with_debian_gdal(path: Path) -> dict:
    """Layers of ``path`` as Debian 12's GDAL reads them, and the warnings it gave."""
    _debian_gdal()
    run = subprocess.run(
        [DEBIAN_PYTHON, "-c", _READ_WITH_DEBIAN_GDAL, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The whole demo (divisions, names, boundaries, coverage), as ``geociv init --demo``."""
    path = tmp_path_factory.mktemp("full-demo") / "demo.gpkg"
    store = open_store(path)
    load_demo(store)
    store.close()
    yield path


@pytest.fixture
def upgraded_v9(tmp_path: Path) -> Path:
    """The version-9 fixture (written before the store passed the validator), upgraded."""
    path = tmp_path / "v9.gpkg"
    shutil.copy(FIXTURES / "store_v9.gpkg", path)
    store = open_store(path)
    assert (store.upgraded_from, store.schema_version) == (9, SCHEMA_VERSION)
    store.close()
    return path


def test_gdal_validator_accepts_the_demo_store(full_demo: Path) -> None:
    assert validate(full_demo) == ""


def test_gdal_validator_accepts_an_upgraded_version_9_store(upgraded_v9: Path) -> None:
    assert validate(upgraded_v9) == ""


def test_the_version_9_fixture_is_what_the_validator_rejected() -> None:
    """The committed fixture keeps the faults that version 10 repairs (it is the test's input)."""
    said = validate(FIXTURES / "store_v9.gpkg")
    assert "Req 13: Wrong default for last_change of gpkg_contents" in said
    assert "Req 15: last_change = " in said and "for table_name = names is invalid" in said


@pytest.mark.parametrize("fixture", ["full_demo", "upgraded_v9"])
def test_debian_12_gdal_reads_every_layer_without_a_warning(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    path = request.getfixturevalue(fixture)
    read = read_with_debian_gdal(path)
    assert read["version"].startswith("3.6"), read["version"]  # Debian 12's GDAL
    assert read["said"] == []  # e.g. no "version … may only be partially supported"
    layers = read["layers"]
    for table in FEATURE_TABLES:
        assert layers[table]["epsg"] == "4490", table
        assert layers[table]["with_geometry"] <= layers[table]["features"]
    if fixture == "full_demo":
        for table in ("divisions", "boundary_lines", "markers", "facilities", "coverage_zones"):
            assert layers[table]["with_geometry"] > 0, table
    else:
        assert layers["divisions"]["with_geometry"] == 1
        assert layers["facilities"]["with_geometry"] == 1 and layers["names"]["features"] == 1


@pytest.mark.parametrize("fixture", ["full_demo", "upgraded_v9"])
def test_pyogrio_reads_the_geometry_of_every_layer(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    path = request.getfixturevalue(fixture)
    layers = dict(pyogrio.list_layers(path))
    store = open_store(path)
    try:
        for table, kind in FEATURE_TABLES.items():
            assert layers[table] == kind, table
            frame = pyogrio.read_dataframe(path, layer=table)
            assert frame.crs is not None and frame.crs.to_epsg() == 4490, table
            shapes = frame.geometry.dropna()
            assert shapes.is_valid.all() and not shapes.is_empty.any(), table
        # what GDAL reads is what the store wrote
        gdal_divisions = pyogrio.read_dataframe(path, layer="divisions").set_index("code")
        for division in store.query_divisions(with_geometry=True):
            if division.geometry is not None:
                read = gdal_divisions.geometry[division.code]
                assert read.equals_exact(division.geometry, 1e-12), division.code
    finally:
        store.close()


def test_new_stores_are_geopackage_1_3_with_a_valid_contents_table(tmp_path: Path) -> None:
    path = tmp_path / "new.gpkg"
    open_store(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # 'GPKG'
    assert conn.execute("PRAGMA user_version").fetchone()[0] == GPKG_USER_VERSION == 10300
    default = {r[1]: r[4] for r in conn.execute("PRAGMA table_info(gpkg_contents)")}
    assert default["last_change"] == "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier) "
        "VALUES ('t', 'attributes', 't')"
    )
    (stamp,) = conn.execute(
        "SELECT last_change FROM gpkg_contents WHERE table_name = 't'"
    ).fetchone()
    assert len(stamp) == len("2026-01-05T08:00:00.000Z") and stamp.endswith("Z")


#: One name record per geometry kind the ``names`` layer takes (its column is ``GEOMETRY``).
NAME_SHAPES = {
    "point": "POINT (114.02 32.99)",
    "line": "LINESTRING (114 32.9, 114.05 32.95, 114.1 33)",
    "polygon": "POLYGON ((114 33, 114.1 33, 114.1 33.1, 114 33, 114 33))",
    "multipoint": "MULTIPOINT ((114 33), (114.1 33.1))",
    "multiline": "MULTILINESTRING ((114 33, 114.1 33), (114 33.1, 114.1 33.1))",
    "multipolygon": "MULTIPOLYGON (((114 33, 114.1 33, 114.1 33.1, 114 33)))",
    "collection": "GEOMETRYCOLLECTION (POINT (114 33), LINESTRING (114 33, 114.1 33.1))",
}


def _names(shapes: dict[str, str]) -> list[NameRecord]:
    return [
        NameRecord(f"N{i:06d}", f"测试{i}路", f"测试{i}", "路", "road", "411702",
                   geometry=shapely.from_wkt(wkt))
        for i, wkt in enumerate(shapes.values(), start=1)
    ]  # fmt: skip


def _store_names(path: Path, records: list[NameRecord]) -> dict[str, object]:
    """Write ``records``, return their geometries as the store reads them back."""
    store = open_store(path)
    try:
        store.upsert_names(records, actor="t")
        return {r.name_id: store.get_name(r.name_id).geometry for r in records}
    finally:
        store.close()


def test_every_geometry_kind_round_trips_and_gdal_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "shapes.gpkg"
    records = _names(NAME_SHAPES)
    back = _store_names(path, records)
    for record in records:
        assert back[record.name_id].equals_exact(record.geometry, 0), record.name_id
    assert validate(path) == ""
    read = read_with_debian_gdal(path)
    assert read["said"] == [] and read["layers"]["names"]["with_geometry"] == len(records)
    frame = pyogrio.read_dataframe(path, layer="names").set_index("name_id")
    for record in records:
        assert frame.geometry[record.name_id].equals_exact(record.geometry, 0), record.name_id


def test_a_geometry_with_heights_is_stored_as_its_footprint(tmp_path: Path) -> None:
    """Every layer is registered 2-D (z prohibited): a 3-D name keeps its footprint."""
    path = tmp_path / "z.gpkg"
    records = _names({"point_z": "POINT Z (114.02 32.99 81.5)",
                      "line_z": "LINESTRING Z (114 33 80, 114.1 33.1 95)"})  # fmt: skip
    back = _store_names(path, records)
    for record in records:
        assert not back[record.name_id].has_z
        assert back[record.name_id].equals(shapely.force_2d(record.geometry))
    assert validate(path) == ""


def test_empty_geometries_round_trip_and_gdal_reads_them_as_empty(tmp_path: Path) -> None:
    """Empty geometries carry the standard's empty flag (header bit 4). Debian 12's validator
    reads that flag from bit 3 (a bug of its own), so only GDAL's reading is checked here."""
    path = tmp_path / "empty.gpkg"
    records = _names({"point": "POINT EMPTY", "polygon": "POLYGON EMPTY"})
    back = _store_names(path, records)
    assert [back[r.name_id].wkt for r in records] == ["POINT EMPTY", "POLYGON EMPTY"]
    read = read_with_debian_gdal(path)
    assert read["said"] == [] and read["layers"]["names"] == {
        "features": 2, "with_geometry": 0, "epsg": "4490"
    }  # fmt: skip


def test_a_new_store_stamps_its_contents_in_utc_on_a_server_in_china(tmp_path: Path) -> None:
    path = tmp_path / "beijing.gpkg"
    subprocess.run(
        [sys.executable, "-c", "import sys; from geociv.store import open_store; "
         "open_store(sys.argv[1]).close()", str(path)],
        env={**os.environ, "TZ": "Asia/Shanghai"},
        check=True,
        timeout=60,
    )  # fmt: skip
    conn = sqlite3.connect(path)
    for table, stamp in conn.execute("SELECT table_name, last_change FROM gpkg_contents"):
        written = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        assert abs(datetime.now(UTC) - written) < timedelta(minutes=5), (table, stamp)


# -- spatial indexes (gpkg_rtree_index) ------------------------------------------------------


def _index_follows_rows(path: Path) -> dict[str, int]:
    """Check that every feature table's R-tree holds exactly the extents of its non-empty
    geometries; return the number of indexed rows per table."""
    from geociv.store._gpkg import decode

    conn = sqlite3.connect(path)
    try:
        indexed = {}
        for table in FEATURE_TABLES:
            registered = conn.execute(
                "SELECT scope FROM gpkg_extensions WHERE table_name = ? AND column_name = 'geom' "
                "AND extension_name = 'gpkg_rtree_index'", (table,)
            ).fetchone()  # fmt: skip
            assert registered == ("write-only",), table
            stored = conn.execute(f"SELECT fid, geom FROM {table} WHERE geom IS NOT NULL")
            rows = {fid: decode(blob) for fid, blob in stored}
            boxes = {r[0]: r[1:] for r in conn.execute(f"SELECT * FROM rtree_{table}_geom")}
            shown = {fid: g for fid, g in rows.items() if not g.is_empty}
            assert set(boxes) == set(shown), table
            for fid, (minx, maxx, miny, maxy) in boxes.items():
                x0, y0, x1, y1 = shown[fid].bounds
                # the R-tree keeps 32-bit floats rounded outwards (a few units in the last place)
                assert minx <= x0 <= minx + 5e-5 and maxx - 5e-5 <= x1 <= maxx, (table, fid)
                assert miny <= y0 <= miny + 5e-5 and maxy - 5e-5 <= y1 <= maxy, (table, fid)
            indexed[table] = len(boxes)
        return indexed
    finally:
        conn.close()


def test_every_layer_has_a_spatial_index_that_follows_the_stores_writes(
    full_demo: Path, tmp_path: Path
) -> None:
    path = tmp_path / "demo.gpkg"
    shutil.copy(full_demo, path)
    indexed = _index_follows_rows(path)
    for table in ("divisions", "boundary_lines", "markers", "facilities", "coverage_zones"):
        assert indexed[table] > 0, table
    store = open_store(path)
    try:
        first = store.query_facilities()[0]
        store.update_facility(first.facility_id, actor="t", location=shapely.Point(114.5, 33.5))
        store.upsert_names(_names(NAME_SHAPES), actor="t")  # every kind, the collection too
        store.upsert_names(_names({"moved": "POINT (113.5 32.5)"}), actor="t")
        assert validate(path) == ""
        # Debian 12's validator misreads the empty flag (see above): emptied after validating
        store.upsert_names(_names({"moved": "POINT (113.5 32.5)", "emptied": "POINT EMPTY"}),
                           actor="t")  # fmt: skip
    finally:
        store.close()
    after = _index_follows_rows(path)
    assert after["names"] == indexed["names"] + len(NAME_SHAPES) - 1  # N000002 emptied


def test_an_upgraded_store_indexes_the_rows_it_had(upgraded_v9: Path) -> None:
    indexed = _index_follows_rows(upgraded_v9)
    assert indexed["divisions"] == indexed["facilities"] == indexed["names"] == 1


#: Run in Debian's Python: add a facility to the store and move the first one, with GDAL.
_WRITE_WITH_DEBIAN_GDAL = """
import sys
from osgeo import gdal, ogr
gdal.UseExceptions()
ds = gdal.OpenEx(sys.argv[1], gdal.OF_VECTOR | gdal.OF_UPDATE)
layer = ds.GetLayerByName("facilities")
feature = ogr.Feature(layer.GetLayerDefn())
for key, value in (("facility_id", "F900001"), ("name", "QGIS 添加的站点"),
                   ("type", "rental_station"), ("status", "planned"), ("created_by", "qgis"),
                   ("created_at", "2026-12-03T08:00:00+00:00"),
                   ("updated_at", "2026-12-03T08:00:00+00:00")):
    feature.SetField(key, value)
feature.SetGeometry(ogr.CreateGeometryFromWkt("POINT (114.7 33.2)"))
layer.CreateFeature(feature)
first = layer.GetFeature(1)
first.SetGeometry(ogr.CreateGeometryFromWkt("POINT (113.8 32.8)"))
layer.SetFeature(first)
ds = None
"""


def test_gdal_writing_to_the_store_keeps_its_spatial_index(full_demo: Path, tmp_path: Path) -> None:
    """What a QGIS user editing the file does: GDAL adds and moves features."""
    path = tmp_path / "edited.gpkg"
    shutil.copy(full_demo, path)
    _debian_gdal()
    subprocess.run([DEBIAN_PYTHON, "-c", _WRITE_WITH_DEBIAN_GDAL, str(path)], check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    _index_follows_rows(path)
    store = open_store(path)
    try:
        added = store.get_facility("F900001")
        assert added is not None and added.location.equals(shapely.Point(114.7, 33.2))
    finally:
        store.close()
    assert validate(path) == ""


# -- the non-spatial tables, and when each table last changed --------------------------------


@pytest.mark.parametrize("fixture", ["full_demo", "upgraded_v9"])
def test_the_tables_worth_browsing_are_layers_for_gdal(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    from geociv.store._gpkg_contents import ATTRIBUTE_TABLES

    path = request.getfixturevalue(fixture)
    conn = sqlite3.connect(path)
    listed = dict(conn.execute("SELECT table_name, data_type FROM gpkg_contents"))
    conn.close()
    assert {t: listed.get(t) for t in ATTRIBUTE_TABLES} == dict.fromkeys(
        ATTRIBUTE_TABLES, "attributes"
    )
    for internal in ("users", "geociv_meta", "login_attempts"):  # never a layer
        assert internal not in listed
    layers = read_with_debian_gdal(path)["layers"]
    assert set(ATTRIBUTE_TABLES) <= set(layers)
    if fixture == "upgraded_v9":  # the fixture's renaming case: apply and review
        assert layers["name_case_events"]["features"] == 2
    else:
        assert layers["audit_log"]["features"] > 0 and layers["marker_references"]["features"]


def _last_changes(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT table_name, last_change FROM gpkg_contents"))
    finally:
        conn.close()


def test_a_write_stamps_the_last_change_of_the_tables_it_wrote(tmp_path: Path) -> None:
    from geociv.store import Facility, FormerName

    path = tmp_path / "stamps.gpkg"
    open_store(path).close()
    old = "2020-01-01T00:00:00.000Z"
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE gpkg_contents SET last_change = ?", (old,))
    conn.close()
    store = open_store(path)
    try:
        store.add_facilities([Facility("", "顺河日间照料中心", "day_care", shapely.Point(114, 33))],
                             actor="t")  # fmt: skip
        store.upsert_names(_names({"point": "POINT (114 33)"}), actor="t")
        store.add_former_name(FormerName("N000001", "旧名路"), actor="t")
    finally:
        store.close()
    stamps = _last_changes(path)
    written = {"facilities", "names", "name_history", "audit_log"}
    assert {t for t, stamp in stamps.items() if stamp != old} == written
    for table in written:
        stamp = datetime.strptime(stamps[table], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=5), table
    assert validate(path) == ""

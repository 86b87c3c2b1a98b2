"""The line register: Zhumadian's county lines derived from the real demo polygons, versions
after a re-survey (勘界), surveyed-line imports, stretch ids."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from shapely import LineString, MultiPolygon, Point, Polygon, box

from geociv.boundaries.lines import derive_lines
from geociv.boundaries.registry import (
    BoundaryLines,
    make_line_id,
    parse_line_id,
    side_of,
)
from geociv.divisions import Divisions
from geociv.errors import CoordinateRangeError, CRSError, InputFileError, ValidationError
from geociv.store import BoundaryLine
from tests.boundary_setup import LINE, derive_with_neighbours, derive_zhumadian


def test_zhumadian_county_lines_are_stored_once_and_idempotently(demo_store, demo_path) -> None:
    lines = BoundaryLines(demo_store)
    frame = Divisions(demo_store).frame(parent="411700", level="county")
    assert len(frame) == 10
    first = lines.derive_from_divisions(frame, actor="admin1", on="2026-01-05")
    expected = derive_lines(frame)
    assert (first.inserted, first.versioned, first.unchanged) == (len(expected), 0, 0)
    again = lines.derive_from_divisions(frame, actor="admin1", on="2026-02-01")
    assert (again.inserted, again.versioned, again.unchanged, again.closed) == (
        0,
        0,
        len(expected),
        0,
    )
    current = lines.current()
    assert list(current.columns[:11]) == [
        "line_id", "version", "name", "section", "left", "right", "level", "internal",
        "length_km", "source", "valid_from",
    ]  # fmt: skip
    assert current.crs.to_epsg() == 4490
    assert set(current["source"]) == {"derived"} and set(current["version"]) == {1}
    yq = current.set_index("line_id").loc["411702-411725"]
    assert (yq["name"], yq["section"], yq["level"], bool(yq["internal"])) == (
        "驿确线",
        "驿城区—确山县",
        "county",
        True,
    )
    assert yq["length_km"] == pytest.approx(57.31, abs=0.01)
    internal = current[current["level"] == "county"]
    assert internal["length_km"].sum() == pytest.approx(
        expected.loc[expected["internal"], "length_km"].sum()
    )
    edges = set(current.loc[current["level"] == "edge", "line_id"])
    assert edges == {f"{c}-edge" for c in expected.loc[expected["level"] == "edge", "left"]}
    assert "411727-edge" not in edges  # 汝南县 lies inside the city
    # every write is attributed
    entries = demo_store.audit_entries(entity="boundary_lines", limit=1000)
    assert len(entries) == len(expected) and {e.actor for e in entries} == {"admin1"}
    assert entries[0].action == "lines.derive" and entries[0].after["geometry"]["sha1"]
    # QGIS-readable layer
    layer = pyogrio.read_dataframe(demo_path, layer="boundary_lines")
    assert dict(pyogrio.list_layers(demo_path))["boundary_lines"] == "MultiLineString"
    assert layer.crs.to_epsg() == 4490 and len(layer) == len(expected)


def test_current_filters_by_parent_and_level(demo_store) -> None:
    lines = derive_zhumadian(demo_store)
    xiping = lines.current(parent="411721")
    assert set(xiping["line_id"]) == {"411721-411722", "411721-411728", "411721-edge"}
    assert set(lines.current(level="edge")["level"]) == {"edge"}
    assert len(lines.current(parent="411700")) == len(lines.current())
    with pytest.raises(ValidationError, match="未知的界线级别"):
        lines.current(level="town")
    with pytest.raises(ValidationError):
        lines.current(parent="4117x")
    assert lines.find("西上线")[0].line_id == LINE
    assert lines.find(LINE)[0].name == "西上线"
    assert lines.find("不存在线") == []


def _resurvey(line: BoundaryLine, metres: float = 30.0) -> LineString:
    """The line moved ~``metres`` north (a re-survey that changed the geometry)."""
    shift = metres / 111_320.0
    return shapely.transform(
        shapely.line_merge(line.geometry), lambda c: c + np.array([0.0, shift])
    )


def test_a_resurvey_adds_a_version_and_closes_the_old_one(demo_store, tmp_path: Path) -> None:
    lines = derive_zhumadian(demo_store)
    old = lines.get(LINE)
    path = tmp_path / "kanjie.geojson"
    gpd.GeoDataFrame(
        {"左侧": ["411721"], "右侧": ["411722"], "勘界日期": ["2026-03-01"]},
        geometry=[_resurvey(old)],
        crs="EPSG:4490",
    ).to_file(path, driver="GeoJSON")
    changes = lines.import_surveyed(path, actor="admin1", note="2026 年勘界")
    assert (changes.inserted, changes.versioned, changes.unchanged) == (0, 1, 0)
    history = lines.history(LINE)
    assert [(v.version, v.source, v.valid_from, v.valid_to) for v in history] == [
        (1, "derived", "2026-01-05", "2026-03-01"),
        (2, "surveyed", "2026-03-01", None),
    ]
    assert history[0].geometry.equals(old.geometry)  # the old geometry is kept, not overwritten
    new = lines.get(LINE)
    assert new.name == "西上线" and new.note == "2026 年勘界"
    assert (new.left_code, new.right_code) == ("411721", "411722")
    assert new.length_km == pytest.approx(old.length_km, rel=1e-3)
    # the same survey again changes nothing; a derivation leaves the surveyed line alone
    again = lines.import_surveyed(path, actor="admin1")
    assert (again.versioned, again.unchanged) == (0, 1)
    frame = Divisions(demo_store).frame(parent="411700", level="county")
    derived = lines.derive_from_divisions(frame, actor="admin1", on="2026-04-01")
    assert (derived.kept, derived.versioned, derived.closed) == (1, 0, 0)
    assert lines.get(LINE).source == "surveyed"
    audit = demo_store.audit_entries(entity="boundary_lines", limit=1)[0]
    assert audit.action == "lines.survey" and audit.before["version"] == 1


def test_surveyed_lines_in_a_projected_crs_are_converted(demo_store, tmp_path: Path) -> None:
    lines = derive_zhumadian(demo_store)
    old = lines.get(LINE)
    path = tmp_path / "kanjie.gpkg"
    gpd.GeoDataFrame(
        {"left_code": ["411722"], "right_code": ["411721"]},
        geometry=[_resurvey(old, 10)],
        crs="EPSG:4490",
    ).to_crs(4547).to_file(path, driver="GPKG")
    lines.import_surveyed(path, actor="admin1", surveyed_on="2026-05-01")
    new = lines.get(LINE)
    assert new.version == 2 and (new.left_code, new.right_code) == ("411721", "411722")
    assert new.geometry.hausdorff_distance(_resurvey(old, 10)) < 1e-6
    metres = gpd.GeoDataFrame(
        {"left": ["411721"], "right": ["411722"]},
        geometry=[LineString([(500000, 3700000), (501000, 3701000)])],
    )
    as_degrees = tmp_path / "metres.geojson"  # GeoJSON is WGS84 by definition
    metres.set_crs(4326).to_file(as_degrees, driver="GeoJSON")
    with pytest.raises(CoordinateRangeError, match="投影坐标"):
        lines.import_surveyed(as_degrees, actor="admin1")
    no_prj = tmp_path / "noprj.shp"
    with pytest.warns(UserWarning, match="crs"):
        metres.to_file(no_prj)
    with pytest.raises(CRSError, match="未声明坐标系"):
        lines.import_surveyed(no_prj, actor="admin1")
    assert [v.version for v in lines.history(LINE)] == [1, 2]


def test_a_bad_survey_file_reports_every_row_and_stores_nothing(demo_store, tmp_path: Path) -> None:
    lines = derive_zhumadian(demo_store)
    old = lines.get(LINE)
    good = _resurvey(old)
    path = tmp_path / "bad.geojson"
    gpd.GeoDataFrame(
        {
            "left": ["411721", "41170x", "411721", "411721", "411721", "411721"],
            "right": ["411722", "411722", "419999", "411721", "411722", "411722"],
            "line_id": [None, None, None, None, None, "411702-411725"],
        },
        geometry=[good, good, good, good, Point(114.0, 33.3), good],
        crs="EPSG:4490",
    ).to_file(path, driver="GeoJSON")
    with pytest.raises(ValidationError) as info:
        lines.import_surveyed(path, actor="admin1", surveyed_on="2026-03-01")
    where = {(p.row, p.field) for p in info.value.problems}
    assert where == {(2, "left"), (3, "right"), (4, "right"), (5, "geometry"), (6, "line_id")}
    assert "未导入任何数据" in str(info.value)
    assert [v.version for v in lines.history(LINE)] == [1]  # nothing written
    missing = tmp_path / "nocols.geojson"
    gpd.GeoDataFrame({"a": [1]}, geometry=[good], crs="EPSG:4490").to_file(missing)
    with pytest.raises(InputFileError, match="缺少必需的列"):
        lines.import_surveyed(missing, actor="admin1")
    early = tmp_path / "early.geojson"
    gpd.GeoDataFrame(
        {"left": ["411721"], "right": ["411722"]}, geometry=[good], crs="EPSG:4490"
    ).to_file(early)
    with pytest.raises(ValidationError, match="早于"):
        lines.import_surveyed(early, actor="admin1", surveyed_on="2025-12-31")


def _wrapped(bent: bool = False) -> gpd.GeoDataFrame:
    """A (two parts, west and east) around B (top middle) and C (bottom middle): A–B share two
    separate stretches, and so do A–C. ``bent`` moves the eastern A–B stretch a little."""
    kink = [(114.2, 33.05), (114.2001, 33.1)] if bent else [(114.2, 33.1)]
    west = Polygon([(114.0, 32.9), (114.1, 32.9), (114.1, 33.0), (114.1, 33.1), (114.0, 33.1)])
    east = Polygon([(114.2, 32.9), (114.3, 32.9), (114.3, 33.1), *kink[::-1], (114.2, 33.0)])
    top = Polygon([(114.1, 33.0), (114.2, 33.0), *kink, (114.1, 33.1)])
    bottom = box(114.1, 32.9, 114.2, 33.0)
    return gpd.GeoDataFrame(
        {"code": ["411702", "411725", "411726"], "name": ["驿城区", "确山县", "泌阳县"]},
        geometry=[MultiPolygon([west, east]), top, bottom],
        crs="EPSG:4490",
    )


def test_two_divisions_sharing_two_stretches_keep_their_stretch_ids(empty_store) -> None:
    lines = BoundaryLines(empty_store)
    lines.derive_from_divisions(_wrapped(), actor="t", include_edge=False, on="2026-01-05")
    ids = sorted(lines.current()["line_id"])
    assert ids == [
        "411702-411725", "411702-411725-2", "411702-411726", "411702-411726-2",
        "411725-411726",
    ]  # fmt: skip
    east_of = {i: lines.get(i).geometry.centroid.x > 114.15 for i in ids}
    # rows in another order, the eastern A–B stretch bent: only that stretch gets a version
    frame = _wrapped(bent=True).iloc[::-1].reset_index(drop=True)
    changes = lines.derive_from_divisions(frame, actor="t", include_edge=False, on="2026-02-01")
    assert (changes.inserted, changes.versioned, changes.unchanged) == (0, 1, 4)
    (versioned,) = [i for i in ids if len(lines.history(i)) == 2]
    assert versioned.startswith("411702-411725") and east_of[versioned]
    assert sorted(lines.current()["line_id"]) == ids


def test_lines_no_longer_derived_are_closed_not_deleted(empty_store) -> None:
    frame = gpd.GeoDataFrame(
        {"code": ["411702", "411725"], "name": ["驿城区", "确山县"]},
        geometry=[box(114.0, 32.9, 114.1, 33.0), box(114.1, 32.9, 114.2, 33.0)],
        crs="EPSG:4490",
    )
    lines = BoundaryLines(empty_store)
    lines.derive_from_divisions(frame, actor="t", include_edge=False, on="2026-01-05")
    apart = frame.copy()
    apart.loc[1, "geometry"] = box(114.2, 32.9, 114.3, 33.0)
    changes = lines.derive_from_divisions(apart, actor="t", include_edge=False, on="2026-06-01")
    assert changes.closed == 1 and lines.current().empty
    (only,) = lines.history("411702-411725")
    assert only.valid_to == "2026-06-01"
    with pytest.raises(LookupError):
        lines.get("411702-411725")


def test_close_a_line_with_a_reason(demo_store) -> None:
    lines = derive_zhumadian(demo_store)
    with pytest.raises(ValidationError) as info:
        lines.close(LINE, actor="admin1", reason=" ", on="2025-01-01")
    assert {p.field for p in info.value.problems} == {"reason", "on"}
    closed = lines.close(LINE, actor="admin1", reason="行政区划调整", on="2026-09-01")
    assert closed.valid_to == "2026-09-01" and LINE not in set(lines.current()["line_id"])
    assert demo_store.audit_entries(limit=1)[0].note == "行政区划调整"


def test_line_ids_and_sides() -> None:
    assert make_line_id("411725", "411702") == "411702-411725"
    assert parse_line_id("411725-411702") is None  # lower code first
    assert parse_line_id("411702-edge") == ("411702", "", 1)
    county = BoundaryLine("411702-411725", "驿确线", "411702", "411725", "county", 57.3)
    assert side_of("411702", county) == "left" and side_of("411725001", county) == "right"
    assert side_of("411700", county) is None  # the city bureau is on neither county's side
    city = BoundaryLine("411602-411702", "周驻线", "411702", "411602", "city", 30.0)
    assert side_of("411700", city) == "left" and side_of("411702", city) == "left"
    assert side_of("411600", city) == "right" and side_of("411725", city) == "left"
    assert side_of("410000", city) is None


def test_a_version_4_store_is_upgraded_and_takes_lines(tmp_path: Path) -> None:
    import shutil

    from geociv.store import open_store
    from geociv.store._sqlite_schema import SCHEMA_VERSION

    path = tmp_path / "old.gpkg"
    shutil.copy(Path(__file__).parent / "data" / "store_v4.gpkg", path)
    assert open_store(path, upgrade=False).schema_version == 4
    store = open_store(path)
    assert (store.upgraded_from, store.schema_version) == (4, SCHEMA_VERSION)
    assert SCHEMA_VERSION >= 5  # boundary lines arrived in version 5
    frame = Divisions(store).frame(level="county")
    changes = BoundaryLines(store).derive_from_divisions(frame, actor="t", on="2026-01-05")
    assert changes.inserted == 1
    (edge,) = BoundaryLines(store).history("411702-edge")
    assert edge.level == "edge" and edge.length_km == pytest.approx(80.0, rel=0.05)
    assert store.get_user("wang")[0].display_name == "王科员"  # older data untouched
    store.close()
    assert dict(pyogrio.list_layers(path))["boundary_lines"] == "MultiLineString"


def test_a_new_surveyed_line_with_a_neighbour_outside_the_jurisdiction(
    demo_store, tmp_path: Path
) -> None:
    from geociv.divisions import division_record

    derive_zhumadian(demo_store)
    Divisions(demo_store).load_records(
        [division_record("340000", "安徽省"), division_record("341221", "临泉县")], actor="t"
    )
    path = tmp_path / "yuwan.geojson"
    gpd.GeoDataFrame(
        {"left": ["341221"], "right": ["411729"]},
        geometry=[LineString([(115.3, 32.7), (115.32, 32.75), (115.35, 32.8)])],
        crs="EPSG:4326",
    ).to_file(path)
    own = set(Divisions(demo_store).frame(parent="411700", level="county")["code"])
    changes = BoundaryLines(demo_store).import_surveyed(
        path,
        actor="admin1",
        surveyed_on="2026-07-01",
        inside=own,
        official={("340000", "410000"): "豫皖线"},
    )
    assert changes.inserted == 1
    line = BoundaryLines(demo_store).get("341221-411729")
    assert (line.left_code, line.right_code, line.level, line.internal) == (
        "411729",
        "341221",
        "provincial",
        False,
    )
    assert (line.name, line.section, line.source) == (
        "豫皖线",
        "新蔡县—临泉县",
        "surveyed",
    )


def test_city_and_provincial_lines_with_the_real_neighbours(demo_store) -> None:
    lines = derive_zhumadian(demo_store)
    assert "411721-edge" in set(lines.current()["line_id"])
    lines = derive_with_neighbours(demo_store, on="2026-02-01")
    current = lines.current()
    assert set(current["level"]) == {"county", "city", "provincial"}  # no more one-sided lines
    assert lines.history("411721-edge")[-1].valid_to == "2026-02-01"  # closed, kept
    city = current[current["level"] == "city"]
    assert {"周驻线", "信驻线", "南驻线", "漯驻线", "平驻线"} == set(city["name"])
    assert not city["internal"].any() and set(city["left"]) <= {f"4117{i:02d}" for i in
                                                                  range(2, 30)}  # fmt: skip
    assert 600 < city["length_km"].sum() < 900
    yuwan = current[current["level"] == "provincial"]
    assert set(yuwan["name"]) == {"豫皖线"} and set(yuwan["right"]) == {"341221"}
    assert lines.get("411702-411725").version == 1  # internal lines unchanged

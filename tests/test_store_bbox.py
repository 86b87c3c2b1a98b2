"""Box filters answered by the database's spatial index, alike on both backends: the R-tree of
the GeoPackage, the GiST index of PostGIS (``any_store``)."""

from __future__ import annotations

import pytest
from shapely import LineString, MultiPolygon, Point, box

from geociv.errors import ValidationError
from geociv.store import Division, Facility, NameRecord, RoadNetwork, Sign
from geociv.store._gpkg import encode
from tests.query_plans import bulk_insert, pg_plan, sqlite_plan, statements

pytestmark = pytest.mark.postgis

#: The box asked for in these tests.
BOX = (114.0, 33.0, 114.1, 33.1)


def _county(code: str, x: float) -> Division:
    """A county whose polygon spans ``x`` … ``x + 0.05`` (longitude), 33.0 … 33.1."""
    shape = MultiPolygon([box(x, 33.0, x + 0.05, 33.1)])
    return Division(code, f"县{code}", "county", "411700", geometry=shape, area_km2=1.0)


def _facility(facility_id: str, x: float, y: float = 33.05, type: str = "day_care") -> Facility:
    return Facility(facility_id, f"设施{facility_id}", type, Point(x, y))


def _name(name_id: str, geometry) -> NameRecord:
    return NameRecord(name_id, f"测试{name_id}路", f"测试{name_id}", "路", "road", "411702",
                      geometry=geometry)  # fmt: skip


def test_facilities_in_a_box_edges_included_exactly(any_store) -> None:
    any_store.add_facilities(
        [
            _facility("F000001", 114.05),  # inside
            _facility("F000002", 114.1),  # on the east edge: kept
            _facility("F000003", 114.1000001),  # 1 cm east: out (the index alone would keep it)
            _facility("F000004", 114.05, 33.1000001),  # 1 cm north: out
            _facility("F000005", 113.5),  # far west
            _facility("F000006", 114.0, 33.0, type="rental_station"),  # the south-west corner
            Facility("F000007", "无坐标", "day_care"),  # no location: never in a box
        ],
        actor="t",
    )
    found = any_store.query_facilities(bbox=BOX)
    assert [f.facility_id for f in found] == ["F000001", "F000002", "F000006"]
    assert found[0].location.equals(Point(114.05, 33.05))
    day_care = any_store.query_facilities(type="day_care", bbox=BOX)
    assert [f.facility_id for f in day_care] == ["F000001", "F000002"]
    any_store.update_facility("F000005", actor="t", location=Point(114.02, 33.02))  # moved in
    assert len(any_store.query_facilities(bbox=BOX)) == 4
    assert len(any_store.query_facilities()) == 7  # without a box, every one


def test_divisions_whose_polygon_meets_the_box(any_store) -> None:
    any_store.upsert_divisions(
        [
            _county("411721", 113.9),  # 113.9 … 113.95: west of the box
            _county("411722", 113.95),  # 113.95 … 114.0: touches its west edge
            _county("411723", 114.03),  # inside
            _county("411724", 114.2),  # east of it
            Division("411799", "无界线区", "county", "411700"),
        ],
        actor="t",
    )
    found = any_store.query_divisions(bbox=BOX, with_geometry=False)
    assert [d.code for d in found] == ["411722", "411723"]
    assert found[0].geometry is None
    assert [d.code for d in any_store.query_divisions(bbox=BOX, name="县411723")] == ["411723"]
    assert any_store.query_divisions(bbox=(120.0, 40.0, 121.0, 41.0)) == []


def test_names_and_signs_in_a_box(any_store) -> None:
    any_store.upsert_names(
        [
            _name("N000001", LineString([(113.9, 33.05), (114.0, 33.05)])),  # ends on the edge
            _name("N000002", Point(114.05, 33.05)),
            _name("N000003", LineString([(114.2, 33.0), (114.3, 33.1)])),
            _name("N000004", None),
            _name("N000005", Point()),  # empty
        ],
        actor="t",
    )
    found = any_store.query_names(bbox=BOX, with_geometry=True)
    assert [r.name_id for r in found] == ["N000001", "N000002"]
    assert found[1].geometry.equals(Point(114.05, 33.05))
    assert [r.name_id for r in any_store.query_names(bbox=BOX, division_prefix="4118")] == []
    inside = Sign("", "N000002", "road", "测试N000002路", location=Point(114.05, 33.05))
    sign = any_store.add_sign(inside, actor="t")
    outside = Sign("", "N000003", "road", "测试N000003路", location=Point(114.25, 33.05))
    any_store.add_sign(outside, actor="t")
    assert [s.sign_id for s in any_store.query_signs(bbox=BOX)] == [sign.sign_id]


def test_the_lines_of_one_road_network_in_a_box(any_store) -> None:
    lines = [
        (LineString([(113.9, 33.05), (113.95, 33.05)]), 1.0),  # west of the box
        (LineString([(113.95, 33.05), (114.02, 33.06)]), 2.0),  # crosses its west edge
        (LineString([(114.02, 33.06), (114.03, 33.07)]), 3.0),  # inside
    ]
    for name in ("甲", "乙"):
        any_store.add_road_network(
            RoadNetwork("", name, f"snap-{name}", 4547, 4, 3, 0.1, graph=b"g"), lines, actor="t"
        )
    found = any_store.road_edges("RN0002", bbox=BOX)
    assert [length for _, length in found] == [2.0, 3.0]  # of that network only
    assert found[1][0].equals(lines[2][0])
    assert len(any_store.road_edges("RN0002")) == 3


@pytest.mark.parametrize(
    "bbox", [(114.1, 33.0, 114.0, 33.1), (114.0, 33.1, 114.1, 33.0), (114.0, 33.0, 114.1),
             ("东经114", 33.0, 114.1, 33.1), (114.0, float("nan"), 114.1, 33.1)],
)  # fmt: skip
def test_a_malformed_box_is_refused_naming_the_field(any_store, bbox) -> None:
    with pytest.raises(ValidationError) as caught:
        any_store.query_facilities(bbox=bbox)
    assert caught.value.problems[0].field == "bbox"


# -- the index answers, whatever the store's size ------------------------------------------------
#: Rows generated for the plan tests: a 200 × 200 grid of facilities, 0.005° apart.
_GRID = 200


def _grid_rows() -> list[tuple]:
    stamp = "2026-12-03T08:00:00+00:00"
    return [
        (f"F{i * _GRID + j + 1:06d}", f"设施{i}-{j}", 113.0 + i * 0.005, 32.0 + j * 0.005, stamp)
        for i in range(_GRID)
        for j in range(_GRID)
    ]


def test_a_box_query_on_a_large_geopackage_table_uses_the_r_tree(tmp_path) -> None:
    from geociv.store import open_store

    store = open_store(tmp_path / "big.gpkg")
    try:
        bulk_insert(
            store,
            "INSERT INTO facilities (geom, facility_id, name, type, status, created_by, "
            "created_at, updated_at) VALUES (?, ?, ?, 'day_care', 'existing', 't', ?, ?)",
            ((encode(Point(x, y), 4490), fid, name, at, at)
             for fid, name, x, y, at in _grid_rows()),
        )  # fmt: skip
        conn = store._conn()
        with statements(conn) as ran:
            found = store.query_facilities(bbox=(113.1, 32.1, 113.12, 32.12))
        assert len(found) == 25  # 5 × 5 grid points, edges included
        (select,) = [sql for sql in ran if sql.startswith("SELECT facility_id")]
        plan = sqlite_plan(conn, select)
        assert "VIRTUAL TABLE" in plan and "rtree_facilities_geom" in plan, plan
        assert "SCAN facilities" not in plan, plan
    finally:
        store.close()


def test_a_box_query_on_a_large_postgis_table_uses_the_gist_index(pg_dsn) -> None:
    from geociv.store._pg_geometry import bbox_filter
    from geociv.store.postgis import PostgisStore

    store = PostgisStore(pg_dsn)
    try:
        conn = store._conn()
        conn.execute(
            "INSERT INTO facilities (geom, facility_id, name, type, status, created_by, "
            "created_at, updated_at) SELECT ST_SetSRID(ST_Point(113.0 + i * 0.005, "
            "32.0 + j * 0.005), 4490), 'F' || lpad((i * %s + j + 1)::text, 6, '0'), 'x', "
            "'day_care', 'existing', 't', '', '' FROM generate_series(0, %s) i, "
            "generate_series(0, %s) j",
            (_GRID, _GRID - 1, _GRID - 1),
        )
        conn.execute("ANALYZE facilities")
        small = (113.1, 32.1, 113.12, 32.12)
        assert len(store.query_facilities(bbox=small)) == 25
        where, args = bbox_filter("facilities", small)
        plan = pg_plan(conn, f"SELECT * FROM facilities WHERE {where}", args)
        assert "idx_facilities_geom" in plan and "Seq Scan" not in plan, plan
    finally:
        store.close()

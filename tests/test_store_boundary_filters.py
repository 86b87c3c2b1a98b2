"""Spatial filters on boundary lines and markers answered by the database, alike on both
backends (``any_store``): a box on the spatial index, the place inside a division's polygon
(PostGIS ``ST_Intersects``; R-tree candidates and an exact test on the GeoPackage), and the
markers of a set of lines read by index."""

from __future__ import annotations

import pytest
from shapely import LineString, MultiPolygon, Point, Polygon, box

from geociv.errors import ValidationError
from geociv.store import BoundaryLine, Division, Marker
from geociv.store._gpkg import encode
from tests.query_plans import bulk_insert, pg_plan, sqlite_plan, statements

pytestmark = pytest.mark.postgis

#: West county 114.0 … 114.05, east county 114.05 … 114.1 (33.0 … 33.1): they share x = 114.05.
WEST, EAST, TRIANGLE, BARE = "411721", "411722", "411723", "411724"
SHARED = f"{WEST}-{EAST}"
#: A line inside the triangle county, and one far away.
INNER, FAR = f"{TRIANGLE}-edge", "411725-411726"


def _divisions() -> list[Division]:
    triangle = Polygon([(114.2, 33.0), (114.3, 33.0), (114.2, 33.1)])  # its extent is a square

    def county(code: str, shape) -> Division:
        return Division(code, f"县{code}", "county", "411700", geometry=shape, area_km2=1.0)

    return [
        county(WEST, MultiPolygon([box(114.0, 33.0, 114.05, 33.1)])),
        county(EAST, MultiPolygon([box(114.05, 33.0, 114.1, 33.1)])),
        county(TRIANGLE, MultiPolygon([triangle])),
        Division(BARE, "无界线县", "county", "411700"),
    ]


def _line(line_id: str, coords) -> BoundaryLine:
    left, right = line_id.split("-")
    return BoundaryLine(line_id, f"界线{line_id}", left, "" if right == "edge" else right,
                        "county", 1.0, geometry=LineString(coords))  # fmt: skip


def _marker(line_id: str, serial: int, x: float, y: float) -> Marker:
    return Marker(f"{line_id}-{serial:03d}Q", line_id, serial, "Q", "single", Point(x, y))


@pytest.fixture
def register(any_store):
    """Three counties, three lines and their markers (see the comments)."""
    any_store.upsert_divisions(_divisions(), actor="t")
    any_store.save_boundary_lines(
        [
            _line(SHARED, [(114.05, 33.0), (114.05, 33.1)]),  # the two counties' common edge
            _line(INNER, [(114.21, 33.01), (114.25, 33.02)]),  # inside the triangle
            _line(FAR, [(115.0, 34.0), (115.1, 34.1)]),
        ],
        on="2026-01-05",
        actor="t",
    )
    any_store.add_markers(
        [
            _marker(SHARED, 1, 114.05, 33.05),  # on the edge: in both counties
            _marker(SHARED, 2, 114.05, 33.1),  # the edge's north end: the box's corner
            _marker(INNER, 1, 114.22, 33.02),  # in the triangle
            _marker(INNER, 2, 114.28, 33.08),  # in the triangle's extent, not in the triangle
            _marker(FAR, 1, 115.05, 34.05),
        ],
        actor="t",
    )
    return any_store


def _ids(markers) -> list[str]:
    return [m.marker_id for m in markers]


def test_markers_in_a_box_edges_included_exactly(register) -> None:
    store = register
    assert _ids(store.query_markers(bbox=(114.0, 33.0, 114.05, 33.1))) == [
        f"{SHARED}-001Q", f"{SHARED}-002Q",
    ]  # fmt: skip
    assert _ids(store.query_markers(bbox=(114.0500001, 33.0, 114.1, 33.1))) == []  # 1 cm east
    assert _ids(store.query_markers(bbox=(114.2, 33.0, 114.3, 33.1), line_id=INNER)) == [
        f"{INNER}-001Q", f"{INNER}-002Q",
    ]  # fmt: skip
    store.retire_marker(f"{SHARED}-002Q", actor="t", reason="移位")
    assert len(store.query_markers(bbox=(114.0, 33.0, 114.05, 33.1))) == 1
    assert len(store.query_markers(bbox=(114.0, 33.0, 114.05, 33.1), include_retired=True)) == 2
    with pytest.raises(ValidationError) as caught:
        store.query_markers(bbox=(114.1, 33.0, 114.0, 33.1))
    assert caught.value.problems[0].field == "bbox"


def test_markers_inside_a_division_are_those_in_its_polygon(register) -> None:
    store = register
    on_edge = [f"{SHARED}-001Q", f"{SHARED}-002Q"]
    assert _ids(store.query_markers(inside_division=WEST)) == on_edge
    assert _ids(store.query_markers(inside_division=EAST)) == on_edge
    # in the triangle's extent (the R-tree's candidate) but not in the triangle: left out
    assert _ids(store.query_markers(inside_division=TRIANGLE)) == [f"{INNER}-001Q"]
    found = store.query_markers(inside_division=TRIANGLE, line_ids=[INNER, FAR])
    assert found[0].location.equals(Point(114.22, 33.02))
    assert store.query_markers(inside_division=WEST, line_id=INNER) == []
    for code in (BARE, "419999"):  # no polygon, no such division
        with pytest.raises(ValidationError) as caught:
            store.query_markers(inside_division=code)
        assert caught.value.problems[0].field == "inside_division"


def test_lines_in_a_box_and_inside_a_division(register) -> None:
    store = register
    lines = store.query_boundary_lines(bbox=(114.0, 33.0, 114.05, 33.0), with_geometry=False)
    assert [x.line_id for x in lines] == [SHARED] and lines[0].geometry is None
    assert [x.line_id for x in store.query_boundary_lines(bbox=(114.1, 33.0, 114.3, 33.1))] == [
        INNER
    ]
    inside = store.query_boundary_lines(inside_division=TRIANGLE, with_geometry=False)
    assert [(x.line_id, x.geometry) for x in inside] == [(INNER, None)]
    assert [x.line_id for x in store.query_boundary_lines(inside_division=EAST)] == [SHARED]
    assert store.query_boundary_lines(inside_division=EAST, level="province") == []
    with pytest.raises(ValidationError):
        store.query_boundary_lines(inside_division=BARE)


def test_markers_of_many_lines_in_order(any_store) -> None:
    """More lines than one ``IN`` list takes: read slice by slice, in the query's order."""
    line_ids = [f"4117{i:02d}-4118{i:02d}" for i in range(1, 13)]
    many = [f"4199{i:02d}-4199{i + 1:02d}" for i in range(0, 99)] * 6  # repeated, unknown
    any_store.add_markers(
        [_marker(line_id, s, 114.0 + s / 100, 33.0) for line_id in line_ids for s in (2, 1)],
        actor="t",
    )
    wanted = [*reversed(line_ids[::2]), *many]
    found = any_store.query_markers(line_ids=wanted)
    assert _ids(found) == [f"{x}-{s:03d}Q" for x in sorted(line_ids[::2]) for s in (1, 2)]
    assert any_store.query_markers(line_ids=[]) == []
    assert len(any_store.query_markers(line_ids=iter(line_ids))) == 24


def test_divisions_meeting_an_area(register) -> None:
    """:meth:`Divisions.meeting`: the spatial index's candidates, decided exactly."""
    from geociv.divisions import Divisions

    corner = box(114.27, 33.07, 114.29, 33.09)  # in the triangle's extent, not in the triangle
    assert list(Divisions(register).meeting(corner, level="county")["code"]) == []
    edge = box(114.04, 33.02, 114.06, 33.03).union(box(114.22, 33.01, 114.23, 33.02))
    assert list(Divisions(register).meeting(edge)["code"]) == [WEST, EAST, TRIANGLE]


# -- the index answers, whatever the store's size ------------------------------------------------
#: Markers generated for the plan tests: 60 lines × 60 markers, 0.005° apart.
_GRID = 60


def _grid_rows() -> list[tuple]:
    return [
        (encode(Point(113.0 + i * 0.005, 32.0 + j * 0.005), 4490), f"L{i:03d}-{j + 1:03d}Q",
         f"L{i:03d}", j + 1)
        for i in range(_GRID)
        for j in range(_GRID)
    ]  # fmt: skip


def test_marker_filters_on_a_geopackage_use_its_indexes(tmp_path) -> None:
    from geociv.store import open_store

    store = open_store(tmp_path / "big.gpkg")
    try:
        bulk_insert(
            store,
            "INSERT INTO markers (geom, marker_id, line_id, serial, type_code, kind, status, "
            "created_by, created_at, updated_at) VALUES (?, ?, ?, ?, 'Q', 'single', "
            "'active', 't', '', '')",
            _grid_rows(),
        )
        conn = store._conn()
        with statements(conn) as ran:
            assert len(store.query_markers(bbox=(113.1, 32.1, 113.12, 32.12))) == 25
            assert len(store.query_markers(line_ids=["L007", "L010"])) == 2 * _GRID
        box_sql, lines_sql = [sql for sql in ran if " FROM markers " in sql]
        plan = sqlite_plan(conn, box_sql)
        assert "rtree_markers_geom" in plan and "SCAN markers" not in plan, plan
        plan = sqlite_plan(conn, lines_sql)
        assert "idx_markers_line" in plan and "SCAN markers" not in plan, plan
    finally:
        store.close()


def test_marker_filters_on_postgis_use_its_indexes(pg_dsn) -> None:
    from geociv.store._pg_geometry import region_filter
    from geociv.store.postgis import PostgisStore

    store = PostgisStore(pg_dsn)
    try:
        store.upsert_divisions(
            [Division(WEST, "县", "county", "411700", geometry=box(113.1, 32.1, 113.12, 32.12))],
            actor="t",
        )
        conn = store._conn()
        conn.execute(
            "INSERT INTO markers (geom, marker_id, line_id, serial, type_code, kind, status, "
            "created_by, created_at, updated_at) SELECT ST_SetSRID(ST_Point(113.0 + i * 0.005, "
            "32.0 + j * 0.005), 4490), 'L' || i || '-' || j, 'L' || i, j + 1, 'Q', 'single', "
            "'active', 't', '', '' FROM generate_series(0, %s) i, generate_series(0, %s) j",
            (4 * _GRID - 1, 4 * _GRID - 1),
        )
        conn.execute("ANALYZE markers")
        assert len(store.query_markers(inside_division=WEST)) == 25
        region = region_filter(conn, "markers", WEST)
        plan = pg_plan(conn, f"SELECT * FROM markers WHERE {region.sql}", region.args)
        assert "idx_markers_geom" in plan and "Seq Scan on markers" not in plan, plan
    finally:
        store.close()

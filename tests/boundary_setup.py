"""Shared set-up for the boundary tests: the Zhumadian county lines derived from the real demo
polygons, sample markers (示例) on them, and inspectors of both sides."""

from __future__ import annotations

import csv
import math
from typing import Any

import shapely
from shapely import MultiPolygon, Point, box

from geociv.auth import Users
from geociv.boundaries.markers import Markers
from geociv.boundaries.registry import BoundaryLines
from geociv.divisions import Divisions, division_record
from geociv.store import BoundaryLine, Division, Marker, Store
from tests.conftest import PASSWORD, ROOT

NEIGHBOUR_CITIES = {
    "410400": "平顶山市",
    "411100": "漯河市",
    "411300": "南阳市",
    "411500": "信阳市",
    "411600": "周口市",
    "341200": "阜阳市",
    "340000": "安徽省",
}

#: 西上线: 西平县 (411721, inspector1's county) — 上蔡县 (411722).
LINE = "411721-411722"
REFERENCES = [("电线杆", 45, 30.5), ("水井", 120, 18), ("大杨树", 300, 25)]


def derive_zhumadian(store: Store, *, on: str = "2026-01-05") -> BoundaryLines:
    """Store the lines between Zhumadian's county-level divisions."""
    lines = BoundaryLines(store)
    frame = Divisions(store).frame(parent="411700", level="county")
    lines.derive_from_divisions(frame, actor="admin1", on=on)
    return lines


def derive_with_neighbours(store: Store, *, on: str = "2026-01-05") -> BoundaryLines:
    """Load the 15 neighbouring county-level units of the demo data (with their cities) and
    store the lines of Zhumadian's counties among themselves and with the neighbours."""
    divisions = Divisions(store)
    divisions.load_records(
        [division_record(c, n) for c, n in NEIGHBOUR_CITIES.items()], actor="system"
    )
    boundaries = ROOT / "data" / "boundaries"
    divisions.load_polygons(boundaries / "zhumadian_neighbours.geojson", actor="system")
    with open(boundaries / "line_names.csv", encoding="utf-8") as f:
        official = {(r["left"], r["right"]): r["name"] for r in csv.DictReader(f)}
    own = set(divisions.frame(parent="411700", level="county")["code"])
    lines = BoundaryLines(store)
    lines.derive_from_divisions(
        divisions.frame(level="county"), actor="admin1", inside=own, official=official, on=on
    )
    return lines


def point_on(line: BoundaryLine, fraction: float) -> Point:
    """The point ``fraction`` of the way along a line."""
    p = shapely.line_interpolate_point(line.geometry, fraction, normalized=True)
    return Point(p.x, p.y)


def moved(point: Point, east_m: float = 0.0, north_m: float = 0.0) -> Point:
    """``point`` moved by metres east and north (spherical approximation, fine for tests)."""
    dlat = north_m / 111_320.0
    dlon = east_m / (111_320.0 * math.cos(math.radians(point.y)))
    return Point(point.x + dlon, point.y + dlat)


def off_line(line: BoundaryLine, fraction: float, metres: float) -> Point:
    """The point ``metres`` to the left of the line (negative: right), at ``fraction``."""
    a, b = point_on(line, max(fraction - 0.001, 0)), point_on(line, min(fraction + 0.001, 1))
    east = (b.x - a.x) * math.cos(math.radians(a.y))
    north = b.y - a.y
    norm = math.hypot(east, north)
    return moved(point_on(line, fraction), -north / norm * metres, east / norm * metres)


def register_samples(store: Store) -> list[Marker]:
    """Sample markers on 西上线: 001Q and 003Q on the line, the paired set 002A/002B 20 m to
    either side of it, all with three reference objects."""
    lines = BoundaryLines(store)
    line = lines.get(LINE)
    a, b = off_line(line, 0.5, 20), off_line(line, 0.5, -20)
    entries = [
        {"number": f"{LINE}-001Q", "lon": point_on(line, 0.2).x, "lat": point_on(line, 0.2).y},
        {"number": f"{LINE}-002A", "lon": a.x, "lat": a.y},
        {"number": f"{LINE}-002B", "lon": b.x, "lat": b.y},
        {"number": f"{LINE}-003Q", "lon": point_on(line, 0.8).x, "lat": point_on(line, 0.8).y},
    ]
    for e in entries:
        e.update(material="花岗岩", references=REFERENCES, registered_on="2021-05-10")
    return Markers(store).register_many(entries, actor="admin1", sample=True)


def add_inspector(store: Store, username: str, division_code: str, role: str = "inspector"):
    """Create a user (the demo accounts are in conftest)."""
    return Users(store).add(
        username, PASSWORD, role=role, division_code=division_code, actor="pytest"
    )


def records_read(owner: Any, method: str, key: str, monkeypatch) -> list[str]:
    """The ``key`` of every record that ``owner.method`` hands out from now on: ``owner`` is a
    store, or a store class (for the stores a command opens itself); the real method runs,
    wrapped to note what it returns — what a request read through the store API."""
    seen: list[str] = []
    real = getattr(owner, method)

    def counting(*args, **kwargs):
        found = real(*args, **kwargs)
        seen.extend(getattr(record, key) for record in found)
        return found

    monkeypatch.setattr(owner, method, counting)
    return seen


def add_far_county(store: Store) -> str:
    """Put a county far from Zhumadian in the store (道里区, Harbin, with a polygon and its
    province and city); return its code. A request about Zhumadian should never read it."""
    store.upsert_divisions(
        [division_record("230000", "黑龙江省"), division_record("230100", "哈尔滨市"),
         Division("230102", "道里区", "county", "230100", area_km2=1.0,
                  geometry=MultiPolygon([box(126.5, 45.7, 126.6, 45.8)]))],
        actor="t",
    )  # fmt: skip
    return "230102"

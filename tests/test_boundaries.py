"""Boundary lines and topology QA on the real Henan and Zhumadian polygons."""

from __future__ import annotations

import csv

import geopandas as gpd
import pytest
import shapely
from shapely import box

from geociv.boundaries.lines import abbreviation, derive_lines, line_level
from geociv.boundaries.topology import check_topology
from tests.conftest import OPEN_DATA, read_henan_divisions


@pytest.fixture(scope="module")
def henan() -> gpd.GeoDataFrame:
    frame = read_henan_divisions()
    return frame.rename(columns={"adcode": "code"})


@pytest.fixture(scope="module")
def names() -> dict[str, str]:
    out = {}
    for file in ("provinces_nbs.csv", "henan_cities_nbs.csv", "henan_counties_nbs.csv"):
        with open(OPEN_DATA / "admin-codes" / file, encoding="utf-8") as f:
            out.update({r["code"].ljust(6, "0"): r["name"] for r in csv.DictReader(f)})
    return out


def test_levels_and_abbreviations() -> None:
    assert line_level("411702", "411725") == "county"
    assert line_level("411702", "411602") == "city"
    assert line_level("411729", "341221") == "provincial"
    assert abbreviation("410000", "河南省") == "豫"
    assert abbreviation("341200", "阜阳市") == "阜"
    assert abbreviation("411700", "驻马店市", {"411700": "马"}) == "马"


def test_zhumadian_lines_from_the_real_polygons(henan, names) -> None:
    counties = henan[henan["level"] == "county"].reset_index(drop=True)
    own = {c for c in counties["code"] if c.startswith("4117")}
    lines = derive_lines(counties, names=names, inside=own)
    assert set(lines["left"]) <= own  # the jurisdiction's side first
    internal = lines[lines["internal"]]
    assert set(internal["level"]) == {"county"}
    assert "驿确线" in set(internal["name"]) and "驿遂线" in set(internal["name"])
    outer = lines[~lines["internal"]]
    city_lines = set(outer.loc[outer["level"] == "city", "name"])
    assert {"周驻线", "信驻线", "南驻线", "漯驻线", "平驻线"} <= city_lines
    # the Henan file has no Anhui: the eastern edge has one side only
    assert set(outer.loc[outer["level"] == "edge", "left"]) == {"411723", "411729"}
    # lines are split at tri-junctions: no line touches a third county's polygon interior
    for row in internal.itertuples():
        assert row.geometry.geom_type == "LineString" and row.length_km > 0
    total = lines.groupby("level")["length_km"].sum()
    assert 600 < total["city"] < 900  # Zhumadian's city boundary with its Henan neighbours


def test_same_lines_as_the_overlay_method(henan) -> None:
    counties = henan[henan["level"] == "county"].reset_index(drop=True)
    ours = derive_lines(counties, include_edge=False)
    geoms = counties.geometry.values
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    shared = shapely.intersection(
        shapely.boundary(geoms[left[keep]]), shapely.boundary(geoms[right[keep]])
    )
    from geociv.crs import length_km

    overlay_km = float(length_km(shared, crs="EPSG:4490").sum())
    assert ours["length_km"].sum() == pytest.approx(overlay_km, rel=1e-6)
    assert len(ours) == 422


def test_henan_topology_is_clean(henan) -> None:
    for level in ("county", "city"):
        report = check_topology(henan[henan["level"] == level].reset_index(drop=True))
        assert report.clean, report.summary()
    # the one hole inside 浉河区 is filled by Hubei's 随县 in the national data: information only
    county_report = check_topology(henan[henan["level"] == "county"].reset_index(drop=True))
    assert [h.codes for h in county_report.holes] == [("411502",)]


def test_topology_finds_overlap_gap_invalid_and_duplicate_edge() -> None:
    frame = gpd.GeoDataFrame(
        {"code": ["A", "B", "C", "D", "E"]},
        geometry=[
            box(114.0, 33.0, 114.1, 33.1),
            box(114.09, 33.0, 114.2, 33.1),  # overlaps A by 0.01°
            box(114.0, 32.9, 114.1, 33.0),
            shapely.Polygon(
                [(114.3, 33.0), (114.4, 33.1), (114.4, 33.0), (114.3, 33.1)]
            ),  # bow tie
            box(114.0, 32.9, 114.1, 33.0),  # same as C
        ],
        crs="EPSG:4490",
    )
    report = check_topology(frame)
    kinds = report.counts()
    assert kinds.get("invalid") == 1 and kinds.get("overlap", 0) >= 1
    assert kinds.get("multi_owner", 0) >= 1
    overlap = next(i for i in report.issues if i.kind == "overlap")
    assert set(overlap.codes) >= {"A", "B"} and overlap.size > 1e6
    assert report.frame().crs.to_epsg() == 4490


def _zhumadian(henan) -> tuple[gpd.GeoDataFrame, shapely.Geometry]:
    counties = henan[(henan["level"] == "county") & henan["code"].str.startswith("4117")]
    city = henan.loc[henan["code"] == "411700", "geometry"].iloc[0]
    return counties.reset_index(drop=True), city


def test_a_gap_reaching_the_city_edge_is_found_against_the_city_outline(henan) -> None:
    counties, city = _zhumadian(henan)
    shrunk = counties.copy()
    queshan = shrunk.index[shrunk["code"] == "411725"][0]
    shrunk.loc[queshan, "geometry"] = (
        shrunk.loc[[queshan]].to_crs("EPSG:4547").buffer(-200).to_crs("EPSG:4490").iloc[0]
    )
    assert check_topology(shrunk).clean  # the gap is open to the outside: no face closes it
    report = check_topology(shrunk, parent=city, parent_code="411700")
    assert report.counts() == {"gap": 1}
    gap = report.issues[0]
    # a 200 m strip round 确山县, whose outline is some 230 km long
    assert 40e6 < gap.size < 50e6 and "411725" in gap.codes
    assert gap.geometry.intersects(city.boundary)
    assert gap.message.startswith("45.5")
    assert "在 411700 范围内、达其边界处未被任何区划覆盖（约 113." in gap.message
    where = shapely.point_on_surface(gap.geometry)
    assert not shrunk.geometry.contains(where).any() and city.contains(where)


def test_units_reaching_outside_their_parent_are_reported(henan) -> None:
    counties, city = _zhumadian(henan)
    grown = counties.copy()
    xinping = grown.index[grown["code"] == "411729"][0]  # 新蔡县, on the Anhui border
    grown.loc[xinping, "geometry"] = (
        grown.loc[[xinping]].to_crs("EPSG:4547").buffer(300).to_crs("EPSG:4490").iloc[0]
    )
    report = check_topology(grown, parent=city, parent_code="411700")
    outside = [i for i in report.issues if i.kind == "outside"]
    assert len(outside) >= 1 and all(i.codes == ("411729",) for i in outside)
    assert "超出 411700 的范围" in outside[0].message


def test_every_henan_city_is_exactly_covered_by_its_counties(henan) -> None:
    for city in henan[henan["level"] == "city"].itertuples():
        counties = henan[(henan["level"] == "county") & henan["code"].str.startswith(city.code[:4])]
        report = check_topology(
            counties.reset_index(drop=True), parent=city.geometry, parent_code=city.code
        )
        assert report.clean, (city.code, report.summary())

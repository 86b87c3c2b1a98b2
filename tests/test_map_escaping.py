"""Stored XSS (issue 9, defect 8): names that reach a map's tooltips and popups are escaped in
the one place that builds them (``web.maps.interactive_geojson`` and ``web.maps.map_text``)."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geociv.coverage.facilities import Facilities
from geociv.coverage.service import Coverage
from geociv.demo import main_urban_area
from web.coverage_export import standalone_map_html
from web.maps import division_map

EVIL = '<img src=x onerror="window.__xss=(window.__xss||0)+1">'
WEB = Path(__file__).resolve().parent.parent / "web"


@pytest.fixture
def evil_export(demo_store) -> str:
    """The exported coverage map of a run whose zone and first facility carry markup names."""
    aoi = main_urban_area()
    west, south, east, north = aoi.geometry.iloc[0].bounds
    zones = gpd.GeoDataFrame(
        {"code": ["Z1", "Z2"], "name": [EVIL, "安全片"]},
        geometry=[
            shapely.box(west, south, (west + east) / 2, north),
            shapely.box((west + east) / 2, south, east, north),
        ],
        crs="EPSG:4490",
    )
    result = Coverage(demo_store).run(
        "rental_station", actor="planner1", aoi=aoi, aoi_name=EVIL, zones=zones
    )
    facilities = Facilities(demo_store).frame()
    facilities.loc[facilities.index[0], "name"] = EVIL
    return standalone_map_html(result, facilities)


def _unescaped_json(page: str) -> str:
    """The page with Jinja's ``tojson`` escapes undone, as the browser's JSON parser sees it."""
    for code, char in (("003c", "<"), ("003e", ">"), ("0026", "&"), ("0027", "'")):
        page = page.replace(f"\\u{code}", char)
    return page


def test_exported_map_holds_no_markup_from_names(evil_export: str) -> None:
    data = _unescaped_json(evil_export)
    assert "<img src=x" not in data
    assert "&lt;img src=x onerror" in data  # shown as text


def test_home_map_escapes_division_names() -> None:
    square = shapely.box(114.0, 33.0, 114.1, 33.1)
    city = gpd.GeoDataFrame({"code": ["411700"], "name": ["驻马店市"]}, geometry=[square], crs=4490)
    counties = gpd.GeoDataFrame(
        {"code": ["411702"], "name": [EVIL], "area_km2": [1.0]}, geometry=[square], crs=4490
    )
    page = _unescaped_json(division_map(city, counties).get_root().render())
    assert "<img src=x" not in page and "&lt;img src=x" in page


def test_popups_and_tooltips_are_built_in_one_place() -> None:
    """Every GeoJSON tooltip/popup goes through interactive_geojson; no copy of the escape."""
    offenders = []
    for path in WEB.rglob("*.py"):
        if path.name == "maps.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"GeoJson(Tooltip|Popup)\(|html\.escape\(str\(value\)\)\.replace", text):
            offenders.append(path.name)
    assert offenders == []


@pytest.mark.browser
def test_markup_names_do_not_run_in_the_browser(evil_export: str, browser, tmp_path) -> None:
    path = tmp_path / "map.html"
    path.write_text(evil_export, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(path.as_uri())
    page.wait_for_selector(".leaflet-zones-pane path.leaflet-interactive")
    # hover every zone (tooltips) and click every facility (popups)
    for zone in page.locator(".leaflet-zones-pane path.leaflet-interactive").all():
        zone.hover(force=True)
    for point in page.locator(".leaflet-points-pane path.leaflet-interactive").all():
        point.click(force=True)
        page.wait_for_timeout(50)
    labels = page.locator(".division-label").all_inner_texts()
    assert EVIL in labels  # the zone label shows the name as text
    assert page.evaluate("window.__xss === undefined")
    page.close()

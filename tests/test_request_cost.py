"""Work a read request does not repeat (issue 11, throughput with cores).

Under load each worker's CPU per request bounds the throughput; these tests pin the work
that is done once per change of the data (or once per process) instead of on every request.
They count calls on the real store and compare real answers, not wall time.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

import pytest

from geociv.divisions import division_record
from tests.conftest import login

#: Store methods that read divisions.
DIVISION_READS = ("query_divisions", "get_division", "count_divisions")


@pytest.fixture
def division_reads(app, monkeypatch) -> Counter:
    """Calls of the store's division reads from now on, by method."""
    store = app.extensions["geociv_store"]
    calls: Counter = Counter()
    for method in DIVISION_READS:
        real = getattr(store, method)

        def counting(*args, _real=real, _method=method, **kwargs):
            calls[_method] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(store, method, counting)
    return calls


def _figures(page: str) -> list[str]:
    return re.findall(r"<b(?: id=\"count-county\")?>(\d+)</b>", page)


def test_home_page_reads_no_division_again_until_one_changes(app, client, division_reads):
    login(client, "officer1")
    first = client.get("/").get_data(as_text=True)
    before = sum(division_reads.values())
    assert before > 0
    assert client.get("/").get_data(as_text=True) == first
    assert sum(division_reads.values()) == before, division_reads  # nothing read again
    store = app.extensions["geociv_store"]
    county = store.get_division("411702")
    store.upsert_divisions(
        [replace(county, name="驿城试验区"), division_record("411702999", "试验街道")],
        actor="system",
    )
    page = client.get("/").get_data(as_text=True)
    table = page[page.index('id="county-table"') :]
    assert "<td>驿城试验区</td>" in table
    township_before, township_after = _figures(first)[1], _figures(page)[1]
    assert int(township_after) == int(township_before) + 1


def test_home_page_county_without_area_shows_a_dash(app, client):
    store = app.extensions["geociv_store"]
    county = store.get_division("411721")
    store.upsert_divisions([replace(county, area_km2=None)], actor="system")
    login(client, "officer1")
    page = client.get("/").get_data(as_text=True)
    row = re.search(r"<tr><td>[^<]*</td><td>411721</td><td class=\"num\">([^<]*)</td>", page)
    assert row is not None and row.group(1) == "—"


@pytest.fixture
def python_geojson(monkeypatch) -> Counter:
    """Calls of ``shapely.geometry.mapping`` (GeoJSON built vertex by vertex in Python), by
    geometry type, from now on."""
    import shapely.geometry

    import web.blueprints.api
    import web.geojson

    calls: Counter = Counter()
    real = shapely.geometry.mapping

    def counting(geometry):
        calls[geometry.geom_type] += 1
        return real(geometry)

    monkeypatch.setattr(shapely.geometry, "mapping", counting)
    for module in (web.geojson, web.blueprints.api):  # modules that imported it by name
        monkeypatch.setattr(module, "mapping", counting, raising=False)
    return calls


def test_division_geojson_is_written_by_geos_with_the_same_coordinates(app, client, python_geojson):
    import json

    from shapely.geometry import mapping

    store = app.extensions["geociv_store"]
    one = client.get("/api/divisions/411702")
    many = client.get("/api/divisions?parent=411700&level=county")
    assert one.status_code == many.status_code == 200
    assert one.mimetype == many.mimetype == "application/geo+json"
    assert not python_geojson, python_geojson  # no polygon walked in Python
    feature = one.get_json()
    county = store.get_division("411702")
    assert feature["geometry"] == json.loads(json.dumps(mapping(county.geometry)))
    assert feature["id"] == "411702" and feature["properties"]["name"] == county.name
    assert [a["adcode"] for a in feature["properties"]["ancestors"]] == ["410000", "411700"]
    features = many.get_json()["features"]
    assert many.get_json()["type"] == "FeatureCollection" and len(features) == 10
    for f in features:
        d = store.get_division(f["id"])
        assert f["geometry"] == json.loads(json.dumps(mapping(d.geometry))), d.code
        assert list(f) == ["type", "id", "properties", "geometry"]
    bare = client.get("/api/divisions?parent=411700&level=county&geometry=false").get_json()
    assert {f["geometry"] for f in bare["features"]} == {None}

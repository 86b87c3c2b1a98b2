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
    return re.findall(r"<b(?: id=\"count-[a-z]+\")?>(\d+)</b>", page)


def test_home_page_reads_no_division_again_until_one_changes(app, client, division_reads):
    login(client, "officer1")
    first = client.get("/").get_data(as_text=True)
    shown = re.findall(r"<tr><td>[^<]*</td><td>(\d+)</td>", first)
    assert len(shown) == int(_figures(first)[0]) == 10  # the counties, no statistical unit
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


@pytest.fixture
def cookie_checks(monkeypatch) -> list[str]:
    """Session cookie values whose signature was checked from now on (the real check)."""
    from itsdangerous import URLSafeTimedSerializer

    checked: list[str] = []
    real = URLSafeTimedSerializer.loads

    def counting(self, value, *args, **kwargs):
        checked.append(value)
        return real(self, value, *args, **kwargs)

    monkeypatch.setattr(URLSafeTimedSerializer, "loads", counting)
    return checked


def _session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_session_cookie_is_verified_once_per_process(client, cookie_checks):
    login(client, "officer1")
    cookie_checks.clear()
    for path in ("/api/names/search?q=zmd", "/", "/api/divisions/411702", "/") * 3:
        assert client.get(path).status_code == 200, path
    assert sorted(set(cookie_checks)) == sorted(cookie_checks)  # each value once
    assert 1 <= len(cookie_checks) <= 2  # the log-in's value, maybe one with a CSRF token


def test_an_altered_cookie_is_refused_after_the_genuine_one_was_kept(app, client):
    login(client, "officer1")
    assert client.get("/").status_code == 200  # the genuine value is kept
    genuine = _session_cookie(client)
    for altered in (genuine[:-2] + ("AA" if genuine[-2:] != "AA" else "BB"), genuine + "x"):
        other = app.test_client()
        other.set_cookie("session", altered)
        answer = other.get("/")
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    other = app.test_client()
    other.set_cookie("session", genuine)
    assert other.get("/").status_code == 200  # a copy of the genuine cookie still works


def test_a_kept_session_still_expires(app, client):
    import time
    from datetime import timedelta

    login(client, "officer1")
    assert client.get("/").status_code == 200  # kept
    app.permanent_session_lifetime = timedelta(seconds=1)
    time.sleep(2.1)
    answer = client.get("/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_a_kept_session_ends_at_log_out_for_copied_cookies_too(app, client):
    login(client, "officer1")
    assert client.get("/").status_code == 200
    copied = _session_cookie(client)
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").get_data(True))
    client.post("/logout", headers={"X-CSRFToken": token.group(1) if token else ""})
    other = app.test_client()
    other.set_cookie("session", copied)
    answer = other.get("/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_flashed_messages_are_not_shared_between_requests(app):
    from flask import flash, get_flashed_messages

    @app.get("/_flash_test")
    def _flash_test():
        flash("一次")
        return "ok"

    @app.get("/_flashes_test")
    def _flashes_test():
        return {"flashes": get_flashed_messages()}

    client = app.test_client()
    login(client, "officer1")
    client.get("/")
    client.get("/_flash_test")
    assert client.get("/_flashes_test").get_json()["flashes"] == ["一次"]
    assert client.get("/_flashes_test").get_json()["flashes"] == []

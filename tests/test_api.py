"""The JSON API: GeoJSON out, OpenAPI document, 400 with a JSON body for bad input."""

from __future__ import annotations

import io
import json

from openapi_spec_validator import validate

from geociv.demo import POLYGONS
from tests.conftest import login
from tests.test_divisions import COUNTIES


def test_counties_of_zhumadian_as_a_feature_collection(client) -> None:
    response = client.get("/api/divisions?parent=411700&level=county")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    body = response.get_json()
    assert body["type"] == "FeatureCollection"
    props = [f["properties"] for f in body["features"]]
    assert [p["name"] for p in props] == COUNTIES
    assert all(p["level"] == "county" and p["adcode"].startswith("4117") for p in props)
    assert all(900 < p["area_km2"] < 2500 for p in props)
    assert {f["geometry"]["type"] for f in body["features"]} == {"MultiPolygon"}
    lon, lat = body["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 113 < lon < 116 and 32 < lat < 34


def test_statistical_units_are_opt_in(client) -> None:
    url = "/api/divisions?parent=411700&level=county&include_statistical=true&geometry=false"
    names = [f["properties"]["name"] for f in client.get(url).get_json()["features"]]
    assert "河南驻马店经济开发区" in names and len(names) == 11


def test_townships_of_a_county_and_name_search(client) -> None:
    body = client.get("/api/divisions?parent=411702&geometry=false").get_json()
    assert len(body["features"]) == 21
    assert all(f["geometry"] is None for f in body["features"])
    found = client.get("/api/divisions?q=驿城").get_json()["features"]
    assert found[0]["properties"]["adcode"] == "411702"


def test_one_division_with_its_ancestors(client) -> None:
    feature = client.get("/api/divisions/411702001").get_json()
    assert [a["name"] for a in feature["properties"]["ancestors"]] == [
        "河南省",
        "驻马店市",
        "驿城区",
    ]


def test_bad_queries_get_400_with_a_json_body(client) -> None:
    response = client.get("/api/divisions?parent=41A700&level=district")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "查询参数有误"
    assert {p["field"] for p in body["problems"]} == {"parent", "level"}
    assert client.get("/api/divisions").status_code == 400
    assert client.get("/api/divisions/123").status_code == 400
    missing = client.get("/api/divisions/411799")
    assert missing.status_code == 404 and "411799" in missing.get_json()["error"]
    assert client.get("/api/nothing").get_json()["error"] == "页面不存在"


def test_openapi_document_is_valid_and_lists_the_endpoints(client) -> None:
    doc = client.get("/api/openapi.json").get_json()
    validate(doc)
    assert {"/api/divisions", "/api/divisions/{code}", "/api/divisions/import"} <= set(doc["paths"])
    assert {"/api/names/validate", "/api/names/search", "/api/pinyin"} <= set(doc["paths"])
    # every API route of the app is documented
    from flask import current_app

    with client.application.app_context():
        routes = {
            str(r.rule).replace("<", "{").replace(">", "}")
            for r in current_app.url_map.iter_rules()
            if str(r.rule).startswith("/api/")
        }
    assert routes == set(doc["paths"])


def _audit_count(app) -> int:
    return len(app.extensions["geociv_store"].audit_entries(limit=100_000))


def test_import_broken_geojson_is_400_and_changes_nothing(client, app) -> None:
    login(client, "admin1")
    before = _audit_count(app)
    upload = {"file": (io.BytesIO(b'{"type": "FeatureCollection", "features": [}'), "b.geojson")}
    response = client.post("/api/divisions/import", data=upload)
    assert response.status_code == 400
    body = response.get_json()
    assert "b.geojson" in body["error"] and body["problems"][0]["message"]
    assert _audit_count(app) == before


def test_import_with_a_bad_row_names_it(client, app) -> None:
    login(client, "admin1")
    data = json.loads(POLYGONS.read_text(encoding="utf-8"))
    data["features"][3]["properties"]["adcode"] = "41172X"
    upload = {"file": (io.BytesIO(json.dumps(data).encode()), "zmd.geojson")}
    before = _audit_count(app)
    response = client.post("/api/divisions/import", data=upload)
    assert response.status_code == 400
    assert response.get_json()["problems"] == [
        {
            "row": 4,
            "field": "adcode",
            "label": "区划代码",
            "message": "区划代码 '41172X' 应只含数字",
        }
    ]
    assert _audit_count(app) == before


def test_import_gcj02_declared_moves_the_polygons_and_audits(client, app) -> None:
    login(client, "admin1")
    upload = {"file": (io.BytesIO(POLYGONS.read_bytes()), "zmd.geojson"), "crs": "GCJ02"}
    response = client.post("/api/divisions/import", data=upload)
    assert response.status_code == 200
    assert response.get_json()["updated"] == 11
    entry = app.extensions["geociv_store"].audit_entries(entity="divisions", limit=1)[0]
    assert entry.actor == "admin1"
    assert entry.before["geometry"]["sha1"] != entry.after["geometry"]["sha1"]
    upload = {"file": (io.BytesIO(b"x"), "zmd.shp")}
    assert client.post("/api/divisions/import", data=upload).status_code == 400

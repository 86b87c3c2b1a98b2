"""Issue 10, "no traceback, ever" on the web: every GET route with a parameter in its URL,
filled with a value that names nothing, asked by a logged-in admin, answers a Chinese 404 —
never a 5xx. The routes come from the app's own route map, so a route added later is swept too.
"""

from __future__ import annotations

import io
import re

import pytest

from tests.conftest import login

#: A well-formed value that names nothing, by URL parameter (the rest: :data:`UNKNOWN`).
#: A division code must look like one (a malformed code is a 400, see test_api).
UNKNOWN_BY_PARAMETER = {"code": "419999", "fmt": "pdf", "round_no": "99"}
UNKNOWN = "98765"

#: Parameters that are not ids: a report's year is any year (one without inspections gives
#: an empty report); one out of range is bad input.
NOT_IDS = {"year": (400,)}

_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _get_rules(app) -> list:
    return sorted(
        (r for r in app.url_map.iter_rules() if "GET" in r.methods and r.arguments),
        key=lambda r: r.rule,
    )


def _unknown_url(app, rule) -> str:
    values = {name: UNKNOWN_BY_PARAMETER.get(name, UNKNOWN) for name in rule.arguments}
    if "year" in values:
        values["year"] = "98765"  # out of range
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def test_every_get_route_with_an_unknown_id_answers_a_chinese_404(app, client) -> None:
    assert login(client, "admin1").status_code == 302
    rules = _get_rules(app)
    assert len(rules) > 30  # the sweep really sees the route map
    wrong = []
    for rule in rules:
        url = _unknown_url(app, rule)
        response = client.get(url)
        text = response.get_data(as_text=True)
        expected = next((s for p, s in NOT_IDS.items() if p in rule.arguments), (404,))
        if response.status_code not in expected or not _CHINESE.search(text):
            wrong.append((url, response.status_code, text[-160:]))
    assert not wrong, "\n".join(map(str, wrong))


@pytest.mark.parametrize("path", ["/names/N9999999", "/api/names/N9999999"])
def test_unknown_name_record_is_a_404_naming_it(client, path: str) -> None:
    login(client, "officer1")
    response = client.get(path)
    assert response.status_code == 404
    assert "未找到地名 N9999999" in response.get_data(as_text=True)


def test_unknown_network_in_the_url_is_404_but_in_a_body_400(app, client) -> None:
    login(client, "planner1")
    edges = client.get("/api/coverage/networks/RN0099/edges")
    assert edges.status_code == 404 and "路网 RN0099 不存在" in edges.get_json()["error"] + str(
        edges.get_json()["problems"]
    )
    upload = {
        "file": (
            io.BytesIO("名称,类型,经度,纬度\n测试站,rental_station,114.02,32.98\n".encode()),
            "f.csv",
        ),
        "crs": "CGCS2000",
        "network_id": "RN0099",
    }
    body = client.post("/api/coverage/facilities/import", data=upload)
    assert body.status_code == 400, body.get_data(as_text=True)
    assert body.get_json()["problems"][0]["field"] == "network_id"

"""Gazetteer pages and JSON API through the Flask test client."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from geociv.auth import Users
from tests.conftest import PASSWORD, login


def test_validate_api_reports_every_finding(client) -> None:
    response = client.post(
        "/api/names/validate",
        json={"name": "驛城大厦广场", "category": "building", "division_code": "411702"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is False
    rules = {f["rule"] for f in body["findings"]}
    assert {"N4-TRADITIONAL", "N1-STACKED"} <= rules
    assert all(f["severity_label"] in ("错误", "警告", "提示") for f in body["findings"])


def test_validate_api_bad_input_is_400_json(client) -> None:
    response = client.post("/api/names/validate", json={"name": "人民路"})
    assert response.status_code == 400
    assert {p["field"] for p in response.get_json()["problems"]} == {"category", "division_code"}
    response = client.post("/api/names/validate", data="not json", content_type="application/json")
    assert response.status_code == 400
    response = client.post(
        "/api/names/validate",
        json={"name": "人民路", "category": "road", "division_code": "411799"},
    )
    assert response.status_code == 404 and "411799" in response.get_json()["error"]


def test_search_api_by_initials_and_pinyin(client) -> None:
    body = client.get("/api/names/search?q=zmd").get_json()
    top = body["results"][0]
    assert top["name"] == "驻马店市" and top["how"].startswith("initials")
    assert len(top["bbox"]) == 4
    assert client.get("/api/names/search?q=Bìyáng").get_json()["results"][0]["name"] == "泌阳县"
    within = client.get("/api/names/search?q=王庄村&within=411726").get_json()["results"]
    assert within and all(h["division_code"].startswith("411726") for h in within)
    assert client.get("/api/names/search?q=").status_code == 400
    assert client.get("/api/names/search?q=x&bbox=1,2,3").status_code == 400


def test_pinyin_api(client) -> None:
    body = client.get("/api/pinyin?name=泌阳县&category=county").get_json()
    assert body["pinyin"] == "Bìyáng Xiàn" and body["initials"] == "byx"
    assert body["uses_override"] is True
    assert client.get("/api/pinyin?name=经五路&category=road").get_json()["pinyin"] == "Jīng 5 Lù"
    assert client.get("/api/pinyin?name=x&category=nothing").status_code == 400


def test_name_record_api_with_former_names(client) -> None:
    body = client.get("/api/names/D411726").get_json()
    assert body["properties"]["name"] == "泌阳县" and body["properties"]["former_names"] == []
    assert client.get("/api/names/NOPE").status_code == 404


def test_add_name_needs_the_officer_role(client, app) -> None:
    payload = {"name": "天中大道", "category": "road", "division_code": "411702"}
    login(client, "planner1")
    assert client.post("/api/names", json=payload).status_code == 403
    client.post("/logout")
    login(client, "officer1")
    response = client.post("/api/names", json=payload)
    assert response.status_code == 201
    rec = response.get_json()["record"]["properties"]
    assert rec["pinyin"] == "Tiānzhōng Dàdào" and rec["status"] == "proposed"
    again = client.post("/api/names", json=payload)
    assert again.status_code == 400 and "N2-DUPLICATE" in again.get_json()["problems"][0]["message"]
    elsewhere = client.post("/api/names", json={**payload, "division_code": "411721"})
    assert elsewhere.status_code == 403 and "411721" in elsewhere.get_json()["error"]
    entry = app.extensions["geociv_store"].audit_entries(entity="names", limit=1)[0]
    assert entry.actor == "officer1"


def test_import_api_json_csv_xlsx_and_save(client, app) -> None:
    login(client, "officer1")
    text = "名称,类别,区划代码\n天中路,道路街巷,411702\n驛站路,road,411702\n".encode("gbk")
    body = client.post(
        "/api/names/import", data={"file": (io.BytesIO(text), "roads.csv")}
    ).get_json()
    assert body["summary"]["names"] == 2 and body["summary"]["blocked"] == 1
    assert body["reports"][1]["row"] == 3  # as Excel numbers it: the header is row 1
    xlsx = client.post(
        "/api/names/import?format=xlsx", data={"file": (io.BytesIO(text), "roads.csv")}
    )
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet["A1"].value == "行号" and sheet["B3"].value == "驛站路"
    csv_body = client.post(
        "/api/names/import?format=csv", data={"file": (io.BytesIO(text), "roads.csv")}
    ).data.decode("utf-8-sig")
    assert "N4-TRADITIONAL" in csv_body
    store = app.extensions["geociv_store"]
    before = len(store.query_names())
    refused = client.post(
        "/api/names/import?save=true", data={"file": (io.BytesIO(text), "roads.csv")}
    )
    assert refused.status_code == 400 and len(store.query_names()) == before
    good = "名称,类别,区划代码\n天中路,道路街巷,411702\n练江路,road,411702\n".encode("gbk")
    saved = client.post("/api/names/import?save=true", data={"file": (io.BytesIO(good), "g.csv")})
    assert saved.get_json()["saved"] == 2 and len(store.query_names()) == before + 2


def test_pages_check_import_record(client) -> None:
    login(client, "officer1")
    page = client.post(
        "/names/check",
        data={"name": "驛城大厦广场", "category": "building", "division_code": "411702"},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "不通过" in html and "N4-TRADITIONAL" in html
    accepted = client.post(
        "/names/accept", data={"name": "杜甫路", "rule": "N3-PERSON", "reason": "历史地名"}
    )
    assert accepted.status_code == 302
    text = "名称,类别,区划代码\n天中路,道路街巷,411702\n,road,411702\n".encode()
    page = client.post("/names/import", data={"file": (io.BytesIO(text), "r.csv")})
    html = page.get_data(as_text=True)
    assert "data:application/vnd.openxmlformats" in html and "N4-EMPTY" in html
    record = client.get("/names/D411726").get_data(as_text=True)
    assert "泌阳县" in record and "Bìyáng Xiàn" in record
    assert "names.load_divisions" in record  # its own audit history, not other records'
    assert "驿城区" not in record.split("修改记录")[1]
    assert "地名查询" in client.get("/names/").get_data(as_text=True)


def test_lists_page_officers_add_readings_and_terms(client) -> None:
    login(client, "planner1")
    assert "泌阳" in client.get("/names/lists").get_data(as_text=True)
    refused = client.post("/names/lists", data={"kind": "term", "list": "brand", "term": "蜜雪"})
    assert refused.status_code == 403
    client.post("/logout")
    login(client, "officer1")
    ok = client.post(
        "/names/lists",
        data={"kind": "reading", "word": "长庄", "pinyin": "chang2 zhuang1", "note": "当地读音"},
    )
    assert ok.status_code == 302
    bad = client.post("/names/lists", data={"kind": "reading", "word": "长庄", "pinyin": "x9"})
    assert bad.status_code == 400
    client.post("/names/lists", data={"kind": "term", "list": "brand", "term": "蜜雪"})
    html = client.get("/names/lists").get_data(as_text=True)
    assert "chang2 zhuang1" in html and "蜜雪（本地）" in html
    body = client.get("/api/pinyin?name=长庄路&category=road").get_json()
    assert body["pinyin"] == "Chángzhuāng Lù"


def test_officer_reviews_pinyin_and_sets_heritage(client, app) -> None:
    # 汝南县's name record belongs to the city (411700): a city officer reviews it.
    Users(app.extensions["geociv_store"]).add(
        "city_officer", PASSWORD, role="officer", division_code="411700", actor="system"
    )
    login(client, "city_officer")
    response = client.post(
        "/names/D411727/edit",
        data={
            "pinyin": "Rǔnán Xiàn",
            "heritage_level": "千年古县",
            "aliases": "汝南, 汝宁",
            "status": "published",
        },
    )
    assert response.status_code == 302
    rec = app.extensions["geociv_store"].get_name("D411727")
    assert rec.pinyin_reviewed and rec.heritage_level == "千年古县"
    assert rec.aliases == ("汝南", "汝宁")
    bad = client.post("/names/D411727/edit", data={"status": "deleted"}, follow_redirects=True)
    assert "未知状态" in bad.get_data(as_text=True)
    assert app.extensions["geociv_store"].get_name("D411727").status == "published"


def test_confirming_a_finding_keeps_the_report_it_confirms(client) -> None:
    """Issue 10: the confirm form of a name check used to come back to an empty check page."""
    login(client, "officer1")
    asked = {"name": "杜甫路", "category": "road", "division_code": "411702", "pinyin": ""}
    page = client.post("/names/check", data=asked).get_data(as_text=True)
    assert 'id="report"' in page and "N3-PERSON" in page and 'name="reason"' in page
    confirmed = client.post(
        "/names/accept", data={**asked, "rule": "N3-PERSON", "reason": "历史地名，沿用"}
    )
    assert confirmed.status_code == 302
    after = client.get(confirmed.headers["Location"])
    html = after.get_data(as_text=True)
    assert after.status_code == 200
    assert 'id="report"' in html and "杜甫路" in html
    assert "已确认：历史地名，沿用" in html  # the report shows the confirmation it just got
    assert 'value="杜甫路"' in html  # and the form still holds the name that was checked

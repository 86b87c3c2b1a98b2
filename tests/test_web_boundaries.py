"""The joint inspection (界线联检) in the browser's pages and the JSON API, through the Flask
test client on the real Zhumadian demo: lines derived with the neighbouring counties, sample
markers on 西上线, this year's plan with a team for each side. inspector1 is 西平县 (left side
of 西上线), inspector2 上蔡县 (right side), inspector3 确山县 (neither side)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely.affinity
import shapely.geometry

from geociv.boundaries.inspections import Inspections
from geociv.boundaries.markers import Markers, distance_m
from geociv.boundaries.registry import BoundaryLines
from geociv.boundaries.rounds import Rounds
from geociv.store import Store
from tests.boundary_field import Q1, prepare_field
from tests.boundary_setup import LINE, REFERENCES, moved, point_on, records_read
from tests.conftest import login
from tests.sample_files import png_bytes

PNG = png_bytes()
TODAY = date.today().isoformat()


def _text(response) -> str:
    page = response.get_data(as_text=True)
    page = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def _row(page: str, row_id: str) -> str:
    found = re.search(rf'<tr id="{re.escape(row_id)}".*?</tr>', page, re.S)
    assert found, row_id
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split())


@pytest.fixture
def field(app):
    """The app's store with lines, markers, plan and inspectors of both sides."""
    store: Store = app.extensions["geociv_store"]
    plan, markers = prepare_field(store)
    return store, plan, markers


def _check_form(plan, markers, **changes):
    """The field page's form for a check of 001Q found 12 m from its registered position."""
    where = moved(markers[Q1].location, 12)
    form = {
        "plan_id": str(plan.plan_id),
        "marker_id": Q1,
        "lon": f"{where.x:.7f}",
        "lat": f"{where.y:.7f}",
        "gps_accuracy_m": "3",
        "condition": "displaced",
        "ref_total": "3",
        "ref_ok": ["0", "1", "2"],
        "inspected_on": TODAY,
        "remarks": "桩体被挖出后移位",
        "sign": "1",
    }
    form.update(changes)
    return form


def _record_id(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"].rsplit("/", 1)[-1]


# -- the JSON API --------------------------------------------------------------------------------


def test_lines_api_is_geojson_with_names_lengths_levels_and_both_sides(client, field) -> None:
    assert client.get("/api/boundaries/lines").status_code == 401
    login(client, "planner1")
    response = client.get("/api/boundaries/lines?parent=411700&level=county")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    body = response.get_json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 18
    props = {f["properties"]["line_id"]: f["properties"] for f in body["features"]}
    xishang = props[LINE]
    assert (xishang["name"], xishang["section"], xishang["level"]) == ("西上线", "西平县—上蔡县",
                                                                        "county")  # fmt: skip
    assert (xishang["left"], xishang["right"]) == ("411721", "411722")
    assert xishang["internal"] is True and xishang["sample"] is False
    assert 20 < xishang["length_km"] < 80
    assert all(p["left"][:4] == p["right"][:4] == "4117" for p in props.values())
    geometry = body["features"][0]["geometry"]
    assert geometry["type"] == "MultiLineString"
    lon, lat = geometry["coordinates"][0][0]
    assert 113 < lon < 116 and 32 < lat < 34
    # the edge of the jurisdiction: city and provincial lines with the neighbours
    every = client.get("/api/boundaries/lines?parent=411700").get_json()["features"]
    levels = {f["properties"]["level"] for f in every}
    assert levels == {"county", "city", "provincial"} and len(every) == 42
    provincial = [f["properties"] for f in every if f["properties"]["level"] == "provincial"]
    assert {p["name"] for p in provincial} == {"豫皖线"}
    assert all(not p["internal"] and p["left"][:4] == "4117" for p in provincial)
    assert {p["right"] for p in provincial} == {"341221"}  # 临泉县, Anhui
    bad = client.get("/api/boundaries/lines?parent=41A700&level=district")
    assert bad.status_code == 400
    assert {p["field"] for p in bad.get_json()["problems"]} == {"parent", "level"}
    one = client.get(f"/api/boundaries/lines/{LINE}").get_json()
    assert one["properties"]["name"] == "西上线" and len(one["properties"]["markers"]) == 4
    assert [v["version"] for v in one["properties"]["versions"]] == [1]
    assert client.get("/api/boundaries/lines/411721-411799").status_code == 404


def test_the_two_side_sign_off_through_the_api(client, field) -> None:
    store, plan, markers = field
    login(client, "inspector1")
    where = moved(markers[Q1].location, 1.5)
    body = {
        "plan_id": plan.plan_id, "marker_id": Q1, "lon": where.x, "lat": where.y,
        "gps_accuracy_m": 2.5, "condition": "完好", "references_present": [True, True, False],
        "inspected_on": TODAY, "sign": True,
    }  # fmt: skip
    response = client.post("/api/boundaries/records", json=body)
    assert response.status_code == 201, response.get_json()
    record = response.get_json()
    rid = record["record_id"]
    assert record["status"] == "draft" and record["sample"] is True
    assert record["sides"]["left"]["signature"]["username"] == "inspector1"
    assert record["sides"]["right"]["name"] == "上蔡县" and record["waiting_for"] == ["right"]
    assert record["references_present"] == 2 and record["sign_refused"] is None
    # the same side again, a county on neither side, a planner, nobody logged in
    again = client.post(f"/api/boundaries/records/{rid}/sign", json={})
    assert again.status_code == 400
    problem = again.get_json()["problems"][0]
    assert problem["field"] == "signer" and "同一方不能再次签字" in problem["message"]
    login(client, "inspector3")
    other = client.post(f"/api/boundaries/records/{rid}/sign", json={})
    assert other.status_code == 400
    assert "不属于界线 西上线 的任何一侧" in other.get_data(as_text=True)
    login(client, "planner1")
    assert client.post(f"/api/boundaries/records/{rid}/sign", json={}).status_code == 403
    assert client.post("/api/boundaries/records", json=body).status_code == 403
    assert client.get(f"/api/boundaries/records/{rid}").get_json()["status"] == "draft"
    # the right side reads version 1 and signs: final
    login(client, "inspector2")
    pending = client.get("/api/boundaries/records?pending=true").get_json()["records"]
    assert [r["record_id"] for r in pending] == [rid]
    signed = client.post(f"/api/boundaries/records/{rid}/sign", json={"version": 1, "note": "同意"})
    assert signed.status_code == 200
    final = signed.get_json()
    assert final["status"] == "final" and final["status_label"] == "双方已签字"
    assert final["waiting_for"] == [] and final["sides"]["right"]["signature"]["note"] == "同意"
    # a final record cannot be corrected; nothing signed is lost
    refused = client.post(f"/api/boundaries/records/{rid}/correct",
                          json={"remarks": "改", "reason": "补记"})  # fmt: skip
    assert refused.status_code == 409 and "不能修改" in refused.get_json()["error"]
    assert Inspections(store).get(rid).remarks == ""
    # the missing reference object is a finding now that both sides have signed
    findings = client.get("/api/boundaries/findings?parent=411700").get_json()
    assert findings["type"] == "FeatureCollection"
    rules = {(f["properties"]["rule"], f["properties"]["marker_id"]) for f in findings["features"]}
    assert rules == {("B4-REFERENCES", Q1)}
    anonymous = client.application.test_client()
    assert anonymous.get(f"/api/boundaries/records/{rid}").status_code == 401
    assert anonymous.post(f"/api/boundaries/records/{rid}/sign", json={}).status_code == 401


def test_api_corrections_and_bad_input(client, field) -> None:
    store, plan, markers = field
    login(client, "inspector2")
    bad = client.post("/api/boundaries/records", json={
        "plan_id": plan.plan_id, "marker_id": Q1, "lon": "东经114", "lat": 33.3,
        "condition": "broken", "gps_accuracy_m": 3,
    })  # fmt: skip
    assert bad.status_code == 400
    assert {p["field"] for p in bad.get_json()["problems"]} == {"lon", "condition"}
    swapped = client.post("/api/boundaries/records", json={
        "plan_id": plan.plan_id, "marker_id": Q1, "lon": 33.3, "lat": 114.2,
        "condition": "intact", "gps_accuracy_m": 3,
    })  # fmt: skip
    assert swapped.status_code == 400
    assert [p["field"] for p in swapped.get_json()["problems"]] == ["location"]
    assert Inspections(store).query() == []
    where = markers[Q1].location
    made = client.post("/api/boundaries/records", json={
        "plan_id": plan.plan_id, "marker_id": Q1, "lon": where.x, "lat": where.y,
        "condition": "intact", "gps_accuracy_m": 3, "inspected_on": TODAY,
    }).get_json()  # fmt: skip
    rid = made["record_id"]
    assert made["signatures"] == [] and made["waiting_for"] == ["left", "right"]
    # before any signature: corrected in place; after one: a new version
    edited = client.post(f"/api/boundaries/records/{rid}/correct",
                         json={"remarks": "东侧有施工", "reason": "补记"}).get_json()  # fmt: skip
    assert (edited["version"], edited["remarks"]) == (1, "东侧有施工")
    client.post(f"/api/boundaries/records/{rid}/sign", json={})
    moved_by = moved(where, 0, 9)
    corrected = client.post(f"/api/boundaries/records/{rid}/correct", json={
        "lon": moved_by.x, "lat": moved_by.y, "condition": "displaced", "reason": "读数抄错",
    })  # fmt: skip
    assert corrected.status_code == 200
    body = corrected.get_json()
    assert body["version"] == 2 and body["signatures"] == []
    assert [v["status"] for v in body["versions"]] == ["superseded", "draft"]
    assert body["versions"][0]["signatures"][0]["username"] == "inspector2"
    stale = client.post(f"/api/boundaries/records/{rid}/sign", json={"version": 1})
    assert stale.status_code == 400 and "已被更正" in stale.get_data(as_text=True)
    no_reason = client.post(f"/api/boundaries/records/{rid}/correct", json={"remarks": "x"})
    assert no_reason.status_code == 400
    assert "reason" in {p["field"] for p in no_reason.get_json()["problems"]}
    assert client.get("/api/boundaries/records/I1999-0001").status_code == 404
    listed = client.get(f"/api/boundaries/records?line_id={LINE}").get_json()["records"]
    assert [(r["record_id"], r["version"]) for r in listed] == [(rid, 2)]
    assert client.get("/api/boundaries/records?status=open").status_code == 400


def _marker_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["界线", "编号", "经度", "纬度", "材质", "方位物"])
    writer.writerows(rows)
    return out.getvalue().encode("gbk")


def test_marker_import_through_the_api_is_all_or_nothing(client, field) -> None:
    store = field[0]
    line = BoundaryLines(store).get("411702-411725")  # 驿确线
    a, b = point_on(line, 0.3), point_on(line, 0.6)
    refs = "电线杆/45/30；水井/120/18；大树/300/25"
    good = [["驿确线", "001Q", f"{a.x:.7f}", f"{a.y:.7f}", "花岗岩", refs],
            ["驿确线", "002Q", f"{b.x:.7f}", f"{b.y:.7f}", "花岗岩", refs]]  # fmt: skip
    login(client, "planner1")
    upload = {"file": (io.BytesIO(_marker_csv(good)), "界桩登记表.csv")}
    assert client.post("/api/boundaries/markers/import", data=upload).status_code == 403
    login(client, "inspector1")  # 西平县: 驿确线 is not his line
    upload = {"file": (io.BytesIO(_marker_csv(good)), "界桩登记表.csv")}
    assert client.post("/api/boundaries/markers/import", data=upload).status_code == 403
    login(client, "inspector3")  # 确山县, one side of 驿确线
    bad = [*good, ["驿确线", "2Q", "114.1", "32.9", "", ""]]
    upload = {"file": (io.BytesIO(_marker_csv(bad)), "界桩登记表.csv")}
    response = client.post("/api/boundaries/markers/import", data=upload)
    assert response.status_code == 400
    problems = response.get_json()["problems"]
    assert problems[0]["row"] == 4 and problems[0]["field"] == "编号"
    assert store.query_markers(line_id="411702-411725") == []
    upload = {"file": (io.BytesIO(_marker_csv(good)), "界桩登记表.csv")}
    response = client.post("/api/boundaries/markers/import", data=upload)
    assert response.status_code == 201
    assert response.get_json() == {
        "imported": 2,
        "markers": ["411702-411725-001Q", "411702-411725-002Q"],
    }
    markers = client.get("/api/boundaries/markers?line_id=411702-411725").get_json()
    assert [f["properties"]["marker_id"] for f in markers["features"]] == [
        "411702-411725-001Q",
        "411702-411725-002Q",
    ]
    assert markers["features"][0]["properties"]["latest_check"] is None
    assert client.post("/api/boundaries/markers/import", data={}).status_code == 400


def test_lines_and_markers_api_cut_by_the_map_box(client, field) -> None:
    """``bbox`` keeps the lines and markers whose extent meets the map's box, as the unfiltered
    answer cut in Python would (the store's spatial index answers)."""
    _store, _plan, markers = field
    login(client, "planner1")
    q1 = markers[Q1].location
    box = (q1.x - 0.01, q1.y - 0.01, q1.x + 0.01, q1.y + 0.01)
    query = "bbox=" + ",".join(f"{v:.6f}" for v in box)
    every = client.get("/api/boundaries/lines?parent=411700").get_json()["features"]
    meets = [f["properties"]["line_id"] for f in every
             if shapely.box(*shapely.geometry.shape(f["geometry"]).bounds).intersects(
                 shapely.box(*box))]  # fmt: skip
    found = client.get(f"/api/boundaries/lines?parent=411700&{query}").get_json()["features"]
    assert [f["properties"]["line_id"] for f in found] == meets and LINE in meets
    assert len(meets) < len(every)
    body = client.get(f"/api/boundaries/markers?{query}").get_json()
    assert [f["properties"]["marker_id"] for f in body["features"]] == [Q1]
    far = client.get("/api/boundaries/markers?bbox=120,40,121,41").get_json()
    assert far["features"] == []
    bad = client.get("/api/boundaries/lines?parent=41A700&bbox=114,33,113,34")
    assert bad.status_code == 400
    assert {p["field"] for p in bad.get_json()["problems"]} == {"parent", "bbox"}
    bad = client.get("/api/boundaries/markers?bbox=114,33")
    assert bad.status_code == 400 and bad.get_json()["problems"][0]["field"] == "bbox"


# -- pages --------------------------------------------------------------------------------------


def test_the_map_shows_lines_markers_and_sample_labels_with_offline_assets(client, field) -> None:
    assert client.get("/boundaries/").status_code == 302  # to the log-in page
    login(client, "planner1")
    response = client.get("/boundaries/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "/vendor/leaflet/leaflet.js" in page and "cdn.jsdelivr" not in page
    assert "cdnjs" not in page and "unpkg" not in page
    assert page.count("L.circleMarker(") == 4  # the four sample markers, none checked yet
    assert "县级界线" in page and "市级界线" in page and "省级界线" in page
    row = _row(page, f"line-{LINE}")
    assert "西上线" in row and "西平县—上蔡县" in row and "4 示例" in row and "计划中" in row
    assert "未列入计划" in _row(page, "line-341221-411723")
    assert 'id="sample-note"' in page and 'id="count-lines">42<' in page
    assert "没有发现问题" in page
    assert "现场检查录入" not in page  # a planner does not enter checks
    assert 'href="/boundaries/check"' not in page
    assert client.get("/boundaries/check").status_code == 403


def test_a_phone_check_signed_by_both_sides_becomes_final_and_a_finding(client, field) -> None:
    store, plan, markers = field
    login(client, "inspector1")
    page = client.get("/boundaries/check").get_data(as_text=True)
    assert 'accept="image/*" capture="environment"' in page and "使用当前位置" in page
    assert 'name="viewport" content="width=device-width' in page
    assert all(label in page for label in ("完好", "损坏", "丢失", "移位", "掩埋", "字迹不清"))
    assert f'value="{plan.plan_id}" data-line="{LINE}" selected' in page  # the only own plan
    form = _check_form(plan, markers, ref_ok=["0", "1"], photo=(io.BytesIO(PNG), "现场.png"))
    response = client.post("/boundaries/check", data=form, content_type="multipart/form-data")
    rid = _record_id(response)
    record = Inspections(store).get(rid)
    assert record.condition == "displaced" and record.reference_checks == (True, True, False)
    assert distance_m(record.measured, markers[Q1].location) == pytest.approx(12, abs=0.1)
    assert record.signature("left").username == "inspector1" and record.status == "draft"
    shown = client.get(f"/boundaries/records/{rid}")
    text = _text(shown)
    assert "已以本方名义签字" in text and "等待 右侧（上蔡县） 签字确认" in text
    assert "待签字" in _row(shown.get_data(as_text=True), "side-right")
    assert "inspector1" in _row(shown.get_data(as_text=True), "side-left")
    assert "12.0 米" in text and "大杨树✗ 缺失" in text and "现场.png" in text
    photo = Inspections(store).photos(rid)[0]
    got = client.get(f"/boundaries/records/{rid}/photos/{photo.id}")
    assert got.status_code == 200 and got.data == PNG
    # the same side cannot sign twice: a clear message, nothing changes
    again = client.post(f"/boundaries/records/{rid}/sign", data={"version": "1"})
    assert again.status_code == 400
    assert "签字未被接受" in _text(again) and "同一方不能再次签字" in _text(again)
    # a county on neither side
    login(client, "inspector3")
    other = client.post(f"/boundaries/records/{rid}/sign", data={"version": "1"})
    assert other.status_code == 400 and "不属于界线 西上线 的任何一侧" in _text(other)
    # the other side sees it waiting and signs: final
    login(client, "inspector2")
    home = client.get("/boundaries/")
    assert f"/boundaries/records/{rid}" in _row_html(home, "pending")
    done = client.post(f"/boundaries/records/{rid}/sign", data={"version": "1"},
                       follow_redirects=True)  # fmt: skip
    text = _text(done)
    assert "双方已签字" in text and "不能再修改" in text
    assert 'id="sign-form"' not in done.get_data(as_text=True)
    assert Inspections(store).get(rid).is_final
    # the finding on the map page and in the list
    page = client.get("/boundaries/").get_data(as_text=True)
    rows = re.findall(r'<tr class="sev-(\w+)" data-rule="([\w-]+)">', page)
    assert ("error", "B5-DISPLACED") in rows and ("warning", "B4-REFERENCES") in rows
    assert "实测位置距登记位置 12.0 米（GPS 精度 3 米），超过允许的 5 米" in page
    assert "L.polyline(" in page  # the displacement drawn from registered to measured
    assert 'id="pending"' not in page
    # a final record is not corrected
    refused = client.post(f"/boundaries/records/{rid}/correct",
                          data={"remarks": "改", "reason": "补记"})  # fmt: skip
    assert refused.status_code == 400 and "不能修改" in _text(refused)


def _row_html(response, element_id: str) -> str:
    page = response.get_data(as_text=True)
    found = re.search(rf'id="{element_id}".*?</div>', page, re.S)
    assert found, element_id
    return found.group(0)


def test_the_field_page_names_every_bad_field_and_stores_nothing(client, field) -> None:
    store, plan, markers = field
    login(client, "inspector1")
    form = _check_form(plan, markers, lon="114,18", condition="", gps_accuracy_m="-2",
                       photo=(io.BytesIO(b""), "空.jpg"))  # fmt: skip
    response = client.post("/boundaries/check", data=form, content_type="multipart/form-data")
    assert response.status_code == 400
    text = _text(response)
    assert "照片有误" in text and "照片：" in text
    form.pop("photo")
    response = client.post("/boundaries/check", data=form)
    assert response.status_code == 400
    text = _text(response)
    assert "经度：" in text and "界桩状况：" in text and "（condition）" not in text
    assert "GPS 精度（米）：" in text
    page = response.get_data(as_text=True)
    assert 'value="114,18"' in page and "桩体被挖出后移位" in page  # what was typed stays
    assert Inspections(store).query() == []
    # a line check: changes along the line, every item checked
    bad = client.post("/boundaries/check/line", data={
        "line_plan_id": str(plan.plan_id), "change_type_0": "flood", "change_text_0": "",
    })  # fmt: skip
    assert bad.status_code == 400 and "界线变化：" in _text(bad)
    made = client.post("/boundaries/check/line", data={
        "line_plan_id": str(plan.plan_id), "line_inspected_on": TODAY,
        "change_type_0": "road", "change_text_0": "新修县道穿越界线 K12 处",
        "line_remarks": "其余无变化", "line_sign": "1",
    })  # fmt: skip
    rid = _record_id(made)
    text = _text(client.get(f"/boundaries/records/{rid}"))
    assert "道路变化：新修县道穿越界线 K12 处" in text and "界线检查" in text


def test_a_correction_after_one_signature_is_a_new_version_on_the_page(client, field) -> None:
    store, plan, markers = field
    login(client, "inspector2")
    rid = _record_id(
        client.post("/boundaries/check", data=_check_form(plan, markers, condition="intact"))
    )
    assert Inspections(store).get(rid).signature("right").username == "inspector2"
    login(client, "inspector1")
    page = client.get(f"/boundaries/records/{rid}").get_data(as_text=True)
    assert "更正将生成第 2 版" in page
    record = Inspections(store).get(rid)
    unchanged = {
        "inspected_on": record.inspected_on, "condition": "displaced",
        "lon": f"{record.measured.x:.7f}", "lat": f"{record.measured.y:.7f}",
        "gps_accuracy_m": "3", "references_present": "3", "remarks": record.remarks,
        "reason": "状况应为移位",
    }  # fmt: skip
    response = client.post(f"/boundaries/records/{rid}/correct", data=unchanged,
                           follow_redirects=True)  # fmt: skip
    assert response.status_code == 200
    text = _text(response)
    assert "已更正为第 2 版" in text and "第 1 版 · 已被更正" in text
    v1, v2 = Inspections(store).versions(rid)
    assert (v1.status, v1.condition, v2.status, v2.condition) == (
        "superseded", "intact", "draft", "displaced",
    )  # fmt: skip
    assert v2.signatures == () and v2.measured.equals(v1.measured)
    empty = client.post(f"/boundaries/records/{rid}/correct", data={**unchanged, "reason": ""})
    assert empty.status_code == 400 and "更正原因：" in _text(empty)


def test_line_page_rounds_and_overdue_plans(client, field) -> None:
    store, plan, _markers = field
    rounds = Rounds(store)
    rounds.open(5, 2021, actor="admin1")
    late = rounds.plan(5, "411702-411725", 2024, left_team=("411702", ["赵六"]),
                       right_team=("411725", ["钱七"]), actor="admin1")  # fmt: skip
    login(client, "planner1")
    page = client.get(f"/boundaries/lines/{LINE}").get_data(as_text=True)
    assert "西平县（411721）" in page and "上蔡县（411722）" in page
    assert "张三、李四" in page and "王五" in page
    assert "计划中" in _row(page, f"plan-{plan.plan_id}")
    assert "411721-411722-002A" in _row(page, "marker-411721-411722-002A")
    assert "尚未检查" in _row(page, "marker-411721-411722-001Q")
    assert "第 1 版" in page and "由区划面推算" in page
    assert client.get("/boundaries/lines/411721-411799").status_code == 404
    current = client.get("/boundaries/rounds").get_data(as_text=True)
    assert "第6轮界线联检" in current and _row(current, f"plan-{plan.plan_id}").count("计划中") == 1
    assert 'id="not-inspected"' in current and "豫皖线" in current
    old = client.get("/boundaries/rounds?round=5").get_data(as_text=True)
    assert f'<tr id="plan-{late.plan_id}" class="overdue">' in old
    assert "逾期" in _row(old, f"plan-{late.plan_id}") and 'id="count-overdue">1<' in old
    assert client.get("/boundaries/rounds?round=9").status_code == 404


def test_reports_topology_and_exports(client, field, tmp_path: Path) -> None:
    login(client, "planner1")
    year = date.today().year
    page = client.get("/boundaries/reports").get_data(as_text=True)
    assert f"/boundaries/reports/annual/{year}" in page
    assert f"/boundaries/reports/annual/{year}.docx" in page
    assert "/boundaries/reports/round/6" in page
    assert (
        client.get(f"/boundaries/reports?year={year}")
        .headers["Location"]
        .endswith(f"/boundaries/reports/annual/{year}")
    )
    printable = client.get(f"/boundaries/reports/annual/{year}")
    assert printable.status_code == 200 and printable.mimetype == "text/html"
    assert "驻马店市" in printable.get_data(as_text=True)
    assert "data:image/png;base64," in printable.get_data(as_text=True)
    word = client.get(f"/boundaries/reports/annual/{year}.docx")
    assert word.status_code == 200 and word.data[:2] == b"PK"
    assert "wordprocessingml" in word.mimetype
    assert client.get("/boundaries/reports/round/6.docx").data[:2] == b"PK"
    assert client.get("/boundaries/reports/round/9").status_code == 404
    data = client.get(f"/api/boundaries/reports/annual/{year}").get_json()
    assert data["totals"]["lines"] == 42 and data["sample"] is True
    assert client.get(f"/api/boundaries/reports/annual/{year}?format=pdf").status_code == 400

    topology = client.get("/boundaries/topology")
    assert topology.status_code == 200 and "10 个区划，未发现拓扑问题" in _text(topology)
    assert client.get("/api/boundaries/topology").get_json()["clean"] is True

    for fmt, suffix in (("gpkg", "gpkg"), ("shp", "zip"), ("kml", "kml"), ("gpx", "gpx")):
        response = client.get(f"/boundaries/export.{fmt}")
        assert response.status_code == 200, fmt
        assert response.headers["Content-Disposition"].endswith(f".{suffix}")
        (tmp_path / f"out.{suffix}").write_bytes(response.data)
    layers = {name for name, _kind in pyogrio.list_layers(tmp_path / "out.gpkg")}
    assert layers == {"boundary_lines", "markers"}
    lines = pyogrio.read_dataframe(tmp_path / "out.gpkg", layer="boundary_lines")
    assert len(lines) == 42 and "西上线" in set(lines["name"])
    with zipfile.ZipFile(tmp_path / "out.zip") as zf:
        assert {"boundary_lines.shp", "markers.shp", "markers.cpg"} <= set(zf.namelist())
    gpx = (tmp_path / "out.gpx").read_text(encoding="utf-8")
    assert gpx.count("<wpt ") == 4 and Q1 in gpx and "<trk>" in gpx
    assert Q1 in (tmp_path / "out.kml").read_text(encoding="utf-8")
    assert client.get("/boundaries/export.pdf").status_code == 404


def test_marker_import_form_on_the_map_page(client, field) -> None:
    store = field[0]
    login(client, "inspector1")
    upload = {"file": (io.BytesIO(b"name,x\n1,2\n"), "wrong.csv")}
    response = client.post("/boundaries/markers/import", data=upload, follow_redirects=True)
    text = _text(response)
    assert "wrong.csv 缺少必需的列" in text and "编号" in text
    assert len(store.query_markers()) == 4


def test_topology_issues_are_listed_and_drawn(client, app) -> None:
    store: Store = app.extensions["geociv_store"]
    xiping = store.get_division("411721")
    moved_polygon = shapely.affinity.translate(xiping.geometry, xoff=0.003)  # about 280 m east
    store.upsert_divisions([replace(xiping, geometry=moved_polygon)], actor="admin1")
    login(client, "inspector1")
    response = client.get("/boundaries/topology")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    verdict = re.search(r'id="topology-verdict">(\d+) 项问题<', page)
    assert verdict and int(verdict.group(1)) >= 2
    rows = re.findall(r'<tr class="sev-error"><td class="nowrap">(\w+)</td>', page)
    assert {"重叠", "缝隙"} <= set(rows)
    assert "西平县（411721）" in page
    assert page.count("L.geoJson(") > 2  # counties plus the issues as a layer
    body = client.get("/api/boundaries/topology").get_json()
    assert body["clean"] is False and {"gap", "overlap"} <= set(body["counts"])
    assert body["issues"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon", "LineString")


def test_the_pages_work_before_any_line_is_derived(client) -> None:
    login(client, "inspector1")
    for url in ("/boundaries/", "/boundaries/check", "/boundaries/rounds", "/boundaries/reports",
                "/boundaries/topology"):  # fmt: skip
        assert client.get(url).status_code == 200, url
    assert "本轮还没有联检计划" in _text(client.get("/boundaries/check"))
    assert "还没有联检轮次" in _text(client.get("/boundaries/rounds"))
    assert client.get("/api/boundaries/lines").get_json()["features"] == []
    for fmt in ("gpkg", "shp", "kml", "gpx"):
        assert client.get(f"/boundaries/export.{fmt}").status_code == 200, fmt


def test_inspectors_plan_a_line_with_teams_and_others_cannot(client, field) -> None:
    store, plan, _markers = field
    login(client, "planner1")
    refused = client.post(f"/boundaries/rounds/{plan.round_no}/plans", data={"line_id": "x"})
    assert refused.status_code == 403
    client.post("/logout")
    login(client, "inspector1")
    line = BoundaryLines(store).get("411721-411728")  # 西遂线: 西平县 — 遂平县
    response = client.post(
        f"/boundaries/rounds/{plan.round_no}/plans",
        data={
            "line_id": line.line_id,
            "year": str(date.today().year),
            "kind": "regular",
            "left_team": "张三，李四",
            "right_team": "王五",
            "note": "汛后复查",
        },
    )
    assert response.status_code == 302
    plans = Rounds(store).plans(plan.round_no, line_id=line.line_id)
    assert len(plans) == 1
    assert plans[0].left_team.members == ("张三", "李四") and plans[0].right_team.code == "411728"
    page = client.get(f"/boundaries/rounds?round={plan.round_no}").get_data(as_text=True)
    assert f'id="plan-{plans[0].plan_id}"' in page and "张三、李四" in page
    again = client.post(
        f"/boundaries/rounds/{plan.round_no}/plans",
        data={"line_id": line.line_id, "year": str(date.today().year), "kind": "regular"},
        follow_redirects=True,
    )
    assert len(Rounds(store).plans(plan.round_no, line_id=line.line_id)) == 1
    assert "error" in again.get_data(as_text=True)


def test_the_check_page_reads_only_the_markers_of_the_planned_lines(
    client, field, monkeypatch
) -> None:
    store, _plan, markers = field
    other = BoundaryLines(store).get("411725-411726")  # in no plan
    Markers(store).register("001Q", point_on(other, 0.5), line=other.line_id, actor="t",
                            references=REFERENCES)  # fmt: skip
    login(client, "inspector1")
    seen = records_read(store, "query_markers", "marker_id", monkeypatch)
    page = client.get("/boundaries/check").get_data(as_text=True)
    assert sorted(seen) == sorted(markers) and f"{LINE}-001Q" in page
    assert f"{other.line_id}-001Q" not in page


def test_a_county_shrunk_away_from_the_city_edge_is_a_gap_on_the_page_and_api(client, app) -> None:
    store: Store = app.extensions["geociv_store"]
    queshan = store.get_division("411725")
    ring = gpd.GeoSeries([queshan.geometry], crs="EPSG:4490").to_crs("EPSG:4547")
    shrunk = ring.buffer(-200).to_crs("EPSG:4490").iloc[0]
    store.upsert_divisions([replace(queshan, geometry=shrunk)], actor="admin1")
    login(client, "inspector1")
    body = client.get("/api/boundaries/topology").get_json()
    assert body["clean"] is False and body["counts"] == {"gap": 1}
    gap = body["issues"][0]
    assert "411725" in gap["codes"] and 40e6 < gap["size"] < 50e6
    assert "在 411700 范围内、达其边界处未被任何区划覆盖" in gap["message"]
    page = client.get("/boundaries/topology").get_data(as_text=True)
    assert re.search(r'id="topology-verdict">1 项问题<', page)
    assert "达其边界处未被任何区划覆盖" in page

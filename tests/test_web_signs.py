"""Place-name sign pages and their JSON API through the Flask test client, on the real
Zhumadian demo store: rule 8 findings on the list and in the API, patrols clearing the patrol
finding, status changes (nothing deleted), roles and bad input."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest

from geociv.store import Store
from tests.conftest import login
from tests.sample_files import png_bytes

#: 风光路南段社区 (人民街街道, 驿城区) and its stored pinyin.
COMMUNITY = "D411702001002"
STANDARD = ("风光路南段社区", "Fēngguānglùnánduàn Shèqū")
SIGN = {
    "name_id": COMMUNITY,
    "sign_type": "village",
    "text": STANDARD[0],
    "pinyin": "Fengguanglu Nanduan Shequ",  # no tones, wrong word division
    "lon": "114.0236",
    "lat": "32.9862",
    "installed_on": "2024-04-01",
    "installer": "人民街街道办事处",
}
PNG = png_bytes()


def _store(app) -> Store:
    return app.extensions["geociv_store"]


def _text(response) -> str:
    html = response.get_data(as_text=True)
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _row(page: str, sign_id: str) -> str:
    """The list-table row of one sign, as text."""
    html = re.search(rf'<tr id="sign-{sign_id}".*?</tr>', page, re.S).group(0)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _register(client, **changes: str) -> str:
    response = client.post("/signs/new", data={**SIGN, **changes})
    assert response.status_code == 302, _text(response)
    return response.headers["Location"].rsplit("/", 1)[-1]


def test_wrong_pinyin_shows_on_the_list_and_in_the_api(client, app) -> None:
    login(client, "officer1")
    form = client.get("/signs/new").get_data(as_text=True)
    assert "查找地名" in form and "标志位置（CGCS2000 经纬度）" in form and "name-picker.js" in form
    response = client.post("/signs/new", data=SIGN, follow_redirects=True)
    assert response.status_code == 200
    flashed = _text(response)
    assert "已登记地名标志 S000001" in flashed and "N8-SIGN-PINYIN" in flashed
    sign_id = "S000001"

    page = client.get("/signs/").get_data(as_text=True)
    row = _row(page, sign_id)
    assert "N8-SIGN-PINYIN" in row and "拼写不同" in row
    assert f"标准拼音为“{STANDARD[1]}”" in row and "标志为“Fengguanglu Nanduan Shequ”" in row
    assert "N8-SIGN-PATROL" in row and "从未巡检" in row
    assert "N8-SIGN-TEXT" not in row
    assert 'id="count-N8-SIGN-PINYIN">1<' in page
    # the map: offline assets only, one marker per sign
    assert "/vendor/leaflet/leaflet.js" in page and "cdn.jsdelivr" not in page
    assert page.count("L.circleMarker(") == 1 and "[32.9862, 114.0236]" in page

    found = client.get("/api/signs/findings").get_json()
    rules = {(f["rule"], f["related"][0]) for f in found["findings"]}
    assert rules == {("N8-SIGN-PINYIN", sign_id), ("N8-SIGN-PATROL", sign_id)}
    pinyin = next(f for f in found["findings"] if f["rule"] == "N8-SIGN-PINYIN")
    assert pinyin["severity"] == "warning" and pinyin["related"] == [sign_id, COMMUNITY]
    assert found["count"] == 2 and found["patrol_days"] == 365

    signs = client.get("/api/signs")
    assert signs.mimetype == "application/geo+json"
    feature = signs.get_json()["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [114.0236, 32.9862]}
    props = feature["properties"]
    assert (props["sign_type_label"], props["status_label"]) == ("村牌", "在用")
    assert {f["rule"] for f in props["findings"]} == {"N8-SIGN-PINYIN", "N8-SIGN-PATROL"}


def test_text_differing_from_the_record_is_a_text_finding(client) -> None:
    login(client, "officer1")
    sign_id = _register(client, text="风光路南段小区", pinyin=STANDARD[1])
    row = _row(client.get("/signs/").get_data(as_text=True), sign_id)
    assert "N8-SIGN-TEXT" in row and "“风光路南段小区”与标准地名“风光路南段社区”不一致" in row
    assert "N8-SIGN-PINYIN" not in row
    page = _text(client.get(f"/signs/{sign_id}"))
    assert "汉字 风光路南段小区 风光路南段社区" in page and "N8-SIGN-TEXT" in page


def test_a_patrol_clears_the_patrol_finding(client, app) -> None:
    login(client, "officer1")
    sign_id = _register(client, pinyin=STANDARD[1])
    assert "N8-SIGN-PATROL" in _row(client.get("/signs/").get_data(as_text=True), sign_id)
    recent = (date.today() - timedelta(days=3)).isoformat()
    response = client.post(
        f"/signs/{sign_id}/patrols",
        data={
            "date": recent,
            "condition": "soiled",
            "remarks": "表面有小广告，已清理",
            "photo": (io.BytesIO(PNG), "现场.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, _text(response)
    row = _row(client.get("/signs/").get_data(as_text=True), sign_id)
    assert "N8-SIGN-PATROL" not in row and recent in row and "无问题" in row
    assert client.get("/api/signs/findings").get_json()["findings"] == []
    page = client.get(f"/signs/{sign_id}").get_data(as_text=True)
    assert "污损" in page and "表面有小广告，已清理" in page and "officer1" in page
    link = re.search(r'href="(/signs/[^"]+/photo)"', page).group(1)
    photo = client.get(link)
    assert photo.data == PNG and photo.mimetype == "image/png"
    assert photo.headers["Content-Disposition"].startswith("inline")
    page_photo = client.post(
        f"/signs/{sign_id}/patrols",
        data={"date": recent, "condition": "intact", "photo": (io.BytesIO(b"<script>"), "x.html")},
        content_type="multipart/form-data",
    )
    # an HTML page is not a photo: refused by content (defect 10), nothing stored
    assert page_photo.status_code == 400
    assert "JPEG、PNG 或 WebP" in page_photo.get_data(as_text=True)
    assert (
        len(re.findall(r'href="(/signs/[^"]+/photo)"', client.get(f"/signs/{sign_id}").text)) == 1
    )
    # a year later the patrol is stale again
    later = (date.today() + timedelta(days=400)).isoformat()
    stale = client.get(f"/api/signs/findings?today={later}").get_json()["findings"]
    assert [f["rule"] for f in stale] == ["N8-SIGN-PATROL"]
    assert "超过巡检周期 365 天" in stale[0]["message"]
    assert client.get("/api/signs/findings?patrol_days=1").get_json()["count"] == 1
    patrols = client.get(f"/api/signs/{sign_id}").get_json()["properties"]["patrols"]
    assert [(p["condition_label"], p["photo_filename"]) for p in patrols] == [("污损", "现场.png")]


def test_status_changes_keep_the_sign(client, app) -> None:
    login(client, "officer1")
    sign_id = _register(client)
    damaged = client.post(f"/signs/{sign_id}/status", data={"status": "damaged", "remarks": "被撞"})
    assert damaged.status_code == 302
    assert "损坏" in _text(client.get(f"/signs/{sign_id}"))
    client.post(f"/signs/{sign_id}/status", data={"status": "removed", "remarks": "道路改造"})
    page = client.get("/signs/").get_data(as_text=True)
    row = _row(page, sign_id)
    assert "已拆除" in row and "N8-" not in row  # kept, but no longer checked
    assert 'class="retired"' in page and page.count("L.circleMarker(") == 0
    assert client.get("/api/signs/findings").get_json()["findings"] == []
    sign = _store(app).get_sign(sign_id)
    assert (sign.status, sign.remarks) == ("removed", "道路改造")
    patrol = client.post(f"/signs/{sign_id}/patrols", data={"condition": "intact"})
    assert patrol.status_code == 400 and "已拆除，不能巡检" in _text(patrol)
    bad = client.post(f"/signs/{sign_id}/status", data={"status": "deleted"})
    assert bad.status_code == 400 and "状态：" in _text(bad)
    listed = client.get("/api/signs?include_removed=false").get_json()["features"]
    assert listed == []
    assert len(client.get("/api/signs").get_json()["features"]) == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"installed_on": "2024-13-01"}, "设置日期：", "不存在"),
        ({"name_id": "D411702999999"}, "地名记录：", "未找到地名记录 D411702999999"),
        ({"lon": "2.3522", "lat": "48.8566"}, "位置：", "不在中国境内"),
        ({"lon": "32.9862", "lat": "114.0236"}, "位置：", "经纬度可能颠倒"),
        ({"lon": "114,02"}, "经度：", "不是数字"),
        ({"lat": ""}, "纬度：", "不能为空"),
        ({"sign_type": "banner"}, "标志类型：", "未知的标志类型"),
        ({"text": " "}, "标志汉字：", "不能为空"),
    ],
)
def test_bad_sign_is_400_naming_the_field(client, app, changes, field, message) -> None:
    login(client, "officer1")
    response = client.post("/signs/new", data={**SIGN, **changes})
    assert response.status_code == 400
    text = _text(response)
    assert "地名标志登记有误" in text and field in text and message in text
    assert _store(app).query_signs() == []
    assert SIGN["installer"] in response.get_data(as_text=True)  # what was typed is kept


def test_every_problem_is_reported_at_once(client) -> None:
    login(client, "officer1")
    response = client.post(
        "/api/signs", json={**SIGN, "lon": "east", "name_id": "NOPE", "installed_on": "x"}
    )
    assert response.status_code == 400
    fields = [p["field"] for p in response.get_json()["problems"]]
    assert sorted(fields) == ["installed_on", "lon", "name_id"]  # no duplicate location problem


def test_api_register_patrol_and_bad_input(client, app) -> None:
    login(client, "officer1")
    created = client.post("/api/signs", json={**SIGN, "lon": 114.0236, "lat": 32.9862})
    assert created.status_code == 201
    feature = created.get_json()
    sign_id = feature["id"]
    assert {f["rule"] for f in feature["properties"]["findings"]} == {
        "N8-SIGN-PINYIN",
        "N8-SIGN-PATROL",
    }
    today = date.today().isoformat()
    patrol = client.post(f"/api/signs/{sign_id}/patrols", json={"condition": "完好"})
    assert patrol.status_code == 201
    assert (patrol.get_json()["patrolled_on"], patrol.get_json()["inspector"]) == (
        today,
        "officer1",
    )
    upload = {"condition": "intact", "date": today, "photo": (io.BytesIO(PNG), "p.png")}
    assert client.post(f"/api/signs/{sign_id}/patrols", data=upload).status_code == 201
    rules = [f["rule"] for f in client.get("/api/signs/findings").get_json()["findings"]]
    assert rules == ["N8-SIGN-PINYIN"]

    def problems(response) -> dict[str, str]:
        assert response.status_code == 400, response.get_json()
        return {p["field"]: p["message"] for p in response.get_json()["problems"]}

    swapped = problems(client.post("/api/signs", json={**SIGN, "lon": 32.98, "lat": 114.02}))
    assert "经纬度可能颠倒" in swapped["location"]
    outside = problems(client.post("/api/signs", json={**SIGN, "lon": 151.2, "lat": -33.9}))
    assert "不在中国境内" in outside["location"]
    assert "name_id" in problems(client.post("/api/signs", json={**SIGN, "name_id": "NOPE"}))
    bad_day = problems(
        client.post(f"/api/signs/{sign_id}/patrols", json={"condition": "intact", "date": "x"})
    )
    assert set(bad_day) == {"date"}
    early = problems(
        client.post(
            f"/api/signs/{sign_id}/patrols", json={"condition": "gone", "date": "2024-01-01"}
        )
    )
    assert set(early) == {"condition", "date"} and "早于设置日期" in early["date"]
    assert "patrol_days" in problems(client.get("/api/signs/findings?patrol_days=-1"))
    assert "today" in problems(client.get("/api/signs/findings?today=2025-02-30"))
    assert "status" in problems(client.get("/api/signs?status=gone"))
    missing = client.post("/api/signs/S999999/patrols", json={"condition": "intact"})
    assert missing.status_code == 404 and missing.get_json()["error"] == "未找到地名标志 S999999"
    assert client.get("/api/signs/S999999").status_code == 404
    removed = client.post(f"/api/signs/{sign_id}/status", json={"status": "removed"})
    assert removed.get_json()["properties"]["status"] == "removed"
    assert len(_store(app).query_signs()) == 1


def test_planner_is_refused_every_sign_write(client, app) -> None:
    login(client, "officer1")
    sign_id = _register(client)
    client.post("/logout")
    store = _store(app)
    before = len(store.audit_entries(entity="signs", limit=1000))
    login(client, "planner1")
    assert client.get("/signs/").status_code == 200
    assert client.get(f"/signs/{sign_id}").status_code == 200
    assert "记录巡检" not in _text(client.get(f"/signs/{sign_id}"))
    assert client.get("/signs/new").status_code == 403
    for url, data in (
        ("/signs/new", SIGN),
        (f"/signs/{sign_id}/patrols", {"condition": "intact"}),
        (f"/signs/{sign_id}/status", {"status": "removed"}),
    ):
        assert client.post(url, data=data).status_code == 403, url
    for url, body in (
        ("/api/signs", SIGN),
        (f"/api/signs/{sign_id}/patrols", {"condition": "intact"}),
        (f"/api/signs/{sign_id}/status", {"status": "removed"}),
    ):
        response = client.post(url, json=body)
        assert response.status_code == 403 and "无权访问" in response.get_json()["error"], url
    assert len(store.audit_entries(entity="signs", limit=1000)) == before
    assert store.patrols() == [] and store.get_sign(sign_id).status == "in_service"


def test_sign_text_cannot_break_out_of_the_map_script(client) -> None:
    login(client, "officer1")
    hostile = "风光路`${alert(1)}`</script><script>alert(2)</script>\\"
    assert client.post("/api/signs", json={**SIGN, "text": hostile}).status_code == 201
    page = client.get("/signs/").get_data(as_text=True)
    assert "<script>alert(2)" not in page
    scripts = "".join(re.findall(r"<script>(.*?)</script>", page, re.S))
    assert "L.circleMarker(" in scripts and "${alert(1)}" not in scripts
    assert scripts.count("&#36;{alert(1)}") == 3  # in the popup (twice) and the tooltip


def test_a_broken_or_missing_sign_on_patrol_is_a_finding_and_damaged(client, app) -> None:
    login(client, "officer1")
    page_sign = _register(client, pinyin=STANDARD[1])
    api_sign = _register(client, pinyin=STANDARD[1])
    day = (date.today() - timedelta(days=2)).isoformat()
    response = client.post(
        f"/signs/{page_sign}/patrols",
        data={"date": day, "condition": "broken", "remarks": "立柱折断"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert f"地名标志 {page_sign} 状态已改为“损坏”" in _text(response)
    listed = client.get("/signs/").get_data(as_text=True)
    row = _row(listed, page_sign)
    assert f"{day} 巡检发现标志破损（巡检人 officer1：立柱折断），须修复或更换" in row
    assert "N8-SIGN-CONDITION" in row and "损坏" in row
    assert re.search(r'id="count-N8-SIGN-CONDITION">1<', listed)
    assert (
        client.post(
            f"/api/signs/{api_sign}/patrols", json={"condition": "缺失", "date": day}
        ).status_code
        == 201
    )
    feature = client.get(f"/api/signs/{api_sign}").get_json()
    assert feature["properties"]["status"] == "damaged"
    assert [(f["rule"], f["severity"]) for f in feature["properties"]["findings"]] == [
        ("N8-SIGN-CONDITION", "warning")
    ]
    assert f"{day} 巡检发现标志缺失" in feature["properties"]["findings"][0]["message"]
    findings = client.get("/api/signs/findings").get_json()["findings"]
    assert sorted(f["related"][0] for f in findings) == sorted([page_sign, api_sign])
    assert {e.action for e in _store(app).audit_entries(entity="signs", key=api_sign)} == {
        "signs.add",
        "signs.patrol",
        "signs.update",
    }

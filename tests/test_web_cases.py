"""Naming/renaming case pages and their JSON API through the Flask test client, on the real
Zhumadian demo store: a renaming from application to entry into force, the review's blocks
(missing reports, heritage), the notice, overdue alerts, roles and bad input."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest

from geociv.gazetteer.cases import Cases
from geociv.gazetteer.names import Gazetteer
from geociv.store import Store
from tests.conftest import login

#: 风光路南段社区, a community of 人民街街道 (驿城区).
COMMUNITY = "D411702001002"
RENAMING = {
    "kind": "renaming",
    "name_id": COMMUNITY,
    "proposed_name": "风光路社区",
    "reason": "简化名称，便于群众记忆",
    "location": "人民街街道中部，风光路南段两侧",
    "applicant": "人民街街道办事处",
    "date": "2025-03-03",
}
REPORTS = {
    "assessment": "综合评估.pdf",
    "专家论证报告": "专家论证.pdf",  # a Chinese label works as the type too
    "consultation": "征求意见.pdf",
}


def _store(app) -> Store:
    return app.extensions["geociv_store"]


def _text(response) -> str:
    """The visible text of a page, whitespace collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _apply(client, **changes: str) -> str:
    response = client.post("/cases/new", data={**RENAMING, **changes})
    assert response.status_code == 302, _text(response)
    return response.headers["Location"].rsplit("/", 1)[-1]


def _upload(client, case_id: str, doc_type: str, filename: str, content: bytes = b"%PDF-1.7"):
    return client.post(
        f"/cases/{case_id}/documents",
        data={"doc_type": doc_type, "file": (io.BytesIO(content), filename), "note": "扫描件"},
        content_type="multipart/form-data",
    )


def _step(client, case_id: str, step: str, **data: str):
    return client.post(f"/cases/{case_id}/{step}", data=data)


def test_officer_renames_a_village_through_the_pages(client, app) -> None:
    store = _store(app)
    assert store.get_name(COMMUNITY).name == "风光路南段社区"
    login(client, "officer1")
    assert "新建申请" in _text(client.get("/cases/"))
    form = _text(client.get("/cases/new"))
    assert "命名申请" in form and "更名申请" in form and "查找地名" in form

    case_id = _apply(client)
    assert re.fullmatch(r"C2025-\d{4}", case_id)
    page = _text(client.get(f"/cases/{case_id}"))
    assert "风光路南段社区 → 风光路社区" in page and "已申请" in page
    assert "下一步：审核" in page and "缺少综合评估报告" in page

    for doc_type, filename in REPORTS.items():
        assert _upload(client, case_id, doc_type, filename, filename.encode()).status_code == 302
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "材料齐全" in page and page.count(f"/cases/{case_id}/documents/") == 3
    link = re.search(rf'href="(/cases/{case_id}/documents/\d+)">专家论证.pdf', page).group(1)
    download = client.get(link)
    assert download.data == "专家论证.pdf".encode()
    assert "attachment" in download.headers["Content-Disposition"]

    steps = [
        ("review", {"date": "2025-03-10", "note": "材料齐全"}),
        ("approve", {"date": "2025-03-20", "approving_body": "驿城区人民政府"}),
        ("file", {"date": "2025-03-25", "filed_with": "驻马店市民政局"}),
        ("publish", {"date": "2025-03-28"}),
        ("effective", {"date": "2025-04-01", "note": "录入地名库"}),
    ]
    for step, data in steps:
        response = _step(client, case_id, step, **data)
        assert response.status_code == 302, _text(response)
        if step == "approve":  # not renamed before it takes effect
            assert store.get_name(COMMUNITY).name == "风光路南段社区"
    page = _text(client.get(f"/cases/{case_id}"))
    assert "已生效" in page and "下一步" not in page
    for label, day in (("申请", "2025-03-03"), ("审核", "2025-03-10"), ("生效", "2025-04-01")):
        assert f"{label} {day} officer1" in page
    assert "材料齐全" in page and "驿城区人民政府" in page and "驻马店市民政局" in page

    record = store.get_name(COMMUNITY)
    assert (record.name, record.pinyin) == ("风光路社区", "Fēngguānglù Shèqū")
    names_page = client.get(f"/names/{COMMUNITY}").get_data(as_text=True)
    former = re.search(r'<table class="grid" id="former">.*?</table>', names_page, re.S).group(0)
    assert "风光路南段社区" in former and "2025-04-01" in former and case_id in former
    assert "<h2>风光路社区" in names_page
    actors = {e.actor for e in store.audit_entries(entity="name_cases", limit=50)}
    assert actors == {"officer1"}
    listing = _text(client.get("/cases/"))
    assert case_id in listing and "已生效" in listing


def test_missing_reports_block_the_review_with_a_clear_message(client, app) -> None:
    login(client, "officer1")
    case_id = _apply(client)
    _upload(client, case_id, "assessment", "评估.pdf")
    response = _step(client, case_id, "review", date="2025-03-10")
    assert response.status_code == 400
    page = _text(response)
    assert f"案件 {case_id} 未通过审核" in page
    assert "缺少专家论证报告" in page and "缺少征求意见报告" in page
    assert "缺少综合评估报告" not in page.split("下一步")[0]  # flashed only for missing ones
    assert _store(app).get_case(case_id).status == "applied"


def test_heritage_name_needs_protection_measures(client, app) -> None:
    Gazetteer(_store(app)).update(COMMUNITY, actor="pytest", heritage_level="地方:驻马店老街区")
    login(client, "officer1")
    case_id = _apply(client)
    page = _text(client.get(f"/cases/{case_id}"))
    assert "地名文化遗产：地方:驻马店老街区" in page and "✗ 保护措施" in page
    for doc_type, filename in REPORTS.items():
        _upload(client, case_id, doc_type, filename)
    response = _step(client, case_id, "review", date="2025-03-10")
    assert response.status_code == 400
    assert "N6-HERITAGE" in _text(response) and "须附保护措施" in _text(response)
    _upload(client, case_id, "保护措施", "保护方案.pdf")
    assert _step(client, case_id, "review", date="2025-03-10").status_code == 302


def test_review_shows_findings_and_accepts_errors_with_reasons(client, app) -> None:
    login(client, "officer1")
    response = client.post(
        "/cases/new",
        data={
            "kind": "naming",
            "proposed_name": "任张楼村",
            "category": "village",
            "division_code": "411702102",
            "location": "板桥镇东部，原任张楼村北侧新建安置区",
            "applicant": "板桥镇人民政府",
            "date": "2025-05-06",
        },
    )
    case_id = response.headers["Location"].rsplit("/", 1)[-1]
    for doc_type, filename in REPORTS.items():
        _upload(client, case_id, doc_type, filename)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'name="accept-N2-DUPLICATE"' in page and "N5-POLYPHONE" in page
    refused = _step(client, case_id, "review", date="2025-05-07")
    assert refused.status_code == 400 and "N2-DUPLICATE" in _text(refused)
    accepted = _step(
        client, case_id, "review", date="2025-05-07", **{"accept-N2-DUPLICATE": "原村已撤并"}
    )
    assert accepted.status_code == 302
    case = _store(app).get_case(case_id)
    assert case.status == "reviewed"
    assert [f["reason"] for f in case.review["findings"] if f["rule"] == "N2-DUPLICATE"] == [
        "原村已撤并"
    ]
    assert "已确认：原村已撤并" in _text(client.get(f"/cases/{case_id}"))


def test_notice_page_only_after_approval_with_every_field(client) -> None:
    login(client, "officer1")
    case_id = _apply(client)
    refused = client.get(f"/cases/{case_id}/notice")
    assert refused.status_code == 400
    assert "批准后才能生成公告" in _text(refused) and "已申请" in _text(refused)
    for doc_type, filename in REPORTS.items():
        _upload(client, case_id, doc_type, filename)
    _step(client, case_id, "review", date="2025-03-10")
    _step(client, case_id, "approve", date="2025-03-20", approving_body="驿城区人民政府")
    assert "打印公告" in _text(client.get(f"/cases/{case_id}"))
    response = client.get(f"/cases/{case_id}/notice?date=2025-03-30")
    assert response.status_code == 200 and response.mimetype == "text/html"
    text = _text(response)
    for expected in (
        "关于风光路南段社区更名为风光路社区的公告",
        f"案件编号：{case_id}",
        "标准地名 风光路社区",
        "罗马字母拼写 Fēngguānglù Shèqū",
        "原名称（曾用名） 风光路南段社区",
        "地名类别 村（居）民委员会",
        "驻马店市驿城区人民街街道（代码 411702001）",
        "位置描述 人民街街道中部，风光路南段两侧",
        "审批机关 驿城区人民政府",
        "批准日期 2025年3月20日",
        "2025年3月30日",
        "特此公告",
    ):
        assert expected in text, expected


def test_overdue_panel_lists_days_late(client, app) -> None:
    store = _store(app)
    cases = Cases(store, Gazetteer(store))
    approved = date.today() - timedelta(days=40)
    case = cases.apply(
        "renaming",
        "风光路社区",
        name_id=COMMUNITY,
        applicant="人民街街道办事处",
        location="人民街街道",
        actor="officer1",
        on=approved - timedelta(days=5),
    )
    for doc_type in ("assessment", "expert", "consultation"):
        cases.attach(case.case_id, doc_type, f"{doc_type}.pdf", b"x", actor="officer1")
    cases.review(case.case_id, actor="officer1", on=approved - timedelta(days=2))
    cases.approve(case.case_id, approving_body="驿城区人民政府", actor="officer1", on=approved)
    login(client, "planner1")  # anyone may read
    page = client.get("/cases/").get_data(as_text=True)
    panel = re.search(r'<div class="card" id="overdue">.*?</table>', page, re.S).group(0)
    assert "逾期" in panel and case.case_id in panel
    assert "<b>25</b>" in panel and ">40<" in panel and "尚未备案" in panel and "尚未公告" in panel
    assert "新建申请" not in page  # planners cannot apply
    case_page = _text(client.get(f"/cases/{case.case_id}"))
    assert "N7-OVERDUE" in case_page and "已 40 天仍未备案" in case_page
    assert "下一步" not in case_page  # no step form for a planner


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"date": "2025-02-30"}, "日期：", "不存在"),
        ({"date": "3/3/2025"}, "日期：", "YYYY-MM-DD"),
        ({"date": "2099-01-01"}, "日期：", "晚于今天"),
        ({"name_id": "D411702999999"}, "地名记录：", "未找到地名记录 D411702999999"),
        ({"proposed_name": "风光路南段社区"}, "拟用名称：", "与现名"),
        ({"kind": "naming", "name_id": ""}, "地名类别：", "须指定地名类别"),
    ],
)
def test_bad_application_is_400_naming_the_field(client, app, changes, field, message) -> None:
    login(client, "officer1")
    response = client.post("/cases/new", data={**RENAMING, **changes})
    assert response.status_code == 400
    text = _text(response)
    assert "命名更名申请有误" in text and field in text and message in text
    assert _store(app).query_cases() == []
    # what was typed is kept
    assert RENAMING["applicant"] in response.get_data(as_text=True)


def test_bad_step_input_is_400(client, app) -> None:
    login(client, "officer1")
    case_id = _apply(client)
    for doc_type, filename in REPORTS.items():
        _upload(client, case_id, doc_type, filename)
    early = _step(client, case_id, "review", date="2025-03-01")
    assert early.status_code == 400 and "早于申请日期 2025-03-03" in _text(early)
    _step(client, case_id, "review", date="2025-03-10")
    no_body = _step(client, case_id, "approve", date="2025-03-20", approving_body=" ")
    assert no_body.status_code == 400 and "审批机关：" in _text(no_body)
    wrong = _step(client, case_id, "publish", date="2025-03-20")
    assert wrong.status_code == 400 and "不能公告" in _text(wrong)
    empty = client.post(f"/cases/{case_id}/documents", data={"doc_type": "expert"})
    assert empty.status_code == 400 and "文件：" in _text(empty)
    assert client.post(f"/cases/{case_id}/delete").status_code == 404
    assert client.get("/cases/C1999-0001").status_code == 404
    assert "未找到案件 C1999-0001" in _text(client.get("/cases/C1999-0001"))
    assert _store(app).get_case(case_id).status == "reviewed"


def test_planner_is_refused_every_write(client, app) -> None:
    store = _store(app)
    cases = Cases(store, Gazetteer(store))
    case = cases.apply("renaming", "风光路社区", name_id=COMMUNITY, applicant="街道",
                       location="人民街街道", actor="officer1", on="2025-03-03")  # fmt: skip
    before = len(store.audit_entries(entity="name_cases", limit=1000))
    login(client, "planner1")
    assert client.get("/cases/").status_code == 200
    assert client.get(f"/cases/{case.case_id}").status_code == 200
    assert client.get(f"/api/cases/{case.case_id}").status_code == 200
    writes = [
        ("/cases/new", {**RENAMING}),
        (f"/cases/{case.case_id}/documents", {"doc_type": "expert"}),
        *[(f"/cases/{case.case_id}/{s}", {"date": "2025-03-10"}) for s in
          ("review", "approve", "file", "publish", "effective")],
    ]  # fmt: skip
    for url, data in writes:
        response = client.post(url, data=data)
        assert response.status_code == 403, url
        assert "无权访问" in _text(response) and "地名管理员" in _text(response)
    assert client.get("/cases/new").status_code == 403
    api_writes = [
        ("/api/cases", {**RENAMING}),
        *[(f"/api/cases/{case.case_id}/{s}", {}) for s in
          ("review", "approve", "file", "publish", "effective")],
    ]  # fmt: skip
    for url, body in api_writes:
        response = client.post(url, json=body)
        assert response.status_code == 403, url
        assert response.get_json()["error"].startswith("无权访问")
    upload = {"doc_type": "expert", "file": (io.BytesIO(b"x"), "x.pdf")}
    assert client.post(f"/api/cases/{case.case_id}/documents", data=upload).status_code == 403
    assert len(store.audit_entries(entity="name_cases", limit=1000)) == before
    denied = store.audit_entries(actor="planner1", limit=100)
    assert sum(e.action == "auth.denied" for e in denied) >= len(writes) + len(api_writes)


def test_anonymous_users_are_sent_to_log_in(client) -> None:
    assert client.get("/cases/").status_code == 302
    assert client.get("/api/cases").status_code == 401
    assert client.post("/api/cases", json=RENAMING).status_code == 401


# -- the JSON API ----------------------------------------------------------------------------


def test_api_runs_a_naming_case_with_an_accepted_finding(client, app) -> None:
    login(client, "officer1")
    response = client.post(
        "/api/cases",
        json={
            "kind": "naming",
            "proposed_name": "任张楼村",
            "category": "village",
            "division_code": "411702102",
            "location": "板桥镇东部安置区",
            "applicant": "板桥镇人民政府",
            "date": "2025-05-06",
        },
    )
    assert response.status_code == 201
    case = response.get_json()
    case_id = case["case_id"]
    assert (case["status"], case["next_step"], case["kind_label"]) == ("applied", "review", "命名")
    blocked = client.post(f"/api/cases/{case_id}/review", json={"date": "2025-05-07"})
    assert blocked.status_code == 400
    messages = [p["message"] for p in blocked.get_json()["problems"]]
    assert "缺少综合评估报告" in messages
    assert any(m.startswith("[N2-DUPLICATE]") for m in messages)
    for doc_type, filename in REPORTS.items():
        upload = {"doc_type": doc_type, "file": (io.BytesIO(b"%PDF"), filename)}
        uploaded = client.post(f"/api/cases/{case_id}/documents", data=upload)
        assert uploaded.status_code == 201
    doc = uploaded.get_json()
    assert doc["doc_type"] == "consultation" and doc["doc_type_label"] == "征求意见报告"
    assert client.get(doc["url"]).data == b"%PDF"
    reviewed = client.post(
        f"/api/cases/{case_id}/review",
        json={"date": "2025-05-07", "accept": {"N2-DUPLICATE": "原村已撤并，沿用旧名"}},
    )
    assert reviewed.status_code == 200 and reviewed.get_json()["status"] == "reviewed"
    for step, body in (
        ("approve", {"date": "2025-05-10", "approving_body": "驿城区人民政府"}),
        ("file", {"date": "2025-05-12", "filed_with": "驻马店市民政局"}),
        ("publish", {"date": "2025-05-15"}),
        ("effective", {"date": "2025-05-20"}),
    ):
        response = client.post(f"/api/cases/{case_id}/{step}", json=body)
        assert response.status_code == 200, response.get_json()
    body = client.get(f"/api/cases/{case_id}").get_json()
    assert body["status"] == "effective" and body["next_step"] is None
    assert [s["label"] for s in body["steps"]] == ["申请", "审核", "批准", "备案", "公告", "生效"]
    assert len(body["documents"]) == 3
    record = _store(app).get_name(body["name_id"])
    assert (record.name, record.status) == ("任张楼村", "published")
    assert record.division_code == "411702102"
    notice = client.get(f"/api/cases/{case_id}/notice").get_json()
    assert notice["standard_name"] == "任张楼村" and notice["notice_date"] == "2025-05-15"
    assert notice["approval_date"] == "2025-05-10" and notice["kind_label"] == "命名"
    printable = client.get(f"/api/cases/{case_id}/notice?format=html")
    assert printable.mimetype == "text/html" and "关于任张楼村命名的公告" in printable.data.decode()
    listed = client.get("/api/cases?status=effective&kind=naming").get_json()["cases"]
    assert [c["case_id"] for c in listed] == [case_id]


def test_api_overdue_and_bad_input(client, app) -> None:
    login(client, "officer1")
    created = client.post("/api/cases", json={**RENAMING, "date": "2025-01-02"}).get_json()
    case_id = created["case_id"]
    for doc_type, filename in REPORTS.items():
        upload = {"doc_type": doc_type, "file": (io.BytesIO(b"%PDF"), filename)}
        client.post(f"/api/cases/{case_id}/documents", data=upload)
    client.post(f"/api/cases/{case_id}/review", json={"date": "2025-01-03"})
    client.post(
        f"/api/cases/{case_id}/approve", json={"date": "2025-01-05", "approving_body": "区政府"}
    )
    late = client.get("/api/cases/overdue?today=2025-02-01").get_json()["overdue"]
    assert [(o["case_id"], o["step"], o["days"]) for o in late] == [
        (case_id, "file", 27),
        (case_id, "publish", 27),
    ]
    assert client.get("/api/cases/overdue?today=2025-01-10").get_json()["overdue"] == []
    bad_today = client.get("/api/cases/overdue?today=2025-1-1")
    assert bad_today.status_code == 400 and bad_today.get_json()["problems"][0]["field"] == "today"

    def problems(response) -> dict[str, str]:
        assert response.status_code == 400, response.get_json()
        return {p["field"]: p["message"] for p in response.get_json()["problems"]}

    assert (
        "不存在"
        in problems(client.post("/api/cases", json={**RENAMING, "date": "2025-02-30"}))["date"]
    )
    unknown = problems(client.post("/api/cases", json={**RENAMING, "name_id": "NOPE"}))
    assert unknown == {"name_id": "未找到地名记录 NOPE"}
    assert "kind" in problems(client.post("/api/cases", json={**RENAMING, "kind": "merge"}))
    assert "body" in problems(client.post("/api/cases", data="[]", content_type="application/json"))
    step = problems(client.post(f"/api/cases/{case_id}/file", json={"date": "2025-01-04"}))
    assert set(step) == {"date", "filed_with"} and "早于批准日期" in step["date"]
    assert "step" in problems(client.post(f"/api/cases/{case_id}/merge", json={}))
    no_file = problems(client.post(f"/api/cases/{case_id}/documents", data={"doc_type": "x"}))
    assert set(no_file) == {"doc_type", "file"}
    accept = problems(
        client.post(f"/api/cases/{case_id}/review", json={"accept": ["N2-DUPLICATE"]})
    )
    assert "accept" in accept
    assert client.get("/api/cases?status=lost").status_code == 400
    missing = client.get("/api/cases/C1999-0001")
    assert missing.status_code == 404 and missing.get_json() == {
        "error": "未找到案件 C1999-0001",
        "problems": [],
    }
    assert client.get(f"/api/cases/{case_id}/documents/999").status_code == 404
    assert client.get(f"/api/cases/{case_id}/notice?format=pdf").status_code == 400


# -- withdrawal (撤回) and refusal (不予批准) ---------------------------------------------------


def test_api_withdraws_and_refuses_cases_before_approval(client, app) -> None:
    store = _store(app)
    login(client, "officer1")
    case_id = _apply(client)
    missing = client.post(f"/api/cases/{case_id}/reject", json={"date": "2025-03-05"})
    assert missing.status_code == 400
    assert missing.get_json()["problems"] == [
        {"row": None, "field": "reason", "label": "理由", "message": "不予批准理由不能为空"}
    ]
    bad_day = client.post(
        f"/api/cases/{case_id}/withdraw", json={"reason": "来函撤回", "date": "2025-02-30"}
    )
    assert bad_day.status_code == 400
    assert [p["field"] for p in bad_day.get_json()["problems"]] == ["date"]
    assert store.get_case(case_id).status == "applied"

    response = client.post(
        f"/api/cases/{case_id}/withdraw",
        json={"reason": "申请人来函撤回", "date": "2025-03-05", "note": "来函编号 12"},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["status"], body["status_label"], body["close_reason"]) == (
        "withdrawn",
        "已撤回",
        "申请人来函撤回",
    )
    assert (body["open"], body["can_close"], body["next_step"]) == (False, False, None)
    assert [(s["step"], s["label"], s["on"]) for s in body["steps"]] == [
        ("apply", "申请", "2025-03-03"),
        ("withdraw", "撤回", "2025-03-05"),
    ]
    assert store.get_name(COMMUNITY).name == "风光路南段社区"
    entry = store.audit_entries(entity="name_cases", limit=1)[0]
    assert (entry.action, entry.actor, entry.after["status"]) == (
        "cases.withdraw",
        "officer1",
        "withdrawn",
    )
    # closed: no further step, no second closing
    again = client.post(f"/api/cases/{case_id}/reject", json={"reason": "重名"})
    assert again.status_code == 400
    assert again.get_json()["problems"][0]["field"] == "status"
    assert "已办结" in again.get_json()["problems"][0]["message"]
    assert client.post(f"/api/cases/{case_id}/review", json={}).status_code == 400
    assert client.get(f"/api/cases/{case_id}/notice").status_code == 400

    # a new case on the same record, reviewed, then refused at approval
    second = _apply(client)
    for doc_type, filename in REPORTS.items():
        _upload(client, second, doc_type, filename)
    assert _step(client, second, "review", date="2025-03-10").status_code == 302
    refused = client.post(
        f"/api/cases/{second}/reject",
        json={"reason": "名称不符合地名管理规定", "date": "", "approving_body": "驿城区人民政府"},
    )
    assert refused.status_code == 200
    assert refused.get_json()["status"] == "rejected"
    assert refused.get_json()["approving_body"] == "驿城区人民政府"
    assert refused.get_json()["steps"][-1]["on"] == date.today().isoformat()
    listed = client.get("/api/cases?status=rejected").get_json()["cases"]
    assert [c["case_id"] for c in listed] == [second]
    assert [
        c["case_id"] for c in client.get("/api/cases?status=withdrawn").get_json()["cases"]
    ] == [case_id]
    assert client.get("/api/cases?status=closed").status_code == 400
    assert client.post("/api/cases/C1999-0001/reject", json={"reason": "x"}).status_code == 404
    assert store.get_name(COMMUNITY).name == "风光路南段社区"


def test_api_refuses_to_close_an_approved_case(client, app) -> None:
    login(client, "officer1")
    case_id = _apply(client)
    for doc_type, filename in REPORTS.items():
        _upload(client, case_id, doc_type, filename)
    _step(client, case_id, "review", date="2025-03-10")
    _step(client, case_id, "approve", date="2025-03-20", approving_body="驿城区人民政府")
    for step in ("withdraw", "reject"):
        response = client.post(f"/api/cases/{case_id}/{step}", json={"reason": "迟到的理由"})
        assert response.status_code == 400
        (problem,) = response.get_json()["problems"]
        assert problem["field"] == "status" and "批准前" in problem["message"]
    body = client.get(f"/api/cases/{case_id}").get_json()
    assert (body["status"], body["open"], body["can_close"]) == ("approved", True, False)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'id="close-case"' not in page and 'id="step-form"' in page


def test_planner_may_not_withdraw_or_refuse(client, app) -> None:
    store = _store(app)
    cases = Cases(store, Gazetteer(store))
    case = cases.apply("renaming", "风光路社区", name_id=COMMUNITY, applicant="街道",
                       location="人民街街道", actor="officer1", on="2025-03-03")  # fmt: skip
    login(client, "planner1")
    assert 'id="close-case"' not in client.get(f"/cases/{case.case_id}").get_data(as_text=True)
    for step in ("withdraw", "reject"):
        api = client.post(f"/api/cases/{case.case_id}/{step}", json={"reason": "越权"})
        assert api.status_code == 403 and api.get_json()["error"].startswith("无权访问")
        page = client.post(f"/cases/{case.case_id}/{step}", data={"reason": "越权"})
        assert page.status_code == 403
    assert store.get_case(case.case_id).status == "applied"


def test_officer_refuses_a_case_on_its_page_and_the_list_shows_it(client, app) -> None:
    store = _store(app)
    login(client, "officer1")
    case_id = _apply(client)
    html = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'id="withdraw-form"' in html and 'id="reject-form"' in html
    assert "window.confirm" in html and 'name="reason"' in html
    empty = client.post(f"/cases/{case_id}/reject", data={"reason": " ", "date": "2025-03-05"})
    assert empty.status_code == 400 and "不予批准理由不能为空" in _text(empty)
    assert store.get_case(case_id).status == "applied"
    assert 'name="approving_body"' in html  # the deciding body, optional
    done = client.post(
        f"/cases/{case_id}/reject", data={"reason": "与邻近社区重名", "date": "2025-03-05"}
    )
    assert done.status_code == 302
    response = client.get(f"/cases/{case_id}")
    page = _text(response)
    assert "不予批准理由：与邻近社区重名" in page and "已办结" in page
    assert "“风光路南段社区”仍为标准地名" in page
    assert "不予批准 2025-03-05 officer1" in page and "生效 不再办理" in page
    html = response.get_data(as_text=True)
    assert 'id="close-case"' not in html and 'id="next-step"' not in html
    assert 'id="notice-link"' not in html
    assert store.get_name(COMMUNITY).name == "风光路南段社区"
    # the list: the closed status with its label, filterable
    listing = client.get("/cases/").get_data(as_text=True)
    assert '<span class="tag closed" data-status="rejected">不予批准</span>' in listing
    assert '<option value="withdrawn"' in listing and '<option value="rejected"' in listing
    assert case_id in _text(client.get("/cases/?status=rejected"))
    assert case_id not in _text(client.get("/cases/?status=withdrawn"))
    assert case_id not in _text(client.get("/cases/?status=applied"))

"""Issue 12: the JSON API of division changes (/api/division-changes/…) and the as-of answers
of /api/divisions, on a copy of the demo store through the real Flask app, with the real
Zhumadian code lists of 2016 and 2023 uploaded as files."""

from __future__ import annotations

import io

import pytest

from tests.conftest import OPEN_DATA, login

LISTS = OPEN_DATA / "admin-codes" / "zhumadian"
API = "/api/division-changes"
DAY = "2019-10-31"


def _file(name: str, content: bytes | None = None) -> tuple[io.BytesIO, str]:
    return io.BytesIO(content if content is not None else (LISTS / name).read_bytes()), name


def _lists(parent: str) -> dict[str, object]:
    """The counties and townships of 2016 (``from``) and 2023 (``to``) under ``parent``."""
    return {
        "from": [_file("counties_nbs_2016.csv"), _file("townships_nbs_2016.csv")],
        "to": [_file("counties_nbs_2023.csv"), _file("townships_nbs_2023.csv")],
        "parent": parent,
    }


def _proposal(client, old_name: str) -> str:
    found = client.get(f"{API}/proposals?status=pending").get_json()["proposals"]
    return next(p["proposal_id"] for p in found if p["body"]["old_name"] == old_name)


def _take_through(client, case_id: str, **review: object) -> dict:
    """Review, approve and take effect on :data:`DAY`; the case at the end."""
    steps = [("review", {"date": DAY, **review}),
             ("approve", {"date": DAY, "approving_body": "河南省人民政府",
                          "approval_number": "豫政文〔2019〕88号"}),
             ("effective", {"date": DAY})]  # fmt: skip
    for step, body in steps:
        done = client.post(f"{API}/cases/{case_id}/{step}", json=body)
        assert done.status_code == 200, (step, done.get_json())
    return done.get_json()


@pytest.fixture
def songji(client) -> dict:
    """宋集乡 → 宋集镇 (撤乡设镇, 西平县) proposed from the uploaded lists, accepted and taken
    effect on 2019-10-31 by the admin."""
    login(client, "admin1")
    made = client.post(f"{API}/proposals", data=_lists("411721"))
    assert made.status_code == 201, made.get_json()
    accepted = client.post(f"{API}/proposals/{_proposal(client, '宋集乡')}/accept",
                           json={"date": DAY})  # fmt: skip
    assert accepted.status_code == 201, accepted.get_json()
    return _take_through(client, accepted.get_json()["case_id"],
                         pinyin={"411721107": "Sòngjí Zhèn"})  # fmt: skip


def test_proposals_from_uploaded_lists_kept_once(client) -> None:
    login(client, "officer1")
    made = client.post(f"{API}/proposals", data={**_lists("411702"), "batch": "2016→2023"})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["batch"] == "2016→2023" and body["new"] == body["proposed"] > 0
    kinds = {(p["kind"], p["body"]["old_name"], p["body"]["new_name"]) for p in body["proposals"]}
    assert ("to_subdistrict", "古城乡", "古城街道") in kinds
    assert all(p["status"] == "pending" and p["kind_label"] for p in body["proposals"])
    # a change of form only (南海街道办事处 → 南海街道) is not proposed
    assert not any(p["body"]["old_code"] == "411702005" for p in body["proposals"])
    again = client.post(f"{API}/proposals", data=_lists("411702")).get_json()
    assert again["new"] == 0 and again["proposals"] == []
    listed = client.get(f"{API}/proposals?status=pending&division=411702").get_json()
    assert len(listed["proposals"]) == body["proposed"]


def test_a_bad_list_is_a_400_naming_file_row_and_field_and_keeps_nothing(client, app) -> None:
    login(client, "officer1")
    store = app.extensions["geociv_store"]
    before = len(store.audit_entries(limit=100_000))
    bad = b"code,name\n411702001,\xe4\xba\xba\xe6\xb0\x91\xe8\xa1\x97\xe9\x81\x93\n4117020X2,x\n"
    data = {"from": [_file("bad.csv", bad)], "to": [_file("townships_nbs_2023.csv")],
            "parent": "411702"}  # fmt: skip
    answer = client.post(f"{API}/proposals", data=data)
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "旧名单（from）：bad.csv 有误，未读取任何区划"
    problem = answer.get_json()["problems"][0]
    assert problem["row"] == 3 and problem["field"] == "code" and "4117020X2" in problem["message"]
    missing = client.post(f"{API}/proposals", data={"parent": "411702",
                                                    "to": [_file("townships_nbs_2023.csv")]})
    assert missing.status_code == 400 and missing.get_json()["problems"][0]["field"] == "from"
    no_parent = client.post(f"{API}/proposals", data={**_lists("411702"), "parent": "41x"})
    assert no_parent.status_code == 400 and no_parent.get_json()["problems"][0]["field"] == "parent"
    # a file that is not a table (by content) is refused by the upload guard
    fake = {**_lists("411702"), "from": [_file("list.csv", b"%PDF-1.4\n%\xe2\xe3\n")]}
    assert client.post(f"{API}/proposals", data=fake).status_code == 400
    assert client.get(f"{API}/proposals").get_json()["proposals"] == []
    assert len(store.audit_entries(limit=100_000)) == before


def test_accept_dismiss_and_case_steps(client) -> None:
    login(client, "officer1")
    client.post(f"{API}/proposals", data=_lists("411702"))
    pid = _proposal(client, "古城乡")
    no_reason = client.post(f"{API}/proposals/{pid}/dismiss", json={"reason": ""})
    assert no_reason.status_code == 400 and no_reason.get_json()["problems"][0]["field"] == "reason"
    future = client.post(f"{API}/proposals/{pid}/accept", json={"date": "2999-01-01"})
    assert future.status_code == 400 and future.get_json()["problems"][0]["field"] == "date"
    case = client.post(f"{API}/proposals/{pid}/accept", json={"date": DAY}).get_json()
    assert case["status"] == "applied" and case["next_step"] == "review"
    assert case["kind"] == "to_subdistrict" and case["proposal_id"] == pid
    twice = client.post(f"{API}/proposals/{pid}/accept", json={})
    assert twice.status_code == 400
    assert client.post(f"{API}/proposals/P999999/accept", json={}).status_code == 404
    case_id = case["case_id"]
    early = client.post(f"{API}/cases/{case_id}/effective", json={"date": DAY})
    assert early.status_code == 400 and early.get_json()["problems"][0]["field"] == "status"
    assert client.post(f"{API}/cases/{case_id}/nothing", json={}).status_code == 404
    assert client.get(f"{API}/cases/D1999-9999").status_code == 404
    doc = client.post(f"{API}/cases/{case_id}/documents",
                      data={"doc_type": "request", "file": _file("请示.txt", "请示".encode())})
    assert doc.status_code == 201 and doc.get_json()["doc_type_label"] == "请示"
    wrong = client.post(f"{API}/cases/{case_id}/documents",
                        data={"doc_type": "poem", "file": _file("a.txt", b"x")})
    assert wrong.status_code == 400 and wrong.get_json()["problems"][0]["field"] == "doc_type"
    done = _take_through(client, case_id)
    assert done["status"] == "effective" and done["next_step"] is None
    assert [s["label"] for s in done["steps"]] == ["申请", "审核", "批准", "生效"]
    assert done["documents"][0]["filename"] == "请示.txt"
    assert "411702206" in done["review"]["effect"]["retired"]
    listed = client.get(f"{API}/cases?status=effective").get_json()["cases"]
    assert [c["case_id"] for c in listed] == [case_id]
    # another proposal dismissed with its reason, one more withdrawn before approval
    other = _proposal(client, client.get(f"{API}/proposals?status=pending").get_json()[
        "proposals"][0]["body"]["old_name"])  # fmt: skip
    dismissed = client.post(f"{API}/proposals/{other}/dismiss", json={"reason": "另案办理"})
    assert dismissed.get_json()["status"] == "dismissed"


def test_apply_by_hand_and_withdraw(client) -> None:
    login(client, "officer1")
    unit = {"code": "411702206", "name": "古城乡", "level": "township", "parent_code": "411702"}
    bad = client.post(f"{API}/cases", json={"kind": "rename", "title": "", "before": "x"})
    assert bad.status_code == 400 and bad.get_json()["problems"][0]["field"] == "before"
    empty = client.post(f"{API}/cases", json={"kind": "rename", "title": ""})
    assert {p["field"] for p in empty.get_json()["problems"]} >= {"title", "before"}
    made = client.post(f"{API}/cases", json={
        "kind": "rename", "title": "古城乡更名", "date": DAY, "before": [unit],
        "after": [{**unit, "name": "古城新乡"}]})  # fmt: skip
    assert made.status_code == 201, made.get_json()
    case_id = made.get_json()["case_id"]
    no_reason = client.post(f"{API}/cases/{case_id}/withdraw", json={})
    assert no_reason.status_code == 400 and no_reason.get_json()["problems"][0]["field"] == "reason"
    closed = client.post(f"{API}/cases/{case_id}/withdraw", json={"reason": "申请人撤回"})
    assert closed.get_json()["status"] == "withdrawn" and closed.get_json()["can_close"] is False
    # outside the officer's county (驿城区): refused by the domain
    far = {**unit, "code": "411721204", "name": "宋集乡", "parent_code": "411721"}
    outside = client.post(f"{API}/cases", json={
        "kind": "rename", "title": "x", "before": [far], "after": [{**far, "name": "y"}]})
    assert outside.status_code == 403


@pytest.mark.parametrize("user", ["inspector1", "planner1"])
def test_writes_need_an_officer(client, user: str) -> None:
    login(client, user)
    assert client.get(f"{API}/proposals").status_code == 200
    assert client.get(f"{API}/cases").status_code == 200
    assert client.post(f"{API}/proposals", data=_lists("411721")).status_code == 403
    assert client.post(f"{API}/proposals/P000001/accept", json={}).status_code == 403
    assert client.post(f"{API}/cases", json={"kind": "rename"}).status_code == 403
    assert client.post(f"{API}/cases/D2019-0001/review", json={}).status_code == 403


def test_anonymous_gets_401(client) -> None:
    assert client.get(f"{API}/cases").status_code == 401
    assert client.post(f"{API}/proposals", data={}).status_code == 401


def test_divisions_as_of_a_day(client, songji) -> None:
    assert songji["status"] == "effective"
    old = client.get("/api/divisions/411721204?date=2016-08-01").get_json()["properties"]
    assert (old["name"], old["valid_from"], old["valid_to"]) == ("宋集乡", None, DAY)
    new = client.get("/api/divisions/411721107").get_json()["properties"]
    assert (new["name"], new["valid_from"], new["valid_to"]) == ("宋集镇", DAY, None)
    assert new["predecessors"] == ["411721204"] and new["versions"] == []
    assert new["change_case"] == songji["case_id"]
    gone = client.get("/api/divisions/411721107?date=2016-08-01")
    assert gone.status_code == 404 and "2016-08-01" in gone.get_json()["error"]

    def township_names(query: str) -> set[str]:
        answer = client.get(f"/api/divisions?parent=411721&geometry=false{query}").get_json()
        return {f["properties"]["name"] for f in answer["features"]}

    assert "宋集乡" in township_names("&date=2016-08-01")
    assert "宋集镇" not in township_names("&date=2016-08-01")
    assert "宋集镇" in township_names("") and "宋集乡" not in township_names("")
    found = client.get("/api/divisions?q=宋集&level=township&date=2018-01-01&geometry=false")
    found = found.get_json()
    assert [f["id"] for f in found["features"]] == ["411721204"]
    for bad in ("2016-13-01", "yesterday", "2016-02-30"):
        answer = client.get(f"/api/divisions/411721?date={bad}")
        assert answer.status_code == 400 and answer.get_json()["problems"][0]["field"] == "date"
        listed = client.get(f"/api/divisions?level=county&date={bad}")
        assert listed.status_code == 400


def test_a_former_name_finds_todays_unit(client, request: pytest.FixtureRequest) -> None:
    """After 宋集乡 → 宋集镇 took effect, the name search finds 宋集镇 by 宋集乡, as a former
    name, in the same running app whose index was built before (it follows the store)."""
    before = client.get("/api/names/search?q=宋集乡").get_json()["results"]
    assert all(h["kind"] != "former" for h in before)
    request.getfixturevalue("songji")
    hits = client.get("/api/names/search?q=宋集乡").get_json()["results"]
    assert hits[0]["name"] == "宋集镇" and hits[0]["kind"] == "former"
    assert hits[0]["matched"] == "宋集乡" and hits[0]["name_id"] == "D411721107"


def test_survey_tasks_listed_overdue_and_done(client) -> None:
    """An 撤销 changes extents: its 勘界 task is due a year after approval, overdue today."""
    login(client, "admin1")
    client.post(f"{API}/proposals", data=_lists("411721"))
    case = client.post(f"{API}/proposals/{_proposal(client, '产业集聚区')}/accept",
                       json={"date": DAY}).get_json()  # fmt: skip
    done = _take_through(client, case["case_id"])
    task_id = done["review"]["effect"]["survey_task"]
    overdue = client.get(f"{API}/surveys?overdue=1").get_json()["surveys"]
    assert [(t["task_id"], t["due"], t["overdue"]) for t in overdue] == [
        (task_id, "2020-10-31", True)]  # fmt: skip
    login(client, "planner1")
    assert client.post(f"{API}/surveys/{task_id}/done", json={}).status_code == 403
    login(client, "admin1")
    finished = client.post(f"{API}/surveys/{task_id}/done", json={"date": "2020-06-01"})
    assert finished.status_code == 200 and finished.get_json()["status"] == "done"
    again = client.post(f"{API}/surveys/{task_id}/done", json={})
    assert again.status_code == 400 and again.get_json()["problems"][0]["field"] == "status"
    assert client.post(f"{API}/surveys/K0000-0000/done", json={}).status_code == 404
    assert client.get(f"{API}/surveys?overdue=1").get_json()["surveys"] == []

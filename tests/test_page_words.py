"""Messages in the page's words (issue 10): every message an official reads names a field by
its Chinese label and shows allowed values by their labels; a field's machine name or a rule id
appears only as a small secondary tag (``<small class="tag">``). Real Flask app on a real
GeoPackage store; one real-Chromium test of the coverage page's own error rendering."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

import pytest

from geociv.auth import Users
from geociv.store import open_store
from tests.boundary_field import Q1, prepare_field
from tests.conftest import PASSWORD, browser_login, login

_TAG = re.compile(r'<small class="tag">(.*?)</small>', re.S)
#: A message whose main text starts with a machine name: ``condition：…`` / ``types：…``.
_ASCII_LEAD = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*\s*[：:]")
#: A machine field name in brackets after a label (``拟用名称（proposed_name）``), ``字段 x``,
#: a code with its label (``intact（完好）``) or a bare rule id (``[N2-DUPLICATE]``).
_MACHINE = re.compile(
    r"（[a-z][a-z0-9_]*）|字段 [a-z]|(?<![\w./])[a-z_]{3,}（[\u4e00-\u9fff]+）"
    r"|\[[A-Z][0-9]+-[A-Z0-9-]+\]"
)


def _plain(fragment: str) -> str:
    """The visible main text of an HTML fragment, tags removed, whitespace collapsed."""
    text = re.sub(r"<[^>]+>", " ", _TAG.sub(" ", fragment))
    return " ".join(html_lib.unescape(text).split())


def messages(page: str) -> list[tuple[str, list[str]]]:
    """Flashed messages and error-page problems of a page: (main text, its tags)."""
    items = re.findall(r'<li class="flash [a-z]+" role="alert">(.*?)</li>', page, re.S)
    if re.search(r"<h2>\d{3} · ", page):  # the error page lists its problems
        card = page.split("<h2>", 1)[1].split("</ul>", 1)[0]
        items += re.findall(r"<li>(.*?)</li>", card, re.S)
    return [(_plain(i), _TAG.findall(i)) for i in items]


def _machine_words(found: list[tuple[str, list[str]]], where: str) -> list[str]:
    """The messages among ``found`` whose main text shows a machine name."""
    return [
        f"{where}: {text}"
        for text, _tags in found
        if _ASCII_LEAD.match(text) or _MACHINE.search(text)
    ]


def _assert_page_words(found: list[tuple[str, list[str]]], where: str) -> None:
    assert _machine_words(found, where) == []


# -- the cases quoted in the issue --------------------------------------------------------------


@pytest.fixture
def field_app(app):
    """The app on a store with the joint-inspection field set-up (line, markers, plan)."""
    store = open_store(app.config["GEOCIV_STORE"])
    plan, markers = prepare_field(store)
    store.close()
    return app, plan, markers


def test_marker_condition_shows_labels_not_codes(field_app) -> None:
    app, plan, markers = field_app
    client = app.test_client()
    login(client, "inspector1")
    q1 = markers[Q1].location
    response = client.post("/boundaries/check", data={
        "plan_id": str(plan.plan_id), "marker_id": Q1, "inspected_on": "",
        "condition": "broken", "lon": f"{q1.x:.6f}", "lat": f"{q1.y:.6f}",
        "gps_accuracy_m": "3", "references_present": "3",
    })  # fmt: skip
    assert response.status_code == 400
    found = messages(response.get_data(as_text=True))
    condition = [(t, tags) for t, tags in found if t.startswith("界桩状况：")]
    assert condition, found
    text, tags = condition[0]
    assert "可用：完好、损坏" in text and "intact" not in text and "（condition）" not in text
    assert tags == ["condition"]
    _assert_page_words(found, "/boundaries/check")


def test_case_form_names_the_field_by_its_label(client) -> None:
    login(client, "officer1")
    response = client.post("/cases/new", data={"kind": "naming", "proposed_name": ""})
    assert response.status_code == 400
    found = messages(response.get_data(as_text=True))
    assert ("拟用名称：拟用名称不能为空", ["proposed_name"]) in found, found
    assert not any("（proposed_name）" in t for t, _ in found)
    _assert_page_words(found, "/cases/new")


def test_coverage_api_adds_labels_and_says_what_it_got(client) -> None:
    login(client, "planner1")
    response = client.post("/api/coverage/runs", json={"types": [], "minutes": "abc",
                                                       "aoi": "411702"})  # fmt: skip
    assert response.status_code == 400
    problems = {p["field"]: p for p in response.get_json()["problems"]}
    assert problems["types"]["label"] == "设施类型"
    assert problems["types"]["message"] == "至少选择一种设施类型"
    assert problems["minutes"]["label"] == "时间（分钟）"
    assert problems["minutes"]["message"] == "应为数字，收到“abc”"  # not "收到 0"
    empty = client.post("/api/coverage/runs", json={"types": ["rental_station"], "minutes": "",
                                                    "aoi": "411702"})  # fmt: skip
    assert empty.get_json()["problems"][0]["message"] == "请填写数字"


def test_coverage_page_speaks_the_planners_words(client) -> None:
    login(client, "planner1")
    page = client.get("/coverage/").get_data(as_text=True)
    assert "Dask" not in page and "多个区县同时计算" in page


def test_rule_ids_are_tags_not_the_main_text(client) -> None:
    login(client, "officer1")
    response = client.post("/names/check", data={"name": "华盛顿路", "category": "road",
                                                  "division_code": "411702"})  # fmt: skip
    page = response.get_data(as_text=True)
    row = re.search(r'<tr class="sev-warning">(.*?)</tr>', page, re.S).group(1)
    first_cell = re.search(r"<td>(.*?)</td>", row, re.S).group(1)
    assert _TAG.findall(first_cell) == ["N3-FOREIGN"]
    assert _plain(first_cell) and not re.search(r"[A-Z][0-9]-", _plain(first_cell))
    accepted = client.post(
        "/names/accept",
        data={"name": "华盛顿路", "rule": "N3-FOREIGN", "reason": "历史地名"},
        follow_redirects=True,
    )
    found = messages(accepted.get_data(as_text=True))
    assert any(t.startswith("已确认“华盛顿路”的“") and tags == ["N3-FOREIGN"] for t, tags in found)
    _assert_page_words(found, "/names/accept")


def test_a_non_number_year_says_so(field_app) -> None:
    app, plan, _ = field_app
    client = app.test_client()
    login(client, "inspector1")
    response = client.post(
        f"/boundaries/rounds/{plan.round_no}/plans",
        data={"line_id": "x", "year": "abc"},
        follow_redirects=True,
    )
    found = messages(response.get_data(as_text=True))
    assert ("年度：应为数字，收到“abc”", ["year"]) in found, found


def test_every_problem_field_has_a_label() -> None:
    """Each field a domain or web problem names has a Chinese label in some table."""
    from pathlib import Path

    from web.words import COMMON_LABELS, DOMAIN_LABELS

    known = set(COMMON_LABELS).union(*DOMAIN_LABELS.values())
    root = Path(__file__).resolve().parents[1]
    named: set[str] = set()
    for folder in ("geociv", "web"):
        for path in (root / folder).rglob("*.py"):
            named |= set(re.findall(r'field="([a-z_]+)"', path.read_text(encoding="utf-8")))
    assert named - known == set()


# -- the sweep: every page form, empty and with nonsense ------------------------------------------

_NONSENSE = {
    key: "abc"
    for key in (
        "name", "category", "division_code", "kind", "proposed_name", "name_id", "date",
        "condition", "status", "sign_type", "text", "lon", "lat", "installed_on", "inspector",
        "plan_id", "marker_id", "inspected_on", "gps_accuracy_m", "references_present",
        "line_plan_id", "change_type_0", "year", "line_id", "reason", "version", "role",
        "username", "password", "list", "term", "word", "pinyin", "rule", "doc_type", "on",
    )
}  # fmt: skip


@pytest.fixture
def sweep_app(app):
    """The app with a case, a sign, a boundary record and a user to act on (the records of
    the role sweep, tests/test_route_sweep.py)."""
    from tests.test_route_sweep import _records

    store = open_store(app.config["GEOCIV_STORE"])
    plan, markers = prepare_field(store)
    ids = {k: v for k, v in _records(store, plan, markers).items() if isinstance(v, str | int)}
    Users(store).add("officer9", PASSWORD, role="officer", division_code="411702", actor="t")
    ids.update(username="officer9", change="disable", step="review")
    ids.update(proposal_id="P000001", task_id="K2020-0001")  # unknown: answered 404
    store.close()
    return app, ids


def _page_forms(app: Any) -> list[tuple[str, str]]:
    rules = []
    for rule in app.url_map.iter_rules():
        page = "POST" in rule.methods and not rule.rule.startswith("/api/")
        if page and rule.endpoint not in ("auth.logout", "auth.login"):
            rules.append((rule.endpoint, rule.rule))
    return sorted(rules)


def test_no_page_message_starts_with_a_field_name(sweep_app) -> None:
    app, ids = sweep_app
    forms = _page_forms(app)
    assert len(forms) >= 20
    seen = 0
    bad: list[str] = []
    for role_user in ("admin1", "officer1", "inspector1"):
        client = app.test_client()
        login(client, role_user)
        for endpoint, rule in forms:
            path = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>",
                          lambda m: str(ids[m.group(1)]), rule)  # fmt: skip
            for body in ({}, _NONSENSE):
                response = client.post(path, data=body, follow_redirects=True)
                assert response.status_code < 500, (endpoint, body, response.status_code)
                found = messages(response.get_data(as_text=True))
                seen += len(found)
                filled = "乱填" if body else "空表单"
                bad += _machine_words(found, f"{role_user} {endpoint} {filled}")
    assert bad == []
    assert seen > 50  # the sweep did meet refusals


# -- real Chromium: the coverage page renders the API's problems by label -----------------------


@pytest.mark.browser
def test_coverage_page_shows_labels_with_the_field_as_a_tag(live_server, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    browser_login(page, live_server, "planner1")
    page.goto(f"{live_server}/coverage/")
    page.wait_for_selector("#cov-types input")
    for box in page.locator("#cov-types input:checked").all():
        box.uncheck()
    page.fill("#cov-minutes", "abc")
    page.click("#cov-run")
    page.wait_for_selector("#cov-errors div")
    lines = [t.strip() for t in page.locator("#cov-errors div").all_inner_texts()]
    assert any(t.startswith("设施类型：至少选择一种设施类型") for t in lines), lines
    assert any(t.startswith("时间（分钟）：应为数字，收到“abc”") for t in lines), lines
    assert page.locator("#cov-errors small.tag").all_inner_texts() == ["types", "minutes"]
    page.close()

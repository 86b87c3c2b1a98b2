"""The admin audit page (issue 10): filtered, paged audit queries in the store, filters read
from the query string (bad values named in Chinese, never a 500), a readable before/after, and
a page that fits the screen."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from geociv.errors import ValidationError
from geociv.store import AuditEntry, AuditQuery, open_store
from tests.conftest import ARTIFACTS, browser_login, login
from web.audit_view import AUDIT_PAGE_SIZE, SHORT_VALUE, changes, read_filters

ACTORS = ("甲审计", "乙审计", "丙审计")
ENTITIES = ("names", "signs", "users")
START = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)


def _row(i: int) -> tuple:
    """The i-th seeded entry: actors, tables and actions in turn, one every 7 hours."""
    entity = ENTITIES[i % 3]
    before = {"name": f"旧名{i}", "status": "active", "remarks": "甲" * 90}
    after = {"name": f"新名{i}", "status": "active", "remarks": "乙" * 90}
    return (
        (START + timedelta(hours=7 * i)).isoformat(timespec="seconds"),
        ACTORS[i % 2 if i % 5 else 2],
        f"{entity}.{'update' if i % 4 else 'add'}",
        entity,
        f"K{i:04d}",
        json.dumps(before, ensure_ascii=False) if i % 4 else None,
        json.dumps(after, ensure_ascii=False),
        f"第 {i} 条",
    )


ROWS = [_row(i) for i in range(300)]


def seed(path: Path) -> None:
    """Write :data:`ROWS` into the audit trail of the GeoPackage at ``path`` (the store API
    cannot date an entry in the past, so the history is written in SQL)."""
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO audit_log (at, actor, action, entity, entity_key, before_json, "
            "after_json, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ROWS,
        )
    conn.close()


@pytest.fixture
def history(tmp_path: Path):
    path = tmp_path / "audit.gpkg"
    open_store(path).close()
    seed(path)
    store = open_store(path)
    yield store
    store.close()


def _expected(pred) -> list[str]:
    """Keys of the seeded rows matching ``pred``, newest first."""
    return [r[4] for r in reversed(ROWS) if pred(r)]


def _keys(store, query: AuditQuery) -> list[str]:
    page = store.audit_page(query, limit=1000)
    return [e.entity_key for e in page.entries]


def test_filters_combine_and_use_the_stored_utc_times(history) -> None:
    assert _keys(history, AuditQuery(actor="丙审计")) == _expected(lambda r: r[1] == "丙审计")
    assert _keys(history, AuditQuery(entity="signs")) == _expected(lambda r: r[3] == "signs")
    assert _keys(history, AuditQuery(action="users.add")) == _expected(
        lambda r: r[2] == "users.add"
    )
    since, until = "2026-03-10T00:00:00+00:00", "2026-03-20T00:00:00+00:00"
    expected = _expected(lambda r: since <= r[0] < until and r[1] == "甲审计" and r[3] == "names")
    query = AuditQuery(actor="甲审计", entity="names", since=since, until=until)
    assert _keys(history, query) == expected and expected
    # a bound in another zone means the same instant
    shifted = AuditQuery(actor="甲审计", entity="names", since="2026-03-10T08:00:00+08:00",
                         until="2026-03-20T08:00:00+08:00")  # fmt: skip
    assert _keys(history, shifted) == expected
    assert _keys(history, AuditQuery(entity="names", key="K0003")) == ["K0003"]


def test_pages_cover_the_matches_once_newest_first(history) -> None:
    query = AuditQuery(entity="names")
    wanted = _expected(lambda r: r[3] == "names")
    seen: list[str] = []
    for offset in range(0, 200, 30):
        page = history.audit_page(query, offset=offset, limit=30)
        assert page.total == len(wanted) == 100
        seen += [e.entity_key for e in page.entries]
    assert seen == wanted
    assert history.audit_page(query, offset=500, limit=30).entries == []
    assert history.audit_page(query, limit=5, count=False).total == -1
    # the older API answers from the same query
    assert [e.entity_key for e in history.audit_entries(entity="names", limit=3)] == wanted[:3]


def test_facets_and_bad_bounds(history) -> None:
    facets = history.audit_facets()
    assert set(ACTORS) <= set(facets.actors) and facets.actors == sorted(facets.actors)
    assert set(ENTITIES) <= set(facets.entities)
    assert {"names.add", "signs.update"} <= set(facets.actions)
    with pytest.raises(ValidationError) as err:
        history.audit_page(AuditQuery(since="三月"))
    assert err.value.problems[0].field == "since"


def test_changes_show_changed_fields_with_labels_and_cut_long_values() -> None:
    entry = AuditEntry(
        1, "2026-03-01T00:00:00+00:00", "甲审计", "names.update", "names", "K1",
        {"name": "旧名", "status": "active", "remarks": "甲" * 90, "aliases": []},
        {"name": "新名", "status": "active", "remarks": "乙" * 90, "aliases": ["别名"]},
    )  # fmt: skip
    found = changes(entry)
    assert [c.field for c in found] == ["name", "remarks", "aliases"]  # status unchanged
    assert [c.label for c in found] == ["名称", "备注", "别名"]
    assert (found[0].old.text, found[0].new.text) == ("旧名", "新名")
    assert found[1].new.text == "乙" * SHORT_VALUE + "…" and found[1].new.full == "乙" * 90
    assert found[2].old.text == "[]" and found[2].new.text == '["别名"]'
    added = changes(
        AuditEntry(2, "", "a", "signs.add", "signs", "S1", None, {"text": "x", "pinyin": ""})
    )
    assert [(c.label, c.old, c.new.text) for c in added] == [("标志汉字", None, "x")]


def test_query_string_filters_are_bounded() -> None:
    ok = read_filters({"actor": "甲审计", "entity": "names", "action": "names.update",
                       "since": "2026-05-02", "until": "2026-05-02", "page": "3"})  # fmt: skip
    assert ok.problems == [] and ok.page == 3
    # a Beijing day: 2026-05-01 16:00 UTC up to 2026-05-02 16:00 UTC
    since = datetime.fromisoformat(ok.query.since).astimezone(UTC)
    until = datetime.fromisoformat(ok.query.until).astimezone(UTC)
    assert (since.isoformat(), until.isoformat()) == (
        "2026-05-01T16:00:00+00:00", "2026-05-02T16:00:00+00:00")  # fmt: skip
    bad = read_filters({"entity": "names; drop", "action": "<b>", "since": "9999-12-31",
                        "until": "2026-02-30", "page": "-1", "actor": "x" * 65})  # fmt: skip
    assert {p.field for p in bad.problems} == {"entity", "action", "since", "until", "page",
                                               "actor"}  # fmt: skip
    assert bad.query == AuditQuery() and bad.page == 1
    assert all(re.search("[\u4e00-\u9fff]", p.message) for p in bad.problems)
    reversed_range = read_filters({"since": "2026-05-03", "until": "2026-05-01"})
    assert reversed_range.query.until is None and reversed_range.problems[0].field == "until"


@pytest.fixture
def seeded(demo_path: Path) -> Path:
    seed(demo_path)
    return demo_path


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr id="audit-\d+">', html)


def test_the_page_is_paged_and_filtered(seeded, client) -> None:
    login(client, "admin1")
    first = client.get("/admin/audit").get_data(as_text=True)
    assert len(_rows(first)) == AUDIT_PAGE_SIZE
    assert 'id="audit-pages"' in first and "下一页" in first

    page = client.get("/admin/audit?actor=丙审计&page=2")
    html = page.get_data(as_text=True)
    total = len(_expected(lambda r: r[1] == "丙审计"))
    assert page.status_code == 200 and f"共 {total} 条，第 2 / 2 页" in html
    assert len(_rows(html)) == total - AUDIT_PAGE_SIZE
    assert "上一页" in html and "actor=%E4%B8%99%E5%AE%A1%E8%AE%A1" in html  # links keep filters
    # a readable change, no raw JSON
    assert '名称</b> <span class="tag">name</span>' in html and "→" in html
    assert '"remarks":' not in html and '<details class="long">' in html

    # 2026-03-02 in Beijing is 03-01 16:00 to 03-02 16:00 UTC: hours 21, 28, 35 of the
    # seeded rows (a UTC day would give 28, 35, 42)
    day = client.get("/admin/audit?since=2026-03-02&until=2026-03-02")
    keys = re.findall(r'<span class="key">(K\d+)</span>', day.get_data(as_text=True))
    assert keys == ["K0005", "K0004", "K0003"]


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("page=abc", "page", "页码"),
        ("page=0", "page", "页码"),
        ("since=2026-13-40", "since", "开始日期"),
        ("until=yesterday", "until", "结束日期"),
        ("entity=%00names", "entity", "对象类别"),
        ("action=" + "a" * 70, "action", "操作"),
        ("since=2026-05-03&until=2026-05-01", "until", "结束日期早于开始日期"),
    ],
)
def test_bad_filters_are_a_chinese_400_naming_the_field(
    seeded, client, query, field, words
) -> None:
    login(client, "admin1")
    response = client.get(f"/admin/audit?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    notices = html.split('id="audit-notices"', 1)[1].split("</ul>", 1)[0]
    assert words in notices and f'<span class="tag">{field}</span>' in notices
    assert len(_rows(html)) == AUDIT_PAGE_SIZE  # the rest of the page still works


def test_a_page_past_the_last_shows_the_last(seeded, client) -> None:
    login(client, "admin1")
    response = client.get("/admin/audit?actor=乙审计&page=99")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "没有第 99 页；已显示最后一页" in html
    total = len(_expected(lambda r: r[1] == "乙审计"))
    assert len(_rows(html)) == total - AUDIT_PAGE_SIZE * (total // AUDIT_PAGE_SIZE)


def test_only_admins_see_the_audit_log(seeded, client) -> None:
    login(client, "officer1")
    assert client.get("/admin/audit").status_code == 403


@pytest.fixture
def live_history(seeded, live_server):
    return live_server


@pytest.mark.browser
def test_the_audit_page_fits_the_screen(live_history, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    browser_login(page, live_history, "admin1")
    page.goto(f"{live_history}/admin/audit")
    assert page.locator("#audit tbody tr").count() == AUDIT_PAGE_SIZE
    width = page.evaluate("document.documentElement.scrollWidth")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert width <= 1280, f"the audit page is {width}px wide"
    assert height <= 5000, f"the audit page is {height}px tall"
    page.screenshot(path=str(ARTIFACTS / "audit-desktop.png"))
    # a long value opens in full on a click
    long = page.locator("details.long").first
    long.locator("summary").click()
    assert "乙" * 90 in long.inner_text() or "甲" * 90 in long.inner_text()
    # filter by a table through the form
    page.select_option("#audit-filter select[name=entity]", "signs")
    page.click("#audit-filter button[type=submit]")
    page.wait_for_url(re.compile(r".*entity=signs.*"))
    assert "共 100 条" in page.inner_text("#audit-summary")
    page.close()

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )
    small = phone.new_page()
    browser_login(small, live_history, "admin1")
    small.goto(f"{live_history}/admin/audit?entity=names")
    assert small.evaluate("document.documentElement.scrollWidth") <= 390
    small.screenshot(path=str(ARTIFACTS / "audit-phone.png"))
    phone.close()

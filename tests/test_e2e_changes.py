"""End to end in real Chromium on ``geociv serve``: an officer uploads two official lists of
驿城区 (NBS 2016 and 2023), accepts 古城乡 → 古城街道, reviews it with its pinyin, approves and
puts it into force in 2019 and sees the outcome; then the home map's date picker shows 古城乡 as
of 2016-08-01 and 古城街道 today. Screenshots at desktop and phone size."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, browser_login
from tests.test_web_changes import NEW_CODE, OLD_CODE, county_list

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"changes-{name}.png"), full_page=True)


def _case_through_pages(page, base: str, tmp_path: Path) -> str:
    old, new = tmp_path / "乡级2016.csv", tmp_path / "乡级2023.csv"
    old.write_bytes(county_list("townships_nbs_2016.csv"))
    new.write_bytes(county_list("townships_nbs_2023.csv"))
    page.click("nav >> text=区划变更")
    page.set_input_files("#list-old", str(old))
    page.set_input_files("#list-new", str(new))
    assert page.input_value("#parent") == "411702"  # the officer's division
    page.click("button:has-text('比较名单')")
    page.wait_for_selector("#kind-to_subdistrict")
    assert "共 5 项变更建议" in page.inner_text(".flashes")
    row = page.locator("tr", has_text="古城乡").first
    row.locator("input[type=date]").fill("2019-01-10")
    _shot(page, "proposals")
    row.locator("button:has-text('接受')").click()
    page.wait_for_selector("#next-step")
    case_id = page.url.rsplit("/", 1)[-1]
    assert "古城乡" in page.inner_text("#units") and "古城街道" in page.inner_text("#units")

    box = page.locator(f"#pinyin-{NEW_CODE}")
    assert box.input_value() == "Gǔchéng Jiēdào"  # pre-filled by the rules
    box.fill("Gǔchéng Jiēdào")
    page.fill("#step-date", "2019-01-15")
    page.click("#step-submit")
    page.wait_for_selector("#approving_body")
    page.fill("#approving_body", "河南省人民政府")
    page.fill("#approval_number", "豫政文〔2019〕12号")
    page.fill("#step-date", "2019-02-01")
    page.click("#step-submit")
    page.wait_for_selector("#next-step >> text=下一步：生效")
    page.fill("#step-date", "2019-03-01")
    page.click("#step-submit")
    page.wait_for_selector("#outcome")
    return case_id


def test_change_case_flow_and_date_picker(live_server, browser, tmp_path: Path) -> None:
    page = browser.new_page(viewport=DESKTOP, locale="zh-CN")
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    browser_login(page, live_server, "officer1")
    case_id = _case_through_pages(page, live_server, tmp_path)

    assert page.inner_text("#case-status") == "已生效"
    outcome = page.inner_text("#outcome")
    assert OLD_CODE in outcome and NEW_CODE in outcome and "D411702012" in outcome
    steps = page.inner_text("#steps")
    for day in ("2019-01-10", "2019-01-15", "2019-02-01", "2019-03-01"):
        assert day in steps
    assert "豫政文〔2019〕12号" in page.inner_text("#case-fields")
    _shot(page, "case-desktop")
    page.set_viewport_size(PHONE)
    _shot(page, "case-phone")
    page.set_viewport_size(DESKTOP)

    # the date picker on the home map
    page.goto(f"{live_server}/")
    panel = page.locator("#day-divisions")
    assert panel.locator(f"li[data-code='{NEW_CODE}']").count() == 1
    assert panel.locator(f"li[data-code='{OLD_CODE}']").count() == 0
    page.fill("#as-of", "2016-08-01")
    page.click("#as-of-go")
    page.wait_for_selector("#as-of-note")
    assert "date=2016-08-01" in page.url
    old = panel.locator(f"li[data-code='{OLD_CODE}']")
    assert old.count() == 1 and "古城乡" in old.inner_text() and "已撤销" in old.inner_text()
    assert old.is_visible()  # its county is opened: it changed since
    assert panel.locator(f"li[data-code='{NEW_CODE}']").count() == 0
    page.wait_for_selector(".leaflet-container path.leaflet-interactive")
    _shot(page, "home-2016-desktop")
    page.set_viewport_size(PHONE)
    _shot(page, "home-2016-phone")
    page.set_viewport_size(DESKTOP)

    page.click("#as-of-today")
    page.wait_for_selector("#as-of-go")
    assert panel.locator(f"li[data-code='{NEW_CODE}']").count() == 1
    assert panel.locator(f"li[data-code='{OLD_CODE}']").count() == 0
    assert failed == [], failed
    assert case_id.startswith("D")

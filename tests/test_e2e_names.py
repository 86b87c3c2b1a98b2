"""End to end in real Chromium: an officer checks a name and finds a place by pinyin initials."""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS, browser_login, wait_until

pytestmark = pytest.mark.browser


def test_officer_checks_a_name_then_searches_by_initials(live_server, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    browser_login(page, live_server, "officer1")

    page.click("text=地名检查")
    page.fill("#name", "驛城大厦广场")
    page.select_option("#category", "building")
    page.fill("#division_code", "411702")
    page.click("button:has-text('检查')")
    page.wait_for_selector("#findings")
    text = page.locator("#findings").inner_text()
    assert "N4-TRADITIONAL" in text and "驛→驿" in text and "N1-STACKED" in text
    assert page.locator(".verdict.bad").inner_text() == "不通过"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "names-check.png"), full_page=True)

    page.fill("#name", "天中大道")
    page.select_option("#category", "road")
    page.click("button:has-text('检查')")
    page.wait_for_selector("#generated-pinyin")
    assert page.locator("#generated-pinyin").inner_text() == "Tiānzhōng Dàdào"
    assert page.locator(".verdict.good").inner_text() == "通过"

    page.click("text=地名查询")
    page.fill("#q", "byx")
    page.wait_for_selector("li.result")
    first = page.locator("li.result").first
    assert "泌阳县" in first.inner_text() and "Bìyáng Xiàn" in first.inner_text()
    first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "泌阳县" in popup.inner_text()
    page.fill("#q", "zmd")
    wait_until(
        page,
        "document.querySelector('li.result b') && "
        "document.querySelector('li.result b').textContent === '驻马店市'",
    )
    page.screenshot(path=str(ARTIFACTS / "names-search.png"))
    page.close()

"""End to end in real Chromium: an officer registers a place-name sign whose text differs from
its name record, picking the record with the search box, and sees the mismatch on the list."""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS, browser_login

pytestmark = pytest.mark.browser


def test_officer_registers_a_sign_and_sees_the_text_mismatch(live_server, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    outside: list[str] = []
    failed: list[str] = []
    page.on(
        "request", lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None
    )
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    browser_login(page, live_server, "officer1")

    page.click("nav >> text=地名标志")
    page.wait_for_selector("#signs-map .leaflet-container")
    assert "尚未登记地名标志" in page.inner_text("body")
    page.click("text=登记标志")

    # pick the record by its pinyin initials; its standard text and pinyin are filled in
    page.fill("#sign-name_id-q", "fglndsq")
    hit = page.locator("li.result", has_text="风光路南段社区").first
    hit.wait_for()
    hit.click()
    assert page.input_value("#sign-name_id") == "D411702001002"
    assert page.input_value("#text") == "风光路南段社区"
    assert page.input_value("#pinyin") == "Fēngguānglùnánduàn Shèqū"
    assert page.input_value("#sign_type") == "village"
    assert "已选：风光路南段社区" in page.inner_text("#sign-name_id-picked")

    # a click on the map fills the coordinates; then the surveyed ones are typed in
    box = page.locator("#pick-map .leaflet-container").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    lon, lat = float(page.input_value("#lon")), float(page.input_value("#lat"))
    assert 113 < lon < 116 and 32 < lat < 34
    page.fill("#lon", "114.0236")
    page.fill("#lat", "32.9862")

    # the sign on the street says 小区, not 社区
    page.fill("#text", "风光路南段小区")
    page.fill("#installed_on", "2024-04-01")
    page.fill("#installer", "人民街街道办事处")
    page.click("button:has-text('登记')")
    page.wait_for_selector("#sign-findings")
    assert "已登记地名标志 S000001" in page.inner_text(".flashes")
    findings = page.inner_text("#sign-findings")
    assert "[N8-SIGN-TEXT]" in findings
    assert "“风光路南段小区”与标准地名“风光路南段社区”不一致" in findings
    assert "N8-SIGN-PINYIN" not in findings

    page.click("nav >> text=地名标志")
    page.wait_for_selector("#signs-map path.leaflet-interactive")
    row = page.inner_text("#sign-S000001")
    assert "[N8-SIGN-TEXT]" in row and "[N8-SIGN-PATROL]" in row and "从未巡检" in row
    assert page.inner_text("#count-N8-SIGN-TEXT") == "1"
    assert page.inner_text("#count-N8-SIGN-PINYIN") == "0"
    # the sign on the map, coloured as a mismatch, with its findings in the popup
    marker = page.locator("#signs-map path.leaflet-interactive")
    assert marker.count() == 1 and marker.get_attribute("fill") == "#c0392b"
    marker.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "S000001" in popup.inner_text() and "[N8-SIGN-TEXT]" in popup.inner_text()
    page.wait_for_function(
        "getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
    )
    page.mouse.move(5, 5)  # hide the hover tooltip, keep the popup
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "signs.png"), full_page=True)
    assert outside == [], "the page must not load anything from outside the server"
    assert failed == []
    page.close()

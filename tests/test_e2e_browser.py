"""End to end: the real server (waitress, `geociv serve`) and real headless Chromium."""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS, PASSWORD, wait_until
from tests.test_divisions import COUNTIES

pytestmark = pytest.mark.browser


def test_log_in_see_the_ten_counties_click_one_read_its_popup(live_server, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    outside: list[str] = []
    failed: list[str] = []
    page.on(
        "request", lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None
    )
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    page.goto(f"{live_server}/")
    assert "/login" in page.url
    page.fill("#username", "planner1")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("path.leaflet-interactive")

    # ten county polygons plus the city outline (drawn, not clickable)
    assert page.locator("path.leaflet-interactive").count() == len(COUNTIES)
    labels = page.locator(".division-label").all_inner_texts()
    assert sorted(labels) == sorted(COUNTIES)
    assert page.locator("#county-table tbody tr").count() == 10
    assert page.locator(".leaflet-control-scale-line").first.inner_text().endswith("km")
    assert "无底图（离线可用）" in page.locator(".leaflet-control-layers").inner_text()

    # click the county whose label says 驿城区 (labels do not take clicks; the polygon does)
    box = page.locator(".division-label", has_text="驿城区").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 + 14)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "驿城区" in text and "411702" in text and "面积" in text
    area = float(text.split("面积（km²）")[1].split()[0].replace(",", ""))
    assert 1000 < area < 1500

    wait_until(page, "getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home-map.png"))
    assert outside == [], "the page must not load anything from outside the server"
    assert failed == []
    page.close()

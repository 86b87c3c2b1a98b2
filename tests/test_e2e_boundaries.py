"""End to end in real Chromium: the two-side sign-off of a marker check.

Inspector A (inspector1, 西平县, the left side of 西上线) enters the check of marker 001Q on a
phone-sized screen, typing the measured position (the test browser has no GPS) 12 m from the
registered one, and signs for the left side; a second signature of the same side is refused
with a clear message. Inspector B (inspector2, 上蔡县, the right side) finds the record waiting,
signs, the record becomes final (双方已签字), and the displaced marker shows as a finding on the
map page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from geociv.store import open_store
from tests.boundary_field import Q1, prepare_field
from tests.boundary_setup import moved
from tests.conftest import ARTIFACTS, browser_login, wait_until
from tests.sample_files import png_bytes

pytestmark = pytest.mark.browser

PNG = png_bytes()


@pytest.fixture
def field(demo_path):
    """Lines, sample markers, this year's plan of 西上线 and inspectors of both sides, in the
    store the live server is about to open."""
    store = open_store(demo_path)
    plan, markers = prepare_field(store)
    store.close()
    return plan, markers


@pytest.fixture
def live_server(field, live_server):
    """The live server, started after the store has been prepared."""
    return live_server


def _watch(page, server: str) -> tuple[list[str], list[str]]:
    outside: list[str] = []
    failed: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(server) else None)
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return outside, failed


def test_a_marker_check_on_a_phone_is_signed_by_both_sides(field, live_server, browser) -> None:
    plan, markers = field
    ARTIFACTS.mkdir(exist_ok=True)
    where = moved(markers[Q1].location, 12)

    # -- inspector A, on a phone --------------------------------------------------------------
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    outside, failed = _watch(page, live_server)
    browser_login(page, live_server, "inspector1")
    page.click("#menu-button")  # on a phone the links sit in the menu
    page.click("nav >> text=界线联检")
    page.wait_for_selector("#boundaries-map .leaflet-container")
    page.click("a.button >> text=现场检查录入")
    page.wait_for_selector("#marker-form")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the field page is {width}px wide on a 390px screen"
    # the plan of the inspector's own line is chosen; its markers only are offered
    assert page.input_value("#plan_id") == str(plan.plan_id)
    offered = page.eval_on_selector_all(
        "#marker_id option:not([disabled])", "els => els.map(e => e.value).filter(v => v)"
    )
    assert offered == sorted(markers)
    page.select_option("#marker_id", Q1)
    assert "登记坐标" in page.inner_text("#registered")
    assert page.locator("#refs input[name=ref_ok]").count() == 3
    # no GPS in the test browser: the button says so and the fields stay editable
    page.click("#locate")
    wait_until(page, "document.getElementById('locate-status').textContent.indexOf('定位……') < 0")
    page.fill("#lon", f"{where.x:.7f}")
    page.fill("#lat", f"{where.y:.7f}")
    page.fill("#gps_accuracy_m", "3")
    assert "距登记位置约 12.0 米" in page.inner_text("#offset")
    page.click("label.cond-displaced")
    assert page.is_checked("input[name=condition][value=displaced]")
    page.set_input_files("#photo", {"name": "现场.png", "mimeType": "image/png", "buffer": PNG})
    page.fill("#remarks", "桩体被挖出后向东移动")
    assert page.is_checked("#sign")
    button = page.locator("label.cond-intact span").bounding_box()
    assert button["height"] >= 44 and button["width"] >= 100  # big enough for a thumb
    page.screenshot(path=str(ARTIFACTS / "boundary-check-phone.png"), full_page=True)
    page.click("#submit-marker")
    page.wait_for_url(f"{live_server}/boundaries/records/*")
    record_id = page.url.rsplit("/", 1)[-1]
    flashes = page.inner_text(".flashes")
    assert f"已记录界桩 {Q1} 的检查：移位" in flashes
    assert "已以本方名义签字" in flashes and "等待 右侧（上蔡县） 签字确认" in flashes
    assert page.inner_text("#record-status") == "待签字"
    assert "inspector1" in page.inner_text("#side-left")
    assert "待签字" in page.inner_text("#side-right")
    # a second signature by the same side is refused, with the reason
    page.click("#sign-button")
    page.wait_for_selector(".flash.error")
    refused = page.inner_text(".flashes")
    assert "签字未被接受" in refused and "同一方不能再次签字" in refused
    assert page.inner_text("#record-status") == "待签字"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert outside == [], "the page must not load anything from outside the server"
    assert failed == [f"400 {live_server}/boundaries/records/{record_id}/sign"]
    phone.close()

    # -- inspector B, the adjacent side ------------------------------------------------------
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    outside, failed = _watch(page, live_server)
    browser_login(page, live_server, "inspector2")
    page.goto(f"{live_server}/boundaries/")
    page.click(f"#pending >> text={record_id}")
    page.wait_for_url(f"{live_server}/boundaries/records/{record_id}")
    assert "本方" in page.inner_text("#side-right")
    page.click("#sign-button")
    page.wait_for_selector("#record-status.good")
    assert page.inner_text("#record-status") == "双方已签字"
    assert "双方已签字" in page.inner_text(".flashes")
    assert "inspector2" in page.inner_text("#side-right")
    assert page.locator("#sign-form").count() == 0
    assert "B5-DISPLACED" in page.inner_text("#record-findings")

    # the finding on the map page: in the list and as a layer of the map
    page.goto(f"{live_server}/boundaries/")
    page.wait_for_selector("#boundaries-map .leaflet-container")
    row = page.locator("#findings tr[data-rule='B5-DISPLACED']")
    assert row.count() == 1
    assert "实测位置距登记位置 12.0 米" in row.inner_text()
    assert page.locator("#pending").count() == 0
    red = page.locator("#boundaries-map path.leaflet-interactive[stroke='#c0392b']")
    assert red.count() >= 2  # the displacement line and the measured position
    row.locator("a.locate-finding").click()
    wait_until(page, f"window['{_map_name(page)}'].getZoom() === 18")
    page.wait_for_timeout(400)  # the pan animation
    # the measured position, at the end of the dashed line from the registered one
    page.locator("#boundaries-map path[stroke='#c0392b'][fill='#ffffff']").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "界桩移位" in popup.inner_text() and record_id in popup.inner_text()
    wait_until(page, "getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
    page.mouse.move(5, 5)
    page.screenshot(path=str(ARTIFACTS / "boundaries-map.png"), full_page=True)
    # the year's report: printable page and Word download
    year = date.today().year
    page.click("text=联检报告")
    page.wait_for_selector("#annual-links")
    with page.expect_download() as info:
        page.click(f"#annual-links a[href='/boundaries/reports/annual/{year}.docx']")
    download = info.value
    assert download.suggested_filename == f"界线联检年度报告-{year}.docx"
    assert Path(download.path()).read_bytes()[:2] == b"PK"
    page.click(f"#annual-links a[href='/boundaries/reports/annual/{year}']")
    page.wait_for_url(f"{live_server}/boundaries/reports/annual/{year}")
    assert "移位" in page.inner_text("body")
    assert outside == [], "the page must not load anything from outside the server"
    assert failed == []
    desk.close()


def _map_name(page) -> str:
    return page.evaluate(
        "Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map)"
    )

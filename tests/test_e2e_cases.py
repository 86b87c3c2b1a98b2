"""End to end in real Chromium: an officer registers a place-name sign whose text differs from
its name record, picking the record with the search box, and sees the mismatch on the list; an
officer refuses a renaming case (不予批准) on its page, through the reason field and the
confirmation, and the list shows it closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from geociv.gazetteer.cases import Cases
from geociv.store import open_store
from tests.conftest import ARTIFACTS, browser_login, wait_until

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
    page.locator("#pick-map").scroll_into_view_if_needed()  # in the form, above 登记
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
    assert "N8-SIGN-TEXT" in findings
    assert "“风光路南段小区”与标准地名“风光路南段社区”不一致" in findings
    assert "N8-SIGN-PINYIN" not in findings

    page.click("nav >> text=地名标志")
    page.wait_for_selector("#signs-map path.leaflet-interactive")
    row = page.inner_text("#sign-S000001")
    assert "N8-SIGN-TEXT" in row and "N8-SIGN-PATROL" in row and "从未巡检" in row
    assert page.inner_text("#count-N8-SIGN-TEXT") == "1"
    assert page.inner_text("#count-N8-SIGN-PINYIN") == "0"
    # the sign on the map, coloured as a mismatch, with its findings in the popup
    marker = page.locator("#signs-map path.leaflet-interactive")
    assert marker.count() == 1 and marker.get_attribute("fill") == "#c0392b"
    marker.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "S000001" in popup.inner_text() and "N8-SIGN-TEXT" in popup.inner_text()
    wait_until(page, "getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
    page.mouse.move(5, 5)  # hide the hover tooltip, keep the popup
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "signs.png"), full_page=True)
    assert outside == [], "the page must not load anything from outside the server"
    assert failed == []
    page.close()


def test_officer_refuses_a_case_on_its_page(live_server, browser, demo_path: Path) -> None:
    store = open_store(demo_path)  # the server's store file: a case applied for by the officer
    case = Cases(store).apply(
        "renaming", "风光路社区", name_id="D411702001002", applicant="人民街街道办事处",
        location="人民街街道中部", actor="officer1", on="2025-03-03",
    )  # fmt: skip
    store.close()
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    dialogs: list[str] = []
    answer = {"accept": False}  # what the officer answers at the confirmation

    def confirm(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept() if answer["accept"] else dialog.dismiss()

    page.on("dialog", confirm)
    browser_login(page, live_server, "officer1")
    page.goto(f"{live_server}/cases/{case.case_id}")
    assert page.inner_text("#case-status") == "已申请"

    # the forms are folded away until asked for
    assert not page.is_visible("#reject-reason")
    page.click("#reject-open")
    page.wait_for_selector("#reject-reason", state="visible")
    # an empty reason is stopped by the browser: no confirmation, no request
    page.click("#reject-submit")
    assert dialogs == [] and page.inner_text("#case-status") == "已申请"

    # the officer backs out at the confirmation: nothing changes
    page.fill("#reject-reason", "与邻近社区名称重名，不予批准")
    page.click("#reject-submit")
    page.wait_for_timeout(300)
    assert len(dialogs) == 1 and f"确定不予批准案件 {case.case_id}" in dialogs[0]
    assert page.inner_text("#case-status") == "已申请"

    # confirmed: the case is closed with its reason, date and actor
    answer["accept"] = True
    with page.expect_navigation():
        page.click("#reject-submit")
    assert len(dialogs) == 2
    assert page.inner_text("#case-status") == "不予批准"
    assert "理由：与邻近社区名称重名，不予批准" in page.inner_text(".flashes")
    closed = page.inner_text("#case-closed")
    assert "不予批准理由：与邻近社区名称重名，不予批准" in closed
    assert "“风光路南段社区”仍为标准地名" in closed
    assert page.inner_text("#close-reason") == "与邻近社区名称重名，不予批准"
    assert "officer1" in page.inner_text("#steps tr:has-text('不予批准')")
    assert page.locator("#close-case").count() == 0 and page.locator("#next-step").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "case-rejected.png"), full_page=True)

    # the list shows the closed status; the filter finds it
    page.click("nav >> text=命名更名")
    row = page.locator("#cases tr", has_text=case.case_id)
    assert "不予批准" in row.inner_text()
    page.select_option("select[name=status]", "rejected")
    page.wait_for_url("**/cases/?status=rejected")
    assert case.case_id in page.inner_text("#cases")
    page.select_option("select[name=status]", "withdrawn")
    page.wait_for_url("**/cases/?status=withdrawn")
    assert case.case_id not in page.inner_text("body")
    assert failed == []
    page.close()

    store = open_store(demo_path)
    assert store.get_case(case.case_id).status == "rejected"
    assert store.get_name("D411702001002").name == "风光路南段社区"
    store.close()

"""The sign register and patrol forms on a phone (issue 10): the same position block as the
boundary check page (one template macro and ``static/locate.js``): a GPS button that fills the
coordinates, thumb-sized fields, and the map above the submit button."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ARTIFACTS, browser_login, wait_until

pytestmark = pytest.mark.browser

COMMUNITY = "D411702001002"  # 风光路南段社区 (驿城区) in the demo gazetteer
HERE = {"longitude": 114.0220, "latitude": 32.9800, "accuracy": 4}


def _small_targets(page, form: str) -> list[str]:
    """Visible fields and buttons of ``form`` lower than 44 px (the file input's own button
    counts as the input)."""
    return page.evaluate(
        """form => [...document.querySelectorAll(form + ' input, ' + form + ' select, '
                  + form + ' button, ' + form + ' label.choice span')]
            .filter(e => e.offsetParent !== null && e.type !== 'hidden'
                         && e.type !== 'checkbox' && e.type !== 'radio')
            .map(e => [e.id || e.name || e.textContent, e.getBoundingClientRect().height])
            .filter(([, h]) => h < 44).map(([n, h]) => n + ' ' + Math.round(h))""",
        form,
    )


def _above(page, upper: str, lower: str) -> bool:
    return page.evaluate(
        "([a, b]) => document.querySelector(a).getBoundingClientRect().bottom"
        " <= document.querySelector(b).getBoundingClientRect().top",
        [upper, lower],
    )


def test_sign_register_and_patrol_on_a_phone(live_server, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True,
        geolocation=HERE, permissions=["geolocation"],
    )  # fmt: skip
    page = phone.new_page()
    browser_login(page, live_server, "officer1")

    # -- register a sign standing next to it ----------------------------------------------
    page.goto(f"{live_server}/signs/new")
    page.wait_for_selector("#pick-map .leaflet-container")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert _small_targets(page, "#sign-form") == []
    assert _above(page, "#pick-map", "#submit-sign"), "the map must come before the submit button"
    icons = page.locator("#pick-map .leaflet-marker-icon").count()  # county labels
    page.click("#locate")
    wait_until(page, "document.getElementById('lon').value !== ''")
    assert (page.input_value("#lon"), page.input_value("#lat")) == ("114.0220000", "32.9800000")
    assert "已填入当前位置" in page.inner_text("#locate-status")
    assert page.locator("#pick-map .leaflet-marker-icon").count() == icons + 1  # a marker
    page.fill("#sign-name_id", COMMUNITY)
    page.fill("#text", "风光路南段社区")
    page.screenshot(path=str(ARTIFACTS / "sign-register-phone.png"), full_page=True)
    page.click("#submit-sign")
    page.wait_for_url(re.compile(rf"{live_server}/signs/S\d+"))
    assert "已登记地名标志" in page.inner_text(".flashes")
    assert "114.022000, 32.980000" in page.inner_text("table.grid >> nth=1")

    # -- patrol it ------------------------------------------------------------------------
    page.wait_for_selector("#patrol-form #pick-map .leaflet-container")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert _small_targets(page, "#patrol-form") == []
    assert _above(page, "#patrol-form #pick-map", "#submit-patrol")
    page.click("#patrol-form #locate")
    wait_until(page, "document.querySelector('#patrol-form #lon').value !== ''")
    assert page.input_value("#patrol-form #lat") == "32.9800000"
    assert "距该标志登记位置约 0 米" in page.inner_text("#patrol-form #offset")
    page.click("label.cond-soiled")
    page.fill("#patrol-remarks", "字迹褪色")
    page.screenshot(path=str(ARTIFACTS / "sign-patrol-phone.png"), full_page=True)
    page.click("#submit-patrol")
    page.wait_for_selector(".flash.info")
    assert "的巡检：污损" in page.inner_text(".flashes")
    phone.close()

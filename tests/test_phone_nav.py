"""The top bar by role (issue 10, phone): each role sees its own pages first and only the pages
it may open; on a phone the links fold into a 菜单 button and the bar stays one line."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ARTIFACTS, browser_login, login

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "locale": "zh-CN",
    "is_mobile": True,
    "has_touch": True,
}
DESK = {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN"}
ADMIN_LINKS = ("用户管理", "审计日志", "数据备份")


def _nav_labels(html: str) -> list[str]:
    nav = html.split('<nav aria-label="主导航">', 1)[1].split("</nav>", 1)[0]
    return re.findall(r"<a [^>]*>([^<]+)</a>", nav)


@pytest.mark.parametrize(
    ("username", "first"),
    [
        ("inspector1", ["辖区地图", "界线联检", "现场检查录入"]),
        ("officer1", ["辖区地图", "地名查询", "地名检查", "批量检查", "读音与名单", "命名更名"]),
        ("planner1", ["辖区地图", "养老服务圈"]),
        ("admin1", ["辖区地图", *ADMIN_LINKS]),
    ],
)
def test_each_role_sees_its_own_links_first(client, username: str, first: list[str]) -> None:
    login(client, username)
    labels = _nav_labels(client.get("/").get_data(as_text=True))
    assert labels[: len(first)] == first
    assert len(labels) == len(set(labels))
    if username == "admin1":
        assert "现场检查录入" in labels and "地名标志" in labels  # admins see everything
    else:
        assert not set(ADMIN_LINKS) & set(labels)  # nobody else sees pages they may not open
    if username in ("officer1", "planner1"):
        assert "现场检查录入" not in labels


def test_the_current_page_is_marked(client) -> None:
    login(client, "inspector1")
    html = client.get("/boundaries/").get_data(as_text=True)
    assert re.search(r'<a href="/boundaries/" aria-current="page">界线联检</a>', html)


def test_nobody_logged_in_sees_no_menu(client) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert "menu-button" not in html and "主导航" not in html


@pytest.mark.browser
def test_the_phone_menu_shows_the_inspectors_links(live_server, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    browser_login(page, live_server, "inspector1")
    bar = page.locator("header.topbar").bounding_box()
    assert bar["height"] <= 64, f"the top bar is {bar['height']} px tall on a phone"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not page.is_visible("nav >> text=界线联检")  # folded away until the menu opens
    assert page.get_attribute("#menu-button", "aria-expanded") == "false"

    page.click("#menu-button")
    assert page.get_attribute("#menu-button", "aria-expanded") == "true"
    link = page.locator("nav >> text=界线联检")
    assert link.is_visible()
    box = link.bounding_box()
    assert box["y"] + box["height"] <= 844 and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert box["height"] >= 44  # a thumb-sized target
    shown = page.eval_on_selector_all("nav a", "els => els.map(e => e.textContent)")
    assert shown[:3] == ["辖区地图", "界线联检", "现场检查录入"]
    assert "用户管理" not in shown
    assert page.is_visible("header .who") and page.is_visible("text=退出")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "nav-phone-inspector-open.png"))

    link.click()
    page.wait_for_url(f"{live_server}/boundaries/")
    assert page.locator("header.topbar").bounding_box()["height"] <= 64
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


@pytest.mark.browser
def test_every_link_shows_at_desktop_width(live_server, browser) -> None:
    page = browser.new_page(**DESK)
    browser_login(page, live_server, "admin1")
    assert not page.is_visible("#menu-button")
    from web.navigation import NAV_LINKS

    for link in (k for k in NAV_LINKS if k.admin_bar):
        box = page.locator("nav a", has_text=re.compile(f"^{link.label}$")).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1280, link.label
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    sizes = page.evaluate(
        "[document.querySelector('.topbar nav').scrollWidth, "
        "document.querySelector('.topbar nav').clientWidth]"
    )
    assert sizes[0] <= sizes[1], f"the links scroll sideways: {sizes}"
    assert page.locator("header.topbar").bounding_box()["height"] <= 64
    page.screenshot(path=str(ARTIFACTS / "nav-desktop-admin.png"))
    page.close()

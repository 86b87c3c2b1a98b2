"""The top bar's links, by role: each role sees the pages of its own work first, then the
other pages it may open; admins see everything.

On a desktop the links sit in the bar; on a phone they fold into the 菜单 button
(``web/static/topbar.js``, styles in ``geociv.css``).

Examples
--------
>>> [link.label for link in main_links("inspector")]
['辖区地图', '界线联检', '现场检查录入']
>>> "用户管理" in [link.label for link in other_links("officer")]
False
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request, url_for
from flask_login import current_user

__all__ = ["NAV_LINKS", "NavLink", "main_links", "nav_context", "other_links"]

_EVERYONE: tuple[str, ...] = ("officer", "inspector", "planner", "admin")


@dataclass(frozen=True)
class NavLink:
    """One link of the top bar.

    Attributes
    ----------
    endpoint
        The Flask endpoint the link opens.
    label
        What the link says.
    main
        Roles whose everyday work the page is: they see it first.
    may
        Roles that may open the page (admins always may).
    admin_bar
        Whether an admin's bar shows the link among the other pages (its desktop bar is
        full: a page reached from another one is left out).
    """

    endpoint: str
    label: str
    main: tuple[str, ...]
    may: tuple[str, ...] = _EVERYONE
    admin_bar: bool = True

    def allowed(self, role: str) -> bool:
        """Whether a user of ``role`` may open the page."""
        return role == "admin" or role in self.may


#: Every link of the top bar, in the order it shows within its group.
NAV_LINKS: tuple[NavLink, ...] = (
    NavLink("home.index", "辖区地图", main=_EVERYONE),
    NavLink("names.search_page", "地名查询", main=("officer",)),
    NavLink("names.check", "地名检查", main=("officer",)),
    NavLink("names.import_page", "批量检查", main=("officer",)),
    NavLink("names.lists", "读音与名单", main=("officer",)),
    NavLink("cases.list_page", "命名更名", main=("officer",)),
    # admins open it from the naming-case list (命名更名)
    NavLink("changes.proposals_page", "区划变更", main=("officer",), may=("officer",),
            admin_bar=False),
    NavLink("signs.list_page", "地名标志", main=("officer",)),
    NavLink("boundaries.map_page", "界线联检", main=("inspector",)),
    NavLink("boundaries.check_page", "现场检查录入", main=("inspector",), may=("inspector",)),
    NavLink("coverage.map_page", "养老服务圈", main=("planner",)),
    NavLink("admin.users", "用户管理", main=("admin",), may=("admin",)),
    NavLink("admin.audit", "审计日志", main=("admin",), may=("admin",)),
    NavLink("admin.backups", "数据备份", main=("admin",), may=("admin",)),
    NavLink("api.openapi", "API", main=()),
)


def main_links(role: str) -> list[NavLink]:
    """The links of ``role``'s own work, in bar order."""
    return [link for link in NAV_LINKS if role in link.main and link.allowed(role)]


def other_links(role: str) -> list[NavLink]:
    """The other links ``role`` may open (for an admin: every other link)."""
    return [
        link
        for link in NAV_LINKS
        if role not in link.main and link.allowed(role) and (role != "admin" or link.admin_bar)
    ]


def nav_context() -> dict[str, Any]:
    """Template context of the top bar: ``nav_main`` and ``nav_other`` as ``(url, label,
    current)`` triples for the logged-in user (empty when nobody is logged in)."""
    if not current_user.is_authenticated:
        return {"nav_main": [], "nav_other": []}
    role = current_user.user.role

    def entries(links: list[NavLink]) -> list[tuple[str, str, bool]]:
        return [(url_for(k.endpoint), k.label, request.endpoint == k.endpoint) for k in links]

    return {"nav_main": entries(main_links(role)), "nav_other": entries(other_links(role))}

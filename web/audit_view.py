"""The admin audit page in officials' words: its filters read from the query string, entries as
the fields that changed (old → new, Chinese labels), and the page links.

Examples
--------
>>> from geociv.store import AuditEntry
>>> entry = AuditEntry(1, "2026-05-01T02:00:00+00:00", "officer1", "names.update", "names",
...                    "D1", {"name": "人民路", "status": "active"},
...                    {"name": "人民大道", "status": "active"})
>>> [(c.label, c.old.text, c.new.text) for c in changes(entry)]
[('名称', '人民路', '人民大道')]
>>> action_label("names.update")
'地名记录 · 修改'
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from geociv.errors import Problem
from geociv.localtime import BEIJING
from geociv.store import AuditEntry, AuditQuery
from web.words import BOUNDARY_LABELS, COMMON_LABELS, COVERAGE_LABELS, GAZETTEER_LABELS

__all__ = [
    "AUDIT_PAGE_SIZE",
    "AuditFilters",
    "Change",
    "Shown",
    "action_label",
    "changes",
    "entity_label",
    "page_numbers",
    "read_filters",
]

#: Entries on one page of the audit log.
AUDIT_PAGE_SIZE = 50
#: Longest value shown in full in the table; longer ones are cut and open on a click.
SHORT_VALUE = 30
#: Highest page number a request may ask for.
PAGE_MAX = 1_000_000

#: What each table of the store holds, in officials' words.
ENTITY_LABELS: dict[str, str] = {
    "names": "地名记录",
    "name_terms": "名单词条",
    "pinyin_overrides": "特殊读音",
    "finding_overrides": "检查结果确认",
    "name_cases": "命名更名案件",
    "signs": "地名标志",
    "divisions": "行政区划",
    "boundary_lines": "界线",
    "markers": "界桩",
    "inspection_rounds": "联检轮次",
    "inspection_plans": "联检计划",
    "inspection_records": "联检记录",
    "facilities": "养老设施",
    "zone_sets": "统计分区",
    "coverage_runs": "服务圈计算",
    "road_networks": "路网",
    "population_rasters": "人口栅格",
    "users": "用户",
    "geociv_meta": "系统设置",
    "store": "数据库",
    "endpoint": "页面或接口",
    "authority": "权限",
}

#: What the last part of an action code (``names.update``) means.
ACTION_VERBS: dict[str, str] = {
    "add": "新增",
    "update": "修改",
    "retire": "停用",
    "import": "导入",
    "load": "载入",
    "load_divisions": "由区划生成",
    "former_name": "记录曾用名",
    "override": "确认",
    "derive": "推算",
    "survey": "勘界更新",
    "close": "终止",
    "sign": "签字",
    "patrol": "巡检",
    "document": "上传附件",
    "apply": "申请",
    "run": "计算",
    "set": "设置",
    "delete": "删除",
    "restore": "恢复",
    "login": "登录",
    "logout": "退出",
    "login_throttled": "登录受限",
    "denied": "拒绝访问",
}

#: Fields of the boundary tables labelled as the boundary forms label them, whatever the table.
_BOUNDARY_FIELDS = ("line_id", "year", "round_no", "first_year", "last_year", "plan_id",
                    "marker_id", "remarks", "version")  # fmt: skip

#: Chinese labels of the columns the audit trail records (beyond the form fields').
AUDIT_FIELD_LABELS: dict[str, str] = {
    **COMMON_LABELS,
    **GAZETTEER_LABELS,
    **COVERAGE_LABELS,
    **{field: BOUNDARY_LABELS[field] for field in _BOUNDARY_FIELDS},
    "name": "名称",
    "level": "级别",
    "parent_code": "上级区划代码",
    "kind": "类型",
    "area_km2": "面积（km²）",
    "created_at": "创建时间",
    "created_by": "创建人",
    "updated_at": "更新时间",
    "display_name": "显示名称",
    "active": "启用",
    "generic": "通名",
    "specific": "专名",
    "represents": "含义",
    "heritage_level": "保护级别",
    "pinyin_reviewed": "拼音已审定",
    "address": "地址",
    "facility_id": "设施编号",
    "type": "类型",
    "sample": "示例数据",
    "left_code": "左侧区划",
    "right_code": "右侧区划",
    "length_km": "长度（km）",
    "section": "界段",
    "valid_from": "生效日期",
    "valid_to": "失效日期",
    "internal": "内部界线",
    "serial": "序号",
    "type_code": "类型代码",
    "material": "材质",
    "references": "方位物",
    "registered_on": "登记日期",
    "left_team": "左侧联检组",
    "right_team": "右侧联检组",
    "measured_lon": "实测经度",
    "measured_lat": "实测纬度",
    "reference_checks": "方位物核对",
    "signatures": "签字",
    "side": "签字方",
    "side_code": "签字方区划",
    "title": "标题",
    "n_zones": "分区数",
    "zones": "分区",
    "retired": "已停用",
    "set_id": "分区集编号",
    "geometry_sha1": "几何校验值",
    "record_id": "记录编号",
}

#: Labels that differ by table (a boundary record's ``condition`` is the marker's).
_ENTITY_FIELD_LABELS: dict[str, Mapping[str, str]] = {
    "inspection_records": {**COMMON_LABELS, **BOUNDARY_LABELS},
    "markers": {**COMMON_LABELS, **BOUNDARY_LABELS},
}

_ENTITY_RE = re.compile(r"[a-z_]{1,64}")
_ACTION_RE = re.compile(r"[a-z_]{1,40}(\.[a-z_]{1,40})?")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def entity_label(entity: str) -> str:
    """A table's name in officials' words (the code itself when unknown)."""
    return ENTITY_LABELS.get(entity, entity)


def action_label(action: str) -> str:
    """``names.update`` → ``地名记录 · 修改``; an unknown code is returned as it is."""
    prefix, _, verb = action.rpartition(".")
    table = {"lines": "boundary_lines", "plans": "inspection_plans", "rounds":
             "inspection_rounds", "inspections": "inspection_records", "cases": "name_cases",
             "terms": "name_terms", "pinyin": "pinyin_overrides", "findings":
             "finding_overrides", "meta": "geociv_meta", "auth": "", "photos":
             "inspection_records", "coverage": "coverage_runs"}.get(prefix, prefix)  # fmt: skip
    if verb not in ACTION_VERBS or (table and table not in ENTITY_LABELS):
        return action
    return " · ".join(p for p in (ENTITY_LABELS.get(table, ""), ACTION_VERBS[verb]) if p)


@dataclass(frozen=True)
class Shown:
    """A value as the table shows it: ``text`` (cut to :data:`SHORT_VALUE` characters) and,
    when cut, the ``full`` text."""

    text: str
    full: str = ""


@dataclass(frozen=True)
class Change:
    """One field of an audited record that changed: ``old`` is ``None`` when the entry added
    the record, ``new`` when it removed it."""

    field: str
    label: str
    old: Shown | None
    new: Shown | None


def _shown(value: Any) -> Shown:
    if value is None or value == "":
        return Shown("（空）")
    if isinstance(value, bool):
        return Shown("是" if value else "否")
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    else:
        text = str(value)
    if len(text) <= SHORT_VALUE:
        return Shown(text)
    return Shown(text[:SHORT_VALUE] + "…", text)


def changes(entry: AuditEntry) -> list[Change]:
    """The fields ``entry`` changed, in the record's order: every filled field of an added
    record, every field of a removed one, else the fields whose value differs."""
    before, after = entry.before or {}, entry.after or {}
    labels = _ENTITY_FIELD_LABELS.get(entry.entity, {})
    out = []
    for key in [*after, *(k for k in before if k not in after)]:
        old, new = before.get(key), after.get(key)
        if entry.before is not None and entry.after is not None and old == new:
            continue
        if entry.before is None and new in (None, "", [], {}):
            continue
        label = labels.get(key) or AUDIT_FIELD_LABELS.get(key) or key
        out.append(
            Change(
                field=key,
                label=label,
                old=None if entry.before is None else _shown(old),
                new=None if entry.after is None else _shown(new),
            )
        )
    return out


@dataclass
class AuditFilters:
    """The audit page's filters from the query string.

    Attributes
    ----------
    query
        What to ask the store.
    page
        The page asked for (1 = newest).
    args
        The accepted filters as query arguments (for the form and the page links).
    problems
        Filters that were refused (and ignored), each naming its field.
    """

    query: AuditQuery = field(default_factory=AuditQuery)
    page: int = 1
    args: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def _day(text: str, label: str, name: str) -> date | Problem:
    if _DATE_RE.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            pass
        else:
            if 1970 <= day.year <= 2999:
                return day
    return Problem(f"{label}应为日期，如 2026-05-01，收到“{text[:20]}”；已忽略", field=name)


def _token(args: Mapping[str, str], name: str, label: str, pattern: re.Pattern[str] | None,
           filters: AuditFilters) -> str | None:  # fmt: skip
    text = (args.get(name) or "").strip()
    if not text:
        return None
    if len(text) > 64 or (pattern is not None and not pattern.fullmatch(text)):
        filters.problems.append(
            Problem(f"{label}“{text[:20]}”不是有效的筛选值；已忽略", field=name)
        )
        return None
    filters.args[name] = text
    return text


def _dates(args: Mapping[str, str], filters: AuditFilters) -> tuple[str | None, str | None]:
    """``since``/``until`` (Beijing dates, both days included) as UTC bounds."""
    days: dict[str, date] = {}
    for name, label in (("since", "开始日期"), ("until", "结束日期")):
        text = (args.get(name) or "").strip()
        if text:
            found = _day(text, label, name)
            if isinstance(found, Problem):
                filters.problems.append(found)
            else:
                days[name] = found
    if "since" in days and "until" in days and days["until"] < days["since"]:
        filters.problems.append(Problem("结束日期早于开始日期；已忽略结束日期", field="until"))
        del days["until"]
    filters.args.update({k: v.isoformat() for k, v in days.items()})
    since = days.get("since")
    until = days.get("until")
    return (
        None if since is None else datetime.combine(since, time(), BEIJING).isoformat(),
        None
        if until is None
        else datetime.combine(until + timedelta(days=1), time(), BEIJING).isoformat(),
    )


def read_filters(args: Mapping[str, str]) -> AuditFilters:
    """The filters of the audit page from ``args``: ``actor``, ``entity``, ``action``,
    ``since`` and ``until`` (Beijing dates, inclusive), ``page``. A bad value is left out and
    reported in ``problems``."""
    filters = AuditFilters()
    actor = _token(args, "actor", "操作人", None, filters)
    entity = _token(args, "entity", "对象类别", _ENTITY_RE, filters)
    action = _token(args, "action", "操作", _ACTION_RE, filters)
    since, until = _dates(args, filters)
    filters.query = AuditQuery(actor=actor, entity=entity, action=action, since=since, until=until)
    page = (args.get("page") or "1").strip()
    if re.fullmatch(r"\d{1,7}", page) and 1 <= int(page) <= PAGE_MAX:
        filters.page = int(page)
    else:
        message = f"页码应为 1–{PAGE_MAX} 的整数，收到“{page[:20]}”；已显示第 1 页"
        filters.problems.append(Problem(message, field="page"))
    return filters


def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """Page links to show: the first, the last and ``around`` either side of ``page``;
    ``None`` marks a gap.

    >>> page_numbers(7, 20)
    [1, None, 5, 6, 7, 8, 9, None, 20]
    """
    wanted = {1, pages, *range(page - around, page + around + 1)}
    shown = sorted(n for n in wanted if 1 <= n <= pages)
    out: list[int | None] = []
    for n in shown:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out

"""The page's words: how a problem, a field and a rule read to an official.

The domain names the field a :class:`~geociv.errors.Problem` concerns by its machine name
(``condition``, ``proposed_name``); pages show the field's Chinese label as the main text and
the machine name only as a small secondary tag. One label table per domain (place names with
cases and signs, boundaries, coverage, accounts), chosen by the blueprint that answers; fields
not named by a domain fall back to :data:`COMMON_LABELS`. The JSON API keeps ``field`` and adds
``label``.

Examples
--------
>>> from geociv.errors import Problem
>>> str(problem_html(Problem("不能为空", field="proposed_name"), domain="gazetteer"))
'拟用名称：不能为空 <small class="tag">proposed_name</small>'
>>> label_of("condition", "boundaries"), label_of("condition", "gazetteer")
('界桩状况', '标志状况')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, has_request_context, request
from markupsafe import Markup, escape

from geociv.errors import Problem
from geociv.localtime import cell_time, text_time

#: Labels shared by every domain (a domain table overrides a field whose meaning differs).
COMMON_LABELS: dict[str, str] = {
    "file": "文件",
    "filename": "文件名",
    "content": "文件内容",
    "layer": "图层",
    "format": "格式",
    "body": "请求内容",
    "q": "查询词",
    "id": "编号",
    "name": "名称",
    "label": "名称",
    "note": "备注",
    "source": "来源",
    "reason": "理由",
    "date": "日期",
    "today": "日期",
    "status": "状态",
    "kind": "类别",
    "type": "类型",
    "level": "层级",
    "code": "区划代码",
    "adcode": "区划代码",
    "parent": "上级区划",
    "division_code": "所属区划代码",
    "division": "所属区划",
    "geometry": "几何",
    "location": "位置",
    "lon": "经度",
    "lat": "纬度",
    "crs": "坐标系",
    "declared_crs": "坐标系",
    "bbox": "地图范围",
    "inside_division": "所在行政区",
    "limit": "条数",
    "offset": "起始位置",
    "page": "页码",
    "path": "文件路径",
    "photo": "照片",
    "photo_filename": "照片文件名",
    "username": "用户名",
    "password": "密码",
    "role": "角色",
    "display_name": "姓名",
    "actor": "操作人",
}

#: Place names, naming cases and place-name signs.
GAZETTEER_LABELS: dict[str, str] = {
    "name": "地名",
    "kind": "案件类型",
    "case_id": "案件编号",
    "name_id": "地名记录",
    "proposed_name": "拟用名称",
    "category": "地名类别",
    "applicant": "申请人",
    "documents": "附件",
    "doc_type": "附件类型",
    "approving_body": "审批机关",
    "filed_with": "备案机关",
    "accept": "确认检查结果",
    "step": "办理步骤",
    "sign_id": "标志编号",
    "sign_type": "标志类型",
    "text": "标志汉字",
    "pinyin": "拼音",
    "installed_on": "设置日期",
    "installer": "设置单位",
    "condition": "标志状况",
    "inspector": "巡检人",
    "patrol_days": "巡检周期",
    "term": "名单词条",
    "list": "名单",
    "rule": "检查规则",
    "word": "词语",
    "heritage_level": "地名文化遗产级别",
    "aliases": "别名",
}

#: Boundary lines, markers, inspections and their records.
BOUNDARY_LABELS: dict[str, str] = {
    "line_id": "界线",
    "year": "年度",
    "round_no": "联检轮次",
    "first_year": "起始年份",
    "last_year": "结束年份",
    "plan_id": "联检计划",
    "marker_id": "界桩",
    "type": "界桩类型",
    "level": "界线级别",
    "inspected_on": "检查日期",
    "condition": "界桩状况",
    "location": "实测位置",
    "measured": "实测位置",
    "gps_accuracy_m": "GPS 精度（米）",
    "references_present": "方位物",
    "remarks": "备注",
    "changes": "界线变化",
    "change": "界线变化",
    "reason": "更正原因",
    "signer": "签字",
    "version": "版本",
}

#: Service coverage: facilities, networks, rasters, runs and site suggestions.
COVERAGE_LABELS: dict[str, str] = {
    "types": "设施类型",
    "type": "设施类型",
    "statuses": "设施状态",
    "status": "设施状态",
    "aoi": "分析范围",
    "zone_set": "统计单元集",
    "zones": "统计单元",
    "zones_id": "统计单元集",
    "minutes": "时间（分钟）",
    "rings": "圈层",
    "speed": "步行速度",
    "detour": "绕行系数",
    "network_id": "路网",
    "raster_id": "人口栅格",
    "other_raster_ids": "其他人口栅格",
    "raster": "人口栅格",
    "run_id": "覆盖计算",
    "suggestion": "建议站点",
    "k": "新增站点数",
    "target_share": "目标覆盖率",
    "objective": "选址目标",
    "candidates": "候选点来源",
    "candidate_ids": "候选点",
    "method": "求解方法",
    "radius": "服务半径",
    "cell_m": "候选网格间距",
    "add": "新增站点",
    "remove": "撤除站点",
    "facilities": "设施",
    "capacity_beds": "床位数",
    "area": "面积",
    "codes": "区划代码",
    "level": "区划层级",
    "workers": "工作线程数",
    "scheduler": "计算集群地址",
}

#: Division changes: the uploaded lists, proposals, change cases and 勘界 tasks.
CHANGE_LABELS: dict[str, str] = {
    "old": "旧名单",
    "new": "新名单",
    "old_villages": "旧的村级名单",
    "new_villages": "新的村级名单",
    "parent": "上级区划代码",
    "proposal_id": "变更建议",
    "kind": "变更类型",
    "title": "案件标题",
    "before": "变更前单位",
    "villages": "村级单位调整",
    "after": "变更后单位",
    "seat": "新驻地",
    "approving_body": "审批机关",
    "approval_number": "批准文号",
    "doc_type": "附件类型",
    "step": "办理步骤",
    "pinyin": "拼音",
}

#: User accounts, log-in and back-ups.
ACCOUNT_LABELS: dict[str, str] = {
    "path": "备份文件",
    # filters of the audit page
    "since": "开始日期",
    "until": "结束日期",
    "entity": "对象类别",
    "page": "页码",
}

DOMAIN_LABELS: dict[str, dict[str, str]] = {
    "gazetteer": GAZETTEER_LABELS,
    "boundaries": BOUNDARY_LABELS,
    "coverage": COVERAGE_LABELS,
    "changes": CHANGE_LABELS,
    "accounts": ACCOUNT_LABELS,
}

#: The domain whose words each blueprint speaks.
BLUEPRINT_DOMAINS: dict[str, str] = {
    "names": "gazetteer",
    "names_api": "gazetteer",
    "cases": "gazetteer",
    "cases_api": "gazetteer",
    "signs": "gazetteer",
    "changes": "changes",
    "changes_api": "changes",
    "boundaries": "boundaries",
    "boundaries_api": "boundaries",
    "coverage": "coverage",
    "coverage_api": "coverage",
    "admin": "accounts",
    "auth": "accounts",
}


def current_domain() -> str | None:
    """The domain of the blueprint answering the current request (``None`` outside one)."""
    if not has_request_context():
        return None
    return BLUEPRINT_DOMAINS.get(request.blueprint or "")


def label_of(field: str | None, domain: str | None = None) -> str | None:
    """The Chinese label of ``field`` in ``domain`` (default: the current request's), or
    ``None`` when neither the domain nor the common table names it."""
    if not field:
        return None
    table = DOMAIN_LABELS.get(domain or current_domain() or "", {})
    return table.get(field) or COMMON_LABELS.get(field)


def tag(text: str) -> Markup:
    """A machine name (field, rule id) as the small secondary tag a page shows after the text."""
    return Markup('<small class="tag">{}</small>').format(text)


def problem_html(
    problem: Problem | Mapping[str, Any],
    domain: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> Markup:
    """One problem as a page shows it: ``第 3 行 拟用名称：不能为空`` and the field's machine
    name as a small tag. A field without a label shows only as the tag, never as the text."""
    row, field, message = _parts(problem)
    rule, message = split_rule(message)
    label = (labels or {}).get(field or "") or label_of(field, domain)
    where = f"第 {row} 行 " if row is not None else ""
    html = escape(f"{where}{label}：{message}" if label else f"{where}{message}")
    for name in (field, rule):
        if name:
            html = Markup("{} {}").format(html, tag(name))
    return html


#: A rule id that a domain message starts with: ``[N2-DUPLICATE] …``.
_RULE_PREFIX = re.compile(r"\[([A-Z][0-9]+(?:-[A-Z0-9]+)*)\]\s*")


def split_rule(message: str) -> tuple[str | None, str]:
    """``"[N2-DUPLICATE] 重名…"`` → ``("N2-DUPLICATE", "重名…")``; a message without a rule
    id → ``(None, message)``."""
    found = _RULE_PREFIX.match(message)
    return (found.group(1), message[found.end() :]) if found else (None, message)


def finding_html(message: str, rule_id: str | None = None) -> Markup:
    """A finding's message as the main text and its rule id as a small tag after it (a rule id
    the message starts with is moved into the tag)."""
    rule, text = split_rule(message)
    rule = rule_id or rule
    return Markup("{} {}").format(text, tag(rule)) if rule else Markup(escape(text))


def labelled(problems: Iterable[Problem | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Problems as JSON rows ``{row, field, label, message}`` (``label`` added when known)."""
    rows = []
    for p in problems:
        row = dict(p.to_dict() if isinstance(p, Problem) else p)
        label = label_of(row.get("field"))
        if label:
            row["label"] = label
        rows.append(row)
    return rows


def _parts(problem: Problem | Mapping[str, Any]) -> tuple[Any, str | None, str]:
    if isinstance(problem, Problem):
        return problem.row, problem.field, problem.message
    return problem.get("row"), problem.get("field"), str(problem.get("message", ""))


def init_app(app: Flask) -> None:
    """Give templates the page's words: ``{{ p | problem }}`` (a problem with its field's label),
    ``{{ f.rule_id | tag }}`` (a rule id as a small secondary tag) and ``{{ text | finding }}``
    (a message that starts with ``[rule id]``, the id moved into a tag); and stored UTC times in
    Beijing time, ``{{ at | beijing_time }}`` in table cells (``2026-12-03 20:15``) and
    ``{{ at | beijing_text }}`` in running text (``2026年12月3日 20:15``), see
    :mod:`geociv.localtime`."""
    app.add_template_filter(problem_html, "problem")
    app.add_template_filter(tag, "tag")
    app.add_template_filter(finding_html, "finding")
    app.add_template_filter(cell_time, "beijing_time")
    app.add_template_filter(text_time, "beijing_text")

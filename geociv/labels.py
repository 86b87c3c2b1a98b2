"""Chinese labels of the values geociv's enumerations take, for the CLI, the web pages and the
reports alike (one home for each label).

The store owns the codes (``NAME_STATUSES``, ``MARKER_CONDITIONS`` …, in
:mod:`geociv.store.records`); how a code reads to an official lives here. Labels of *fields*
in messages are the web's (:mod:`web.words`).

Examples
--------
>>> MARKER_CONDITION_LABELS["displaced"], ROLE_LABELS["inspector"]
('移位', '界线联检人员')
>>> REPORT_STATUS_LABELS["not_planned"] == PLAN_STATUS_LABELS["unplanned"]
True
"""

from __future__ import annotations

# -- Divisions and accounts -----------------------------------------------------

#: Chinese label of each level, for UI and messages.
LEVEL_LABELS: dict[str, str] = {
    "province": "省级",
    "city": "地级",
    "county": "县级",
    "township": "乡级",
    "village": "村级",
}

ROLE_LABELS: dict[str, str] = {
    "officer": "地名管理员",
    "inspector": "界线联检人员",
    "planner": "规划人员",
    "admin": "系统管理员",
}

# -- Place names, naming cases and signs (地名、命名更名、地名标志) -------------------------

NAME_STATUS_LABELS: dict[str, str] = {
    "proposed": "拟用",
    "approved": "已批准",
    "published": "已公告",
    "retired": "已停用",
}

CASE_KIND_LABELS: dict[str, str] = {"naming": "命名", "renaming": "更名"}

#: Division changes (行政区划变更), by :data:`geociv.changes.kinds.CHANGE_KINDS`.
CHANGE_KIND_LABELS: dict[str, str] = {
    "township_to_town": "撤乡设镇",
    "to_subdistrict": "撤乡（镇）设街道",
    "rename": "更名",
    "new": "新设",
    "abolish": "撤销",
    "merge": "合并",
    "split": "拆分",
    "transfer": "隶属调整",
    "recode": "代码变更",
    "seat_move": "驻地迁移",
}

#: Proposals of division changes, by :data:`geociv.store.PROPOSAL_STATUSES`.
PROPOSAL_STATUS_LABELS: dict[str, str] = {
    "pending": "待审核",
    "accepted": "已接受",
    "dismissed": "已驳回",
}

#: Documents of a division change case.
DIVISION_DOCUMENT_LABELS: dict[str, str] = {
    "approval": "批复",
    "request": "请示",
    "map": "示意图",
    "other": "其他",
}
#: A 勘界 task is open until the re-survey is recorded as done.
SURVEY_STATUS_LABELS: dict[str, str] = {"open": "待勘界", "done": "已完成"}

CASE_STEP_LABELS: dict[str, str] = {
    "apply": "申请",
    "review": "审核",
    "approve": "批准",
    "file": "备案",
    "publish": "公告",
    "effective": "生效",
    "withdraw": "撤回",
    "reject": "不予批准",
}

CASE_STATUS_LABELS: dict[str, str] = {
    "applied": "已申请",
    "reviewed": "已审核",
    "approved": "已批准",
    "filed": "已备案",
    "published": "已公告",
    "effective": "已生效",
    "withdrawn": "已撤回",
    "rejected": "不予批准",
}

DOCUMENT_TYPE_LABELS: dict[str, str] = {
    "assessment": "综合评估报告",
    "expert": "专家论证报告",
    "consultation": "征求意见报告",
    "protection": "保护措施",
    "approval": "批复文件",
    "other": "其他材料",
}

SIGN_TYPE_LABELS: dict[str, str] = {
    "road": "路牌",
    "house_number": "门牌",
    "village": "村牌",
    "natural": "自然实体标志",
    "other": "其他",
}

SIGN_STATUS_LABELS: dict[str, str] = {
    "in_service": "在用",
    "damaged": "损坏",
    "removed": "已拆除",
}

PATROL_CONDITION_LABELS: dict[str, str] = {
    "intact": "完好",
    "soiled": "污损",
    "broken": "破损",
    "missing": "缺失",
    "obscured": "被遮挡",
}

#: Severity of a finding (a name check or a boundary check).
SEVERITY_LABELS: dict[str, str] = {"error": "错误", "warning": "警告", "notice": "提示"}

#: Verdict of a name check (:data:`geociv.gazetteer.rules.VERDICTS`).
VERDICT_LABELS: dict[str, str] = {"blocked": "不通过", "pending": "待确认", "pass": "通过"}

#: Uniqueness scope of a name (DESIGN.md "Names" rule 2).
SCOPE_LABELS: dict[str, str] = {
    "nation": "全国",
    "province": "省内",
    "built_up": "建成区内",
    "county": "县内",
}

# -- Boundary lines, markers and the joint inspection (界线、界桩、联检) ----------------

LINE_LEVEL_LABELS: dict[str, str] = {
    "provincial": "省级",
    "city": "市级",
    "county": "县级",
    "edge": "外界（仅一侧）",
}

LINE_SOURCE_LABELS: dict[str, str] = {
    "derived": "由区划面推算",
    "surveyed": "勘界测量",
    "sample": "示例",
}

MARKER_KIND_LABELS: dict[str, str] = {"single": "单立", "paired": "双立", "triple": "三立"}

MARKER_CONDITION_LABELS: dict[str, str] = {
    "intact": "完好",
    "damaged": "损坏",
    "missing": "丢失",
    "displaced": "移位",
    "buried": "掩埋",
    "illegible": "字迹不清",
}

LINE_CHANGE_LABELS: dict[str, str] = {
    "construction": "跨界建设",
    "river": "河道变化",
    "road": "道路变化",
    "dispute": "边界争议",
    "other": "其他变化",
}

PLAN_KIND_LABELS: dict[str, str] = {"regular": "例行联检", "ad_hoc": "专项检查"}

RECORD_KIND_LABELS: dict[str, str] = {"marker": "界桩检查", "line": "界线检查"}

RECORD_STATUS_LABELS: dict[str, str] = {
    "draft": "待签字",
    "final": "双方已签字",
    "superseded": "已被更正",
}

SIDE_LABELS: dict[str, str] = {"left": "左侧", "right": "右侧"}

#: Inspection status of a line in a year (``unplanned``: not in that year's plan).
PLAN_STATUS_LABELS: dict[str, str] = {
    "planned": "计划中",
    "in_progress": "进行中",
    "done": "已完成",
    "overdue": "逾期",
    "unplanned": "未列入计划",
}

#: Status of a line in an inspection report (``not_planned`` is the plan's ``unplanned``).
REPORT_STATUS_LABELS: dict[str, str] = {
    **{k: v for k, v in PLAN_STATUS_LABELS.items() if k != "unplanned"},
    "not_planned": PLAN_STATUS_LABELS["unplanned"],
}

#: Category of a marker on the report map (``unchecked``: no final check in scope).
MARKER_CATEGORY_LABELS: dict[str, str] = {
    "intact": MARKER_CONDITION_LABELS["intact"],
    "damaged": "损坏（含掩埋、字迹不清）",
    "missing": MARKER_CONDITION_LABELS["missing"],
    "displaced": MARKER_CONDITION_LABELS["displaced"],
    "unchecked": "本期未检查",
}

#: Kind of a topology finding between divisions (DESIGN.md "Boundaries" rule 8).
TOPOLOGY_KIND_LABELS: dict[str, str] = {
    "hole": "区划内空洞（飞地）",
    "invalid": "几何无效",
    "gap": "缝隙",
    "overlap": "重叠",
    "sliver": "细长碎片",
    "multi_owner": "同一边被两个以上区划共用",
    "dangle": "悬挂线",
    "outside": "超出上级区划",
}

# -- Service coverage (养老服务圈) ---------------------------------------------------

FACILITY_TYPE_LABELS: dict[str, str] = {
    "nursing_home": "养老院/敬老院",
    "subdistrict_center": "街道综合养老服务中心",
    "day_care": "社区日间照料中心",
    "rural_mutual_aid": "农村幸福院",
    "rental_station": "辅具租赁服务站",
    "fitting_center": "适配服务中心",
    "experience_hall": "综合体验馆",
}

FACILITY_STATUS_LABELS: dict[str, str] = {
    "existing": "已建",
    "planned": "规划",
    "candidate": "候选",
    "retired": "已撤销",
}

ZONE_SET_KIND_LABELS: dict[str, str] = {
    "aoi": "统计范围",
    "subdistrict": "街道（乡镇）",
    "community": "社区（村）",
    "other": "其他",
}

#: Speed preset → (mode, who or what the preset stands for), for legends and tables.
SPEED_LABELS: dict[str, tuple[str, str]] = {
    "elderly": ("步行", "老年人"),
    "design": ("步行", "设计步速"),
    "adult": ("步行", "成年人"),
    "ebike": ("电动自行车", "约 15 km/h"),
    "car": ("小汽车", "约 30 km/h"),
}

#: How service areas were drawn (``IsochroneResult.method``).
METHOD_LABELS: dict[str, str] = {"network": "路网步行计算", "fallback": "直线距离估算"}

#: Steps and statuses of a division change case (申请 → 审核 → 批准 → 生效; 撤回, 不予批准): the
#: naming cases' words, for the steps and statuses the two kinds of case share.
DIVISION_STEP_LABELS: dict[str, str] = {
    step: CASE_STEP_LABELS[step]
    for step in ("apply", "review", "approve", "effective", "withdraw", "reject")
}
DIVISION_STATUS_LABELS: dict[str, str] = {
    status: CASE_STATUS_LABELS[status]
    for status in ("applied", "reviewed", "approved", "effective", "withdrawn", "rejected")
}

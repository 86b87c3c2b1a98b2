"""Reports of the joint inspection (联检报告): the annual and the round report.

DESIGN.md "Boundaries and inspections" rule 7: the report totals km of line and markers
inspected, intact, damaged, missing and displaced, per line and overall ("163.32 km, 10
markers, all intact"). A report is built from the store (:func:`annual_report`,
:func:`round_report`) as plain dataclasses, and rendered as a map (:func:`report_map_png`,
matplotlib, no basemap), a printable A4 page (:func:`report_html`) and a Word document
(:func:`report_docx`).

What counts
-----------
* Scope: the annual report takes the records whose ``inspected_on`` falls in the calendar
  year; the round report the records of the round (which lie in its years). The latest
  version of each record is used; superseded versions never count.
* Only final records — signed by both sides (rule 6) — count as inspected. A draft shows in
  the line's status (``in_progress``) but not in the figures.
* A marker counts once per report: its latest final check in scope (by date, then record id)
  puts it into exactly one category, so ``intact + damaged + missing + displaced ==
  inspected``. The categories are checked in this order: missing (丢失); displaced (移位:
  recorded as displaced, or measured farther than the displacement tolerance from the
  registered position, as finding ``B5-DISPLACED`` does); damaged (损坏, including buried
  掩埋 and inscription illegible 字迹不清); intact (完好).
* km inspected: the whole length of a line that has a final line record or at least one final
  marker record in scope; otherwise 0.
* Lines: every current line with two sides that has a side inside ``parent`` (all lines when
  no parent is given), plus closed lines with records in scope. Edge lines (one known side)
  cannot be inspected jointly and are left out. A line with nothing planned and nothing
  recorded still appears, as ``not_planned``, so the report shows the gaps.
* Status of a line (:data:`REPORT_STATUS_LABELS`) comes from its plans in scope
  (:meth:`~geociv.boundaries.rounds.Rounds.status`), the regular plan first: ``done``,
  ``in_progress``, ``overdue``, ``planned``; ``not_planned`` when there is none.
* Lengths are rounded to 0.01 km per line and the totals add up the rounded figures, so the
  printed table sums to its total row.

Examples
--------
>>> REPORT_STATUS_LABELS["not_planned"]
'未列入计划'
>>> _km(163.3249)
'163.32'
"""

from __future__ import annotations

import base64
import functools
import io
import shutil
import subprocess
import threading
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geociv import crs as _crs
from geociv.boundaries.findings import DISPLACEMENT_TOLERANCE_M, BoundaryFinding, Findings
from geociv.boundaries.markers import distance_m, to_gk
from geociv.boundaries.registry import code_prefix, within
from geociv.boundaries.rounds import LineStatus, Rounds
from geociv.divisions import normalize_code
from geociv.errors import AdcodeError, Problem, ValidationError
from geociv.fields import day_asked
from geociv.labels import (
    LINE_CHANGE_LABELS,
    LINE_LEVEL_LABELS,
    MARKER_CATEGORY_LABELS,
    REPORT_STATUS_LABELS,
    SEVERITY_LABELS,
)
from geociv.localtime import BEIJING, now_cell
from geociv.store import LEVELS, BoundaryLine, Division, InspectionRecord, Marker, Store
from geociv.templating import templates

#: China Standard Time: signing dates and the generation time are given in it.
CHINA_TZ = BEIJING  # kept for callers; see geociv.localtime

#: Report category of each recorded marker condition.
CONDITION_CATEGORY: dict[str, str] = {
    "intact": "intact",
    "damaged": "damaged",
    "buried": "damaged",
    "illegible": "damaged",
    "missing": "missing",
    "displaced": "displaced",
}

#: Marker counts of a line and of the report.
COUNT_KEYS: tuple[str, ...] = ("inspected", "intact", "damaged", "missing", "displaced")

#: Keys of :attr:`InspectionReport.totals`.
TOTAL_KEYS: tuple[str, ...] = (
    "lines",
    "lines_inspected",
    "km_total",
    "km_inspected",
    "markers_total",
    *COUNT_KEYS,
    "findings",
)

SCOPES: tuple[str, ...] = ("annual", "round")

#: Colours of the map, shared by the HTML status cells.
STATUS_COLOURS: dict[str, str] = {
    "done": "#2e7d32",
    "in_progress": "#ef8f00",
    "overdue": "#c62828",
    "planned": "#1565c0",
    "not_planned": "#707070",
}
CATEGORY_STYLES: dict[str, tuple[str, str, float]] = {
    # category: (matplotlib marker, face colour, size in points²)
    "intact": ("o", "#2e7d32", 60.0),
    "damaged": ("^", "#ef8f00", 80.0),
    "missing": ("X", "#c62828", 90.0),
    "displaced": ("D", "#7b1fa2", 60.0),
    "unchecked": ("o", "#ffffff", 45.0),
}

#: Fonts tried, in order, for Chinese text on the map.
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Serif CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)

#: matplotlib settings are process-wide: one map is drawn at a time (the web server has threads).
_RENDER_LOCK = threading.Lock()

_HTML_FONTS = (
    '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", '
    '"PingFang SC", "SimHei", "WenQuanYi Zen Hei", sans-serif'
)


def _km(value: float) -> str:
    """Kilometres as text with two decimals."""
    return f"{value:.2f}"


# -- the report ------------------------------------------------------------------------------------


@dataclass
class LineReport:
    """One line of the report.

    Attributes
    ----------
    line_id, name, section, level
        The line (``level`` is ``provincial``/``city``/``county``).
    length_km
        Its length, rounded to 0.01 km.
    km_inspected
        ``length_km`` if the line has a final line record or a final marker record in scope,
        else 0.
    markers_total
        Registered (not retired) markers on the line.
    inspected, intact, damaged, missing, displaced
        Markers by category of their latest final check in scope (``damaged`` includes
        buried and illegible); the four categories add up to ``inspected``.
    findings
        :meth:`Findings.list <geociv.boundaries.findings.Findings.list>` of the line as dicts:
        the register findings and those of the checks counted here.
    changes
        Changes along the line from its final line records: ``"道路变化：新建 S331 省道跨越界线"``.
    signatures
        ``{"left": [...], "right": [...]}``, each ``"姓名/用户名（单位） 日期"`` (the name alone
        when a user has no display name), from the final records in scope.
    status
        ``planned``, ``in_progress``, ``done``, ``overdue`` or ``not_planned``.
    sample
        Whether sample (示例) data is involved: the line, its markers, plans or records.
    """

    line_id: str
    name: str
    section: str
    level: str
    length_km: float
    km_inspected: float
    markers_total: int
    inspected: int
    intact: int
    damaged: int
    missing: int
    displaced: int
    findings: list[dict[str, Any]] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    signatures: dict[str, list[str]] = field(default_factory=lambda: {"left": [], "right": []})
    status: str = "not_planned"
    sample: bool = False

    @property
    def status_label(self) -> str:
        """Chinese label of the status."""
        return REPORT_STATUS_LABELS[self.status]

    @property
    def level_label(self) -> str:
        """Chinese label of the level."""
        return LINE_LEVEL_LABELS.get(self.level, self.level)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with ``status_label`` and ``level_label``."""
        return {
            "line_id": self.line_id,
            "name": self.name,
            "section": self.section,
            "level": self.level,
            "level_label": self.level_label,
            "length_km": self.length_km,
            "km_inspected": self.km_inspected,
            "markers_total": self.markers_total,
            **{key: getattr(self, key) for key in COUNT_KEYS},
            "findings": list(self.findings),
            "changes": list(self.changes),
            "signatures": {side: list(v) for side, v in self.signatures.items()},
            "status": self.status,
            "status_label": self.status_label,
            "sample": self.sample,
        }


@dataclass
class InspectionReport:
    """The annual or round report of the joint inspection.

    Attributes
    ----------
    scope
        ``annual`` or ``round``.
    title
        E.g. ``驻马店市2026年度行政区域界线联合检查报告``.
    year, round_no
        The year (annual report) or the round (round report); the other is ``None``.
    parent
        The division the report is restricted to (normalised adcode), or ``None``.
    lines
        One :class:`LineReport` per line, ordered by line id.
    totals
        :data:`TOTAL_KEYS`: ``lines``, ``lines_inspected``, ``km_total``, ``km_inspected``,
        ``markers_total``, ``inspected``, ``intact``, ``damaged``, ``missing``,
        ``displaced``, ``findings`` — the sums of the lines' figures.
    generated_at
        When the report was made (China time, ``YYYY-MM-DD HH:MM``), or the ``today`` it was
        asked for.
    sample
        Whether any line involves sample (示例) data.
    """

    scope: str
    title: str
    year: int | None
    round_no: int | None
    parent: str | None
    lines: list[LineReport]
    totals: dict[str, float]
    generated_at: str
    sample: bool

    def summary(self) -> str:
        """One Chinese sentence with the totals.

        >>> report = InspectionReport("annual", "t", 2026, None, None, [], {
        ...     "lines": 5, "lines_inspected": 3, "km_total": 250.0, "km_inspected": 163.32,
        ...     "markers_total": 12, "inspected": 10, "intact": 10, "damaged": 0, "missing": 0,
        ...     "displaced": 0, "findings": 0}, "2026-12-31", False)
        >>> print(report.summary())
        共检查界线 3 条 163.32 km，界桩 10 颗，全部完好；未发现问题；另有 2 条界线 86.68 km 未检查。
        """
        t = self.totals
        lines, done = int(t["lines"]), int(t["lines_inspected"])
        if done == 0:
            if lines == 0:
                return "范围内没有需要联检的界线。"
            return f"尚未检查任何界线（应检界线 {lines} 条 {_km(t['km_total'])} km）。"
        text = f"共检查界线 {done} 条 {_km(t['km_inspected'])} km，"
        inspected = int(t["inspected"])
        if inspected == 0:
            text += "未检查界桩"
        elif int(t["intact"]) == inspected:
            text += f"界桩 {inspected} 颗，全部完好"
        else:
            parts = [
                f"{label} {int(t[key])} 颗"
                for key, label in (
                    ("intact", "完好"),
                    ("damaged", "损坏"),
                    ("missing", "丢失"),
                    ("displaced", "移位"),
                )
                if int(t[key])
            ]
            text += f"界桩 {inspected} 颗，其中" + "、".join(parts)
        findings = int(t["findings"])
        text += f"；发现问题 {findings} 项" if findings else "；未发现问题"
        if lines > done:
            rest = round(t["km_total"] - t["km_inspected"], 2)
            text += f"；另有 {lines - done} 条界线 {_km(rest)} km 未检查"
        return text + "。"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with the :meth:`summary`."""
        return {
            "scope": self.scope,
            "title": self.title,
            "year": self.year,
            "round_no": self.round_no,
            "parent": self.parent,
            "generated_at": self.generated_at,
            "sample": self.sample,
            "summary": self.summary(),
            "totals": dict(self.totals),
            "lines": [line.to_dict() for line in self.lines],
        }


# -- building --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """The records a report takes: years ``first``–``last`` and, for a round, its number."""

    kind: str
    first: int
    last: int
    round_no: int | None = None

    def covers(self, day: str | None) -> bool:
        return bool(day) and self.first <= int(str(day)[:4]) <= self.last


def annual_report(
    store: Store,
    year: int,
    *,
    parent: str | None = None,
    today: str | date | None = None,
) -> InspectionReport:
    """The report of one calendar year (年度联检报告).

    Parameters
    ----------
    store
        The store.
    year
        The year: records inspected in it count; plans of it give the lines' status.
    parent
        Only lines with a side inside this division (adcode).
    today
        The day the status is judged on (a plan of a past year not done is overdue);
        default today.

    Returns
    -------
    InspectionReport

    Raises
    ------
    ValidationError
        A bad year, parent code or date.
    """
    try:
        number = int(year)
    except (TypeError, ValueError):
        number = 0
    if not 1949 <= number <= 2200:
        raise ValidationError(Problem(f"年份 {year!r} 不合理", field="year"))
    return _build(store, _Scope("annual", number, number), parent, today)


def round_report(
    store: Store,
    round_no: int,
    *,
    parent: str | None = None,
    today: str | date | None = None,
) -> InspectionReport:
    """The report of a 5-year round (轮次联检报告).

    Parameters
    ----------
    store
        The store.
    round_no
        The round: its records count, its plans give the lines' status.
    parent, today
        As for :func:`annual_report`.

    Returns
    -------
    InspectionReport

    Raises
    ------
    LookupError
        No such round.
    ValidationError
        A bad parent code or date.
    """
    found = Rounds(store).get(int(round_no))
    return _build(
        store, _Scope("round", found.first_year, found.last_year, found.round_no), parent, today
    )


def _parent_code(parent: str | None) -> str | None:
    if parent is None or str(parent).strip() == "":
        return None
    try:
        return normalize_code(str(parent))
    except AdcodeError as exc:
        raise ValidationError(Problem(str(exc), field="parent")) from None


def _scope_records(store: Store, scope: _Scope) -> list[InspectionRecord]:
    """Latest versions of the records in scope, by date and id."""
    records = store.query_inspection_records(round_no=scope.round_no)
    return [r for r in records if scope.covers(r.inspected_on)]


def _latest_checks(records: Iterable[InspectionRecord]) -> dict[str, InspectionRecord]:
    """The latest final marker check of each marker among ``records``."""
    latest: dict[str, InspectionRecord] = {}
    for record in records:
        if record.kind != "marker" or not record.is_final or not record.marker_id:
            continue
        old = latest.get(record.marker_id)
        if old is None or (record.inspected_on, record.record_id) >= (
            old.inspected_on,
            old.record_id,
        ):
            latest[record.marker_id] = record
    return latest


def marker_category(
    marker: Marker | None,
    record: InspectionRecord,
    tolerance_m: float = DISPLACEMENT_TOLERANCE_M,
) -> str:
    """The report category of a marker check: ``missing``, ``displaced``, ``damaged`` or
    ``intact`` (in that order of precedence; see the module notes).

    Parameters
    ----------
    marker
        The registered marker (its position decides displacement), or ``None``.
    record
        The final marker check.
    tolerance_m
        Largest accepted distance of the measured from the registered position (m).
    """
    category = CONDITION_CATEGORY.get(record.condition or "", "intact")
    if category in ("missing", "displaced"):
        return category
    if (
        marker is not None
        and marker.location is not None
        and record.measured is not None
        and distance_m(marker.location, record.measured) > tolerance_m
    ):
        return "displaced"
    return category


def _plan_statuses(
    store: Store, scope: _Scope, records: list[InspectionRecord], today: str | date | None
) -> dict[str, list[LineStatus]]:
    """The statuses of the plans in scope by line: a round's plans, or the plans of a year
    and those of the records inspected in it."""
    rounds = Rounds(store)
    out: dict[str, list[LineStatus]] = {}
    if scope.round_no is not None:
        statuses = rounds.status(scope.round_no, today=today)
    else:
        plan_ids = {r.plan_id for r in records}
        numbers = {r.round_no for r in store.inspection_rounds() if r.covers(scope.first)}
        numbers |= {r.round_no for r in records}
        statuses = [
            s
            for number in sorted(numbers)
            for s in rounds.status(number, today=today)
            if s.plan.year == scope.first or s.plan.plan_id in plan_ids
        ]
    for s in statuses:
        out.setdefault(s.plan.line_id, []).append(s)
    return out


def _line_status(statuses: Sequence[LineStatus]) -> str:
    """One status from a line's plans, the regular plan first."""
    if not statuses:
        return "not_planned"
    chosen = [s for s in statuses if s.plan.kind == "regular"] or list(statuses)
    found = {s.status for s in chosen}
    if found == {"done"}:
        return "done"
    for code in ("overdue", "in_progress"):
        if code in found:
            return code
    return "in_progress" if "done" in found else "planned"


def _local_day(stamp: str) -> str:
    """The China-time date of a timestamp (its first ten characters if unparseable)."""
    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return (stamp or "")[:10]
    if moment.tzinfo is not None:
        moment = moment.astimezone(CHINA_TZ)
    return moment.date().isoformat()


class _Names:
    """Cached display names of users and divisions."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._users: dict[str, str] = {}
        self._divisions: dict[str, str] = {}

    def person(self, username: str) -> str:
        if username not in self._users:
            found = self.store.get_user(username)
            shown = found[0].display_name.strip() if found else ""
            self._users[username] = (
                f"{shown}/{username}" if shown and shown != username else username
            )
        return self._users[username]

    def division(self, code: str) -> str:
        if code not in self._divisions:
            found = self.store.get_division(code) if code else None
            self._divisions[code] = found.name if found else code
        return self._divisions[code]


def _signatures(records: Iterable[InspectionRecord], names: _Names) -> dict[str, list[str]]:
    """Both sides' signatures on final records: each signer once, with the latest date."""
    latest: dict[tuple[str, str, str], str] = {}
    for record in records:
        if not record.is_final:
            continue
        for s in record.signatures:
            key = (s.side, names.person(s.username), names.division(s.side_code))
            day = _local_day(s.signed_at)
            if day >= latest.get(key, ""):
                latest[key] = day
    out: dict[str, list[str]] = {"left": [], "right": []}
    for (side, who, unit), day in sorted(latest.items()):
        out.setdefault(side, []).append(f"{who}（{unit}） {day}".rstrip())
    return out


def _jurisdiction(lines: Iterable[BoundaryLine]) -> str | None:
    """The smallest division (county, city or province) holding every line's left side (the
    jurisdiction's side), or ``None``."""
    codes = {line.left_code for line in lines if line.left_code}
    if not codes:
        return None
    for digits, tail in ((6, ""), (4, "00"), (2, "0000")):
        heads = {c[:digits] for c in codes}
        if len(heads) == 1:
            return heads.pop() + tail
    return None


def _title(store: Store, scope: _Scope, place_code: str | None) -> str:
    place = ""
    if place_code:
        found = store.get_division(place_code)
        place = found.name if found else place_code
    if scope.kind == "annual":
        return f"{place}{scope.first}年度行政区域界线联合检查报告"
    return f"{place}第{scope.round_no}轮（{scope.first}—{scope.last}年）行政区域界线联合检查报告"


def _generated_at(today: str | date | None) -> str:
    if today is not None:
        return day_asked(today).isoformat()
    return now_cell()


def _report_lines(
    store: Store, prefix: str | None, records: list[InspectionRecord]
) -> dict[str, BoundaryLine]:
    """Current two-sided lines with a side under ``prefix``, and closed ones with records."""
    lines = {
        line.line_id: line
        for line in store.query_boundary_lines(division_prefix=prefix, with_geometry=False)
        if line.right_code and line.level != "edge"
    }
    for line_id in sorted({r.line_id for r in records} - set(lines)):
        versions = store.boundary_line_versions(line_id)
        if not versions:
            continue
        line = versions[-1]
        inside = prefix is None or any(
            c.startswith(prefix) for c in (line.left_code, line.right_code) if c
        )
        if line.right_code and inside:
            lines[line_id] = line
    return dict(sorted(lines.items()))


def _build(
    store: Store, scope: _Scope, parent: str | None, today: str | date | None
) -> InspectionReport:
    parent_code = _parent_code(parent)
    if today is not None:
        day_asked(today)
    prefix = code_prefix(parent_code) if parent_code else None
    records = _scope_records(store, scope)
    lines = _report_lines(store, prefix, records)
    records = [r for r in records if r.line_id in lines]
    by_line: dict[str, list[InspectionRecord]] = {}
    for record in records:
        by_line.setdefault(record.line_id, []).append(record)
    statuses = _plan_statuses(store, scope, records, today)
    all_markers = store.query_markers(line_ids=list(lines), include_retired=True)
    markers = {m.marker_id: m for m in all_markers}
    finder = Findings(store)
    register: dict[str, list[BoundaryFinding]] = {}
    for found in finder.list(parent=parent_code):
        if found.record_id is None and found.line_id in lines:
            register.setdefault(found.line_id, []).append(found)
    names = _Names(store)
    reports = []
    for line_id, line in lines.items():
        own = by_line.get(line_id, [])
        final_lines = [r for r in own if r.kind == "line" and r.is_final]
        checks = _latest_checks(own)
        counts = dict.fromkeys(COUNT_KEYS, 0)
        found = list(register.get(line_id, []))
        for marker_id, record in checks.items():
            marker = markers.get(marker_id)
            counts["inspected"] += 1
            counts[marker_category(marker, record, finder.displacement_tolerance_m)] += 1
            if marker is not None:
                found += finder._check_findings(marker, record)
        found.sort(key=lambda f: (f.marker_id or "", f.rule_id, f.record_id or ""))
        active = [m for m in all_markers if m.line_id == line_id and m.status == "active"]
        plans = statuses.get(line_id, [])
        length = round(float(line.length_km), 2)
        reports.append(
            LineReport(
                line_id=line_id,
                name=line.name,
                section=line.section,
                level=line.level,
                length_km=length,
                km_inspected=length if (final_lines or checks) else 0.0,
                markers_total=len(active),
                **counts,
                findings=[f.to_dict() for f in found],
                changes=[
                    f"{LINE_CHANGE_LABELS.get(c.change_type, c.change_type)}：{c.description}"
                    for r in final_lines
                    for c in r.changes
                ],
                signatures=_signatures(own, names),
                status=_line_status(plans),
                sample=line.source == "sample"
                or any(r.sample for r in own)
                or any(s.plan.sample for s in plans)
                or any(m.sample for m in active),
            )
        )
    place = parent_code or _jurisdiction(lines.values())
    return InspectionReport(
        scope=scope.kind,
        title=_title(store, scope, place),
        year=scope.first if scope.kind == "annual" else None,
        round_no=scope.round_no,
        parent=parent_code,
        lines=reports,
        totals=_totals(reports),
        generated_at=_generated_at(today),
        sample=any(r.sample for r in reports),
    )


def _totals(lines: Sequence[LineReport]) -> dict[str, float]:
    totals: dict[str, float] = {
        "lines": len(lines),
        "lines_inspected": sum(1 for line in lines if line.km_inspected > 0),
        "km_total": round(sum(line.length_km for line in lines), 2),
        "km_inspected": round(sum(line.km_inspected for line in lines), 2),
        "markers_total": sum(line.markers_total for line in lines),
    }
    for key in COUNT_KEYS:
        totals[key] = sum(getattr(line, key) for line in lines)
    totals["findings"] = sum(len(line.findings) for line in lines)
    return totals


def _scope_of(store: Store, report: InspectionReport) -> _Scope | None:
    if report.scope == "annual" and report.year is not None:
        return _Scope("annual", report.year, report.year)
    if report.round_no is not None:
        found = store.get_inspection_round(report.round_no)
        if found is not None:
            return _Scope("round", found.first_year, found.last_year, found.round_no)
    return None


# -- the map ---------------------------------------------------------------------------------------


def _glyph_font(path: str) -> bool:
    """Whether the font file has Chinese glyphs."""
    from matplotlib.ft2font import FT2Font

    try:
        return FT2Font(path).get_char_index(ord("界")) != 0
    except Exception:  # a broken or unreadable font file is simply not used
        return False


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, for matplotlib: a Noto CJK
    font if there is one (:data:`CJK_FONTS`), else what ``fc-match :lang=zh-cn`` finds;
    ``None`` if there is none (the map then shows missing glyphs, but is still drawn)."""
    from matplotlib import font_manager

    entries = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in entries and _glyph_font(entries[name]):
            return name
    for name in sorted(entries):
        if "CJK" in name and _glyph_font(entries[name]):
            return name
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        done = subprocess.run(
            [fc_match, "-f", "%{file}", ":lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    path = done.stdout.strip()
    if not path or not Path(path).is_file() or not _glyph_font(path):
        return None
    try:
        font_manager.fontManager.addfont(path)
        return font_manager.FontProperties(fname=path).get_name()
    except Exception:  # matplotlib cannot use that file: fall back to its default font
        return None


def _polygon_path(geometry: BaseGeometry) -> Any:
    """A matplotlib path of a (multi)polygon, holes included."""
    from matplotlib.path import Path as MplPath

    vertices: list[np.ndarray] = []
    codes: list[int] = []
    for polygon in shapely.get_parts(geometry):
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 3:
                continue
            vertices.append(xy)
            codes += [MplPath.MOVETO] + [MplPath.LINETO] * (len(xy) - 2) + [MplPath.CLOSEPOLY]
    if not vertices:
        return None
    return MplPath(np.concatenate(vertices), codes)


def _segments(geometry: BaseGeometry) -> list[np.ndarray]:
    return [
        np.asarray(part.coords)[:, :2]
        for part in shapely.get_parts(geometry)
        if part.geom_type == "LineString" and not part.is_empty
    ]


def _outline_divisions(
    store: Store, home: str | None, lines: Sequence[BoundaryLine]
) -> list[tuple[Division, bool]]:
    """Divisions to outline, each with whether it lies inside ``home``: the county-level
    units of ``home`` (or ``home`` itself if it is a county) and both sides of every line."""
    out: dict[str, tuple[Division, bool]] = {}
    if home:
        found = store.get_division(home)
        if found is not None and found.level in LEVELS:
            if LEVELS.index(found.level) < LEVELS.index("county"):
                prefix = code_prefix(home)
                for d in store.query_divisions(
                    level="county", include_statistical=False, within=prefix
                ):
                    if d.geometry is not None:
                        out[d.code] = (d, True)
            elif found.geometry is not None:
                out[found.code] = (found, True)
    for line in lines:
        for code in (line.left_code, line.right_code):
            if code and code not in out:
                found = store.get_division(code)
                if found is not None and found.geometry is not None:
                    out[code] = (found, bool(home) and within(code, home or ""))
    return list(out.values())


def _nice_length(km: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ not above ``km`` (at least 0.1)."""
    if km <= 0.1:
        return 0.1
    power = 10 ** np.floor(np.log10(km))
    for step in (5, 2, 1):
        if step * power <= km:
            return float(step * power)
    return float(power)


@dataclass(frozen=True)
class _MapView:
    """What the report map shows, projected for drawing: the divisions (each with whether it
    lies inside the report's area), the lines, the markers with their categories, the CRS
    (``epsg`` of the Gauss-Krüger zone, ``None`` when drawn in degrees) and the padded extent
    (min x, min y, max x, max y). ``empty`` when there is nothing to draw."""

    epsg: int | None
    divisions: list[tuple[Division, bool, BaseGeometry]]
    lines: list[tuple[LineReport, BaseGeometry]]
    markers: list[tuple[Marker, BaseGeometry]]
    categories: dict[str, str]
    bounds: tuple[float, float, float, float]
    empty: bool

    @property
    def size(self) -> tuple[float, float]:
        """Width and height of the extent."""
        minx, miny, maxx, maxy = self.bounds
        return maxx - minx, maxy - miny


def report_map_png(store: Store, report: InspectionReport, *, width_px: int = 1600) -> bytes:
    """The report's map as a PNG (matplotlib, Agg; no basemap or tiles).

    Division outlines from the store (the county-level units of ``report.parent``, or of the
    jurisdiction when there is none, and the divisions on both sides of the lines), the
    report's lines coloured by status, their markers coloured by the category of their latest
    final check in scope (white: not checked in scope), line names, a legend in Chinese, a
    scale bar in km and a north arrow. Drawn in the Gauss-Krüger zone of the map's centre.

    Parameters
    ----------
    store
        The store the report was built from.
    report
        The report.
    width_px
        Width of the image in pixels (the height follows the map's shape).

    Returns
    -------
    bytes
        The PNG.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle
    from matplotlib.patheffects import withStroke

    view = _map_view(store, report)
    minx, miny, maxx, maxy = view.bounds
    w, h = view.size
    fig_w = 10.0
    map_w = fig_w * 0.96
    map_h = map_w * h / w
    top_h, bottom_h = 0.85, 1.2
    fig_h = map_h + top_h + bottom_h
    dpi = max(int(width_px), 200) / fig_w
    font = cjk_font()
    family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    settings = {"font.family": "sans-serif", "font.sans-serif": family, "axes.unicode_minus": False}
    with _RENDER_LOCK, matplotlib.rc_context(settings), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # missing glyphs when there is no CJK font
        fig = Figure(figsize=(fig_w, fig_h), dpi=dpi, facecolor="white")
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.02, bottom_h / fig_h, 0.96, map_h / fig_h))
        ax.set_xlim(minx, maxx)
        ax.set_ylim(miny, maxy)
        ax.set_aspect("equal", adjustable="box")
        ax.set_axis_off()
        ax.add_patch(
            Rectangle((0, 0), 1, 1, transform=ax.transAxes, fill=False, ec="#999999", lw=0.8)
        )
        halo = [withStroke(linewidth=2.6, foreground="white")]
        _draw_divisions(ax, view.divisions)
        _draw_lines(ax, view.lines, halo)
        _draw_markers(ax, view.markers, view.categories)
        if view.empty:
            ax.text(0.5, 0.5, "范围内没有界线数据", transform=ax.transAxes, ha="center",
                    va="center", fontsize=14, color="#777777")  # fmt: skip
        else:
            if view.epsg is not None:
                _draw_scale_bar(ax, view, halo)
            _draw_north_and_crs(ax, view.epsg, halo)
        _draw_titles(fig, report, fig_h)
        _draw_legend(fig, fig_h)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def _map_view(store: Store, report: InspectionReport) -> _MapView:
    """Read what the map shows from the store and project it (see :class:`_MapView`)."""
    lines: list[tuple[LineReport, BoundaryLine]] = []
    for entry in report.lines:
        line = store.get_boundary_line(entry.line_id)
        if line is None:
            versions = store.boundary_line_versions(entry.line_id)
            line = versions[-1] if versions else None
        if line is not None and line.geometry is not None:
            lines.append((entry, line))
    line_ids = [entry.line_id for entry in report.lines]
    markers = store.query_markers(line_ids=line_ids) if line_ids else []
    home = report.parent or _jurisdiction(line for _, line in lines)
    divisions = _outline_divisions(store, home, [line for _, line in lines])
    geoms = [line.geometry for _, line in lines] + [d.geometry for d, _ in divisions]
    epsg = _map_epsg(geoms)

    def project(geometry: BaseGeometry) -> BaseGeometry:
        return geometry if epsg is None else to_gk(geometry, epsg)

    division_xy = [(d, inside, project(d.geometry)) for d, inside in divisions]
    line_xy = [(entry, project(line.geometry)) for entry, line in lines]
    shown = [g for _, _, g in division_xy] + [g for _, g in line_xy]
    return _MapView(
        epsg=epsg,
        divisions=division_xy,
        lines=line_xy,
        markers=[(m, project(m.location)) for m in markers if m.location is not None],
        categories=_marker_categories(store, report, markers, line_ids),
        bounds=_map_bounds(shown),
        empty=not shown,
    )


def _map_epsg(geoms: Sequence[BaseGeometry]) -> int | None:
    """The Gauss-Krüger zone of the centre of ``geoms``; ``None`` (draw in degrees) when
    there is nothing or it lies outside the zones."""
    if not geoms:
        return None
    centre = shapely.union_all([shapely.envelope(g) for g in geoms]).centroid
    try:
        return _crs.gk_zone_epsg(centre.x)
    except Exception:  # outside the Gauss-Krüger zones: draw in degrees
        return None


def _marker_categories(
    store: Store, report: InspectionReport, markers: Sequence[Marker], line_ids: Sequence[str]
) -> dict[str, str]:
    """marker id → the category of its latest final check in the report's scope, or
    ``unchecked``."""
    scope = _scope_of(store, report)
    checks = _latest_checks(
        r for r in (_scope_records(store, scope) if scope else []) if r.line_id in set(line_ids)
    )
    tolerance = Findings(store).displacement_tolerance_m
    return {
        m.marker_id: (
            marker_category(m, checks[m.marker_id], tolerance)
            if m.marker_id in checks
            else "unchecked"
        )
        for m in markers
    }


def _map_bounds(shown: Sequence[BaseGeometry]) -> tuple[float, float, float, float]:
    """The extent of ``shown`` padded by 5 %, widened or heightened so that the map is
    neither a thin strip nor a tall column."""
    if shown:
        minx, miny, maxx, maxy = shapely.union_all([shapely.envelope(g) for g in shown]).bounds
    else:
        minx, miny, maxx, maxy = 0.0, 0.0, 1.0, 1.0
    w, h = max(maxx - minx, 1e-6), max(maxy - miny, 1e-6)
    pad = 0.05 * max(w, h)
    minx, maxx, miny, maxy = minx - pad, maxx + pad, miny - pad, maxy + pad
    w, h = maxx - minx, maxy - miny
    if h / w < 0.45:  # keep the map from being a thin strip
        extra = (0.45 * w - h) / 2
        miny, maxy = miny - extra, maxy + extra
    elif h / w > 1.4:
        extra = (h / 1.4 - w) / 2
        minx, maxx = minx - extra, maxx + extra
    return minx, miny, maxx, maxy


def _draw_divisions(ax: Any, divisions: Sequence[tuple[Division, bool, BaseGeometry]]) -> None:
    """Division areas (inside the report's area lighter) with their names."""
    from matplotlib.patches import PathPatch

    for division, inside, geometry in divisions:
        path = _polygon_path(geometry)
        if path is None:
            continue
        ax.add_patch(
            PathPatch(path, facecolor="#f6f3e8" if inside else "#ececec", edgecolor="#b4b4b4",
                      linewidth=0.6, zorder=1)
        )  # fmt: skip
        spot = geometry.representative_point()
        ax.text(spot.x, spot.y, division.name, ha="center", va="center", fontsize=9,
                color="#6d6d6d" if inside else "#9a9a9a", zorder=2)  # fmt: skip


def _draw_lines(ax: Any, lines: Sequence[tuple[LineReport, BaseGeometry]], halo: list) -> None:
    """The lines coloured by status (dashed: not planned), each named along its course."""
    from matplotlib.collections import LineCollection

    label_size = 7.0 if len(lines) <= 30 else 6.0
    for entry, geometry in lines:
        colour = STATUS_COLOURS.get(entry.status, "#9e9e9e")
        dashed = entry.status == "not_planned"
        ax.add_collection(
            LineCollection(_segments(geometry), colors=colour,
                           linewidths=1.7 if dashed else 2.8,
                           linestyles=(0, (3, 2)) if dashed else "solid", capstyle="round",
                           zorder=3)
        )  # fmt: skip
        spot = shapely.line_interpolate_point(geometry, 0.42, normalized=True)
        ax.text(spot.x, spot.y, entry.name, ha="center", va="center", fontsize=label_size,
                color=colour if not dashed else "#666666", path_effects=halo,
                zorder=4)  # fmt: skip


def _draw_markers(
    ax: Any, markers: Sequence[tuple[Marker, BaseGeometry]], categories: dict[str, str]
) -> None:
    """The markers, one symbol per category (:data:`CATEGORY_STYLES`)."""
    for category, (symbol, colour, size) in CATEGORY_STYLES.items():
        xy = [(p.x, p.y) for m, p in markers if categories.get(m.marker_id) == category]
        if xy:
            xs, ys = zip(*xy, strict=True)
            ax.scatter(xs, ys, marker=symbol, s=size, c=colour, edgecolors="#222222",
                       linewidths=0.8, zorder=6)  # fmt: skip


def _draw_scale_bar(ax: Any, view: _MapView, halo: list) -> None:
    """A scale bar in km, four black and white segments, in the lower left corner."""
    from matplotlib.patches import Rectangle

    minx, miny, _maxx, _maxy = view.bounds
    w, h = view.size
    length_km = _nice_length(w / 1000.0 * 0.22)
    seg = length_km * 1000.0 / 4
    x0, y0 = minx + 0.04 * w, miny + 0.045 * h
    bar_h = 0.012 * h
    for i in range(4):
        ax.add_patch(
            Rectangle((x0 + i * seg, y0), seg, bar_h,
                      facecolor="#222222" if i % 2 == 0 else "white", edgecolor="#222222",
                      linewidth=0.8, zorder=7)
        )  # fmt: skip
    for i, text in ((0, "0"), (2, f"{length_km / 2:g}"), (4, f"{length_km:g} km")):
        ax.text(x0 + i * seg, y0 + bar_h * 1.6, text, ha="center", va="bottom", fontsize=8,
                path_effects=halo, zorder=7)  # fmt: skip
    ax.text(x0, y0 - bar_h * 0.8, "比例尺", ha="left", va="top", fontsize=8, path_effects=halo,
            zorder=7)  # fmt: skip


def _draw_north_and_crs(ax: Any, epsg: int | None, halo: list) -> None:
    """A north arrow in the upper right corner and the CRS in the lower right one."""
    arrow = {"facecolor": "#222222", "edgecolor": "#222222", "width": 4, "headwidth": 13,
             "headlength": 12}  # fmt: skip
    ax.annotate("", xy=(0.955, 0.945), xytext=(0.955, 0.855), xycoords="axes fraction",
                arrowprops=arrow, zorder=8)  # fmt: skip
    ax.text(0.955, 0.95, "北", transform=ax.transAxes, ha="center", va="bottom", fontsize=11,
            fontweight="bold", path_effects=halo, zorder=8)  # fmt: skip
    crs_note = f"CGCS2000 高斯-克吕格 3 度带（EPSG:{epsg}）" if epsg else "CGCS2000 经纬度"
    ax.text(0.995, 0.008, crs_note, transform=ax.transAxes, ha="right", va="bottom",
            fontsize=7, color="#777777", zorder=8)  # fmt: skip


def _draw_titles(fig: Any, report: InspectionReport, fig_h: float) -> None:
    """The report's title, what the colours mean, and the 示例数据 tag of a sample report."""
    fig.text(0.5, 1 - 0.32 / fig_h, f"{report.title}（示意图）", ha="center", va="center",
             fontsize=14, fontweight="bold")  # fmt: skip
    fig.text(0.5, 1 - 0.62 / fig_h,
             "界线按联检状态着色；界桩按本期最近一次双方签字确认的检查结果着色",
             ha="center", va="center", fontsize=8.5, color="#555555")  # fmt: skip
    if report.sample:
        fig.text(0.985, 1 - 0.32 / fig_h, "示例数据", ha="right", va="center", fontsize=11,
                 color="#c62828", fontweight="bold",
                 bbox={"boxstyle": "round,pad=0.3", "fc": "#fdecea", "ec": "#c62828"})  # fmt: skip


def _draw_legend(fig: Any, fig_h: float) -> None:
    """The legend in Chinese: line statuses, marker categories, inside and neighbouring areas."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Line2D([0], [0], color=STATUS_COLOURS[code], lw=1.7 if code == "not_planned" else 3,
               ls=(0, (3, 2)) if code == "not_planned" else "-", label=f"界线：{label}")
        for code, label in REPORT_STATUS_LABELS.items()
    ]  # fmt: skip
    handles += [
        Line2D([0], [0], ls="none", marker=symbol, markersize=np.sqrt(size) * 0.95,
               markerfacecolor=colour, markeredgecolor="#222222",
               label=f"界桩：{MARKER_CATEGORY_LABELS[category]}")
        for category, (symbol, colour, size) in CATEGORY_STYLES.items()
    ]  # fmt: skip
    handles += [
        Patch(facecolor="#f6f3e8", edgecolor="#b4b4b4", label="本辖区行政区"),
        Patch(facecolor="#ececec", edgecolor="#b4b4b4", label="相邻行政区"),
    ]
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.08 / fig_h), ncol=4,
               fontsize=8.5, frameon=True, edgecolor="#bbbbbb", title="图例", title_fontsize=9,
               columnspacing=1.4, handlelength=2.4)  # fmt: skip


# -- the printable page ----------------------------------------------------------------------------

#: Columns of the per-line table: header, and whether the column is numeric.
LINE_COLUMNS: tuple[tuple[str, bool], ...] = (
    ("序号", True),
    ("界线", False),
    ("级别", False),
    ("长度(km)", True),
    ("已检长度(km)", True),
    ("界桩总数", True),
    ("已检", True),
    ("完好", True),
    ("损坏", True),
    ("丢失", True),
    ("移位", True),
    ("问题", True),
    ("状态", False),
)


def _line_cells(index: int, line: LineReport) -> list[str]:
    return [
        str(index),
        line.name,
        line.level_label,
        _km(line.length_km),
        _km(line.km_inspected),
        str(line.markers_total),
        *(str(getattr(line, key)) for key in COUNT_KEYS),
        str(len(line.findings)),
        line.status_label,
    ]


def _total_cells(report: InspectionReport) -> list[str]:
    t = report.totals
    return [
        "",
        f"合计 {int(t['lines'])} 条",
        "",
        _km(t["km_total"]),
        _km(t["km_inspected"]),
        str(int(t["markers_total"])),
        *(str(int(t[key])) for key in COUNT_KEYS),
        str(int(t["findings"])),
        f"已检 {int(t['lines_inspected'])} 条",
    ]


def _totals_boxes(report: InspectionReport) -> list[tuple[str, str]]:
    t = report.totals
    return [
        ("检查界线", f"{int(t['lines_inspected'])} / {int(t['lines'])} 条"),
        ("检查长度", f"{_km(t['km_inspected'])} km"),
        ("应检长度", f"{_km(t['km_total'])} km"),
        ("检查界桩", f"{int(t['inspected'])} / {int(t['markers_total'])} 颗"),
        ("完好", f"{int(t['intact'])} 颗"),
        ("损坏", f"{int(t['damaged'])} 颗"),
        ("丢失", f"{int(t['missing'])} 颗"),
        ("移位", f"{int(t['displaced'])} 颗"),
    ]


def _scope_text(report: InspectionReport) -> str:
    if report.scope == "annual":
        return f"统计范围：{report.year} 年内双方签字确认的检查记录"
    return f"统计范围：第 {report.round_no} 轮内双方签字确认的检查记录"


_NOTE = (
    "统计口径：只计入双方签字确认的检查记录；每颗界桩按本期最近一次检查计一次；“损坏”含掩埋、"
    "字迹不清；实测位置偏离登记位置超过 {tolerance:g} 米或记录为移位的计为“移位”；有检查记录的"
    "界线按全长计入已检长度。"
)


def _findings_rows(report: InspectionReport) -> list[tuple[str, dict[str, Any]]]:
    return [(line.name, f) for line in report.lines for f in line.findings]


def report_html(report: InspectionReport, *, map_png: bytes | None = None) -> str:
    """The report as a printable A4 page (one HTML document, inline CSS, no external assets).

    Parameters
    ----------
    report
        The report.
    map_png
        The map (:func:`report_map_png`), embedded as a ``data:`` URI; left out if ``None``.

    Returns
    -------
    str
        The page: 示例 banner (sample reports), title, summary, totals, map, per-line table,
        findings, changes along the lines, both sides' signatures and a blank sign-off block.
    """
    page = _templates().get_template("inspection_report.html")
    return page.render(
        report=report,
        fonts=_HTML_FONTS,
        scope=_scope_text(report),
        totals=_totals_boxes(report),
        map_data=base64.b64encode(map_png).decode("ascii") if map_png else "",
        columns=LINE_COLUMNS,
        lines=[(line, _line_cells(i, line)) for i, line in enumerate(report.lines, start=1)],
        total_cells=_total_cells(report),
        note=_NOTE.format(tolerance=DISPLACEMENT_TOLERANCE_M),
        findings=_findings_rows(report),
        signed=[line for line in report.lines if any(line.signatures.values())],
        status_colours=STATUS_COLOURS,
        severity_labels=SEVERITY_LABELS,
        zip=zip,
    )


def _templates() -> Any:
    """The report templates (``geociv/boundaries/templates``), HTML escaped."""
    return templates(Path(__file__).parent / "templates")


# -- the Word document -----------------------------------------------------------------------------


def _docx_fonts(document: Any, body: str = "宋体", heading: str = "黑体") -> None:
    """Set the Latin and East Asian fonts of the styles used, and black headings."""
    from docx.oxml.ns import qn
    from docx.shared import RGBColor

    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Table Grid"):
        try:
            style = document.styles[name]
        except KeyError:
            continue
        east = body if name in ("Normal", "Table Grid") else heading
        style.font.name = "Times New Roman" if east == body else "Arial"
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), east)
        for theme in ("w:eastAsiaTheme", "w:asciiTheme", "w:hAnsiTheme"):
            if fonts.get(qn(theme)) is not None:
                del fonts.attrib[qn(theme)]
        if name != "Normal" and name != "Table Grid":
            style.font.color.rgb = RGBColor(0, 0, 0)


def _docx_table(
    document: Any,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    numeric: Sequence[bool] | None = None,
    size: float = 8.0,
    bold_last: bool = False,
) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    tr_pr.append(repeat)

    def fill(cell: Any, text: str, *, bold: bool, align: Any) -> None:
        paragraph = cell.paragraphs[0]
        paragraph.alignment = align
        for i, part in enumerate(str(text).split("\n")):
            if i:
                paragraph.add_run().add_break()
            run = paragraph.add_run(part)
            run.bold = bold
            run.font.size = Pt(size)

    for cell, text in zip(table.rows[0].cells, header, strict=True):
        fill(cell, text, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for r, row in enumerate(rows):
        cells = table.add_row().cells
        last = bold_last and r == len(rows) - 1
        for c, (cell, text) in enumerate(zip(cells, row, strict=True)):
            right = numeric is not None and numeric[c]
            fill(
                cell,
                text,
                bold=last,
                align=WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.LEFT,
            )
    return table


def report_docx(report: InspectionReport, *, map_png: bytes | None = None) -> bytes:
    """The report as a Word document (python-docx): title, summary and totals, the map, the
    per-line table, findings, changes and both sides' signatures.

    Parameters
    ----------
    report
        The report.
    map_png
        The map (:func:`report_map_png`); left out if ``None``.

    Returns
    -------
    bytes
        The ``.docx`` file.
    """
    document = _docx_page(report)
    _docx_title(document, report)
    _docx_summary(document, report, map_png)
    _docx_lines(document, report)
    _docx_findings(document, report)
    _docx_changes(document, report)
    _docx_signatures(document, report)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_page(report: InspectionReport) -> Any:
    """A new A4 document with the report's fonts, margins and properties."""
    from docx import Document
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin = section.bottom_margin = Mm(18)
    _docx_fonts(document)
    document.styles["Normal"].font.size = Pt(10.5)
    document.core_properties.title = report.title
    document.core_properties.subject = "行政区域界线联合检查报告"
    return document


def _docx_title(document: Any, report: InspectionReport) -> None:
    """The sample banner (if any), the title and the scope line."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    if report.sample:
        banner = document.add_paragraph()
        banner.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = banner.add_run("【示例】本报告含演示用的示例数据，不是真实的联检结果")
        run.bold = True
        run.font.color.rgb = RGBColor(0xC6, 0x28, 0x28)
    title = document.add_heading(report.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for run in title.runs:
        run.font.size = Pt(18)
    meta = document.add_paragraph(f"{_scope_text(report)}　·　生成于 {report.generated_at}")
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _docx_summary(document: Any, report: InspectionReport, map_png: bytes | None) -> None:
    """Section 一: the summary, the totals and the map."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    document.add_heading("一、总体情况", level=1)
    summary = document.add_paragraph(report.summary())
    summary.paragraph_format.first_line_indent = Pt(21)
    boxes = _totals_boxes(report)
    _docx_table(document, [label for label, _ in boxes[:4]], [[v for _, v in boxes[:4]]], size=9)
    _docx_table(document, [label for label, _ in boxes[4:]], [[v for _, v in boxes[4:]]], size=9)
    if map_png:
        document.add_paragraph()
        document.add_picture(io.BytesIO(map_png), width=Mm(170))
        document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        caption = document.add_paragraph("联检示意图")
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _docx_lines(document: Any, report: InspectionReport) -> None:
    """Section 二: the per-line table with its total row and the note on displacement."""
    from docx.shared import Pt

    document.add_heading("二、分界线检查情况", level=1)
    rows = []
    for i, line in enumerate(report.lines, start=1):
        cells = _line_cells(i, line)
        extra = " · ".join(x for x in (line.section, line.line_id) if x)
        cells[1] = f"{line.name}{'（示例）' if line.sample else ''}\n{extra}"
        rows.append(cells)
    rows.append(_total_cells(report))
    _docx_table(
        document,
        [h for h, _ in LINE_COLUMNS],
        rows,
        numeric=[n for _, n in LINE_COLUMNS],
        size=7.5,
        bold_last=True,
    )
    note = document.add_paragraph(_NOTE.format(tolerance=DISPLACEMENT_TOLERANCE_M))
    for run in note.runs:
        run.font.size = Pt(8)


def _docx_findings(document: Any, report: InspectionReport) -> None:
    """Section 三: the findings, one row each."""
    document.add_heading("三、发现的问题", level=1)
    found = _findings_rows(report)
    if not found:
        document.add_paragraph("未发现问题。")
        return
    _docx_table(
        document,
        ["界线", "界桩", "问题", "级别", "说明"],
        [
            [
                name,
                str(f.get("marker_id") or "—"),
                str(f.get("title", "")),
                str(f.get("severity_label", "")),
                str(f.get("message", "")),
            ]
            for name, f in found
        ],
    )


def _docx_changes(document: Any, report: InspectionReport) -> None:
    """Section 四: the changes along the lines recorded by signed inspections."""
    document.add_heading("四、界线沿线变化", level=1)
    changed = [line for line in report.lines if line.changes]
    if not changed:
        document.add_paragraph("双方签字确认的界线检查记录中没有记载变化。")
        return
    _docx_table(
        document,
        ["界线", "变化情况"],
        [[line.name, "\n".join(line.changes)] for line in changed],
        size=9,
    )


def _docx_signatures(document: Any, report: InspectionReport) -> None:
    """Section 五: who signed for each side, and the blank signature block."""
    document.add_heading("五、联检双方签字", level=1)
    signed = [line for line in report.lines if any(line.signatures.values())]
    if signed:
        _docx_table(
            document,
            ["界线", "左侧（本方）签字", "右侧（相邻方）签字"],
            [
                [
                    line.name,
                    "\n".join(line.signatures.get("left", [])) or "—",
                    "\n".join(line.signatures.get("right", [])) or "—",
                ]
                for line in signed
            ],
            size=9,
        )
    else:
        document.add_paragraph("本期没有双方签字确认的检查记录。")
    document.add_paragraph()
    block = document.add_table(rows=1, cols=2)
    for cell, side in zip(block.rows[0].cells, ("本方", "相邻方"), strict=True):
        cell.paragraphs[0].add_run(f"{side}联检组").bold = True
        cell.add_paragraph("负责人（签字）：＿＿＿＿＿＿＿＿")
        cell.add_paragraph("单位（盖章）：＿＿＿＿＿＿＿＿")
        cell.add_paragraph("日期：　　　　年　　月　　日")

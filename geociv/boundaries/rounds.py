"""Rounds (轮次) and annual plans of the joint inspection (联检).

Every line is inspected at least once per 5-year round (DESIGN.md "Boundaries and
inspections" rule 1). Rounds are numbered: Zhumadian finished round 4 and inspected round 5
in the 14th plan period, 2021–2025 (:data:`REFERENCE_ROUND`); so 2026–2030 is round 6.
:func:`round_for_year` counts rounds from any reference round and length.

A plan puts a line into a year of a round with a team for each side (the side's adcode and
its members). A line has one ``regular`` plan per round; ``ad_hoc`` plans (after floods, river
course or road changes, disputes) may be added any time.

Status of a plan (:meth:`Rounds.status`):

* ``done`` (已完成) — its line record (界线检查记录, :mod:`geociv.boundaries.inspections`) is
  final, i.e. signed by both sides;
* ``overdue`` (逾期) — not done and the planned year is over;
* ``in_progress`` (进行中) — not done, year not over, some record entered;
* ``planned`` (计划中) — nothing entered yet.

Examples
--------
>>> round_for_year(2026)
(6, 2026, 2030)
>>> round_for_year(2023)
(5, 2021, 2025)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import geopandas as gpd

from geociv.authority import require, require_line
from geociv.boundaries.registry import BoundaryLines, side_unit, within
from geociv.divisions import normalize_code
from geociv.errors import AdcodeError, NotFoundError, Problem, ValidationError
from geociv.fields import choose, day_asked
from geociv.labels import PLAN_KIND_LABELS, PLAN_STATUS_LABELS
from geociv.store import PLAN_KINDS, BoundaryLine, InspectionPlan, InspectionRound, Store, Team

#: Years in a round.
ROUND_YEARS = 5

#: A known round: (number, first year). Zhumadian's round 5 ran 2021–2025 (14th plan period).
REFERENCE_ROUND: tuple[int, int] = (5, 2021)

PLAN_STATUSES: tuple[str, ...] = ("planned", "in_progress", "done", "overdue")


def round_for_year(
    year: int, *, reference: tuple[int, int] = REFERENCE_ROUND, length: int = ROUND_YEARS
) -> tuple[int, int, int]:
    """``(number, first year, last year)`` of the round ``year`` falls in, counting from the
    ``reference`` round (number, first year) in rounds of ``length`` years."""
    number, first = reference
    steps = (int(year) - first) // length
    start = first + steps * length
    return number + steps, start, start + length - 1


@dataclass(frozen=True)
class LineStatus:
    """Where the inspection of one planned line stands."""

    plan: InspectionPlan
    line_name: str
    length_km: float
    status: str
    final_record_id: str | None
    records: int
    markers_checked: int
    markers_total: int

    @property
    def status_label(self) -> str:
        """Chinese label of the status."""
        return PLAN_STATUS_LABELS[self.status]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "plan": self.plan.attributes(),
            "line_id": self.plan.line_id,
            "line_name": self.line_name,
            "length_km": round(self.length_km, 3),
            "year": self.plan.year,
            "status": self.status,
            "status_label": self.status_label,
            "final_record_id": self.final_record_id,
            "records": self.records,
            "markers_checked": self.markers_checked,
            "markers_total": self.markers_total,
        }


def _team(
    value: Team | Mapping[str, Any] | tuple[str, Iterable[str]] | None,
    field: str,
    problems: list[Problem],
) -> Team | None:
    """A team from a :class:`Team`, ``{"code": …, "members": […]}`` or ``(code, members)``."""
    if isinstance(value, Team):
        code, members = value.code, value.members
    elif isinstance(value, Mapping):
        code, members = value.get("code", ""), value.get("members", ())
    elif isinstance(value, tuple) and len(value) == 2:
        code, members = value
    else:
        problems.append(Problem("须指定本侧联检组（区划代码和成员）", field=field))
        return None
    if isinstance(members, str):
        members = members.replace("，", ",").replace("、", ",").split(",")
    names = tuple(str(m).strip() for m in members if str(m).strip())
    try:
        normalized = normalize_code(str(code or ""))
    except AdcodeError as exc:
        problems.append(Problem(f"联检组区划代码有误：{exc}", field=field))
        return None
    if not names:
        problems.append(Problem("联检组至少要有一名成员", field=field))
        return None
    return Team(normalized, names)


class Rounds:
    """Rounds and plans of the joint inspection kept in a :class:`~geociv.store.Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lines = BoundaryLines(store)

    # -- rounds ----------------------------------------------------------------------------
    def open(
        self,
        round_no: int,
        first_year: int,
        *,
        actor: str,
        last_year: int | None = None,
        title: str = "",
    ) -> InspectionRound:
        """Open round ``round_no`` from ``first_year`` to ``last_year`` (default: 5 years).

        Raises
        ------
        ValidationError
            Bad numbers or years, overlapping another round, a number already used.
        PermissionDeniedError
            The actor is not an inspector. A round has no division (it is the schedule of
            every line of the store), so any inspector may open one.
        """
        require(self.store, actor, ("inspector",), what="rounds.open")
        with self.store.transaction():  # overlaps decided with the write
            return self._open(round_no, first_year, actor=actor, last_year=last_year, title=title)

    def _open(
        self, round_no: int, first_year: int, *, actor: str, last_year: int | None, title: str
    ) -> InspectionRound:
        problems: list[Problem] = []
        last = last_year if last_year is not None else int(first_year) + ROUND_YEARS - 1
        if int(round_no) < 1:
            problems.append(Problem("轮次编号应为正整数", field="round_no"))
        if not 1949 <= int(first_year) <= 2200:
            problems.append(Problem(f"起始年份 {first_year} 不合理", field="first_year"))
        if last < int(first_year):
            problems.append(Problem("结束年份早于起始年份", field="last_year"))
        for other in self.store.inspection_rounds():
            if other.round_no == int(round_no):
                problems.append(
                    Problem(
                        f"第 {round_no} 轮（{other.first_year}–{other.last_year}）已存在",
                        field="round_no",
                    )
                )
            elif other.first_year <= last and int(first_year) <= other.last_year:
                problems.append(
                    Problem(
                        f"{first_year}–{last} 与第 {other.round_no} 轮（{other.first_year}–"
                        f"{other.last_year}）重叠",
                        field="first_year",
                    )
                )
        if problems:
            raise ValidationError(problems, title="联检轮次有误")
        default_title = f"第{round_no}轮界线联检（{first_year}—{last}年）"
        return self.store.add_inspection_round(
            InspectionRound(int(round_no), int(first_year), last, (title or default_title).strip()),
            actor=actor,
        )

    def open_for_year(
        self,
        year: int,
        *,
        actor: str,
        reference: tuple[int, int] = REFERENCE_ROUND,
        length: int = ROUND_YEARS,
    ) -> InspectionRound:
        """The round ``year`` falls in (:func:`round_for_year`), opened if not yet stored."""
        for existing in self.store.inspection_rounds():
            if existing.covers(int(year)):
                return existing
        number, first, last = round_for_year(year, reference=reference, length=length)
        return self.open(number, first, last_year=last, actor=actor)

    def get(self, round_no: int) -> InspectionRound:
        """The round; ``LookupError`` if there is none."""
        found = self.store.get_inspection_round(int(round_no))
        if found is None:
            raise NotFoundError(f"未找到第 {round_no} 轮联检")
        return found

    def list(self) -> list[InspectionRound]:
        """All rounds by number."""
        return self.store.inspection_rounds()

    def current(self, today: str | date | None = None) -> InspectionRound | None:
        """The stored round covering ``today``'s year (default today), or ``None``."""
        year = day_asked(today).year
        return next((r for r in self.store.inspection_rounds() if r.covers(year)), None)

    # -- plans -----------------------------------------------------------------------------
    def plan(
        self,
        round_no: int,
        line_id: str,
        year: int,
        *,
        left_team: Team | Mapping[str, Any] | tuple[str, Iterable[str]],
        right_team: Team | Mapping[str, Any] | tuple[str, Iterable[str]],
        actor: str,
        kind: str = "regular",
        note: str = "",
        sample: bool = False,
    ) -> InspectionPlan:
        """Plan the inspection of a line in a year of a round.

        Parameters
        ----------
        left_team, right_team
            The team of each side: a :class:`~geociv.store.Team`, ``(code, [members])`` or
            ``{"code": …, "members": […]}``. A team's code must be its side's division at the
            line's level or a division inside it (a county line: the county or one of its
            townships; a city line: the city or one of its counties).
        kind
            ``regular`` (例行联检, one per line and round) or ``ad_hoc`` (专项检查).
        sample
            A made-up demo plan (示例).

        Raises
        ------
        ValidationError
            Listing every problem (unknown round or line, a line with one side only, a year
            outside the round, teams on the wrong side, a second regular plan); nothing is
            stored.
        """
        problems: list[Problem] = []
        current = self.store.get_boundary_line((line_id or "").strip())
        if current is None:
            require(self.store, actor, ("inspector",), what="plans.add")
        else:
            require_line(self.store, actor, current, what="plans.add")
        round_ = self.store.get_inspection_round(int(round_no))
        if round_ is None:
            problems.append(Problem(f"未找到第 {round_no} 轮联检", field="round_no"))
        elif not round_.covers(int(year)):
            problems.append(
                Problem(
                    f"{year} 年不在第 {round_no} 轮（{round_.first_year}–{round_.last_year}）内",
                    field="year",
                )
            )
        line = self._line(line_id, problems)
        kind_code = choose(kind, PLAN_KINDS, PLAN_KIND_LABELS, "kind", "计划类型", problems)
        left = _team(left_team, "left_team", problems)
        right = _team(right_team, "right_team", problems)
        if line is not None:
            self._check_team(line, left, "left", problems)
            self._check_team(line, right, "right", problems)
            if kind_code == "regular" and round_ is not None:
                for other in self.store.query_inspection_plans(
                    round_no=round_.round_no, line_id=line.line_id, kind="regular"
                ):
                    problems.append(
                        Problem(
                            f"界线 {line.name}（{line.line_id}）已列入第 {round_.round_no} 轮 "
                            f"{other.year} 年计划（计划 {other.plan_id}）；改期请用 reschedule",
                            field="line_id",
                        )
                    )
        if problems:
            raise ValidationError(problems, title="联检计划有误")
        assert line is not None and left and right and kind_code and round_
        return self.store.add_inspection_plan(
            InspectionPlan(
                plan_id=None,
                round_no=round_.round_no,
                line_id=line.line_id,
                year=int(year),
                left_team=left,
                right_team=right,
                kind=kind_code,
                sample=sample,
                note=(note or "").strip(),
            ),
            actor=actor,
        )

    def get_plan(self, plan_id: int) -> InspectionPlan:
        """The plan; ``LookupError`` if there is none."""
        plan = self.store.get_inspection_plan(int(plan_id))
        if plan is None:
            raise NotFoundError(f"未找到联检计划 {plan_id}")
        return plan

    def plans(
        self, round_no: int, *, year: int | None = None, line_id: str | None = None
    ) -> list[InspectionPlan]:
        """Plans of a round, optionally of one year or line."""
        return self.store.query_inspection_plans(round_no=int(round_no), year=year, line_id=line_id)

    def reschedule(self, plan_id: int, year: int, *, actor: str, reason: str) -> InspectionPlan:
        """Move a plan to another year of its round (audited with the reason)."""
        plan = self.get_plan(plan_id)
        self._require_plan(plan, actor, "plans.reschedule")
        round_ = self.get(plan.round_no)
        problems = []
        if not round_.covers(int(year)):
            problems.append(
                Problem(
                    f"{year} 年不在第 {round_.round_no} 轮（{round_.first_year}–"
                    f"{round_.last_year}）内",
                    field="year",
                )
            )
        if not (reason or "").strip():
            problems.append(Problem("须填写改期原因", field="reason"))
        if problems:
            raise ValidationError(problems, title="联检计划改期有误")
        assert plan.plan_id is not None
        return self.store.update_inspection_plan(
            plan.plan_id, actor=actor, note=reason.strip(), year=int(year)
        )

    def set_teams(
        self,
        plan_id: int,
        *,
        actor: str,
        left_team: Team | Mapping[str, Any] | tuple[str, Iterable[str]] | None = None,
        right_team: Team | Mapping[str, Any] | tuple[str, Iterable[str]] | None = None,
    ) -> InspectionPlan:
        """Change the team of one or both sides of a plan."""
        plan = self.get_plan(plan_id)
        self._require_plan(plan, actor, "plans.teams")
        problems: list[Problem] = []
        line = self._line(plan.line_id, problems)
        changes: dict[str, Team] = {}
        for side, value in (("left", left_team), ("right", right_team)):
            if value is None:
                continue
            team = _team(value, f"{side}_team", problems)
            if line is not None:
                self._check_team(line, team, side, problems)
            if team is not None:
                changes[f"{side}_team"] = team
        if problems:
            raise ValidationError(problems, title="联检组有误")
        assert plan.plan_id is not None
        return self.store.update_inspection_plan(plan.plan_id, actor=actor, **changes)

    # -- status ----------------------------------------------------------------------------
    def status(
        self, round_no: int, *, year: int | None = None, today: str | date | None = None
    ) -> list[LineStatus]:
        """Status of every plan of a round (optionally one year), ordered by year and line."""
        self.get(round_no)
        end = day_asked(today)
        out = []
        for plan in self.plans(round_no, year=year):
            records = self.store.query_inspection_records(plan_id=plan.plan_id)
            final = [r for r in records if r.kind == "line" and r.is_final]
            line = self.store.get_boundary_line(plan.line_id) or self._last_version(plan.line_id)
            markers = self.store.query_markers(line_id=plan.line_id)
            checked = {r.marker_id for r in records if r.kind == "marker" and r.is_final}
            if final:
                status = "done"
            elif plan.year < end.year:
                status = "overdue"
            elif records:
                status = "in_progress"
            else:
                status = "planned"
            out.append(
                LineStatus(
                    plan=plan,
                    line_name=line.name if line else plan.line_id,
                    length_km=line.length_km if line else 0.0,
                    status=status,
                    final_record_id=final[-1].record_id if final else None,
                    records=len(records),
                    markers_checked=len(checked & {m.marker_id for m in markers}),
                    markers_total=len(markers),
                )
            )
        return out

    def overdue(self, round_no: int, *, today: str | date | None = None) -> list[LineStatus]:
        """Plans of a round whose year is over without a final line record."""
        return [s for s in self.status(round_no, today=today) if s.status == "overdue"]

    def not_inspected(
        self,
        round_no: int,
        *,
        parent: str | None = None,
        today: str | date | None = None,
    ) -> gpd.GeoDataFrame:
        """Current lines (with two sides) that have no final line record in the round.

        Returns
        -------
        GeoDataFrame
            The columns of :meth:`BoundaryLines.current` plus ``plan_id``, ``planned_year``
            and ``status`` (a plan status, or ``unplanned``) and ``status_label``.
        """
        self.get(round_no)
        lines = self.lines.current(parent=parent)
        lines = lines[lines["level"] != "edge"]
        done = {
            r.line_id
            for r in self.store.query_inspection_records(round_no=int(round_no), kind="line")
            if r.is_final
        }
        by_line: dict[str, LineStatus] = {}
        for s in self.status(round_no, today=today):
            if s.plan.kind == "regular" or s.plan.line_id not in by_line:
                by_line[s.plan.line_id] = s
        out = lines[~lines["line_id"].isin(done)].reset_index(drop=True)
        plans = [by_line.get(line_id) for line_id in out["line_id"]]
        out["plan_id"] = [s.plan.plan_id if s else None for s in plans]
        out["planned_year"] = [s.plan.year if s else None for s in plans]
        out["status"] = [s.status if s else "unplanned" for s in plans]
        out["status_label"] = [PLAN_STATUS_LABELS[v] for v in out["status"]]
        return out

    # -- helpers ---------------------------------------------------------------------------
    def _require_plan(self, plan: InspectionPlan, actor: str, what: str) -> None:
        """Only inspectors of a side of the plan's line change the plan."""
        line = self._last_version(plan.line_id)
        if line is None:
            require(self.store, actor, ("admin",), what=what)
        else:
            require_line(self.store, actor, line, what=what)

    def _line(self, line_id: str, problems: list[Problem]) -> BoundaryLine | None:
        line = self.store.get_boundary_line((line_id or "").strip())
        if line is None:
            problems.append(Problem(f"未找到现行界线 {line_id}", field="line_id"))
            return None
        if not line.right_code:
            problems.append(
                Problem(
                    f"界线 {line.name}（{line.line_id}）只有一侧，无法双方联检", field="line_id"
                )
            )
            return None
        return line

    def _last_version(self, line_id: str) -> BoundaryLine | None:
        versions = self.store.boundary_line_versions(line_id)
        return versions[-1] if versions else None

    def _check_team(
        self, line: BoundaryLine, team: Team | None, side: str, problems: list[Problem]
    ) -> None:
        if team is None:
            return
        side_code = line.left_code if side == "left" else line.right_code
        unit = side_unit(side_code, line.level)
        if not within(team.code, unit):
            label = "左侧" if side == "left" else "右侧"
            division = self.store.get_division(unit)
            named = f"{division.name}（{unit}）" if division else unit
            problems.append(
                Problem(
                    f"{label}联检组的区划 {team.code} 不属于界线 {line.name} 的{label} {named}",
                    field=f"{side}_team",
                )
            )

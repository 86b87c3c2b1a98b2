"""What a division change case does when it takes effect (生效), in one transaction.

The case names its units before and after and the villages it moves. On the effective day ``E``:

- a code that is only *before* is retired (``valid_to = E``; its row is kept); a code the store
  does not have yet is recorded as retired (a change entered after the fact, the store already
  holding the new list);
- a code that is only *after* starts on ``E`` (``valid_from``), pointing to its predecessors; if
  the store already has it (entered after the fact) it gets the same dates and links;
- a code both before and after (a rename, a move to another parent) keeps its row with the new
  name, parent or level from ``E``; what it was before goes to ``division_versions``;
- name records: a code kept gets the old name as 曾用名 ending on ``E`` and the new name with the
  case's reviewed pinyin; a new code gets its own record (``D<code>``) carrying the former name
  of the unit it came from, and the record of a retired code is retired;
- a change of extent (:data:`~geociv.store.EXTENT_CHANGE_KINDS`) opens a 勘界 task due one year
  after the approval, listing the units and the current boundary lines that touch them;
- zone sets and stored coverage runs that name a changed unit are flagged as out of date.

Applying a case twice changes nothing the second time (each step checks what is there).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from geociv.errors import Problem, ValidationError
from geociv.gazetteer.names import Gazetteer, division_name_id
from geociv.store import (
    EXTENT_CHANGE_KINDS,
    Division,
    DivisionCase,
    DivisionVersion,
    FormerName,
    Store,
    SurveyTask,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unit:
    """One unit as a case names it."""

    code: str
    name: str
    level: str
    parent_code: str | None
    #: ``statutory`` or ``statistical``; empty: as stored (``statutory`` for a new code)
    kind: str = ""

    @classmethod
    def of(cls, data: dict[str, Any]) -> Unit:
        """A unit from the case's JSON."""
        return cls(
            str(data["code"]), str(data["name"]), str(data["level"]),
            data.get("parent_code"), str(data.get("kind") or ""),
        )  # fmt: skip


@dataclass
class Outcome:
    """What taking effect did (for the case's record and the officer's screen)."""

    retired: list[str] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    survey_task: str | None = None
    stale: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """JSON-ready, as kept in the case's review record."""
        return {
            "retired": self.retired, "started": self.started, "changed": self.changed,
            "names": self.names, "survey_task": self.survey_task, "stale": self.stale,
        }  # fmt: skip


def units_of(case: DivisionCase) -> tuple[list[Unit], list[Unit], dict[str, list[str]]]:
    """The units before and after (villages moved included) and each after-code's
    predecessors."""
    before = {u.code: u for u in map(Unit.of, case.changes.get("before", []))}
    after = {u.code: u for u in map(Unit.of, case.changes.get("after", []))}
    # a unit after comes from every other unit before it (a merge: the one that stays absorbs
    # the rest; a split: each new unit comes from the one divided); villages from their moves
    preds = {
        code: [c for c in before if c != code and before[c].level != "village"]
        for code, unit in after.items()
        if unit.level != "village"
    }
    for move in case.changes.get("villages", []):
        old_code, new_code = move.get("old_code") or "", move.get("new_code") or ""
        if old_code:
            before.setdefault(old_code, Unit(old_code, move["old_name"], "village", old_code[:9]))
        if new_code:
            after.setdefault(new_code, Unit(new_code, move["new_name"], "village", new_code[:9]))
            preds[new_code] = [old_code] if old_code and old_code != new_code else []
    return list(before.values()), list(after.values()), preds


def take_effect(store: Store, case: DivisionCase, on: str, *, actor: str) -> Outcome:
    """Apply ``case`` to divisions, names, boundaries and coverage as of the day ``on``.

    Call inside ``store.transaction()``: every write here is part of the case's one step.
    """
    before, after, preds = units_of(case)
    problems = conflicts(store, before, after, on)
    if problems:
        raise ValidationError(problems, title=f"变更案件 {case.case_id} 无法生效")
    outcome = Outcome()
    _retire_units(store, case, before, {u.code for u in after}, on, actor, outcome)
    _start_units(store, case, before, after, preds, on, actor, outcome)
    _carry_names(store, case, before, after, preds, on, actor, outcome)
    if case.kind in EXTENT_CHANGE_KINDS:
        outcome.survey_task = _open_survey(store, case, before, after, actor)
    changed = sorted({u.code for u in before} | {u.code for u in after})
    reason = f"{case.case_id}（{case.title}）于 {on} 生效"
    outcome.stale = store.mark_coverage_stale(changed, reason, actor=actor)
    logger.info("change case %s took effect on %s: %s", case.case_id, on, outcome.summary())
    return outcome


def conflicts(store: Store, before: list[Unit], after: list[Unit], on: str) -> list[Problem]:
    """What stops the case: a code already retired on another day, a new code that was
    retired, a unit whose parent will not exist."""
    problems: list[Problem] = []
    after_codes = {u.code for u in after}
    for i, unit in enumerate(before, start=1):
        row = store.get_division(unit.code)
        if unit.code not in after_codes and row is not None and row.valid_to not in (None, on):
            problems.append(Problem(
                f"{unit.code} {unit.name} 已于 {row.valid_to} 撤销", row=i, field="before",
            ))  # fmt: skip
    retiring = {u.code for u in before} - after_codes
    for i, unit in enumerate(after, start=1):
        row = store.get_division(unit.code)
        if row is not None and row.valid_to is not None and row.valid_to != on:
            problems.append(Problem(
                f"{unit.code} 已于 {row.valid_to} 撤销，不能再用", row=i, field="after",
            ))  # fmt: skip
        parent = unit.parent_code
        if parent and (
            parent in retiring or (parent not in after_codes and store.get_division(parent) is None)
        ):
            problems.append(Problem(
                f"{unit.code} {unit.name} 的上级 {parent} 在变更后不存在", row=i, field="after",
            ))  # fmt: skip
    moving = {u.code for u in before}
    for code in sorted(retiring):
        left = [d for d in store.query_divisions(parent=code, with_geometry=False)
                if d.code not in moving]  # fmt: skip
        if left:
            names = "、".join(d.name for d in left[:5]) + ("等" if len(left) > 5 else "")
            message = f"{code} 撤销后，其下 {len(left)} 个单位（{names}）没有随案件调整"
            problems.append(Problem(message, field="villages"))
    return problems


def _retire_units(
    store: Store, case: DivisionCase, before: list[Unit], after_codes: set[str], on: str,
    actor: str, outcome: Outcome,
) -> None:  # fmt: skip
    rows = []
    for unit in before:
        if unit.code in after_codes:
            continue
        row = store.get_division(unit.code)
        if row is not None and row.valid_to == on:
            continue  # applied before
        base = row or Division(unit.code, unit.name, unit.level, unit.parent_code,
                               unit.kind or "statutory", source="变更案件补录")  # fmt: skip
        rows.append(replace(base, valid_to=on, change_case=case.case_id))
        outcome.retired.append(unit.code)
    store.upsert_divisions(rows, actor=actor, action="divisions.retire")


def _start_units(
    store: Store, case: DivisionCase, before: list[Unit], after: list[Unit],
    preds: dict[str, list[str]], on: str, actor: str, outcome: Outcome,
) -> None:  # fmt: skip
    was = {u.code: u for u in before}
    rows, versions = [], []
    for unit in after:
        row = store.get_division(unit.code)
        if row is not None and row.valid_from == on and row.change_case == case.case_id:
            continue  # applied before
        earlier = was.get(unit.code)
        stored_kind = row.kind if row else "statutory"
        if earlier is not None and not _same_unit(earlier, unit, stored_kind):
            # the code lives on with a new name, parent or level: keep what it was
            versions.append(DivisionVersion(
                earlier.code, earlier.name, earlier.level, earlier.parent_code,
                earlier.kind or stored_kind, row.valid_from if row else None, on, case.case_id,
            ))  # fmt: skip
            outcome.changed.append(unit.code)
        elif earlier is None:
            outcome.started.append(unit.code)
        base = row or Division(unit.code, unit.name, unit.level, unit.parent_code,
                               unit.kind or "statutory",
                               source=f"变更案件 {case.case_id}")  # fmt: skip
        links = tuple(dict.fromkeys([*base.predecessors, *preds.get(unit.code, [])]))
        kept = earlier is not None and _same_unit(earlier, unit, base.kind)
        rows.append(replace(
            base, name=unit.name, level=unit.level, parent_code=unit.parent_code,
            kind=unit.kind or base.kind, valid_from=base.valid_from if kept else on,
            valid_to=None, predecessors=links, change_case=case.case_id,
        ))  # fmt: skip
    store.add_division_versions(versions, actor=actor)
    store.upsert_divisions(rows, actor=actor, action="divisions.change")


def _same_unit(a: Unit, b: Unit, stored_kind: str) -> bool:
    """Whether a code's unit before and after are alike (kinds left empty: as stored)."""
    return (a.name, a.level, a.parent_code, a.kind or stored_kind) == (
        b.name, b.level, b.parent_code, b.kind or stored_kind,
    )  # fmt: skip


def _carry_names(
    store: Store, case: DivisionCase, before: list[Unit], after: list[Unit],
    preds: dict[str, list[str]], on: str, actor: str, outcome: Outcome,
) -> None:  # fmt: skip
    """Name records follow the units: see the module notes."""
    gazetteer = Gazetteer(store)
    names = case.changes.get("names", {})
    was = {u.code: u for u in before}
    after_codes = {u.code for u in after}
    for unit in after:
        division = store.get_division(unit.code)
        if division is None or division.kind != "statutory":
            continue  # statistical units (development zones) have no standard name
        record = gazetteer.record_for_division(division, pinyin=names.get(unit.code))
        old = [was[c] for c in (preds.get(unit.code) or [unit.code]) if c in was]
        if _record_follows(store, gazetteer, record, old, on, case, actor):
            outcome.names.append(record.name_id)
    for unit in before:
        if unit.code not in after_codes:
            retired = store.get_name(division_name_id(unit.code))
            if retired is not None and retired.status != "retired":
                gazetteer.update(retired.name_id, actor=actor, status="retired")
                outcome.names.append(retired.name_id)


def _record_follows(
    store: Store, gazetteer: Gazetteer, record: Any, old: list[Unit], on: str,
    case: DivisionCase, actor: str,
) -> bool:  # fmt: skip
    """Write the unit's name record and the former names it gets; whether anything changed."""
    stored = store.get_name(record.name_id)
    counts = store.upsert_names(
        [replace(record, status=stored.status if stored else "published")],
        actor=actor, action="names.division_change",
    )  # fmt: skip
    known = {(f.name, f.valid_to) for f in store.former_names(record.name_id)}
    wrote = bool(counts.inserted or counts.updated)
    for unit in old:
        former = gazetteer.record_for_division(as_division(unit))
        if former.name == record.name or (former.name, on) in known:
            continue
        store.add_former_name(
            FormerName(record.name_id, former.name, former.pinyin, None, on,
                       note=f"行政区划变更（{case.title}）", case_id=case.case_id),
            actor=actor,
        )  # fmt: skip
        wrote = True
    return wrote


def as_division(unit: Unit) -> Division:
    """The unit as a division record (no polygon), e.g. to name it."""
    return Division(unit.code, unit.name, unit.level, unit.parent_code, unit.kind or "statutory")


def _open_survey(
    store: Store, case: DivisionCase, before: list[Unit], after: list[Unit], actor: str
) -> str:
    """The 勘界 task of a change of extent (one per case; due a year after approval)."""
    existing = store.query_survey_tasks(case_id=case.case_id)
    if existing:
        return existing[0].task_id
    units = sorted({u.code for u in [*before, *after] if u.level != "village"})
    lines = _lines_touched(store, [u for u in [*before, *after] if u.level != "village"])
    approved = date.fromisoformat(case.approval_date or date.today().isoformat())
    due = _one_year_after(approved).isoformat()
    task = SurveyTask("", case.case_id, tuple(units), due, line_ids=tuple(lines),
                      note=f"{case.title}：批准后一年内完成勘界")  # fmt: skip
    return store.add_survey_task(task, actor=actor).task_id


def _lines_touched(store: Store, units: list[Unit]) -> list[str]:
    """The current boundary lines a change of extent moves: a line of a changed unit itself,
    or a line between two parents that units move between (a township moved from one county
    to another moves the county line between them)."""
    codes = {u.code for u in units}
    parents = {u.parent_code for u in units if u.parent_code}
    sides = codes | parents
    found: set[str] = set()
    for prefix in sorted(sides):
        for line in store.query_boundary_lines(division_prefix=prefix, with_geometry=False):
            pair = {line.left_code, line.right_code}
            if pair & codes or (len(parents) > 1 and pair <= sides):
                found.add(line.line_id)
    return sorted(found)


def _one_year_after(day: date) -> date:
    """The same day a year later (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)

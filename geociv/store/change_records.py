"""Records of division changes (行政区划变更) that cross the store boundary: change cases,
proposals made from two official code lists, and re-survey (勘界) tasks.

A case's units before and after, the villages it moves and the new standard names it gives are
kept as one JSON document (``changes``): they are read and written as a whole, never queried
field by field. The columns a list filters on (kind, county, status, dates) are columns.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from geociv.store.records import CaseStep

#: Kinds of division change, in the order the issue lists them: 撤乡设镇, 撤乡/镇设街道, 更名, 新设,
#: 撤销, 合并, 拆分, 隶属/管辖调整 (units or villages moved to another parent), code change only,
#: 驻地迁移 (never seen in code lists: entered by hand).
DIVISION_CHANGE_KINDS: tuple[str, ...] = (
    "township_to_town",
    "to_subdistrict",
    "rename",
    "new",
    "abolish",
    "merge",
    "split",
    "transfer",
    "recode",
    "seat_move",
)

#: Kinds that change where a unit's boundary runs: taking effect opens a 勘界 task.
EXTENT_CHANGE_KINDS: tuple[str, ...] = ("new", "abolish", "merge", "split", "transfer")

#: The path of a change case (申请 → 审核 → 批准 → 生效) and the status after each step.
DIVISION_CASE_STEPS: tuple[str, ...] = ("apply", "review", "approve", "effective")
DIVISION_CASE_STATUSES: tuple[str, ...] = ("applied", "reviewed", "approved", "effective")

#: Closing steps (撤回, 不予批准), allowed before approval, and the statuses they leave.
DIVISION_CASE_CLOSING_STEPS: tuple[str, ...] = ("withdraw", "reject")
DIVISION_CASE_CLOSED_STATUSES: tuple[str, ...] = ("withdrawn", "rejected")

DIVISION_CASE_ALL_STEPS: tuple[str, ...] = DIVISION_CASE_STEPS + DIVISION_CASE_CLOSING_STEPS
DIVISION_CASE_ALL_STATUSES: tuple[str, ...] = DIVISION_CASE_STATUSES + DIVISION_CASE_CLOSED_STATUSES

#: Status a change case is in after each step.
DIVISION_STEP_STATUS: dict[str, str] = {
    **dict(zip(DIVISION_CASE_STEPS, DIVISION_CASE_STATUSES, strict=True)),
    **dict(zip(DIVISION_CASE_CLOSING_STEPS, DIVISION_CASE_CLOSED_STATUSES, strict=True)),
}

#: Documents of a change case: the approval (批复), the request (请示), a map of the new
#: boundaries (示意图), anything else.
DIVISION_DOCUMENT_TYPES: tuple[str, ...] = ("approval", "request", "map", "other")

#: A proposal waits for an officer, who accepts it (it becomes a case) or dismisses it.
PROPOSAL_STATUSES: tuple[str, ...] = ("pending", "accepted", "dismissed")

#: A 勘界 task is open until the re-survey is recorded as done.
SURVEY_TASK_STATUSES: tuple[str, ...] = ("open", "done")


@dataclass(frozen=True)
class DivisionVersion:
    """An earlier version of a division code: its name, level, parent and kind from
    ``valid_from`` (``None``: before the records) until ``valid_to`` (exclusive), ended by the
    change case ``change_case``."""

    code: str
    name: str
    level: str
    parent_code: str | None
    kind: str
    valid_from: str | None
    valid_to: str
    change_case: str = ""
    recorded_at: str = ""


@dataclass(frozen=True)
class DivisionCase:
    """A division change case (行政区划变更案件).

    ``division_code`` is the unit whose jurisdiction the case is in (the county, or the city
    for county-level changes). ``changes`` holds ``before`` and ``after`` (lists of units, each
    ``{"code", "name", "level", "parent_code", "kind"}``), ``villages`` (moves, each
    ``{"old_code", "old_name", "new_code", "new_name"}``), ``names`` (new standard names with
    their reviewed pinyin, by code) and ``seat`` (the new seat of a ``seat_move``).
    """

    case_id: str
    kind: str
    title: str
    division_code: str
    changes: dict[str, Any]
    approving_body: str = ""
    approval_number: str = ""
    approval_date: str | None = None
    effective_date: str | None = None
    proposal_id: str | None = None
    status: str = "applied"
    close_reason: str = ""
    review: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""
    steps: tuple[CaseStep, ...] = ()

    def attributes(self) -> dict[str, Any]:
        """The case as the audit trail and the API record it."""
        data = asdict(self)
        data["steps"] = [asdict(s) for s in self.steps]
        return data


@dataclass(frozen=True)
class DivisionProposal:
    """A change proposed by comparing two official lists, waiting for an officer's decision.

    ``key`` recognises the same proposal made again from the same lists; ``body`` is the
    proposal as the comparison made it (kind, units, villages, confidence, evidence).
    """

    proposal_id: str
    batch: str
    key: str
    kind: str
    division_code: str
    body: dict[str, Any]
    status: str = "pending"
    reason: str = ""
    case_id: str | None = None
    created_by: str = ""
    created_at: str = ""
    updated_at: str = ""

    def attributes(self) -> dict[str, Any]:
        """The proposal as the audit trail and the API record it."""
        return asdict(self)


@dataclass(frozen=True)
class SurveyTask:
    """A re-survey (勘界) due after a change of extent: the units and boundary lines to survey,
    due within one year of the approval."""

    task_id: str
    case_id: str
    division_codes: tuple[str, ...]
    due: str
    line_ids: tuple[str, ...] = ()
    status: str = "open"
    done_on: str | None = None
    note: str = ""
    created_by: str = ""
    created_at: str = ""
    updated_at: str = ""

    def attributes(self) -> dict[str, Any]:
        """The task as the audit trail and the API record it."""
        data = asdict(self)
        data["division_codes"] = list(self.division_codes)
        data["line_ids"] = list(self.line_ids)
        return data

"""Division change cases (行政区划变更案件): from a proposal or by hand, through 申请 → 审核 →
批准 → 生效, each step dated, attributed and audited, like naming cases.

- ``apply`` — the kind, a title, the units before and after, the villages moved (or accept a
  proposal: the case is pre-filled from it); back-dating allowed for changes entered after the
  fact, never after today;
- ``review`` — the checks of :func:`~geociv.changes.effect.conflicts` (nothing retired twice, no
  new code that was retired, every child of a retired unit moved) and the new standard names
  with their pinyin (given, or the rules' spelling, then counted as reviewed);
- ``approve`` — the approving body (审批机关), document number (文号) and approval date;
- ``effective`` — :func:`~geociv.changes.effect.take_effect` in the same transaction as the step.

``withdraw`` and ``reject`` close a case before approval, with a reason. Officers act within their
jurisdiction: the case's county (or city), and every unit it touches.

Examples
--------
>>> import tempfile, pathlib
>>> from geociv.divisions import Divisions, division_record
>>> from geociv.store import open_store
>>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "c.gpkg")
>>> _ = Divisions(store).load_records([division_record("411700", "驻马店市"),
...     division_record("411724", "正阳县"), division_record("411724210", "吕河乡")], actor="doc")
>>> changes = DivisionChanges(store)
>>> case = changes.apply("rename", title="吕河乡更名为闾河乡", actor="doc", on="2020-03-01",
...     before=[{"code": "411724210", "name": "吕河乡", "level": "township",
...              "parent_code": "411724"}],
...     after=[{"code": "411724210", "name": "闾河乡", "level": "township",
...             "parent_code": "411724"}])
>>> _ = changes.review(case.case_id, actor="doc", on="2020-03-02")
>>> _ = changes.approve(case.case_id, approving_body="河南省人民政府",
...                     approval_number="豫政文〔2020〕1号", actor="doc", on="2020-03-10")
>>> changes.take_effect(case.case_id, actor="doc", on="2020-04-01").status
'effective'
>>> store.get_division("411724210").name, store.get_division("411724210", on="2020-01-01").name
('闾河乡', '吕河乡')
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from geociv.authority import require
from geociv.changes import effect
from geociv.errors import NotFoundError, Problem, ValidationError
from geociv.fields import check_day
from geociv.gazetteer.names import Gazetteer
from geociv.labels import DIVISION_STATUS_LABELS, PROPOSAL_STATUS_LABELS
from geociv.store import (
    DIVISION_CASE_CLOSING_STEPS,
    DIVISION_CASE_STATUSES,
    DIVISION_CASE_STEPS,
    DIVISION_CHANGE_KINDS,
    DIVISION_DOCUMENT_TYPES,
    CaseDocument,
    DivisionCase,
    DivisionProposal,
    Store,
    SurveyTask,
)
from geociv.uploads import document_problems

logger = logging.getLogger(__name__)


#: The steps recorded on a case after its application: the path, then the closing steps.
RECORDED_STEPS: tuple[str, ...] = (*DIVISION_CASE_STEPS[1:], *DIVISION_CASE_CLOSING_STEPS)


def next_step(case: DivisionCase) -> str | None:
    """The step a case can take now (``review`` … ``effective``); ``None`` once it took
    effect or was closed."""
    if case.status not in DIVISION_CASE_STATUSES[:-1]:
        return None
    return DIVISION_CASE_STEPS[DIVISION_CASE_STATUSES.index(case.status) + 1]


class DivisionChanges:
    """The division change workflow on a store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- reading ----------------------------------------------------------------------------
    def get(self, case_id: str) -> DivisionCase:
        """A case, or :class:`NotFoundError`."""
        case = self.store.get_division_case(case_id)
        if case is None:
            raise NotFoundError(f"未找到变更案件 {case_id}")
        return case

    def cases(self, *, status: str | None = None, within: str | None = None) -> list[DivisionCase]:
        """Cases, optionally by status and under a division code prefix."""
        prefix = _prefix(within)
        return self.store.query_division_cases(status=status, division_prefix=prefix)

    # -- proposals --------------------------------------------------------------------------
    def save_proposals(
        self, proposals: Iterable[Any], *, batch: str, actor: str
    ) -> list[DivisionProposal]:
        """Keep proposals (:class:`~geociv.changes.propose.Proposal`) for review; those made
        before from the same lists are skipped. Returns the new ones."""
        rows = [
            DivisionProposal("", batch, p.key, p.kind, _county_of(p.to_json()), p.to_json())
            for p in proposals
        ]
        codes = {r.division_code for r in rows}
        require(self.store, actor, ("officer",), divisions=codes, what="division_proposals.add")
        return self.store.add_division_proposals(rows, actor=actor)

    def proposals(
        self, *, status: str | None = None, within: str | None = None
    ) -> list[DivisionProposal]:
        """Kept proposals, optionally by status and under a division code prefix."""
        return self.store.query_division_proposals(status=status, division_prefix=_prefix(within))

    def accept(
        self, proposal_id: str, *, actor: str, on: str | None = None, title: str = ""
    ) -> DivisionCase:
        """Make a case of a pending proposal, pre-filled from it, in one transaction."""
        with self.store.transaction():
            proposal = self._pending(proposal_id)
            body = proposal.body
            case = self.apply(
                proposal.kind, title=title or proposal_title(body), actor=actor, on=on,
                before=body["before"], after=body["after"], villages=body.get("villages", []),
                division_code=proposal.division_code, proposal_id=proposal_id,
                note="；".join(body.get("evidence", [])),
            )  # fmt: skip
            self.store.decide_division_proposal(
                proposal_id, status="accepted", actor=actor, case_id=case.case_id
            )
        return case

    def dismiss(self, proposal_id: str, *, reason: str, actor: str) -> DivisionProposal:
        """Dismiss a pending proposal with a reason (理由)."""
        if not reason.strip():
            raise ValidationError(Problem("驳回建议必须填写理由", field="reason"))
        with self.store.transaction():
            proposal = self._pending(proposal_id)
            require(self.store, actor, ("officer",), divisions=[proposal.division_code],
                    what="division_proposals.dismiss")  # fmt: skip
            return self.store.decide_division_proposal(
                proposal_id, status="dismissed", actor=actor, reason=reason.strip()
            )

    def _pending(self, proposal_id: str) -> DivisionProposal:
        proposal = self.store.get_division_proposal(proposal_id)
        if proposal is None:
            raise NotFoundError(f"未找到变更建议 {proposal_id}")
        if proposal.status != "pending":
            raise ValidationError(
                Problem(
                    f"变更建议 {proposal_id} {PROPOSAL_STATUS_LABELS[proposal.status]}，不能再处理",
                    field="proposal_id",
                )
            )
        return proposal

    # -- steps ------------------------------------------------------------------------------
    def apply(
        self,
        kind: str,
        *,
        title: str,
        before: list[Mapping[str, Any]],
        after: list[Mapping[str, Any]],
        actor: str,
        villages: list[Mapping[str, Any]] = (),  # type: ignore[assignment]
        division_code: str | None = None,
        seat: str = "",
        proposal_id: str | None = None,
        on: str | None = None,
        note: str = "",
    ) -> DivisionCase:
        """Open a case (申请). ``before``/``after`` are units ``{code, name, level,
        parent_code[, kind]}``; ``villages`` moves ``{old_code, old_name, new_code,
        new_name}``."""
        problems: list[Problem] = []
        if kind not in DIVISION_CHANGE_KINDS:
            problems.append(Problem(f"未知的变更类型 {kind!r}", field="kind"))
        if not title.strip():
            problems.append(Problem("请填写案件标题", field="title"))
        if not before and not after:
            problems.append(Problem("变更前后的单位不能都为空", field="before"))
        if kind == "seat_move" and not seat.strip():
            problems.append(Problem("驻地迁移须填写新驻地", field="seat"))
        day = check_day(on, "on", problems)
        units = [dict(u) for u in (*before, *after)]
        problems += _unit_problems(units)
        if problems:
            raise ValidationError(problems, title="变更案件申请有误")
        county = division_code or _county_of({"before": before, "after": after})
        require(self.store, actor, ("officer",), what="division_cases.apply",
                divisions=[county, *(u["code"] for u in units)])  # fmt: skip
        changes = {
            "before": [dict(u) for u in before], "after": [dict(u) for u in after],
            "villages": [dict(v) for v in villages], "names": {}, "seat": seat.strip(),
        }  # fmt: skip
        case = DivisionCase("", kind, title.strip(), county, changes, proposal_id=proposal_id)
        assert day is not None
        return self.store.add_division_case(case, on=day, actor=actor, note=note)

    def attach(
        self, case_id: str, doc_type: str, filename: str, content: bytes, *, actor: str,
        note: str = "",
    ) -> CaseDocument:  # fmt: skip
        """Attach a document (批复, 请示, 示意图, 其他); checked by content, never deleted."""
        case = self.get(case_id)
        require(self.store, actor, ("officer",), divisions=[case.division_code],
                what="division_cases.document")  # fmt: skip
        problems = [] if doc_type in DIVISION_DOCUMENT_TYPES else [
            Problem(f"未知的材料类型 {doc_type!r}", field="doc_type")]  # fmt: skip
        problems += document_problems(content)
        if problems:
            raise ValidationError(problems, title="材料不能上传")
        document = CaseDocument(case_id, doc_type, filename, content=content, note=note)
        return self.store.add_division_case_document(document, actor=actor)

    def review(
        self, case_id: str, *, actor: str, on: str | None = None,
        pinyin: Mapping[str, str] | None = None,
    ) -> DivisionCase:  # fmt: skip
        """审核: the case's checks, and the new standard names with their pinyin."""
        with self.store.transaction():
            case = self._for_step(case_id, "applied", actor)
            problems: list[Problem] = []
            day = check_day(
                on, "on", problems, not_before=_last_day(case), not_before_label="上一步"
            )
            before, after, _preds = effect.units_of(case)
            problems += effect.conflicts(self.store, before, after, day or date.today().isoformat())
            if problems:
                raise ValidationError(problems, title=f"变更案件 {case_id} 审核未通过")
            names = self._new_names(after, pinyin or {})
            changes = {**case.changes, "names": names}
            review = {"names": names, "checked": len(before) + len(after)}
            return self.store.advance_division_case(
                case_id, "review", expect_status="applied", on=day, actor=actor,
                changes={"changes": changes, "review": review},
            )  # fmt: skip

    def _new_names(self, after: list[effect.Unit], given: Mapping[str, str]) -> dict[str, str]:
        """code → pinyin of each unit that gets a new standard name (given, else the rules')."""
        gazetteer = Gazetteer(self.store)
        names = {}
        for unit in after:
            stored = self.store.get_name(f"D{unit.code}")
            record = gazetteer.record_for_division(effect.as_division(unit))
            if stored is not None and stored.name == record.name and not given.get(unit.code):
                continue
            names[unit.code] = given.get(unit.code) or record.pinyin
        return names

    def approve(
        self, case_id: str, *, approving_body: str, approval_number: str, actor: str,
        on: str | None = None,
    ) -> DivisionCase:  # fmt: skip
        """批准: the approving body, its document number; ``on`` is the approval date."""
        case = self._for_step(case_id, "reviewed", actor)
        problems: list[Problem] = []
        day = check_day(on, "on", problems, not_before=_last_day(case), not_before_label="审核")
        if not approving_body.strip():
            problems.append(Problem("请填写审批机关", field="approving_body"))
        if not approval_number.strip():
            problems.append(Problem("请填写批准文号", field="approval_number"))
        if problems:
            raise ValidationError(problems, title=f"变更案件 {case_id} 不能批准")
        return self.store.advance_division_case(
            case_id, "approve", expect_status="reviewed", on=day, actor=actor,
            changes={"approving_body": approving_body.strip(),
                     "approval_number": approval_number.strip(), "approval_date": day},
        )  # fmt: skip

    def take_effect(self, case_id: str, *, actor: str, on: str | None = None) -> DivisionCase:
        """生效 on the day ``on``: divisions, names, 勘界 and coverage follow, in one
        transaction."""
        with self.store.transaction():
            case = self._for_step(case_id, "approved", actor)
            problems: list[Problem] = []
            day = check_day(on, "on", problems, not_before=case.approval_date,
                            not_before_label="批准")  # fmt: skip
            if problems or day is None:
                raise ValidationError(problems, title=f"变更案件 {case_id} 不能生效")
            outcome = effect.take_effect(self.store, case, day, actor=actor)
            review = {**case.review, "effect": outcome.summary()}
            return self.store.advance_division_case(
                case_id, "effective", expect_status="approved", on=day, actor=actor,
                changes={"effective_date": day, "review": review},
            )  # fmt: skip

    def close(
        self, case_id: str, step: str, *, reason: str, actor: str, on: str | None = None
    ) -> DivisionCase:
        """``withdraw`` (撤回) or ``reject`` (不予批准) a case before approval, with a reason."""
        case = self.get(case_id)
        problems: list[Problem] = []
        if step not in ("withdraw", "reject"):
            problems.append(Problem(f"未知的步骤 {step!r}", field="step"))
        if case.status not in ("applied", "reviewed"):
            status = DIVISION_STATUS_LABELS[case.status]
            problems.append(Problem(f"案件{status}，不能撤回或不予批准", field="status"))
        if not reason.strip():
            problems.append(Problem("请填写理由", field="reason"))
        day = check_day(on, "on", problems, not_before=_last_day(case), not_before_label="上一步")
        if problems:
            raise ValidationError(problems, title=f"变更案件 {case_id} 不能关闭")
        self._for_step(case_id, case.status, actor)
        return self.store.advance_division_case(
            case_id, step, expect_status=case.status, on=day, actor=actor, note=reason.strip(),
            changes={"close_reason": reason.strip()},
        )  # fmt: skip

    def _for_step(self, case_id: str, status: str, actor: str) -> DivisionCase:
        case = self.get(case_id)
        require(self.store, actor, ("officer",), divisions=[case.division_code],
                what="division_cases.step")  # fmt: skip
        if case.status != status:
            raise ValidationError(
                Problem(
                    f"变更案件 {case_id} {DIVISION_STATUS_LABELS[case.status]}，"
                    f"此步骤须在“{DIVISION_STATUS_LABELS[status]}”之后",
                    field="status",
                )
            )
        return case

    # -- 勘界 tasks -------------------------------------------------------------------------
    def survey_tasks(self, *, open_only: bool = False) -> list[SurveyTask]:
        """勘界 tasks, by due date."""
        return self.store.query_survey_tasks(status="open" if open_only else None)

    def overdue_surveys(self, today: str | None = None) -> list[SurveyTask]:
        """Open 勘界 tasks past their due date (逾期)."""
        day = today or date.today().isoformat()
        return [t for t in self.survey_tasks(open_only=True) if t.due < day]

    def finish_survey(self, task_id: str, *, actor: str, on: str | None = None,
                      note: str = "") -> SurveyTask:  # fmt: skip
        """Record a 勘界 task as done (:class:`NotFoundError` for an unknown task, a
        :class:`ValidationError` on field ``status`` for one done already)."""
        problems: list[Problem] = []
        day = check_day(on, "on", problems)
        task = next((t for t in self.store.query_survey_tasks() if t.task_id == task_id), None)
        if task is None:
            raise NotFoundError(f"未找到勘界任务 {task_id}")
        if task.status != "open":
            problems.append(Problem(f"勘界任务 {task_id} 已于 {task.done_on} 完成", field="status"))
        if problems or day is None:
            raise ValidationError(problems, title="勘界任务不能完成")
        require(self.store, actor, ("officer", "inspector"), divisions=task.division_codes,
                what="survey_tasks.done")  # fmt: skip
        return self.store.finish_survey_task(task_id, on=day, actor=actor, note=note)


def proposal_title(body: Mapping[str, Any]) -> str:
    """A case title from a proposal: ``古城乡 → 古城街道`` and the like."""
    old = "、".join(u["name"] for u in body.get("before", [])[:3])
    new = "、".join(u["name"] for u in body.get("after", [])[:3])
    more = "等" if max(len(body.get("before", [])), len(body.get("after", []))) > 3 else ""
    if old and new:
        return f"{old} → {new}{more}"
    return f"{'撤销' if old else '新设'} {old or new}{more}"


def _county_of(body: Mapping[str, Any]) -> str:
    """The county (or city, for county-level units) whose jurisdiction a change is in."""
    codes = [u["code"] for u in (*body.get("before", []), *body.get("after", []))]
    if not codes:
        return ""
    code = str(codes[0])
    return code[:4] + "00" if len(code) == 6 else code[:6]


def _prefix(within: str | None) -> str | None:
    if not within:
        return None
    return within.rstrip("0") if len(within) == 6 else within


def _last_day(case: DivisionCase) -> str | None:
    return max((s.on for s in case.steps), default=None)


def _unit_problems(units: list[dict[str, Any]]) -> list[Problem]:
    """Each unit needs a valid code, a name and a level that matches the code."""
    from geociv.divisions import level_of, normalize_code

    problems = []
    for i, unit in enumerate(units, start=1):
        try:
            code = normalize_code(unit.get("code", ""))
            if unit.get("level") and unit["level"] != level_of(code):
                problems.append(
                    Problem(f"{code} 的级别应为 {level_of(code)}", row=i, field="level")
                )
            unit.setdefault("level", level_of(code))
        except ValueError as exc:
            problems.append(Problem(str(exc), row=i, field="code"))
        if not str(unit.get("name", "")).strip():
            problems.append(Problem("单位名称不能为空", row=i, field="name"))
    return problems

"""Naming and renaming cases (命名/更名案件): application to entry in the gazetteer.

A case goes through six steps, each dated (``YYYY-MM-DD``, back-dating allowed for paper cases
but never before the previous step nor after today), attributed to an actor and kept in the
case's events:

1. ``apply`` (申请) — the proposed name, its category, division, location description (位置描述)
   and applicant;
2. ``review`` (审核) — needs the three reports attached (综合评估报告 ``assessment``,
   专家论证报告 ``expert``, 征求意见报告 ``consultation``); runs the gazetteer checks and stores
   the summary; errors no officer accepted stop it. Renaming a heritage name (地名文化遗产)
   also needs a ``protection`` document (保护措施), DESIGN.md "Names" rule 6 (N6-HERITAGE);
3. ``approve`` (批准) — approval date and approving body (审批机关); a naming case gets its name
   record, status ``approved``;
4. ``file`` (备案) with the level above, and 5. ``publish`` (公告) — each due within 15 days of
   approval (rule 7, N7-OVERDUE, see :meth:`Cases.overdue`);
6. ``effective`` (生效) — a naming case's record becomes ``published``; a renaming case renames
   its record (:meth:`~geociv.gazetteer.names.Gazetteer.rename`), the old name becoming a former
   name (曾用名) that ends on the effective date and cites the case.

A case can also end without taking effect, by one of two closing steps, each with a reason
(理由), a date and an actor like the other steps:

- ``withdraw`` (撤回申请) — the applicant withdraws the application: status ``withdrawn``
  (已撤回);
- ``reject`` (不予批准) — the reviewing or approving body refuses it, at review (from
  ``applied``) or at approval (from ``reviewed``): status ``rejected`` (不予批准).

Both are allowed only before approval (statuses ``applied`` and ``reviewed``,
:data:`~geociv.store.CASE_CLOSABLE_STATUSES`): once approved the name is decided — a naming case
already has its record — and the case runs on to 生效 (undoing an approved name is a new
renaming case or a retirement, not a withdrawal). A closed case takes no further step and never
touches the gazetteer: no name record is created for a proposed name, and a renamed record
keeps its current name. Documents can still be attached to a closed case (a refusal decision,
the applicant's withdrawal letter), and a new case can be opened on the same record.

Documents are kept in the store and never deleted. Every write is audited through the store.

Examples
--------
>>> import tempfile, pathlib
>>> from geociv.divisions import Divisions, division_record
>>> from geociv.store import open_store
>>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "c.gpkg")
>>> _ = Divisions(store).load_records([division_record("411702", "驿城区")], actor="doc")
>>> cases = Cases(store)
>>> case = cases.apply("naming", "天中路", category="road", division_code="411702",
...                    location="东起开源大道，西至雪松大道", applicant="驿城区人民政府",
...                    actor="doc", on="2026-01-05")
>>> case.case_id, case.status
('C2026-0001', 'applied')
>>> for kind in REQUIRED_DOCUMENTS:
...     _ = cases.attach(case.case_id, kind, f"{kind}.pdf", b"%PDF-1.7", actor="doc")
>>> cases.review(case.case_id, actor="doc", on="2026-01-06").review["pinyin"]
'Tiānzhōng Lù'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from geociv.authority import require
from geociv.divisions import Divisions, normalize_code
from geociv.errors import AdcodeError, NotFoundError, Problem, ValidationError
from geociv.fields import check_day, choose, day_asked
from geociv.gazetteer.categories import CATEGORIES
from geociv.gazetteer.names import Gazetteer
from geociv.gazetteer.rules import RULES, SEVERITIES, Finding, Report, unconfirmable
from geociv.labels import (
    CASE_KIND_LABELS,
    CASE_STATUS_LABELS,
    CASE_STEP_LABELS,
    DOCUMENT_TYPE_LABELS,
)
from geociv.store import (
    CASE_CLOSABLE_STATUSES,
    CASE_CLOSED_STATUSES,
    CASE_CLOSING_STEPS,
    CASE_KINDS,
    CASE_STATUSES,
    CASE_STEPS,
    DOCUMENT_TYPES,
    CaseDocument,
    NameCase,
    NameRecord,
    Store,
)
from geociv.templating import templates
from geociv.uploads import document_problems

#: Reports that must be attached before a case can be reviewed.
REQUIRED_DOCUMENTS: tuple[str, ...] = ("assessment", "expert", "consultation")

#: Days after approval within which a case must be filed and published (rule 7).
DEADLINE_DAYS = 15

#: Statuses in which a case has a publication notice: approved and after (never a case
#: withdrawn or refused).
NOTICE_STATUSES: tuple[str, ...] = CASE_STATUSES[CASE_STATUSES.index("approved") :]

#: Largest document accepted (bytes).
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024

#: The printable notice's template (``name_notice.html``).
_TEMPLATES = Path(__file__).parent / "templates"


class CaseStatusError(ValidationError):
    """A step was asked of a case that is not in the status the step needs."""


def chinese_date(day: object) -> str:
    """``2026-01-05`` → ``2026年1月5日`` (empty for ``None`` or ``""``)."""
    if not day:
        return ""
    d = date.fromisoformat(str(day))
    return f"{d.year}年{d.month}月{d.day}日"


# -- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    """A case filed or published (or still not) more than :data:`DEADLINE_DAYS` after approval.

    ``step`` is ``file`` or ``publish``; ``done_on`` is ``None`` while the step is still
    outstanding, and ``days`` then counts up to the day asked about.
    """

    case_id: str
    step: str
    approved_on: str
    done_on: str | None
    days: int
    finding: Finding

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "case_id": self.case_id,
            "step": self.step,
            "step_label": CASE_STEP_LABELS[self.step],
            "approved_on": self.approved_on,
            "done_on": self.done_on,
            "days": self.days,
            "finding": self.finding.to_dict(),
        }


def _finding(rule_id: str, message: str, *, field: str, related: tuple[str, ...]) -> Finding:
    rule = RULES[rule_id]
    return Finding(rule_id, rule.severity, message, field, related)


# -- the service -----------------------------------------------------------------------------


class Cases:
    """Naming and renaming cases kept in a :class:`~geociv.store.Store`.

    Parameters
    ----------
    store
        Where cases, their events and documents live.
    gazetteer
        The gazetteer service whose checks a review runs and whose records a case changes
        (one is made on ``store`` if not given).
    """

    def __init__(self, store: Store, gazetteer: Gazetteer | None = None) -> None:
        self.store = store
        self.gazetteer = gazetteer or Gazetteer(store)

    # -- reads -----------------------------------------------------------------------------
    def get(self, case_id: str) -> NameCase:
        """The case; ``LookupError`` if there is none."""
        case = self.store.get_case(case_id.strip())
        if case is None:
            raise NotFoundError(f"未找到案件 {case_id}")
        return case

    def query(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        name_id: str | None = None,
        division_prefix: str | None = None,
    ) -> list[NameCase]:
        """Cases, optionally filtered, ordered by case id."""
        return self.store.query_cases(
            status=status, kind=kind, name_id=name_id, division_prefix=division_prefix
        )

    def documents(self, case_id: str) -> list[CaseDocument]:
        """The documents attached to a case (metadata only)."""
        return self.store.case_documents(self.get(case_id).case_id)

    def document(self, document_id: int) -> CaseDocument:
        """One document with its content; ``LookupError`` if there is none."""
        doc = self.store.get_case_document(document_id)
        if doc is None:
            raise NotFoundError(f"未找到附件 {document_id}")
        return doc

    # -- step 1: application ---------------------------------------------------------------
    def apply(
        self,
        kind: str,
        proposed_name: str,
        *,
        applicant: str,
        location: str,
        actor: str,
        category: str | None = None,
        division_code: str | None = None,
        name_id: str | None = None,
        pinyin: str = "",
        reason: str = "",
        on: str | date | None = None,
        note: str = "",
    ) -> NameCase:
        """Open a case (申请).

        Parameters
        ----------
        kind
            ``naming`` (命名: a new name, ``category`` and ``division_code`` required) or
            ``renaming`` (更名: ``name_id`` of the record to rename; its category and division
            are taken from the record).
        proposed_name
            The proposed standard name.
        applicant
            Who applies (unit or person).
        location
            Location description (位置描述) of the named entity.
        actor
            The user recording the application.
        pinyin
            Reviewed romanisation, if the officer has one; otherwise the rules' spelling is
            shown at review.
        reason
            Reasons for the (re)naming.
        on
            Application date (default today).
        note
            Note kept with the step.

        Returns
        -------
        NameCase
            The stored case, with its id (``C<year>-<serial>``) and status ``applied``.

        Raises
        ------
        ValidationError
            Listing every problem (unknown kind, category, division or name record, empty
            fields, bad date, an open case on the same record, …); nothing is stored.
        """
        problems: list[Problem] = []
        kind_code = choose(kind, CASE_KINDS, CASE_KIND_LABELS, "kind", "案件类型", problems)
        name = (proposed_name or "").strip()
        if not name:
            problems.append(Problem("拟用名称不能为空", field="proposed_name"))
        if not (applicant or "").strip():
            problems.append(Problem("申请人不能为空", field="applicant"))
        if not (location or "").strip():
            problems.append(Problem("位置描述不能为空", field="location"))
        day = check_day(on, "on", problems)
        record: NameRecord | None = None
        if kind_code == "naming":
            if name_id:
                problems.append(
                    Problem("命名案件不指定已有地名；更名请选“renaming”", field="name_id")
                )
            category = self._check_category(category, problems)
            division_code = self._check_division(division_code, problems)
        elif kind_code == "renaming":
            record = self._check_record(name_id, problems)
            if record is not None:
                problems.extend(self._renaming_problems(record, name, category, division_code))
                category, division_code = record.category, record.division_code
        if problems:
            raise ValidationError(problems, title="命名更名申请有误")
        assert kind_code and category and division_code and day
        require(self.store, actor, ("officer",), divisions=[division_code], what="cases.apply")
        case = NameCase(
            case_id="",
            kind=kind_code,
            proposed_name=name,
            category=category,
            division_code=division_code,
            applicant=applicant.strip(),
            location=location.strip(),
            name_id=record.name_id if record is not None else None,
            old_name=record.name if record is not None else "",
            pinyin=(pinyin or "").strip(),
            reason=(reason or "").strip(),
        )
        with self.store.transaction():  # decide "no open case on the record" with the write
            if record is not None and (taken := self._open_case_problems(record)):
                raise ValidationError(taken, title="命名更名申请有误")
            return self.store.add_case(case, on=day, actor=actor, note=note)

    def _renaming_problems(
        self, record: NameRecord, name: str, category: str | None, division_code: str | None
    ) -> list[Problem]:
        """What is wrong with renaming ``record`` to ``name``.

        A renaming keeps the record's category and division, changes the name, and waits
        for no other open case on the record.
        """
        problems = []
        if category and category != record.category:
            problems.append(
                Problem(
                    f"更名不改变地名类别（{record.name} 为 {record.category}）",
                    field="category",
                )
            )
        if division_code and division_code.strip() != record.division_code:
            problems.append(
                Problem(
                    f"更名不改变所属区划（{record.name} 属 {record.division_code}）",
                    field="division_code",
                )
            )
        if name == record.name:
            problems.append(Problem(f"拟用名称与现名“{name}”相同", field="proposed_name"))
        return problems + self._open_case_problems(record)

    def _open_case_problems(self, record: NameRecord) -> list[Problem]:
        """A problem if ``record`` already has an open (renaming) case."""
        open_cases = [
            c.case_id for c in self.store.query_cases(name_id=record.name_id) if c.is_open
        ]
        if not open_cases:
            return []
        return [
            Problem(
                f"{record.name}（{record.name_id}）已有在办的更名案件：{'、'.join(open_cases)}",
                field="name_id",
            )
        ]

    def attach(
        self,
        case_id: str,
        doc_type: str,
        filename: str,
        content: bytes,
        *,
        actor: str,
        note: str = "",
    ) -> CaseDocument:
        """Attach a document to a case (any status; documents are never deleted).

        ``doc_type`` is one of :data:`~geociv.store.DOCUMENT_TYPES` or its Chinese label
        (综合评估报告, 专家论证报告, 征求意见报告, 保护措施, 批复文件, 其他材料).
        """
        problems: list[Problem] = []
        case = self.store.get_case((case_id or "").strip())
        if case is None:
            problems.append(Problem(f"未找到案件 {case_id}", field="case_id"))
        code = choose(
            doc_type, DOCUMENT_TYPES, DOCUMENT_TYPE_LABELS, "doc_type", "附件类型", problems
        )
        name = (filename or "").strip().replace("\\", "/").rsplit("/", 1)[-1]
        if not name:
            problems.append(Problem("附件文件名不能为空", field="filename"))
        if not isinstance(content, bytes | bytearray | memoryview):
            problems.append(Problem("附件内容应为字节数据", field="content"))
        elif len(content) == 0:
            problems.append(Problem("附件内容为空", field="content"))
        elif len(content) > MAX_DOCUMENT_BYTES:
            problems.append(
                Problem(
                    f"附件大小 {len(content)} 字节，超过上限 {MAX_DOCUMENT_BYTES} 字节",
                    field="content",
                )
            )
        else:  # a document by content: PDF, DOCX, XLSX, an image or plain text
            problems.extend(document_problems(content, field="content"))
        if problems:
            raise ValidationError(problems, title="附件有误")
        assert case is not None and code is not None
        require(self.store, actor, ("officer",), divisions=[case.division_code],
                what="cases.attach")  # fmt: skip
        return self.store.add_case_document(
            CaseDocument(case.case_id, code, name, bytes(content), note=note.strip()),
            actor=actor,
        )

    # -- step 2: review --------------------------------------------------------------------
    def check(self, case_id: str) -> list[Problem]:
        """What would stop the review of an applied case now (empty when it can proceed):
        missing reports, the heritage block, errors that no officer accepted, findings an
        officer must confirm (brand, foreign name) not yet confirmed."""
        case = self.get(case_id)
        problems, _report = self._review_problems(case, {})
        return problems

    def report(self, case_id: str) -> Report:
        """The gazetteer checks of the case's proposed name as they stand now (what a review
        would run): every finding, accepted or not, with the generated pinyin.

        Parameters
        ----------
        case_id
            The case.

        Returns
        -------
        Report
            The findings on the proposed name in its category and division (a renaming case
            is not compared with its own record).
        """
        return self._report(self.get(case_id))

    def review(
        self,
        case_id: str,
        *,
        actor: str,
        on: str | date | None = None,
        note: str = "",
        accept: Mapping[str, str] | None = None,
    ) -> NameCase:
        """Review (审核) an applied case: run the gazetteer checks and store their summary.

        Parameters
        ----------
        accept
            Rule id → reason for findings the officer accepts (each acceptance is audited and
            kept; it applies to this name from then on). Written only when the review passes.
            Unconfirmable rules (leaders' names, non-Chinese script, N6-HERITAGE) are refused.

        Raises
        ------
        CaseStatusError
            The case is not in status ``applied``.
        ValidationError
            Listing every problem: missing reports (综合评估/专家论证/征求意见), a heritage name
            without protection measures (N6-HERITAGE), unaccepted errors, unconfirmed brand or
            foreign-name findings, an acceptance of an unconfirmable rule, a bad date.
        """
        case = self._expect(case_id, "review", actor=actor)
        accept = dict(accept or {})
        problems: list[Problem] = []
        day = check_day(
            on,
            "on",
            problems,
            not_before=case.date_of("apply"),
            not_before_label="申请",
        )
        for rule_id, reason in accept.items():
            refused = unconfirmable(rule_id, field="accept")
            if rule_id not in RULES:
                problems.append(Problem(f"不能确认规则 {rule_id!r}", field="accept"))
            elif refused is not None:
                problems.append(refused)
            elif not (reason or "").strip():
                problems.append(Problem(f"确认 {rule_id} 必须填写理由", field="accept"))
        valid = {
            k: v
            for k, v in accept.items()
            if k in RULES and unconfirmable(k) is None and (v or "").strip()
        }
        review_problems, report = self._review_problems(case, valid)
        problems.extend(review_problems)
        if problems:
            raise ValidationError(problems, title=f"案件 {case.case_id} 未通过审核")
        with self.store.transaction():  # the accepted findings and the step, or neither
            assert day is not None
            for rule_id, reason in accept.items():
                if any(f.rule_id == rule_id and not f.accepted for f in report.findings):
                    self.gazetteer.accept_finding(
                        case.proposed_name, rule_id, reason=reason.strip(), actor=actor
                    )
            if accept:
                report = self._report(case)
            counts = {s: sum(f.severity == s for f in report.findings) for s in SEVERITIES}
            summary = {
                "reviewed_on": day,
                "pinyin": report.pinyin or "",
                "specific": report.specific,
                "generic": report.generic,
                "counts": counts,
                "findings": [f.to_dict() for f in report.findings],
                "documents": sorted({d.doc_type for d in self.store.case_documents(case.case_id)}),
                "heritage_level": self._heritage(case),
            }
            return self.store.advance_case(
                case.case_id,
                "review",
                expect_status=case.status,
                on=day,
                actor=actor,
                note=note,
                changes={"review": summary},
            )

    # -- step 3: approval ------------------------------------------------------------------
    def approve(
        self,
        case_id: str,
        *,
        approving_body: str,
        actor: str,
        on: str | date | None = None,
        note: str = "",
    ) -> NameCase:
        """Approve (批准) a reviewed case on ``on`` by ``approving_body`` (审批机关).

        A naming case gets its name record now, with status ``approved`` (it becomes
        ``published`` when the case takes effect). Renaming a heritage name still needs its
        protection measures attached (N6-HERITAGE).
        """
        case = self._expect(case_id, "approve", actor=actor)
        problems: list[Problem] = []
        day = check_day(
            on, "on", problems, not_before=case.date_of("review"), not_before_label="审核"
        )
        body = (approving_body or "").strip()
        if not body:
            problems.append(Problem("审批机关不能为空", field="approving_body"))
        problems.extend(self._heritage_problems(case))
        if problems:
            raise ValidationError(problems, title=f"案件 {case.case_id} 不能批准")
        assert day is not None
        changes: dict[str, object] = {"approving_body": body}
        with self.store.transaction():  # the new record and the step, or neither
            if case.kind == "naming":
                record, _report = self.gazetteer.add(
                    case.proposed_name,
                    case.category,
                    case.division_code,
                    actor=actor,
                    status="approved",
                    pinyin=case.pinyin or None,
                    source=f"命名案件 {case.case_id}",
                )
                changes["name_id"] = record.name_id
            return self.store.advance_case(
                case.case_id,
                "approve",
                expect_status=case.status,
                on=day,
                actor=actor,
                note=note,
                changes=changes,
            )

    # -- steps 4 and 5: filing and publication ---------------------------------------------
    def file(
        self,
        case_id: str,
        *,
        filed_with: str,
        actor: str,
        on: str | date | None = None,
        note: str = "",
    ) -> NameCase:
        """Record the filing (备案) of an approved case with the level above (``filed_with``)."""
        case = self._expect(case_id, "file", actor=actor)
        problems: list[Problem] = []
        day = check_day(
            on, "on", problems, not_before=case.date_of("approve"), not_before_label="批准"
        )
        body = (filed_with or "").strip()
        if not body:
            problems.append(Problem("备案机关不能为空", field="filed_with"))
        if problems:
            raise ValidationError(problems, title=f"案件 {case.case_id} 不能备案")
        assert day is not None
        return self.store.advance_case(
            case.case_id,
            "file",
            expect_status=case.status,
            on=day,
            actor=actor,
            note=note,
            changes={"filed_with": body},
        )

    def publish(
        self, case_id: str, *, actor: str, on: str | date | None = None, note: str = ""
    ) -> NameCase:
        """Record the publication (公告) of a filed case."""
        case = self._expect(case_id, "publish", actor=actor)
        problems: list[Problem] = []
        day = check_day(
            on, "on", problems, not_before=case.date_of("file"), not_before_label="备案"
        )
        if problems:
            raise ValidationError(problems, title=f"案件 {case.case_id} 不能公告")
        assert day is not None
        return self.store.advance_case(
            case.case_id, "publish", expect_status=case.status, on=day, actor=actor, note=note
        )

    # -- step 6: entry into force ----------------------------------------------------------
    def effective(
        self, case_id: str, *, actor: str, on: str | date | None = None, note: str = ""
    ) -> NameCase:
        """Put a published case into effect (生效) on ``on`` and change the gazetteer.

        Naming: the case's record becomes ``published``. Renaming: the record takes the new
        name, and its old name becomes a former name (曾用名) valid until ``on``, citing the
        case.
        """
        case = self._expect(case_id, "effective", actor=actor)
        problems: list[Problem] = []
        day = check_day(
            on, "on", problems, not_before=case.date_of("publish"), not_before_label="公告"
        )
        record = self.store.get_name(case.name_id) if case.name_id else None
        if record is None:
            problems.append(Problem(f"案件的地名记录 {case.name_id} 不存在", field="name_id"))
        elif record.status == "retired":
            problems.append(
                Problem(f"地名 {record.name}（{record.name_id}）已停用", field="name_id")
            )
        if case.kind == "renaming":
            problems.extend(self._heritage_problems(case))
        if problems:
            raise ValidationError(problems, title=f"案件 {case.case_id} 不能生效")
        assert day is not None and record is not None
        with self.store.transaction():  # the gazetteer change and the step, or neither
            if case.kind == "naming":
                self.gazetteer.update(record.name_id, actor=actor, status="published")
            else:
                self.gazetteer.rename(
                    record.name_id,
                    case.proposed_name,
                    actor=actor,
                    effective=day,
                    case_id=case.case_id,
                    pinyin=case.pinyin or None,
                )
            return self.store.advance_case(
                case.case_id, "effective", expect_status=case.status, on=day, actor=actor, note=note
            )

    # -- closing without effect: withdrawal and refusal ------------------------------------
    def withdraw(
        self,
        case_id: str,
        *,
        reason: str,
        actor: str,
        on: str | date | None = None,
        note: str = "",
    ) -> NameCase:
        """Record that the applicant withdrew the application (撤回申请); the case is closed.

        Parameters
        ----------
        case_id
            The case, in status ``applied`` or ``reviewed`` (before approval).
        reason
            Why it was withdrawn (撤回理由), required.
        actor
            The user recording the withdrawal.
        on
            Date of the withdrawal (default today; not before the case's last step, not after
            today).
        note
            Note kept with the step.

        Returns
        -------
        NameCase
            The case in status ``withdrawn`` with its ``withdraw`` step and ``close_reason``.
            The gazetteer is not changed.

        Raises
        ------
        CaseStatusError
            The case is already approved or closed.
        ValidationError
            No reason (field ``reason``) or a bad date (field ``on``).
        """
        return self._close(case_id, "withdraw", reason=reason, actor=actor, on=on, note=note)

    def reject(
        self,
        case_id: str,
        *,
        reason: str,
        actor: str,
        on: str | date | None = None,
        note: str = "",
        approving_body: str = "",
    ) -> NameCase:
        """Record that the case was refused (不予批准) at review or approval; it is closed.

        Parameters
        ----------
        case_id
            The case, in status ``applied`` (refused at review) or ``reviewed`` (refused at
            approval).
        reason
            Why it was refused (不予批准理由), required.
        actor
            The user recording the refusal.
        on
            Date of the refusal decision (default today; not before the case's last step, not
            after today).
        note
            Note kept with the step.
        approving_body
            The body that decided the refusal (审批机关, e.g. 驿城区人民政府), optional; kept
            as the case's approving body.

        Returns
        -------
        NameCase
            The case in status ``rejected`` with its ``reject`` step and ``close_reason``.
            The gazetteer is not changed.

        Raises
        ------
        CaseStatusError
            The case is already approved or closed.
        ValidationError
            No reason (field ``reason``) or a bad date (field ``on``).
        """
        return self._close(
            case_id,
            "reject",
            reason=reason,
            actor=actor,
            on=on,
            note=note,
            body=approving_body,
        )

    def _close(
        self,
        case_id: str,
        step: str,
        *,
        reason: str,
        actor: str,
        on: str | date | None,
        note: str,
        body: str = "",
    ) -> NameCase:
        """Withdraw or refuse (``step``) a case that is not yet approved."""
        assert step in CASE_CLOSING_STEPS
        case = self.get(case_id)
        require(self.store, actor, ("officer",), divisions=[case.division_code],
                what=f"cases.{step}")  # fmt: skip
        label = CASE_STEP_LABELS[step]
        self._refuse_if_final(case, step)
        if case.status not in CASE_CLOSABLE_STATUSES:
            allowed = "、".join(f"“{CASE_STATUS_LABELS[s]}”" for s in CASE_CLOSABLE_STATUSES)
            raise CaseStatusError(
                Problem(
                    f"案件 {case.case_id} 当前状态为“{CASE_STATUS_LABELS[case.status]}”"
                    f"，只有{allowed}（批准前）的案件才能{label}；"
                    "已批准的案件须办理至生效",
                    field="status",
                ),
                title=f"不能{label}",
            )
        problems: list[Problem] = []
        last = case.steps[-1] if case.steps else None
        day = check_day(
            on,
            "on",
            problems,
            not_before=last.on if last else None,
            not_before_label=CASE_STEP_LABELS[last.step] if last else "",
        )
        text = (reason or "").strip()
        if not text:
            problems.append(Problem(f"{label}理由不能为空", field="reason"))
        if problems:
            raise ValidationError(problems, title=f"案件 {case.case_id} 不能{label}")
        assert day is not None
        changes: dict[str, object] = {"close_reason": text}
        if (body or "").strip():
            changes["approving_body"] = body.strip()
        return self.store.advance_case(
            case.case_id,
            step,
            expect_status=case.status,
            on=day,
            actor=actor,
            note=(note or "").strip(),
            changes=changes,
        )

    # -- rule 7: deadlines -----------------------------------------------------------------
    def overdue(self, today: str | date | None = None) -> list[Overdue]:
        """Cases filed or published more than :data:`DEADLINE_DAYS` days after approval, or
        still not filed/published by ``today`` (default: today) when that is already later
        (N7-OVERDUE), ordered by case id, filing before publication.

        The cases are seen as they stood on ``today``: a step dated later counts as not yet
        done, so a past day can be asked about.
        """
        end = day_asked(today)
        out = []
        for case in self.store.query_cases():
            approved = case.date_of("approve")
            if approved is None:
                continue
            start = date.fromisoformat(approved)
            for step in ("file", "publish"):
                done = case.date_of(step)
                if done is not None and date.fromisoformat(done) > end:
                    done = None  # as of ``today`` the step had not happened yet
                days = ((date.fromisoformat(done) if done else end) - start).days
                if days <= DEADLINE_DAYS:
                    continue
                label = CASE_STEP_LABELS[step]
                what = self._title_subject(case)
                if done:
                    message = (
                        f"案件 {case.case_id}（{what}）于 {approved} 批准，{done} 才{label}，"
                        f"相隔 {days} 天，超过 {DEADLINE_DAYS} 天"
                    )
                else:
                    message = (
                        f"案件 {case.case_id}（{what}）于 {approved} 批准，至 {end.isoformat()} "
                        f"已 {days} 天仍未{label}，超过 {DEADLINE_DAYS} 天"
                    )
                finding = _finding("N7-OVERDUE", message, field=step, related=(case.case_id,))
                out.append(Overdue(case.case_id, step, approved, done, days, finding))
        return out

    # -- publication notice (公告) ---------------------------------------------------------
    def notice(self, case_id: str, *, on: str | date | None = None) -> dict[str, object]:
        """Every field of the publication notice of an approved case.

        ``notice_date`` is the publication date once published, else ``on`` (default today).

        Raises
        ------
        CaseStatusError
            The case is not approved yet.
        """
        case = self.get(case_id)
        if case.status not in NOTICE_STATUSES:
            raise CaseStatusError(
                Problem(
                    f"案件 {case.case_id} 当前状态为“{CASE_STATUS_LABELS[case.status]}”，"
                    "批准后才能生成公告",
                    field="status",
                ),
                title="不能生成公告",
            )
        notice_date = case.date_of("publish") or day_asked(on, "on").isoformat()
        division = self.store.get_division(case.division_code)
        chain = Divisions(self.store).ancestors(case.division_code)
        path = "".join(d.name for d in chain if d.level != "province")
        division_name = division.name if division else ""
        category = CATEGORIES.get(case.category)
        return {
            "title": f"关于{self._title_subject(case)}的公告",
            "case_id": case.case_id,
            "kind": case.kind,
            "kind_label": CASE_KIND_LABELS[case.kind],
            "standard_name": case.proposed_name,
            "pinyin": self._pinyin(case),
            "old_name": case.old_name,
            "category": case.category,
            "category_label": category.label if category else case.category,
            "division_code": case.division_code,
            "division_name": division_name,
            "division_full_name": path + division_name,
            "location": case.location,
            "approving_body": case.approving_body,
            "approval_date": case.date_of("approve"),
            "filed_with": case.filed_with,
            "filing_date": case.date_of("file"),
            "notice_date": notice_date,
            "effective_date": case.date_of("effective"),
            "name_id": case.name_id,
        }

    def notice_html(self, case_id: str, *, on: str | date | None = None) -> str:
        """The publication notice as printable A4 HTML (Chinese, inline CSS, no external
        assets). Refused before approval, like :meth:`notice`."""
        n = self.notice(case_id, on=on)
        text = {key: str(value or "") for key, value in n.items()}
        rows = [("标准地名", text["standard_name"]), ("罗马字母拼写", text["pinyin"])]
        if n["kind"] == "renaming":
            rows.append(("原名称（曾用名）", text["old_name"]))
        rows += [
            ("地名类别", text["category_label"]),
            ("所在行政区划", f"{text['division_full_name']}（代码 {text['division_code']}）"),
            ("位置描述", text["location"]),
            ("审批机关", text["approving_body"]),
            ("批准日期", chinese_date(n["approval_date"])),
        ]
        if n["effective_date"]:
            rows.append(("生效日期", chinese_date(n["effective_date"])))
        rows += [("案件编号", text["case_id"]), ("公告日期", chinese_date(n["notice_date"]))]
        naming = n["kind"] == "naming"
        page = templates(_TEMPLATES).get_template("name_notice.html")
        return page.render(
            title=text["title"],
            case_id=text["case_id"],
            approving_body=text["approving_body"],
            approval_date=chinese_date(n["approval_date"]),
            subject=text["standard_name"] if naming else text["old_name"],
            verb="命名" if naming else "更名",
            rows=rows,
            notice_date=chinese_date(n["notice_date"]),
        )

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _refuse_if_final(case: NameCase, step: str) -> None:
        """CaseStatusError if the case is closed (withdrawn, refused) or already effective."""
        if case.is_open:
            return
        closed = case.closed
        if closed is not None:
            why = f"已于 {closed.on} {CASE_STEP_LABELS[closed.step]}（理由：{case.close_reason}）"
        else:
            why = f"已于 {case.date_of('effective')} 生效"
        raise CaseStatusError(
            Problem(
                f"案件 {case.case_id} {why}，已办结，不能再{CASE_STEP_LABELS[step]}",
                field="status",
            ),
            title=f"不能{CASE_STEP_LABELS[step]}",
        )

    def _expect(self, case_id: str, step: str, *, actor: str) -> NameCase:
        """The case, if ``actor`` is an officer whose jurisdiction holds it (else
        PermissionDeniedError) and it is in the status that ``step`` follows (else
        CaseStatusError)."""
        case = self.get(case_id)
        require(self.store, actor, ("officer",), divisions=[case.division_code],
                what=f"cases.{step}")  # fmt: skip
        if case.status in CASE_CLOSED_STATUSES:
            self._refuse_if_final(case, step)
        needed = CASE_STATUSES[CASE_STEPS.index(step) - 1]
        if case.status != needed:
            raise CaseStatusError(
                Problem(
                    f"案件 {case.case_id} 当前状态为“{CASE_STATUS_LABELS[case.status]}”，"
                    f"{CASE_STEP_LABELS[step]}需要状态“{CASE_STATUS_LABELS[needed]}”",
                    field="status",
                ),
                title=f"不能{CASE_STEP_LABELS[step]}",
            )
        return case

    def _report(self, case: NameCase) -> Report:
        return self.gazetteer.check(
            case.proposed_name,
            case.category,
            case.division_code,
            pinyin=case.pinyin,
            name_id=case.name_id if case.kind == "renaming" else None,
        )

    def _review_problems(
        self, case: NameCase, accept: Mapping[str, str]
    ) -> tuple[list[Problem], Report]:
        problems: list[Problem] = []
        kinds = {d.doc_type for d in self.store.case_documents(case.case_id)}
        for doc_type in REQUIRED_DOCUMENTS:
            if doc_type not in kinds:
                problems.append(
                    Problem(f"缺少{DOCUMENT_TYPE_LABELS[doc_type]}", field="documents")
                )
        problems.extend(self._heritage_problems(case))
        report = self._report(case)
        for f in report.findings:
            if f.accepted or f.rule_id in accept:
                continue
            if f.severity == "error":
                problems.append(Problem(f"[{f.rule_id}] {f.message}", field=f.field))
            elif RULES[f.rule_id].confirm == "must":
                problems.append(
                    Problem(f"[{f.rule_id}] {f.message}（须确认并填写理由）", field=f.field)
                )
        return problems, report

    def _heritage(self, case: NameCase) -> str:
        if case.kind != "renaming" or not case.name_id:
            return ""
        record = self.store.get_name(case.name_id)
        return record.heritage_level.strip() if record else ""

    def _heritage_problems(self, case: NameCase) -> list[Problem]:
        level = self._heritage(case)
        if not level:
            return []
        kinds = {d.doc_type for d in self.store.case_documents(case.case_id)}
        if "protection" in kinds:
            return []
        message = (
            f"[N6-HERITAGE] {case.old_name}（{case.name_id}）为地名文化遗产（{level}），"
            "更名须附保护措施"
        )
        return [Problem(message, field="documents")]

    def _pinyin(self, case: NameCase) -> str:
        record: NameRecord | None = self.store.get_name(case.name_id) if case.name_id else None
        if record is not None and (case.kind == "naming" or case.status == "effective"):
            return record.pinyin
        return case.pinyin or str(case.review.get("pinyin", "")) or self._report(case).pinyin or ""

    @staticmethod
    def _title_subject(case: NameCase) -> str:
        if case.kind == "renaming":
            return f"{case.old_name}更名为{case.proposed_name}"
        return f"{case.proposed_name}命名"

    @staticmethod
    def _check_category(category: str | None, problems: list[Problem]) -> str | None:
        if not category:
            problems.append(Problem("命名案件须指定地名类别", field="category"))
            return None
        if category not in CATEGORIES:
            problems.append(Problem(f"未知的地名类别 {category!r}", field="category"))
            return None
        return category

    def _check_division(self, code: str | None, problems: list[Problem]) -> str | None:
        if not code:
            problems.append(Problem("命名案件须指定所属区划代码", field="division_code"))
            return None
        try:
            text = normalize_code(code)
        except AdcodeError as exc:
            problems.append(Problem(str(exc), field="division_code"))
            return None
        if self.store.get_division(text) is None:
            problems.append(Problem(f"未找到区划代码 {text}", field="division_code"))
            return None
        return text

    def _check_record(self, name_id: str | None, problems: list[Problem]) -> NameRecord | None:
        if not name_id:
            problems.append(Problem("更名案件须指定地名记录 name_id", field="name_id"))
            return None
        record = self.store.get_name(name_id.strip())
        if record is None:
            problems.append(Problem(f"未找到地名记录 {name_id}", field="name_id"))
            return None
        if record.status == "retired":
            problems.append(Problem(f"地名 {record.name}（{name_id}）已停用", field="name_id"))
            return None
        return record

"""SQL of division changes (行政区划变更), shared by both backends: change cases with their steps
and documents, proposals made from official lists, 勘界 tasks, and the out-of-date flags of
coverage inputs.

Mixed into both stores; what differs is asked of the store: the placeholder (``_mark``), the
ids (``_take_id``, ``_new_ids``), ``_write`` and ``_audit``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from geociv.errors import ConflictError, NotFoundError, StoreError
from geociv.store._rows import from_row
from geociv.store.change_records import (
    DIVISION_CASE_ALL_STEPS,
    DIVISION_STEP_STATUS,
    DivisionCase,
    DivisionProposal,
    SurveyTask,
)
from geociv.store.records import CaseDocument, CaseStep, now_utc
from geociv.store.shared import join_codes, placeholders, split_codes, where_clause

_CASE_COLUMNS = (
    "case_id, kind, title, division_code, approving_body, approval_number, approval_date, "
    "effective_date, changes_json, proposal_id, status, close_reason, review_json, "
    "created_at, updated_at"
)
#: Case fields a step may change (``changes``/``review`` are kept as JSON).
_CASE_CHANGES = {
    "approving_body", "approval_number", "approval_date", "effective_date", "changes",
    "review", "close_reason",
}  # fmt: skip
_STEP_ORDER = {step: i for i, step in enumerate(DIVISION_CASE_ALL_STEPS)}
_DOCUMENT_META = "id, case_id, doc_type, filename, size, sha256, note, uploaded_by, uploaded_at"
_PROPOSAL_COLUMNS = (
    "proposal_id, batch, proposal_key, kind, division_code, body_json, status, reason, "
    "case_id, created_by, created_at, updated_at"
)
_TASK_COLUMNS = (
    "task_id, case_id, division_codes, line_ids, due, status, done_on, note, created_by, "
    "created_at, updated_at"
)


def _case(row: Mapping[str, Any], steps: list[CaseStep]) -> DivisionCase:
    return from_row(
        DivisionCase, row,
        changes=json.loads(row["changes_json"]), review=json.loads(row["review_json"]),
        steps=tuple(sorted(steps, key=lambda s: _STEP_ORDER[s.step])),
    )  # fmt: skip


def _proposal(row: Mapping[str, Any]) -> DivisionProposal:
    return from_row(
        DivisionProposal, row, key=row["proposal_key"], body=json.loads(row["body_json"])
    )


def _task(row: Mapping[str, Any]) -> SurveyTask:
    return from_row(
        SurveyTask, row,
        division_codes=split_codes(row["division_codes"]), line_ids=split_codes(row["line_ids"]),
    )  # fmt: skip


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class ChangesSQL:
    """Division change methods of a store (expects ``_conn``, ``_write``, ``_audit``,
    ``_take_id``, ``_new_ids`` and ``_mark``)."""

    _conn: Any
    _write: Any
    _audit: Any
    _take_id: Any
    _new_ids: Any
    _mark: str

    def _filters(self, division_prefix: str | None = None, **equal: Any) -> tuple[str, list[Any]]:
        """`` WHERE`` of the columns equal to the values given (``None``: any) and of a
        ``division_code`` under a code prefix."""
        m = self._mark
        prefix = f"{division_prefix}%" if division_prefix else None
        return where_clause(
            [*((f"{column} = {m}", value) for column, value in equal.items()),
             (f"division_code LIKE {m}", prefix)]
        )  # fmt: skip

    # -- cases ------------------------------------------------------------------------------
    def _load_division_case(self, conn: Any, case_id: str) -> DivisionCase | None:
        m = self._mark
        sql = f"SELECT {_CASE_COLUMNS} FROM division_cases WHERE case_id = {m}"
        row = conn.execute(sql, (case_id,)).fetchone()
        if row is None:
            return None
        events = conn.execute(
            f"SELECT step, on_date, actor, note, at FROM division_case_events WHERE case_id = {m}",
            (case_id,),
        ).fetchall()
        return _case(
            row, [CaseStep(e["step"], e["on_date"], e["actor"], e["note"], e["at"]) for e in events]
        )

    def add_division_case(
        self, case: DivisionCase, *, on: str, actor: str, note: str = ""
    ) -> DivisionCase:
        m = self._mark
        stamp = now_utc()
        with self._write() as conn:
            case_id = self._take_id(conn, "division_cases", case.case_id, on[:4])
            if conn.execute(
                f"SELECT 1 FROM division_cases WHERE case_id = {m}", (case_id,)
            ).fetchone():
                raise StoreError(f"变更案件 {case_id} 已存在")
            values = (
                case_id, case.kind, case.title, case.division_code, case.approving_body,
                case.approval_number, case.approval_date, case.effective_date,
                _dumps(case.changes), case.proposal_id, "applied", "", _dumps(case.review),
                stamp, stamp,
            )  # fmt: skip
            conn.execute(
                f"INSERT INTO division_cases ({_CASE_COLUMNS}) VALUES ({placeholders(m, 15)})",
                values,
            )
            self._add_case_event(conn, case_id, "apply", on, actor, note, stamp)
            stored = self._load_division_case(conn, case_id)
            assert stored is not None
            self._audit(
                conn, actor=actor, action="division_cases.apply", entity="division_cases",
                key=case_id, before=None, after=stored.attributes(), note=note,
            )  # fmt: skip
        return stored

    def _add_case_event(
        self, conn: Any, case_id: str, step: str, on: str, actor: str, note: str, stamp: str
    ) -> None:
        conn.execute(
            "INSERT INTO division_case_events (case_id, step, on_date, actor, note, at) "
            f"VALUES ({placeholders(self._mark, 6)})",
            (case_id, step, on, actor, note, stamp),
        )

    def advance_division_case(
        self,
        case_id: str,
        step: str,
        *,
        expect_status: str,
        on: str,
        actor: str,
        note: str = "",
        changes: Mapping[str, Any] | None = None,
    ) -> DivisionCase:
        if step not in DIVISION_STEP_STATUS or step == "apply":
            raise StoreError(f"未知的变更案件步骤 {step!r}")
        changes = dict(changes or {})
        unknown = set(changes) - _CASE_CHANGES
        if unknown:
            raise StoreError(f"变更案件步骤不能更改字段：{', '.join(sorted(unknown))}")
        for field in ("changes", "review"):
            if field in changes:
                changes[f"{field}_json"] = _dumps(changes.pop(field))
        m = self._mark
        stamp = now_utc()
        with self._write() as conn:
            before = self._load_division_case(conn, case_id)
            if before is None:
                raise StoreError(f"变更案件 {case_id} 不存在")
            if before.status != expect_status:
                raise StoreError(
                    f"变更案件 {case_id} 的状态已是 {before.status}（应为 {expect_status}），"
                    "可能已被他人处理：请刷新后重试"
                )
            sets = [f"status = {m}", f"updated_at = {m}", *(f"{k} = {m}" for k in changes)]
            conn.execute(
                f"UPDATE division_cases SET {', '.join(sets)} WHERE case_id = {m}",
                (DIVISION_STEP_STATUS[step], stamp, *changes.values(), case_id),
            )
            self._add_case_event(conn, case_id, step, on, actor, note, stamp)
            after = self._load_division_case(conn, case_id)
            assert after is not None
            self._audit(
                conn, actor=actor, action=f"division_cases.{step}", entity="division_cases",
                key=case_id, before=before.attributes(), after=after.attributes(), note=note,
            )  # fmt: skip
        return after

    def get_division_case(self, case_id: str) -> DivisionCase | None:
        return self._load_division_case(self._conn(), case_id)

    def query_division_cases(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        division_prefix: str | None = None,
    ) -> list[DivisionCase]:
        where, args = self._filters(status=status, kind=kind, division_prefix=division_prefix)
        sql = f"SELECT {_CASE_COLUMNS} FROM division_cases{where} ORDER BY case_id"
        conn = self._conn()
        rows = conn.execute(sql, args).fetchall()
        steps: dict[str, list[CaseStep]] = {}
        for e in conn.execute(
            "SELECT case_id, step, on_date, actor, note, at FROM division_case_events ORDER BY id"
        ):
            steps.setdefault(e["case_id"], []).append(
                CaseStep(e["step"], e["on_date"], e["actor"], e["note"], e["at"])
            )
        return [_case(r, steps.get(r["case_id"], [])) for r in rows]

    # -- documents --------------------------------------------------------------------------
    def add_division_case_document(self, document: CaseDocument, *, actor: str) -> CaseDocument:
        content = document.content
        if content is None:
            raise StoreError("附件内容为空")
        m = self._mark
        with self._write() as conn:
            if not conn.execute(
                f"SELECT 1 FROM division_cases WHERE case_id = {m}", (document.case_id,)
            ).fetchone():
                raise StoreError(f"变更案件 {document.case_id} 不存在")
            row = conn.execute(
                "INSERT INTO division_case_documents (case_id, doc_type, filename, content, "
                f"size, sha256, note, uploaded_by, uploaded_at) VALUES ({placeholders(m, 9)}) "
                f"RETURNING {_DOCUMENT_META}",
                (document.case_id, document.doc_type, document.filename, content, len(content),
                 hashlib.sha256(content).hexdigest(), document.note, actor, now_utc()),
            ).fetchone()  # fmt: skip
            stored = from_row(CaseDocument, row, content=None)
            self._audit(
                conn, actor=actor, action="division_cases.document", entity="division_cases",
                key=document.case_id, before=None, after=stored.attributes(), note=document.note,
            )  # fmt: skip
        return stored

    def division_case_documents(
        self, case_id: str, *, with_content: bool = False
    ) -> list[CaseDocument]:
        columns = _DOCUMENT_META + (", content" if with_content else "")
        rows = self._conn().execute(
            f"SELECT {columns} FROM division_case_documents WHERE case_id = {self._mark} "
            "ORDER BY id",
            (case_id,),
        )
        return [
            from_row(CaseDocument, r, content=bytes(r["content"]) if with_content else None)
            for r in rows
        ]

    def get_division_case_document(self, document_id: int) -> CaseDocument | None:
        row = (
            self._conn()
            .execute(
                f"SELECT {_DOCUMENT_META}, content FROM division_case_documents "
                f"WHERE id = {self._mark}",
                (int(document_id),),
            )
            .fetchone()
        )
        return None if row is None else from_row(CaseDocument, row, content=bytes(row["content"]))

    # -- proposals --------------------------------------------------------------------------
    def add_division_proposals(
        self, proposals: Iterable[DivisionProposal], *, actor: str
    ) -> list[DivisionProposal]:
        m = self._mark
        stamp = now_utc()
        added: list[DivisionProposal] = []
        with self._write() as conn:
            ids = self._new_ids(conn, "division_proposals")
            for p in proposals:
                if conn.execute(
                    f"SELECT 1 FROM division_proposals WHERE proposal_key = {m}", (p.key,)
                ).fetchone():
                    continue  # made before from the same lists: its decision stands
                proposal_id = p.proposal_id or next(ids)
                conn.execute(
                    f"INSERT INTO division_proposals ({_PROPOSAL_COLUMNS}) "
                    f"VALUES ({placeholders(m, 12)})",
                    (proposal_id, p.batch, p.key, p.kind, p.division_code, _dumps(p.body),
                     "pending", "", None, actor, stamp, stamp),
                )  # fmt: skip
                stored = self._load_proposal(conn, proposal_id)
                self._audit(
                    conn, actor=actor, action="division_proposals.add",
                    entity="division_proposals", key=proposal_id, before=None,
                    after={k: v for k, v in stored.attributes().items() if k != "body"},
                )  # fmt: skip
                added.append(stored)
        return added

    def _load_proposal(self, conn: Any, proposal_id: str) -> DivisionProposal:
        row = conn.execute(
            f"SELECT {_PROPOSAL_COLUMNS} FROM division_proposals WHERE proposal_id = {self._mark}",
            (proposal_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"变更建议 {proposal_id} 不存在")
        return _proposal(row)

    def get_division_proposal(self, proposal_id: str) -> DivisionProposal | None:
        try:
            return self._load_proposal(self._conn(), proposal_id)
        except StoreError:
            return None

    def query_division_proposals(
        self,
        *,
        status: str | None = None,
        division_prefix: str | None = None,
        batch: str | None = None,
    ) -> list[DivisionProposal]:
        where, args = self._filters(status=status, batch=batch, division_prefix=division_prefix)
        sql = f"SELECT {_PROPOSAL_COLUMNS} FROM division_proposals{where} ORDER BY proposal_id"
        return [_proposal(r) for r in self._conn().execute(sql, args)]

    def decide_division_proposal(
        self,
        proposal_id: str,
        *,
        status: str,
        actor: str,
        reason: str = "",
        case_id: str | None = None,
    ) -> DivisionProposal:
        if status not in ("accepted", "dismissed"):
            raise StoreError(f"变更建议的决定只能是 accepted 或 dismissed，而不是 {status!r}")
        m = self._mark
        with self._write() as conn:
            before = self._load_proposal(conn, proposal_id)
            if before.status != "pending":
                raise StoreError(f"变更建议 {proposal_id} 已处理（{before.status}）：请刷新后重试")
            conn.execute(
                f"UPDATE division_proposals SET status = {m}, reason = {m}, case_id = {m}, "
                f"updated_at = {m} WHERE proposal_id = {m}",
                (status, reason, case_id, now_utc(), proposal_id),
            )
            after = self._load_proposal(conn, proposal_id)
            self._audit(
                conn, actor=actor, action=f"division_proposals.{status}",
                entity="division_proposals", key=proposal_id,
                before={"status": before.status}, after={"status": status, "reason": reason,
                                                         "case_id": case_id},
            )  # fmt: skip
        return after

    # -- 勘界 tasks -------------------------------------------------------------------------
    def add_survey_task(self, task: SurveyTask, *, actor: str) -> SurveyTask:
        m = self._mark
        stamp = now_utc()
        with self._write() as conn:
            task_id = self._take_id(conn, "survey_tasks", task.task_id, stamp[:4])
            conn.execute(
                f"INSERT INTO survey_tasks ({_TASK_COLUMNS}) VALUES ({placeholders(m, 11)})",
                (task_id, task.case_id, join_codes(task.division_codes),
                 join_codes(task.line_ids), task.due, "open", None, task.note, actor, stamp,
                 stamp),
            )  # fmt: skip
            stored = self._load_task(conn, task_id)
            self._audit(
                conn, actor=actor, action="survey_tasks.add", entity="survey_tasks",
                key=task_id, before=None, after=stored.attributes(),
            )  # fmt: skip
        return stored

    def _load_task(self, conn: Any, task_id: str) -> SurveyTask:
        row = conn.execute(
            f"SELECT {_TASK_COLUMNS} FROM survey_tasks WHERE task_id = {self._mark}", (task_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"勘界任务 {task_id} 不存在")
        return _task(row)

    def query_survey_tasks(
        self, *, status: str | None = None, case_id: str | None = None
    ) -> list[SurveyTask]:
        where, args = self._filters(status=status, case_id=case_id)
        sql = f"SELECT {_TASK_COLUMNS} FROM survey_tasks{where} ORDER BY due, task_id"
        return [_task(r) for r in self._conn().execute(sql, args)]

    def finish_survey_task(
        self, task_id: str, *, on: str, actor: str, note: str = ""
    ) -> SurveyTask:
        m = self._mark
        with self._write() as conn:
            before = self._load_task(conn, task_id)
            if before.status != "open":
                raise ConflictError(f"勘界任务 {task_id} 已完成")
            conn.execute(
                f"UPDATE survey_tasks SET status = 'done', done_on = {m}, note = {m}, "
                f"updated_at = {m} WHERE task_id = {m}",
                (on, note or before.note, now_utc(), task_id),
            )
            after = self._load_task(conn, task_id)
            self._audit(
                conn, actor=actor, action="survey_tasks.done", entity="survey_tasks",
                key=task_id, before=before.attributes(), after=after.attributes(), note=note,
            )  # fmt: skip
        return after

    # -- coverage inputs out of date -----------------------------------------------------------
    def mark_coverage_stale(
        self, codes: Iterable[str], reason: str, *, actor: str
    ) -> dict[str, list[str]]:
        """Flag the zone sets with a zone of one of ``codes``, and the stored runs that used
        such a zone set or name one of the codes; return the ids flagged."""
        wanted = sorted(set(codes))
        m = self._mark
        flagged: dict[str, list[str]] = {"zone_sets": [], "runs": []}
        if not wanted:
            return flagged
        with self._write() as conn:
            sets = [
                r["set_id"] for r in conn.execute(
                    "SELECT DISTINCT z.set_id FROM coverage_zones z JOIN zone_sets s "
                    "ON s.set_id = z.set_id WHERE s.stale = '' AND z.code IN "
                    f"({placeholders(m, len(wanted))}) ORDER BY z.set_id",
                    wanted,
                )
            ]  # fmt: skip
            needles = [f'%"{s}"%' for s in sets] + [f'%"{c}"%' for c in wanted]
            likes = " OR ".join([f"params_json LIKE {m}"] * len(needles))
            runs = [
                r["run_id"] for r in conn.execute(
                    f"SELECT run_id FROM coverage_runs WHERE stale = '' AND ({likes}) "
                    "ORDER BY run_id",
                    needles,
                )
            ]  # fmt: skip
            for table, column, keys in (
                ("zone_sets", "set_id", sets),
                ("coverage_runs", "run_id", runs),
            ):
                for key in keys:
                    conn.execute(
                        f"UPDATE {table} SET stale = {m} WHERE {column} = {m}", (reason, key)
                    )
                    self._audit(
                        conn, actor=actor, action=f"{table}.stale", entity=table, key=key,
                        before={"stale": ""}, after={"stale": reason},
                    )  # fmt: skip
            flagged = {"zone_sets": sets, "runs": runs}
        return flagged

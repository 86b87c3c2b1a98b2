"""SQL of the naming/renaming cases (name_cases, name_case_events, name_case_documents).

The same SQL serves both backends (mixed into :class:`~geociv.store.sqlite.SQLiteStore` and
:class:`~geociv.store.postgis.PostgisStore`): only the driver's placeholder (``_mark``) and the
making of new case ids (``_take_id``: the largest serial on the GeoPackage, a counter row on
PostGIS) differ.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from geociv.errors import DuplicateError, StoreError
from geociv.store._rows import from_row
from geociv.store.records import (
    CASE_ALL_STEPS,
    STEP_STATUS,
    CaseDocument,
    CaseStep,
    NameCase,
    now_utc,
)
from geociv.store.shared import placeholders

_CASE_COLUMNS = (
    "case_id, kind, name_id, old_name, proposed_name, pinyin, category, division_code, "
    "location, reason, applicant, approving_body, filed_with, status, close_reason, "
    "review_json, created_at, updated_at"
)
#: Case fields a step may change (``review`` is stored as JSON in ``review_json``).
_CASE_CHANGES = {"name_id", "pinyin", "approving_body", "filed_with", "close_reason", "review"}

_DOCUMENT_META = "id, case_id, doc_type, filename, size, sha256, note, uploaded_by, uploaded_at"

_STEP_ORDER = {step: i for i, step in enumerate(CASE_ALL_STEPS)}


def _case(row: Mapping[str, Any], steps: list[CaseStep]) -> NameCase:
    return from_row(
        NameCase,
        row,
        review=json.loads(row["review_json"]),
        steps=tuple(sorted(steps, key=lambda s: _STEP_ORDER[s.step])),
    )


def _step(row: Mapping[str, Any]) -> CaseStep:
    return CaseStep(row["step"], row["on_date"], row["actor"], row["note"], row["at"])


def _document(row: Mapping[str, Any], with_content: bool) -> CaseDocument:
    return from_row(CaseDocument, row, content=bytes(row["content"]) if with_content else None)


class CasesSQL:
    """Naming/renaming case methods of a store (expects ``_conn``, ``_write``, ``_audit``,
    ``_take_id`` and ``_mark``, the driver's placeholder)."""

    _conn: Any
    _write: Any
    _audit: Any
    _take_id: Any
    _mark = "?"

    def _load_case(self, conn: Any, case_id: str) -> NameCase | None:
        m = self._mark
        row = conn.execute(
            f"SELECT {_CASE_COLUMNS} FROM name_cases WHERE case_id = {m}", (case_id,)
        ).fetchone()
        if row is None:
            return None
        events = conn.execute(
            f"SELECT step, on_date, actor, note, at FROM name_case_events WHERE case_id = {m}",
            (case_id,),
        ).fetchall()
        return _case(row, [_step(e) for e in events])

    def add_case(self, case: NameCase, *, on: str, actor: str, note: str = "") -> NameCase:
        m = self._mark
        stamp = now_utc()
        with self._write() as conn:
            if (
                case.case_id
                and conn.execute(
                    f"SELECT 1 FROM name_cases WHERE case_id = {m}", (case.case_id,)
                ).fetchone()
            ):
                raise DuplicateError(f"案件 {case.case_id} 已存在")
            case_id = self._take_id(conn, "name_cases", case.case_id, on[:4])
            conn.execute(
                f"INSERT INTO name_cases ({_CASE_COLUMNS}) VALUES ({placeholders(m, 18)})",
                (
                    case_id,
                    case.kind,
                    case.name_id,
                    case.old_name,
                    case.proposed_name,
                    case.pinyin,
                    case.category,
                    case.division_code,
                    case.location,
                    case.reason,
                    case.applicant,
                    case.approving_body,
                    case.filed_with,
                    "applied",
                    "",
                    json.dumps(case.review, ensure_ascii=False),
                    stamp,
                    stamp,
                ),
            )
            conn.execute(
                "INSERT INTO name_case_events (case_id, step, on_date, actor, note, at) "
                f"VALUES ({m}, 'apply', {m}, {m}, {m}, {m})",
                (case_id, on, actor, note, stamp),
            )
            stored = self._load_case(conn, case_id)
            assert stored is not None
            self._audit(
                conn,
                actor=actor,
                action="cases.apply",
                entity="name_cases",
                key=case_id,
                before=None,
                after=stored.attributes(),
                note=note,
            )
        return stored

    def advance_case(
        self,
        case_id: str,
        step: str,
        *,
        expect_status: str,
        on: str,
        actor: str,
        note: str = "",
        changes: Mapping[str, Any] | None = None,
    ) -> NameCase:
        if step not in STEP_STATUS or step == "apply":
            raise StoreError(f"未知的案件步骤 {step!r}")
        changes = dict(changes or {})
        unknown = set(changes) - _CASE_CHANGES
        if unknown:
            raise StoreError(f"案件步骤不能更改字段：{', '.join(sorted(unknown))}")
        m = self._mark
        stamp = now_utc()
        with self._write() as conn:
            before = self._load_case(conn, case_id)
            if before is None:
                raise StoreError(f"案件 {case_id} 不存在")
            if before.status != expect_status:
                raise StoreError(
                    f"案件 {case_id} 的状态已是 {before.status}（应为 {expect_status}），"
                    "可能已被他人处理：请刷新后重试"
                )
            if "review" in changes:
                changes["review_json"] = json.dumps(changes.pop("review"), ensure_ascii=False)
            sets = [f"status = {m}", f"updated_at = {m}", *(f"{k} = {m}" for k in changes)]
            conn.execute(
                f"UPDATE name_cases SET {', '.join(sets)} WHERE case_id = {m}",
                (STEP_STATUS[step], stamp, *changes.values(), case_id),
            )
            conn.execute(
                "INSERT INTO name_case_events (case_id, step, on_date, actor, note, at) "
                f"VALUES ({placeholders(m, 6)})",
                (case_id, step, on, actor, note, stamp),
            )
            after = self._load_case(conn, case_id)
            assert after is not None
            self._audit(
                conn,
                actor=actor,
                action=f"cases.{step}",
                entity="name_cases",
                key=case_id,
                before=before.attributes(),
                after=after.attributes(),
                note=note,
            )
        return after

    def get_case(self, case_id: str) -> NameCase | None:
        return self._load_case(self._conn(), case_id)

    def query_cases(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        name_id: str | None = None,
        division_prefix: str | None = None,
    ) -> list[NameCase]:
        m = self._mark
        where, args = [], []
        for column, value in (("status", status), ("kind", kind), ("name_id", name_id)):
            if value is not None:
                where.append(f"{column} = {m}")
                args.append(value)
        if division_prefix:
            where.append(f"division_code LIKE {m}")
            args.append(f"{division_prefix}%")
        sql = f"SELECT {_CASE_COLUMNS} FROM name_cases"
        if where:
            sql += " WHERE " + " AND ".join(where)
        conn = self._conn()
        rows = conn.execute(sql + " ORDER BY case_id", args).fetchall()
        if not rows:
            return []
        steps: dict[str, list[CaseStep]] = {}
        ids = [r["case_id"] for r in rows]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for e in conn.execute(
                "SELECT case_id, step, on_date, actor, note, at FROM name_case_events "
                f"WHERE case_id IN ({placeholders(m, len(chunk))})",
                chunk,
            ):
                steps.setdefault(e["case_id"], []).append(_step(e))
        return [_case(r, steps.get(r["case_id"], [])) for r in rows]

    def add_case_document(self, document: CaseDocument, *, actor: str) -> CaseDocument:
        content = document.content
        if content is None:
            raise StoreError("附件内容为空")
        m = self._mark
        stamp = now_utc()
        with self._write() as conn:
            if not conn.execute(
                f"SELECT 1 FROM name_cases WHERE case_id = {m}", (document.case_id,)
            ).fetchone():
                raise StoreError(f"案件 {document.case_id} 不存在")
            row = conn.execute(
                "INSERT INTO name_case_documents (case_id, doc_type, filename, content, size, "
                f"sha256, note, uploaded_by, uploaded_at) VALUES ({placeholders(m, 9)}) "
                f"RETURNING {_DOCUMENT_META}",
                (
                    document.case_id,
                    document.doc_type,
                    document.filename,
                    content,
                    len(content),
                    hashlib.sha256(content).hexdigest(),
                    document.note,
                    actor,
                    stamp,
                ),
            ).fetchone()
            stored = _document(row, with_content=False)
            self._audit(
                conn,
                actor=actor,
                action="cases.document",
                entity="name_cases",
                key=document.case_id,
                before=None,
                after=stored.attributes(),
                note=document.note,
            )
        return stored

    def case_documents(self, case_id: str, *, with_content: bool = False) -> list[CaseDocument]:
        m = self._mark
        columns = _DOCUMENT_META + (", content" if with_content else "")
        rows = self._conn().execute(
            f"SELECT {columns} FROM name_case_documents WHERE case_id = {m} ORDER BY id",
            (case_id,),
        )
        return [_document(r, with_content) for r in rows]

    def get_case_document(self, document_id: int) -> CaseDocument | None:
        m = self._mark
        row = (
            self._conn()
            .execute(
                f"SELECT {_DOCUMENT_META}, content FROM name_case_documents WHERE id = {m}",
                (int(document_id),),
            )
            .fetchone()
        )
        return None if row is None else _document(row, with_content=True)

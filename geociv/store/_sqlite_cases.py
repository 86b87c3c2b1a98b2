"""SQL of the naming/renaming cases (name_cases, name_case_events, name_case_documents) and of
the place-name signs (signs, sign_patrols) for the GeoPackage store. Mixed into
:class:`~geociv.store.sqlite.SQLiteStore`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from geociv.errors import DuplicateError, StoreError
from geociv.store import _gpkg
from geociv.store._rows import from_row
from geociv.store._sqlite_ids import new_id
from geociv.store._sqlite_points import update_point_record
from geociv.store._sqlite_schema import STORAGE_SRS_ID
from geociv.store.records import (
    CASE_ALL_STEPS,
    STEP_STATUS,
    CaseDocument,
    CaseStep,
    NameCase,
    Patrol,
    Sign,
    now_utc,
)
from geociv.store.shared import SIGN_FIELDS
from geociv.uploads.media import thumbnail

_CASE_COLUMNS = (
    "case_id, kind, name_id, old_name, proposed_name, pinyin, category, division_code, "
    "location, reason, applicant, approving_body, filed_with, status, close_reason, "
    "review_json, created_at, updated_at"
)
#: Case fields a step may change (``review`` is stored as JSON in ``review_json``).
_CASE_CHANGES = {"name_id", "pinyin", "approving_body", "filed_with", "close_reason", "review"}

_DOCUMENT_META = "id, case_id, doc_type, filename, size, sha256, note, uploaded_by, uploaded_at"

_SIGN_COLUMNS = (
    "sign_id, name_id, sign_type, text, pinyin, geom, installed_on, status, installer, "
    "remarks, created_at, updated_at"
)
_PATROL_META = (
    "id, sign_id, patrolled_on, condition, inspector, remarks, photo_filename, recorded_by, "
    "recorded_at"
)

_STEP_ORDER = {step: i for i, step in enumerate(CASE_ALL_STEPS)}


def _case(row: sqlite3.Row, steps: list[CaseStep]) -> NameCase:
    return from_row(
        NameCase,
        row,
        review=json.loads(row["review_json"]),
        steps=tuple(sorted(steps, key=lambda s: _STEP_ORDER[s.step])),
    )


def _step(row: sqlite3.Row) -> CaseStep:
    return CaseStep(row["step"], row["on_date"], row["actor"], row["note"], row["at"])


def _document(row: sqlite3.Row, with_content: bool) -> CaseDocument:
    return from_row(CaseDocument, row, content=bytes(row["content"]) if with_content else None)


def _sign(row: sqlite3.Row) -> Sign:
    return from_row(Sign, row, location=_gpkg.decode(row["geom"]))


def _patrol(row: sqlite3.Row, with_photo: bool) -> Patrol:
    photo = row["photo"] if with_photo else None
    return from_row(Patrol, row, photo=None if photo is None else bytes(photo))


class CasesSQL:
    """Naming/renaming case methods of the SQLite store (expects ``_conn``, ``_write`` and
    ``_audit``)."""

    _conn: Any
    _write: Any
    _audit: Any

    def _load_case(self, conn: sqlite3.Connection, case_id: str) -> NameCase | None:
        row = conn.execute(
            f"SELECT {_CASE_COLUMNS} FROM name_cases WHERE case_id = ?", (case_id,)
        ).fetchone()
        if row is None:
            return None
        events = conn.execute(
            "SELECT step, on_date, actor, note, at FROM name_case_events WHERE case_id = ?",
            (case_id,),
        ).fetchall()
        return _case(row, [_step(e) for e in events])

    def add_case(self, case: NameCase, *, on: str, actor: str, note: str = "") -> NameCase:
        stamp = now_utc()
        with self._write() as conn:
            case_id = case.case_id
            if not case_id:
                case_id = new_id(conn, "name_cases", on[:4])
            elif conn.execute("SELECT 1 FROM name_cases WHERE case_id = ?", (case_id,)).fetchone():
                raise DuplicateError(f"案件 {case_id} 已存在")
            conn.execute(
                f"INSERT INTO name_cases ({_CASE_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                "VALUES (?, 'apply', ?, ?, ?, ?)",
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
            sets = ["status = ?", "updated_at = ?", *(f"{k} = ?" for k in changes)]
            conn.execute(
                f"UPDATE name_cases SET {', '.join(sets)} WHERE case_id = ?",
                (STEP_STATUS[step], stamp, *changes.values(), case_id),
            )
            conn.execute(
                "INSERT INTO name_case_events (case_id, step, on_date, actor, note, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
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
        where, args = [], []
        for column, value in (("status", status), ("kind", kind), ("name_id", name_id)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if division_prefix:
            where.append("division_code LIKE ?")
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
            marks = ", ".join("?" * len(chunk))
            for e in conn.execute(
                "SELECT case_id, step, on_date, actor, note, at FROM name_case_events "
                f"WHERE case_id IN ({marks})",
                chunk,
            ):
                steps.setdefault(e["case_id"], []).append(_step(e))
        return [_case(r, steps.get(r["case_id"], [])) for r in rows]

    def add_case_document(self, document: CaseDocument, *, actor: str) -> CaseDocument:
        content = document.content
        if content is None:
            raise StoreError("附件内容为空")
        stamp = now_utc()
        with self._write() as conn:
            if not conn.execute(
                "SELECT 1 FROM name_cases WHERE case_id = ?", (document.case_id,)
            ).fetchone():
                raise StoreError(f"案件 {document.case_id} 不存在")
            cur = conn.execute(
                "INSERT INTO name_case_documents (case_id, doc_type, filename, content, size, "
                "sha256, note, uploaded_by, uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    document.case_id,
                    document.doc_type,
                    document.filename,
                    sqlite3.Binary(content),
                    len(content),
                    hashlib.sha256(content).hexdigest(),
                    document.note,
                    actor,
                    stamp,
                ),
            )
            row = conn.execute(
                f"SELECT {_DOCUMENT_META} FROM name_case_documents WHERE id = ?",
                (cur.lastrowid,),
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
        columns = _DOCUMENT_META + (", content" if with_content else "")
        rows = self._conn().execute(
            f"SELECT {columns} FROM name_case_documents WHERE case_id = ? ORDER BY id",
            (case_id,),
        )
        return [_document(r, with_content) for r in rows]

    def get_case_document(self, document_id: int) -> CaseDocument | None:
        row = (
            self._conn()
            .execute(
                f"SELECT {_DOCUMENT_META}, content FROM name_case_documents WHERE id = ?",
                (int(document_id),),
            )
            .fetchone()
        )
        return None if row is None else _document(row, with_content=True)


class SignsSQL:
    """Place-name sign methods of the SQLite store (expects ``_conn``, ``_write`` and
    ``_audit``)."""

    _conn: Any
    _write: Any
    _audit: Any

    def add_sign(self, sign: Sign, *, actor: str) -> Sign:
        stamp = now_utc()
        with self._write() as conn:
            sign_id = sign.sign_id
            if not sign_id:
                sign_id = new_id(conn, "signs")
            elif conn.execute("SELECT 1 FROM signs WHERE sign_id = ?", (sign_id,)).fetchone():
                raise DuplicateError(f"地名标志 {sign_id} 已存在")
            conn.execute(
                f"INSERT INTO signs ({_SIGN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sign_id,
                    sign.name_id,
                    sign.sign_type,
                    sign.text,
                    sign.pinyin,
                    _gpkg.encode(sign.location, STORAGE_SRS_ID),
                    sign.installed_on,
                    sign.status,
                    sign.installer,
                    sign.remarks,
                    stamp,
                    stamp,
                ),
            )
            stored = self._load_sign(conn, sign_id)
            self._audit(
                conn,
                actor=actor,
                action="signs.add",
                entity="signs",
                key=sign_id,
                before=None,
                after=stored.attributes(),
            )
        return stored

    @staticmethod
    def _load_sign(conn: sqlite3.Connection, sign_id: str) -> Sign:
        row = conn.execute(
            f"SELECT {_SIGN_COLUMNS} FROM signs WHERE sign_id = ?", (sign_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"地名标志 {sign_id} 不存在")
        return _sign(row)

    def update_sign(self, sign_id: str, *, actor: str, **changes: Any) -> Sign:
        with self._write() as conn:
            return update_point_record(
                conn, table="signs", key_column="sign_id", key=sign_id, changes=changes,
                allowed=SIGN_FIELDS, label="地名标志", load=self._load_sign,
                audit=self._audit, actor=actor,
            )  # fmt: skip

    def get_sign(self, sign_id: str) -> Sign | None:
        row = (
            self._conn()
            .execute(f"SELECT {_SIGN_COLUMNS} FROM signs WHERE sign_id = ?", (sign_id,))
            .fetchone()
        )
        return None if row is None else _sign(row)

    def query_signs(
        self,
        *,
        name_id: str | None = None,
        status: str | None = None,
        include_removed: bool = True,
    ) -> list[Sign]:
        where, args = [], []
        if name_id is not None:
            where.append("name_id = ?")
            args.append(name_id)
        if status is not None:
            where.append("status = ?")
            args.append(status)
        if not include_removed:
            where.append("status != 'removed'")
        sql = f"SELECT {_SIGN_COLUMNS} FROM signs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._conn().execute(sql + " ORDER BY sign_id", args).fetchall()
        return [_sign(r) for r in rows]

    def add_patrol(self, patrol: Patrol, *, actor: str) -> Patrol:
        small = None if patrol.photo is None else thumbnail(patrol.photo)
        stamp = now_utc()
        with self._write() as conn:
            if not conn.execute(
                "SELECT 1 FROM signs WHERE sign_id = ?", (patrol.sign_id,)
            ).fetchone():
                raise StoreError(f"地名标志 {patrol.sign_id} 不存在")
            cur = conn.execute(
                "INSERT INTO sign_patrols (sign_id, patrolled_on, condition, inspector, remarks, "
                "photo, photo_filename, recorded_by, recorded_at, photo_thumbnail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    patrol.sign_id,
                    patrol.patrolled_on,
                    patrol.condition,
                    patrol.inspector,
                    patrol.remarks,
                    None if patrol.photo is None else sqlite3.Binary(patrol.photo),
                    patrol.photo_filename,
                    actor,
                    stamp,
                    None if small is None else sqlite3.Binary(small),
                ),
            )
            row = conn.execute(
                f"SELECT {_PATROL_META} FROM sign_patrols WHERE id = ?", (cur.lastrowid,)
            ).fetchone()
            stored = _patrol(row, with_photo=False)
            after = stored.attributes()
            if patrol.photo is not None:
                after["photo_sha256"] = hashlib.sha256(patrol.photo).hexdigest()
            self._audit(
                conn,
                actor=actor,
                action="signs.patrol",
                entity="signs",
                key=patrol.sign_id,
                before=None,
                after=after,
                note=patrol.remarks,
            )
        return stored

    def patrol_thumbnail(self, patrol_id: int) -> bytes | None:
        row = (
            self._conn()
            .execute("SELECT photo_thumbnail FROM sign_patrols WHERE id = ?", (int(patrol_id),))
            .fetchone()
        )
        return None if row is None or row[0] is None else bytes(row[0])

    def patrols(self, sign_id: str | None = None, *, with_photo: bool = False) -> list[Patrol]:
        columns = _PATROL_META + (", photo" if with_photo else "")
        sql = f"SELECT {columns} FROM sign_patrols"
        args: tuple[str, ...] = ()
        if sign_id is not None:
            sql += " WHERE sign_id = ?"
            args = (sign_id,)
        rows = self._conn().execute(sql + " ORDER BY patrolled_on, id", args).fetchall()
        return [_patrol(r, with_photo) for r in rows]

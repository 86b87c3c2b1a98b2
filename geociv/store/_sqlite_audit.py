"""Reading the ``audit_log`` table: filtered pages of entries and the values it holds.

The filters on actor and on table ride the indexes ``idx_audit_actor (actor, id)`` and
``idx_audit_entity_id (entity, id)`` (with a record key, ``idx_audit_entity``); newest first is
the primary key read backwards, so a page stops after ``offset + limit`` matching rows. Action
and time have no index of their own: they narrow the rows the other filters (or the primary
key) give.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from geociv.errors import Problem, ValidationError
from geociv.store.records import AuditEntry, AuditFacets, AuditPage, AuditQuery


def utc_bound(value: str, field: str) -> str:
    """An ISO-8601 timestamp as stored in ``audit_log.at`` (UTC, whole seconds); a time
    without zone counts as UTC.

    >>> utc_bound("2026-05-02T00:00:00+08:00", "since")
    '2026-05-01T16:00:00+00:00'
    """
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        problem = Problem(
            f"应为 ISO-8601 时间，如 2026-05-01T16:00:00+00:00，收到 {value!r}", field=field
        )
        raise ValidationError(problem, title="审计日志查询条件有误") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="seconds")


def _where(query: AuditQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    for column, value in (
        ("actor", query.actor),
        ("entity", query.entity),
        ("entity_key", query.key),
        ("action", query.action),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            args.append(value)
    if query.since is not None:
        clauses.append("at >= ?")
        args.append(utc_bound(query.since, "since"))
    if query.until is not None:
        clauses.append("at < ?")
        args.append(utc_bound(query.until, "until"))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        entity=row["entity"],
        entity_key=row["entity_key"],
        before=None if row["before_json"] is None else json.loads(row["before_json"]),
        after=None if row["after_json"] is None else json.loads(row["after_json"]),
        note=row["note"],
    )


class AuditSQL:
    """Audit-trail reads of the SQLite store (expects ``_conn``)."""

    _conn: Any

    def audit_page(
        self, query: AuditQuery, *, offset: int = 0, limit: int = 50, count: bool = True
    ) -> AuditPage:
        where, args = _where(query)
        conn = self._conn()
        rows = conn.execute(
            f"SELECT * FROM audit_log{where} ORDER BY id DESC LIMIT ? OFFSET ?",
            (*args, max(limit, 0), max(offset, 0)),
        ).fetchall()
        total = (
            conn.execute(f"SELECT count(*) FROM audit_log{where}", args).fetchone()[0]
            if count
            else -1
        )
        return AuditPage(entries=[_entry(r) for r in rows], total=total, offset=offset, limit=limit)

    def audit_facets(self, *, limit: int = 500) -> AuditFacets:
        conn = self._conn()

        def distinct(column: str) -> list[str]:
            sql = f"SELECT DISTINCT {column} FROM audit_log ORDER BY {column} LIMIT ?"
            return [r[0] for r in conn.execute(sql, (limit,))]

        return AuditFacets(
            actors=distinct("actor"), entities=distinct("entity"), actions=distinct("action")
        )

"""Reading the ``audit_log`` table: filtered pages of entries and the values it holds.

The filters on actor and on table ride the indexes ``idx_audit_actor (actor, id)`` and
``idx_audit_entity_id (entity, id)`` (with a record key, ``idx_audit_entity``); newest first is
the primary key read backwards, so a page stops after ``offset + limit`` matching rows. Action
and time have no index of their own: they narrow the rows the other filters (or the primary
key) give (the PostGIS schema has the same indexes).

The SQL is the same on both backends; only the driver's placeholder differs (``_mark``).
"""

from __future__ import annotations

from typing import Any

from geociv.store.records import AuditFacets, AuditPage, AuditQuery
from geociv.store.shared import audit_entry, audit_where


class AuditSQL:
    """Audit-trail reads of a store (expects ``_conn`` giving rows readable by column name,
    and ``_mark``, the driver's placeholder)."""

    _conn: Any
    _mark = "?"

    def audit_page(
        self, query: AuditQuery, *, offset: int = 0, limit: int = 50, count: bool = True
    ) -> AuditPage:
        mark = self._mark
        where, args = audit_where(query, mark)
        conn = self._conn()
        rows = conn.execute(
            f"SELECT * FROM audit_log{where} ORDER BY id DESC LIMIT {mark} OFFSET {mark}",
            (*args, max(limit, 0), max(offset, 0)),
        ).fetchall()
        total = (
            conn.execute(f"SELECT count(*) AS n FROM audit_log{where}", args).fetchone()["n"]
            if count
            else -1
        )
        entries = [audit_entry(r) for r in rows]
        return AuditPage(entries=entries, total=total, offset=offset, limit=limit)

    def audit_facets(self, *, limit: int = 500) -> AuditFacets:
        conn, mark = self._conn(), self._mark

        def distinct(column: str) -> list[str]:
            sql = f"SELECT DISTINCT {column} AS v FROM audit_log ORDER BY {column} LIMIT {mark}"
            return [r["v"] for r in conn.execute(sql, (limit,))]

        return AuditFacets(
            actors=distinct("actor"), entities=distinct("entity"), actions=distinct("action")
        )

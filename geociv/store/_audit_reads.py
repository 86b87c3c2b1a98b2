"""Reading the ``audit_log`` table: filtered pages of entries and the values it holds.

The filters on actor and on table ride the indexes ``idx_audit_actor (actor, id)`` and
``idx_audit_entity_id (entity, id)`` (with a record key, ``idx_audit_entity``); newest first is
the primary key read backwards, so a page stops after ``offset + limit`` matching rows. Action
and time have no index of their own: they narrow the rows the other filters (or the primary
key) give (the PostGIS schema has the same indexes).

:meth:`AuditSQL.last_change`, asked by every cached page and index on every request, reads one
entry of ``idx_audit_entity_id`` per table, however long the log is (see its note).

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

    def last_change(self, entities: tuple[str, ...]) -> int:
        """Id of the newest audit entry on any of ``entities`` (0 if none).

        One backward step into ``idx_audit_entity_id`` per table. ``max(id) … WHERE entity IN``
        lets PostgreSQL's planner walk the primary key backwards instead, skipping every newer
        entry of other tables (52 k names in front of the divisions of a Henan-sized store);
        ordered by the whole index key under a range on ``entity``, the primary key would need
        a sort, so both backends take the entity index and stop at its first entry.
        """
        if not entities:
            return 0
        mark = self._mark
        newest = (
            f"(SELECT id FROM audit_log WHERE entity >= {mark} AND entity <= {mark} "
            "ORDER BY entity DESC, id DESC LIMIT 1)"
        )
        stamps = " UNION ALL ".join([f"SELECT {newest} AS last"] * len(entities))
        sql = f"SELECT max(last) AS last FROM ({stamps}) AS stamps"
        row = self._conn().execute(sql, [e for e in entities for _ in (1, 2)]).fetchone()
        return row["last"] or 0

    def audit_facets(self, *, limit: int = 500) -> AuditFacets:
        conn, mark = self._conn(), self._mark

        def distinct(column: str) -> list[str]:
            sql = f"SELECT DISTINCT {column} AS v FROM audit_log ORDER BY {column} LIMIT {mark}"
            return [r["v"] for r in conn.execute(sql, (limit,))]

        return AuditFacets(
            actors=distinct("actor"), entities=distinct("entity"), actions=distinct("action")
        )

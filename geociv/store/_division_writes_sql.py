"""SQL of the division writes, shared by both backends: loading divisions (``upsert_divisions``)
and keeping the earlier versions of a code (``add_division_versions``).

Mixed into both stores; what differs is asked of the store: the placeholder (``_mark``), the
geometry hooks (``_geom_in``, ``_encode_geom``, ``_decode_geom``), ``_for_update``, ``_write``
and ``_audit``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from geociv.store.change_records import DivisionVersion
from geociv.store.records import Division, UpsertCounts, now_utc
from geociv.store.shared import division_view, join_codes, placeholders, upsert_outcome

#: The columns a division write sets (the geometry besides), in the order of :func:`_values`.
_WRITTEN = (
    "name", "level", "parent_code", "kind", "area_km2", "source", "valid_from", "valid_to",
    "predecessors", "change_case", "updated_at",
)  # fmt: skip


def _values(rec: Division, stamp: str) -> tuple[Any, ...]:
    return (
        rec.name, rec.level, rec.parent_code, rec.kind, rec.area_km2, rec.source,
        rec.valid_from, rec.valid_to, join_codes(rec.predecessors), rec.change_case, stamp,
    )  # fmt: skip


class DivisionWritesSQL:
    """``upsert_divisions`` and ``add_division_versions`` (expects ``_conn``, ``_write``,
    ``_audit``, ``_mark``, ``_geom_in``, ``_encode_geom``, ``_decode_geom``, ``_for_update``,
    and the division reads of :class:`~geociv.store._divisions_sql.DivisionReadsSQL`)."""

    _write: Any
    _audit: Any
    _mark: str
    _geom_in: str
    _encode_geom: Any
    _decode_geom: Any
    _for_update: str
    _division_columns: Any
    _division: Any

    def upsert_divisions(
        self, records: Iterable[Division], *, actor: str, action: str = "divisions.upsert"
    ) -> UpsertCounts:
        counts = UpsertCounts()
        stamp = now_utc()
        m = self._mark
        with self._write() as conn:
            for rec in records:
                row = conn.execute(
                    f"SELECT {self._division_columns()} FROM divisions WHERE code = {m}"
                    f"{self._for_update}",
                    (rec.code,),
                ).fetchone()
                old = None if row is None else self._division(row)
                blob = self._encode_geom("divisions", rec.geometry)
                stored = old.geometry if old else None
                outcome = upsert_outcome(old, rec, stored, self._decode_geom(blob))
                setattr(counts, outcome, getattr(counts, outcome) + 1)
                if outcome == "unchanged":
                    continue
                self._put_division(conn, rec, blob, stamp, insert=old is None)
                self._audit(
                    conn, actor=actor, action=action, entity="divisions", key=rec.code,
                    before=None if old is None else division_view(old), after=division_view(rec),
                )  # fmt: skip
        return counts

    def _put_division(
        self, conn: Any, rec: Division, blob: Any, stamp: str, *, insert: bool
    ) -> None:
        m = self._mark
        if insert:
            columns = ", ".join(_WRITTEN)
            conn.execute(
                f"INSERT INTO divisions (code, geom, {columns}) "
                f"VALUES ({m}, {self._geom_in}, {placeholders(m, len(_WRITTEN))})",
                (rec.code, blob, *_values(rec, stamp)),
            )
        else:
            sets = ", ".join(f"{c} = {m}" for c in _WRITTEN)
            conn.execute(
                f"UPDATE divisions SET geom = {self._geom_in}, {sets} WHERE code = {m}",
                (blob, *_values(rec, stamp), rec.code),
            )

    def add_division_versions(
        self, versions: Iterable[DivisionVersion], *, actor: str, action: str = "divisions.version"
    ) -> int:
        m = self._mark
        stamp = now_utc()
        columns = "code, name, level, parent_code, kind, valid_from, valid_to, change_case"
        added = 0
        with self._write() as conn:
            for v in versions:
                values = (v.code, v.name, v.level, v.parent_code, v.kind, v.valid_from,
                          v.valid_to, v.change_case)  # fmt: skip
                conn.execute(
                    f"INSERT INTO division_versions ({columns}, recorded_at) "
                    f"VALUES ({placeholders(m, 9)})",
                    (*values, stamp),
                )
                version = dict(zip(columns.split(", "), values, strict=True))
                self._audit(
                    conn, actor=actor, action=action, entity="divisions", key=v.code,
                    before=None, after={"version": version},
                )  # fmt: skip
                added += 1
        return added

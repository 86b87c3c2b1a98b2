"""SQL of the gazetteer tables (names, name_history, pinyin_overrides, name_terms,
finding_overrides).

The same SQL serves both backends (mixed into :class:`~geociv.store.sqlite.SQLiteStore` and
:class:`~geociv.store.postgis.PostgisStore`); what differs is asked of the store: the driver's
placeholder (``_mark``), the geometry hooks (``_geom_in``, ``_geom_out``, ``_encode_geom``,
``_decode_geom``), the box filter on the spatial index (``_bbox_sql``) and ``_for_update``,
the lock on a row read before it is rewritten (none on SQLite, whose write transaction already
excludes other writers).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from geociv.store._rows import from_row
from geociv.store.records import (
    FindingOverride,
    FormerName,
    NameRecord,
    Term,
    UpsertCounts,
    now_utc,
)
from geociv.store.shared import (
    box_condition,
    like_pattern,
    placeholders,
    upsert_outcome,
    where_clause,
)

#: Columns written from a record (besides ``name_id``, ``geom`` and the time stamps).
_NAME_FIELDS = (
    "name, specific, generic, category, division_code, pinyin, pinyin_reviewed, status, "
    "heritage_level, aliases, source, represents"
)


class GazetteerSQL:
    """Gazetteer methods of a store (expects ``_conn``, ``_write``, ``_audit`` and the
    backend's hooks named in the module notes)."""

    _conn: Any
    _write: Any
    _audit: Any
    _encode_geom: Any
    _decode_geom: Any
    _mark = "?"
    _geom_in = "?"
    _geom_out = "geom"
    _for_update = ""

    def _name_columns(self, with_geometry: bool = True) -> str:
        geom = self._geom_out if with_geometry else "NULL AS geom"
        return f"name_id, {_NAME_FIELDS}, {geom}, created_at, updated_at"

    def _name(self, row: Any, with_geometry: bool = True) -> NameRecord:
        return from_row(
            NameRecord,
            row,
            pinyin_reviewed=bool(row["pinyin_reviewed"]),
            aliases=tuple(json.loads(row["aliases"])),
            geometry=self._decode_geom(row["geom"]) if with_geometry else None,
        )

    def upsert_names(
        self,
        records: Iterable[NameRecord],
        *,
        actor: str,
        action: str = "names.upsert",
        notes: Mapping[str, str] | None = None,
    ) -> UpsertCounts:
        counts = UpsertCounts()
        stamp, m = now_utc(), self._mark
        with self._write() as conn:
            for rec in records:
                row = conn.execute(
                    f"SELECT {self._name_columns()} FROM names WHERE name_id = {m}"
                    f"{self._for_update}",
                    (rec.name_id,),
                ).fetchone()
                old = None if row is None else self._name(row)
                outcome = upsert_outcome(old, rec, old.geometry if old else None, rec.geometry)
                setattr(counts, outcome, getattr(counts, outcome) + 1)
                if outcome == "unchanged":
                    continue
                values = (
                    rec.name, rec.specific, rec.generic, rec.category, rec.division_code,
                    rec.pinyin, bool(rec.pinyin_reviewed), rec.status, rec.heritage_level,
                    json.dumps(list(rec.aliases), ensure_ascii=False), rec.source, rec.represents,
                    self._encode_geom("names", rec.geometry),
                )  # fmt: skip
                if outcome == "inserted":
                    conn.execute(
                        f"INSERT INTO names (name_id, {_NAME_FIELDS}, geom, created_at, "
                        f"updated_at) VALUES ({m}, {placeholders(m, 12)}, {self._geom_in}, "
                        f"{m}, {m})",
                        (rec.name_id, *values, rec.created_at or stamp, stamp),
                    )
                else:
                    sets = ", ".join(f"{c.strip()} = {m}" for c in _NAME_FIELDS.split(","))
                    conn.execute(
                        f"UPDATE names SET {sets}, geom = {self._geom_in}, updated_at = {m} "
                        f"WHERE name_id = {m}",
                        (*values, stamp, rec.name_id),
                    )
                self._audit(
                    conn, actor=actor, action=action, entity="names", key=rec.name_id,
                    before=None if old is None else old.attributes(), after=rec.attributes(),
                    note=(notes or {}).get(rec.name_id, ""),
                )  # fmt: skip
        return counts

    def get_name(self, name_id: str) -> NameRecord | None:
        row = (
            self._conn()
            .execute(
                f"SELECT {self._name_columns()} FROM names WHERE name_id = {self._mark}",
                (name_id,),
            )
            .fetchone()
        )
        return None if row is None else self._name(row)

    def query_names(
        self,
        *,
        division_prefix: str | None = None,
        category: str | None = None,
        name: str | None = None,
        include_retired: bool = False,
        with_geometry: bool = False,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> list[NameRecord]:
        m = self._mark
        prefix = like_pattern(division_prefix, "prefix") if division_prefix else None
        where, args = where_clause(
            [
                (f"division_code LIKE {m} ESCAPE '\\'", prefix),
                (f"category = {m}", category or None),
                (f"name = {m}", name),
                (f"status <> {m}", None if include_retired else "retired"),
                box_condition(self._bbox_sql, "names", bbox),
            ]
        )
        rows = self._conn().execute(
            f"SELECT {self._name_columns(with_geometry)} FROM names{where} "
            "ORDER BY division_code, name",
            args,
        )
        return [self._name(r, with_geometry) for r in rows]

    def add_former_name(self, former: FormerName, *, actor: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO name_history (name_id, name, pinyin, valid_from, valid_to, note, "
                f"case_id) VALUES ({placeholders(self._mark, 7)})",
                (former.name_id, former.name, former.pinyin, former.valid_from, former.valid_to,
                 former.note, former.case_id),
            )  # fmt: skip
            self._audit(
                conn, actor=actor, action="names.former_name", entity="names",
                key=former.name_id, before=None,
                after={"former_name": former.name, "valid_to": former.valid_to},
            )  # fmt: skip

    def former_names(self, name_id: str | None = None) -> list[FormerName]:
        where, args = where_clause([(f"name_id = {self._mark}", name_id)])
        rows = self._conn().execute(
            "SELECT name_id, name, pinyin, valid_from, valid_to, note, case_id "
            f"FROM name_history{where} ORDER BY id",
            args,
        )
        return [from_row(FormerName, r) for r in rows]

    def pinyin_overrides(self) -> dict[str, tuple[str, str]]:
        rows = self._conn().execute("SELECT word, pinyin, note FROM pinyin_overrides")
        return {r["word"]: (r["pinyin"], r["note"]) for r in rows}

    def set_pinyin_override(self, word: str, pinyin: str, *, note: str, actor: str) -> None:
        m = self._mark
        with self._write() as conn:
            old = conn.execute(
                f"SELECT pinyin, note FROM pinyin_overrides WHERE word = {m}{self._for_update}",
                (word,),
            ).fetchone()
            conn.execute(
                "INSERT INTO pinyin_overrides (word, pinyin, note, added_by, added_at) "
                f"VALUES ({placeholders(m, 5)}) ON CONFLICT (word) DO UPDATE SET "
                "pinyin = excluded.pinyin, note = excluded.note, added_by = excluded.added_by, "
                "added_at = excluded.added_at",
                (word, pinyin, note, actor, now_utc()),
            )
            self._audit(
                conn, actor=actor, action="pinyin.override", entity="pinyin_overrides",
                key=word, before=None if old is None else dict(old),
                after={"pinyin": pinyin, "note": note},
            )  # fmt: skip

    def terms(self, list_name: str | None = None) -> list[Term]:
        where, args = where_clause([(f"list = {self._mark}", list_name)])
        rows = self._conn().execute(
            f"SELECT list, term, note, added_by FROM name_terms{where} ORDER BY list, term", args
        )
        return [from_row(Term, r) for r in rows]

    def add_term(self, term: Term, *, actor: str) -> None:
        with self._write() as conn:
            added = conn.execute(
                "INSERT INTO name_terms (list, term, note, added_by, added_at) "
                f"VALUES ({placeholders(self._mark, 5)}) ON CONFLICT (list, term) DO NOTHING "
                "RETURNING id",
                (term.list, term.term, term.note, actor, now_utc()),
            ).fetchone()
            if added is not None:
                self._audit(
                    conn, actor=actor, action="terms.add", entity="name_terms",
                    key=f"{term.list}:{term.term}", before=None,
                    after={"list": term.list, "term": term.term, "note": term.note},
                )  # fmt: skip

    def add_finding_override(self, name: str, rule_id: str, *, reason: str, actor: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO finding_overrides (name, rule_id, reason, actor, at) "
                f"VALUES ({placeholders(self._mark, 5)})",
                (name, rule_id, reason, actor, now_utc()),
            )
            self._audit(
                conn, actor=actor, action="findings.override", entity="finding_overrides",
                key=f"{name}:{rule_id}", before=None, after={"reason": reason},
            )  # fmt: skip

    def finding_overrides(self, name: str | None = None) -> list[FindingOverride]:
        where, args = where_clause([(f"name = {self._mark}", name)])
        rows = self._conn().execute(
            f"SELECT name, rule_id, reason, actor, at FROM finding_overrides{where} ORDER BY id",
            args,
        )
        return [from_row(FindingOverride, r) for r in rows]

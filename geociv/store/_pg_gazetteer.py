"""SQL of the gazetteer tables (names, name_history, pinyin_overrides, name_terms,
finding_overrides) for the PostGIS store. Mixed into :class:`~geociv.store.postgis.PostgisStore`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from geociv.store._pg_geometry import GEOM_IN, GEOM_OUT, from_wkb, to_wkb
from geociv.store._rows import from_row
from geociv.store.records import (
    FindingOverride,
    FormerName,
    NameRecord,
    Term,
    UpsertCounts,
    now_utc,
)
from geociv.store.shared import like_pattern, placeholders, upsert_outcome, where_clause

_NAME_FIELDS = (
    "name, specific, generic, category, division_code, pinyin, pinyin_reviewed, status, "
    "heritage_level, aliases, source, represents"
)
_NAME_COLUMNS = f"name_id, {_NAME_FIELDS}, {GEOM_OUT}, created_at, updated_at"


def _name(row: dict[str, Any], with_geometry: bool = True) -> NameRecord:
    return from_row(
        NameRecord,
        row,
        aliases=tuple(json.loads(row["aliases"])),
        geometry=from_wkb(row["geom"]) if with_geometry else None,
    )


class GazetteerPG:
    """Gazetteer methods of the PostGIS store (expects ``_conn``, ``_write`` and ``_audit``)."""

    _conn: Any
    _write: Any
    _audit: Any

    def upsert_names(
        self, records: Iterable[NameRecord], *, actor: str, action: str = "names.upsert"
    ) -> UpsertCounts:
        counts = UpsertCounts()
        stamp = now_utc()
        marks = placeholders("%s", 12)
        with self._write() as conn:
            for rec in records:
                row = conn.execute(
                    f"SELECT {_NAME_COLUMNS} FROM names WHERE name_id = %s FOR UPDATE",
                    (rec.name_id,),
                ).fetchone()
                old = None if row is None else _name(row)
                outcome = upsert_outcome(old, rec, old.geometry if old else None, rec.geometry)
                setattr(counts, outcome, getattr(counts, outcome) + 1)
                if outcome == "unchanged":
                    continue
                values = (
                    rec.name, rec.specific, rec.generic, rec.category, rec.division_code,
                    rec.pinyin, bool(rec.pinyin_reviewed), rec.status, rec.heritage_level,
                    json.dumps(list(rec.aliases), ensure_ascii=False), rec.source, rec.represents,
                )  # fmt: skip
                geometry = to_wkb("names", rec.geometry)
                if outcome == "inserted":
                    conn.execute(
                        f"INSERT INTO names (name_id, {_NAME_FIELDS}, geom, created_at, "
                        f"updated_at) VALUES (%s, {marks}, {GEOM_IN}, %s, %s)",
                        (rec.name_id, *values, geometry, rec.created_at or stamp, stamp),
                    )
                else:
                    conn.execute(
                        f"UPDATE names SET ({_NAME_FIELDS}, geom, updated_at) = "
                        f"({marks}, {GEOM_IN}, %s) WHERE name_id = %s",
                        (*values, geometry, stamp, rec.name_id),
                    )
                self._audit(
                    conn, actor=actor, action=action, entity="names", key=rec.name_id,
                    before=None if old is None else old.attributes(), after=rec.attributes(),
                )  # fmt: skip
        return counts

    def get_name(self, name_id: str) -> NameRecord | None:
        row = (
            self._conn()
            .execute(f"SELECT {_NAME_COLUMNS} FROM names WHERE name_id = %s", (name_id,))
            .fetchone()
        )
        return None if row is None else _name(row)

    def query_names(
        self,
        *,
        division_prefix: str | None = None,
        category: str | None = None,
        name: str | None = None,
        include_retired: bool = False,
        with_geometry: bool = False,
    ) -> list[NameRecord]:
        prefix = like_pattern(division_prefix, "prefix") if division_prefix else None
        where, args = where_clause(
            [
                ("division_code LIKE %s", prefix),
                ("category = %s", category or None),
                ("name = %s", name),
                ("status <> %s", None if include_retired else "retired"),
            ]
        )
        columns = (
            _NAME_COLUMNS if with_geometry else _NAME_COLUMNS.replace(GEOM_OUT, "NULL AS geom")
        )
        rows = self._conn().execute(
            f"SELECT {columns} FROM names{where} ORDER BY division_code, name", args
        )
        return [_name(r, with_geometry) for r in rows]

    def add_former_name(self, former: FormerName, *, actor: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO name_history (name_id, name, pinyin, valid_from, valid_to, note, "
                "case_id) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (former.name_id, former.name, former.pinyin, former.valid_from, former.valid_to,
                 former.note, former.case_id),
            )  # fmt: skip
            self._audit(
                conn, actor=actor, action="names.former_name", entity="names",
                key=former.name_id, before=None,
                after={"former_name": former.name, "valid_to": former.valid_to},
            )  # fmt: skip

    def former_names(self, name_id: str | None = None) -> list[FormerName]:
        where, args = where_clause([("name_id = %s", name_id)])
        rows = self._conn().execute(
            "SELECT name_id, name, pinyin, valid_from, valid_to, note, case_id "
            f"FROM name_history{where} ORDER BY id",
            args,
        )
        return [FormerName(**r) for r in rows]

    def pinyin_overrides(self) -> dict[str, tuple[str, str]]:
        rows = self._conn().execute("SELECT word, pinyin, note FROM pinyin_overrides")
        return {r["word"]: (r["pinyin"], r["note"]) for r in rows}

    def set_pinyin_override(self, word: str, pinyin: str, *, note: str, actor: str) -> None:
        with self._write() as conn:
            old = conn.execute(
                "SELECT pinyin, note FROM pinyin_overrides WHERE word = %s FOR UPDATE", (word,)
            ).fetchone()
            conn.execute(
                "INSERT INTO pinyin_overrides (word, pinyin, note, added_by, added_at) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (word) DO UPDATE SET "
                "pinyin = excluded.pinyin, note = excluded.note, added_by = excluded.added_by, "
                "added_at = excluded.added_at",
                (word, pinyin, note, actor, now_utc()),
            )
            self._audit(
                conn, actor=actor, action="pinyin.override", entity="pinyin_overrides",
                key=word, before=old, after={"pinyin": pinyin, "note": note},
            )  # fmt: skip

    def terms(self, list_name: str | None = None) -> list[Term]:
        where, args = where_clause([("list = %s", list_name)])
        rows = self._conn().execute(
            f"SELECT list, term, note, added_by FROM name_terms{where} ORDER BY list, term", args
        )
        return [Term(**r) for r in rows]

    def add_term(self, term: Term, *, actor: str) -> None:
        with self._write() as conn:
            added = conn.execute(
                "INSERT INTO name_terms (list, term, note, added_by, added_at) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (list, term) DO NOTHING RETURNING id",
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
                "VALUES (%s, %s, %s, %s, %s)",
                (name, rule_id, reason, actor, now_utc()),
            )
            self._audit(
                conn, actor=actor, action="findings.override", entity="finding_overrides",
                key=f"{name}:{rule_id}", before=None, after={"reason": reason},
            )  # fmt: skip

    def finding_overrides(self, name: str | None = None) -> list[FindingOverride]:
        where, args = where_clause([("name = %s", name)])
        rows = self._conn().execute(
            f"SELECT name, rule_id, reason, actor, at FROM finding_overrides{where} ORDER BY id",
            args,
        )
        return [FindingOverride(**r) for r in rows]

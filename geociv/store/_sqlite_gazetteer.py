"""SQL of the gazetteer tables (names, name_history, pinyin_overrides, name_terms,
finding_overrides) for the GeoPackage store. Mixed into :class:`~geociv.store.sqlite.SQLiteStore`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from geociv.store import _gpkg
from geociv.store._rows import from_row
from geociv.store._sqlite_schema import STORAGE_SRS_ID
from geociv.store.records import (
    FindingOverride,
    FormerName,
    NameRecord,
    Term,
    UpsertCounts,
    now_utc,
)
from geociv.store.shared import upsert_outcome

_NAME_COLUMNS = (
    "name_id, name, specific, generic, category, division_code, pinyin, pinyin_reviewed, "
    "status, heritage_level, aliases, source, represents, geom, created_at, updated_at"
)


def _name(row: sqlite3.Row, with_geometry: bool = True) -> NameRecord:
    return from_row(
        NameRecord,
        row,
        pinyin_reviewed=bool(row["pinyin_reviewed"]),
        aliases=tuple(json.loads(row["aliases"])),
        geometry=_gpkg.decode(row["geom"]) if with_geometry else None,
    )


class GazetteerSQL:
    """Gazetteer methods of the SQLite store (expects ``_conn``, ``_write`` and ``_audit``)."""

    _conn: Any
    _write: Any
    _audit: Any

    def upsert_names(
        self, records: Iterable[NameRecord], *, actor: str, action: str = "names.upsert"
    ) -> UpsertCounts:
        counts = UpsertCounts()
        stamp = now_utc()
        with self._write() as conn:
            for rec in records:
                row = conn.execute(
                    f"SELECT {_NAME_COLUMNS} FROM names WHERE name_id = ?", (rec.name_id,)
                ).fetchone()
                old = None if row is None else _name(row)
                outcome = upsert_outcome(old, rec, old.geometry if old else None, rec.geometry)
                if outcome == "unchanged":
                    counts.unchanged += 1
                    continue
                values = (
                    rec.name,
                    rec.specific,
                    rec.generic,
                    rec.category,
                    rec.division_code,
                    rec.pinyin,
                    int(rec.pinyin_reviewed),
                    rec.status,
                    rec.heritage_level,
                    json.dumps(list(rec.aliases), ensure_ascii=False),
                    rec.source,
                    rec.represents,
                    _gpkg.encode(rec.geometry, STORAGE_SRS_ID),
                    stamp,
                )
                if outcome == "inserted":
                    conn.execute(
                        "INSERT INTO names (name, specific, generic, category, division_code, "
                        "pinyin, pinyin_reviewed, status, heritage_level, aliases, source, "
                        "represents, geom, updated_at, created_at, name_id) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (*values, rec.created_at or stamp, rec.name_id),
                    )
                    counts.inserted += 1
                else:
                    conn.execute(
                        "UPDATE names SET name = ?, specific = ?, generic = ?, category = ?, "
                        "division_code = ?, pinyin = ?, pinyin_reviewed = ?, status = ?, "
                        "heritage_level = ?, aliases = ?, source = ?, represents = ?, geom = ?, "
                        "updated_at = ? WHERE name_id = ?",
                        (*values, rec.name_id),
                    )
                    counts.updated += 1
                self._audit(
                    conn,
                    actor=actor,
                    action=action,
                    entity="names",
                    key=rec.name_id,
                    before=None if old is None else old.attributes(),
                    after=rec.attributes(),
                )
        return counts

    def get_name(self, name_id: str) -> NameRecord | None:
        row = (
            self._conn()
            .execute(f"SELECT {_NAME_COLUMNS} FROM names WHERE name_id = ?", (name_id,))
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
        where, args = [], []
        if division_prefix:
            where.append("division_code LIKE ?")
            args.append(f"{division_prefix}%")
        if category:
            where.append("category = ?")
            args.append(category)
        if name is not None:
            where.append("name = ?")
            args.append(name)
        if not include_retired:
            where.append("status != 'retired'")
        columns = _NAME_COLUMNS if with_geometry else _NAME_COLUMNS.replace("geom", "NULL AS geom")
        sql = f"SELECT {columns} FROM names"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._conn().execute(sql + " ORDER BY division_code, name", args).fetchall()
        return [_name(r, with_geometry) for r in rows]

    def add_former_name(self, former: FormerName, *, actor: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO name_history (name_id, name, pinyin, valid_from, valid_to, note, "
                "case_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    former.name_id,
                    former.name,
                    former.pinyin,
                    former.valid_from,
                    former.valid_to,
                    former.note,
                    former.case_id,
                ),
            )
            self._audit(
                conn,
                actor=actor,
                action="names.former_name",
                entity="names",
                key=former.name_id,
                before=None,
                after={"former_name": former.name, "valid_to": former.valid_to},
            )

    def former_names(self, name_id: str | None = None) -> list[FormerName]:
        sql = "SELECT * FROM name_history"
        args: tuple[str, ...] = ()
        if name_id is not None:
            sql += " WHERE name_id = ?"
            args = (name_id,)
        rows = self._conn().execute(sql + " ORDER BY id", args).fetchall()
        return [
            FormerName(
                name_id=r["name_id"],
                name=r["name"],
                pinyin=r["pinyin"],
                valid_from=r["valid_from"],
                valid_to=r["valid_to"],
                note=r["note"],
                case_id=r["case_id"],
            )
            for r in rows
        ]

    def pinyin_overrides(self) -> dict[str, tuple[str, str]]:
        rows = self._conn().execute("SELECT word, pinyin, note FROM pinyin_overrides")
        return {r["word"]: (r["pinyin"], r["note"]) for r in rows}

    def set_pinyin_override(self, word: str, pinyin: str, *, note: str, actor: str) -> None:
        with self._write() as conn:
            old = conn.execute(
                "SELECT pinyin, note FROM pinyin_overrides WHERE word = ?", (word,)
            ).fetchone()
            conn.execute(
                "INSERT INTO pinyin_overrides (word, pinyin, note, added_by, added_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (word) DO UPDATE SET pinyin = excluded.pinyin, "
                "note = excluded.note, added_by = excluded.added_by, added_at = excluded.added_at",
                (word, pinyin, note, actor, now_utc()),
            )
            self._audit(
                conn,
                actor=actor,
                action="pinyin.override",
                entity="pinyin_overrides",
                key=word,
                before=None if old is None else dict(old),
                after={"pinyin": pinyin, "note": note},
            )

    def terms(self, list_name: str | None = None) -> list[Term]:
        sql = "SELECT list, term, note, added_by FROM name_terms"
        args: tuple[str, ...] = ()
        if list_name is not None:
            sql += " WHERE list = ?"
            args = (list_name,)
        rows = self._conn().execute(sql + " ORDER BY list, term", args).fetchall()
        return [Term(r["list"], r["term"], r["note"], r["added_by"]) for r in rows]

    def add_term(self, term: Term, *, actor: str) -> None:
        with self._write() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO name_terms (list, term, note, added_by, added_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (term.list, term.term, term.note, actor, now_utc()),
            )
            if cur.rowcount:
                self._audit(
                    conn,
                    actor=actor,
                    action="terms.add",
                    entity="name_terms",
                    key=f"{term.list}:{term.term}",
                    before=None,
                    after={"list": term.list, "term": term.term, "note": term.note},
                )

    def add_finding_override(self, name: str, rule_id: str, *, reason: str, actor: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO finding_overrides (name, rule_id, reason, actor, at) "
                "VALUES (?, ?, ?, ?, ?)",
                (name, rule_id, reason, actor, now_utc()),
            )
            self._audit(
                conn,
                actor=actor,
                action="findings.override",
                entity="finding_overrides",
                key=f"{name}:{rule_id}",
                before=None,
                after={"reason": reason},
            )

    def finding_overrides(self, name: str | None = None) -> list[FindingOverride]:
        sql = "SELECT name, rule_id, reason, actor, at FROM finding_overrides"
        args: tuple[str, ...] = ()
        if name is not None:
            sql += " WHERE name = ?"
            args = (name,)
        rows = self._conn().execute(sql + " ORDER BY id", args).fetchall()
        return [
            FindingOverride(r["name"], r["rule_id"], r["reason"], r["actor"], r["at"]) for r in rows
        ]

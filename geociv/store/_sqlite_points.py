"""Shared SQL for point feature tables edited field by field (signs, facilities)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from geociv.store import _gpkg
from geociv.store._sqlite_schema import STORAGE_SRS_ID
from geociv.store.records import now_utc
from geociv.store.shared import check_fields

T = TypeVar("T")


def update_point_record(
    conn: sqlite3.Connection,
    *,
    table: str,
    key_column: str,
    key: str,
    changes: dict[str, Any],
    allowed: set[str] | frozenset[str],
    label: str,
    load: Callable[[sqlite3.Connection, str], T],
    audit: Callable[..., None],
    actor: str,
) -> T:
    """Change fields of one row (``location`` is stored as the ``geom`` blob), stamp
    ``updated_at`` and audit before/after, inside the caller's transaction."""
    check_fields(changes, allowed, label)
    before = load(conn, key)
    if not changes:
        return before
    columns = {("geom" if k == "location" else k): v for k, v in changes.items()}
    if "geom" in columns:
        columns["geom"] = _gpkg.encode(columns["geom"], STORAGE_SRS_ID)
    sets = [f"{k} = ?" for k in columns] + ["updated_at = ?"]
    conn.execute(
        f"UPDATE {table} SET {', '.join(sets)} WHERE {key_column} = ?",
        (*columns.values(), now_utc(), key),
    )
    after = load(conn, key)
    audit(
        conn, actor=actor, action=f"{table}.update", entity=table, key=key,
        before=before.attributes(), after=after.attributes(),  # type: ignore[attr-defined]
    )  # fmt: skip
    return after

"""New ids of the GeoPackage store: the next serial of an id format (:data:`ID_FORMATS`) read
from the table inside the write's transaction (SQLite has one writer at a time)."""

from __future__ import annotations

import sqlite3

from geociv.store.shared import ID_FORMATS, next_serial


def first_free_serial(conn: sqlite3.Connection, table: str, year: str | None = None) -> int:
    """The serial the next id of ``table`` (of the ``year`` for a yearly series) gets."""
    ids = ID_FORMATS[table]
    prefix = ids.prefix(year)
    keys = conn.execute(
        f"SELECT {ids.column} FROM {table} WHERE {ids.column} LIKE ?", (f"{prefix}%",)
    )
    return next_serial((k for (k,) in keys), prefix)


def new_id(conn: sqlite3.Connection, table: str, year: str | None = None) -> str:
    """The next id of ``table`` (of the ``year`` for a yearly series), e.g. ``F000012``."""
    return ID_FORMATS[table].make(first_free_serial(conn, table, year), year)

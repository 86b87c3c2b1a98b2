"""Look at a store from outside geociv, through a fresh connection (as after a restart), on
either backend: a GeoPackage file with :mod:`sqlite3`, a PostGIS database with psycopg."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from geociv.store import is_server_url as is_server


def rows(store: str | Path, sql: str) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` (no parameters; the same text on both backends)."""
    if is_server(store):
        import psycopg

        with psycopg.connect(str(store), autocommit=True) as conn:
            return [tuple(r) for r in conn.execute(sql).fetchall()]
    import sqlite3

    conn = sqlite3.connect(store)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def scalar(store: str | Path, sql: str) -> Any:
    """The one value of ``sql``."""
    return rows(store, sql)[0][0]


def integrity(store: str | Path) -> str:
    """``"ok"`` when the store is sound: SQLite's integrity check on a GeoPackage; on PostGIS,
    ``amcheck`` over every B-tree index of the geociv tables (an index that disagrees with its
    table raises)."""
    if not is_server(store):
        return str(scalar(store, "PRAGMA integrity_check"))
    import psycopg

    with psycopg.connect(str(store), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        indexes = conn.execute(
            "SELECT c.oid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE a.amname = 'btree' AND n.nspname = 'public'"
        ).fetchall()
        for (oid,) in indexes:
            conn.execute("SELECT bt_index_check(%s, true)", (oid,))
    return "ok" if indexes else "no indexes"


def writing(store: str | Path) -> bool:
    """Whether a write transaction is open on the store now (another process's): the
    GeoPackage's WAL has grown past 2 MB, or a PostGIS session that holds geociv's write lock
    has written rows (it has a transaction id)."""
    if is_server(store):
        held = (
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND a.backend_xid IS NOT NULL"
        )
        return scalar(store, held) > 0
    wal = Path(f"{store}-wal")
    return wal.exists() and wal.stat().st_size > 2_000_000

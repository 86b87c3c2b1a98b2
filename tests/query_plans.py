"""Helpers of the tests that a filter is answered by an index, whatever the store's size: bulk
rows written fast, the SQL a store method ran, and the plan each database chooses for it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from geociv.store import Store


def bulk_insert(store: Store, sql: str, rows: Iterable[tuple]) -> None:
    """Write ``rows`` with one ``executemany`` of ``sql`` in one transaction of a GeoPackage
    store (its triggers fill the R-trees as for any write)."""
    with store.transaction():
        store._conn().executemany(sql, list(rows))


@contextmanager
def statements(conn: Any) -> Iterator[list[str]]:
    """The SQL statements run on the SQLite connection ``conn`` inside the block."""
    ran: list[str] = []
    conn.set_trace_callback(ran.append)
    try:
        yield ran
    finally:
        conn.set_trace_callback(None)


def sqlite_plan(conn: Any, sql: str) -> str:
    """SQLite's ``EXPLAIN QUERY PLAN`` of ``sql`` (arguments already bound), one line."""
    return " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql))


def pg_plan(conn: Any, sql: str, args: Iterable[Any]) -> str:
    """PostgreSQL's ``EXPLAIN`` of ``sql`` with ``args``, one line."""
    return " | ".join(r["QUERY PLAN"] for r in conn.execute("EXPLAIN " + sql, tuple(args)))

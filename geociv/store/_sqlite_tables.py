"""The GeoPackage store's tables as rows (:class:`~geociv.store.tables.TableAccess`): geometries
through the store's own blob codec, AUTOINCREMENT counters in ``sqlite_sequence``, record ids
counted from the table itself (so nothing to keep for them)."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from geociv.store.tables import GEOMETRY_COLUMN, SCHEMA_KEY, TABLES, TableAccess, TableShape

#: Rows written per ``executemany``.
_BATCH = 500


def _is_bookkeeping(name: str) -> bool:
    """GeoPackage registrations, SQLite's own tables and spatial index tables."""
    return name.startswith(("gpkg_", "sqlite_", "rtree_"))


def _select(table: str) -> str:
    """``FROM`` and ``WHERE`` of a table's data rows (the schema version is not data)."""
    if table == "geociv_meta":
        return f"FROM geociv_meta WHERE key <> '{SCHEMA_KEY}'"
    return f'FROM "{table}"'


class SQLiteTables(TableAccess):
    """:class:`TableAccess` of :class:`~geociv.store.sqlite.SQLiteStore`."""

    def table_shapes(self) -> dict[str, TableShape]:
        conn: sqlite3.Connection = self._conn()  # type: ignore[attr-defined]
        names = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not _is_bookkeeping(r[0])
        ]
        shapes = {}
        for name in names:
            info = conn.execute(f'PRAGMA table_info("{name}")').fetchall()
            key = next((r[1] for r in info if r[5] == 1), "rowid")
            shapes[name] = TableShape(name, tuple(r[1] for r in info), key)
        return shapes

    @contextmanager
    def read_snapshot(self) -> Iterator[None]:
        # in WAL mode a read transaction sees the file as of its first read, whatever commits
        conn = self._conn()  # type: ignore[attr-defined]
        conn.execute("BEGIN")
        try:
            conn.execute("SELECT count(*) FROM geociv_meta").fetchone()  # the snapshot starts
            yield
        finally:
            conn.execute("ROLLBACK")

    def count_rows(self, table: str) -> int:
        return self._conn().execute(f"SELECT count(*) {_select(table)}").fetchone()[0]  # type: ignore[attr-defined]

    def iter_rows(self, shape: TableShape) -> Iterator[tuple[Any, ...]]:
        columns = ", ".join(f'"{c}"' for c in shape.columns)
        at = shape.columns.index(GEOMETRY_COLUMN) if GEOMETRY_COLUMN in shape.columns else -1
        rows = self._conn().execute(  # type: ignore[attr-defined]
            f'SELECT {columns} {_select(shape.name)} ORDER BY "{shape.key}"'
        )
        for row in rows:
            if at < 0:
                yield tuple(row)
            else:
                values = list(row)
                values[at] = self._decode_geom(values[at])  # type: ignore[attr-defined]
                yield tuple(values)

    def load_rows(self, shape: TableShape, rows: Iterable[tuple[Any, ...]]) -> int:
        columns = ", ".join(f'"{c}"' for c in shape.columns)
        marks = ", ".join("?" * len(shape.columns))
        sql = f'INSERT INTO "{shape.name}" ({columns}) VALUES ({marks})'
        at = shape.columns.index(GEOMETRY_COLUMN) if GEOMETRY_COLUMN in shape.columns else -1
        done = 0
        with self._write() as conn:  # type: ignore[attr-defined]
            rows = iter(rows)
            while batch := list(itertools.islice(rows, _BATCH)):
                if at >= 0:
                    batch = [self._encoded(shape.name, row, at) for row in batch]
                conn.executemany(sql, batch)
                done += len(batch)
        return done

    def _encoded(self, table: str, row: tuple[Any, ...], at: int) -> tuple[Any, ...]:
        values = list(row)
        values[at] = self._encode_geom(table, values[at])  # type: ignore[attr-defined]
        return tuple(values)

    def row_counters(self) -> dict[str, int]:
        rows = self._conn().execute("SELECT name, seq FROM sqlite_sequence")  # type: ignore[attr-defined]
        return {name: int(seq) for name, seq in rows if name in TABLES}

    def refresh_statistics(self) -> None:
        self._conn().execute("ANALYZE")  # type: ignore[attr-defined]

    def keep_counters(self, counters: dict[str, int]) -> None:
        # SQLite already moved each AUTOINCREMENT counter past the rows loaded with their ids
        with self._write() as conn:  # type: ignore[attr-defined]
            for table, last in counters.items():
                if table not in TABLES:
                    continue
                changed = conn.execute(
                    "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (last, table)
                ).rowcount
                if not changed:
                    conn.execute(
                        "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, last)
                    )

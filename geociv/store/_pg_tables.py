"""The PostGIS store's tables as rows (:class:`~geociv.store.tables.TableAccess`): geometries as
WKB through PostGIS, rows streamed by a server-side cursor, identity sequences and the record id
series (``id_counters``) moved past the loaded rows."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from geociv.store._pg_geometry import GEOM_IN, GEOM_OUT, from_wkb, to_wkb
from geociv.store._pg_ids import keep_series
from geociv.store.shared import ID_FORMATS
from geociv.store.tables import GEOMETRY_COLUMN, TABLES, TableAccess, TableShape

#: The server's own tables in the store's schema (not data of the store).
_BOOKKEEPING = frozenset({"geociv_schema", "id_counters", "spatial_ref_sys"})
#: Rows fetched (and written) per round trip.
_BATCH = 500

_COLUMNS = """
SELECT c.relname AS table_name, a.attname AS column_name,
       format_type(a.atttypid, a.atttypmod) AS data_type,
       coalesce(a.attnum = ANY(i.indkey), false) AS is_key
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
WHERE n.nspname = current_schema() AND c.relkind = 'r'
ORDER BY c.relname, a.attnum
"""

_IDENTITIES = """
SELECT c.relname AS tbl, a.attname AS col,
       pg_get_serial_sequence(quote_ident(c.relname), a.attname) AS seq
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attidentity <> ''
"""


class PgTables(TableAccess):
    """:class:`TableAccess` of :class:`~geociv.store.postgis.PostgisStore`."""

    def _columns(self) -> list[dict[str, Any]]:
        return self._conn().execute(_COLUMNS).fetchall()  # type: ignore[attr-defined]

    def table_shapes(self) -> dict[str, TableShape]:
        columns: dict[str, list[str]] = {}
        keys: dict[str, str] = {}
        for row in self._columns():
            if row["table_name"] in _BOOKKEEPING:
                continue
            columns.setdefault(row["table_name"], []).append(row["column_name"])
            if row["is_key"]:
                keys[row["table_name"]] = row["column_name"]
        return {
            name: TableShape(name, tuple(cols), keys.get(name, cols[0]))
            for name, cols in columns.items()
        }

    @contextmanager
    def read_snapshot(self) -> Iterator[None]:
        conn = self._conn()  # type: ignore[attr-defined]
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield

    def count_rows(self, table: str) -> int:
        row = self._conn().execute(f'SELECT count(*) AS n FROM "{table}"').fetchone()  # type: ignore[attr-defined]
        return int(row["n"])

    def iter_rows(self, shape: TableShape) -> Iterator[tuple[Any, ...]]:
        from psycopg.rows import tuple_row

        columns = ", ".join(GEOM_OUT if c == GEOMETRY_COLUMN else f'"{c}"' for c in shape.columns)
        at = shape.columns.index(GEOMETRY_COLUMN) if GEOMETRY_COLUMN in shape.columns else -1
        conn = self._conn()  # type: ignore[attr-defined]
        with conn.transaction(), conn.cursor(name="geociv_dump", row_factory=tuple_row) as cur:
            cur.itersize = _BATCH
            cur.execute(f'SELECT {columns} FROM "{shape.name}" ORDER BY "{shape.key}"')
            for row in cur:
                if at < 0:
                    yield row
                else:
                    values = list(row)
                    values[at] = from_wkb(values[at])
                    yield tuple(values)

    def load_rows(self, shape: TableShape, rows: Iterable[tuple[Any, ...]]) -> int:
        flags = {
            r["column_name"]
            for r in self._columns()
            if r["table_name"] == shape.name and r["data_type"] == "boolean"
        }
        marks = ", ".join(GEOM_IN if c == GEOMETRY_COLUMN else "%s" for c in shape.columns)
        columns = ", ".join(f'"{c}"' for c in shape.columns)
        sql = f'INSERT INTO "{shape.name}" ({columns}) VALUES ({marks})'
        convert = [_converter(shape.name, c, flags) for c in shape.columns]
        done = 0
        with self._write() as conn:  # type: ignore[attr-defined]
            rows = iter(rows)
            while batch := list(itertools.islice(rows, _BATCH)):
                params = [tuple(f(v) for f, v in zip(convert, row, strict=True)) for row in batch]
                conn.cursor().executemany(sql, params)
                done += len(batch)
        return done

    def row_counters(self) -> dict[str, int]:
        conn = self._conn()  # type: ignore[attr-defined]
        counters = {}
        for ident in conn.execute(_IDENTITIES).fetchall():
            seq = conn.execute(f"SELECT last_value, is_called FROM {ident['seq']}").fetchone()
            if ident["tbl"] in TABLES:
                counters[ident["tbl"]] = seq["last_value"] if seq["is_called"] else 0
        return counters

    def refresh_statistics(self) -> None:
        self._conn().execute("ANALYZE")  # type: ignore[attr-defined]

    def keep_counters(self, counters: dict[str, int]) -> None:
        with self._write() as conn:  # type: ignore[attr-defined]
            for ident in conn.execute(_IDENTITIES).fetchall():
                table, column = ident["tbl"], ident["col"]
                top = conn.execute(f'SELECT max("{column}") AS top FROM "{table}"').fetchone()
                last = max(counters.get(table, 0), top["top"] or 0)
                conn.execute("SELECT setval(%s, %s, %s)", (ident["seq"], max(last, 1), last >= 1))
            for table, ids in ID_FORMATS.items():
                keys = conn.execute(f'SELECT "{ids.column}" AS k FROM "{table}"').fetchall()
                keep_series(conn, table, (r["k"] for r in keys))


def _converter(table: str, column: str, flags: set[str]) -> Any:
    """How a neutral value of ``column`` is bound: geometries as WKB, flags as booleans."""
    if column == GEOMETRY_COLUMN:
        return lambda value: to_wkb(table, value)
    if column in flags:
        return lambda value: None if value is None else bool(value)
    return lambda value: value

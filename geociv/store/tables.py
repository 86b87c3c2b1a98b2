"""A whole store as tables and rows, the same on every backend: what ``geociv store copy`` moves.

This is the store below the domain API: every table with its rows as they are kept (ids, geometry,
blobs, password hashes, the audit log), read in primary-key order and written back without
touching the audit log or making new ids. Each backend implements :class:`TableAccess`; the
values it gives and takes are backend-neutral: geometries as shapely objects, blobs as
``bytes``, flags as ``bool`` or ``0``/``1``, times as the ISO-8601 text both backends keep.

:func:`table_digest` is computed the same way on both sides of a copy (see
:mod:`geociv.transfer`): canonical values, geometries as 2-D WKB of the multi-part form the
column keeps, with coordinates rounded to :data:`GEOMETRY_DECIMALS` places.
"""

from __future__ import annotations

import hashlib
import struct
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

#: Every table of a geociv store, parents before the tables that point at them (the order rows
#: are loaded in). The backends' own bookkeeping (GeoPackage registrations, ``sqlite_sequence``,
#: ``geociv_schema``, ``id_counters``, PostGIS's ``spatial_ref_sys``) is not a store table: the
#: destination keeps its own, and counters travel through :meth:`TableAccess.row_counters`.
TABLES: tuple[str, ...] = (
    "geociv_meta", "divisions", "users", "audit_log", "login_attempts",
    "names", "name_history", "pinyin_overrides", "name_terms", "finding_overrides",
    "name_cases", "name_case_events", "name_case_documents", "signs", "sign_patrols",
    "boundary_lines", "markers", "marker_references", "boundary_photos", "inspection_rounds",
    "inspection_plans", "inspection_records", "inspection_signatures",
    "facilities", "coverage_runs", "road_networks", "road_edges", "population_rasters",
    "zone_sets", "coverage_zones",
    "division_versions", "division_cases", "division_case_events", "division_case_documents",
    "division_proposals", "survey_tasks",
)  # fmt: skip

#: The ``geociv_meta`` key each backend keeps its schema version under, if it does (not data).
SCHEMA_KEY = "schema_version"

#: Decimal places of degrees kept when geometries are compared (1e-9° is about 0.1 mm).
GEOMETRY_DECIMALS = 9

#: The geometry column of the feature tables.
GEOMETRY_COLUMN = "geom"


@dataclass(frozen=True)
class TableShape:
    """One table as a backend keeps it: its columns (in the table's order) and primary key."""

    name: str
    columns: tuple[str, ...]
    key: str


class TableAccess(ABC):
    """Rows of the store's tables, read and written below the domain API (no audit entries,
    ids kept). Loading is meant for an empty store inside one :meth:`Store.transaction`."""

    @abstractmethod
    def table_shapes(self) -> dict[str, TableShape]:
        """Every table of the store that is not the backend's own bookkeeping, by name."""

    @abstractmethod
    def read_snapshot(self) -> AbstractContextManager[None]:
        """Read every table as of one moment, while other connections go on writing (the
        reads of this thread inside the block; nothing is written in it)."""

    @abstractmethod
    def count_rows(self, table: str) -> int:
        """How many rows ``table`` has (``geociv_meta`` without the schema version)."""

    @abstractmethod
    def iter_rows(self, shape: TableShape) -> Iterator[tuple[Any, ...]]:
        """The rows of a table, values in ``shape.columns`` order, by primary key."""

    @abstractmethod
    def load_rows(self, shape: TableShape, rows: Iterable[tuple[Any, ...]]) -> int:
        """Insert ``rows`` (values in ``shape.columns`` order) as they are; return how many."""

    @abstractmethod
    def row_counters(self) -> dict[str, int]:
        """The last row id each table's counter gave (AUTOINCREMENT, identity sequence)."""

    @abstractmethod
    def keep_counters(self, counters: dict[str, int]) -> None:
        """After a load: every counter past the loaded rows and at least at ``counters``,
        and the record id series (``F000012``…) past the loaded ids."""

    @abstractmethod
    def refresh_statistics(self) -> None:
        """After a load: the query planner's table statistics gathered now (``ANALYZE``), not
        left at the empty tables' until the database gets round to it."""


def geometry_key(table: str, geometry: Any) -> bytes:
    """The comparable form of a geometry of ``table``: 2-D ISO WKB of the geometry as the
    column keeps it (a single part of a multi-part column made multi), coordinates rounded."""
    import numpy as np
    import shapely

    from geociv.store._pg_geometry import for_column

    geometry = for_column(table, shapely.force_2d(geometry))
    rounded = shapely.transform(geometry, lambda xy: np.round(xy, GEOMETRY_DECIMALS))
    return shapely.to_wkb(rounded, byte_order=1, flavor="iso")


def _value_bytes(table: str, column: str, value: Any) -> bytes:
    """A value as tagged bytes, equal for equal values whichever backend read them."""
    if value is None:
        return b"N"
    if column == GEOMETRY_COLUMN:
        return b"G" + geometry_key(table, value)
    if isinstance(value, float) and not value.is_integer():
        return b"F" + repr(value).encode()
    if isinstance(value, bool | int | float):  # 1, 1.0 and True alike: flags differ by backend
        return b"I" + str(int(value)).encode()
    if isinstance(value, bytes | bytearray | memoryview):
        return b"B" + bytes(value)
    return b"S" + str(value).encode()


class TableDigest:
    """The running ``(rows, SHA-256)`` of a table's rows in key order; columns are taken by
    name (sorted), so both backends give the same digest for the same content."""

    def __init__(self, shape: TableShape) -> None:
        self._shape = shape
        self._order = sorted(range(len(shape.columns)), key=lambda i: shape.columns[i])
        self._digest = hashlib.sha256(",".join(sorted(shape.columns)).encode() + b"\n")
        self.rows = 0

    def add(self, row: tuple[Any, ...]) -> None:
        """Count one more row (values in the shape's column order)."""
        for i in self._order:
            part = _value_bytes(self._shape.name, self._shape.columns[i], row[i])
            self._digest.update(struct.pack(">I", len(part)) + part)
        self._digest.update(b"\n")
        self.rows += 1

    def hexdigest(self) -> str:
        """The SHA-256 of the rows so far."""
        return self._digest.hexdigest()


def table_digest(shape: TableShape, rows: Iterable[tuple[Any, ...]]) -> TableDigest:
    """The digest of all of ``rows`` (see :class:`TableDigest`)."""
    digest = TableDigest(shape)
    for row in rows:
        digest.add(row)
    return digest

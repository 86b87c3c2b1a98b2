"""Turning database rows into the store's record dataclasses."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def from_row(cls: type[T], row: Any, **given: Any) -> T:
    """Build the dataclass ``cls`` from a row: each field from ``given`` if there, else from the
    row's column of the same name, else its default. ``given`` carries the fields that need a
    conversion (a decoded geometry, ``bool`` of an integer flag, parsed JSON, child records).

    >>> import sqlite3
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Point:
    ...     name: str
    ...     ok: bool = False
    ...     note: str = "-"
    >>> conn = sqlite3.connect(":memory:"); conn.row_factory = sqlite3.Row
    >>> row = conn.execute("SELECT 'a' AS name, 1 AS ok").fetchone()
    >>> from_row(Point, row, ok=bool(row["ok"]))
    Point(name='a', ok=True, note='-')
    """
    columns = set(row.keys())
    values = {
        f.name: given[f.name] if f.name in given else row[f.name]
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.name in given or f.name in columns
    }
    return cls(**values)

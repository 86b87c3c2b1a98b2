"""New ids of the PostGIS store: each id series (``F``, ``C2026-``…, see
:data:`~geociv.store.shared.ID_FORMATS`) is a row of ``id_counters`` incremented in the writing
transaction, never ``max() + 1`` over the table. The row lock orders concurrent writers of one
series; a rolled-back write gives its serial back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from geociv.store.shared import ID_FORMATS


def new_id(conn: Any, table: str, year: str | None = None) -> str:
    """The next id of ``table`` (of the ``year`` for a yearly series), e.g. ``F000012``."""
    ids = ID_FORMATS[table]
    row = conn.execute(
        "INSERT INTO id_counters (series, last) VALUES (%s, 1) ON CONFLICT (series) "
        "DO UPDATE SET last = id_counters.last + 1 RETURNING last",
        (ids.prefix(year),),
    ).fetchone()
    return ids.make(row["last"], year)


def note_given_id(conn: Any, table: str, key: str, year: str | None = None) -> None:
    """Keep the series of ``table`` past an id given by the caller (``F000040`` given: the
    next one made is ``F000041``), as the GeoPackage store's max-based ids do."""
    ids = ID_FORMATS[table]
    serial = ids.serial_of(key, year)
    if serial is not None:
        conn.execute(
            "INSERT INTO id_counters (series, last) VALUES (%s, %s) ON CONFLICT (series) "
            "DO UPDATE SET last = greatest(id_counters.last, excluded.last)",
            (ids.prefix(year), serial),
        )


def series_tops(table: str, keys: Iterable[str]) -> dict[str, int]:
    """The largest serial of each series (prefix) among ids of ``table`` (other forms ignored).

    >>> series_tops("name_cases", ["C2025-0003", "C2026-0001", "C2026-0012", "x"])
    {'C2025-': 3, 'C2026-': 12}
    """
    ids = ID_FORMATS[table]
    tops: dict[str, int] = {}
    for key in keys:
        year = key[len(ids.letter) : len(ids.letter) + 4] if ids.yearly else None
        if ids.yearly and not (year and year.isdigit()):
            continue
        serial = ids.serial_of(key, year)
        if serial is not None:
            prefix = ids.prefix(year)
            tops[prefix] = max(tops.get(prefix, 0), serial)
    return tops


def keep_series(conn: Any, table: str, keys: Iterable[str]) -> None:
    """Move the counters of ``table``'s series past ``keys`` (ids loaded as they are)."""
    for prefix, serial in series_tops(table, keys).items():
        conn.execute(
            "INSERT INTO id_counters (series, last) VALUES (%s, %s) ON CONFLICT (series) "
            "DO UPDATE SET last = greatest(id_counters.last, excluded.last)",
            (prefix, serial),
        )

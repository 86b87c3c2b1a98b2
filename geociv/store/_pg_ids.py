"""New ids of the PostGIS store: each id series (``F``, ``C2026-``…, see
:data:`~geociv.store.shared.ID_FORMATS`) is a row of ``id_counters`` incremented in the writing
transaction, never ``max() + 1`` over the table. The row lock orders concurrent writers of one
series; a rolled-back write gives its serial back.
"""

from __future__ import annotations

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

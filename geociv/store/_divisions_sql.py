"""SQL of the division reads, shared by both backends.

Mixed into :class:`~geociv.store.sqlite.SQLiteStore` and
:class:`~geociv.store.postgis.PostgisStore`; what differs is asked of the store: the driver's
placeholder (``_mark``), the geometry hooks (``_geom_out``, ``_decode_geom``) and the box
filter on the spatial index (``_bbox_sql``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from geociv.store._rows import from_row
from geociv.store.change_records import DivisionVersion
from geociv.store.records import Division
from geociv.store.shared import box_condition, division_where, split_codes

#: Columns of an earlier version, named as the divisions table names them.
_VERSION_COLUMNS = "code, name, level, parent_code, kind, valid_from, valid_to, change_case"
#: An earlier version in the columns (and their order) of :meth:`_division_columns`.
_OLD_AS_DIVISION = (
    "code, name, level, parent_code, kind, NULL AS geom, NULL AS area_km2, '' AS source, "
    "valid_from, valid_to, '' AS predecessors, change_case"
)

#: Codes looked up per statement (below SQLite's limit of bound parameters).
_CHUNK = 500


class DivisionReadsSQL:
    """``get_division``, ``query_divisions``, ``count_divisions`` and ``division_names``
    (expects ``_conn``, ``_mark``, ``_geom_out``, ``_decode_geom`` and ``_bbox_sql``)."""

    _conn: Any
    _mark: str
    _bbox_sql: Any
    _geom_out = "geom"
    _decode_geom: Any

    def _division_columns(self, with_geometry: bool = True) -> str:
        geom = self._geom_out if with_geometry else "NULL AS geom"
        return (
            f"code, name, level, parent_code, kind, {geom}, area_km2, source, "
            "valid_from, valid_to, predecessors, change_case"
        )

    def _division(self, row: Any, with_geometry: bool = True) -> Division:
        geometry = self._decode_geom(row["geom"]) if with_geometry else None
        return from_row(
            Division, row, geometry=geometry, predecessors=split_codes(row["predecessors"])
        )

    def get_division(self, code: str, *, on: str | None = None) -> Division | None:
        if on is not None:
            found = self.query_divisions(code=code, on=on)
            return found[0] if found else None
        sql = f"SELECT {self._division_columns()} FROM divisions WHERE code = {self._mark}"
        row = self._conn().execute(sql, (code,)).fetchone()
        return None if row is None else self._division(row)

    def division_versions(self, code: str) -> list[DivisionVersion]:
        sql = (
            f"SELECT {_VERSION_COLUMNS}, recorded_at FROM division_versions "
            f"WHERE code = {self._mark} ORDER BY valid_to, id"
        )
        return [from_row(DivisionVersion, r) for r in self._conn().execute(sql, (code,))]

    def query_divisions(
        self,
        *,
        parent: str | None = None,
        level: str | None = None,
        name: str | None = None,
        match: str = "exact",
        include_statistical: bool = True,
        with_geometry: bool = True,
        limit: int | None = None,
        within: str | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        on: str | None = None,
        code: str | None = None,
    ) -> list[Division]:
        filters = {
            "parent": parent, "level": level, "name": name, "match": match, "code": code,
            "include_statistical": include_statistical, "within": within, "mark": self._mark,
        }  # fmt: skip
        where, args = division_where(
            **filters, on=on, extra=box_condition(self._bbox_sql, "divisions", bbox)
        )
        sql = f"SELECT {self._division_columns(with_geometry)} FROM divisions{where}"
        if on is not None and bbox is None:  # earlier versions have no polygon of their own
            old_where, old_args = division_where(**filters, on=on, table="division_versions")
            sql += f" UNION ALL SELECT {_OLD_AS_DIVISION} FROM division_versions{old_where}"
            args = [*args, *old_args]
        sql += " ORDER BY code" + ("" if limit is None else f" LIMIT {int(limit)}")
        rows = self._conn().execute(sql, args).fetchall()
        return [self._division(r, with_geometry) for r in rows]

    def count_divisions(
        self, *, within: str | None = None, include_statistical: bool = True
    ) -> dict[str, int]:
        where, args = division_where(
            within=within, include_statistical=include_statistical, mark=self._mark, on=None
        )
        sql = f"SELECT level, count(*) AS n FROM divisions{where} GROUP BY level"
        return {r["level"]: r["n"] for r in self._conn().execute(sql, args)}

    def division_names(self, codes: Iterable[str]) -> dict[str, str]:
        wanted = sorted({str(c) for c in codes if c})
        names: dict[str, str] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ", ".join([self._mark] * len(chunk))
            sql = f"SELECT code, name FROM divisions WHERE code IN ({marks})"
            names.update((r["code"], r["name"]) for r in self._conn().execute(sql, chunk))
        return names

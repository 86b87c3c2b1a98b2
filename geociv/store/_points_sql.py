"""SQL of the point records edited field by field — place-name signs (with their patrols) and
facilities — and of the coverage runs.

The same SQL serves both backends (mixed into :class:`~geociv.store.sqlite.SQLiteStore` and
:class:`~geociv.store.postgis.PostgisStore`); what differs is asked of the store: the driver's
placeholder (``_mark``), the geometry hooks (``_geom_in``, ``_geom_out``, ``_encode_geom``,
``_decode_geom``), the box filter on the spatial index (``_bbox_sql``) and the ids
(``_take_id`` for one, ``_new_ids`` for a batch).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from geociv.errors import DuplicateError, StoreError
from geociv.store._rows import from_row
from geociv.store.records import CoverageRun, Facility, Patrol, Sign, now_utc
from geociv.store.shared import (
    FACILITY_FIELDS,
    SIGN_FIELDS,
    box_condition,
    check_fields,
    placeholders,
    where_clause,
)
from geociv.uploads.media import thumbnail

T = TypeVar("T")

_SIGN_FIELDS = "name_id, sign_type, text, pinyin, installed_on, status, installer, remarks"
_FACILITY_FIELDS = (
    "name, type, capacity_beds, status, division_code, address, source, sample, created_by"
)
_PATROL_META = (
    "id, sign_id, patrolled_on, condition, inspector, remarks, photo_filename, recorded_by, "
    "recorded_at"
)
_RUN_COLUMNS = "run_id, created_at, actor, kind, params_json, summary_json"
#: What a read gives besides: why the run no longer matches the divisions (empty: it does).
_RUN_READ = _RUN_COLUMNS + ", stale"


class PointsSQL:
    """Signs, patrols, facilities and coverage runs of a store (expects ``_conn``, ``_write``,
    ``_audit`` and the backend's hooks named in the module notes)."""

    _conn: Any
    _write: Any
    _audit: Any
    _take_id: Any
    _new_ids: Any
    _encode_geom: Any
    _decode_geom: Any
    _bbox_sql: Any
    _mark = "?"
    _geom_in = "?"
    _geom_out = "geom"

    def _insert_point(self, conn: Any, table: str, key_column: str, key: str, fields: str,
                      values: tuple[Any, ...], location: Any, label: str) -> None:  # fmt: skip
        """Insert one point record stamped now; a taken key is a :class:`DuplicateError`."""
        m, stamp = self._mark, now_utc()
        if conn.execute(f"SELECT 1 FROM {table} WHERE {key_column} = {m}", (key,)).fetchone():
            raise DuplicateError(f"{label} {key} 已存在")
        conn.execute(
            f"INSERT INTO {table} ({key_column}, {fields}, geom, created_at, updated_at) "
            f"VALUES ({m}, {placeholders(m, len(values))}, {self._geom_in}, {m}, {m})",
            (key, *values, self._encode_geom(table, location), stamp, stamp),
        )

    def _update_point(self, conn: Any, *, table: str, key_column: str, key: str,
                      changes: dict[str, Any], allowed: frozenset[str], label: str,
                      load: Callable[[Any, str], T], actor: str) -> T:  # fmt: skip
        """Change fields of one row (``location`` is the ``geom`` column), stamp
        ``updated_at`` and audit before/after, inside the caller's transaction."""
        check_fields(changes, allowed, label)
        before = load(conn, key)
        if not changes:
            return before
        m = self._mark
        columns = {("geom" if k == "location" else k): v for k, v in changes.items()}
        sets = [f"{k} = {self._geom_in if k == 'geom' else m}" for k in columns]
        if "geom" in columns:
            columns["geom"] = self._encode_geom(table, columns["geom"])
        conn.execute(
            f"UPDATE {table} SET {', '.join(sets)}, updated_at = {m} WHERE {key_column} = {m}",
            (*columns.values(), now_utc(), key),
        )
        after = load(conn, key)
        self._audit(
            conn, actor=actor, action=f"{table}.update", entity=table, key=key,
            before=before.attributes(), after=after.attributes(),  # type: ignore[attr-defined]
        )  # fmt: skip
        return after

    # -- signs -----------------------------------------------------------------------------
    def _load_sign(self, conn: Any, sign_id: str) -> Sign:
        row = conn.execute(
            f"SELECT sign_id, {_SIGN_FIELDS}, {self._geom_out}, created_at, updated_at FROM signs "
            f"WHERE sign_id = {self._mark}",
            (sign_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"地名标志 {sign_id} 不存在")
        return from_row(Sign, row, location=self._decode_geom(row["geom"]))

    def add_sign(self, sign: Sign, *, actor: str) -> Sign:
        with self._write() as conn:
            sign_id = self._take_id(conn, "signs", sign.sign_id)
            values = (sign.name_id, sign.sign_type, sign.text, sign.pinyin, sign.installed_on,
                      sign.status, sign.installer, sign.remarks)  # fmt: skip
            self._insert_point(conn, "signs", "sign_id", sign_id, _SIGN_FIELDS, values,
                               sign.location, "地名标志")  # fmt: skip
            stored = self._load_sign(conn, sign_id)
            self._audit(
                conn, actor=actor, action="signs.add", entity="signs", key=sign_id,
                before=None, after=stored.attributes(),
            )  # fmt: skip
        return stored

    def update_sign(self, sign_id: str, *, actor: str, **changes: Any) -> Sign:
        with self._write() as conn:
            return self._update_point(
                conn, table="signs", key_column="sign_id", key=sign_id, changes=changes,
                allowed=SIGN_FIELDS, label="地名标志", load=self._load_sign,
                actor=actor,
            )  # fmt: skip

    def get_sign(self, sign_id: str) -> Sign | None:
        try:
            return self._load_sign(self._conn(), sign_id)
        except StoreError:
            return None

    def query_signs(
        self, *, name_id: str | None = None, status: str | None = None,
        include_removed: bool = True, bbox: tuple[float, float, float, float] | None = None,
    ) -> list[Sign]:  # fmt: skip
        where, args = where_clause(
            [(f"name_id = {self._mark}", name_id), (f"status = {self._mark}", status),
             (f"status <> {self._mark}", None if include_removed else "removed"),
             box_condition(self._bbox_sql, "signs", bbox)]
        )  # fmt: skip
        rows = self._conn().execute(
            f"SELECT sign_id, {_SIGN_FIELDS}, {self._geom_out}, created_at, updated_at FROM signs"
            f"{where} ORDER BY sign_id",
            args,
        )
        return [from_row(Sign, r, location=self._decode_geom(r["geom"])) for r in rows]

    def add_patrol(self, patrol: Patrol, *, actor: str, status: str | None = None) -> Patrol:
        small = None if patrol.photo is None else thumbnail(patrol.photo)
        with self._write() as conn:
            sign = self._load_sign(conn, patrol.sign_id)  # 不存在 → StoreError
            row = conn.execute(
                "INSERT INTO sign_patrols (sign_id, patrolled_on, condition, inspector, remarks, "
                "photo, photo_filename, recorded_by, recorded_at, photo_thumbnail) "
                f"VALUES ({placeholders(self._mark, 10)}) RETURNING {_PATROL_META}",
                (patrol.sign_id, patrol.patrolled_on, patrol.condition, patrol.inspector,
                 patrol.remarks, patrol.photo, patrol.photo_filename, actor, now_utc(), small),
            ).fetchone()  # fmt: skip
            stored = from_row(Patrol, row)
            after = stored.attributes()
            if patrol.photo is not None:
                after["photo_sha256"] = hashlib.sha256(patrol.photo).hexdigest()
            self._audit(
                conn, actor=actor, action="signs.patrol", entity="signs", key=patrol.sign_id,
                before=None, after=after, note=patrol.remarks,
            )  # fmt: skip
            if status is not None and status != sign.status:
                self._update_point(
                    conn, table="signs", key_column="sign_id", key=patrol.sign_id,
                    changes={"status": status}, allowed=SIGN_FIELDS, label="地名标志",
                    load=self._load_sign, actor=actor,
                )  # fmt: skip
        return stored

    def patrol_thumbnail(self, patrol_id: int) -> bytes | None:
        row = (
            self._conn()
            .execute(
                f"SELECT photo_thumbnail FROM sign_patrols WHERE id = {self._mark}",
                (int(patrol_id),),
            )
            .fetchone()
        )
        return None if row is None or row["photo_thumbnail"] is None else row["photo_thumbnail"]

    def patrols(self, sign_id: str | None = None, *, with_photo: bool = False) -> list[Patrol]:
        where, args = where_clause([(f"sign_id = {self._mark}", sign_id)])
        columns = _PATROL_META + (", photo" if with_photo else "")
        rows = self._conn().execute(
            f"SELECT {columns} FROM sign_patrols{where} ORDER BY patrolled_on, id", args
        )
        return [from_row(Patrol, r) for r in rows]

    # -- facilities ------------------------------------------------------------------------
    def _load_facility(self, conn: Any, facility_id: str) -> Facility:
        row = conn.execute(
            f"SELECT facility_id, {_FACILITY_FIELDS}, {self._geom_out}, created_at, updated_at "
            f"FROM facilities WHERE facility_id = {self._mark}",
            (facility_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"设施 {facility_id} 不存在")
        return from_row(
            Facility, row, location=self._decode_geom(row["geom"]), sample=bool(row["sample"])
        )

    def add_facilities(self, facilities: Iterable[Facility], *, actor: str) -> list[Facility]:
        stored: list[Facility] = []
        with self._write() as conn:
            new_ids = self._new_ids(conn, "facilities")
            for fac in facilities:
                facility_id = (
                    self._take_id(conn, "facilities", fac.facility_id)
                    if fac.facility_id
                    else next(new_ids)
                )
                values = (fac.name, fac.type, fac.capacity_beds, fac.status, fac.division_code,
                          fac.address, fac.source, bool(fac.sample), actor)  # fmt: skip
                self._insert_point(conn, "facilities", "facility_id", facility_id, _FACILITY_FIELDS,
                              values, fac.location, "设施")  # fmt: skip
                record = self._load_facility(conn, facility_id)
                self._audit(
                    conn, actor=actor, action="facilities.add", entity="facilities",
                    key=facility_id, before=None, after=record.attributes(),
                )  # fmt: skip
                stored.append(record)
        return stored

    def update_facility(self, facility_id: str, *, actor: str, **changes: Any) -> Facility:
        with self._write() as conn:
            return self._update_point(
                conn, table="facilities", key_column="facility_id", key=facility_id,
                changes=changes, allowed=FACILITY_FIELDS, label="设施", load=self._load_facility,
                actor=actor,
            )  # fmt: skip

    def get_facility(self, facility_id: str) -> Facility | None:
        try:
            return self._load_facility(self._conn(), facility_id)
        except StoreError:
            return None

    def query_facilities(
        self, *, type: str | None = None, status: str | None = None,
        include_retired: bool = False, bbox: tuple[float, float, float, float] | None = None,
    ) -> list[Facility]:  # fmt: skip
        hidden = None if status is not None or include_retired else "retired"
        where, args = where_clause(
            [
                (f"type = {self._mark}", type),
                (f"status = {self._mark}", status),
                (f"status <> {self._mark}", hidden),
                box_condition(self._bbox_sql, "facilities", bbox),
            ]
        )
        rows = self._conn().execute(
            f"SELECT facility_id, {_FACILITY_FIELDS}, {self._geom_out}, created_at, updated_at "
            f"FROM facilities{where} ORDER BY facility_id",
            args,
        )
        return [
            from_row(Facility, r, location=self._decode_geom(r["geom"]), sample=bool(r["sample"]))
            for r in rows
        ]

    # -- coverage runs ---------------------------------------------------------------------
    @staticmethod
    def _run(row: dict[str, Any]) -> CoverageRun:
        return from_row(
            CoverageRun, row, params=json.loads(row["params_json"]),
            summary=json.loads(row["summary_json"]),
        )  # fmt: skip

    def add_coverage_run(self, run: CoverageRun, *, actor: str) -> CoverageRun:
        with self._write() as conn:
            run_id = self._take_id(conn, "coverage_runs", run.run_id)
            row = conn.execute(
                f"INSERT INTO coverage_runs ({_RUN_COLUMNS}) "
                f"VALUES ({placeholders(self._mark, 6)}) RETURNING {_RUN_READ}",
                (run_id, now_utc(), actor, run.kind, json.dumps(run.params, ensure_ascii=False),
                 json.dumps(run.summary, ensure_ascii=False)),
            ).fetchone()  # fmt: skip
            stored = self._run(row)
            self._audit(
                conn, actor=actor, action="coverage.run", entity="coverage_runs", key=run_id,
                before=None, after={"kind": stored.kind, "summary": stored.summary},
            )  # fmt: skip
        return stored

    def get_coverage_run(self, run_id: str) -> CoverageRun | None:
        row = (
            self._conn()
            .execute(
                f"SELECT {_RUN_READ} FROM coverage_runs WHERE run_id = {self._mark}", (run_id,)
            )
            .fetchone()
        )
        return None if row is None else self._run(row)

    def coverage_runs(self, kind: str | None = None) -> list[CoverageRun]:
        where, args = where_clause([(f"kind = {self._mark}", kind)])
        rows = self._conn().execute(
            f"SELECT {_RUN_READ} FROM coverage_runs{where} ORDER BY run_id", args
        )
        return [self._run(r) for r in rows]

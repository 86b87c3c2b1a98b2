"""SQL of the service-coverage tables (facilities, coverage_runs) for the GeoPackage store. Mixed
into :class:`~geociv.store.sqlite.SQLiteStore`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from geociv.errors import DuplicateError, StoreError
from geociv.store import _gpkg
from geociv.store._rows import from_row
from geociv.store._sqlite_ids import first_free_serial, new_id
from geociv.store._sqlite_points import update_point_record
from geociv.store._sqlite_schema import STORAGE_SRS_ID
from geociv.store.records import CoverageRun, Facility, now_utc
from geociv.store.shared import FACILITY_FIELDS, ID_FORMATS

_FACILITY_COLUMNS = (
    "facility_id, name, type, geom, capacity_beds, status, division_code, address, source, "
    "sample, created_by, created_at, updated_at"
)
_RUN_COLUMNS = "run_id, created_at, actor, kind, params_json, summary_json"


def _facility(row: sqlite3.Row) -> Facility:
    return from_row(Facility, row, location=_gpkg.decode(row["geom"]), sample=bool(row["sample"]))


def _run(row: sqlite3.Row) -> CoverageRun:
    return from_row(
        CoverageRun,
        row,
        params=json.loads(row["params_json"]),
        summary=json.loads(row["summary_json"]),
    )


class CoverageSQL:
    """Facility and coverage-run methods of the SQLite store (expects ``_conn``, ``_write``
    and ``_audit``)."""

    _conn: Any
    _write: Any
    _audit: Any

    @staticmethod
    def _load_facility(conn: sqlite3.Connection, facility_id: str) -> Facility:
        row = conn.execute(
            f"SELECT {_FACILITY_COLUMNS} FROM facilities WHERE facility_id = ?", (facility_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"设施 {facility_id} 不存在")
        return _facility(row)

    def add_facilities(self, facilities: Iterable[Facility], *, actor: str) -> list[Facility]:
        stamp = now_utc()
        stored: list[Facility] = []
        with self._write() as conn:
            serial = first_free_serial(conn, "facilities")
            for fac in facilities:
                facility_id = fac.facility_id
                if not facility_id:
                    facility_id = ID_FORMATS["facilities"].make(serial)
                    serial += 1
                elif conn.execute(
                    "SELECT 1 FROM facilities WHERE facility_id = ?", (facility_id,)
                ).fetchone():
                    raise DuplicateError(f"设施 {facility_id} 已存在")
                conn.execute(
                    f"INSERT INTO facilities ({_FACILITY_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        facility_id,
                        fac.name,
                        fac.type,
                        _gpkg.encode(fac.location, STORAGE_SRS_ID),
                        fac.capacity_beds,
                        fac.status,
                        fac.division_code,
                        fac.address,
                        fac.source,
                        int(fac.sample),
                        actor,
                        stamp,
                        stamp,
                    ),
                )
                record = self._load_facility(conn, facility_id)
                self._audit(
                    conn,
                    actor=actor,
                    action="facilities.add",
                    entity="facilities",
                    key=facility_id,
                    before=None,
                    after=record.attributes(),
                )
                stored.append(record)
        return stored

    def update_facility(self, facility_id: str, *, actor: str, **changes: Any) -> Facility:
        with self._write() as conn:
            return update_point_record(
                conn, table="facilities", key_column="facility_id", key=facility_id,
                changes=changes, allowed=FACILITY_FIELDS, label="设施", load=self._load_facility,
                audit=self._audit, actor=actor,
            )  # fmt: skip

    def get_facility(self, facility_id: str) -> Facility | None:
        row = (
            self._conn()
            .execute(
                f"SELECT {_FACILITY_COLUMNS} FROM facilities WHERE facility_id = ?",
                (facility_id,),
            )
            .fetchone()
        )
        return None if row is None else _facility(row)

    def query_facilities(
        self,
        *,
        type: str | None = None,
        status: str | None = None,
        include_retired: bool = False,
    ) -> list[Facility]:
        where, args = [], []
        if type is not None:
            where.append("type = ?")
            args.append(type)
        if status is not None:
            where.append("status = ?")
            args.append(status)
        elif not include_retired:
            where.append("status != 'retired'")
        sql = f"SELECT {_FACILITY_COLUMNS} FROM facilities"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._conn().execute(sql + " ORDER BY facility_id", args).fetchall()
        return [_facility(r) for r in rows]

    def add_coverage_run(self, run: CoverageRun, *, actor: str) -> CoverageRun:
        with self._write() as conn:
            run_id = run.run_id or new_id(conn, "coverage_runs")
            conn.execute(
                f"INSERT INTO coverage_runs ({_RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    now_utc(),
                    actor,
                    run.kind,
                    json.dumps(run.params, ensure_ascii=False),
                    json.dumps(run.summary, ensure_ascii=False),
                ),
            )
            row = conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM coverage_runs WHERE run_id = ?", (run_id,)
            ).fetchone()
            stored = _run(row)
            self._audit(
                conn,
                actor=actor,
                action="coverage.run",
                entity="coverage_runs",
                key=run_id,
                before=None,
                after={"kind": stored.kind, "summary": stored.summary},
            )
        return stored

    def get_coverage_run(self, run_id: str) -> CoverageRun | None:
        row = (
            self._conn()
            .execute(f"SELECT {_RUN_COLUMNS} FROM coverage_runs WHERE run_id = ?", (run_id,))
            .fetchone()
        )
        return None if row is None else _run(row)

    def coverage_runs(self, kind: str | None = None) -> list[CoverageRun]:
        sql = f"SELECT {_RUN_COLUMNS} FROM coverage_runs"
        args: tuple[str, ...] = ()
        if kind is not None:
            sql += " WHERE kind = ?"
            args = (kind,)
        rows = self._conn().execute(sql + " ORDER BY run_id", args).fetchall()
        return [_run(r) for r in rows]

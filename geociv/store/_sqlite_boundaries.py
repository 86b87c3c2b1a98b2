"""SQL of the boundary tables (boundary_lines, markers, marker_references, boundary_photos,
inspection_rounds, inspection_plans, inspection_records, inspection_signatures) for the
GeoPackage store. Mixed into :class:`~geociv.store.sqlite.SQLiteStore`.

Nothing here deletes a row: a line is versioned (the old version gets ``valid_to``), a marker
is retired, a corrected inspection record gets a new version and the old one is marked
``superseded`` with its signatures kept.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import shapely
from shapely import LineString, MultiLineString
from shapely.geometry.base import BaseGeometry

from geociv.errors import DuplicateError, StaleRecordError, StoreError
from geociv.store import _gpkg
from geociv.store._rows import from_row
from geociv.store._sqlite_ids import new_id
from geociv.store._sqlite_schema import STORAGE_SRS_ID
from geociv.store.records import (
    BoundaryLine,
    BoundaryPhoto,
    InspectionPlan,
    InspectionRecord,
    InspectionRound,
    LineChange,
    Marker,
    ReferenceObject,
    Signature,
    Team,
    UpsertCounts,
    now_utc,
)
from geociv.store.shared import geometry_summary
from geociv.uploads.media import thumbnail

_LINE_COLUMNS = (
    "line_id, version, name, section, left_code, right_code, level, internal, length_km, "
    "source, valid_from, valid_to, note, geom, created_by, created_at"
)
#: Fields that make two versions of a line the same (besides the geometry).
_LINE_SAME = ("name", "section", "left_code", "right_code", "level", "internal", "source")

_MARKER_COLUMNS = (
    "marker_id, line_id, serial, type_code, kind, material, registered_on, sample, status, "
    "remarks, geom, created_by, created_at, updated_at"
)
_PHOTO_META = "id, owner, owner_key, filename, size, sha256, note, uploaded_by, uploaded_at"
_ROUND_COLUMNS = "round_no, first_year, last_year, title, created_by, created_at"
_PLAN_COLUMNS = (
    "plan_id, round_no, line_id, year, kind, left_code, left_team, right_code, right_team, "
    "sample, note, created_by, created_at, updated_at"
)
_PLAN_FIELDS = {"year", "left_team", "right_team", "note"}
_RECORD_COLUMNS = (
    "record_id, version, kind, plan_id, round_no, line_id, marker_id, inspected_on, geom, "
    "gps_accuracy_m, condition, references_present, reference_checks, changes_json, remarks, "
    "sample, status, reason, created_by, created_at, updated_at"
)
#: Fields a correction may change.
RECORD_FIELDS = frozenset(
    {
        "inspected_on",
        "measured",
        "gps_accuracy_m",
        "condition",
        "references_present",
        "reference_checks",
        "changes",
        "remarks",
    }
)


def _as_multiline(geometry: BaseGeometry | None) -> BaseGeometry | None:
    if isinstance(geometry, LineString):
        return MultiLineString([geometry])
    return geometry


def _line(row: sqlite3.Row, with_geometry: bool = True) -> BoundaryLine:
    return from_row(
        BoundaryLine,
        row,
        internal=bool(row["internal"]),
        geometry=_gpkg.decode(row["geom"]) if with_geometry else None,
    )


def _line_view(line: BoundaryLine) -> dict[str, Any]:
    return {**line.attributes(), "geometry": geometry_summary(line.geometry)}


def _same_line(row: sqlite3.Row, line: BoundaryLine) -> bool:
    old = _line(row)
    if any(getattr(old, k) != getattr(line, k) for k in _LINE_SAME):
        return False
    if round(old.length_km, 6) != round(line.length_km, 6):
        return False
    new_geom = _as_multiline(line.geometry)
    if old.geometry is None or new_geom is None:
        return old.geometry is None and new_geom is None
    # the same line may come back reversed or starting elsewhere on a ring
    return bool(shapely.normalize(old.geometry).equals_exact(shapely.normalize(new_geom), 1e-9))


def _marker(row: sqlite3.Row, references: Sequence[ReferenceObject]) -> Marker:
    return from_row(
        Marker,
        row,
        location=_gpkg.decode(row["geom"]),
        references=tuple(references),
        sample=bool(row["sample"]),
    )


def _photo(row: sqlite3.Row, with_content: bool) -> BoundaryPhoto:
    return from_row(BoundaryPhoto, row, content=bytes(row["content"]) if with_content else None)


def _round(row: sqlite3.Row) -> InspectionRound:
    return from_row(InspectionRound, row)


def _plan(row: sqlite3.Row) -> InspectionPlan:
    return from_row(
        InspectionPlan,
        row,
        left_team=Team(row["left_code"], tuple(json.loads(row["left_team"]))),
        right_team=Team(row["right_code"], tuple(json.loads(row["right_team"]))),
        sample=bool(row["sample"]),
    )


def _record(row: sqlite3.Row, signatures: Sequence[Signature]) -> InspectionRecord:
    checks = row["reference_checks"]
    return from_row(
        InspectionRecord,
        row,
        measured=_gpkg.decode(row["geom"]),
        reference_checks=None if checks is None else tuple(bool(v) for v in json.loads(checks)),
        changes=tuple(LineChange(**c) for c in json.loads(row["changes_json"])),
        sample=bool(row["sample"]),
        signatures=tuple(sorted(signatures, key=lambda s: s.side)),
    )


def _record_values(record: InspectionRecord) -> dict[str, Any]:
    """Column values of the fields a record's author sets."""
    return {
        "inspected_on": record.inspected_on,
        "geom": _gpkg.encode(record.measured, STORAGE_SRS_ID),
        "gps_accuracy_m": record.gps_accuracy_m,
        "condition": record.condition,
        "references_present": record.references_present,
        "reference_checks": None
        if record.reference_checks is None
        else json.dumps([bool(v) for v in record.reference_checks]),
        "changes_json": json.dumps(
            [{"change_type": c.change_type, "description": c.description} for c in record.changes],
            ensure_ascii=False,
        ),
        "remarks": record.remarks,
    }


def _insert_record_version(
    conn: sqlite3.Connection,
    record_id: str,
    version: int,
    base: InspectionRecord,
    *,
    reason: str,
    actor: str,
    stamp: str,
    values: dict[str, Any] | None = None,
) -> None:
    """Insert a draft version of a record: identity fields from ``base``, the author's fields
    from ``values`` (default: those of ``base``)."""
    values = _record_values(base) if values is None else values
    fixed = {
        "record_id": record_id, "version": version, "kind": base.kind, "plan_id": base.plan_id,
        "round_no": base.round_no, "line_id": base.line_id, "marker_id": base.marker_id,
        "sample": int(base.sample), "status": "draft", "reason": reason, "created_by": actor,
        "created_at": stamp, "updated_at": stamp,
    }  # fmt: skip
    columns = {**fixed, **values}
    conn.execute(
        f"INSERT INTO inspection_records ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' * len(columns))})",
        tuple(columns.values()),
    )


def _chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class BoundariesSQL:
    """Boundary line, marker and inspection methods of the SQLite store (expects ``_conn``,
    ``_write`` and ``_audit``)."""

    _conn: Any
    _write: Any
    _audit: Any

    # -- lines -----------------------------------------------------------------------------
    def save_boundary_lines(
        self,
        lines: Iterable[BoundaryLine],
        *,
        on: str,
        actor: str,
        action: str = "lines.save",
    ) -> UpsertCounts:
        counts = UpsertCounts()
        stamp = now_utc()
        with self._write() as conn:
            for line in lines:
                current = conn.execute(
                    f"SELECT {_LINE_COLUMNS} FROM boundary_lines "
                    "WHERE line_id = ? AND valid_to IS NULL",
                    (line.line_id,),
                ).fetchone()
                if current is not None and _same_line(current, line):
                    counts.unchanged += 1
                    continue
                valid_from = line.valid_from or on
                before = None
                if current is not None:
                    if valid_from < current["valid_from"]:
                        raise StoreError(
                            f"界线 {line.line_id} 新版本的启用日期 {valid_from} 早于现行版本的 "
                            f"{current['valid_from']}"
                        )
                    conn.execute(
                        "UPDATE boundary_lines SET valid_to = ? "
                        "WHERE line_id = ? AND valid_to IS NULL",
                        (valid_from, line.line_id),
                    )
                    before = _line_view(_line(current))
                (last,) = conn.execute(
                    "SELECT coalesce(max(version), 0) FROM boundary_lines WHERE line_id = ?",
                    (line.line_id,),
                ).fetchone()
                conn.execute(
                    "INSERT INTO boundary_lines (geom, line_id, version, name, section, "
                    "left_code, right_code, level, internal, length_km, source, valid_from, "
                    "valid_to, note, created_by, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
                    (
                        _gpkg.encode(_as_multiline(line.geometry), STORAGE_SRS_ID),
                        line.line_id,
                        last + 1,
                        line.name,
                        line.section,
                        line.left_code,
                        line.right_code,
                        line.level,
                        int(line.internal),
                        float(line.length_km),
                        line.source,
                        valid_from,
                        line.note,
                        actor,
                        stamp,
                    ),
                )
                if current is None:
                    counts.inserted += 1
                else:
                    counts.updated += 1
                after = self._load_line(conn, line.line_id, last + 1)
                self._audit(
                    conn,
                    actor=actor,
                    action=action,
                    entity="boundary_lines",
                    key=line.line_id,
                    before=before,
                    after=_line_view(after),
                    note=line.note,
                )
        return counts

    @staticmethod
    def _load_line(conn: sqlite3.Connection, line_id: str, version: int) -> BoundaryLine:
        row = conn.execute(
            f"SELECT {_LINE_COLUMNS} FROM boundary_lines WHERE line_id = ? AND version = ?",
            (line_id, version),
        ).fetchone()
        if row is None:
            raise StoreError(f"界线 {line_id} 没有第 {version} 版")
        return _line(row)

    def close_boundary_lines(
        self, line_ids: Iterable[str], *, on: str, actor: str, note: str = ""
    ) -> int:
        closed = 0
        with self._write() as conn:
            for line_id in line_ids:
                row = conn.execute(
                    f"SELECT {_LINE_COLUMNS} FROM boundary_lines "
                    "WHERE line_id = ? AND valid_to IS NULL",
                    (line_id,),
                ).fetchone()
                if row is None:
                    continue
                if on < row["valid_from"]:
                    raise StoreError(
                        f"界线 {line_id} 的停用日期 {on} 早于其启用日期 {row['valid_from']}"
                    )
                conn.execute(
                    "UPDATE boundary_lines SET valid_to = ? WHERE line_id = ? AND valid_to IS NULL",
                    (on, line_id),
                )
                closed += 1
                before = _line(row)
                self._audit(
                    conn,
                    actor=actor,
                    action="lines.close",
                    entity="boundary_lines",
                    key=line_id,
                    before=before.attributes(),
                    after={**before.attributes(), "valid_to": on},
                    note=note,
                )
        return closed

    def get_boundary_line(self, line_id: str, version: int | None = None) -> BoundaryLine | None:
        if version is None:
            sql = (
                f"SELECT {_LINE_COLUMNS} FROM boundary_lines WHERE line_id = ? AND valid_to IS NULL"
            )
            args: tuple[Any, ...] = (line_id,)
        else:
            sql = f"SELECT {_LINE_COLUMNS} FROM boundary_lines WHERE line_id = ? AND version = ?"
            args = (line_id, int(version))
        row = self._conn().execute(sql, args).fetchone()
        return None if row is None else _line(row)

    def boundary_line_versions(self, line_id: str) -> list[BoundaryLine]:
        rows = self._conn().execute(
            f"SELECT {_LINE_COLUMNS} FROM boundary_lines WHERE line_id = ? ORDER BY version",
            (line_id,),
        )
        return [_line(r) for r in rows]

    def query_boundary_lines(
        self,
        *,
        current_only: bool = True,
        division_prefix: str | None = None,
        level: str | None = None,
        source: str | None = None,
        with_geometry: bool = True,
    ) -> list[BoundaryLine]:
        where, args = [], []
        if current_only:
            where.append("valid_to IS NULL")
        if division_prefix:
            where.append("(left_code LIKE ? OR right_code LIKE ?)")
            args += [f"{division_prefix}%", f"{division_prefix}%"]
        if level is not None:
            where.append("level = ?")
            args.append(level)
        if source is not None:
            where.append("source = ?")
            args.append(source)
        columns = _LINE_COLUMNS if with_geometry else _LINE_COLUMNS.replace("geom", "NULL AS geom")
        sql = f"SELECT {columns} FROM boundary_lines"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._conn().execute(sql + " ORDER BY line_id, version", args).fetchall()
        return [_line(r, with_geometry) for r in rows]

    # -- markers ---------------------------------------------------------------------------
    @staticmethod
    def _references(
        conn: sqlite3.Connection, marker_ids: Sequence[str]
    ) -> dict[str, list[ReferenceObject]]:
        out: dict[str, list[ReferenceObject]] = {}
        for chunk in _chunks(list(marker_ids)):
            marks = ", ".join("?" * len(chunk))
            for r in conn.execute(
                "SELECT marker_id, description, bearing_deg, distance_m FROM marker_references "
                f"WHERE marker_id IN ({marks}) ORDER BY marker_id, seq",
                tuple(chunk),
            ):
                out.setdefault(r["marker_id"], []).append(
                    ReferenceObject(r["description"], r["bearing_deg"], r["distance_m"])
                )
        return out

    def _load_marker(self, conn: sqlite3.Connection, marker_id: str) -> Marker | None:
        row = conn.execute(
            f"SELECT {_MARKER_COLUMNS} FROM markers WHERE marker_id = ?", (marker_id,)
        ).fetchone()
        if row is None:
            return None
        return _marker(row, self._references(conn, [marker_id]).get(marker_id, []))

    def add_markers(
        self, markers: Iterable[Marker], *, actor: str, action: str = "markers.add"
    ) -> list[Marker]:
        stamp = now_utc()
        stored: list[Marker] = []
        with self._write() as conn:
            for m in markers:
                if conn.execute(
                    "SELECT 1 FROM markers WHERE marker_id = ?", (m.marker_id,)
                ).fetchone():
                    raise DuplicateError(f"界桩 {m.marker_id} 已登记")
                conn.execute(
                    f"INSERT INTO markers ({_MARKER_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        m.marker_id,
                        m.line_id,
                        m.serial,
                        m.type_code,
                        m.kind,
                        m.material,
                        m.registered_on,
                        int(m.sample),
                        m.status,
                        m.remarks,
                        _gpkg.encode(m.location, STORAGE_SRS_ID),
                        actor,
                        stamp,
                        stamp,
                    ),
                )
                conn.executemany(
                    "INSERT INTO marker_references (marker_id, seq, description, bearing_deg, "
                    "distance_m) VALUES (?, ?, ?, ?, ?)",
                    [
                        (m.marker_id, i, r.description, r.bearing_deg, r.distance_m)
                        for i, r in enumerate(m.references, start=1)
                    ],
                )
                marker = self._load_marker(conn, m.marker_id)
                assert marker is not None
                stored.append(marker)
                self._audit(
                    conn,
                    actor=actor,
                    action=action,
                    entity="markers",
                    key=m.marker_id,
                    before=None,
                    after=marker.attributes(),
                )
        return stored

    def get_marker(self, marker_id: str) -> Marker | None:
        return self._load_marker(self._conn(), marker_id)

    def query_markers(
        self,
        *,
        line_id: str | None = None,
        line_ids: Iterable[str] | None = None,
        include_retired: bool = False,
        sample: bool | None = None,
    ) -> list[Marker]:
        where, args = [], []
        if line_id is not None:
            where.append("line_id = ?")
            args.append(line_id)
        if not include_retired:
            where.append("status = 'active'")
        if sample is not None:
            where.append("sample = ?")
            args.append(int(sample))
        sql = f"SELECT {_MARKER_COLUMNS} FROM markers"
        if where:
            sql += " WHERE " + " AND ".join(where)
        conn = self._conn()
        rows = conn.execute(sql + " ORDER BY line_id, serial, type_code", args).fetchall()
        if line_ids is not None:
            wanted = set(line_ids)
            rows = [r for r in rows if r["line_id"] in wanted]
        references = self._references(conn, [r["marker_id"] for r in rows])
        return [_marker(r, references.get(r["marker_id"], [])) for r in rows]

    def retire_marker(self, marker_id: str, *, actor: str, reason: str) -> Marker:
        with self._write() as conn:
            before = self._load_marker(conn, marker_id)
            if before is None:
                raise StoreError(f"界桩 {marker_id} 不存在")
            if before.status == "retired":
                raise StoreError(f"界桩 {marker_id} 已停用")
            conn.execute(
                "UPDATE markers SET status = 'retired', updated_at = ? WHERE marker_id = ?",
                (now_utc(), marker_id),
            )
            after = self._load_marker(conn, marker_id)
            assert after is not None
            self._audit(
                conn,
                actor=actor,
                action="markers.retire",
                entity="markers",
                key=marker_id,
                before=before.attributes(),
                after=after.attributes(),
                note=reason,
            )
        return after

    # -- photos ----------------------------------------------------------------------------
    def add_boundary_photo(self, photo: BoundaryPhoto, *, actor: str) -> BoundaryPhoto:
        content = photo.content
        if not content:
            raise StoreError("照片内容为空")
        small = thumbnail(content)  # made before the write transaction
        stamp = now_utc()
        with self._write() as conn:
            if photo.owner == "marker":
                exists = conn.execute(
                    "SELECT 1 FROM markers WHERE marker_id = ?", (photo.owner_key,)
                ).fetchone()
                entity = "markers"
            elif photo.owner == "inspection":
                exists = conn.execute(
                    "SELECT 1 FROM inspection_records WHERE record_id = ?", (photo.owner_key,)
                ).fetchone()
                entity = "inspection_records"
            else:
                raise StoreError(f"未知的照片归属 {photo.owner!r}")
            if not exists:
                raise StoreError(f"照片所属的 {photo.owner} {photo.owner_key} 不存在")
            cur = conn.execute(
                "INSERT INTO boundary_photos (owner, owner_key, filename, content, size, sha256, "
                "note, uploaded_by, uploaded_at, thumbnail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    photo.owner,
                    photo.owner_key,
                    photo.filename,
                    sqlite3.Binary(content),
                    len(content),
                    hashlib.sha256(content).hexdigest(),
                    photo.note,
                    actor,
                    stamp,
                    None if small is None else sqlite3.Binary(small),
                ),
            )
            row = conn.execute(
                f"SELECT {_PHOTO_META} FROM boundary_photos WHERE id = ?", (cur.lastrowid,)
            ).fetchone()
            stored = _photo(row, with_content=False)
            self._audit(
                conn,
                actor=actor,
                action="photos.add",
                entity=entity,
                key=photo.owner_key,
                before=None,
                after=stored.attributes(),
                note=photo.note,
            )
        return stored

    def boundary_photos(
        self, owner: str, owner_key: str, *, with_content: bool = False
    ) -> list[BoundaryPhoto]:
        columns = _PHOTO_META + (", content" if with_content else "")
        rows = self._conn().execute(
            f"SELECT {columns} FROM boundary_photos WHERE owner = ? AND owner_key = ? ORDER BY id",
            (owner, owner_key),
        )
        return [_photo(r, with_content) for r in rows]

    def get_boundary_photo(self, photo_id: int) -> BoundaryPhoto | None:
        row = (
            self._conn()
            .execute(
                f"SELECT {_PHOTO_META}, content FROM boundary_photos WHERE id = ?",
                (int(photo_id),),
            )
            .fetchone()
        )
        return None if row is None else _photo(row, with_content=True)

    def boundary_photo_thumbnail(self, photo_id: int) -> bytes | None:
        row = (
            self._conn()
            .execute("SELECT thumbnail FROM boundary_photos WHERE id = ?", (int(photo_id),))
            .fetchone()
        )
        return None if row is None or row[0] is None else bytes(row[0])

    # -- rounds and plans ------------------------------------------------------------------
    def add_inspection_round(self, round_: InspectionRound, *, actor: str) -> InspectionRound:
        with self._write() as conn:
            if conn.execute(
                "SELECT 1 FROM inspection_rounds WHERE round_no = ?", (round_.round_no,)
            ).fetchone():
                raise DuplicateError(f"第 {round_.round_no} 轮联检已存在")
            conn.execute(
                f"INSERT INTO inspection_rounds ({_ROUND_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    round_.round_no,
                    round_.first_year,
                    round_.last_year,
                    round_.title,
                    actor,
                    now_utc(),
                ),
            )
            row = conn.execute(
                f"SELECT {_ROUND_COLUMNS} FROM inspection_rounds WHERE round_no = ?",
                (round_.round_no,),
            ).fetchone()
            stored = _round(row)
            self._audit(
                conn,
                actor=actor,
                action="rounds.add",
                entity="inspection_rounds",
                key=str(round_.round_no),
                before=None,
                after={"first_year": stored.first_year, "last_year": stored.last_year,
                       "title": stored.title},
            )  # fmt: skip
        return stored

    def get_inspection_round(self, round_no: int) -> InspectionRound | None:
        row = (
            self._conn()
            .execute(
                f"SELECT {_ROUND_COLUMNS} FROM inspection_rounds WHERE round_no = ?",
                (int(round_no),),
            )
            .fetchone()
        )
        return None if row is None else _round(row)

    def inspection_rounds(self) -> list[InspectionRound]:
        rows = self._conn().execute(
            f"SELECT {_ROUND_COLUMNS} FROM inspection_rounds ORDER BY round_no"
        )
        return [_round(r) for r in rows]

    @staticmethod
    def _load_plan(conn: sqlite3.Connection, plan_id: int) -> InspectionPlan | None:
        row = conn.execute(
            f"SELECT {_PLAN_COLUMNS} FROM inspection_plans WHERE plan_id = ?", (int(plan_id),)
        ).fetchone()
        return None if row is None else _plan(row)

    def add_inspection_plan(self, plan: InspectionPlan, *, actor: str) -> InspectionPlan:
        stamp = now_utc()
        with self._write() as conn:
            if not conn.execute(
                "SELECT 1 FROM inspection_rounds WHERE round_no = ?", (plan.round_no,)
            ).fetchone():
                raise StoreError(f"第 {plan.round_no} 轮联检不存在")
            if plan.kind == "regular":
                taken = conn.execute(
                    "SELECT plan_id, year FROM inspection_plans "
                    "WHERE round_no = ? AND line_id = ? AND kind = 'regular'",
                    (plan.round_no, plan.line_id),
                ).fetchone()
                if taken:
                    raise DuplicateError(
                        f"界线 {plan.line_id} 已列入第 {plan.round_no} 轮 {taken['year']} 年的"
                        f"联检计划（计划 {taken['plan_id']}）"
                    )
            cur = conn.execute(
                "INSERT INTO inspection_plans (round_no, line_id, year, kind, left_code, "
                "left_team, right_code, right_team, sample, note, created_by, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    plan.round_no,
                    plan.line_id,
                    plan.year,
                    plan.kind,
                    plan.left_team.code,
                    json.dumps(list(plan.left_team.members), ensure_ascii=False),
                    plan.right_team.code,
                    json.dumps(list(plan.right_team.members), ensure_ascii=False),
                    int(plan.sample),
                    plan.note,
                    actor,
                    stamp,
                    stamp,
                ),
            )
            stored = self._load_plan(conn, cur.lastrowid)
            assert stored is not None
            self._audit(
                conn,
                actor=actor,
                action="plans.add",
                entity="inspection_plans",
                key=str(stored.plan_id),
                before=None,
                after=stored.attributes(),
                note=plan.note,
            )
        return stored

    def update_inspection_plan(
        self, plan_id: int, *, actor: str, note: str = "", **changes: Any
    ) -> InspectionPlan:
        unknown = set(changes) - _PLAN_FIELDS
        if unknown:
            raise StoreError(f"联检计划没有字段：{', '.join(sorted(unknown))}")
        with self._write() as conn:
            before = self._load_plan(conn, plan_id)
            if before is None:
                raise StoreError(f"联检计划 {plan_id} 不存在")
            columns: dict[str, Any] = {}
            for key, value in changes.items():
                if key in ("left_team", "right_team"):
                    side = key.split("_")[0]
                    columns[f"{side}_code"] = value.code
                    columns[key] = json.dumps(list(value.members), ensure_ascii=False)
                else:
                    columns[key] = value
            if columns:
                sets = [f"{k} = ?" for k in columns] + ["updated_at = ?"]
                conn.execute(
                    f"UPDATE inspection_plans SET {', '.join(sets)} WHERE plan_id = ?",
                    (*columns.values(), now_utc(), int(plan_id)),
                )
            after = self._load_plan(conn, plan_id)
            assert after is not None
            self._audit(
                conn,
                actor=actor,
                action="plans.update",
                entity="inspection_plans",
                key=str(plan_id),
                before=before.attributes(),
                after=after.attributes(),
                note=note,
            )
        return after

    def get_inspection_plan(self, plan_id: int) -> InspectionPlan | None:
        return self._load_plan(self._conn(), plan_id)

    def query_inspection_plans(
        self,
        *,
        round_no: int | None = None,
        year: int | None = None,
        line_id: str | None = None,
        kind: str | None = None,
    ) -> list[InspectionPlan]:
        where, args = [], []
        for column, value in (
            ("round_no", round_no),
            ("year", year),
            ("line_id", line_id),
            ("kind", kind),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = f"SELECT {_PLAN_COLUMNS} FROM inspection_plans"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._conn().execute(sql + " ORDER BY round_no, year, line_id, plan_id", args)
        return [_plan(r) for r in rows]

    # -- inspection records ----------------------------------------------------------------
    @staticmethod
    def _signatures(
        conn: sqlite3.Connection, record_ids: Sequence[str]
    ) -> dict[tuple[str, int], list[Signature]]:
        out: dict[tuple[str, int], list[Signature]] = {}
        for chunk in _chunks(sorted(set(record_ids))):
            marks = ", ".join("?" * len(chunk))
            for s in conn.execute(
                "SELECT record_id, version, side, side_code, username, signed_at, note "
                f"FROM inspection_signatures WHERE record_id IN ({marks}) ORDER BY id",
                tuple(chunk),
            ):
                out.setdefault((s["record_id"], s["version"]), []).append(
                    Signature(s["side"], s["side_code"], s["username"], s["signed_at"], s["note"])
                )
        return out

    def _load_record(
        self, conn: sqlite3.Connection, record_id: str, version: int | None = None
    ) -> InspectionRecord | None:
        if version is None:
            row = conn.execute(
                f"SELECT {_RECORD_COLUMNS} FROM inspection_records WHERE record_id = ? "
                "ORDER BY version DESC LIMIT 1",
                (record_id,),
            ).fetchone()
        else:
            row = conn.execute(
                f"SELECT {_RECORD_COLUMNS} FROM inspection_records "
                "WHERE record_id = ? AND version = ?",
                (record_id, int(version)),
            ).fetchone()
        if row is None:
            return None
        signatures = self._signatures(conn, [record_id]).get((record_id, row["version"]), [])
        return _record(row, signatures)

    def add_inspection_record(self, record: InspectionRecord, *, actor: str) -> InspectionRecord:
        stamp = now_utc()
        with self._write() as conn:
            if not conn.execute(
                "SELECT 1 FROM inspection_plans WHERE plan_id = ?", (record.plan_id,)
            ).fetchone():
                raise StoreError(f"联检计划 {record.plan_id} 不存在")
            record_id = new_id(conn, "inspection_records", record.inspected_on[:4])
            _insert_record_version(conn, record_id, 1, record, reason="", actor=actor, stamp=stamp)
            stored = self._load_record(conn, record_id)
            assert stored is not None
            self._audit(
                conn,
                actor=actor,
                action="inspections.add",
                entity="inspection_records",
                key=record_id,
                before=None,
                after=stored.attributes(),
                note=record.remarks,
            )
        return stored

    def revise_inspection_record(
        self,
        record_id: str,
        *,
        expect_version: int,
        actor: str,
        reason: str,
        changes: Mapping[str, Any],
    ) -> InspectionRecord:
        unknown = set(changes) - RECORD_FIELDS
        if unknown:
            raise StoreError(f"联检记录不能更改字段：{', '.join(sorted(unknown))}")
        stamp = now_utc()
        with self._write() as conn:
            before = self._load_record(conn, record_id)
            if before is None:
                raise StoreError(f"联检记录 {record_id} 不存在")
            if before.version != expect_version:
                raise StaleRecordError(
                    f"联检记录 {record_id} 已有第 {before.version} 版（应为第 {expect_version} "
                    "版），可能已被他人更正：请刷新后重试"
                )
            if before.status == "final":
                raise StaleRecordError(f"联检记录 {record_id} 已由双方签字确认，不能修改")
            fields = dict(changes)
            if "changes" in fields:
                fields["changes"] = tuple(fields["changes"])
            values = _record_values(replace(before, **fields))
            if not before.signatures:
                sets = [f"{k} = ?" for k in values] + ["reason = ?", "updated_at = ?"]
                conn.execute(
                    f"UPDATE inspection_records SET {', '.join(sets)} "
                    "WHERE record_id = ? AND version = ?",
                    (*values.values(), reason, stamp, record_id, before.version),
                )
                version = before.version
                action = "inspections.edit"
            else:
                conn.execute(
                    "UPDATE inspection_records SET status = 'superseded', updated_at = ? "
                    "WHERE record_id = ? AND version = ?",
                    (stamp, record_id, before.version),
                )
                version = before.version + 1
                _insert_record_version(
                    conn, record_id, version, before, reason=reason, actor=actor, stamp=stamp,
                    values=values,
                )  # fmt: skip
                action = "inspections.correct"
            after = self._load_record(conn, record_id, version)
            assert after is not None
            self._audit(
                conn,
                actor=actor,
                action=action,
                entity="inspection_records",
                key=record_id,
                before=before.attributes(),
                after=after.attributes(),
                note=reason,
            )
        return after

    def sign_inspection_record(
        self, record_id: str, *, version: int, signature: Signature, actor: str
    ) -> InspectionRecord:
        with self._write() as conn:
            before = self._load_record(conn, record_id, version)
            if before is None:
                raise StoreError(f"联检记录 {record_id} 没有第 {version} 版")
            if before.status == "superseded":
                raise StaleRecordError(
                    f"联检记录 {record_id} 第 {version} 版已被更正，请在最新版本上签字"
                )
            if before.status == "final":
                raise StaleRecordError(f"联检记录 {record_id} 第 {version} 版已由双方签字确认")
            taken = before.signature(signature.side)
            if taken is not None:
                raise DuplicateError(
                    f"联检记录 {record_id} 第 {version} 版已由本方（{taken.side_code}）"
                    f"的 {taken.username} 签字，同一方不能再次签字"
                )
            stamp = now_utc()
            conn.execute(
                "INSERT INTO inspection_signatures (record_id, version, side, side_code, "
                "username, signed_at, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record_id,
                    version,
                    signature.side,
                    signature.side_code,
                    signature.username,
                    stamp,
                    signature.note,
                ),
            )
            sides = {
                s
                for (s,) in conn.execute(
                    "SELECT side FROM inspection_signatures WHERE record_id = ? AND version = ?",
                    (record_id, version),
                )
            }
            if sides == {"left", "right"}:
                conn.execute(
                    "UPDATE inspection_records SET status = 'final', updated_at = ? "
                    "WHERE record_id = ? AND version = ?",
                    (stamp, record_id, version),
                )
            after = self._load_record(conn, record_id, version)
            assert after is not None
            self._audit(
                conn,
                actor=actor,
                action="inspections.sign",
                entity="inspection_records",
                key=record_id,
                before={"version": version, "status": before.status},
                after={
                    "version": version,
                    "status": after.status,
                    "side": signature.side,
                    "side_code": signature.side_code,
                    "username": signature.username,
                },
                note=signature.note,
            )
        return after

    def get_inspection_record(
        self, record_id: str, version: int | None = None
    ) -> InspectionRecord | None:
        return self._load_record(self._conn(), record_id, version)

    def inspection_record_versions(self, record_id: str) -> list[InspectionRecord]:
        conn = self._conn()
        rows = conn.execute(
            f"SELECT {_RECORD_COLUMNS} FROM inspection_records WHERE record_id = ? "
            "ORDER BY version",
            (record_id,),
        ).fetchall()
        signatures = self._signatures(conn, [record_id])
        return [_record(r, signatures.get((record_id, r["version"]), [])) for r in rows]

    def query_inspection_records(
        self,
        *,
        plan_id: int | None = None,
        round_no: int | None = None,
        line_id: str | None = None,
        marker_id: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        include_superseded: bool = False,
    ) -> list[InspectionRecord]:
        where, args = [], []
        for column, value in (
            ("plan_id", plan_id),
            ("round_no", round_no),
            ("line_id", line_id),
            ("marker_id", marker_id),
            ("kind", kind),
            ("status", status),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if not include_superseded:
            where.append("status != 'superseded'")
        sql = f"SELECT {_RECORD_COLUMNS} FROM inspection_records"
        if where:
            sql += " WHERE " + " AND ".join(where)
        conn = self._conn()
        rows = conn.execute(sql + " ORDER BY inspected_on, record_id, version", args).fetchall()
        signatures = self._signatures(conn, [r["record_id"] for r in rows])
        return [_record(r, signatures.get((r["record_id"], r["version"]), [])) for r in rows]

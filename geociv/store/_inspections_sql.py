"""SQL of the joint inspection (界线联检): rounds (``inspection_rounds``), plans
(``inspection_plans``), records (``inspection_records``, versioned) and the two sides'
signatures (``inspection_signatures``).

The same SQL serves both backends (mixed into :class:`~geociv.store.sqlite.SQLiteStore` and
:class:`~geociv.store.postgis.PostgisStore`); what differs is asked of the store: the driver's
placeholder (``_mark``), the geometry hooks (``_geom_in``, ``_geom_out``, ``_encode_geom``,
``_decode_geom``), the record ids (``_take_id``) and ``_for_update``. A correction or a
signature first locks every version of its record, so two writers of one record take turns
and each decides on what the other committed (two sides signing at once make it final; a
correction based on a replaced version is refused).

Nothing here deletes a row: a corrected record gets a new version and the old one is marked
``superseded`` with its signatures kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from geociv.errors import DuplicateError, StaleRecordError, StoreError
from geociv.store._boundaries_sql import chunks
from geociv.store._rows import from_row
from geociv.store.records import (
    InspectionPlan,
    InspectionRecord,
    InspectionRound,
    LineChange,
    Signature,
    Team,
    now_utc,
)
from geociv.store.shared import placeholders, where_clause

_ROUND_COLUMNS = "round_no, first_year, last_year, title, created_by, created_at"
_PLAN_COLUMNS = (
    "plan_id, round_no, line_id, year, kind, left_code, left_team, right_code, right_team, "
    "sample, note, created_by, created_at, updated_at"
)
_PLAN_FIELDS = {"year", "left_team", "right_team", "note"}
_RECORD_FIELDS = (
    "record_id, version, kind, plan_id, round_no, line_id, marker_id, inspected_on, "
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


def _plan(row: Any) -> InspectionPlan:
    return from_row(
        InspectionPlan,
        row,
        left_team=Team(row["left_code"], tuple(json.loads(row["left_team"]))),
        right_team=Team(row["right_code"], tuple(json.loads(row["right_team"]))),
        sample=bool(row["sample"]),
    )


def _members(team: Team) -> str:
    return json.dumps(list(team.members), ensure_ascii=False)


class InspectionsSQL:
    """Inspection round, plan and record methods of a store (expects ``_conn``, ``_write``,
    ``_audit`` and the backend's hooks named in the module notes)."""

    _conn: Any
    _write: Any
    _audit: Any
    _take_id: Any
    _encode_geom: Any
    _decode_geom: Any
    _mark = "?"
    _geom_in = "?"
    _geom_out = "geom"
    _for_update = ""

    # -- rounds ----------------------------------------------------------------------------
    def add_inspection_round(self, round_: InspectionRound, *, actor: str) -> InspectionRound:
        m = self._mark
        with self._write() as conn:
            if conn.execute(
                f"SELECT 1 FROM inspection_rounds WHERE round_no = {m}", (round_.round_no,)
            ).fetchone():
                raise DuplicateError(f"第 {round_.round_no} 轮联检已存在")
            row = conn.execute(
                f"INSERT INTO inspection_rounds ({_ROUND_COLUMNS}) "
                f"VALUES ({placeholders(m, 6)}) RETURNING {_ROUND_COLUMNS}",
                (round_.round_no, round_.first_year, round_.last_year, round_.title, actor,
                 now_utc()),
            ).fetchone()  # fmt: skip
            stored = from_row(InspectionRound, row)
            self._audit(
                conn, actor=actor, action="rounds.add", entity="inspection_rounds",
                key=str(round_.round_no), before=None,
                after={"first_year": stored.first_year, "last_year": stored.last_year,
                       "title": stored.title},
            )  # fmt: skip
        return stored

    def get_inspection_round(self, round_no: int) -> InspectionRound | None:
        row = (
            self._conn()
            .execute(
                f"SELECT {_ROUND_COLUMNS} FROM inspection_rounds WHERE round_no = {self._mark}",
                (int(round_no),),
            )
            .fetchone()
        )
        return None if row is None else from_row(InspectionRound, row)

    def inspection_rounds(self) -> list[InspectionRound]:
        rows = self._conn().execute(
            f"SELECT {_ROUND_COLUMNS} FROM inspection_rounds ORDER BY round_no"
        )
        return [from_row(InspectionRound, r) for r in rows]

    # -- plans -----------------------------------------------------------------------------
    def _load_plan(self, conn: Any, plan_id: int, *, lock: bool = False) -> InspectionPlan | None:
        row = conn.execute(
            f"SELECT {_PLAN_COLUMNS} FROM inspection_plans WHERE plan_id = {self._mark}"
            f"{self._for_update if lock else ''}",
            (int(plan_id),),
        ).fetchone()
        return None if row is None else _plan(row)

    def add_inspection_plan(self, plan: InspectionPlan, *, actor: str) -> InspectionPlan:
        m, stamp = self._mark, now_utc()
        with self._write() as conn:
            if not conn.execute(
                f"SELECT 1 FROM inspection_rounds WHERE round_no = {m}", (plan.round_no,)
            ).fetchone():
                raise StoreError(f"第 {plan.round_no} 轮联检不存在")
            if plan.kind == "regular":
                taken = conn.execute(
                    "SELECT plan_id, year FROM inspection_plans "
                    f"WHERE round_no = {m} AND line_id = {m} AND kind = 'regular'",
                    (plan.round_no, plan.line_id),
                ).fetchone()
                if taken:
                    raise DuplicateError(
                        f"界线 {plan.line_id} 已列入第 {plan.round_no} 轮 {taken['year']} 年的"
                        f"联检计划（计划 {taken['plan_id']}）"
                    )
            row = conn.execute(
                "INSERT INTO inspection_plans (round_no, line_id, year, kind, left_code, "
                "left_team, right_code, right_team, sample, note, created_by, created_at, "
                f"updated_at) VALUES ({placeholders(m, 13)}) RETURNING plan_id",
                (plan.round_no, plan.line_id, plan.year, plan.kind, plan.left_team.code,
                 _members(plan.left_team), plan.right_team.code, _members(plan.right_team),
                 bool(plan.sample), plan.note, actor, stamp, stamp),
            ).fetchone()  # fmt: skip
            stored = self._load_plan(conn, row["plan_id"])
            assert stored is not None
            self._audit(
                conn, actor=actor, action="plans.add", entity="inspection_plans",
                key=str(stored.plan_id), before=None, after=stored.attributes(), note=plan.note,
            )  # fmt: skip
        return stored

    def update_inspection_plan(
        self, plan_id: int, *, actor: str, note: str = "", **changes: Any
    ) -> InspectionPlan:
        unknown = set(changes) - _PLAN_FIELDS
        if unknown:
            raise StoreError(f"联检计划没有字段：{', '.join(sorted(unknown))}")
        m = self._mark
        with self._write() as conn:
            before = self._load_plan(conn, plan_id, lock=True)
            if before is None:
                raise StoreError(f"联检计划 {plan_id} 不存在")
            columns: dict[str, Any] = {}
            for key, value in changes.items():
                if key in ("left_team", "right_team"):
                    columns[f"{key.split('_')[0]}_code"] = value.code
                    columns[key] = _members(value)
                else:
                    columns[key] = value
            if columns:
                sets = [f"{k} = {m}" for k in columns] + [f"updated_at = {m}"]
                conn.execute(
                    f"UPDATE inspection_plans SET {', '.join(sets)} WHERE plan_id = {m}",
                    (*columns.values(), now_utc(), int(plan_id)),
                )
            after = self._load_plan(conn, plan_id)
            assert after is not None
            self._audit(
                conn, actor=actor, action="plans.update", entity="inspection_plans",
                key=str(plan_id), before=before.attributes(), after=after.attributes(),
                note=note,
            )  # fmt: skip
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
        m = self._mark
        where, args = where_clause(
            [(f"{column} = {m}", value) for column, value in
             (("round_no", round_no), ("year", year), ("line_id", line_id), ("kind", kind))]
        )  # fmt: skip
        rows = self._conn().execute(
            f"SELECT {_PLAN_COLUMNS} FROM inspection_plans{where} "
            "ORDER BY round_no, year, line_id, plan_id",
            args,
        )
        return [_plan(r) for r in rows]

    # -- records: reading ------------------------------------------------------------------
    def _record(self, row: Any, signatures: Sequence[Signature]) -> InspectionRecord:
        checks = row["reference_checks"]
        return from_row(
            InspectionRecord,
            row,
            measured=self._decode_geom(row["geom"]),
            reference_checks=None if checks is None else tuple(bool(v) for v in json.loads(checks)),
            changes=tuple(LineChange(**c) for c in json.loads(row["changes_json"])),
            sample=bool(row["sample"]),
            signatures=tuple(sorted(signatures, key=lambda s: s.side)),
        )

    def _signatures(
        self, conn: Any, record_ids: Sequence[str]
    ) -> dict[tuple[str, int], list[Signature]]:
        out: dict[tuple[str, int], list[Signature]] = {}
        for chunk in chunks(sorted(set(record_ids))):
            for s in conn.execute(
                "SELECT record_id, version, side, side_code, username, signed_at, note "
                "FROM inspection_signatures "
                f"WHERE record_id IN ({placeholders(self._mark, len(chunk))}) ORDER BY id",
                tuple(chunk),
            ):
                out.setdefault((s["record_id"], s["version"]), []).append(
                    Signature(s["side"], s["side_code"], s["username"], s["signed_at"], s["note"])
                )
        return out

    def _records(self, conn: Any, where: str, args: Sequence[Any], order: str) -> list[Any]:
        """The records (with their signatures) of a ``WHERE`` clause, in ``order``."""
        rows = conn.execute(
            f"SELECT {_RECORD_FIELDS}, {self._geom_out} FROM inspection_records"
            f"{where} ORDER BY {order}",
            tuple(args),
        ).fetchall()
        signatures = self._signatures(conn, [r["record_id"] for r in rows])
        return [self._record(r, signatures.get((r["record_id"], r["version"]), [])) for r in rows]

    def _load_record(
        self, conn: Any, record_id: str, version: int | None = None
    ) -> InspectionRecord | None:
        m = self._mark
        if version is None:
            found = self._records(
                conn, f" WHERE record_id = {m}", (record_id,), "version DESC LIMIT 1"
            )
        else:
            found = self._records(
                conn, f" WHERE record_id = {m} AND version = {m}", (record_id, int(version)),
                "version",
            )  # fmt: skip
        return found[0] if found else None

    def _lock_record(self, conn: Any, record_id: str) -> None:
        """Lock every version of a record until the write commits (the GeoPackage's writer
        holds the whole file already)."""
        if self._for_update:
            conn.execute(
                f"SELECT version FROM inspection_records WHERE record_id = {self._mark}"
                f"{self._for_update}",
                (record_id,),
            ).fetchall()

    def get_inspection_record(
        self, record_id: str, version: int | None = None
    ) -> InspectionRecord | None:
        return self._load_record(self._conn(), record_id, version)

    def inspection_record_versions(self, record_id: str) -> list[InspectionRecord]:
        return self._records(
            self._conn(), f" WHERE record_id = {self._mark}", (record_id,), "version"
        )

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
        m = self._mark
        given = (("plan_id", plan_id), ("round_no", round_no), ("line_id", line_id),
                 ("marker_id", marker_id), ("kind", kind), ("status", status))  # fmt: skip
        where, args = where_clause(
            [(f"{column} = {m}", value) for column, value in given]
            + [(f"status <> {m}", None if include_superseded else "superseded")]
        )
        return self._records(self._conn(), where, args, "inspected_on, record_id, version")

    # -- records: writing ------------------------------------------------------------------
    def _record_values(self, record: InspectionRecord) -> dict[str, Any]:
        """Column values of the fields a record's author sets."""
        checks = record.reference_checks
        changes = [{"change_type": c.change_type, "description": c.description}
                   for c in record.changes]  # fmt: skip
        return {
            "inspected_on": record.inspected_on,
            "geom": self._encode_geom("inspection_records", record.measured),
            "gps_accuracy_m": record.gps_accuracy_m,
            "condition": record.condition,
            "references_present": record.references_present,
            "reference_checks": None if checks is None else json.dumps([bool(v) for v in checks]),
            "changes_json": json.dumps(changes, ensure_ascii=False),
            "remarks": record.remarks,
        }

    def _sets(self, columns: Iterable[str]) -> list[str]:
        """``column = <placeholder>`` of each column (the geometry through ``_geom_in``)."""
        return [f"{k} = {self._geom_in if k == 'geom' else self._mark}" for k in columns]

    def _insert_record_version(
        self,
        conn: Any,
        record_id: str,
        version: int,
        base: InspectionRecord,
        *,
        reason: str,
        actor: str,
        stamp: str,
        values: dict[str, Any] | None = None,
    ) -> None:
        """Insert a draft version of a record: identity fields from ``base``, the author's
        fields from ``values`` (default: those of ``base``)."""
        values = self._record_values(base) if values is None else values
        fixed = {
            "record_id": record_id, "version": version, "kind": base.kind,
            "plan_id": base.plan_id, "round_no": base.round_no, "line_id": base.line_id,
            "marker_id": base.marker_id, "sample": bool(base.sample), "status": "draft",
            "reason": reason, "created_by": actor, "created_at": stamp, "updated_at": stamp,
        }  # fmt: skip
        columns = {**fixed, **values}
        marks = [self._geom_in if k == "geom" else self._mark for k in columns]
        conn.execute(
            f"INSERT INTO inspection_records ({', '.join(columns)}) VALUES ({', '.join(marks)})",
            tuple(columns.values()),
        )

    def add_inspection_record(self, record: InspectionRecord, *, actor: str) -> InspectionRecord:
        stamp = now_utc()
        with self._write() as conn:
            if not conn.execute(
                f"SELECT 1 FROM inspection_plans WHERE plan_id = {self._mark}", (record.plan_id,)
            ).fetchone():
                raise StoreError(f"联检计划 {record.plan_id} 不存在")
            record_id = self._take_id(conn, "inspection_records", "", record.inspected_on[:4])
            self._insert_record_version(
                conn, record_id, 1, record, reason="", actor=actor, stamp=stamp
            )
            stored = self._load_record(conn, record_id)
            assert stored is not None
            self._audit(
                conn, actor=actor, action="inspections.add", entity="inspection_records",
                key=record_id, before=None, after=stored.attributes(), note=record.remarks,
            )  # fmt: skip
        return stored

    def _revisable(self, conn: Any, record_id: str, expect_version: int) -> InspectionRecord:
        """The latest version of a record, locked, if it is ``expect_version`` and not final."""
        self._lock_record(conn, record_id)
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
        return before

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
        m, stamp = self._mark, now_utc()
        with self._write() as conn:
            before = self._revisable(conn, record_id, expect_version)
            fields = dict(changes)
            if "changes" in fields:
                fields["changes"] = tuple(fields["changes"])
            values = self._record_values(replace(before, **fields))
            version = before.version
            if not before.signatures:  # a draft nobody signed is edited in place
                sets = [*self._sets(values), f"reason = {m}", f"updated_at = {m}"]
                conn.execute(
                    f"UPDATE inspection_records SET {', '.join(sets)} "
                    f"WHERE record_id = {m} AND version = {m}",
                    (*values.values(), reason, stamp, record_id, version),
                )
                action = "inspections.edit"
            else:  # a signed version is kept as it was signed; the correction is a new one
                conn.execute(
                    f"UPDATE inspection_records SET status = 'superseded', updated_at = {m} "
                    f"WHERE record_id = {m} AND version = {m}",
                    (stamp, record_id, version),
                )
                version += 1
                self._insert_record_version(
                    conn, record_id, version, before, reason=reason, actor=actor, stamp=stamp,
                    values=values,
                )  # fmt: skip
                action = "inspections.correct"
            after = self._load_record(conn, record_id, version)
            assert after is not None
            self._audit(
                conn, actor=actor, action=action, entity="inspection_records", key=record_id,
                before=before.attributes(), after=after.attributes(), note=reason,
            )  # fmt: skip
        return after

    def _signable(self, conn: Any, record_id: str, version: int, side: str) -> InspectionRecord:
        """Version ``version`` of a record, locked, if it is a draft not yet signed by ``side``."""
        self._lock_record(conn, record_id)
        before = self._load_record(conn, record_id, version)
        if before is None:
            raise StoreError(f"联检记录 {record_id} 没有第 {version} 版")
        if before.status == "superseded":
            raise StaleRecordError(
                f"联检记录 {record_id} 第 {version} 版已被更正，请在最新版本上签字"
            )
        if before.status == "final":
            raise StaleRecordError(f"联检记录 {record_id} 第 {version} 版已由双方签字确认")
        taken = before.signature(side)
        if taken is not None:
            raise DuplicateError(
                f"联检记录 {record_id} 第 {version} 版已由本方（{taken.side_code}）"
                f"的 {taken.username} 签字，同一方不能再次签字"
            )
        return before

    def sign_inspection_record(
        self, record_id: str, *, version: int, signature: Signature, actor: str
    ) -> InspectionRecord:
        m = self._mark
        with self._write() as conn:
            before = self._signable(conn, record_id, version, signature.side)
            stamp = now_utc()
            conn.execute(
                "INSERT INTO inspection_signatures (record_id, version, side, side_code, "
                f"username, signed_at, note) VALUES ({placeholders(m, 7)})",
                (record_id, version, signature.side, signature.side_code, signature.username,
                 stamp, signature.note),
            )  # fmt: skip
            sides = {
                r["side"]
                for r in conn.execute(
                    "SELECT side FROM inspection_signatures "
                    f"WHERE record_id = {m} AND version = {m}",
                    (record_id, version),
                )
            }
            if sides == {"left", "right"}:  # both sides have signed: the record is final
                conn.execute(
                    f"UPDATE inspection_records SET status = 'final', updated_at = {m} "
                    f"WHERE record_id = {m} AND version = {m}",
                    (stamp, record_id, version),
                )
            after = self._load_record(conn, record_id, version)
            assert after is not None
            self._audit(
                conn, actor=actor, action="inspections.sign", entity="inspection_records",
                key=record_id, before={"version": version, "status": before.status},
                after={"version": version, "status": after.status, "side": signature.side,
                       "side_code": signature.side_code, "username": signature.username},
                note=signature.note,
            )  # fmt: skip
        return after

"""Inspection records of the joint inspection (联检记录) and their two-side sign-off.

A record belongs to a plan (:mod:`geociv.boundaries.rounds`) and a date, and is either

* a marker check (界桩检查, ``kind="marker"``): the measured position (CGCS2000) with its GPS
  accuracy in metres, the condition — intact / damaged / missing / displaced / buried /
  inscription illegible (完好/损坏/丢失/移位/掩埋/字迹不清) — the reference objects (方位物)
  still present (a count, or one yes/no per registered object), photos and remarks
  (DESIGN.md "Boundaries and inspections" rule 4); or
* a line check (界线检查, ``kind="line"``): the changes found along the line, each with a type
  (跨界建设 construction across it, 河道变化 river change, 道路变化 road change, 边界争议 dispute,
  其他) and a description. A plan is done when its line record is final.

Sign-off (rule 6): a record is final only when an inspector of each side has signed it. Each
side signs only for itself: a user's side is decided by their ``division_code``, which must be
the side's division at the line's level or lie inside it
(:func:`~geociv.boundaries.registry.side_of`: for a county line the county or one of its
townships, for a city line the city or one of its counties); a second signature by the same
side is refused. A correction made after any
signature is a new version — the signed version stays, marked superseded, and its signatures
do not carry over; before any signature the draft is corrected in place (audited). A final
record cannot be edited at all.

Examples
--------
>>> RecordFinalError("联检记录 I2026-0001 已由双方签字确认，不能修改").title
'联检记录不能修改'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import geopandas as gpd
from shapely import Point
from shapely.geometry.base import BaseGeometry

from geociv import crs as _crs
from geociv.auth import require_role
from geociv.authority import require, require_line
from geociv.boundaries.markers import check_photo
from geociv.boundaries.registry import side_of, side_unit
from geociv.errors import (
    ConflictError,
    CoordinateRangeError,
    CRSError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
    ValidationError,
)
from geociv.fields import check_day, choose
from geociv.labels import LINE_CHANGE_LABELS, MARKER_CONDITION_LABELS, SIDE_LABELS
from geociv.store import (
    LINE_CHANGE_TYPES,
    MARKER_CONDITIONS,
    BoundaryLine,
    BoundaryPhoto,
    InspectionPlan,
    InspectionRecord,
    LineChange,
    Marker,
    Signature,
    Store,
)

#: Largest GPS accuracy figure accepted (m); worse fixes are not a position.
MAX_GPS_ACCURACY_M = 1000.0

#: Fields :meth:`Inspections.correct` may change, per record kind.
CORRECTABLE: dict[str, frozenset[str]] = {
    "marker": frozenset(
        {"inspected_on", "measured", "gps_accuracy_m", "condition", "references_present",
         "remarks"}
    ),
    "line": frozenset({"inspected_on", "changes", "remarks"}),
}  # fmt: skip


class RecordFinalError(ConflictError, ValidationError):
    """The record has been signed by both sides and can no longer be changed (a conflict:
    the web answers 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(Problem(message), title="联检记录不能修改")


class SignOffError(ValidationError):
    """A signature was refused: wrong side, the side has signed already, an old version."""

    def __init__(self, message: str) -> None:
        super().__init__(Problem(message, field="signer"), title="签字未被接受")


@dataclass(frozen=True)
class Submitted:
    """What :meth:`Inspections.submit` did: the record, and why a requested signature was
    refused (``None`` when signed or not asked)."""

    record: InspectionRecord
    sign_refused: str | None = None


class Inspections:
    """Inspection records kept in a :class:`~geociv.store.Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- reads -----------------------------------------------------------------------------
    def get(self, record_id: str, version: int | None = None) -> InspectionRecord:
        """A version of a record (default the latest); ``LookupError`` if there is none."""
        record = self.store.get_inspection_record((record_id or "").strip(), version)
        if record is None:
            which = f"第 {version} 版" if version is not None else ""
            raise NotFoundError(f"未找到联检记录 {record_id}{which}")
        return record

    def versions(self, record_id: str) -> list[InspectionRecord]:
        """Every version of a record, oldest first (superseded ones with their signatures)."""
        found = self.store.inspection_record_versions((record_id or "").strip())
        if not found:
            raise NotFoundError(f"未找到联检记录 {record_id}")
        return found

    def query(self, **filters: Any) -> list[InspectionRecord]:
        """Records (latest versions) filtered by ``plan_id``, ``round_no``, ``line_id``,
        ``marker_id``, ``kind``, ``status``; ``include_superseded=True`` adds old versions."""
        return self.store.query_inspection_records(**filters)

    def frame(self, **filters: Any) -> gpd.GeoDataFrame:
        """Marker checks as a GeoDataFrame of measured positions in EPSG:4490."""
        records = [r for r in self.query(kind="marker", **filters) if r.measured is not None]
        return gpd.GeoDataFrame(
            {
                "record_id": [r.record_id for r in records],
                "version": [r.version for r in records],
                "marker_id": [r.marker_id for r in records],
                "line_id": [r.line_id for r in records],
                "inspected_on": [r.inspected_on for r in records],
                "condition": [r.condition for r in records],
                "condition_label": [MARKER_CONDITION_LABELS.get(r.condition or "", "")
                                    for r in records],
                "gps_accuracy_m": [r.gps_accuracy_m for r in records],
                "status": [r.status for r in records],
                "sample": [r.sample for r in records],
            },
            geometry=[r.measured for r in records],
            crs=_crs.STORAGE_CRS,
        )  # fmt: skip

    def photos(self, record_id: str, *, with_content: bool = False) -> list[BoundaryPhoto]:
        """Photos of a record (all versions share them), in the order they were added."""
        return self.store.boundary_photos(
            "inspection", self.get(record_id).record_id, with_content=with_content
        )

    def pending(self, username: str) -> list[InspectionRecord]:
        """Records waiting for the signature of ``username``'s side."""
        found = self.store.get_user(username)
        if found is None:
            return []
        user = found[0]
        out = []
        lines: dict[str, BoundaryLine | None] = {}
        for record in self.store.query_inspection_records(status="draft"):
            if record.line_id not in lines:
                lines[record.line_id] = self._line(record.line_id)
            line = lines[record.line_id]
            side = None if line is None else side_of(user.division_code, line)
            if side is not None and record.signature(side) is None:
                out.append(record)
        return out

    # -- writes ----------------------------------------------------------------------------
    def record_marker(
        self,
        plan_id: int,
        marker_id: str,
        *,
        condition: str,
        actor: str,
        inspected_on: str | date | None = None,
        measured: BaseGeometry | tuple[float, float] | None = None,
        gps_accuracy_m: float | None = None,
        references_present: int | Sequence[bool] | None = None,
        remarks: str = "",
        declared_crs: str | None = None,
    ) -> InspectionRecord:
        """Record the check of one marker.

        Parameters
        ----------
        plan_id
            The plan the check belongs to; the marker must be on the plan's line.
        condition
            ``intact``, ``damaged``, ``missing``, ``displaced``, ``buried`` or ``illegible``
            (or 完好/损坏/丢失/移位/掩埋/字迹不清).
        inspected_on
            Date of the check (default today; within the plan's round, not after today).
        measured, gps_accuracy_m
            The measured position (``Point`` or ``(lon, lat)``, CGCS2000 unless
            ``declared_crs`` says WGS84/GCJ02/BD09/an EPSG code) and its accuracy in metres;
            both required unless the marker is missing.
        references_present
            How many reference objects are still there, or one ``True``/``False`` per object
            in the order of the marker's register.

        Raises
        ------
        ValidationError
            Listing every problem; nothing is stored. A marker already checked in the plan
            must be corrected (:meth:`correct`), not recorded twice.
        """
        problems: list[Problem] = []
        plan = self._plan(plan_id, problems)
        self._require_plan_line(plan, actor, "inspections.add")
        with self.store.transaction():  # "not yet checked in the plan" decided with the write
            return self._record_marker(
                plan, marker_id, problems, actor=actor, declared_crs=declared_crs,
                values={
                    "inspected_on": inspected_on, "condition": condition, "measured": measured,
                    "gps_accuracy_m": gps_accuracy_m, "references_present": references_present,
                    "remarks": remarks,
                },
            )  # fmt: skip

    def _record_marker(
        self,
        plan: InspectionPlan | None,
        marker_id: str,
        problems: list[Problem],
        *,
        actor: str,
        declared_crs: str | None,
        values: dict[str, Any],
    ) -> InspectionRecord:
        marker = self.store.get_marker((marker_id or "").strip())
        if marker is None:
            problems.append(Problem(f"未找到界桩 {marker_id}", field="marker_id"))
        elif marker.status != "active":
            problems.append(Problem(f"界桩 {marker.marker_id} 已停用", field="marker_id"))
        elif plan is not None:
            if marker.line_id != plan.line_id:
                problems.append(
                    Problem(
                        f"界桩 {marker.marker_id} 不在计划 {plan.plan_id} 的界线 {plan.line_id} 上",
                        field="marker_id",
                    )
                )
            for other in self.store.query_inspection_records(
                plan_id=plan.plan_id, marker_id=marker.marker_id
            ):
                problems.append(
                    Problem(
                        f"界桩 {marker.marker_id} 在计划 {plan.plan_id} 中已有检查记录 "
                        f"{other.record_id}；如需更改请更正该记录",
                        field="marker_id",
                    )
                )
        clean = self._check_marker_values(values, plan, marker, declared_crs, problems)
        if problems:
            raise ValidationError(problems, title="界桩检查记录有误")
        assert plan is not None and plan.plan_id is not None and marker is not None
        return self.store.add_inspection_record(
            InspectionRecord(
                record_id="",
                kind="marker",
                plan_id=plan.plan_id,
                round_no=plan.round_no,
                line_id=plan.line_id,
                marker_id=marker.marker_id,
                sample=plan.sample,
                **clean,
            ),
            actor=actor,
        )

    def record_line(
        self,
        plan_id: int,
        *,
        actor: str,
        inspected_on: str | date | None = None,
        changes: Iterable[LineChange | tuple[str, str] | Mapping[str, str]] = (),
        remarks: str = "",
    ) -> InspectionRecord:
        """Record the check of a plan's line: the changes found along it (none is a valid
        finding). Once both sides sign it, the plan is done.

        ``changes`` items are :class:`~geociv.store.LineChange`, ``(type, description)`` or
        ``{"change_type": …, "description": …}``; types ``construction``, ``river``,
        ``road``, ``dispute``, ``other`` (or 跨界建设/河道变化/道路变化/边界争议/其他变化).
        """
        problems: list[Problem] = []
        plan = self._plan(plan_id, problems)
        self._require_plan_line(plan, actor, "inspections.add")
        values = {"inspected_on": inspected_on, "changes": changes, "remarks": remarks}
        with self.store.transaction():  # "no line record in the plan yet" decided with the write
            return self._record_line(plan, problems, values, actor=actor)

    def _record_line(
        self,
        plan: InspectionPlan | None,
        problems: list[Problem],
        values: dict[str, Any],
        *,
        actor: str,
    ) -> InspectionRecord:
        if plan is not None:
            for other in self.store.query_inspection_records(plan_id=plan.plan_id, kind="line"):
                problems.append(
                    Problem(
                        f"计划 {plan.plan_id} 已有界线检查记录 {other.record_id}；"
                        "如需更改请更正该记录",
                        field="plan_id",
                    )
                )
        clean = self._check_line_values(values, plan, problems)
        if problems:
            raise ValidationError(problems, title="界线检查记录有误")
        assert plan is not None and plan.plan_id is not None
        return self.store.add_inspection_record(
            InspectionRecord(
                record_id="",
                kind="line",
                plan_id=plan.plan_id,
                round_no=plan.round_no,
                line_id=plan.line_id,
                sample=plan.sample,
                **clean,
            ),
            actor=actor,
        )

    def correct(
        self,
        record_id: str,
        *,
        actor: str,
        reason: str,
        declared_crs: str | None = None,
        **changes: Any,
    ) -> InspectionRecord:
        """Correct a record (更正).

        Before any signature the draft is changed in place (the audit trail keeps the old
        values); once one side has signed, the correction is written as the next version,
        the signed version is kept as superseded and the signatures start afresh. A final
        record (both sides signed) is refused with :class:`RecordFinalError`.

        ``changes`` as for :meth:`record_marker` (``inspected_on``, ``measured``,
        ``gps_accuracy_m``, ``condition``, ``references_present``, ``remarks``) or
        :meth:`record_line` (``inspected_on``, ``changes``, ``remarks``); the whole corrected
        record is checked again.
        """
        record = self.get(record_id)
        self._require_record_line(record, actor, "inspections.correct")
        if record.is_final:
            raise RecordFinalError(
                f"联检记录 {record.record_id} 第 {record.version} 版已由双方签字确认，不能修改；"
                "情况有变时请另行检查并新建记录"
            )
        problems: list[Problem] = []
        if not (reason or "").strip():
            problems.append(Problem("须填写更正原因", field="reason"))
        unknown = set(changes) - CORRECTABLE[record.kind]
        for key in sorted(unknown):
            problems.append(Problem(f"{_kind_label(record)}不能更正字段 {key!r}", field=key))
        if not changes:
            problems.append(Problem("没有要更正的内容", field="changes"))
        plan = self._plan(record.plan_id, problems)
        merged: dict[str, Any]
        if record.kind == "marker":
            marker = self.store.get_marker(record.marker_id or "")
            merged = {
                "inspected_on": record.inspected_on,
                "condition": record.condition,
                "measured": record.measured,
                "gps_accuracy_m": record.gps_accuracy_m,
                "references_present": list(record.reference_checks)
                if record.reference_checks is not None
                else record.references_present,
                "remarks": record.remarks,
            }
            merged.update({k: v for k, v in changes.items() if k not in unknown})
            crs_for = declared_crs if "measured" in changes else None
            clean = self._check_marker_values(merged, plan, marker, crs_for, problems)
        else:
            merged = {
                "inspected_on": record.inspected_on,
                "changes": record.changes,
                "remarks": record.remarks,
            }
            merged.update({k: v for k, v in changes.items() if k not in unknown})
            clean = self._check_line_values(merged, plan, problems)
        if problems:
            raise ValidationError(problems, title=f"联检记录 {record.record_id} 更正有误")
        return self.store.revise_inspection_record(
            record.record_id,
            expect_version=record.version,
            actor=actor,
            reason=reason.strip(),
            changes=clean,
        )

    def sign(
        self, record_id: str, *, signer: str, note: str = "", version: int | None = None
    ) -> InspectionRecord:
        """Sign a record for the signer's side of its line.

        Parameters
        ----------
        signer
            User name of the inspector signing (the actor of the write). Their role must be
            inspector (or admin) and their division must be on one side of the line.
        version
            The version the signer has read; refused if it has been corrected since.

        Returns
        -------
        InspectionRecord
            The signed version; ``status`` is ``final`` once both sides have signed.

        Raises
        ------
        SignOffError
            Unknown user, a division on neither side, the side has signed already, an old
            version.
        PermissionDeniedError
            The user is not an inspector.
        RecordFinalError
            Both sides have signed already.
        """
        found = self.store.get_user((signer or "").strip())
        if found is None:
            raise SignOffError(f"用户 {signer} 不存在")
        user = found[0]
        require_role(user, "inspector")
        record = self.get(record_id)
        if version is not None and int(version) != record.version:
            raise SignOffError(
                f"联检记录 {record.record_id} 第 {version} 版已被更正，现行为第 {record.version} "
                "版：请阅读最新版本后再签字"
            )
        if record.is_final:
            raise RecordFinalError(
                f"联检记录 {record.record_id} 第 {record.version} 版已由双方签字确认"
            )
        line = self._line(record.line_id)
        side = None if line is None else side_of(user.division_code, line)
        if line is None or side is None:
            sides = ""
            if line is not None:
                left, right = self._side_name(line, "left"), self._side_name(line, "right")
                sides = f"（左侧 {left}，右侧 {right}）"
            name = line.name if line else record.line_id
            raise SignOffError(
                f"用户 {user.username} 所属区划 {user.division_code} 不属于界线 {name} 的任何"
                f"一侧{sides}，不能签字：每一方只能为本方签字"
            )
        taken = record.signature(side)
        if taken is not None:
            raise SignOffError(
                f"联检记录 {record.record_id} 第 {record.version} 版已由{SIDE_LABELS[side]}"
                f"（{taken.side_code}）的 {taken.username} 签字，同一方不能再次签字；"
                "须由另一方签字"
            )
        return self.store.sign_inspection_record(
            record.record_id,
            version=record.version,
            signature=Signature(side, user.division_code, user.username, note=(note or "").strip()),
            actor=user.username,
        )

    def add_photo(
        self, record_id: str, filename: str, content: bytes, *, actor: str, note: str = ""
    ) -> BoundaryPhoto:
        """Keep a photo with a record (never deleted; shared by all its versions). Photos may
        be added to a final record too: they add evidence without changing what was signed."""
        record = self.get(record_id)
        self._require_record_line(record, actor, "inspections.photo")
        name, problems = check_photo(filename, content)
        if problems:
            raise ValidationError(problems, title="照片有误")
        return self.store.add_boundary_photo(
            BoundaryPhoto("inspection", record.record_id, name, bytes(content), note=note.strip()),
            actor=actor,
        )

    def submit(
        self,
        plan_id: int,
        *,
        actor: str,
        marker_id: str | None = None,
        photo: tuple[str, bytes] | None = None,
        sign: bool = False,
        **fields: Any,
    ) -> Submitted:
        """Record a check with its photo and, when asked, the actor's signature: all or nothing.

        The page, the API and the CLI record a check through this one call: the record, its
        photo and the signature are written in one transaction, so a failure at any step
        leaves no record behind. A signature the rules refuse (a division on neither side, a
        user who is no inspector) is not a failure: the record is kept unsigned and the reason
        returned.

        Parameters
        ----------
        marker_id
            The marker checked (a marker check, :meth:`record_marker`); ``None`` for a line
            check (:meth:`record_line`).
        photo
            ``(filename, content)`` of a photo to keep with the record.
        sign
            Sign for the actor's own side once the record is written.
        **fields
            The check's values as :meth:`record_marker` or :meth:`record_line` take them.

        Returns
        -------
        Submitted
            The record (signed if asked and allowed) and why a requested signature was refused.
        """
        with self.store.transaction():
            if marker_id is None:
                record = self.record_line(plan_id, actor=actor, **fields)
            else:
                record = self.record_marker(plan_id, marker_id, actor=actor, **fields)
            if photo is not None:
                self.add_photo(record.record_id, photo[0], photo[1], actor=actor)
            if not sign:
                return Submitted(record)
            try:
                signed = self.sign(record.record_id, signer=actor, version=record.version)
            except (SignOffError, PermissionDeniedError) as exc:
                return Submitted(record, sign_refused=str(exc))
            return Submitted(signed)

    # -- authority -------------------------------------------------------------------------
    def _require_plan_line(self, plan: InspectionPlan | None, actor: str, what: str) -> None:
        """Only inspectors of a side of the plan's line record its checks (an unknown plan
        is left to the validation that follows)."""
        line = None if plan is None else self._line(plan.line_id)
        if line is None:
            require(self.store, actor, ("inspector",), what=what)
        else:
            require_line(self.store, actor, line, what=what)

    def _require_record_line(self, record: InspectionRecord, actor: str, what: str) -> None:
        """Only inspectors of a side of the record's line correct it or add photos."""
        line = self._line(record.line_id)
        if line is None:
            require(self.store, actor, ("admin",), what=what)
        else:
            require_line(self.store, actor, line, what=what)

    # -- checks ----------------------------------------------------------------------------
    def _plan(self, plan_id: int, problems: list[Problem]) -> InspectionPlan | None:
        try:
            plan = self.store.get_inspection_plan(int(plan_id))
        except (TypeError, ValueError, OverflowError):  # not a number, or beyond 64 bits
            plan = None
        if plan is None:
            problems.append(Problem(f"未找到联检计划 {plan_id}", field="plan_id"))
        return plan

    def _line(self, line_id: str) -> BoundaryLine | None:
        line = self.store.get_boundary_line(line_id)
        if line is None:
            versions = self.store.boundary_line_versions(line_id)
            line = versions[-1] if versions else None
        return line

    def _side_name(self, line: BoundaryLine, side: str) -> str:
        code = line.left_code if side == "left" else line.right_code
        unit = side_unit(code, line.level)
        division = self.store.get_division(unit)
        return f"{division.name} {unit}" if division else unit

    def _check_day(
        self, value: object, plan: InspectionPlan | None, problems: list[Problem]
    ) -> str | None:
        given = None if value in ("", None) else str(value)
        day = check_day(given, "inspected_on", problems)
        if day is None or plan is None:
            return day
        round_ = self.store.get_inspection_round(plan.round_no)
        if round_ is not None and not round_.covers(int(day[:4])):
            problems.append(
                Problem(
                    f"检查日期 {day} 不在第 {round_.round_no} 轮（{round_.first_year}–"
                    f"{round_.last_year}）内",
                    field="inspected_on",
                )
            )
            return None
        return day

    def _check_marker_values(
        self,
        values: Mapping[str, Any],
        plan: InspectionPlan | None,
        marker: Marker | None,
        declared_crs: str | None,
        problems: list[Problem],
    ) -> dict[str, Any]:
        day = self._check_day(values.get("inspected_on"), plan, problems)
        condition = choose(
            values.get("condition"),
            MARKER_CONDITIONS,
            MARKER_CONDITION_LABELS,
            "condition",
            "界桩状况",
            problems,
        )
        measured = self._check_point(values.get("measured"), declared_crs, problems)
        accuracy = values.get("gps_accuracy_m")
        if accuracy in ("", None):
            accuracy = None
            if measured is not None:
                problems.append(
                    Problem("有实测位置时须填写 GPS 精度（米）", field="gps_accuracy_m")
                )
        else:
            try:
                accuracy = float(accuracy)
            except (TypeError, ValueError):
                accuracy = math.nan
            if not (math.isfinite(accuracy) and 0 <= accuracy <= MAX_GPS_ACCURACY_M):
                problems.append(
                    Problem(
                        f"GPS 精度 {values.get('gps_accuracy_m')!r} 应为 0–"
                        f"{MAX_GPS_ACCURACY_M:g} 米",
                        field="gps_accuracy_m",
                    )
                )
                accuracy = None
        if (
            measured is None
            and values.get("measured") is None
            and condition
            not in (
                None,
                "missing",
            )
        ):
            problems.append(
                Problem("须填写实测位置（经度、纬度）；只有界桩丢失时可以不填", field="measured")
            )
        present, checks = self._check_references(values.get("references_present"), marker,
                                                 problems)  # fmt: skip
        return {
            "inspected_on": day,
            "condition": condition,
            "measured": measured,
            "gps_accuracy_m": accuracy,
            "references_present": present,
            "reference_checks": checks,
            "remarks": str(values.get("remarks") or "").strip(),
        }

    @staticmethod
    def _check_point(
        value: object, declared_crs: str | None, problems: list[Problem]
    ) -> Point | None:
        if value is None:
            return None
        if isinstance(value, Point) and not value.is_empty and not value.has_z:
            lon, lat = value.x, value.y
        elif (
            isinstance(value, Sequence)
            and not isinstance(value, str)
            and len(value) == 2
            and all(isinstance(v, int | float) for v in value)
        ):
            lon, lat = float(value[0]), float(value[1])
        else:
            problems.append(Problem("实测位置应为一个二维点或（经度, 纬度）", field="measured"))
            return None
        try:
            if declared_crs:
                frame = gpd.GeoDataFrame(geometry=[Point(lon, lat)])
                point = _crs.to_storage_crs(frame, declared_crs).geometry.iloc[0]
                return Point(point.x, point.y)
            _crs.check_lonlat(lon, lat)
        except (CoordinateRangeError, CRSError) as exc:
            problems.append(Problem(str(exc), field="measured"))
            return None
        return Point(lon, lat)

    @staticmethod
    def _check_references(
        value: object, marker: Marker | None, problems: list[Problem]
    ) -> tuple[int | None, tuple[bool, ...] | None]:
        registered = len(marker.references) if marker is not None else None
        if value is None or value == "":
            return None, None
        if isinstance(value, bool):
            problems.append(Problem("方位物应填存在的个数或逐个的有无", field="references_present"))
            return None, None
        if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
            count = int(value)
            if count < 0 or (registered and count > registered):
                problems.append(
                    Problem(
                        f"现存方位物 {count} 个，应在 0–{registered} 之间（登记 {registered} 个）",
                        field="references_present",
                    )
                )
                return None, None
            return count, None
        if isinstance(value, Sequence) and not isinstance(value, str):
            checks = tuple(bool(v) for v in value)
            if registered is not None and len(checks) != registered:
                problems.append(
                    Problem(
                        f"逐个核对的方位物有 {len(checks)} 项，而界桩登记了 {registered} 个",
                        field="references_present",
                    )
                )
                return None, None
            return sum(checks), checks
        problems.append(Problem(f"方位物核对结果 {value!r} 无法识别", field="references_present"))
        return None, None

    def _check_line_values(
        self, values: Mapping[str, Any], plan: InspectionPlan | None, problems: list[Problem]
    ) -> dict[str, Any]:
        day = self._check_day(values.get("inspected_on"), plan, problems)
        changes = []
        raw = values.get("changes") or ()
        if isinstance(raw, str | Mapping | LineChange):
            raw = [raw]
        for j, item in enumerate(raw, start=1):
            if isinstance(item, LineChange):
                kind, text = item.change_type, item.description
            elif isinstance(item, Mapping):
                kind, text = (
                    item.get("change_type", item.get("type", "")),
                    item.get("description", ""),
                )
            elif isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2:
                kind, text = item
            else:
                problems.append(Problem(f"第 {j} 项变化应为（类型, 说明）", field="changes"))
                continue
            found: list[Problem] = []
            code = choose(str(kind or ""), LINE_CHANGE_TYPES, LINE_CHANGE_LABELS, "changes",
                          "变化类型", found)  # fmt: skip
            problems += [Problem(f"第 {j} 项：{p.message}", field="changes") for p in found]
            description = str(text or "").strip()
            if not description:
                problems.append(Problem(f"第 {j} 项变化缺少说明", field="changes"))
            if code and description:
                changes.append(LineChange(code, description))
        return {
            "inspected_on": day,
            "changes": tuple(changes),
            "remarks": str(values.get("remarks") or "").strip(),
        }


def _kind_label(record: InspectionRecord) -> str:
    return "界桩检查记录" if record.kind == "marker" else "界线检查记录"

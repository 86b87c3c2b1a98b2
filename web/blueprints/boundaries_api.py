"""JSON API of boundary lines, markers and the joint inspection (界线联检).

Reads need a logged-in user (any role); writes the ``inspector`` role (admins pass every
role). Every write goes through :mod:`geociv.boundaries` (the services audit it); an
inspector's side of a line is decided by the services from the user's division. Bad input is
a 400 with ``{"error", "problems": [{row, field, message}]}`` whose fields are the request's
(``lon``/``lat``/``location`` for the measured position, ``photo`` for a photo, ``file`` for
an import). What the page :mod:`web.blueprints.boundaries` shares with it is in
:mod:`web.handlers.boundaries`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import geopandas as gpd
from flask import Blueprint, Response, jsonify, request
from shapely.geometry import mapping

from geociv.boundaries.findings import BoundaryFinding, Findings
from geociv.boundaries.markers import Markers
from geociv.boundaries.registry import BoundaryLines, to_frame
from geociv.boundaries.topology import check_within
from geociv.divisions import Divisions, normalize_code
from geociv.errors import AdcodeError, Problem, ValidationError
from geociv.labels import (
    LINE_CHANGE_LABELS,
    LINE_LEVEL_LABELS,
    LINE_SOURCE_LABELS,
    MARKER_CONDITION_LABELS,
    MARKER_KIND_LABELS,
    RECORD_KIND_LABELS,
    RECORD_STATUS_LABELS,
)
from geociv.store import (
    LINE_LEVELS,
    RECORD_STATUSES,
    SIDES,
    BoundaryPhoto,
    InspectionRecord,
    Marker,
)
from web._helpers import actor, not_found, role_required, store
from web.handlers.boundaries import (
    build_report,
    correct_record,
    create_record,
    division_name,
    get_line,
    get_record,
    import_markers,
    inspections,
    jurisdiction,
    latest_checks,
    report_docx_file,
    report_filename,
    report_html_page,
    side_info,
    sign_record,
)
from web.params import ID_INT_MAX, bbox_arg, flag, int_arg, parse_int

if TYPE_CHECKING:
    pass

bp = Blueprint("boundaries_api", __name__, url_prefix="/api/boundaries")

#: Roles that may read lines, markers, records and reports (every role; admins pass too).
READERS: tuple[str, ...] = ("officer", "inspector", "planner")


#: Bounds of round numbers and report years in requests.
ROUND_MAX = 999
YEAR_MIN, YEAR_MAX = 1949, 2100


# -- query arguments ----------------------------------------------------------------------------


def parent_arg(default: str | None = None) -> str | None:
    """The ``parent`` query argument (an adcode), checked; ``default`` when absent."""
    text = (request.args.get("parent") or "").strip()
    if not text:
        return default
    try:
        return normalize_code(text)
    except AdcodeError as exc:
        raise ValidationError(Problem(str(exc), field="parent"), title="查询参数有误") from None


# -- JSON shapes --------------------------------------------------------------------------------


def _geojson(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/geo+json")


def line_properties(row: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """Properties of a line (a row of :meth:`BoundaryLines.current`) for GeoJSON."""
    left, right = str(row["left"]), str(row["right"] or "")
    return {
        "line_id": row["line_id"],
        "version": int(row["version"]),
        "name": row["name"],
        "section": row["section"],
        "length_km": round(float(row["length_km"]), 3),
        "level": row["level"],
        "level_label": LINE_LEVEL_LABELS[row["level"]],
        "internal": bool(row["internal"]),
        "left": left,
        "right": right,
        "left_name": names.get(left, left),
        "right_name": names.get(right, right) if right else "",
        "source": row["source"],
        "source_label": LINE_SOURCE_LABELS.get(row["source"], row["source"]),
        "sample": row["source"] == "sample",
        "valid_from": row["valid_from"],
    }


def lines_collection(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """Lines as a GeoJSON FeatureCollection (EPSG:4490)."""
    codes = {str(c) for c in frame["left"]} | {str(c) for c in frame["right"] if c}
    names = {c: division_name(c) for c in codes}
    features = [
        {
            "type": "Feature",
            "id": row["line_id"],
            "properties": line_properties(row, names),
            "geometry": mapping(geom) if geom is not None else None,
        }
        for row, geom in zip(
            frame.drop(columns="geometry").to_dict("records"), frame.geometry, strict=True
        )
    ]
    return {"type": "FeatureCollection", "features": features}


def check_summary(record: InspectionRecord | None) -> dict[str, Any] | None:
    """The few fields of a marker check shown next to its marker."""
    if record is None:
        return None
    return {
        "record_id": record.record_id,
        "version": record.version,
        "inspected_on": record.inspected_on,
        "condition": record.condition,
        "condition_label": MARKER_CONDITION_LABELS.get(record.condition or "", ""),
        "status": record.status,
        "status_label": RECORD_STATUS_LABELS[record.status],
        "sample": record.sample,
    }


def marker_feature(marker: Marker, check: InspectionRecord | None = None) -> dict[str, Any]:
    """A marker as a GeoJSON Feature with its labels and latest check."""
    props = marker.attributes()
    props["kind_label"] = MARKER_KIND_LABELS[marker.kind]
    props["latest_check"] = check_summary(check)
    return {
        "type": "Feature",
        "id": marker.marker_id,
        "properties": props,
        "geometry": mapping(marker.location) if marker.location is not None else None,
    }


def finding_feature(finding: BoundaryFinding) -> dict[str, Any]:
    """A finding as a GeoJSON Feature (its location: the marker, or the line from the
    registered to the measured position of a displaced marker)."""
    props = finding.to_dict()
    geometry = props.pop("geometry")
    return {"type": "Feature", "properties": props, "geometry": geometry}


def photo_json(record_id: str, photo: BoundaryPhoto) -> dict[str, Any]:
    """Photo metadata with its download address."""
    return {
        **photo.attributes(),
        "url": f"/boundaries/records/{record_id}/photos/{photo.id}",
    }


def record_json(record: InspectionRecord, *, full: bool = False) -> dict[str, Any]:
    """A record with its labels, both sides and their signatures, what it waits for; with
    ``full`` also every version and the photos."""
    data = record.attributes()
    data["kind_label"] = RECORD_KIND_LABELS[record.kind]
    data["status_label"] = RECORD_STATUS_LABELS[record.status]
    data["condition_label"] = MARKER_CONDITION_LABELS.get(record.condition or "", "")
    for change in data["changes"]:
        change["label"] = LINE_CHANGE_LABELS[change["change_type"]]
    line = get_line(record.line_id)
    data["line_name"] = line.name
    sides = side_info(line)
    for side in SIDES:
        signature = record.signature(side)
        sides[side]["signature"] = asdict(signature) if signature else None  # type: ignore[assignment]
    data["sides"] = sides
    data["waiting_for"] = (
        [s for s in SIDES if record.signature(s) is None] if record.status == "draft" else []
    )
    if full:
        svc = inspections()
        data["versions"] = [
            {**v.attributes(), "status_label": RECORD_STATUS_LABELS[v.status]}
            for v in svc.versions(record.record_id)
        ]
        data["photos"] = [photo_json(record.record_id, p) for p in svc.photos(record.record_id)]
    return data


# -- reports ------------------------------------------------------------------------------------


def _report_response(kind: str, number: int) -> Response:
    parent = parent_arg(jurisdiction())
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "html", "docx"):
        raise ValidationError(
            Problem(f"未知格式 {fmt!r}；可用：json、html、docx", field="format"),
            title="查询参数有误",
        )
    try:
        report = build_report(kind, number, parent)
    except LookupError as exc:
        not_found(str(exc.args[0] if exc.args else exc))
    if fmt == "html":
        return Response(report_html_page(report), mimetype="text/html")
    if fmt == "docx":
        return report_docx_file(report, report_filename(kind, number) + ".docx")
    return jsonify(report.to_dict())


# -- routes -------------------------------------------------------------------------------------


def _body() -> dict[str, Any]:
    if request.mimetype == "multipart/form-data" or request.mimetype.endswith("urlencoded"):
        form: dict[str, Any] = request.form.to_dict()
        return form
    data = request.get_json(silent=True)
    if data is None and not request.data:
        return {}
    if not isinstance(data, dict):
        raise ValidationError(Problem("请求体应为 JSON 对象", field="body"), title="请求有误")
    return data


@bp.get("/lines")
@role_required(*READERS)
def lines() -> Response:
    """Current lines as GeoJSON, filtered by ``parent`` (a side inside it), ``level`` and
    ``bbox`` (the map's extent)."""
    problems = []
    parent = bbox = None
    try:
        parent = parent_arg()
    except ValidationError as exc:
        problems += exc.problems
    try:
        bbox = bbox_arg("bbox")
    except ValidationError as exc:
        problems += exc.problems
    level = request.args.get("level") or None
    if level is not None and level not in LINE_LEVELS:
        problems.append(
            Problem(f"未知的界线级别 {level!r}；可用：{', '.join(LINE_LEVELS)}", field="level")
        )
    if problems:
        raise ValidationError(problems, title="查询参数有误")
    found = BoundaryLines(store()).current(parent=parent, level=level, bbox=bbox)
    return _geojson(lines_collection(found))


@bp.get("/lines/<line_id>")
@role_required(*READERS)
def line(line_id: str) -> Response:
    """One line (its current or last version) with every version and its markers."""
    found = get_line(line_id)
    history = BoundaryLines(store()).history(found.line_id)
    feature = lines_collection(to_frame([found]))["features"][0]
    feature["properties"]["current"] = found.current
    feature["properties"]["versions"] = [v.attributes() for v in history]
    checks = latest_checks(inspections().query(line_id=found.line_id, kind="marker"))
    feature["properties"]["markers"] = [
        marker_feature(m, checks.get(m.marker_id))
        for m in Markers(store()).query(line_id=found.line_id)
    ]
    return _geojson(feature)


@bp.get("/markers")
@role_required(*READERS)
def markers() -> Response:
    """Markers as GeoJSON with their latest check; ``parent``, ``line_id``,
    ``include_retired`` and ``bbox`` (the map's extent) filter."""
    parent = parent_arg()
    include_retired = flag(request.args.get("include_retired"))
    line_id = request.args.get("line_id") or None
    found = Markers(store()).query(
        line_id=line_id, parent=parent, include_retired=include_retired, bbox=bbox_arg("bbox")
    )
    checks = latest_checks(inspections().query(kind="marker"))
    body = {
        "type": "FeatureCollection",
        "features": [marker_feature(m, checks.get(m.marker_id)) for m in found],
    }
    return _geojson(body)


@bp.post("/markers/import")
@role_required("inspector")
def markers_import() -> Response:
    """Import a 界桩登记表 (multipart: ``file``, ``crs``, ``sample``); all rows or none."""
    added = import_markers(request.files.get("file"), request.form)
    return jsonify(imported=len(added), markers=[m.marker_id for m in added]), 201  # type: ignore[return-value]


@bp.get("/findings")
@role_required(*READERS)
def findings() -> Response:
    """Findings on markers and inspections as GeoJSON; ``parent``, ``line_id``, ``round``."""
    parent = parent_arg()
    round_no = int_arg("round", 0, low=1, high=ROUND_MAX) or None
    found = Findings(store()).list(
        line_id=request.args.get("line_id") or None,
        parent=parent,
        round_no=round_no,
    )
    body = {
        "type": "FeatureCollection",
        "count": len(found),
        "features": [finding_feature(f) for f in found],
    }
    return _geojson(body)


@bp.get("/records")
@role_required(*READERS)
def records() -> Response:
    """Inspection records (latest versions), filtered by ``line_id``, ``plan_id``, ``status``;
    ``pending=true``: those waiting for the logged-in user's side."""
    problems = []
    status = request.args.get("status") or None
    if status is not None and status not in RECORD_STATUSES:
        problems.append(
            Problem(f"未知状态 {status!r}；可用：{', '.join(RECORD_STATUSES)}", field="status")
        )
    plan_text = (request.args.get("plan_id") or "").strip()
    try:
        plan_id = parse_int(plan_text, "plan_id", low=1, high=ID_INT_MAX) if plan_text else None
    except ValidationError as exc:
        problems += exc.problems
    if problems:
        raise ValidationError(problems, title="查询参数有误")
    if flag(request.args.get("pending")):
        found = inspections().pending(actor())
    else:
        found = inspections().query(
            line_id=request.args.get("line_id") or None,
            plan_id=plan_id,
            status=status,
            include_superseded=status == "superseded",
        )
    return jsonify(records=[record_json(r) for r in found])


@bp.post("/records")
@role_required("inspector")
def add_record() -> Response:
    """Record a marker or line check (JSON, or multipart with a ``photo``)."""
    record, refused = create_record(_body(), request.files.get("photo"))
    body = record_json(get_record(record.record_id), full=True)
    body["sign_refused"] = refused
    return jsonify(body), 201  # type: ignore[return-value]


@bp.get("/records/<record_id>")
@role_required(*READERS)
def get_record_json(record_id: str) -> Response:
    """One record with both sides' signatures, every version and its photos."""
    return jsonify(record_json(get_record(record_id), full=True))


@bp.post("/records/<record_id>/sign")
@role_required("inspector")
def sign(record_id: str) -> Response:
    """Sign a record for the logged-in inspector's side (each side signs only for itself)."""
    signed = sign_record(record_id, _body())
    return jsonify(record_json(signed, full=True))


@bp.post("/records/<record_id>/correct")
@role_required("inspector")
def correct(record_id: str) -> Response:
    """Correct a record: before any signature in place, after one a new version; a final
    record is refused."""
    corrected = correct_record(record_id, _body())
    return jsonify(record_json(corrected, full=True))


def _number(text: str, field: str, label: str) -> int:
    low, high = (YEAR_MIN, YEAR_MAX) if field == "year" else (1, ROUND_MAX)
    try:
        return parse_int(text, field, low=low, high=high)
    except ValidationError:
        raise ValidationError(
            Problem(f"{label} {text!r} 应为 {low}–{high} 之间的整数", field=field),
            title="请求有误",
        ) from None


@bp.get("/reports/annual/<year>")
@role_required(*READERS)
def annual_report(year: str) -> Response:
    """The annual report: JSON, or ``format=html`` (printable) or ``format=docx``."""
    return _report_response("annual", _number(year, "year", "年度"))


@bp.get("/reports/round/<round_no>")
@role_required(*READERS)
def round_report(round_no: str) -> Response:
    """The round report: JSON, or ``format=html`` (printable) or ``format=docx``."""
    return _report_response("round", _number(round_no, "round_no", "轮次"))


@bp.get("/topology")
@role_required(*READERS)
def topology() -> Response:
    """Topology QA of the county polygons of ``parent`` (default the jurisdiction)."""
    parent = parent_arg(jurisdiction())
    report = check_within(Divisions(store()), parent)
    return jsonify(
        parent=parent,
        divisions=report.divisions,
        clean=report.clean,
        summary=report.summary(),
        counts=report.counts(),
        issues=[i.to_dict() for i in report.issues],
        holes=[i.to_dict() for i in report.holes],
    )

"""JSON API of boundary lines, markers and the joint inspection (界线联检).

Reads need a logged-in user (any role); writes the ``inspector`` role (admins pass every
role). Every write goes through :mod:`geociv.boundaries` (the services audit it); an
inspector's side of a line is decided by the services from the user's division. Bad input is
a 400 with ``{"error", "problems": [{row, field, message}]}`` whose fields are the request's
(``lon``/``lat``/``location`` for the measured position, ``photo`` for a photo, ``file`` for
an import). The helpers here are shared with the pages in :mod:`web.blueprints.boundaries`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import geopandas as gpd
from flask import Blueprint, Response, current_app, jsonify, request
from shapely.geometry import mapping
from werkzeug.datastructures import FileStorage

from geociv.boundaries.findings import BoundaryFinding, Findings
from geociv.boundaries.inspections import Inspections
from geociv.boundaries.markers import Markers, check_photo
from geociv.boundaries.registry import BoundaryLines, side_of, side_unit, to_frame
from geociv.boundaries.topology import check_topology
from geociv.divisions import Divisions, normalize_code
from geociv.errors import AdcodeError, GeocivError, Problem, ValidationError
from geociv.labels import (
    LINE_CHANGE_LABELS,
    LINE_LEVEL_LABELS,
    LINE_SOURCE_LABELS,
    MARKER_CONDITION_LABELS,
    MARKER_KIND_LABELS,
    RECORD_KIND_LABELS,
    RECORD_STATUS_LABELS,
    SIDE_LABELS,
)
from geociv.store import (
    LINE_LEVELS,
    RECORD_STATUSES,
    SIDES,
    BoundaryLine,
    BoundaryPhoto,
    InspectionRecord,
    Marker,
    User,
)
from geociv.uploads import TABLE_KINDS
from geociv.uploads.limits import MAX_PHOTO_BYTES
from web._helpers import actor, fields_renamed, not_found, role_required, store
from web._uploads import photo_bytes, received
from web.blueprints.cases_api import download, parse_point
from web.params import ID_INT_MAX, int_arg, parse_int

if TYPE_CHECKING:
    from geociv.boundaries.reports import InspectionReport

bp = Blueprint("boundaries_api", __name__, url_prefix="/api/boundaries")

#: Roles that may read lines, markers, records and reports (every role; admins pass too).
READERS: tuple[str, ...] = ("officer", "inspector", "planner")

#: The services' field names → the request's.
RENAMED = {"measured": "location", "filename": "photo", "content": "photo"}

_TRUE = {"1", "true", "yes", "on"}

#: Bounds of round numbers and report years in requests.
ROUND_MAX = 999
YEAR_MIN, YEAR_MAX = 1949, 2100


# -- look-ups shared with the pages -------------------------------------------------------------


def jurisdiction() -> str:
    """Adcode of the jurisdiction the app serves (``JURISDICTION``, the demo's 411700)."""
    return str(current_app.config["JURISDICTION"])


def inspections() -> Inspections:
    """The inspection-record service on the app's store."""
    return Inspections(store())


def get_line(line_id: str) -> BoundaryLine:
    """The current version of a line, else its last version (a closed line), else a 404."""
    line = store().get_boundary_line(line_id.strip())
    if line is None:
        versions = store().boundary_line_versions(line_id.strip())
        if not versions:
            not_found(f"未找到界线 {line_id}")
        line = versions[-1]
    return line


def get_record(record_id: str) -> InspectionRecord:
    """The latest version of an inspection record, or a 404 naming it."""
    try:
        return inspections().get(record_id)
    except LookupError as exc:
        not_found(str(exc))


def division_name(code: str) -> str:
    """The stored name of a division, or its code."""
    division = store().get_division(code) if code else None
    return division.name if division is not None else code


def side_info(line: BoundaryLine) -> dict[str, dict[str, str]]:
    """``left``/``right`` → the side's division at the line's level: ``code``, ``name`` and
    ``label`` (左侧/右侧)."""
    out = {}
    for side in SIDES:
        code = line.left_code if side == "left" else line.right_code
        unit = side_unit(code, line.level)
        out[side] = {"code": unit, "name": division_name(unit), "label": SIDE_LABELS[side]}
    return out


def user_side(user: User, line: BoundaryLine) -> str | None:
    """``left``/``right``: the side of ``line`` the user's division is on, or ``None``."""
    return side_of(user.division_code, line)


def parent_arg(default: str | None = None) -> str | None:
    """The ``parent`` query argument (an adcode), checked; ``default`` when absent."""
    text = (request.args.get("parent") or "").strip()
    if not text:
        return default
    try:
        return normalize_code(text)
    except AdcodeError as exc:
        raise ValidationError(Problem(str(exc), field="parent"), title="查询参数有误") from None


def latest_checks(records: Iterable[InspectionRecord]) -> dict[str, InspectionRecord]:
    """marker id → its latest marker check (by inspection date, then record id), whatever its
    status (a draft waiting for signatures included)."""
    out: dict[str, InspectionRecord] = {}
    for record in records:
        if record.kind != "marker" or not record.marker_id:
            continue
        old = out.get(record.marker_id)
        if old is None or (record.inspected_on, record.record_id) >= (
            old.inspected_on,
            old.record_id,
        ):
            out[record.marker_id] = record
    return out


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


# -- writes shared with the pages ---------------------------------------------------------------


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value).strip()


def parse_position(data: Mapping[str, Any]) -> tuple[Any, list[Problem]]:
    """The measured point from ``lon``/``lat`` (both empty: no position), with problems."""
    if not _text(data, "lon") and not _text(data, "lat"):
        return None, []
    return parse_point(data.get("lon"), data.get("lat"))


def _photo(upload: FileStorage | None) -> tuple[str, bytes] | None:
    """An uploaded photo as ``(filename, content)``; checked first so that a bad photo stores
    nothing at all."""
    found = photo_bytes(upload, limit=MAX_PHOTO_BYTES)
    if found is None:
        return None
    _name, content = found
    with fields_renamed(**RENAMED):
        name, problems = check_photo(upload.filename, content)
        if problems:
            raise ValidationError(problems, title="照片有误")
    return name, content


def _line_changes(data: Mapping[str, Any]) -> list[Any]:
    value = data.get("changes")
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return list(value)
    raise ValidationError(
        Problem("changes 应为数组：[{change_type, description}]", field="changes"),
        title="请求有误",
    )


def create_record(
    data: Mapping[str, Any], upload: FileStorage | None = None
) -> tuple[InspectionRecord, str | None]:
    """Record a marker check (``marker_id`` given, or ``kind="marker"``) or a line check from
    request fields, keep the photo, and sign for the user's own side when ``sign`` is true.

    Fields: ``plan_id``, ``marker_id``, ``inspected_on``, ``lon``, ``lat``,
    ``gps_accuracy_m``, ``condition``, ``references_present`` (a count or one true/false per
    registered reference object), ``remarks``, ``crs`` (of lon/lat, default CGCS2000),
    ``changes`` (line checks: ``[{change_type, description}]``), ``sign``.

    Returns
    -------
    tuple
        The record (signed if asked and allowed) and the reason a requested signature was
        not given (``None`` when signed or not asked).
    """
    kind = _text(data, "kind") or ("marker" if _text(data, "marker_id") else "line")
    if kind not in ("marker", "line"):
        raise ValidationError(
            Problem(f"未知的记录类型 {kind!r}；可用：marker、line", field="kind"), title="请求有误"
        )
    photo = _photo(upload)
    svc = inspections()
    plan_id = _text(data, "plan_id")
    common: dict[str, Any] = {
        "actor": actor(),
        "inspected_on": _text(data, "inspected_on") or None,
        "remarks": _text(data, "remarks"),
    }
    if kind == "marker":
        point, problems = parse_position(data)
        crs = _text(data, "crs") or None
        try:
            with fields_renamed(**RENAMED):
                record = svc.record_marker(
                    plan_id,  # type: ignore[arg-type]
                    _text(data, "marker_id"),
                    condition=_text(data, "condition"),
                    measured=None if problems else point,
                    gps_accuracy_m=data.get("gps_accuracy_m"),
                    references_present=data.get("references_present"),
                    declared_crs=crs,
                    **common,
                )
        except ValidationError as exc:
            others = [p for p in exc.problems if not (problems and p.field == "location")]
            raise ValidationError(problems + others, title=exc.title) from None
        if problems:
            raise ValidationError(problems, title="界桩检查记录有误")
    else:
        with fields_renamed(**RENAMED):
            record = svc.record_line(plan_id, changes=_line_changes(data), **common)  # type: ignore[arg-type]
    if photo is not None:
        svc.add_photo(record.record_id, photo[0], photo[1], actor=actor())
    refused = None
    if str(data.get("sign") or "").lower() in _TRUE or data.get("sign") is True:
        try:
            record = svc.sign(record.record_id, signer=actor(), version=record.version)
        except GeocivError as exc:
            refused = str(exc)
    return record, refused


def sign_record(record_id: str, data: Mapping[str, Any]) -> InspectionRecord:
    """Sign a record for the logged-in user's side (``note``; ``version``: the version read)."""
    record = get_record(record_id)
    version = _text(data, "version")
    return inspections().sign(
        record.record_id,
        signer=actor(),
        note=_text(data, "note"),
        version=parse_int(version, "version", low=1, high=ID_INT_MAX) if version else None,
    )


def correct_record(record_id: str, data: Mapping[str, Any]) -> InspectionRecord:
    """Correct a record (``reason`` required) with the fields given: ``inspected_on``,
    ``lon``/``lat``, ``gps_accuracy_m``, ``condition``, ``references_present``, ``remarks``;
    ``changes`` for a line check."""
    record = get_record(record_id)
    changes: dict[str, Any] = {}
    problems: list[Problem] = []
    for key in ("inspected_on", "gps_accuracy_m", "condition", "references_present", "remarks"):
        if key in data:
            changes[key] = data[key]
    if "lon" in data or "lat" in data:
        point, problems = parse_position(data)
        changes["measured"] = point
    if "changes" in data:
        changes["changes"] = _line_changes(data)
    try:
        with fields_renamed(**RENAMED):
            return inspections().correct(
                record.record_id,
                actor=actor(),
                reason=_text(data, "reason"),
                declared_crs=_text(data, "crs") or None,
                **changes,
            )
    except ValidationError as exc:
        if not problems:
            raise
        others = [p for p in exc.problems if p.field != "location"]
        raise ValidationError(problems + others, title=exc.title) from None


def import_markers(upload: FileStorage | None, data: Mapping[str, Any]) -> list[Marker]:
    """Import an uploaded 界桩登记表 (CSV in UTF-8/GBK or XLSX); ``crs`` of its coordinates,
    ``sample`` to label the markers 示例."""
    with received(upload, TABLE_KINDS) as copy:
        return Markers(store()).import_file(
            copy.path,
            actor=actor(),
            sample=str(data.get("sample") or "").lower() in _TRUE,
            declared_crs=_text(data, "crs") or None,
        )


# -- reports ------------------------------------------------------------------------------------


def build_report(kind: str, number: int, parent: str | None) -> InspectionReport:
    """The annual (``kind="annual"``, ``number`` a year) or round report."""
    from geociv.boundaries import reports

    if kind == "annual":
        return reports.annual_report(store(), number, parent=parent)
    return reports.round_report(store(), number, parent=parent)


def report_html_page(report: InspectionReport) -> str:
    """The printable report page with its map."""
    from geociv.boundaries import reports

    return reports.report_html(report, map_png=reports.report_map_png(store(), report))


def report_docx_file(report: InspectionReport, filename: str) -> Response:
    """The report as a Word document download."""
    from geociv.boundaries import reports

    content = reports.report_docx(report, map_png=reports.report_map_png(store(), report))
    return download(content, filename)


def report_filename(kind: str, number: int) -> str:
    """File name of a report download (without extension)."""
    return f"界线联检年度报告-{number}" if kind == "annual" else f"界线联检第{number}轮报告"


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
    """Current lines as GeoJSON, filtered by ``parent`` (a side inside it) and ``level``."""
    problems = []
    parent = None
    try:
        parent = parent_arg()
    except ValidationError as exc:
        problems += exc.problems
    level = request.args.get("level") or None
    if level is not None and level not in LINE_LEVELS:
        problems.append(
            Problem(f"未知的界线级别 {level!r}；可用：{', '.join(LINE_LEVELS)}", field="level")
        )
    if problems:
        raise ValidationError(problems, title="查询参数有误")
    return _geojson(lines_collection(BoundaryLines(store()).current(parent=parent, level=level)))


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
    ``include_retired`` filter."""
    parent = parent_arg()
    include_retired = request.args.get("include_retired", "").lower() in _TRUE
    line_id = request.args.get("line_id") or None
    found = Markers(store()).query(line_id=line_id, parent=parent, include_retired=include_retired)
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
    if request.args.get("pending", "").lower() in _TRUE:
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
    frame = Divisions(store()).frame(parent=parent, level="county")
    frame = frame[frame.geometry.notna()]
    report = check_topology(frame)
    return jsonify(
        parent=parent,
        divisions=report.divisions,
        clean=report.clean,
        summary=report.summary(),
        counts=report.counts(),
        issues=[i.to_dict() for i in report.issues],
        holes=[i.to_dict() for i in report.holes],
    )

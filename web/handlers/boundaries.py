"""Boundary requests shared by the page (:mod:`web.blueprints.boundaries`) and the JSON API
(:mod:`web.blueprints.boundaries_api`): look-ups that answer 404, the writes of inspection
records from request fields, and the reports.

Bad input raises :class:`~geociv.errors.ValidationError` whose fields are the request's
(``lon``/``lat``/``location`` for the measured position, ``photo`` for a photo, ``file`` for
an import).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from flask import Response, current_app
from werkzeug.datastructures import FileStorage

from geociv.boundaries.inspections import Inspections
from geociv.boundaries.markers import Markers, check_photo
from geociv.boundaries.registry import side_of, side_unit
from geociv.errors import Problem, ValidationError
from geociv.labels import (
    SIDE_LABELS,
)
from geociv.store import (
    SIDES,
    BoundaryLine,
    InspectionRecord,
    Marker,
    User,
)
from geociv.uploads import TABLE_KINDS
from geociv.uploads.limits import MAX_PHOTO_BYTES
from web._helpers import actor, fields_renamed, not_found, store
from web._uploads import photo_bytes, received
from web.handlers.files import download
from web.handlers.points import parse_point
from web.params import ID_INT_MAX, flag, parse_int

if TYPE_CHECKING:
    from geociv.boundaries.reports import InspectionReport


#: The services' field names → the request's.
RENAMED = {"measured": "location", "filename": "photo", "content": "photo"}


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
    request fields, with the photo and, when ``sign`` is true, the user's signature for their
    own side: one call of :meth:`~geociv.boundaries.inspections.Inspections.submit`, one
    transaction (a failure at any step keeps nothing).

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
    fields: dict[str, Any] = {
        "inspected_on": _text(data, "inspected_on") or None,
        "remarks": _text(data, "remarks"),
    }
    submit = partial(
        inspections().submit, _text(data, "plan_id"), actor=actor(), photo=photo,
        sign=flag(data.get("sign")),
    )  # fmt: skip
    if kind == "line":
        with fields_renamed(**RENAMED):
            done = submit(changes=_line_changes(data), **fields)
        return done.record, done.sign_refused
    point, problems = parse_position(data)
    fields.update(
        condition=_text(data, "condition"), measured=None if problems else point,
        gps_accuracy_m=data.get("gps_accuracy_m"),
        references_present=data.get("references_present"), declared_crs=_text(data, "crs") or None,
    )  # fmt: skip
    with store().transaction():  # a bad position undoes a record written without it
        try:
            with fields_renamed(**RENAMED):
                done = submit(marker_id=_text(data, "marker_id"), **fields)
        except ValidationError as exc:
            others = [p for p in exc.problems if not (problems and p.field == "location")]
            raise ValidationError(problems + others, title=exc.title) from None
        if problems:
            raise ValidationError(problems, title="界桩检查记录有误")
    return done.record, done.sign_refused


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
            sample=flag(data.get("sample")),
            declared_crs=_text(data, "crs") or None,
        )


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

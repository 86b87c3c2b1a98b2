"""JSON API of naming/renaming cases (命名更名) and place-name signs (地名标志).

Reads need a logged-in user; writes the ``officer`` role (admins pass every role). Every write
goes through :class:`~geociv.gazetteer.cases.Cases` or :class:`~geociv.gazetteer.signs.Signs`,
which audit it. Bad input is a 400 with ``{"error", "problems": [{row, field, message}]}`` whose
fields are the request's (``date``, ``file``, ``lon``/``lat``…).
"""

from __future__ import annotations

import io
import json
import math
import mimetypes
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, jsonify, request, send_file
from shapely import Point
from shapely.geometry import mapping
from werkzeug.datastructures import FileStorage

from geociv.crs import check_lonlat
from geociv.errors import CoordinateRangeError, Problem, ValidationError
from geociv.gazetteer.cases import Cases
from geociv.gazetteer.rules import Finding
from geociv.gazetteer.signs import PATROL_DAYS, Signs
from geociv.labels import (
    CASE_KIND_LABELS,
    CASE_STATUS_LABELS,
    CASE_STEP_LABELS,
    DOCUMENT_TYPE_LABELS,
    PATROL_CONDITION_LABELS,
    SIGN_STATUS_LABELS,
    SIGN_TYPE_LABELS,
)
from geociv.store import (
    CASE_ALL_STATUSES,
    CASE_CLOSABLE_STATUSES,
    CASE_CLOSING_STEPS,
    CASE_STATUSES,
    CASE_STEPS,
    CaseDocument,
    NameCase,
    Patrol,
    Sign,
)
from geociv.uploads.limits import MAX_DOCUMENT_BYTES, MAX_PHOTO_BYTES
from web._helpers import (
    actor,
    cases,
    fields_renamed,
    not_found,
    role_required,
    signs,
)
from web._uploads import photo_bytes
from web.params import ID_INT_MAX, int_arg

bp = Blueprint("cases_api", __name__, url_prefix="/api")

#: Steps recorded after the application, in order.
STEPS: tuple[str, ...] = CASE_STEPS[1:]

#: Longest patrol interval a query may ask about (days; ten years).
PATROL_DAYS_MAX = 3650

#: Roles that may read cases and signs (every role; admins pass too).
READERS: tuple[str, ...] = ("officer", "inspector", "planner")

#: The service's field names → the request's.
RENAMED = {"on": "date", "filename": "file", "content": "file", "photo_filename": "photo"}


# -- shared with the pages -------------------------------------------------------------------


def next_step(case: NameCase) -> str | None:
    """The step a case can take now (``review`` … ``effective``), ``None`` once effective,
    withdrawn or refused."""
    if case.status not in CASE_STATUSES:
        return None
    index = CASE_STATUSES.index(case.status) + 1
    return CASE_STEPS[index] if index < len(CASE_STEPS) else None


def get_case(case_id: str) -> NameCase:
    """The case, or a 404 naming it."""
    try:
        return cases().get(case_id)
    except LookupError as exc:
        not_found(str(exc))


def get_sign(sign_id: str) -> Sign:
    """The sign, or a 404 naming it."""
    try:
        return signs().get(sign_id)
    except LookupError as exc:
        not_found(str(exc))


def apply_case(data: Mapping[str, Any]) -> NameCase:
    """Open a case from request fields (``kind``, ``proposed_name``, ``category``,
    ``division_code``, ``name_id``, ``location``, ``applicant``, ``pinyin``, ``reason``,
    ``date``, ``note``)."""

    def text(key: str) -> str:
        return str(data.get(key) or "").strip()

    with fields_renamed(**RENAMED):
        return cases().apply(
            text("kind"),
            text("proposed_name"),
            applicant=text("applicant"),
            location=text("location"),
            actor=actor(),
            category=text("category") or None,
            division_code=text("division_code") or None,
            name_id=text("name_id") or None,
            pinyin=text("pinyin"),
            reason=text("reason"),
            on=text("date") or None,
            note=text("note"),
        )


def run_step(case_id: str, step: str, data: Mapping[str, Any]) -> NameCase:
    """Record ``step`` (``review``, ``approve``, ``file``, ``publish``, ``effective``) of a case
    from request fields: ``date``, ``note``, ``approving_body`` (approve), ``filed_with``
    (file), ``accept`` (review: rule id → reason)."""
    if step not in STEPS:
        raise ValidationError(
            Problem(
                f"未知的办理步骤 {step!r}；可用："
                + "、".join(f"{s}（{CASE_STEP_LABELS[s]}）" for s in STEPS),
                field="step",
            ),
            title="请求有误",
        )
    svc = cases()
    get_case(case_id)
    common: dict[str, Any] = {
        "actor": actor(),
        "on": str(data.get("date") or "").strip() or None,
        "note": str(data.get("note") or "").strip(),
    }
    with fields_renamed(**RENAMED):
        if step == "review":
            accept = data.get("accept") or {}
            if not isinstance(accept, Mapping):
                raise ValidationError(
                    Problem("accept 应为对象：规则编号 → 确认理由", field="accept"),
                    title="请求有误",
                )
            reasons = {str(k): str(v or "") for k, v in accept.items()}
            return svc.review(case_id, accept=reasons, **common)
        if step == "approve":
            body = str(data.get("approving_body") or "")
            return svc.approve(case_id, approving_body=body, **common)
        if step == "file":
            return svc.file(case_id, filed_with=str(data.get("filed_with") or ""), **common)
        action: Callable[..., NameCase] = svc.publish if step == "publish" else svc.effective
        return action(case_id, **common)


def close_case(case_id: str, step: str, data: Mapping[str, Any]) -> NameCase:
    """Withdraw (``withdraw``, 撤回) or refuse (``reject``, 不予批准) a case from request fields:
    ``reason`` (required), ``date``, ``note`` and, for a refusal, ``approving_body``."""
    if step not in CASE_CLOSING_STEPS:
        raise ValidationError(
            Problem(
                f"未知的办结方式 {step!r}；可用：withdraw（撤回）、reject（不予批准）", field="step"
            ),
            title="请求有误",
        )
    svc = cases()
    get_case(case_id)
    fields: dict[str, Any] = {
        "reason": str(data.get("reason") or ""),
        "actor": actor(),
        "on": str(data.get("date") or "").strip() or None,
        "note": str(data.get("note") or "").strip(),
    }
    if step == "reject":
        fields["approving_body"] = str(data.get("approving_body") or "").strip()
    action = svc.withdraw if step == "withdraw" else svc.reject
    with fields_renamed(**RENAMED):
        return action(case_id, **fields)


def attach_upload(
    case_id: str, doc_type: str, upload: FileStorage | None, note: str = ""
) -> CaseDocument:
    """Attach an uploaded file (form field ``file``) to a case."""
    get_case(case_id)
    filename = (upload.filename or "") if upload is not None else ""
    # read at most one byte past the bound: the service refuses it by size and by content
    content = upload.stream.read(MAX_DOCUMENT_BYTES + 1) if upload is not None else b""
    with fields_renamed(**RENAMED):
        return cases().attach(case_id, doc_type, filename, content, actor=actor(), note=note)


def send_document(case_id: str, document_id: int) -> Response:
    """A case document as a download (404 unless it belongs to the case)."""
    try:
        doc = cases().document(document_id)
    except LookupError as exc:
        not_found(str(exc))
    if doc.case_id != get_case(case_id).case_id or doc.content is None:
        not_found(f"案件 {case_id} 没有附件 {document_id}")
    return download(doc.content, doc.filename)


#: Types a browser may show in place (photos); anything else is always a download, so an
#: uploaded page or SVG never runs as part of geociv.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def download(content: bytes, filename: str, *, inline: bool = False) -> Response:
    """Stored bytes as a file response named ``filename`` (UTF-8 names kept); shown in place
    only when ``inline`` and the file is a photo."""
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response = send_file(
        io.BytesIO(content),
        mimetype=mimetype,
        as_attachment=not (inline and mimetype in INLINE_TYPES),
        download_name=filename,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def case_json(case: NameCase, documents: list[CaseDocument] | None = None) -> dict[str, Any]:
    """A case with its Chinese labels, steps, next step and (optionally) documents."""
    data = case.attributes()
    data["kind_label"] = CASE_KIND_LABELS[case.kind]
    data["status_label"] = CASE_STATUS_LABELS[case.status]
    for step in data["steps"]:
        step["label"] = CASE_STEP_LABELS[step["step"]]
    data["next_step"] = next_step(case)
    data["open"] = case.is_open
    data["can_close"] = case.status in CASE_CLOSABLE_STATUSES
    if documents is not None:
        data["documents"] = [
            {
                **d.attributes(),
                "doc_type_label": DOCUMENT_TYPE_LABELS[d.doc_type],
                "url": f"/api/cases/{case.case_id}/documents/{d.id}",
            }
            for d in documents
        ]
    return data


def parse_point(lon: object, lat: object) -> tuple[Point | None, list[Problem]]:
    """A point from longitude and latitude (CGCS2000 degrees, as text or numbers), with the
    problems found: not a number (field ``lon``/``lat``), outside China or swapped (field
    ``location``)."""
    problems: list[Problem] = []
    values: dict[str, float] = {}
    for field, value, label in (("lon", lon, "经度"), ("lat", lat, "纬度")):
        text = str(value if value is not None else "").strip()
        if not text:
            problems.append(Problem(f"{label}不能为空", field=field))
            continue
        try:
            number = float(text)
        except ValueError:
            problems.append(Problem(f"{label} {text!r} 不是数字", field=field))
            continue
        if not math.isfinite(number):
            problems.append(Problem(f"{label} {text!r} 不是有限数值", field=field))
            continue
        values[field] = number
    if problems:
        return None, problems
    try:
        check_lonlat(values["lon"], values["lat"])
    except CoordinateRangeError as exc:
        found = getattr(exc, "problems", None) or [Problem(str(exc))]
        message = f"{found[0].message}（应为 CGCS2000 经纬度：经度约 73–135，纬度约 18–54）"
        problems.append(Problem(message, field="location"))
    return Point(values["lon"], values["lat"]), problems


def register_sign(data: Mapping[str, Any]) -> Sign:
    """Register a sign from request fields (``name_id``, ``sign_type``, ``text``, ``pinyin``,
    ``lon``, ``lat``, ``installed_on``, ``installer``, ``remarks``, ``sign_id``, ``status``);
    every problem is reported at once."""

    def text(key: str) -> str:
        return str(data.get(key) or "").strip()

    point, problems = parse_point(data.get("lon"), data.get("lat"))
    try:
        with fields_renamed(**RENAMED):
            sign = signs().register(
                text("name_id"),
                None if problems else point,  # type: ignore[arg-type]
                text("sign_type"),
                text("text"),
                actor=actor(),
                pinyin=str(data.get("pinyin") or ""),
                installed_on=text("installed_on") or None,
                installer=text("installer"),
                status=text("status") or "in_service",
                remarks=text("remarks"),
                sign_id=text("sign_id"),
            )
    except ValidationError as exc:
        others = [p for p in exc.problems if not (problems and p.field == "location")]
        raise ValidationError(problems + others, title=exc.title) from None
    return sign


def record_patrol(
    sign_id: str, data: Mapping[str, Any], photo: FileStorage | None = None
) -> Patrol:
    """Record a patrol from request fields (``condition``, ``date``, ``remarks``,
    ``inspector``) and an optional uploaded photo."""
    get_sign(sign_id)
    content, filename = None, ""
    found = photo_bytes(photo, limit=MAX_PHOTO_BYTES)
    if found is not None:
        filename, content = found
    with fields_renamed(**RENAMED):
        return signs().patrol(
            sign_id,
            str(data.get("condition") or ""),
            actor=actor(),
            on=str(data.get("date") or "").strip() or None,
            inspector=str(data.get("inspector") or "").strip() or None,
            remarks=str(data.get("remarks") or ""),
            photo=content,
            photo_filename=filename,
        )


def findings_by_sign(findings: list[Finding]) -> dict[str, list[Finding]]:
    """Sign findings grouped by sign id."""
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.related[0], []).append(f)
    return out


def sign_feature(
    sign: Sign, findings: list[Finding] | None = None, patrols: list[Patrol] | None = None
) -> dict[str, Any]:
    """A sign as a GeoJSON Feature (EPSG:4490) with labels and, when given, its findings
    and patrols."""
    props = sign.attributes()
    props["sign_type_label"] = SIGN_TYPE_LABELS[sign.sign_type]
    props["status_label"] = SIGN_STATUS_LABELS[sign.status]
    if findings is not None:
        props["findings"] = [f.to_dict() for f in findings]
    if patrols is not None:
        props["patrols"] = [patrol_json(p) for p in patrols]
    return {
        "type": "Feature",
        "id": sign.sign_id,
        "properties": props,
        "geometry": mapping(sign.location) if sign.location is not None else None,
    }


def patrol_json(patrol: Patrol) -> dict[str, Any]:
    """A patrol without its photo bytes, with the condition's label."""
    return {**patrol.attributes(), "condition_label": PATROL_CONDITION_LABELS[patrol.condition]}


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None and not request.data:
        return {}
    if not isinstance(data, dict):
        raise ValidationError(Problem("请求体应为 JSON 对象", field="body"), title="请求有误")
    return data


def _patrol_days() -> int:
    try:
        return int_arg("patrol_days", PATROL_DAYS, low=0, high=PATROL_DAYS_MAX)
    except ValidationError:
        text = request.args.get("patrol_days", "")
        raise ValidationError(
            Problem(
                f"巡检周期 {text[:20]!r} 应为 0–{PATROL_DAYS_MAX} 之间的整数（天）",
                field="patrol_days",
            ),
            title="查询参数有误",
        ) from None


# -- cases -----------------------------------------------------------------------------------


@bp.get("/cases")
@role_required(*READERS)
def list_cases() -> Response:
    """Cases, filtered by ``status``, ``kind``, ``name_id`` or ``division`` (code prefix)."""
    problems = []
    status = request.args.get("status") or None
    kind = request.args.get("kind") or None
    if status is not None and status not in CASE_ALL_STATUSES:
        problems.append(
            Problem(f"未知状态 {status!r}；可用：{', '.join(CASE_ALL_STATUSES)}", field="status")
        )
    if kind is not None and kind not in CASE_KIND_LABELS:
        problems.append(Problem(f"未知类型 {kind!r}；可用：naming、renaming", field="kind"))
    if problems:
        raise ValidationError(problems, title="查询参数有误")
    found = cases().query(
        status=status,
        kind=kind,
        name_id=request.args.get("name_id") or None,
        division_prefix=request.args.get("division") or None,
    )
    return jsonify(cases=[case_json(c) for c in found])


@bp.get("/cases/overdue")
@role_required(*READERS)
def overdue() -> Response:
    """Cases filed or published more than 15 days after approval (N7-OVERDUE)."""
    today = request.args.get("today") or None
    found = cases().overdue(today)
    return jsonify(today=today, overdue=[o.to_dict() for o in found])


@bp.get("/cases/<case_id>")
@role_required(*READERS)
def get_case_json(case_id: str) -> Response:
    """One case with its steps and documents."""
    case = get_case(case_id)
    return jsonify(case_json(case, cases().documents(case.case_id)))


@bp.post("/cases")
@role_required("officer")
def apply() -> Response:
    """Open a naming or renaming case (申请)."""
    case = apply_case(_body())
    return jsonify(case_json(case, [])), 201  # type: ignore[return-value]


@bp.post("/cases/<case_id>/documents")
@role_required("officer")
def upload_document(case_id: str) -> Response:
    """Attach a document (multipart: ``file``, ``doc_type``, ``note``)."""
    doc = attach_upload(
        case_id,
        request.form.get("doc_type", ""),
        request.files.get("file"),
        request.form.get("note", ""),
    )
    body = {**doc.attributes(), "doc_type_label": DOCUMENT_TYPE_LABELS[doc.doc_type]}
    body["url"] = f"/api/cases/{doc.case_id}/documents/{doc.id}"
    return jsonify(body), 201  # type: ignore[return-value]


@bp.get("/cases/<case_id>/documents/<document_id>")
@role_required(*READERS)
def download_document(case_id: str, document_id: str) -> Response:
    """Download one document of a case."""
    if not document_id.isdigit() or int(document_id) > ID_INT_MAX:
        not_found(f"案件 {case_id} 没有附件 {document_id[:20]}")
    return send_document(case_id, int(document_id))


@bp.post("/cases/<case_id>/withdraw")
@role_required("officer")
def withdraw(case_id: str) -> Response:
    """Withdraw a case before approval (撤回; JSON ``reason``, ``date``, ``note``)."""
    case = close_case(case_id, "withdraw", _body())
    return jsonify(case_json(case, cases().documents(case.case_id)))


@bp.post("/cases/<case_id>/reject")
@role_required("officer")
def reject(case_id: str) -> Response:
    """Refuse a case at review or approval (不予批准; JSON ``reason``, ``date``, ``note``,
    ``approving_body``)."""
    case = close_case(case_id, "reject", _body())
    return jsonify(case_json(case, cases().documents(case.case_id)))


@bp.post("/cases/<case_id>/<step>")
@role_required("officer")
def step(case_id: str, step: str) -> Response:
    """Record the next step of a case (review, approve, file, publish, effective)."""
    case = run_step(case_id, step, _body())
    return jsonify(case_json(case, cases().documents(case.case_id)))


@bp.get("/cases/<case_id>/notice")
@role_required(*READERS)
def notice(case_id: str) -> Response:
    """The publication notice (公告): its fields, or ``format=html`` the printable page."""
    svc: Cases = cases()
    get_case(case_id)
    on = request.args.get("date") or None
    fmt = request.args.get("format", "json")
    with fields_renamed(**RENAMED):
        if fmt == "html":
            return Response(svc.notice_html(case_id, on=on), mimetype="text/html")
        if fmt != "json":
            raise ValidationError(
                Problem(f"未知格式 {fmt!r}；可用：json、html", field="format"),
                title="查询参数有误",
            )
        return jsonify(svc.notice(case_id, on=on))


# -- signs -----------------------------------------------------------------------------------


@bp.get("/signs")
@role_required(*READERS)
def list_signs() -> Response:
    """Signs as a GeoJSON FeatureCollection with their findings; ``status``, ``name_id`` and
    ``include_removed`` filter."""
    svc: Signs = signs()
    status = request.args.get("status") or None
    if status is not None and status not in SIGN_STATUS_LABELS:
        raise ValidationError(
            Problem(f"未知状态 {status!r}；可用：{', '.join(SIGN_STATUS_LABELS)}", field="status"),
            title="查询参数有误",
        )
    include_removed = request.args.get("include_removed", "true").lower() in ("1", "true", "yes")
    found = svc.query(
        name_id=request.args.get("name_id") or None,
        status=status,
        include_removed=include_removed,
    )
    by_sign = findings_by_sign(svc.findings())
    body = {
        "type": "FeatureCollection",
        "features": [sign_feature(s, by_sign.get(s.sign_id, [])) for s in found],
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/geo+json")


@bp.get("/signs/findings")
@role_required(*READERS)
def sign_findings() -> Response:
    """Rule 8 findings on every sign not removed (text, pinyin, patrol)."""
    days = _patrol_days()
    today = request.args.get("today") or None
    found = signs().findings(today=today, patrol_days=days)
    return jsonify(
        today=today, patrol_days=days, count=len(found), findings=[f.to_dict() for f in found]
    )


@bp.get("/signs/<sign_id>")
@role_required(*READERS)
def get_sign_json(sign_id: str) -> Response:
    """One sign as a GeoJSON Feature with its findings and patrols."""
    sign = get_sign(sign_id)
    svc = signs()
    mine = findings_by_sign(svc.findings()).get(sign.sign_id, [])
    feature = sign_feature(sign, mine, svc.patrols(sign.sign_id))
    return Response(json.dumps(feature, ensure_ascii=False), mimetype="application/geo+json")


@bp.post("/signs")
@role_required("officer")
def add_sign() -> Response:
    """Register a sign (JSON: name_id, sign_type, text, pinyin, lon, lat, …)."""
    sign = register_sign(_body())
    mine = findings_by_sign(signs().findings()).get(sign.sign_id, [])
    return jsonify(sign_feature(sign, mine)), 201  # type: ignore[return-value]


@bp.post("/signs/<sign_id>/patrols")
@role_required("officer")
def add_patrol(sign_id: str) -> Response:
    """Record a patrol: JSON, or multipart with an optional ``photo``."""
    if request.mimetype == "multipart/form-data":
        patrol = record_patrol(sign_id, request.form, request.files.get("photo"))
    else:
        patrol = record_patrol(sign_id, _body())
    return jsonify(patrol_json(patrol)), 201  # type: ignore[return-value]


@bp.post("/signs/<sign_id>/status")
@role_required("officer")
def set_sign_status(sign_id: str) -> Response:
    """Mark a sign in service, damaged or removed (nothing is deleted)."""
    get_sign(sign_id)
    data = _body()
    sign = signs().set_status(
        sign_id,
        str(data.get("status") or ""),
        actor=actor(),
        remarks=str(data.get("remarks") or ""),
    )
    return jsonify(sign_feature(sign))

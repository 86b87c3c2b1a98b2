"""JSON API of naming/renaming cases (命名更名) and place-name signs (地名标志).

Reads need a logged-in user; writes the ``officer`` role (admins pass every role). Every write
goes through :class:`~geociv.gazetteer.cases.Cases` or :class:`~geociv.gazetteer.signs.Signs`,
which audit it. Bad input is a 400 with ``{"error", "problems": [{row, field, message}]}`` whose
fields are the request's (``date``, ``file``, ``lon``/``lat``…).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify, request
from shapely.geometry import mapping

from geociv.errors import Problem, ValidationError
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
    CaseDocument,
    NameCase,
    Patrol,
    Sign,
)
from web._helpers import (
    actor,
    cases,
    fields_renamed,
    not_found,
    role_required,
    signs,
)
from web.handlers.cases import (
    RENAMED,
    apply_case,
    attach_upload,
    close_case,
    findings_by_sign,
    get_case,
    get_sign,
    next_step,
    record_patrol,
    register_sign,
    run_step,
    send_document,
)
from web.params import ID_INT_MAX, int_arg

bp = Blueprint("cases_api", __name__, url_prefix="/api")


#: Longest patrol interval a query may ask about (days; ten years).
PATROL_DAYS_MAX = 3650

#: Roles that may read cases and signs (every role; admins pass too).
READERS: tuple[str, ...] = ("officer", "inspector", "planner")

# -- JSON shapes -----------------------------------------------------------------------------


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
    mine = svc.findings(sign_id=sign.sign_id)
    feature = sign_feature(sign, mine, svc.patrols(sign.sign_id))
    return Response(json.dumps(feature, ensure_ascii=False), mimetype="application/geo+json")


@bp.post("/signs")
@role_required("officer")
def add_sign() -> Response:
    """Register a sign (JSON: name_id, sign_type, text, pinyin, lon, lat, …)."""
    sign = register_sign(_body())
    mine = signs().findings(sign_id=sign.sign_id)
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

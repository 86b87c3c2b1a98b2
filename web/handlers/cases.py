"""Naming-case and sign requests shared by the pages (:mod:`web.blueprints.cases`,
:mod:`web.blueprints.signs`) and the JSON API (:mod:`web.blueprints.cases_api`): look-ups that
answer 404 and the writes from request fields, each one domain call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Response
from werkzeug.datastructures import FileStorage

from geociv.errors import Problem, ValidationError
from geociv.gazetteer.rules import Finding
from geociv.labels import (
    CASE_STEP_LABELS,
)
from geociv.store import (
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
    signs,
)
from web._uploads import photo_bytes
from web.handlers.files import download
from web.handlers.points import parse_point

#: Steps recorded after the application, in order.
STEPS: tuple[str, ...] = CASE_STEPS[1:]


#: The service's field names → the request's.
RENAMED = {"on": "date", "filename": "file", "content": "file", "photo_filename": "photo"}


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

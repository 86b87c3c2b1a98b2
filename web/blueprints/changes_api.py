"""JSON API of division changes (行政区划变更): proposals made from two official code lists,
change cases (申请 → 审核 → 批准 → 生效, 撤回 / 不予批准) and the 勘界 tasks they open.

Reads need a logged-in user; writes the ``officer`` role (admins pass every role), and the
domain service (:class:`~geociv.changes.cases.DivisionChanges`) checks the officer's
jurisdiction and audits every write. Bad input is a 400 with ``{"error", "problems": [{row,
field, message}]}`` whose fields are the request's (``date``, ``from``, ``file``…).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.datastructures import FileStorage

from geociv.changes.cases import RECORDED_STEPS, DivisionChanges, next_step
from geociv.divisions import normalize_code
from geociv.errors import AdcodeError, Problem, ValidationError
from geociv.labels import (
    CASE_STATUS_LABELS,
    CASE_STEP_LABELS,
    CHANGE_KIND_LABELS,
    DIVISION_DOCUMENT_LABELS,
)
from geociv.store import (
    DIVISION_CASE_ALL_STATUSES,
    PROPOSAL_STATUSES,
    CaseDocument,
    DivisionCase,
    DivisionProposal,
    SurveyTask,
)
from geociv.uploads import TABLE_KINDS
from geociv.uploads.limits import MAX_DOCUMENT_BYTES
from web._helpers import actor, fields_renamed, not_found, role_required, store
from web._uploads import received
from web.params import flag

bp = Blueprint("changes_api", __name__, url_prefix="/api/division-changes")

#: Roles that may read proposals, cases and 勘界 tasks (every role; admins pass too).
READERS: tuple[str, ...] = ("officer", "inspector", "planner")

#: The service's field names → the request's.
RENAMED = {"on": "date", "filename": "file", "content": "file"}

#: The list files of a proposal request: form field → what it is.
LIST_FIELDS = {"from": "旧名单", "to": "新名单", "villages_from": "旧村级名单",
               "villages_to": "新村级名单"}  # fmt: skip

#: Steps a case takes after the application (``effective`` is 生效), and closing steps.


def changes() -> DivisionChanges:
    """The division change service on the app's store."""
    return DivisionChanges(store())


# -- JSON shapes -----------------------------------------------------------------------------


def case_json(case: DivisionCase, documents: list[CaseDocument] | None = None) -> dict[str, Any]:
    """A change case with its Chinese labels, steps, next step and (optionally) documents."""
    data = case.attributes()
    data["kind_label"] = CHANGE_KIND_LABELS[case.kind]
    data["status_label"] = CASE_STATUS_LABELS[case.status]
    for step in data["steps"]:
        step["label"] = CASE_STEP_LABELS[step["step"]]
    data["next_step"] = next_step(case)
    data["can_close"] = case.status in ("applied", "reviewed")
    if documents is not None:
        data["documents"] = [document_json(d) for d in documents]
    return data


def document_json(doc: CaseDocument) -> dict[str, Any]:
    """A document's record (never its content) with its type's label."""
    return {**doc.attributes(), "doc_type_label": DIVISION_DOCUMENT_LABELS[doc.doc_type]}


def proposal_json(proposal: DivisionProposal) -> dict[str, Any]:
    """A kept proposal with its kind's label."""
    return {**proposal.attributes(), "kind_label": CHANGE_KIND_LABELS[proposal.kind]}


def survey_json(task: SurveyTask, today: str) -> dict[str, Any]:
    """A 勘界 task, saying whether it is overdue (逾期) on ``today``."""
    overdue = task.status == "open" and task.due < today
    return {**task.attributes(), "overdue": overdue}


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None and not request.data:
        return {}
    if not isinstance(data, dict):
        raise ValidationError(Problem("请求体应为 JSON 对象", field="body"), title="请求有误")
    return data


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None or isinstance(value, dict | list) else str(value).strip()


def _choice(name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.args.get(name) or None
    if value is not None and value not in allowed:
        raise ValidationError(
            Problem(f"未知状态 {value[:20]!r}；可用：{'、'.join(allowed)}", field=name),
            title="查询参数有误",
        )
    return value


def _division_arg() -> str | None:
    value = request.args.get("division") or None
    if value is None:
        return None
    try:
        return normalize_code(value)
    except AdcodeError as exc:
        raise ValidationError(Problem(str(exc), field="division"), title="查询参数有误") from None


# -- proposals -------------------------------------------------------------------------------


@bp.get("/proposals")
@role_required(*READERS)
def list_proposals() -> Response:
    """Kept proposals, by ``status`` (pending, accepted, dismissed) and ``division``."""
    status = _choice("status", PROPOSAL_STATUSES)
    found = changes().proposals(status=status, within=_division_arg())
    return jsonify(proposals=[proposal_json(p) for p in found])


@bp.post("/proposals")
@role_required("officer")
def propose() -> Response:
    """Compare two official lists (multipart ``from``, ``to``, optional ``villages_from``,
    ``villages_to``, each repeatable; ``parent``; ``batch``) and keep the proposals; answer
    the new ones. A bad list is a 400 naming the file, row and field; nothing is kept."""
    from geociv.changes import propose_changes

    parent = _parent_field()
    lists = {key: _read_lists(key) for key in LIST_FIELDS}
    missing = [Problem(f"请上传{LIST_FIELDS[k]}", field=k) for k in ("from", "to") if not lists[k]]
    if missing:
        raise ValidationError(missing, title="缺少文件")
    proposals = propose_changes(
        lists["from"], lists["to"], parent=parent,
        old_villages=lists["villages_from"], new_villages=lists["villages_to"],
    )  # fmt: skip
    batch = _text(request.form, "batch") or _batch_name()
    saved = changes().save_proposals(proposals, batch=batch, actor=actor())
    body = {"batch": batch, "proposed": len(proposals), "new": len(saved),
            "proposals": [proposal_json(p) for p in saved]}  # fmt: skip
    return jsonify(body), 201  # type: ignore[return-value]


def _parent_field() -> str:
    text = _text(request.form, "parent")
    try:
        return normalize_code(text)
    except AdcodeError as exc:
        message = str(exc) if text else "请填写上级区划代码，如 411700"
        raise ValidationError(Problem(message, field="parent"), title="请求有误") from None


def _read_lists(key: str) -> Any:
    """The files of form field ``key`` read and merged as one vintage (``None`` if none)."""
    from geociv.changes import DivisionList, read_division_list

    files: list[FileStorage] = [f for f in request.files.getlist(key) if f.filename]
    if not files:
        return None
    lists = []
    try:
        for storage in files:
            with received(storage, TABLE_KINDS, field=key) as upload:
                lists.append(read_division_list(upload.path, name=upload.filename))
        return DivisionList.merge(lists)
    except ValidationError as exc:  # say which of the request's lists it is
        title = f"{LIST_FIELDS[key]}（{key}）：{exc.title}"
        raise ValidationError(exc.problems, title=title) from None


def _batch_name() -> str:
    names = [f.filename or "" for k in ("from", "to") for f in request.files.getlist(k)]
    return f"{' + '.join(names[:4])}（{date.today().isoformat()}）"


@bp.post("/proposals/<proposal_id>/accept")
@role_required("officer")
def accept(proposal_id: str) -> Response:
    """Make a case of a pending proposal, pre-filled from it (JSON ``date``, ``title``)."""
    data = _body()
    with fields_renamed(**RENAMED):
        case = changes().accept(
            proposal_id, actor=actor(), on=_text(data, "date") or None, title=_text(data, "title")
        )
    return jsonify(case_json(case, [])), 201  # type: ignore[return-value]


@bp.post("/proposals/<proposal_id>/dismiss")
@role_required("officer")
def dismiss(proposal_id: str) -> Response:
    """Dismiss a pending proposal with a reason (JSON ``reason``)."""
    data = _body()
    with fields_renamed(**RENAMED):
        proposal = changes().dismiss(proposal_id, reason=_text(data, "reason"), actor=actor())
    return jsonify(proposal_json(proposal))


# -- cases -----------------------------------------------------------------------------------


@bp.get("/cases")
@role_required(*READERS)
def list_cases() -> Response:
    """Change cases, by ``status`` and ``division`` (a county's or city's code)."""
    status = _choice("status", DIVISION_CASE_ALL_STATUSES)
    found = changes().cases(status=status, within=_division_arg())
    return jsonify(cases=[case_json(c) for c in found])


@bp.post("/cases")
@role_required("officer")
def apply() -> Response:
    """Open a change case by hand (JSON ``kind``, ``title``, ``before``, ``after``,
    ``villages``, ``seat``, ``division_code``, ``date``, ``note``)."""
    data = _body()
    units = {key: _units(data, key) for key in ("before", "after", "villages")}
    with fields_renamed(**RENAMED):
        case = changes().apply(
            _text(data, "kind"), title=_text(data, "title"), actor=actor(),
            before=units["before"], after=units["after"], villages=units["villages"],
            division_code=_text(data, "division_code") or None, seat=_text(data, "seat"),
            on=_text(data, "date") or None, note=_text(data, "note"),
        )  # fmt: skip
    return jsonify(case_json(case, [])), 201  # type: ignore[return-value]


def _units(data: Mapping[str, Any], key: str) -> list[dict[str, str]]:
    """A list of objects with text values from the body (a 400 naming ``key`` otherwise)."""
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(u, dict) for u in value):
        raise ValidationError(Problem("应为对象列表", field=key), title="请求有误")
    return [{str(k): _text(u, k) for k in u} for u in value]


@bp.get("/cases/<case_id>")
@role_required(*READERS)
def get_case(case_id: str) -> Response:
    """One change case with its steps and documents."""
    case = changes().get(case_id)
    return jsonify(case_json(case, store().division_case_documents(case.case_id)))


@bp.post("/cases/<case_id>/documents")
@role_required("officer")
def attach(case_id: str) -> Response:
    """Attach a document (multipart ``file``, ``doc_type``: approval, request, map, other;
    ``note``)."""
    upload = request.files.get("file")
    filename = (upload.filename or "") if upload is not None else ""
    # at most one byte past the bound: the service refuses it by size and by content
    content = upload.stream.read(MAX_DOCUMENT_BYTES + 1) if upload is not None else b""
    with fields_renamed(**RENAMED):
        doc = changes().attach(
            case_id, request.form.get("doc_type", ""), filename, content, actor=actor(),
            note=request.form.get("note", ""),
        )  # fmt: skip
    return jsonify(document_json(doc)), 201  # type: ignore[return-value]


@bp.post("/cases/<case_id>/<step>")
@role_required("officer")
def step(case_id: str, step: str) -> Response:
    """Record a step: ``review`` (JSON ``pinyin``: code → pinyin), ``approve``
    (``approving_body``, ``approval_number``), ``effective``, ``withdraw`` or ``reject``
    (``reason``); each with ``date``."""
    if step not in RECORDED_STEPS:
        not_found(f"未知的步骤 {step[:20]}；可用：{'、'.join(RECORDED_STEPS)}")
    data = _body()
    on = _text(data, "date") or None
    svc = changes()
    with fields_renamed(**RENAMED):
        if step == "review":
            case = svc.review(case_id, actor=actor(), on=on, pinyin=_pinyin(data))
        elif step == "approve":
            case = svc.approve(
                case_id, approving_body=_text(data, "approving_body"),
                approval_number=_text(data, "approval_number"), actor=actor(), on=on,
            )  # fmt: skip
        elif step == "effective":
            case = svc.take_effect(case_id, actor=actor(), on=on)
        else:
            case = svc.close(case_id, step, reason=_text(data, "reason"), actor=actor(), on=on)
    return jsonify(case_json(case, store().division_case_documents(case.case_id)))


def _pinyin(data: Mapping[str, Any]) -> dict[str, str]:
    value = data.get("pinyin") or {}
    if not isinstance(value, dict):
        raise ValidationError(
            Problem("pinyin 应为对象：区划代码 → 审定拼音", field="pinyin"), title="请求有误"
        )
    return {str(code): _text(value, code) for code in value if _text(value, code)}


# -- 勘界 tasks -------------------------------------------------------------------------------


@bp.get("/surveys")
@role_required(*READERS)
def surveys() -> Response:
    """勘界 tasks by due date; ``overdue=1`` only the open ones past due, ``open=1`` only the
    open ones."""
    today = date.today().isoformat()
    svc = changes()
    if flag(request.args.get("overdue")):
        found = svc.overdue_surveys(today)
    else:
        found = svc.survey_tasks(open_only=flag(request.args.get("open")))
    return jsonify(today=today, surveys=[survey_json(t, today) for t in found])


@bp.post("/surveys/<task_id>/done")
@role_required("officer", "inspector")
def survey_done(task_id: str) -> Response:
    """Record a 勘界 task as done (JSON ``date``, ``note``)."""
    data = _body()
    with fields_renamed(**RENAMED):
        task = changes().finish_survey(
            task_id, actor=actor(), on=_text(data, "date") or None, note=_text(data, "note")
        )
    return jsonify(survey_json(task, date.today().isoformat()))

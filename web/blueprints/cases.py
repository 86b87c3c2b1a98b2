"""Pages for naming and renaming cases (命名更名): the list with overdue alerts, a new
application, the case file with its steps and documents, withdrawal (撤回) and refusal
(不予批准) before approval, and the printable notice (公告)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from geociv.errors import ValidationError
from geociv.gazetteer.cases import DEADLINE_DAYS, NOTICE_STATUSES, REQUIRED_DOCUMENTS
from geociv.gazetteer.categories import CATEGORIES
from geociv.gazetteer.rules import RULES
from geociv.labels import (
    CASE_KIND_LABELS,
    CASE_STATUS_LABELS,
    CASE_STEP_LABELS,
    DOCUMENT_TYPE_LABELS,
    SEVERITY_LABELS,
)
from geociv.store import (
    CASE_ALL_STATUSES,
    CASE_CLOSABLE_STATUSES,
    CASE_CLOSED_STATUSES,
    CASE_STEPS,
    NameCase,
)
from web._helpers import (
    cases,
    division_labels,
    flash_problems,
    not_found,
    role_required,
    store,
)
from web.handlers.cases import (
    STEPS,
    apply_case,
    attach_upload,
    close_case,
    get_case,
    next_step,
    run_step,
    send_document,
)
from web.handlers.change_pages import changes

bp = Blueprint("cases", __name__, url_prefix="/cases")


def _latest(case: NameCase) -> tuple[str, str]:
    """Label and date of the last step a case went through."""
    last = case.steps[-1] if case.steps else None
    return (CASE_STEP_LABELS[last.step], last.on) if last else ("", "")


@bp.get("/")
@login_required
def list_page() -> Any:
    """Every case (newest first, optionally of one status) and the overdue panel."""
    svc = cases()
    status = request.args.get("status") or None
    if status not in (None, *CASE_ALL_STATUSES):
        status = None
    every = svc.query()
    found = [c for c in reversed(every) if status is None or c.status == status]
    by_id = {c.case_id: c for c in every}
    late = [(o, by_id.get(o.case_id)) for o in svc.overdue()]
    return render_template(
        "cases_list.html",
        cases=found,
        overdue=late,
        late_surveys=changes().overdue_surveys(),
        latest={c.case_id: _latest(c) for c in found},
        status=status,
        kind_labels=CASE_KIND_LABELS,
        status_labels=CASE_STATUS_LABELS,
        step_labels=CASE_STEP_LABELS,
        closed_statuses=CASE_CLOSED_STATUSES,
        labels=division_labels(c.division_code for c in found),
        deadline=DEADLINE_DAYS,
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required("officer")
def new() -> Any:
    """The application form (申请): naming a new place or renaming a name record."""
    status = 200
    posted: dict[str, str] = {}
    if request.method == "POST":
        posted = {k: v for k, v in request.form.items() if k != "csrf_token"}
        try:
            case = apply_case(posted)
        except ValidationError as exc:
            flash_problems(exc)
            status = 400
        else:
            what = CASE_KIND_LABELS[case.kind]
            flash(f"已受理{what}申请，案件编号 {case.case_id}；请上传三项报告后审核", "info")
            return redirect(url_for("cases.case_page", case_id=case.case_id))
    picked = store().get_name(posted["name_id"].strip()) if posted.get("name_id") else None
    return render_template(
        "cases_new.html",
        posted=posted,
        posted_kind=posted.get("kind", ""),
        picked=picked,
        categories=[(c.code, c.label) for c in CATEGORIES.values()],
        default_division=current_user.user.division_code,
        today=date.today().isoformat(),
    ), status


def _render_case(case_id: str, status: int = 200) -> Any:
    svc = cases()
    case = get_case(case_id)
    step = next_step(case)
    record = store().get_name(case.name_id) if case.name_id else None
    context: dict[str, Any] = {}
    if step == "review":
        context["blockers"] = svc.check(case.case_id)
        context["report"] = svc.report(case.case_id)
    documents = svc.documents(case.case_id)
    attached = {d.doc_type for d in documents}
    wanted = list(REQUIRED_DOCUMENTS)
    if case.kind == "renaming" and record is not None and record.heritage_level:
        wanted.append("protection")
    suggested = next((t for t in wanted if t not in attached), "other")
    approved = case.date_of("approve")
    due = (
        (date.fromisoformat(approved) + timedelta(days=DEADLINE_DAYS)).isoformat()
        if approved
        else None
    )
    return render_template(
        "cases_case.html",
        case=case,
        step=step,
        record=record,
        documents=documents,
        attached=attached,
        suggested=suggested,
        required=REQUIRED_DOCUMENTS,
        overdue=[o for o in svc.overdue() if o.case_id == case.case_id],
        category=CATEGORIES.get(case.category),
        labels=division_labels([case.division_code]),
        kind_labels=CASE_KIND_LABELS,
        status_labels=CASE_STATUS_LABELS,
        step_labels=CASE_STEP_LABELS,
        document_labels=DOCUMENT_TYPE_LABELS,
        severity_labels=SEVERITY_LABELS,
        rules=RULES,
        can_notice=case.status in NOTICE_STATUSES,
        can_close=case.status in CASE_CLOSABLE_STATUSES,
        closed=case.closed,
        today=date.today().isoformat(),
        due=due,
        deadline=DEADLINE_DAYS,
        all_steps=CASE_STEPS + ((case.closed.step,) if case.closed else ()),
        **context,
    ), status


@bp.get("/<case_id>")
@login_required
def case_page(case_id: str) -> Any:
    """One case: its fields, every step with date, actor and note, its documents, and the
    form of the step allowed now."""
    return _render_case(case_id)


@bp.post("/<case_id>/documents")
@role_required("officer")
def upload(case_id: str) -> Any:
    """Attach a document (综合评估报告, 专家论证报告, 征求意见报告, 保护措施, 批复, 其他)."""
    try:
        doc = attach_upload(
            case_id,
            request.form.get("doc_type", ""),
            request.files.get("file"),
            request.form.get("note", ""),
        )
    except ValidationError as exc:
        flash_problems(exc)
        return _render_case(case_id, 400)
    flash(f"已上传{DOCUMENT_TYPE_LABELS[doc.doc_type]}：{doc.filename}", "info")
    return redirect(url_for("cases.case_page", case_id=doc.case_id))


@bp.get("/<case_id>/documents/<int:document_id>")
@login_required
def document(case_id: str, document_id: int) -> Response:
    """Download a document of the case."""
    return send_document(case_id, document_id)


@bp.get("/<case_id>/notice")
@login_required
def notice(case_id: str) -> Response:
    """The printable publication notice (公告); refused with a 400 page before approval."""
    get_case(case_id)
    html = cases().notice_html(case_id, on=request.args.get("date") or None)
    return Response(html, mimetype="text/html")


def _close(case_id: str, step: str) -> Any:
    """Withdraw or refuse the case from the page's form (``reason``, ``date``, ``note``, and
    ``approving_body`` for a refusal)."""
    data = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        case = close_case(case_id, step, data)
    except ValidationError as exc:
        flash_problems(exc)
        return _render_case(case_id, 400)
    flash(
        f"案件 {case.case_id} 已{CASE_STEP_LABELS[step]}（{case.date_of(step)}），"
        f"理由：{case.close_reason}；案件办结，地名库未作改动",
        "info",
    )
    return redirect(url_for("cases.case_page", case_id=case.case_id))


@bp.post("/<case_id>/withdraw")
@role_required("officer")
def withdraw(case_id: str) -> Any:
    """The applicant withdraws the application (撤回申请) before approval."""
    return _close(case_id, "withdraw")


@bp.post("/<case_id>/reject")
@role_required("officer")
def reject(case_id: str) -> Any:
    """The case is refused (不予批准) at review or approval."""
    return _close(case_id, "reject")


@bp.post("/<case_id>/<step>")
@role_required("officer")
def advance(case_id: str, step: str) -> Any:
    """Record the step allowed now: 审核, 批准, 备案, 公告 or 生效."""
    if step not in STEPS:
        not_found(f"没有办理步骤 {step}")
    form = request.form
    data: dict[str, Any] = {k: v for k, v in form.items() if not k.startswith("accept-")}
    if step == "review":
        data["accept"] = {
            k.removeprefix("accept-"): v.strip()
            for k, v in form.items()
            if k.startswith("accept-") and v.strip()
        }
    try:
        case = run_step(case_id, step, data)
    except ValidationError as exc:
        flash_problems(exc)
        return _render_case(case_id, 400)
    flash(
        f"案件 {case.case_id} 已{CASE_STEP_LABELS[step]}（{case.date_of(step)}），"
        f"当前状态：{CASE_STATUS_LABELS[case.status]}",
        "info",
    )
    return redirect(url_for("cases.case_page", case_id=case.case_id))

"""Pages of division changes (行政区划变更): proposals made from two uploaded official lists
(接受 or 驳回), the change cases with their steps (申请 → 审核 → 批准 → 生效, or 撤回 / 不予批准)
and documents, and the 勘界 tasks that changes of extent open."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from geociv.changes.cases import next_step
from geociv.errors import ValidationError
from geociv.labels import (
    CHANGE_KIND_LABELS,
    DIVISION_DOCUMENT_LABELS,
    DIVISION_STATUS_LABELS,
    DIVISION_STEP_LABELS,
    LEVEL_LABELS,
    SURVEY_STATUS_LABELS,
)
from geociv.store import DIVISION_CASE_ALL_STATUSES, DIVISION_CASE_CLOSED_STATUSES
from web._helpers import actor, division_labels, flash_error, role_required, store
from web.handlers.change_pages import (
    LIST_FIELDS,
    attach_change_document,
    by_kind,
    change_document,
    changes,
    get_change_case,
    new_names,
    propose_from_upload,
    run_change_step,
)
from web.handlers.files import download

bp = Blueprint("changes", __name__, url_prefix="/divisions/changes")


def _within() -> str:
    return current_user.user.division_code or ""


def _proposals_page(status: int = 200, parent: str | None = None) -> Any:
    pending = changes().proposals(status="pending", within=_within())
    return render_template(
        "changes_proposals.html",
        groups=by_kind(pending),
        pending=len(pending),
        list_fields=LIST_FIELDS,
        parent=parent if parent is not None else _within(),
        level_labels=LEVEL_LABELS,
        today=date.today().isoformat(),
    ), status


@bp.route("/", methods=["GET", "POST"])
@role_required("officer")
def proposals_page() -> Any:
    """区划变更建议: upload two official lists; the proposals kept, grouped by kind, each to
    accept (接受) or dismiss (驳回)."""
    if request.method == "GET":
        return _proposals_page()
    parent = request.form.get("parent", "").strip()
    try:
        proposals, batch = propose_from_upload(parent)
        saved = changes().save_proposals(proposals, batch=batch, actor=actor())
    except ValidationError as exc:
        flash_error(exc)
        return _proposals_page(400, parent)
    flash(f"比较 {batch}：共 {len(proposals)} 项变更建议，新增 {len(saved)} 项待处理", "info")
    return redirect(url_for("changes.proposals_page"))


@bp.post("/proposals/<proposal_id>/accept")
@role_required("officer")
def accept(proposal_id: str) -> Any:
    """接受: the proposal becomes a case, pre-filled; on to the case's page."""
    try:
        case = changes().accept(
            proposal_id, actor=actor(), on=request.form.get("date", "").strip() or None
        )
    except ValidationError as exc:
        flash_error(exc)
        return _proposals_page(400)
    flash(f"已受理变更案件 {case.case_id}：{case.title}", "info")
    return redirect(url_for("changes.case_page", case_id=case.case_id))


@bp.post("/proposals/<proposal_id>/dismiss")
@role_required("officer")
def dismiss(proposal_id: str) -> Any:
    """驳回 with a reason."""
    try:
        found = changes().dismiss(proposal_id, reason=request.form.get("reason", ""),
                                  actor=actor())  # fmt: skip
    except ValidationError as exc:
        flash_error(exc)
        return _proposals_page(400)
    flash(f"已驳回变更建议 {found.proposal_id}，理由：{found.reason}", "info")
    return redirect(url_for("changes.proposals_page"))


@bp.get("/cases")
@login_required
def cases_page() -> Any:
    """The change cases (newest first, optionally of one status)."""
    status = request.args.get("status") or None
    if status not in (None, *DIVISION_CASE_ALL_STATUSES):
        status = None
    found = list(reversed(changes().cases(status=status)))
    return render_template(
        "changes_cases.html",
        cases=found,
        status=status,
        labels=division_labels(c.division_code for c in found),
        kind_labels=CHANGE_KIND_LABELS,
        status_labels=DIVISION_STATUS_LABELS,
        step_labels=DIVISION_STEP_LABELS,
        closed_statuses=DIVISION_CASE_CLOSED_STATUSES,
    )


def _render_case(case_id: str, status: int = 200) -> Any:
    case = get_change_case(case_id)
    step = next_step(case)
    outcome = case.review.get("effect")
    tasks = [t for t in changes().survey_tasks() if t.case_id == case.case_id]
    closed = next((s for s in case.steps if s.step in ("withdraw", "reject")), None)
    shown = ("apply", "review", "approve", "effective") if closed is None else (
        *(s.step for s in case.steps),)  # fmt: skip
    return render_template(
        "changes_case.html",
        case=case,
        step=step,
        closed=closed,
        shown_steps=shown,
        done={s.step: s for s in case.steps},
        outcome=outcome,
        tasks=tasks,
        names=new_names(case) if step == "review" else [],
        documents=store().division_case_documents(case.case_id),
        labels=division_labels([case.division_code]),
        kind_labels=CHANGE_KIND_LABELS,
        status_labels=DIVISION_STATUS_LABELS,
        step_labels=DIVISION_STEP_LABELS,
        document_labels=DIVISION_DOCUMENT_LABELS,
        survey_labels=SURVEY_STATUS_LABELS,
        level_labels=LEVEL_LABELS,
        today=date.today().isoformat(),
        last_day=case.steps[-1].on if case.steps else "",
    ), status


@bp.get("/cases/<case_id>")
@login_required
def case_page(case_id: str) -> Any:
    """One change case: units before and after, villages moved, steps, documents, the form
    of the next step and, once in force, what taking effect did."""
    return _render_case(case_id)


@bp.post("/cases/<case_id>/documents")
@role_required("officer")
def upload(case_id: str) -> Any:
    """Attach a document (批复, 请示, 示意图, 其他)."""
    try:
        doc = attach_change_document(
            case_id, request.form.get("doc_type", ""), request.form.get("note", "")
        )
    except ValidationError as exc:
        flash_error(exc)
        return _render_case(case_id, 400)
    flash(f"已上传{DIVISION_DOCUMENT_LABELS[doc.doc_type]}：{doc.filename}", "info")
    return redirect(url_for("changes.case_page", case_id=case_id))


@bp.get("/cases/<case_id>/documents/<int:document_id>")
@login_required
def document(case_id: str, document_id: int) -> Any:
    """Download a document of the case."""
    doc = change_document(case_id, document_id)
    return download(doc.content, doc.filename)


@bp.post("/cases/<case_id>/<step>")
@role_required("officer")
def advance(case_id: str, step: str) -> Any:
    """Record a step: 审核, 批准, 生效, 撤回 or 不予批准."""
    try:
        case = run_change_step(case_id, step, request.form)
    except ValidationError as exc:
        flash_error(exc)
        return _render_case(case_id, 400)
    flash(f"变更案件 {case.case_id} 已{DIVISION_STEP_LABELS[step]}，"
          f"当前状态：{DIVISION_STATUS_LABELS[case.status]}", "info")  # fmt: skip
    return redirect(url_for("changes.case_page", case_id=case.case_id))


@bp.get("/surveys")
@login_required
def surveys_page() -> Any:
    """勘界 tasks: open first by due date, 逾期 highlighted."""
    return _surveys_page()


def _surveys_page(status: int = 200) -> Any:
    svc = changes()
    tasks = svc.survey_tasks()
    tasks.sort(key=lambda t: (t.status != "open", t.due))
    codes = {c for t in tasks for c in t.division_codes}
    return render_template(
        "changes_surveys.html",
        tasks=tasks,
        overdue={t.task_id for t in svc.overdue_surveys()},
        labels=division_labels(codes),
        survey_labels=SURVEY_STATUS_LABELS,
        today=date.today().isoformat(),
    ), status


@bp.post("/surveys/<task_id>/done")
@role_required("officer", "inspector")
def survey_done(task_id: str) -> Any:
    """Record a 勘界 task as done (date, note)."""
    try:
        task = changes().finish_survey(
            task_id, actor=actor(), on=request.form.get("date", "").strip() or None,
            note=request.form.get("note", "").strip(),
        )  # fmt: skip
    except ValidationError as exc:
        flash_error(exc)
        return _surveys_page(400)
    flash(f"勘界任务 {task.task_id} 已于 {task.done_on} 完成", "info")
    return redirect(url_for("changes.surveys_page"))

"""``geociv cases``: naming and renaming cases (命名更名案件)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from geociv.cli.common import (
    Context,
    InputFile,
    OutputFile,
    local_admin,
    pass_ctx,
    reports_errors,
)
from geociv.errors import ValidationError


# -- naming/renaming cases (命名更名) ------------------------------------------------------
@click.group()
def cases() -> None:
    """命名更名案件：申请、附件、审核、批准、备案、公告、生效，撤回与不予批准，逾期提醒与公告。"""


def _case_line(case: Any) -> str:
    from geociv.labels import CASE_KIND_LABELS, CASE_STATUS_LABELS

    subject = (
        f"{case.old_name} → {case.proposed_name}" if case.kind == "renaming" else case.proposed_name
    )
    last = case.steps[-1] if case.steps else None
    when = f"{last.on}" if last else ""
    return (
        f"{case.case_id}\t{CASE_KIND_LABELS[case.kind]}\t{subject}\t"
        f"{CASE_STATUS_LABELS[case.status]}\t{when}"
    )


def _print_case(ctx: Context, case: Any) -> None:
    from geociv.gazetteer.cases import Cases
    from geociv.labels import CASE_STEP_LABELS, DOCUMENT_TYPE_LABELS

    click.echo(_case_line(case))
    click.echo(f"  位置：{case.location}；申请人：{case.applicant}；所属区划 {case.division_code}")
    if case.close_reason:
        click.echo(f"  {CASE_STEP_LABELS[case.closed.step]}理由：{case.close_reason}")
    bodies = [("审批机关", case.approving_body), ("备案机关", case.filed_with)]
    if any(value for _, value in bodies):
        click.echo("  " + "；".join(f"{label}：{value}" for label, value in bodies if value))
    for s in case.steps:
        note = f"  {s.note}" if s.note else ""
        click.echo(f"  {CASE_STEP_LABELS[s.step]}\t{s.on}\t{s.actor}{note}")
    for d in Cases(ctx.store).documents(case.case_id):
        click.echo(
            f"  附件 #{d.id} {DOCUMENT_TYPE_LABELS[d.doc_type]}：{d.filename}（{d.size} 字节）"
        )


@cases.command("list")
@click.option(
    "--status",
    type=click.Choice(
        [
            "applied",
            "reviewed",
            "approved",
            "filed",
            "published",
            "effective",
            "withdrawn",
            "rejected",
        ]
    ),
    help="只列出该状态的案件（withdrawn 已撤回，rejected 不予批准）",
)
@click.option("--kind", type=click.Choice(["naming", "renaming"]), help="命名或更名")
@pass_ctx
@reports_errors
def cases_list(ctx: Context, status: str | None, kind: str | None) -> None:
    """列出案件：编号、类型、名称、状态、最近办理日期。"""
    from geociv.gazetteer.cases import Cases

    found = Cases(ctx.store).query(status=status, kind=kind)
    if not found:
        click.echo("没有案件")
    for case in found:
        click.echo(_case_line(case))


@cases.command("show")
@click.argument("case_id")
@pass_ctx
@reports_errors
def cases_show(ctx: Context, case_id: str) -> None:
    """显示一个案件的办理过程与附件。"""
    from geociv.gazetteer.cases import Cases

    _print_case(ctx, Cases(ctx.store).get(case_id))


@cases.command("apply")
@click.argument("kind", type=click.Choice(["naming", "renaming"]))
@click.argument("proposed_name")
@click.option("--name-id", default=None, help="被更名的地名记录编号（更名必填）")
@click.option("--category", default=None, metavar="CODE", help="地名类别（命名必填），如 road")
@click.option(
    "--division", "division_code", default=None, metavar="ADCODE", help="所属区划（命名必填）"
)
@click.option("--location", required=True, help="位置描述")
@click.option("--applicant", required=True, help="申请人（单位或个人）")
@click.option("--pinyin", default="", help="审定拼音（可不填，审核时按规则生成）")
@click.option("--reason", default="", help="命名/更名理由")
@click.option("--date", "on", default=None, metavar="YYYY-MM-DD", help="申请日期（默认今天）")
@click.option("--note", default="", help="备注")
@local_admin
@pass_ctx
@reports_errors
def cases_apply(
    ctx: Context,
    kind: str,
    proposed_name: str,
    name_id: str | None,
    category: str | None,
    division_code: str | None,
    location: str,
    applicant: str,
    pinyin: str,
    reason: str,
    on: str | None,
    note: str,
    actor: str,
) -> None:
    """申请命名（naming）或更名（renaming），拟用名称为 PROPOSED_NAME。"""
    from geociv.gazetteer.cases import Cases

    case = Cases(ctx.store).apply(
        kind,
        proposed_name,
        applicant=applicant,
        location=location,
        actor=actor,
        category=category,
        division_code=division_code,
        name_id=name_id,
        pinyin=pinyin,
        reason=reason,
        on=on,
        note=note,
    )
    click.echo(f"已受理 {_case_line(case)}")


@cases.command("attach")
@click.argument("case_id")
@click.argument(
    "doc_type",
    metavar="DOC_TYPE",
)
@click.argument("path", type=InputFile())
@click.option("--note", default="", help="附件说明")
@local_admin
@pass_ctx
@reports_errors
def cases_attach(
    ctx: Context, case_id: str, doc_type: str, path: str, note: str, actor: str
) -> None:
    """给案件上传附件。DOC_TYPE：assessment（综合评估报告）、expert（专家论证报告）、
    consultation（征求意见报告）、protection（保护措施）、approval（批复文件）、other（其他材料），
    也可写中文名。"""
    from geociv.gazetteer.cases import Cases
    from geociv.labels import DOCUMENT_TYPE_LABELS

    file = Path(path)
    doc = Cases(ctx.store).attach(
        case_id, doc_type, file.name, file.read_bytes(), actor=actor, note=note
    )
    click.echo(
        f"已上传 {doc.case_id} 的{DOCUMENT_TYPE_LABELS[doc.doc_type]}：{doc.filename}"
        f"（{doc.size} 字节，附件 #{doc.id}）"
    )


@cases.command("step")
@click.argument("case_id")
@click.argument("step", type=click.Choice(["review", "approve", "file", "publish", "effective"]))
@click.option("--date", "on", default=None, metavar="YYYY-MM-DD", help="办理日期（默认今天）")
@click.option("--note", default="", help="备注")
@click.option("--approving-body", default="", help="审批机关（approve 必填）")
@click.option("--filed-with", default="", help="备案机关（file 必填）")
@click.option(
    "--accept",
    "accepts",
    multiple=True,
    metavar="RULE=REASON",
    help="审核时确认一条检查结果及理由，可重复，如 --accept N3-PERSON=历史地名",
)
@local_admin
@pass_ctx
@reports_errors
def cases_step(
    ctx: Context,
    case_id: str,
    step: str,
    on: str | None,
    note: str,
    approving_body: str,
    filed_with: str,
    accepts: tuple[str, ...],
    actor: str,
) -> None:
    """办理案件的下一步：review 审核、approve 批准、file 备案、publish 公告、effective 生效。"""
    from geociv.errors import Problem
    from geociv.gazetteer.cases import Cases
    from geociv.labels import CASE_STATUS_LABELS, CASE_STEP_LABELS

    svc = Cases(ctx.store)
    common: dict[str, Any] = {"actor": actor, "on": on, "note": note}
    if step == "review":
        accept: dict[str, str] = {}
        for item in accepts:
            rule, sep, reason = item.partition("=")
            if not sep:
                raise ValidationError(
                    Problem(f"--accept {item!r} 应写成 规则编号=理由", field="accept"),
                    title="参数有误",
                )
            accept[rule.strip()] = reason.strip()
        case = svc.review(case_id, accept=accept, **common)
    elif step == "approve":
        case = svc.approve(case_id, approving_body=approving_body, **common)
    elif step == "file":
        case = svc.file(case_id, filed_with=filed_with, **common)
    elif step == "publish":
        case = svc.publish(case_id, **common)
    else:
        case = svc.effective(case_id, **common)
    click.echo(
        f"{case.case_id} 已{CASE_STEP_LABELS[step]}（{case.date_of(step)}），"
        f"当前状态：{CASE_STATUS_LABELS[case.status]}"
    )


def _close_case(ctx: Context, case_id: str, step: str, **fields: Any) -> None:
    """Withdraw or refuse a case (``step``) and say so."""
    from geociv.gazetteer.cases import Cases
    from geociv.labels import CASE_STATUS_LABELS, CASE_STEP_LABELS

    svc = Cases(ctx.store)
    action = svc.withdraw if step == "withdraw" else svc.reject
    case = action(case_id, **fields)
    click.echo(
        f"{case.case_id} 已{CASE_STEP_LABELS[step]}（{case.date_of(step)}，"
        f"理由：{case.close_reason}），当前状态：{CASE_STATUS_LABELS[case.status]}，案件办结"
    )


@cases.command("withdraw")
@click.argument("case_id")
@click.option("--reason", required=True, help="撤回理由（必填）")
@click.option("--date", "on", default=None, metavar="YYYY-MM-DD", help="撤回日期（默认今天）")
@click.option("--note", default="", help="备注")
@local_admin
@pass_ctx
@reports_errors
def cases_withdraw(
    ctx: Context, case_id: str, reason: str, on: str | None, note: str, actor: str
) -> None:
    """申请人撤回申请：批准前（已申请、已审核）的案件办结为“已撤回”，地名库不变。"""
    _close_case(ctx, case_id, "withdraw", reason=reason, actor=actor, on=on, note=note)


@cases.command("reject")
@click.argument("case_id")
@click.option("--reason", required=True, help="不予批准理由（必填）")
@click.option("--date", "on", default=None, metavar="YYYY-MM-DD", help="决定日期（默认今天）")
@click.option("--body", "approving_body", default="", help="作出决定的机关（如 驿城区人民政府）")
@click.option("--note", default="", help="备注")
@local_admin
@pass_ctx
@reports_errors
def cases_reject(
    ctx: Context,
    case_id: str,
    reason: str,
    on: str | None,
    approving_body: str,
    note: str,
    actor: str,
) -> None:
    """不予批准：审核或批准环节（已申请、已审核）的案件办结为“不予批准”，地名库不变。"""
    _close_case(
        ctx,
        case_id,
        "reject",
        reason=reason,
        actor=actor,
        on=on,
        note=note,
        approving_body=approving_body,
    )


@cases.command("overdue")
@click.option("--today", default=None, metavar="YYYY-MM-DD", help="计算到哪一天（默认今天）")
@pass_ctx
@reports_errors
def cases_overdue(ctx: Context, today: str | None) -> None:
    """列出批准后超过 15 天仍未备案或公告（或备案、公告晚了）的案件；有逾期时退出码为 3。"""
    from geociv.gazetteer.cases import DEADLINE_DAYS, Cases
    from geociv.labels import CASE_STEP_LABELS

    found = Cases(ctx.store).overdue(today)
    if not found:
        click.echo("没有逾期案件")
        return
    for o in found:
        click.echo(
            f"{o.case_id}\t{CASE_STEP_LABELS[o.step]}\t批准 {o.approved_on}\t"
            f"{o.done_on or '未完成'}\t批准后 {o.days} 天，逾期 {o.days - DEADLINE_DAYS} 天"
        )
    sys.exit(3)


@cases.command("notice")
@click.argument("case_id")
@click.option(
    "--html",
    "html_path",
    type=OutputFile(),
    help="把可打印的公告（A4 HTML）写入该文件",
)
@click.option(
    "--date", "on", default=None, metavar="YYYY-MM-DD", help="未公告时的公告日期（默认今天）"
)
@pass_ctx
@reports_errors
def cases_notice(ctx: Context, case_id: str, html_path: str | None, on: str | None) -> None:
    """生成已批准案件的公告：列出各项内容，--html 另存为可打印页面。"""
    from geociv.gazetteer.cases import Cases

    svc = Cases(ctx.store)
    fields = svc.notice(case_id, on=on)
    labels = {
        "title": "标题",
        "standard_name": "标准地名",
        "pinyin": "罗马字母拼写",
        "old_name": "原名称",
        "category_label": "地名类别",
        "division_full_name": "所在行政区划",
        "location": "位置描述",
        "approving_body": "审批机关",
        "approval_date": "批准日期",
        "filed_with": "备案机关",
        "filing_date": "备案日期",
        "notice_date": "公告日期",
        "effective_date": "生效日期",
    }
    for key, label in labels.items():
        if fields.get(key):
            click.echo(f"{label}：{fields[key]}")
    if html_path:
        Path(html_path).write_text(svc.notice_html(case_id, on=on), encoding="utf-8")
        click.echo(f"公告已写入 {html_path}")

"""``geociv divisions changes case``: division change cases (行政区划变更案件) through
申请 → 审核 → 批准 → 生效, or 撤回 / 不予批准, with their documents.

Every step goes through :class:`geociv.changes.cases.DivisionChanges`, which checks it and
audits it; a case is opened by accepting a proposal (``geociv divisions changes accept``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from geociv.cli.common import (
    Context,
    InputFile,
    local_admin,
    on_option,
    pass_ctx,
    reports_errors,
)
from geociv.errors import Problem, ValidationError
from geociv.labels import (
    CASE_STATUS_LABELS,
    CASE_STEP_LABELS,
    CHANGE_KIND_LABELS,
    DIVISION_DOCUMENT_LABELS,
)

if TYPE_CHECKING:
    from geociv.changes.cases import DivisionChanges
    from geociv.store import DivisionCase


def _service(ctx: Context) -> DivisionChanges:
    from geociv.changes.cases import DivisionChanges

    return DivisionChanges(ctx.store)


@click.group()
def case() -> None:
    """区划变更案件：列出、查看、审核、批准、生效，撤回或不予批准，上传材料。"""


def case_line(case: DivisionCase) -> str:
    """One line of a case: id, kind, title, status, last step's day."""
    last = case.steps[-1].on if case.steps else ""
    return (f"{case.case_id}\t{CHANGE_KIND_LABELS[case.kind]}\t{case.title}\t"
            f"{CASE_STATUS_LABELS[case.status]}\t{last}")  # fmt: skip


def _units(units: Sequence[dict[str, str]]) -> str:
    return "、".join(f"{u['code']} {u['name']}" for u in units) or "（无）"


def _print_case(ctx: Context, case: DivisionCase) -> None:
    click.echo(case_line(case))
    changes = case.changes
    click.echo(f"  变更前：{_units(changes.get('before', []))}")
    click.echo(f"  变更后：{_units(changes.get('after', []))}")
    if changes.get("villages"):
        click.echo(f"  村（居）调整 {len(changes['villages'])} 个")
    for code, pinyin in changes.get("names", {}).items():
        click.echo(f"  标准名称拼音 {code}：{pinyin}")
    if case.approving_body:
        click.echo(f"  审批机关：{case.approving_body}；文号：{case.approval_number}；"
                   f"批准日期：{case.approval_date}")  # fmt: skip
    if case.close_reason:
        click.echo(f"  理由：{case.close_reason}")
    for s in case.steps:
        note = f"  {s.note}" if s.note else ""
        click.echo(f"  {CASE_STEP_LABELS[s.step]}\t{s.on}\t{s.actor}{note}")
    effect = case.review.get("effect")
    if effect:
        click.echo(f"  生效结果：撤销 {'、'.join(effect['retired']) or '无'}；"
                   f"新设 {'、'.join(effect['started']) or '无'}；"
                   f"变更 {'、'.join(effect['changed']) or '无'}；"
                   f"勘界任务 {effect.get('survey_task') or '无'}")  # fmt: skip
    for d in ctx.store.division_case_documents(case.case_id):
        click.echo(f"  材料 #{d.id} {DIVISION_DOCUMENT_LABELS[d.doc_type]}：{d.filename}"
                   f"（{d.size} 字节）")  # fmt: skip


@case.command("list")
@click.option("--status", type=click.Choice(
    ["applied", "reviewed", "approved", "effective", "withdrawn", "rejected"]),
    help="只列出该状态的案件")  # fmt: skip
@click.option("--within", metavar="ADCODE", help="只列出该区划内的案件")
@pass_ctx
@reports_errors
def case_list(ctx: Context, status: str | None, within: str | None) -> None:
    """列出变更案件：编号、类型、标题、状态、最近办理日期。"""
    found = _service(ctx).cases(status=status, within=within)
    if not found:
        click.echo("没有变更案件")
    for c in found:
        click.echo(case_line(c))


@case.command("show")
@click.argument("case_id")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_ctx
@reports_errors
def case_show(ctx: Context, case_id: str, as_json: bool) -> None:
    """显示一个变更案件：变更前后、办理过程、生效结果、材料。"""
    found = _service(ctx).get(case_id)
    if as_json:
        click.echo(json.dumps(found.attributes(), ensure_ascii=False, indent=1))
        return
    _print_case(ctx, found)


def _pinyin(pairs: Sequence[str]) -> dict[str, str]:
    """``CODE=PINYIN`` options as a dict; a 2-exit error naming the option otherwise."""
    given, problems = {}, []
    for i, pair in enumerate(pairs, start=1):
        code, sep, pinyin = pair.partition("=")
        if not sep or not code.strip() or not pinyin.strip():
            problems.append(Problem(f"第 {i} 个 --pinyin {pair!r} 应为 代码=拼音", field="pinyin"))
        else:
            given[code.strip()] = pinyin.strip()
    if problems:
        raise ValidationError(problems, title="--pinyin 有误")
    return given


@case.command("review")
@click.argument("case_id")
@click.option("--pinyin", "pinyin", multiple=True, metavar="CODE=PINYIN",
              help="新标准名称的审定拼音，可重复，如 --pinyin 411721107=Sòngjí Zhèn")  # fmt: skip
@on_option
@local_admin
@pass_ctx
@reports_errors
def case_review(
    ctx: Context, case_id: str, pinyin: Sequence[str], on: str | None, actor: str
) -> None:
    """审核变更案件 CASE_ID（检查冲突，确定新标准名称及拼音）。"""
    done = _service(ctx).review(case_id, actor=actor, on=on, pinyin=_pinyin(pinyin))
    click.echo(f"已审核 {case_line(done)}")
    for code, spelled in done.changes.get("names", {}).items():
        click.echo(f"  {code}：{spelled}")


@case.command("approve")
@click.argument("case_id")
@click.option("--body", "approving_body", required=True, help="审批机关，如 河南省人民政府")
@click.option("--number", "approval_number", required=True, help="批准文号")
@on_option
@local_admin
@pass_ctx
@reports_errors
def case_approve(
    ctx: Context, case_id: str, approving_body: str, approval_number: str, on: str | None,
    actor: str,
) -> None:  # fmt: skip
    """批准变更案件 CASE_ID（--on 为批准日期）。"""
    done = _service(ctx).approve(case_id, approving_body=approving_body,
                                 approval_number=approval_number, actor=actor, on=on)  # fmt: skip
    click.echo(f"已批准 {case_line(done)}")


@case.command("effective")
@click.argument("case_id")
@on_option
@local_admin
@pass_ctx
@reports_errors
def case_effective(ctx: Context, case_id: str, on: str | None, actor: str) -> None:
    """变更案件 CASE_ID 生效（--on 为生效日期）：区划、地名、勘界与服务圈随之更新。"""
    done = _service(ctx).take_effect(case_id, actor=actor, on=on)
    _print_case(ctx, done)


def _close(step: str, label: str) -> click.Command:
    @click.argument("case_id")
    @click.option("--reason", required=True, help=f"{label}理由")
    @on_option
    @local_admin
    @pass_ctx
    @reports_errors
    def command(ctx: Context, case_id: str, reason: str, on: str | None, actor: str) -> None:
        done = _service(ctx).close(case_id, step, reason=reason, actor=actor, on=on)
        click.echo(f"已{label} {case_line(done)}")

    command.__doc__ = f"{label}变更案件 CASE_ID（批准前，须写理由）。"
    return case.command(step)(command)


case_withdraw = _close("withdraw", "撤回")
case_reject = _close("reject", "不予批准")


@case.command("attach")
@click.argument("case_id")
@click.argument("path", type=InputFile())
@click.option("--type", "doc_type", required=True,
              type=click.Choice(["approval", "request", "map", "other"]),
              help="approval 批复、request 请示、map 示意图、other 其他材料")  # fmt: skip
@click.option("--note", default="", help="说明")
@local_admin
@pass_ctx
@reports_errors
def case_attach(
    ctx: Context, case_id: str, path: str, doc_type: str, note: str, actor: str
) -> None:
    """给变更案件 CASE_ID 上传材料 PATH（PDF、Word、Excel、图片、文本）。"""
    from geociv.uploads.limits import MAX_DOCUMENT_BYTES

    file = Path(path)
    with file.open("rb") as handle:
        content = handle.read(MAX_DOCUMENT_BYTES + 1)
    doc = _service(ctx).attach(case_id, doc_type, file.name, content, actor=actor, note=note)
    click.echo(f"已上传 {doc.case_id} 的{DIVISION_DOCUMENT_LABELS[doc.doc_type]}：{doc.filename}"
               f"（{doc.size} 字节，材料 #{doc.id}）")  # fmt: skip

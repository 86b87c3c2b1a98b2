"""``geociv divisions changes``: division changes (行政区划变更) proposed from official lists.

``propose`` compares two vintages of the official code lists and prints the changes it sees,
per kind, with their confidence and evidence (or, with ``--json``, a JSON list of
:meth:`geociv.changes.Proposal.to_json`). It needs no store and opens none, unless ``--save``
keeps the proposals in the store for review. ``proposals``, ``accept`` and ``dismiss`` decide on
the kept ones; ``case …`` (:mod:`geociv.cli.change_cases`) takes a change case through its
steps; ``surveys`` lists the 勘界 tasks the cases opened and records them done.
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
    LazyGroup,
    local_admin,
    on_option,
    pass_ctx,
    reports_errors,
)
from geociv.labels import CHANGE_KIND_LABELS, LEVEL_LABELS, PROPOSAL_STATUS_LABELS

if TYPE_CHECKING:
    from geociv.changes import DivisionList, Proposal
    from geociv.changes.lists import Unit

#: Villages printed per proposal in the table (all of them are in ``--json``).
SHOWN_VILLAGES = 40


@click.group(cls=LazyGroup, lazy={"case": "geociv.cli.change_cases:case"})
def changes() -> None:
    """行政区划变更：由两期官方区划代码名单提出变更建议，接受或驳回建议，办理变更案件，勘界任务。"""


@changes.command("propose")
@click.option(
    "--from",
    "old_paths",
    multiple=True,
    required=True,
    type=InputFile("名单"),
    help="旧名单（县级、乡级或村级；可重复，同一期的几份合并）",
)
@click.option(
    "--to",
    "new_paths",
    multiple=True,
    required=True,
    type=InputFile("名单"),
    help="新名单（可重复）",
)
@click.option(
    "--villages-from",
    "old_village_paths",
    multiple=True,
    type=InputFile("名单"),
    help="旧的村级名单（可重复）",
)
@click.option(
    "--villages-to",
    "new_village_paths",
    multiple=True,
    type=InputFile("名单"),
    help="新的村级名单（可重复）",
)
@click.option("--parent", required=True, metavar="ADCODE", help="只比较该区划以下的单位，如 411700")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 列表")
@click.option("--save", is_flag=True, help="把建议存入存储，待审核（已存过的不重复）")
@click.option("--batch", default=None, metavar="NAME", help="这批建议的名称（默认按文件名）")
@local_admin
@pass_ctx
@reports_errors
def changes_propose(
    ctx: Context,
    old_paths: Sequence[str],
    new_paths: Sequence[str],
    old_village_paths: Sequence[str],
    new_village_paths: Sequence[str],
    parent: str,
    as_json: bool,
    save: bool,
    batch: str | None,
    actor: str,
) -> None:
    """比较两期区划代码名单（CSV 或 XLSX，UTF-8 或 GBK），按变更类型列出建议；--save 存入存储。"""
    from geociv.changes import propose_changes

    proposals = propose_changes(
        _read(old_paths),
        _read(new_paths),
        parent=parent,
        old_villages=_read(old_village_paths) if old_village_paths else None,
        new_villages=_read(new_village_paths) if new_village_paths else None,
    )
    if as_json:
        click.echo(json.dumps([p.to_json() for p in proposals], ensure_ascii=False, indent=1))
    else:
        _print_table(proposals)
    if save:
        from geociv.changes.cases import DivisionChanges

        name = batch or " + ".join(Path(p).name for p in (*old_paths, *new_paths))
        saved = DivisionChanges(ctx.store).save_proposals(proposals, batch=name, actor=actor)
        click.echo(f"已保存 {len(saved)} 项新建议（共 {len(proposals)} 项，其余此前已保存）",
                   err=as_json)  # fmt: skip


def _read(paths: Sequence[str]) -> DivisionList:
    from geociv.changes import DivisionList, read_division_list

    return DivisionList.merge([read_division_list(p) for p in paths])


def _print_table(proposals: list[Proposal]) -> None:
    from geociv.changes.kinds import CHANGE_KINDS

    if not proposals:
        click.echo("两期名单之间没有变更（写法变化不算变更）")
        return
    counts = {k: sum(p.kind == k for p in proposals) for k in CHANGE_KINDS}
    summary = "、".join(f"{CHANGE_KIND_LABELS[k]} {n}" for k, n in counts.items() if n)
    click.echo(f"共 {len(proposals)} 项建议：{summary}")
    for kind, count in counts.items():
        if not count:
            continue
        click.echo(f"\n== {CHANGE_KIND_LABELS[kind]}（{count} 项）==")
        for proposal in (p for p in proposals if p.kind == kind):
            _print_one(proposal)


def _units(units: Sequence[Unit]) -> str:
    return "、".join(f"{u.code} {u.name}" for u in units) or "（无）"


def _print_one(proposal: Proposal) -> None:
    click.echo(
        f"\n{_units(proposal.before)} → {_units(proposal.after)}"
        f"  [{LEVEL_LABELS[proposal.level]}，置信度 {proposal.confidence:.2f}]"
    )
    for sentence in proposal.evidence:
        click.echo(f"    · {sentence}")
    moves = proposal.villages
    if moves and proposal.level != "village":
        click.echo(f"    村（居）{len(moves)} 个：")
    for move in moves[:SHOWN_VILLAGES]:
        old = f"{move.old_code} {move.old_name}" if move.old_code else "（新增）"
        new = f"{move.new_code} {move.new_name}" if move.new_code else "（撤销）"
        click.echo(f"      {old} → {new}")
    if len(moves) > SHOWN_VILLAGES:
        click.echo(f"      …另有 {len(moves) - SHOWN_VILLAGES} 个（见 --json）")


# -- kept proposals ----------------------------------------------------------------------------
@changes.command("proposals")
@click.option("--status", type=click.Choice(["pending", "accepted", "dismissed"]),
              help="pending 待审核、accepted 已接受、dismissed 已驳回")  # fmt: skip
@click.option("--within", metavar="ADCODE", help="只列出该区划内的建议")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 列表")
@pass_ctx
@reports_errors
def changes_proposals(ctx: Context, status: str | None, within: str | None, as_json: bool) -> None:
    """列出存储中的变更建议：编号、类型、变更前后、状态。"""
    from geociv.changes.cases import DivisionChanges, proposal_title

    found = DivisionChanges(ctx.store).proposals(status=status, within=within)
    if as_json:
        click.echo(json.dumps([p.attributes() for p in found], ensure_ascii=False, indent=1))
        return
    if not found:
        click.echo("没有变更建议")
    for p in found:
        decided = f"\t→ {p.case_id}" if p.case_id else (f"\t理由：{p.reason}" if p.reason else "")
        click.echo(f"{p.proposal_id}\t{CHANGE_KIND_LABELS[p.kind]}\t{proposal_title(p.body)}\t"
                   f"{PROPOSAL_STATUS_LABELS[p.status]}{decided}")  # fmt: skip


@changes.command("accept")
@click.argument("proposal_id")
@on_option
@click.option("--title", default="", help="案件标题（默认由建议生成）")
@local_admin
@pass_ctx
@reports_errors
def changes_accept(ctx: Context, proposal_id: str, on: str | None, title: str, actor: str) -> None:
    """接受变更建议 PROPOSAL_ID：按建议立案（申请），打印案件编号。"""
    from geociv.changes.cases import DivisionChanges

    case = DivisionChanges(ctx.store).accept(proposal_id, actor=actor, on=on, title=title)
    click.echo(f"已立案 {case.case_id}：{case.title}（{CHANGE_KIND_LABELS[case.kind]}）")


@changes.command("dismiss")
@click.argument("proposal_id")
@click.option("--reason", required=True, help="驳回理由")
@local_admin
@pass_ctx
@reports_errors
def changes_dismiss(ctx: Context, proposal_id: str, reason: str, actor: str) -> None:
    """驳回变更建议 PROPOSAL_ID（须写理由）。"""
    from geociv.changes.cases import DivisionChanges

    proposal = DivisionChanges(ctx.store).dismiss(proposal_id, reason=reason, actor=actor)
    click.echo(f"已驳回 {proposal.proposal_id}：{proposal.reason}")


# -- 勘界 tasks ---------------------------------------------------------------------------------
@changes.group("surveys", invoke_without_command=True)
@click.option("--overdue", is_flag=True, help="只列出逾期未完成的")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 列表")
@click.pass_context
@reports_errors
def changes_surveys(click_ctx: click.Context, overdue: bool, as_json: bool) -> None:
    """列出区划变更后的勘界任务（到期日、逾期）；surveys done TASK 记录完成。"""
    if click_ctx.invoked_subcommand is not None:
        return
    from datetime import date

    from geociv.changes.cases import DivisionChanges

    svc = DivisionChanges(click_ctx.find_object(Context).store)
    today = date.today().isoformat()
    found = svc.overdue_surveys(today) if overdue else svc.survey_tasks()
    if as_json:
        rows = [{**t.attributes(), "overdue": t.status == "open" and t.due < today}
                for t in found]  # fmt: skip
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not found:
        click.echo("没有逾期的勘界任务" if overdue else "没有勘界任务")
    for t in found:
        state = f"已完成 {t.done_on}" if t.status == "done" else (
            "逾期" if t.due < today else "待勘界")  # fmt: skip
        click.echo(f"{t.task_id}\t{t.case_id}\t到期 {t.due}\t{state}\t"
                   f"{'、'.join(t.division_codes)}")  # fmt: skip


@changes_surveys.command("done")
@click.argument("task_id")
@on_option
@click.option("--note", default="", help="备注")
@local_admin
@pass_ctx
@reports_errors
def changes_survey_done(ctx: Context, task_id: str, on: str | None, note: str, actor: str) -> None:
    """记录勘界任务 TASK_ID 已完成。"""
    from geociv.changes.cases import DivisionChanges

    task = DivisionChanges(ctx.store).finish_survey(task_id, actor=actor, on=on, note=note)
    click.echo(f"勘界任务 {task.task_id} 已于 {task.done_on} 完成")

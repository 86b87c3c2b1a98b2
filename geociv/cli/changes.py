"""``geociv divisions changes``: division changes (行政区划变更) proposed from official lists.

``propose`` compares two vintages of the official code lists and prints the changes it sees,
per kind, with their confidence and evidence (or, with ``--json``, a JSON list of
:meth:`geociv.changes.Proposal.to_json`). It needs no store and opens none.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from geociv.cli.common import InputFile, reports_errors
from geociv.labels import CHANGE_KIND_LABELS, LEVEL_LABELS

if TYPE_CHECKING:
    from geociv.changes import DivisionList, Proposal
    from geociv.changes.lists import Unit

#: Villages printed per proposal in the table (all of them are in ``--json``).
SHOWN_VILLAGES = 40


@click.group()
def changes() -> None:
    """行政区划变更：由两期官方区划代码名单提出变更建议。"""


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
@reports_errors
def changes_propose(
    old_paths: Sequence[str],
    new_paths: Sequence[str],
    old_village_paths: Sequence[str],
    new_village_paths: Sequence[str],
    parent: str,
    as_json: bool,
) -> None:
    """比较两期区划代码名单（CSV 或 XLSX，UTF-8 或 GBK），按变更类型列出建议（不写入存储）。"""
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
        return
    _print_table(proposals)


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

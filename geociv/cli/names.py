"""``geociv names``: place names (地名): checks, pinyin, batch checks, search, records."""

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


# -- place names (地名) --------------------------------------------------------------------
@click.group()
def names() -> None:
    """地名：检查、拼音、批量检查、查询、登记与更名。"""


def _print_report(report: Any) -> None:
    from geociv.labels import SEVERITY_LABELS, VERDICT_LABELS

    c = report.candidate
    colour = {"blocked": "red", "pending": "yellow", "pass": "green"}[report.verdict]
    verdict = click.style(VERDICT_LABELS[report.verdict], fg=colour)
    click.echo(
        f"{c.name}（专名 {report.specific}，通名 {report.generic or '—'}）"
        f"  拼音 {report.pinyin or '—'}  {verdict}"
    )
    for f in report.findings:
        mark = f"（已确认：{f.reason}）" if f.accepted else ""
        click.echo(f"  [{f.rule_id}] {SEVERITY_LABELS[f.severity]}：{f.message}{mark}")


@names.command("check")
@click.argument("name")
@click.option("--category", required=True, metavar="CODE", help="地名类别，如 road、village")
@click.option("--division", "division_code", required=True, metavar="ADCODE", help="所属区划代码")
@click.option("--pinyin", default="", help="拟用拼音（与规则结果比对）")
@pass_ctx
@reports_errors
def names_check(ctx: Context, name: str, category: str, division_code: str, pinyin: str) -> None:
    """按全部规则检查一个地名；有错误时退出码为 3。"""
    from geociv.gazetteer.names import Gazetteer

    report = Gazetteer(ctx.store).check(name, category, division_code, pinyin=pinyin)
    _print_report(report)
    if report.blocking:
        sys.exit(3)


@names.command("pinyin")
@click.argument("name")
@click.option("--category", default=None, metavar="CODE", help="地名类别（决定专名/通名划分）")
@pass_ctx
@reports_errors
def names_pinyin(ctx: Context, name: str, category: str | None) -> None:
    """按地名拼写规则生成拼音。"""
    from geociv.gazetteer.categories import split_generic
    from geociv.gazetteer.names import Gazetteer

    specific, generic = split_generic(name, category) if category else (name, "")
    spelling = Gazetteer(ctx.store).romanizer.spell(
        name, specific=specific or None, generic=generic or None, category=category
    )
    click.echo(spelling.text)
    if spelling.polyphonic:
        click.echo(f"提示：含多音字 {'、'.join(spelling.polyphonic)}，请审核", err=True)


@names.command("import")
@click.argument("path", type=InputFile())
@click.option(
    "--report",
    "report_path",
    type=OutputFile(),
    help="把检查结果写入文件（.csv 或 .xlsx）",
)
@click.option(
    "--save",
    is_flag=True,
    help="全部无错误时，把地名作为拟用地名入库（要么全部入库，要么都不入库）",
)
@local_admin
@pass_ctx
@reports_errors
def names_import(ctx: Context, path: str, report_path: str | None, save: bool, actor: str) -> None:
    """批量检查地名文件（CSV/XLSX/GeoJSON/GeoPackage）；有错误时退出码为 3。"""
    from geociv.gazetteer.importer import read_name_file, report_csv, report_xlsx, summary
    from geociv.gazetteer.names import Gazetteer

    gaz = Gazetteer(ctx.store)
    rows = read_name_file(path)
    reports = gaz.check_many(rows.candidates)
    stats = summary(reports)
    click.echo(
        f"共 {stats['names']} 个地名：{stats['blocked']} 个不通过，{stats['pending']} 个待确认，"
        f"{stats['clean']} 个无任何问题"
    )
    for rule_id, n in stats["by_rule"].items():  # type: ignore[union-attr]
        click.echo(f"  {rule_id}: {n}")
    for report in reports:
        if report.findings:
            click.echo(f"第 {report.candidate.row} 行 ", nl=False)
            _print_report(report)
    if report_path:
        out = Path(report_path)
        out.write_bytes(
            report_xlsx(reports) if out.suffix.lower() == ".xlsx" else report_csv(reports)
        )
        click.echo(f"检查结果已写入 {out}")
    if save:
        if stats["blocked"]:
            click.echo("有不通过的地名，未入库。", err=True)
        else:
            saved = gaz.save_reports(reports, rows.geometries, actor=actor)
            click.echo(f"已入库 {saved} 个拟用地名")
    if stats["blocked"]:
        sys.exit(3)


@names.command("search")
@click.argument("query")
@click.option("--within", metavar="ADCODE", help="只在该区划内查找")
@click.option("--limit", default=20, show_default=True)
@pass_ctx
@reports_errors
def names_search(ctx: Context, query: str, within: str | None, limit: int) -> None:
    """查找地名：汉字（精确/前缀/包含）、拼音（可带声调）、拼音首字母、曾用名。"""
    from geociv.gazetteer.search import NameSearch

    hits = NameSearch(ctx.store).search(query, within=within, limit=limit)
    if not hits:
        click.echo("未找到")
    for h in hits:
        via = {"alias": f"（别名 {h.matched}）", "former": f"（曾用名 {h.matched}）"}.get(
            h.kind, ""
        )
        click.echo(f"{h.name_id}\t{h.name}{via}\t{h.pinyin}\t{h.division_code}")


@names.command("show")
@click.argument("name_id")
@pass_ctx
@reports_errors
def names_show(ctx: Context, name_id: str) -> None:
    """显示一条地名记录及其曾用名。"""
    from geociv.gazetteer.names import Gazetteer
    from geociv.labels import NAME_STATUS_LABELS

    rec = Gazetteer(ctx.store).get(name_id)
    click.echo(
        f"{rec.name_id} {rec.name}  {rec.pinyin}{'' if rec.pinyin_reviewed else '（未审核）'}"
    )
    click.echo(
        f"专名 {rec.specific}  通名 {rec.generic}  类别 {rec.category}  "
        f"所属区划 {rec.division_code}  状态 {NAME_STATUS_LABELS[rec.status]}"
    )
    if rec.aliases:
        click.echo("别名：" + "、".join(rec.aliases))
    for f in ctx.store.former_names(rec.name_id):
        click.echo(f"曾用名：{f.name}（至 {f.valid_to or '—'}）")


@names.command("add")
@click.argument("name")
@click.option("--category", required=True, metavar="CODE")
@click.option("--division", "division_code", required=True, metavar="ADCODE")
@click.option("--pinyin", default=None, help="审定的拼音（不给出时按规则生成，标记为未审核）")
@click.option(
    "--status",
    default="proposed",
    show_default=True,
    type=click.Choice(["proposed", "approved", "published"]),
)
@local_admin
@pass_ctx
@reports_errors
def names_add(
    ctx: Context,
    name: str,
    category: str,
    division_code: str,
    pinyin: str | None,
    status: str,
    actor: str,
) -> None:
    """登记一个地名（先按全部规则检查，有错误则不登记）。"""
    from geociv.gazetteer.names import Gazetteer

    rec, report = Gazetteer(ctx.store).add(
        name, category, division_code, actor=actor, pinyin=pinyin, status=status
    )
    _print_report(report)
    click.echo(f"已登记 {rec.name_id}")


@names.command("heritage")
@click.argument("path", type=InputFile())
@local_admin
@pass_ctx
@reports_errors
def names_heritage(ctx: Context, path: str, actor: str) -> None:
    """批量设置地名文化遗产级别（CSV/XLSX；列：名称、区划（代码或名称）、级别、来源）；
    有问题的行逐一列出，此时一行也不写入。"""
    from geociv.gazetteer.heritage import import_heritage, read_heritage_file

    rows = read_heritage_file(path)
    changed = import_heritage(ctx.store, rows, actor=actor)
    for record in changed:
        click.echo(f"{record.name_id}\t{record.name}\t{record.heritage_level}")
    click.echo(f"共 {len(rows)} 行，设置了 {len(changed)} 条地名记录的文化遗产级别")


@names.command("accept")
@click.argument("name")
@click.argument("rule_id")
@click.option("--reason", required=True, help="确认理由（记入审计日志）")
@local_admin
@pass_ctx
@reports_errors
def names_accept(ctx: Context, name: str, rule_id: str, reason: str, actor: str) -> None:
    """确认（豁免）某地名的一条检查结果，须写明理由。"""
    from geociv.gazetteer.names import Gazetteer

    Gazetteer(ctx.store).accept_finding(name, rule_id, reason=reason, actor=actor)
    click.echo(f"已确认 {name} 的 {rule_id}")


@names.command("reading")
@click.argument("word")
@click.argument("pinyin")
@click.option("--note", default="", help="说明（如 地方审定读音）")
@local_admin
@pass_ctx
@reports_errors
def names_reading(ctx: Context, word: str, pinyin: str, note: str, actor: str) -> None:
    """添加地名特殊读音，拼音用数字标调，音节以空格分隔，如：泌阳 "bi4 yang2"。"""
    from geociv.gazetteer.names import Gazetteer

    Gazetteer(ctx.store).add_reading(word, pinyin, note=note, actor=actor)
    click.echo(f"已添加读音 {word} = {pinyin}")


@names.command("term")
@click.argument("list_name", type=click.Choice(["person", "leader", "foreign", "brand"]))
@click.argument("term")
@click.option("--note", default="")
@local_admin
@pass_ctx
@reports_errors
def names_term(ctx: Context, list_name: str, term: str, note: str, actor: str) -> None:
    """向人名、领导人姓名、外国地名或商标名单添加词条。"""
    from geociv.gazetteer.names import Gazetteer

    Gazetteer(ctx.store).add_term(list_name, term, note=note, actor=actor)
    click.echo(f"已添加 {term} 到名单 {list_name}")


@names.command("pinyin-check")
@pass_ctx
@reports_errors
def names_pinyin_check(ctx: Context) -> None:
    """列出库存拼音与规则结果不一致的地名。"""
    from geociv.gazetteer.names import Gazetteer

    rows = Gazetteer(ctx.store).pinyin_disagreements()
    for rec, generated in rows:
        click.echo(f"{rec.name_id}\t{rec.name}\t库存 {rec.pinyin}\t规则 {generated}")
    click.echo(f"共 {len(rows)} 条不一致")

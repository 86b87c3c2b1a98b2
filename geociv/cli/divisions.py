"""``geociv divisions``: look up and import administrative divisions (行政区划)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from geociv.cli.common import (
    Context,
    InputFile,
    LazyGroup,
    local_admin,
    pass_ctx,
    reports_errors,
)
from geociv.labels import LEVEL_LABELS
from geociv.store import LEVELS

if TYPE_CHECKING:
    from geociv.divisions import Divisions
    from geociv.store import Division


# -- divisions -----------------------------------------------------------------------------
@click.group(cls=LazyGroup, lazy={"changes": "geociv.cli.changes:changes"})
def divisions() -> None:
    """行政区划查询与导入；changes：由官方名单提出区划变更建议。"""


@divisions.command("show")
@click.argument("code")
@click.option("--date", "on", default=None, metavar="YYYY-MM-DD",
              help="显示该日有效的版本（默认现行）")  # fmt: skip
@pass_ctx
@reports_errors
def divisions_show(ctx: Context, code: str, on: str | None) -> None:
    """显示区划 CODE 及其上级与下级，有效期、前身与历史版本；--date 显示该日的版本。"""
    from geociv.divisions import Divisions
    from geociv.fields import day_asked

    on = day_asked(on, "date").isoformat() if on else None
    divs = Divisions(ctx.store)
    d = divs.get(code, on=on)
    chain = " > ".join(a.name for a in divs.ancestors(d.code, on=on))
    click.echo(f"{d.code} {d.name}（{LEVEL_LABELS[d.level]}）" + (f"，{on} 的版本" if on else ""))
    if chain:
        click.echo(f"上级：{chain}")
    if d.area_km2 is not None:
        click.echo(f"面积：{d.area_km2:,.1f} km²")
    _print_validity(d, divs)
    kids = divs.children(d.code, on=on)
    if kids:
        click.echo(
            f"下级 {len(kids)} 个："
            + "、".join(k.name for k in kids[:30])
            + ("…" if len(kids) > 30 else "")
        )


def _print_validity(d: Division, divs: Divisions) -> None:
    """When the version shown was in force, what it was made from, the code's other versions."""
    if d.valid_from or d.valid_to:
        click.echo(f"有效期：{d.valid_from or '记录之前'} 至 {d.valid_to or '今'}"
                   + (f"（变更案件 {d.change_case}）" if d.change_case else ""))  # fmt: skip
    if d.predecessors:
        click.echo(f"前身：{'、'.join(d.predecessors)}")
    for v in divs.versions(d.code):
        click.echo(f"历史版本：{v.name}（{LEVEL_LABELS[v.level]}，上级 {v.parent_code or '无'}）"
                   f" {v.valid_from or '记录之前'} 至 {v.valid_to}")  # fmt: skip


@divisions.command("find")
@click.argument("name")
@click.option(
    "--match",
    type=click.Choice(["exact", "prefix", "contains"]),
    default="contains",
    show_default=True,
)
@click.option("--level", type=click.Choice(LEVELS))
@click.option("--within", metavar="ADCODE", help="只在该区划内查找")
@pass_ctx
@reports_errors
def divisions_find(
    ctx: Context, name: str, match: str, level: str | None, within: str | None
) -> None:
    """按名称查找区划。"""
    from geociv.divisions import Divisions

    found = Divisions(ctx.store).find(name, match=match, level=level, within=within)
    if not found:
        click.echo("未找到")
    for d in found:
        click.echo(f"{d.code}\t{d.name}\t{LEVEL_LABELS[d.level]}")


@divisions.command("import")
@click.argument("path", type=InputFile())
@click.option(
    "--crs",
    "declared_crs",
    metavar="CRS",
    help="文件坐标系（EPSG:4490、EPSG:4326、GCJ02、BD09 …），文件未声明时必填",
)
@click.option(
    "--codes", is_flag=True, help="PATH 是区划代码表 CSV（code,name[,kind]）而不是边界文件"
)
@local_admin
@pass_ctx
@reports_errors
def divisions_import(
    ctx: Context, path: str, declared_crs: str | None, codes: bool, actor: str
) -> None:
    """导入区划边界（GeoJSON/GeoPackage…）或区划代码表；任何一行有误则整体不导入。"""
    from geociv.divisions import Divisions

    divs = Divisions(ctx.store)
    if codes:
        counts = divs.load_code_list(path, actor=actor, progress=sys.stderr.isatty())
    else:
        counts = divs.load_polygons(path, actor=actor, declared_crs=declared_crs)
    click.echo(f"新增 {counts.inserted}，更新 {counts.updated}，未变 {counts.unchanged}")

"""``geociv signs``: place-name signs (地名标志): register, patrol, check."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from geociv.cli.common import (
    Context,
    InputFile,
    local_admin,
    pass_ctx,
    reports_errors,
)


# -- place-name signs (地名标志) -------------------------------------------------------------
@click.group()
def signs() -> None:
    """地名标志：登记、巡检、检查（汉字、拼音与地名记录不符，超期未巡检）。"""


@signs.command("list")
@click.option(
    "--status", type=click.Choice(["in_service", "damaged", "removed"]), help="只列出该状态"
)
@click.option("--name-id", default=None, help="只列出显示该地名记录的标志")
@pass_ctx
@reports_errors
def signs_list(ctx: Context, status: str | None, name_id: str | None) -> None:
    """列出标志：编号、类型、汉字、拼音、地名记录、状态、经纬度。"""
    from geociv.gazetteer.signs import Signs
    from geociv.labels import SIGN_STATUS_LABELS, SIGN_TYPE_LABELS

    found = Signs(ctx.store).query(status=status, name_id=name_id)
    if not found:
        click.echo("没有地名标志")
    for s in found:
        where = f"{s.location.x:.6f},{s.location.y:.6f}" if s.location is not None else ""
        click.echo(
            f"{s.sign_id}\t{SIGN_TYPE_LABELS[s.sign_type]}\t{s.text}\t{s.pinyin}\t{s.name_id}\t"
            f"{SIGN_STATUS_LABELS[s.status]}\t{where}"
        )


@signs.command("register")
@click.argument("name_id")
@click.option("--lon", type=float, required=True, help="经度（CGCS2000）")
@click.option("--lat", type=float, required=True, help="纬度（CGCS2000）")
@click.option(
    "--type",
    "sign_type",
    default="road",
    show_default=True,
    help="标志类型：road 路牌、house_number 门牌、village 村牌、natural 自然实体标志、other",
)
@click.option("--text", default=None, help="标志实际所示汉字（默认为地名记录的标准名称）")
@click.option("--pinyin", default=None, help="标志实际所示拼音（默认为地名记录的拼音）")
@click.option("--installed-on", default=None, metavar="YYYY-MM-DD", help="设置日期")
@click.option("--installer", default="", help="设置单位")
@click.option("--sign-id", default="", help="标志编号（默认自动编号）")
@click.option("--remarks", default="", help="备注")
@local_admin
@pass_ctx
@reports_errors
def signs_register(
    ctx: Context,
    name_id: str,
    lon: float,
    lat: float,
    sign_type: str,
    text: str | None,
    pinyin: str | None,
    installed_on: str | None,
    installer: str,
    sign_id: str,
    remarks: str,
    actor: str,
) -> None:
    """登记显示地名记录 NAME_ID 的标志，并列出它的检查结果。"""
    from shapely import Point

    from geociv.gazetteer.signs import Signs

    svc = Signs(ctx.store)
    record = ctx.store.get_name(name_id.strip())
    sign = svc.register(
        name_id,
        Point(lon, lat),
        sign_type,
        text if text is not None else (record.name if record else ""),
        actor=actor,
        pinyin=pinyin if pinyin is not None else (record.pinyin if record else ""),
        installed_on=installed_on,
        installer=installer,
        remarks=remarks,
        sign_id=sign_id,
    )
    click.echo(f"已登记 {sign.sign_id}：{sign.text} {sign.pinyin}")
    for f in svc.findings():
        if f.related[0] == sign.sign_id:
            click.echo(f"  [{f.rule_id}] {f.message}")


@signs.command("patrol")
@click.argument("sign_id")
@click.argument("condition")
@click.option("--date", "on", default=None, metavar="YYYY-MM-DD", help="巡检日期（默认今天）")
@click.option("--inspector", default=None, help="巡检人（默认为运行命令的本机用户）")
@click.option("--remarks", default="", help="备注")
@click.option("--photo", type=InputFile("照片"), help="现场照片")
@local_admin
@pass_ctx
@reports_errors
def signs_patrol(
    ctx: Context,
    sign_id: str,
    condition: str,
    on: str | None,
    inspector: str | None,
    remarks: str,
    photo: str | None,
    actor: str,
) -> None:
    """记录一次巡检。CONDITION：intact 完好、soiled 污损、broken 破损、missing 缺失、
    obscured 被遮挡（也可写中文）。"""
    from geociv.gazetteer.signs import Signs
    from geociv.labels import PATROL_CONDITION_LABELS

    content = Path(photo).read_bytes() if photo else None
    done = Signs(ctx.store).patrol(
        sign_id,
        condition,
        actor=actor,
        on=on,
        inspector=inspector,
        remarks=remarks,
        photo=content,
        photo_filename=Path(photo).name if photo else "",
    )
    click.echo(
        f"已记录 {done.sign_id} 于 {done.patrolled_on} 的巡检："
        f"{PATROL_CONDITION_LABELS[done.condition]}"
    )


@signs.command("status")
@click.argument("sign_id")
@click.argument("status", type=click.Choice(["in_service", "damaged", "removed"]))
@click.option("--remarks", default="", help="说明（如 道路改造拆除）")
@local_admin
@pass_ctx
@reports_errors
def signs_status(ctx: Context, sign_id: str, status: str, remarks: str, actor: str) -> None:
    """更改标志状态：in_service 在用、damaged 损坏、removed 已拆除（标志不删除）。"""
    from geociv.gazetteer.signs import Signs
    from geociv.labels import SIGN_STATUS_LABELS

    sign = Signs(ctx.store).set_status(sign_id, status, actor=actor, remarks=remarks)
    click.echo(f"{sign.sign_id} 状态：{SIGN_STATUS_LABELS[sign.status]}")


@signs.command("findings")
@click.option("--today", default=None, metavar="YYYY-MM-DD", help="计算巡检间隔到哪一天")
@click.option(
    "--patrol-days",
    type=click.IntRange(min=0),
    default=365,
    show_default=True,
    help="巡检周期（天）",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_ctx
@reports_errors
def signs_findings(ctx: Context, today: str | None, patrol_days: int, as_json: bool) -> None:
    """检查全部在用标志：汉字、拼音与地名记录不符（N8-SIGN-TEXT/PINYIN），最近一次巡检发现
    破损或缺失（N8-SIGN-CONDITION），超期未巡检（N8-SIGN-PATROL）；有问题时退出码为 3。"""
    from geociv.gazetteer.signs import Signs
    from geociv.labels import SEVERITY_LABELS

    found = Signs(ctx.store).findings(today=today, patrol_days=patrol_days)
    for f in found:
        if as_json:
            click.echo(json.dumps(f.to_dict(), ensure_ascii=False))
        else:
            click.echo(f"{f.related[0]}\t[{f.rule_id}] {SEVERITY_LABELS[f.severity]}：{f.message}")
    if not as_json:
        click.echo(f"共 {len(found)} 条")
    if found:
        sys.exit(3)

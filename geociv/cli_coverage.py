"""``geociv coverage``: facilities and 15-minute service-circle coverage on the command line.

Registered lazily on the main group by :mod:`geociv.cli`. Writes go through
:mod:`geociv.coverage` (audited, attributed to ``--actor``).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from geociv.cli import Context, pass_ctx, reports_errors

_SYSTEMS = click.Choice(["WGS84", "CGCS2000", "GCJ02", "BD09"], case_sensitive=False)


@click.group()
def coverage() -> None:
    """15 分钟服务圈：服务设施导入与覆盖分析（规划人员）。"""


@coverage.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--crs",
    "declared_crs",
    type=_SYSTEMS,
    default=None,
    help="文件坐标系；CSV/Excel 必须声明（高德/腾讯为 GCJ02，百度为 BD09）",
)
@click.option(
    "--type", "default_type", default=None, help="文件没有类型列时的设施类型，如 辅具租赁服务站"
)
@click.option(
    "--main-urban-area", "in_main_urban_area", is_flag=True, help="只接受示例主城区范围内的设施"
)
@click.option("--actor", default="planner-cli", show_default=True, help="记入审计日志的操作人")
@pass_ctx
@reports_errors
def import_facilities(
    ctx: Context,
    path: str,
    declared_crs: str | None,
    default_type: str | None,
    in_main_urban_area: bool,
    actor: str,
) -> None:
    """导入服务设施（CSV/XLSX/GeoJSON/GeoPackage）；任何一行有误则整体不导入。"""
    from geociv.coverage.facilities import Facilities
    from geociv.demo import main_urban_area

    stored = Facilities(ctx.store).import_file(
        path, declared_crs=declared_crs, actor=actor, default_type=default_type,
        area=main_urban_area() if in_main_urban_area else None,
    )  # fmt: skip
    click.echo(f"已导入 {len(stored)} 处服务设施")


@coverage.command("facilities")
@click.option("--type", "type_", default=None, help="只列出该类型")
@pass_ctx
@reports_errors
def list_facilities(ctx: Context, type_: str | None) -> None:
    """列出服务设施。"""
    from geociv.coverage.facilities import Facilities

    frame = Facilities(ctx.store).frame(type=type_)
    for row in frame.itertuples():
        click.echo(f"{row.facility_id}\t{row.type_label}\t{row.name}\t{row.status}")
    click.echo(f"共 {len(frame)} 处")


@coverage.command("run")
@click.argument("types", nargs=-1, required=True)
@click.option(
    "--aoi",
    default="main-urban-area",
    show_default=True,
    help="统计范围：区划代码，或 main-urban-area（示例主城区）",
)
@click.option("--minutes", default=15.0, show_default=True, type=float)
@click.option(
    "--speed",
    default="elderly",
    show_default=True,
    help="步行速度：elderly 0.8、design 1.0、adult 1.2 米/秒，或数值",
)
@click.option(
    "--pbf",
    type=click.Path(exists=True, dir_okay=False),
    help="OSM PBF 路网；不给出时按直线距离×绕行系数估算（结果中注明）",
)
@click.option(
    "--raster", type=click.Path(exists=True, dir_okay=False), help="老年人口栅格（人数/像元）"
)
@click.option(
    "--uncovered",
    "uncovered_path",
    type=click.Path(dir_okay=False),
    help="把未覆盖区域写入 GeoPackage",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果与输入参数")
@click.option("--actor", default="planner-cli", show_default=True, help="记入审计日志的操作人")
@pass_ctx
@reports_errors
def run(
    ctx: Context,
    types: tuple[str, ...],
    aoi: str,
    minutes: float,
    speed: str,
    pbf: str | None,
    raster: str | None,
    uncovered_path: str | None,
    as_json: bool,
    actor: str,
) -> None:
    """计算 TYPES 类设施（如 辅具租赁服务站）的服务圈覆盖，并保存本次计算。"""
    from geociv.coverage.service import Coverage
    from geociv.demo import main_urban_area

    network = None
    if pbf:
        from geociv.coverage.network import WalkNetwork

        network = WalkNetwork.from_pbf(pbf)
    area, name = (main_urban_area(), "主城区") if aoi == "main-urban-area" else (aoi, None)
    speed_value: float | str = float(speed) if speed.replace(".", "", 1).isdigit() else speed
    result = Coverage(ctx.store).run(
        list(types), actor=actor, aoi=area, aoi_name=name, minutes=minutes, speed=speed_value,
        network=network, raster=raster,
    )  # fmt: skip
    if uncovered_path:
        result.uncovered.to_file(Path(uncovered_path), driver="GPKG", layer="uncovered")
    if as_json:
        click.echo(
            json.dumps(
                {"run_id": result.run_id, "headline": result.headline, "inputs": result.inputs},
                ensure_ascii=False,
                default=str,
            )
        )
    else:
        click.echo(f"{result.run_id}：{result.headline}")

"""``geociv coverage``: facilities and 15-minute service-circle coverage on the command line.

Registered lazily on the main group by :mod:`geociv.cli`. Writes go through
:mod:`geociv.coverage` (audited, attributed to the local administrator ``cli:<os user>``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from geociv.cli.common import Context, InputFile, OutputFile, local_admin, pass_ctx, reports_errors

_SYSTEMS = click.Choice(["WGS84", "CGCS2000", "GCJ02", "BD09"], case_sensitive=False)


@click.group()
def coverage() -> None:
    """15 分钟服务圈：服务设施导入与覆盖分析（规划人员）。"""


@coverage.command("import")
@click.argument("path", type=InputFile())
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
@click.option(
    "--network",
    "network_id",
    default=None,
    help="已保存的路网编号（如 RN0001）：据路网检查坐标是否实为 GCJ02/BD09，是则拒绝导入",
)
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="只导入无误的行，有误的行连同原因写入 --rejected 文件（默认：任何一行有误则整体不导入）",
)
@click.option(
    "--rejected",
    "rejected_path",
    type=OutputFile(),
    default=None,
    help="与 --skip-invalid 一起用：被拒行的保存位置（CSV，原有各列加“原因”列，Excel 可直接打开）；"
    "默认为导入文件旁的“<文件名>_被拒行.csv”",
)
@local_admin
@pass_ctx
@reports_errors
def import_facilities(
    ctx: Context,
    path: str,
    declared_crs: str | None,
    default_type: str | None,
    in_main_urban_area: bool,
    network_id: str | None,
    skip_invalid: bool,
    rejected_path: str | None,
    actor: str,
) -> None:
    """导入服务设施（CSV/XLSX/GeoJSON/GeoPackage）；默认任何一行有误则整体不导入。"""
    from geociv.coverage.facilities import Facilities
    from geociv.coverage.stored import CoverageInputs
    from geociv.demo import main_urban_area

    if rejected_path and not skip_invalid:
        from geociv.errors import Problem, ValidationError

        raise ValidationError(Problem("须与 --skip-invalid 一起使用", field="--rejected"))
    network = CoverageInputs(ctx.store).load_network(network_id) if network_id else None
    options = dict(
        declared_crs=declared_crs, actor=actor, default_type=default_type,
        area=main_urban_area() if in_main_urban_area else None, network=network,
    )  # fmt: skip
    if not skip_invalid:
        stored = Facilities(ctx.store).import_file(path, **options)
        click.echo(f"已导入 {len(stored)} 处服务设施")
        return
    done = Facilities(ctx.store).import_valid_rows(path, **options)
    click.echo(f"已导入 {len(done.added)} 处服务设施，跳过 {len(done.rejected)} 行")
    if done.rejected:
        source = Path(path)
        target = Path(rejected_path or source.with_name(f"{source.stem}_被拒行.csv"))
        target.write_bytes(done.rejected_csv())
        for row in done.rejected[:20]:
            click.echo(f"  {row.reason}")
        click.echo(f"被拒的行及原因已写入 {target}（改正后可再次导入）")


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
    type=InputFile(),
    help="OSM PBF 路网；不给出时按直线距离×绕行系数估算（结果中注明）",
)
@click.option("--raster", type=InputFile(), help="老年人口栅格（人数/像元）")
@click.option("--network", "network_id", default=None, help="已保存的路网编号（如 RN0001）")
@click.option("--raster-id", default=None, help="已保存的人口栅格编号（如 PR0001）")
@click.option(
    "--zones", "zones_id", default=None, help="统计单元集编号：按单元统计覆盖（如 ZS0002）"
)
@click.option(
    "--aoi-zones", default=None, help="用已保存的统计范围（单元集编号，如 ZS0001）代替 --aoi"
)
@click.option(
    "--uncovered",
    "uncovered_path",
    type=OutputFile(),
    help="把未覆盖区域写入 GeoPackage",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果与输入参数")
@local_admin
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
    network_id: str | None,
    raster_id: str | None,
    zones_id: str | None,
    aoi_zones: str | None,
    uncovered_path: str | None,
    as_json: bool,
    actor: str,
) -> None:
    """计算 TYPES 类设施（如 辅具租赁服务站）的服务圈覆盖，并保存本次计算。"""
    from geociv.coverage.service import Coverage
    from geociv.coverage.stored import CoverageInputs
    from geociv.demo import main_urban_area

    if pbf and network_id:
        raise click.UsageError("--pbf 与 --network 只能给出其一")
    if raster and raster_id:
        raise click.UsageError("--raster 与 --raster-id 只能给出其一")
    inputs = CoverageInputs(ctx.store)
    network = None
    if pbf:
        from geociv.coverage.network import WalkNetwork

        network = WalkNetwork.from_pbf(pbf)
    elif network_id:
        network = inputs.load_network(network_id)
    raster_path: str | Path | None = raster
    raster_label = "老年人口"
    if raster_id:
        raster_path = inputs.raster_path(raster_id)
        raster_label = inputs.raster(raster_id).label
    zones = inputs.zones(zones_id) if zones_id else None
    area: Any
    if aoi_zones:
        area, name = inputs.zones(aoi_zones), inputs.zone_set(aoi_zones).name
    elif aoi == "main-urban-area":
        area, name = main_urban_area(), "主城区"
    else:
        area, name = aoi, None
    speed_value: float | str = float(speed) if speed.replace(".", "", 1).isdigit() else speed
    result = Coverage(ctx.store).run(
        list(types), actor=actor, aoi=area, aoi_name=name, minutes=minutes, speed=speed_value,
        network=network, raster=raster_path, raster_label=raster_label, zones=zones,
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


def _cell(column: str, value: Any) -> str:
    """One table cell as the batch table prints it."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if column.endswith("share"):
        return f"{value * 100:.1f} %"
    if column.endswith("km2"):
        return f"{value:,.2f}"
    if column in ("population", "covered_population"):
        return f"{value:,.0f}"
    return str(value)


@coverage.command("batch")
@click.argument("types", nargs=-1, required=True)
@click.option("--parent", default=None, help="上级区划代码：统计其下全部区划，如 411700")
@click.option(
    "--level",
    default="county",
    show_default=True,
    type=click.Choice(["city", "county", "township", "village"]),
    help="--parent 之下统计的层级",
)
@click.option(
    "--codes",
    multiple=True,
    help="逐个给出区划代码（可重复，或以逗号分隔），如 411702,411721",
)
@click.option("--zones", "zone_set", default=None, help="改为统计已保存单元集的各单元（如 ZS0002）")
@click.option("--minutes", default=15.0, show_default=True, type=float)
@click.option(
    "--speed",
    default="elderly",
    show_default=True,
    help="步行速度：elderly 0.8、design 1.0、adult 1.2 米/秒，或数值",
)
@click.option("--network", "network_id", default=None, help="已保存的路网编号（如 RN0001）")
@click.option("--raster-id", default=None, help="已保存的人口栅格编号（如 PR0001）")
@click.option(
    "--scheduler",
    default=None,
    help="Dask 调度器地址（如 tcp://192.168.1.10:8786）；不给出时在本机用多线程计算",
)
@click.option("--workers", default=2, show_default=True, type=int, help="本机计算的线程数")
@click.option("--timeout", default=10.0, show_default=True, type=float, help="连接调度器的秒数")
@click.option("--csv", "csv_path", type=OutputFile(), help="把逐区划结果写入 CSV（UTF-8）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果与输入参数")
@local_admin
@pass_ctx
@reports_errors
def batch(
    ctx: Context,
    types: tuple[str, ...],
    parent: str | None,
    level: str,
    codes: tuple[str, ...],
    zone_set: str | None,
    minutes: float,
    speed: str,
    network_id: str | None,
    raster_id: str | None,
    scheduler: str | None,
    workers: int,
    timeout: float,
    csv_path: str | None,
    as_json: bool,
    actor: str,
) -> None:
    """批量计算 TYPES 类设施在多个区划（如一个市的各县区）的服务圈覆盖（Dask 并行），
    保存为一次计算记录。"""
    from geociv.coverage.batch import COLUMN_LABELS, batch_coverage

    code_list = [c.strip() for text in codes for c in text.split(",") if c.strip()]
    speed_value: float | str = float(speed) if speed.replace(".", "", 1).isdigit() else speed
    result = batch_coverage(
        ctx.store, list(types), parent=parent, level=level, codes=code_list or None,
        zone_set=zone_set, minutes=minutes, speed=speed_value, network_id=network_id,
        raster_id=raster_id, scheduler=scheduler, workers=workers, connect_timeout=timeout,
        actor=actor,
    )  # fmt: skip
    rows = result.rows()
    columns = [c for c in result.table.columns if c != "geometry"]
    if csv_path:
        import csv

        with Path(csv_path).open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow([COLUMN_LABELS.get(c, c) for c in columns])
            writer.writerows([[row[c] for c in columns] for row in rows])
    if as_json:
        click.echo(
            json.dumps(
                {
                    "run_id": result.run_id,
                    "headline": result.headline,
                    "overall": result.overall,
                    "divisions": rows,
                    "inputs": result.inputs(),
                    "elapsed_s": round(result.elapsed_s, 3),
                },
                ensure_ascii=False,
                default=str,
            )
        )
        return
    click.echo("\t".join(COLUMN_LABELS.get(c, c) for c in columns))
    for row in rows:
        click.echo("\t".join(_cell(c, row[c]) for c in columns))
    scheduler_info = result.inputs()["scheduler"]
    where = (
        f"本机 {scheduler_info['n_workers']} 个线程"
        if scheduler_info["kind"] == "local-threads"
        else f"Dask 集群 {scheduler_info['address']}（{scheduler_info['n_workers']} 个线程）"
    )
    click.echo(f"{result.run_id}：{result.headline}")
    click.echo(f"用时 {result.elapsed_s:.2f} 秒，{where}")


# -- stored inputs: road networks, population rasters, zone sets ---------------------------------
@coverage.group("network")
def network_group() -> None:
    """步行路网：导入（OSM PBF 或道路图层）、列出、检查设施吸附距离。"""


@network_group.command("import")
@click.argument("path", type=InputFile())
@click.option("--name", required=True, help="路网名称，如 驿城区步行路网")
@click.option("--layer", default=None, help="多图层文件中的图层名")
@local_admin
@pass_ctx
@reports_errors
def import_network(ctx: Context, path: str, name: str, layer: str | None, actor: str) -> None:
    """导入路网（.osm.pbf 按 OSM 标签取可步行道路；GeoPackage/Shapefile/GeoJSON 道路图层）。"""
    from geociv.coverage.stored import CoverageInputs

    report = CoverageInputs(ctx.store).import_network(path, name=name, actor=actor, layer=layer)
    click.echo(report.summary_text)


@network_group.command("list")
@click.option("--all", "include_retired", is_flag=True, help="包括已停用的路网")
@pass_ctx
@reports_errors
def list_networks(ctx: Context, include_retired: bool) -> None:
    """列出已保存的路网。"""
    from geociv.coverage.stored import CoverageInputs

    items = CoverageInputs(ctx.store).networks(include_retired=include_retired)
    for n in items:
        comp = n.components
        click.echo(
            f"{n.network_id}\t{n.name}\t{n.n_edges} 条路段\t{n.length_km:.1f} km\t"
            f"连通分量 {comp.get('count')} 个（最大占 {comp.get('largest_length_share', 0):.1%}）"
            f"\t{n.source}{'（已停用）' if n.retired else ''}"
        )
    click.echo(f"共 {len(items)} 个路网")


@network_group.command("snap")
@click.argument("network_id")
@click.option("--type", "type_", default=None, help="只检查该类型的设施")
@click.option(
    "--max-snap", default=None, type=float, help="吸附距离上限（米），默认与服务圈计算相同"
)
@pass_ctx
@reports_errors
def snap_network(ctx: Context, network_id: str, type_: str | None, max_snap: float | None) -> None:
    """列出设施到路网 NETWORK_ID 的吸附距离，并提示过远或不在主连通分量上的设施；
    检查设施坐标是否实为 GCJ-02/BD-09（高德、腾讯、百度）而被当作 WGS84 导入。"""
    from geociv.coverage.facilities import Facilities
    from geociv.coverage.isochrones import DEFAULT_MAX_SNAP_M
    from geociv.coverage.stored import CoverageInputs

    limit = DEFAULT_MAX_SNAP_M if max_snap is None else max_snap
    frame = Facilities(ctx.store).frame(type=type_)
    inputs = CoverageInputs(ctx.store)
    table = inputs.snap_report(network_id, frame, max_snap_m=limit)
    for row in table.itertuples():
        flags = []
        if row.far:
            flags.append(f"距离超过 {limit:g} 米")
        if not row.in_largest:
            flags.append(f"位于孤立分量（{row.component_length_km:.2f} km）")
        click.echo(
            f"{row.facility_id}\t{row.type_label}\t{row.name}\t{row.snap_distance_m:.1f} 米"
            + (f"\t⚠ {'；'.join(flags)}" if flags else "")
        )
    far = int(table["far"].sum()) if len(table) else 0
    click.echo(f"共 {len(table)} 处设施")
    if far:
        click.secho(
            f"警告：{far} 处设施距路网超过 {limit:g} 米，计算服务圈时将被拒绝；"
            "请核对其坐标或导入覆盖该处的路网",
            fg="yellow",
            err=True,
        )
    if len(table):
        check = inputs.offset_check(network_id, frame)
        if check.verdict != "ok":
            click.secho(f"坐标系检查：{check.message}", fg="yellow", err=True)


@coverage.group("raster")
def raster_group() -> None:
    """人口栅格：导入与列出（GeoTIFF，人数/像元）。"""


@raster_group.command("import")
@click.argument("path", type=InputFile())
@click.option("--label", required=True, help="栅格统计的人口，如 60岁以上人口")
@local_admin
@pass_ctx
@reports_errors
def import_raster(ctx: Context, path: str, label: str, actor: str) -> None:
    """导入人口栅格（GeoTIFF，须带坐标系）。"""
    from geociv.coverage.stored import CoverageInputs

    r = CoverageInputs(ctx.store).import_raster(path, label=label, actor=actor)
    click.echo(
        f"已保存人口栅格 {r.raster_id}（{r.label}）：坐标系 {r.crs}，有效像元 {r.cells:,} 个，"
        f"合计 {r.total:,.0f} 人"
    )


@raster_group.command("list")
@pass_ctx
@reports_errors
def list_rasters(ctx: Context) -> None:
    """列出已保存的人口栅格。"""
    from geociv.coverage.stored import CoverageInputs

    items = CoverageInputs(ctx.store).rasters()
    for r in items:
        click.echo(f"{r.raster_id}\t{r.label}\t{r.total:,.0f} 人\t{r.crs}\t{r.filename}")
    click.echo(f"共 {len(items)} 个人口栅格")


@coverage.group("zones")
def zones_group() -> None:
    """统计单元集：统计范围（如主城区）、街道、社区的面要素。"""


@zones_group.command("import")
@click.argument("path", type=InputFile())
@click.option("--name", required=True, help="单元集名称，如 驿城区街道")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(["aoi", "subdistrict", "community", "other"]),
    help="aoi 统计范围、subdistrict 街道（乡镇）、community 社区（村）、other 其他",
)
@click.option("--name-field", default=None, help="名称所在列（默认识别 name/名称 等）")
@click.option("--code-field", default=None, help="代码所在列（默认识别 code/adcode/代码 等）")
@click.option("--crs", "declared_crs", default=None, help="文件未声明坐标系时注明，如 EPSG:4490")
@local_admin
@pass_ctx
@reports_errors
def import_zones(
    ctx: Context,
    path: str,
    name: str,
    kind: str,
    name_field: str | None,
    code_field: str | None,
    declared_crs: str | None,
    actor: str,
) -> None:
    """导入统计单元（GeoJSON/GeoPackage/Shapefile 面要素）；任何一行有误则整体不导入。"""
    from geociv.coverage.stored import CoverageInputs

    z = CoverageInputs(ctx.store).import_zones(
        path, name=name, kind=kind, actor=actor, name_field=name_field, code_field=code_field,
        declared_crs=declared_crs,
    )  # fmt: skip
    click.echo(f"已保存统计单元集 {z.set_id}（{z.name}）：{z.n_zones} 个单元")


@zones_group.command("list")
@click.option(
    "--kind", default=None, type=click.Choice(["aoi", "subdistrict", "community", "other"])
)
@pass_ctx
@reports_errors
def list_zone_sets(ctx: Context, kind: str | None) -> None:
    """列出已保存的统计单元集。"""
    from geociv.coverage.stored import CoverageInputs
    from geociv.labels import ZONE_SET_KIND_LABELS

    items = CoverageInputs(ctx.store).zone_sets(kind)
    for z in items:
        click.echo(
            f"{z.set_id}\t{ZONE_SET_KIND_LABELS[z.kind]}\t{z.name}\t{z.n_zones} 个单元"
            + ("\t示例" if z.sample else "")
        )
    click.echo(f"共 {len(items)} 组统计单元")

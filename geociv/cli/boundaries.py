"""``geociv boundaries``: boundary lines, markers and the joint inspection (界线联检) on the
command line.

Registered on the main group by :mod:`geociv.cli`. Writes go through
:mod:`geociv.boundaries` (audited, attributed to the local administrator ``cli:<os user>``);
``sign`` signs as a stored inspector (``--as``) only with that inspector's password (checked,
throttled and audited like a log-in); the service decides the side from the user's division.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import click

from geociv.cli.common import (
    Context,
    InputFile,
    OutputFile,
    local_admin,
    pass_ctx,
    read_password,
    reports_errors,
)
from geociv.errors import InputFileError, Problem, ValidationError
from geociv.localtime import cell_time

_PARENT_HELP = "辖区区划代码（默认为配置的辖区 GEOCIV_JURISDICTION，示例为 411700）"


def _parent(ctx: Context, parent: str | None) -> str:
    from geociv.divisions import normalize_code

    return normalize_code(parent or ctx.settings.jurisdiction)


@click.group()
def boundaries() -> None:
    """界线联检：界线推算与拓扑检查、界桩登记、现场检查、双方签字、报告与导出。"""


# -- lines --------------------------------------------------------------------------------------
_LINE_NAME_COLUMNS = ("left", "right", "name")


def _line_names(path: str) -> dict[tuple[str, str], str]:
    """The common names of lines from a CSV (columns left, right, name; UTF-8 or GBK), keyed
    by the pair of codes (lower first); a file without those columns is refused whole."""
    import csv
    import io

    from geociv.divisions import read_text

    reader = csv.DictReader(io.StringIO(read_text(path)))
    missing = [c for c in _LINE_NAME_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        problems = [Problem(f"缺少列 {c}", field=c) for c in missing]
        raise InputFileError(problems, title=f"界线名称表 {Path(path).name} 缺少必需的列")
    names = {}
    for row in reader:
        left, right = ((row[c] or "").strip() for c in ("left", "right"))
        names[(min(left, right), max(left, right))] = (row["name"] or "").strip()
    return names


@boundaries.command("derive", short_help="由县级区划面推算辖区界线（含与相邻区划的外界）。")
@click.option("--parent", default=None, metavar="ADCODE", help=_PARENT_HELP)
@click.option(
    "--neighbours/--no-neighbours",
    default=True,
    show_default=True,
    help="同时使用库中与辖区相邻的同级区划面，推算辖区外界（如周驻线、豫皖线）",
)
@click.option(
    "--names",
    "names_path",
    type=InputFile(),
    help="界线通行名称表 CSV（列 left,right,name，如 340000,410000,豫皖线）",
)
@click.option("--date", "on", default=None, metavar="YYYY-MM-DD", help="新版本启用日期（默认今天）")
@local_admin
@pass_ctx
@reports_errors
def derive(
    ctx: Context,
    parent: str | None,
    neighbours: bool,
    names_path: str | None,
    on: str | None,
    actor: str,
) -> None:
    """由库中县级区划面推算辖区界线（每对相邻区划一条，三交点处断开，高斯-克吕格计算长度）。
    重复运行不会改变未变的界线；几何变化的界线生成新版本，勘界界线保持不变。"""
    import pandas as pd

    from geociv.boundaries.lines import line_units
    from geociv.boundaries.registry import BoundaryLines, within
    from geociv.divisions import Divisions

    code = _parent(ctx, parent)
    divisions = Divisions(ctx.store)
    own = divisions.frame(parent=code, level="county")
    own = own[own.geometry.notna()]
    if own.empty:
        raise ValidationError(
            Problem(f"库中没有 {code} 所辖县级区划的边界面（先导入区划边界）", field="parent"),
            title="无法推算界线",
        )
    frame = own
    if neighbours:
        near = divisions.meeting(own.geometry.union_all().buffer(0.001), level="county")
        others = near[~near["code"].map(lambda c: within(c, code))]
        frame = pd.concat([own, others], ignore_index=True)
        click.echo(f"辖区县级区划 {len(own)} 个，相邻区划 {len(others)} 个")
    # names already in the register stay (official names given earlier), unless the file
    # names the line otherwise
    official: dict[tuple[str, str], str] = {}
    for line in ctx.store.query_boundary_lines(with_geometry=False):
        if line.right_code:
            official[line_units(line.left_code, line.right_code, line.level)] = line.name
    if names_path:
        official.update(_line_names(names_path))
    registry = BoundaryLines(ctx.store)
    changes = registry.derive_from_divisions(
        frame,
        actor=actor,
        inside=set(own["code"]),
        official=official,
        on=on,
    )
    click.echo(
        f"界线：新增 {changes.inserted}、新版本 {changes.versioned}、未变 {changes.unchanged}、"
        f"停用 {changes.closed}、保留勘界界线 {changes.kept}"
    )
    lines = registry.current(parent=code)
    lines = lines[lines["level"] != "edge"]
    click.echo(f"现行界线 {len(lines)} 条，共 {lines['length_km'].sum():,.2f} km")


@boundaries.command("qa", short_help="县级区划面拓扑检查；有问题时退出码为 3。")
@click.option("--parent", default=None, metavar="ADCODE", help=_PARENT_HELP)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（每行一项）")
@pass_ctx
@reports_errors
def qa(ctx: Context, parent: str | None, as_json: bool) -> None:
    """县级区划面的拓扑检查：缝隙（含达上级区划边界的缝隙）、重叠、超出上级区划、细长碎片、
    无效几何、两侧不一致的共用边、悬挂线；有问题时退出码为 3。区划内空洞（多为飞地）仅作提示。"""
    from geociv.boundaries.topology import check_within
    from geociv.divisions import Divisions
    from geociv.labels import TOPOLOGY_KIND_LABELS

    code = _parent(ctx, parent)
    report = check_within(Divisions(ctx.store), code)
    for issue in [*report.issues, *report.holes]:
        if as_json:
            click.echo(json.dumps(issue.to_dict(), ensure_ascii=False))
        else:
            where = issue.geometry.representative_point()
            click.echo(
                f"{TOPOLOGY_KIND_LABELS[issue.kind]}\t{','.join(issue.codes)}\t"
                f"{where.x:.6f},{where.y:.6f}\t{issue.message}"
            )
    if not as_json:
        click.echo(report.summary())
    if not report.clean:
        sys.exit(3)


@boundaries.command("lines")
@click.option("--parent", default=None, metavar="ADCODE", help=_PARENT_HELP)
@click.option(
    "--level",
    type=click.Choice(["provincial", "city", "county", "edge"]),
    help="只列出该级别：provincial 省级、city 市级、county 县级、edge 仅一侧",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（每行一条）")
@pass_ctx
@reports_errors
def lines_list(ctx: Context, parent: str | None, level: str | None, as_json: bool) -> None:
    """列出现行界线：编号、名称、走向、级别、内部/外界、长度 km、来源。"""
    from geociv.boundaries.registry import BoundaryLines
    from geociv.labels import LINE_LEVEL_LABELS, LINE_SOURCE_LABELS

    frame = BoundaryLines(ctx.store).current(parent=_parent(ctx, parent), level=level)
    for row in frame.drop(columns="geometry").to_dict("records"):
        if as_json:
            row["length_km"] = round(float(row["length_km"]), 3)
            row["internal"] = bool(row["internal"])
            row["version"] = int(row["version"])
            click.echo(json.dumps(row, ensure_ascii=False))
            continue
        click.echo(
            f"{row['line_id']}\t{row['name']}\t{row['section']}\t{LINE_LEVEL_LABELS[row['level']]}"
            f"\t{'内部' if row['internal'] else '外界'}\t{row['length_km']:.2f} km\t"
            f"{LINE_SOURCE_LABELS.get(row['source'], row['source'])}"
        )
    if not as_json:
        click.echo(f"共 {len(frame)} 条，{frame['length_km'].sum():,.2f} km")


# -- markers ------------------------------------------------------------------------------------
@boundaries.group("markers")
def markers_group() -> None:
    """界桩登记：导入界桩登记表、列出界桩。"""


@markers_group.command("import", short_help="导入界桩登记表（CSV/XLSX，全部通过才写入）。")
@click.argument("path", type=InputFile())
@click.option("--crs", default=None, help="文件坐标的坐标系（默认 CGCS2000；WGS84、GCJ02、BD09…）")
@click.option("--sample", is_flag=True, help="标为示例数据（示例）")
@local_admin
@pass_ctx
@reports_errors
def markers_import(ctx: Context, path: str, crs: str | None, sample: bool, actor: str) -> None:
    """导入界桩登记表 PATH（CSV，UTF-8 或 GBK；或 XLSX）。全部行通过检查才写入：编号格式、
    重复、双立/三立是否成套、单立界桩是否在界线上、坐标是否在两侧辖区内。"""
    from geociv.boundaries.markers import Markers

    added = Markers(ctx.store).import_file(path, actor=actor, sample=sample, declared_crs=crs)
    click.echo(f"已导入 {len(added)} 颗界桩")
    for m in added:
        click.echo(f"  {m.marker_id}")


@markers_group.command("list")
@click.option("--line", "line_id", default=None, help="只列出该界线的界桩（界线编号）")
@click.option("--parent", default=None, metavar="ADCODE", help=_PARENT_HELP)
@pass_ctx
@reports_errors
def markers_list(ctx: Context, line_id: str | None, parent: str | None) -> None:
    """列出界桩：编号、类型、材质、登记坐标、方位物个数、是否示例。"""
    from geociv.boundaries.markers import Markers
    from geociv.labels import MARKER_KIND_LABELS

    found = Markers(ctx.store).query(
        line_id=line_id, parent=None if line_id else _parent(ctx, parent)
    )
    for m in found:
        where = f"{m.location.x:.7f},{m.location.y:.7f}" if m.location is not None else ""
        sample = "\t示例" if m.sample else ""
        click.echo(
            f"{m.marker_id}\t{MARKER_KIND_LABELS[m.kind]}\t{m.material}\t{where}\t"
            f"方位物 {len(m.references)}{sample}"
        )
    click.echo(f"共 {len(found)} 颗")


# -- inspections --------------------------------------------------------------------------------
def _print_record(ctx: Context, record: Any) -> None:
    from geociv.labels import MARKER_CONDITION_LABELS, RECORD_STATUS_LABELS, SIDE_LABELS

    what = (
        f"界桩 {record.marker_id} {MARKER_CONDITION_LABELS.get(record.condition or '', '')}"
        if record.kind == "marker"
        else f"界线 {record.line_id} {len(record.changes)} 项变化"
    )
    sample = "\t示例" if record.sample else ""
    click.echo(
        f"{record.record_id}\t第 {record.version} 版\t{record.inspected_on}\t{what}\t"
        f"{RECORD_STATUS_LABELS[record.status]}{sample}"
    )
    for side in ("left", "right"):
        s = record.signature(side)
        state = f"{s.username}（{s.side_code}）{cell_time(s.signed_at)}" if s else "待签字"
        click.echo(f"  {SIDE_LABELS[side]}：{state}")


@boundaries.command("check", short_help="记录一颗界桩的现场检查。")
@click.argument("plan_id", type=int)
@click.argument("marker_id")
@click.option(
    "--condition",
    required=True,
    help="界桩状况：intact 完好、damaged 损坏、missing 丢失、displaced 移位、buried 掩埋、"
    "illegible 字迹不清（也可写中文）",
)
@click.option("--lon", type=float, default=None, help="实测经度（CGCS2000；丢失时可不填）")
@click.option("--lat", type=float, default=None, help="实测纬度")
@click.option("--accuracy", type=float, default=None, help="GPS 精度（米）")
@click.option("--crs", default=None, help="经纬度的坐标系（默认 CGCS2000；WGS84、GCJ02、BD09…）")
@click.option("--references", default=None, help="现存方位物个数，或逐个有无如 1,1,0")
@click.option("--date", "on", default=None, metavar="YYYY-MM-DD", help="检查日期（默认今天）")
@click.option("--remarks", default="", help="备注")
@click.option("--photo", type=InputFile("照片"), help="现场照片")
@local_admin
@pass_ctx
@reports_errors
def check(
    ctx: Context,
    plan_id: int,
    marker_id: str,
    condition: str,
    lon: float | None,
    lat: float | None,
    accuracy: float | None,
    crs: str | None,
    references: str | None,
    on: str | None,
    remarks: str,
    photo: str | None,
    actor: str,
) -> None:
    """记录联检计划 PLAN_ID 中界桩 MARKER_ID 的检查（实测位置、状况、方位物、照片）。
    记录须由界线两侧各一名联检人员签字（geociv boundaries sign）后才生效。"""
    from geociv.boundaries.inspections import Inspections
    from geociv.boundaries.markers import check_photo

    if (lon is None) != (lat is None):
        raise ValidationError(
            Problem("--lon 与 --lat 须同时给出", field="lon/lat"), title="参数有误"
        )
    refs: Any = None
    if references is not None:
        text = references.replace("，", ",").strip()
        refs = [v.strip() in ("1", "y", "yes", "true", "有") for v in text.split(",")]
        if "," not in text:
            refs = text
    found = None
    if photo:
        found = (Path(photo).name, Path(photo).read_bytes())
        _name, problems = check_photo(*found)
        if problems:
            raise ValidationError(problems, title="照片有误")
    record = (
        Inspections(ctx.store)
        .submit(
            plan_id,
            marker_id=marker_id,
            photo=found,
            condition=condition,
            actor=actor,
            inspected_on=on,
            measured=(lon, lat) if lon is not None and lat is not None else None,
            gps_accuracy_m=accuracy,
            references_present=refs,
            remarks=remarks,
            declared_crs=crs,
        )
        .record
    )
    click.echo("已记录：")
    _print_record(ctx, record)


@boundaries.command("check-line", short_help="记录一条界线的沿线检查。")
@click.argument("plan_id", type=int)
@click.option(
    "--change",
    "changes",
    multiple=True,
    metavar="TYPE=说明",
    help="沿线变化，可重复：construction 跨界建设、river 河道变化、road 道路变化、"
    "dispute 边界争议、other 其他（也可写中文），如 --change road=新修县道穿越界线",
)
@click.option("--date", "on", default=None, metavar="YYYY-MM-DD", help="检查日期（默认今天）")
@click.option("--remarks", default="", help="备注")
@local_admin
@pass_ctx
@reports_errors
def check_line(
    ctx: Context, plan_id: int, changes: tuple[str, ...], on: str | None, remarks: str, actor: str
) -> None:
    """记录联检计划 PLAN_ID 的界线检查（没有变化也应记录）；双方签字后该计划即完成。"""
    from geociv.boundaries.inspections import Inspections

    items = []
    for item in changes:
        kind, sep, text = item.partition("=")
        if not sep:
            raise ValidationError(
                Problem(f"--change {item!r} 应写成 类型=说明", field="change"), title="参数有误"
            )
        items.append((kind.strip(), text.strip()))
    record = Inspections(ctx.store).record_line(
        plan_id, actor=actor, inspected_on=on, changes=items, remarks=remarks
    )
    click.echo("已记录：")
    _print_record(ctx, record)


@boundaries.command("plan", short_help="开启本年度所在轮次并安排一条界线的联检。")
@click.argument("line_id")
@click.option("--year", type=int, default=None, help="计划年度（默认今年）")
@click.option("--left-team", default="", help="左侧联检组成员，逗号分隔")
@click.option("--right-team", default="", help="右侧联检组成员，逗号分隔")
@click.option(
    "--kind",
    type=click.Choice(["regular", "ad_hoc"]),
    default="regular",
    show_default=True,
    help="regular 例行联检；ad_hoc 专项检查",
)
@click.option("--note", default="")
@local_admin
@pass_ctx
@reports_errors
def plan(
    ctx: Context,
    line_id: str,
    year: int | None,
    left_team: str,
    right_team: str,
    kind: str,
    note: str,
    actor: str,
) -> None:
    """安排界线 LINE_ID（如 411702-411725）在某年度联检；所在五年轮次未开启时先开启。"""
    from datetime import date

    from geociv.boundaries.registry import BoundaryLines
    from geociv.boundaries.rounds import Rounds

    year = year or date.today().year
    rounds = Rounds(ctx.store)
    current = rounds.open_for_year(year, actor=actor)
    line = BoundaryLines(ctx.store).get(line_id)

    def members(text: str) -> list[str]:
        return [m.strip() for m in text.replace("，", ",").split(",") if m.strip()]

    made = rounds.plan(current.round_no, line.line_id, year, kind=kind, note=note, actor=actor,
                       left_team=(line.left_code, members(left_team)),
                       right_team=(line.right_code, members(right_team)))  # fmt: skip
    click.echo(
        f"已安排 {line.name}（{line.section}）{year} 年联检：{current.title}，计划 {made.plan_id}"
    )


@boundaries.command("sign", short_help="以某联检人员所属一方的名义签字确认记录。")
@click.argument("record_id")
@click.option("--as", "signer", required=True, metavar="USER", help="签字的联检人员（用户名）")
@click.option("--note", default="", help="签字说明")
@click.option("--version", type=int, default=None, help="签字人阅读的版本（已被更正时拒绝）")
@click.option("--password-stdin", is_flag=True, help="从标准输入第一行读取签字人密码（供脚本使用）")
@pass_ctx
@reports_errors
def sign(
    ctx: Context,
    record_id: str,
    signer: str,
    note: str,
    version: int | None,
    password_stdin: bool,
) -> None:
    """以 USER 所属一方的名义签字确认联检记录 RECORD_ID（需输入 USER 的密码）。
    每一方只能为本方签字，同一方不能再次签字；双方签字后记录生效，不能再修改。"""
    from geociv.auth import Users, local_actor
    from geociv.boundaries.inspections import Inspections

    password = read_password(f"{signer} 的密码", password_stdin)
    Users(ctx.store).authenticate(signer, password, address=local_actor())

    record = Inspections(ctx.store).sign(record_id, signer=signer, note=note, version=version)
    _print_record(ctx, record)


@boundaries.command("records")
@click.option("--line", "line_id", default=None, help="只列出该界线的记录")
@click.option("--pending-for", default=None, metavar="USER", help="只列出等待该用户一方签字的记录")
@pass_ctx
@reports_errors
def records(ctx: Context, line_id: str | None, pending_for: str | None) -> None:
    """列出联检记录（最新版本）及双方签字情况。"""
    from geociv.boundaries.inspections import Inspections

    svc = Inspections(ctx.store)
    found = svc.pending(pending_for) if pending_for else svc.query(line_id=line_id)
    if not found:
        click.echo("没有联检记录")
    for record in found:
        _print_record(ctx, record)


@boundaries.command("findings", short_help="列出发现问题；有问题时退出码为 3。")
@click.option("--parent", default=None, metavar="ADCODE", help=_PARENT_HELP)
@click.option("--line", "line_id", default=None, help="只看该界线")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（每行一项）")
@pass_ctx
@reports_errors
def findings(ctx: Context, parent: str | None, line_id: str | None, as_json: bool) -> None:
    """发现问题：界桩移位、偏离界线、丢失、损坏、方位物缺失、双立/三立不成套；
    有问题时退出码为 3。检查记录经双方签字后才计入。"""
    from geociv.boundaries.findings import Findings
    from geociv.labels import SEVERITY_LABELS

    found = Findings(ctx.store).list(line_id=line_id, parent=_parent(ctx, parent))
    for f in found:
        if as_json:
            click.echo(json.dumps(f.to_dict(), ensure_ascii=False))
        else:
            click.echo(f"[{f.rule_id}] {SEVERITY_LABELS[f.severity]}：{f.message}")
    if not as_json:
        click.echo(f"共 {len(found)} 项")
    if found:
        sys.exit(3)


# -- reports and exports ------------------------------------------------------------------------
@boundaries.command("report", short_help="年度或轮次联检报告（可另存 Word、HTML）。")
@click.option("--year", type=int, default=None, help="年度报告的年份")
@click.option("--round", "round_no", type=int, default=None, help="轮次报告的轮次")
@click.option("--parent", default=None, metavar="ADCODE", help=_PARENT_HELP)
@click.option("--docx", "docx_path", type=OutputFile(), help="Word 文档另存为")
@click.option(
    "--html",
    "html_path",
    type=OutputFile(),
    help="可打印页面（A4 HTML）另存为",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出报告数据")
@pass_ctx
@reports_errors
def report(
    ctx: Context,
    year: int | None,
    round_no: int | None,
    parent: str | None,
    docx_path: str | None,
    html_path: str | None,
    as_json: bool,
) -> None:
    """年度（--year）或轮次（--round）联检报告。
    各界线与合计的检查里程、界桩检查数及完好、损坏、丢失、移位数，发现问题，双方签字；
    --docx/--html 另存为文件（附图）。"""
    from geociv.boundaries import reports

    if (year is None) == (round_no is None):
        raise ValidationError(
            Problem("须给出 --year 或 --round 之一", field="year/round"), title="参数有误"
        )
    code = _parent(ctx, parent)
    if year is not None:
        built = reports.annual_report(ctx.store, year, parent=code)
    else:
        assert round_no is not None
        built = reports.round_report(ctx.store, round_no, parent=code)
    if as_json:
        click.echo(json.dumps(built.to_dict(), ensure_ascii=False, indent=1))
    else:
        click.echo(built.title)
        click.echo(built.summary())
        if built.sample:
            click.echo("（含示例数据）")
    if docx_path or html_path:
        png = reports.report_map_png(ctx.store, built)
        if docx_path:
            Path(docx_path).write_bytes(reports.report_docx(built, map_png=png))
            click.echo(f"Word 文档已写入 {docx_path}")
        if html_path:
            Path(html_path).write_text(reports.report_html(built, map_png=png), encoding="utf-8")
            click.echo(f"可打印页面已写入 {html_path}")


@boundaries.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["gpkg", "shp", "kml", "gpx"]),
    required=True,
    help="gpkg GeoPackage、shp Shapefile（zip）、kml（奥维、Google Earth）、gpx（手持 GPS）",
)
@click.option("--out", required=True, type=OutputFile(), help="输出文件")
@click.option("--parent", default=None, metavar="ADCODE", help=_PARENT_HELP)
@pass_ctx
@reports_errors
def export(ctx: Context, fmt: str, out: str, parent: str | None) -> None:
    """导出辖区的现行界线与在用界桩，供 GIS 与野外 GPS 设备使用。"""
    from geociv.boundaries import exports
    from geociv.boundaries.markers import Markers
    from geociv.boundaries.registry import BoundaryLines

    code = _parent(ctx, parent)
    lines = BoundaryLines(ctx.store).current(parent=code)
    lines["internal"] = lines["internal"].astype(int)
    markers = Markers(ctx.store).frame(parent=code).rename(columns={"marker_id": "number"})
    markers["sample"] = markers["sample"].astype(int)
    writers = {
        "gpkg": exports.write_gpkg,
        "shp": exports.write_shapefiles,
        "kml": exports.write_kml,
        "gpx": exports.write_gpx,
    }
    with warnings.catch_warnings():
        # Shapefile field names are cut to 10 characters, as the format requires
        warnings.filterwarnings("ignore", "Normalized/laundered field name", RuntimeWarning)
        path = writers[fmt](lines, markers, Path(out))
    click.echo(f"已导出界线 {len(lines)} 条、界桩 {len(markers)} 颗到 {path}")

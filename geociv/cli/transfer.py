"""``geociv store copy``: a whole store to another backend or place (:mod:`geociv.transfer`)."""

from __future__ import annotations

import sys

import click

from geociv.cli.common import local_admin, reports_errors

#: What each table holds, for the check table printed after a copy.
TABLE_LABELS = {
    "geociv_meta": "设置", "divisions": "行政区划", "users": "用户", "audit_log": "操作日志",
    "login_attempts": "登录记录", "names": "地名", "name_history": "曾用名",
    "pinyin_overrides": "拼音审定", "name_terms": "禁用词表", "finding_overrides": "检查豁免",
    "name_cases": "命名更名案件", "name_case_events": "案件步骤", "name_case_documents": "案件材料",
    "signs": "地名标志", "sign_patrols": "标志巡检", "boundary_lines": "界线",
    "markers": "界桩", "marker_references": "方位物", "boundary_photos": "界线照片",
    "inspection_rounds": "联检轮次", "inspection_plans": "联检计划",
    "inspection_records": "联检记录", "inspection_signatures": "联检签字",
    "facilities": "服务设施", "coverage_runs": "服务圈计算", "road_networks": "路网",
    "road_edges": "路段", "population_rasters": "人口栅格", "zone_sets": "统计单元组",
    "coverage_zones": "统计单元",
}  # fmt: skip


@click.group("store")
def store() -> None:
    """整库操作：在 GeoPackage 文件与 PostgreSQL/PostGIS 数据库之间复制存储。"""


@store.command("copy")
@click.argument("src")
@click.argument("dst")
@local_admin
@reports_errors
def copy_command(src: str, dst: str, actor: str) -> None:
    """把存储 SRC 整库复制到空存储 DST（先停止 geociv 服务）。

    SRC、DST 为 GeoPackage 文件路径或 postgresql://用户@主机/数据库。复制全部表的全部行
    （编号、几何、附件、操作日志、用户及其密码散列、设置），新编号接着已复制的编号；
    DST 须为新文件或空数据库、结构版本相同。复制后逐表核对行数与校验和，不一致即报错。

    \b
    例：geociv store copy instance/geociv.gpkg postgresql://geociv@db.example/geociv
    """
    from geociv.errors import CopyMismatchError
    from geociv.transfer import StoreCopy

    copier = StoreCopy(src, dst)
    try:
        click.echo(f"从 {copier.source.url} 复制到 {copier.target.url}：", err=True)
        try:
            checks = copier.run(actor=actor, progress=_progress)
        except CopyMismatchError as exc:
            click.echo(_check_table(exc.checks))
            raise
    finally:
        copier.close()
    click.echo(_check_table(checks))
    click.echo(f"复制完成：{len(checks)} 张表，{sum(c.copy_rows for c in checks)} 行，全部一致")


def _progress(table: str, rows: int) -> click.progressbar:
    return click.progressbar(
        length=rows, label=f"{TABLE_LABELS.get(table, table)}（{table}）", file=sys.stderr
    )


def _check_table(checks: list) -> str:
    """The checks as an aligned table: rows and checksum on both sides, and the verdict."""
    head = ("表", "源行数", "副本行数", "源校验和", "副本校验和", "结果")
    body = [
        (
            f"{TABLE_LABELS.get(c.table, c.table)} {c.table}",
            str(c.source_rows),
            str(c.copy_rows),
            c.source_sha256[:12],
            c.copy_sha256[:12],
            "一致" if c.ok else "不一致",
        )
        for c in checks
    ]
    widths = [max(_width(row[i]) for row in [head, *body]) for i in range(len(head))]
    lines = [
        "  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True))
        for row in [head, *body]
    ]
    return "\n".join(lines)


def _width(text: str) -> int:
    """Columns a text takes in a terminal (CJK characters take two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))

"""Bulk name files: read CSV (UTF-8 or GBK), XLSX, GeoJSON or GeoPackage into candidates, and
write findings reports as CSV or XLSX.

Columns may be named in English or Chinese: ``name``/名称/标准名称, ``category``/类别/地名类别,
``division_code``/区划代码/所属区划代码, optional ``pinyin``/拼音. Categories may be given by code
(``road``) or Chinese label (道路街巷). A file that cannot be read at all (encoding, broken
format, missing columns) raises :class:`~geociv.errors.InputFileError`; row-level problems become
findings with the row number, so officers see everything in one report.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from geociv import uploads
from geociv.divisions import read_vector
from geociv.errors import InputFileError, Problem
from geociv.gazetteer.categories import CATEGORIES
from geociv.gazetteer.rules import Candidate, Report
from geociv.labels import SEVERITY_LABELS, VERDICT_LABELS
from geociv.uploads.tables import numbered_records

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "名称", "标准名称", "地名", "标准地名"),
    "category": ("category", "类别", "地名类别"),
    "division_code": ("division_code", "区划代码", "所属区划代码", "所属区划", "adcode"),
    "pinyin": ("pinyin", "拼音", "罗马字母拼写"),
}
REQUIRED = ("name", "category", "division_code")
SUFFIXES = (".csv", ".xlsx", ".geojson", ".json", ".gpkg")

#: Vector formats of names files.
_VECTOR_NAME_KINDS = tuple(k for k in uploads.NAME_KINDS if k in uploads.VECTOR_KINDS)

_CATEGORY_BY_LABEL = {c.label: c.code for c in CATEGORIES.values()}


@dataclass
class NameRows:
    """What a file held: candidates (with row numbers) and geometries by row."""

    candidates: list[Candidate]
    geometries: dict[int, object]


def read_name_file(path: str | Path) -> NameRows:
    """Read a names file (CSV, XLSX, GeoJSON or GeoPackage, judged by content through
    :mod:`geociv.uploads`); raise :class:`InputFileError` if it cannot be read as a whole."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(Problem(f"文件不存在：{path}", field="file"), title="无法读取")
    kind = uploads.kind_of(path, kinds=uploads.NAME_KINDS)
    geometries: dict[int, object] = {}
    if kind in uploads.TABLE_KINDS:
        header, rows = numbered_records(uploads.read_table(path))
    else:
        from geociv.crs import to_storage_crs

        frame = to_storage_crs(read_vector(path, kinds=_VECTOR_NAME_KINDS), None)
        header = [c for c in frame.columns if c != frame.geometry.name]
        rows = []
        for i, rec in enumerate(frame.to_dict("records"), start=1):  # features from 1
            geometries[i] = rec.pop(frame.geometry.name)
            rows.append((i, {k: "" if v is None else str(v) for k, v in rec.items()}))
    columns = map_columns(header, path.name, COLUMN_ALIASES, REQUIRED)
    candidates = []
    for i, row in rows:
        raw_category = (row.get(columns["category"]) or "").strip()
        candidates.append(
            Candidate(
                name=(row.get(columns["name"]) or "").strip(),
                category=_CATEGORY_BY_LABEL.get(raw_category, raw_category),
                division_code=(row.get(columns["division_code"]) or "").strip(),
                pinyin=(row.get(columns["pinyin"]) or "").strip() if "pinyin" in columns else "",
                row=i,
            )
        )
    return NameRows(candidates, geometries)


def map_columns(
    header: Sequence[str],
    filename: str,
    column_aliases: Mapping[str, Sequence[str]],
    required: Sequence[str],
) -> dict[str, str]:
    """The file's column for each key of ``column_aliases`` (the first alias found wins); an
    :class:`InputFileError` naming every ``required`` key that has none."""
    found: dict[str, str] = {}
    cleaned = {h.strip().lstrip("\ufeff"): h for h in header}
    for key, aliases in column_aliases.items():
        for alias in aliases:
            if alias in cleaned:
                found[key] = cleaned[alias]
                break
    missing = [k for k in required if k not in found]
    if missing:
        raise InputFileError(
            [Problem(f"缺少列 {k}（可写作 {'、'.join(column_aliases[k][1:3])}）", field=k)
             for k in missing],
            title=f"{filename} 缺少必需的列",
        )  # fmt: skip
    return found


# -- reports ------------------------------------------------------------------------------
REPORT_COLUMNS = ("行号", "名称", "类别", "区划代码", "专名", "通名", "拼音", "结论", "规则",
                  "级别", "问题", "说明")  # fmt: skip


def report_rows(reports: Sequence[Report]) -> list[list[object]]:
    """One row per finding (and one per clean name) for a tabular report."""
    rows: list[list[object]] = []
    for r in reports:
        c = r.candidate
        base = [c.row, c.name, c.category, c.division_code, r.specific, r.generic, r.pinyin or ""]
        verdict = VERDICT_LABELS[r.verdict]
        if not r.findings:
            rows.append([*base, verdict, "", "", "", ""])
        for f in r.findings:
            note = f"已确认：{f.reason}" if f.accepted else ""
            rows.append([*base, verdict, f.rule_id, SEVERITY_LABELS[f.severity], f.message, note])
    return rows


def report_csv(reports: Sequence[Report]) -> bytes:
    """The report as CSV in UTF-8 with a BOM (so Excel opens the Chinese text correctly)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REPORT_COLUMNS)
    writer.writerows(report_rows(reports))
    return out.getvalue().encode("utf-8-sig")


def report_xlsx(reports: Sequence[Report]) -> bytes:
    """The report as an Excel workbook, errors highlighted."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "检查结果"
    sheet.append(list(REPORT_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    fills = {"错误": PatternFill("solid", fgColor="FADBD8"),
             "警告": PatternFill("solid", fgColor="FCF3CF")}  # fmt: skip
    for row in report_rows(reports):
        sheet.append(row)
        fill = fills.get(str(row[9]))
        if fill:
            for cell in sheet[sheet.max_row]:
                cell.fill = fill
    for col, width in zip("ABCDEFGHIJKL", (6, 18, 10, 14, 12, 8, 22, 8, 16, 6, 60, 30),
                          strict=True):  # fmt: skip
        sheet.column_dimensions[col].width = width
    sheet.freeze_panes = "A2"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def summary(reports: Sequence[Report]) -> dict[str, object]:
    """Counts for the top of a report: names, blocked, findings by rule and severity."""
    by_rule: dict[str, int] = {}
    by_severity = {s: 0 for s in SEVERITY_LABELS}
    for r in reports:
        for f in r.findings:
            by_rule[f.rule_id] = by_rule.get(f.rule_id, 0) + 1
            by_severity[f.severity] += 1
    return {
        "names": len(reports),
        "blocked": sum(r.blocking for r in reports),
        "pending": sum(r.verdict == "pending" for r in reports),
        "clean": sum(not r.findings for r in reports),
        "by_rule": dict(sorted(by_rule.items())),
        "by_severity": by_severity,
    }

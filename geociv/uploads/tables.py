"""Bounded readers for tables: CSV (UTF-8 or GBK/GB18030) and XLSX (first worksheet).

Both return the rows as lists of strings (the header first). Sizes are checked before the
parser starts (file size, ZIP members, the worksheet's declared dimension) and counted while it
reads (rows, cells, field length), so a bomb is refused early and without growing memory.
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from pathlib import Path

from geociv.errors import InputFileError, Problem
from geociv.uploads.archive import checked_members
from geociv.uploads.limits import (
    MAX_CSV_BYTES,
    MAX_CSV_FIELD,
    MAX_OFFICE_UNCOMPRESSED,
    MAX_TABLE_ROWS,
    MAX_XLSX_CELLS,
    MAX_XLSX_COLUMNS,
    MB,
)

logger = logging.getLogger(__name__)

# The csv module's limit is process-wide; geociv reads no field longer than this anywhere.
csv.field_size_limit(MAX_CSV_FIELD)


def _refuse(message: str, filename: str, row: int | None = None) -> InputFileError:
    return InputFileError(Problem(message, row=row, field="file"), title=f"{filename} 无法读取")


def decode_text(data: bytes, filename: str) -> str:
    """``data`` as text: UTF-8 (with or without BOM) or GBK/GB18030; no NUL bytes."""
    if b"\x00" in data:
        raise _refuse("文件中含有 NUL 字节，不是 UTF-8 或 GBK 编码的文本", filename)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _refuse("文件既不是 UTF-8 也不是 GBK/GB18030 编码", filename)


def read_text_bounded(path: Path, filename: str, limit: int = MAX_CSV_BYTES) -> str:
    """The text of a CSV or text file of at most ``limit`` bytes."""
    size = path.stat().st_size
    if size > limit:
        raise _refuse(f"文件大小 {size / MB:.1f} MB，超过上限 {limit // MB} MB", filename)
    return decode_text(path.read_bytes(), filename)


def read_csv(path: Path, *, filename: str) -> list[list[str]]:
    """Rows of a CSV (header first), bounded in size, field length and row count."""
    text = read_text_bounded(path, filename)
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text))
    try:
        for row in reader:
            if len(rows) > MAX_TABLE_ROWS:
                raise _refuse(f"数据超过 {MAX_TABLE_ROWS:,} 行的上限（行数上限）", filename)
            rows.append(row)
    except csv.Error as exc:
        raise _refuse(
            f"CSV 无法解析（{exc}；单个字段最长 {MAX_CSV_FIELD:,} 个字符）",
            filename,
            row=len(rows) + 1,  # the record being read, numbered as Excel numbers it
        ) from exc
    return rows


def check_xlsx(path: Path, *, filename: str) -> None:
    """Check an XLSX's ZIP directory (members, uncompressed size, ratio) and refuse XML
    DOCTYPE/ENTITY declarations in its parts, before openpyxl parses anything."""
    infos = checked_members(path, filename=filename, max_total=MAX_OFFICE_UNCOMPRESSED)
    with zipfile.ZipFile(path) as archive:
        for info in infos:
            if info.filename.lower().endswith((".xml", ".rels")):
                with archive.open(info) as member:
                    head = member.read(4096).lower()
                if b"<!doctype" in head or b"<!entity" in head:
                    raise _refuse(f"工作簿部件 {info.filename} 含有 DOCTYPE/ENTITY 声明", filename)


def read_xlsx(path: Path, *, filename: str) -> list[list[str]]:
    """Rows of the first worksheet of an XLSX (header first; ``None`` cells as ``""``)."""
    from openpyxl import load_workbook

    check_xlsx(path, filename=filename)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a broken workbook
        raise _refuse(f"不是可读的 Excel 工作簿（{type(exc).__name__}）", filename) from exc
    try:
        if not book.worksheets:
            return []
        sheet = book.worksheets[0]
        _check_dimension(sheet.max_row, sheet.max_column, filename)
        return _bounded_rows(sheet, filename)
    except InputFileError:
        raise
    except Exception as exc:  # a broken sheet part
        raise _refuse(f"工作表无法读取（{type(exc).__name__}）", filename) from exc
    finally:
        book.close()


def _check_dimension(rows: int | None, columns: int | None, filename: str) -> None:
    if not rows or not columns:
        return  # no declared dimension: the reading loop counts
    if rows > MAX_TABLE_ROWS + 1:
        raise _refuse(f"工作表声明 {rows:,} 行，超过上限 {MAX_TABLE_ROWS:,} 行", filename)
    if columns > MAX_XLSX_COLUMNS:
        raise _refuse(f"工作表声明 {columns:,} 列，超过上限 {MAX_XLSX_COLUMNS} 列", filename)
    if rows * columns > MAX_XLSX_CELLS:
        raise _refuse(
            f"工作表声明 {rows:,} 行 × {columns:,} 列 = {rows * columns:,} 个单元格，"
            f"超过上限 {MAX_XLSX_CELLS:,} 个（单元格数上限）",
            filename,
        )


def _bounded_rows(sheet: object, filename: str) -> list[list[str]]:
    out: list[list[str]] = []
    cells = 0
    for row in sheet.iter_rows(max_col=MAX_XLSX_COLUMNS, values_only=True):  # type: ignore[attr-defined]
        cells += len(row)
        if len(out) > MAX_TABLE_ROWS or cells > MAX_XLSX_CELLS:
            raise _refuse(
                f"工作表超过上限（{MAX_TABLE_ROWS:,} 行或 {MAX_XLSX_CELLS:,} 个单元格）", filename
            )
        out.append(["" if v is None else str(v) for v in row])
    while out and not any(c.strip() for c in out[-1]):
        out.pop()
    return out


#: The row number Excel shows for the first data row: the header is row 1.
FIRST_DATA_ROW = 2


def data_rows(rows: list[list[str]]) -> list[tuple[int, list[str]]]:
    """The data rows of a table (header first) with the number Excel shows for each.

    Every importer of CSV and XLSX files numbers its rows with this, so a message's "第 N 行"
    is the row an official finds in Excel: the header is row 1, the first data row row 2.
    Blank rows are left out but still counted.

    >>> data_rows([["名称"], ["甲"], [" "], ["乙"]])
    [(2, ['甲']), (4, ['乙'])]
    """
    return [
        (number, row)
        for number, row in enumerate(rows[1:], start=FIRST_DATA_ROW)
        if any(str(c).strip() for c in row)
    ]


def numbered_records(rows: list[list[str]]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and the data rows as dicts (as :class:`csv.DictReader` gives them: missing
    cells ``""``, cells beyond the header dropped, blank lines skipped), each with its row
    number as Excel shows it (:func:`data_rows`).

    >>> numbered_records([["名称", "类型"], ["甲"]])
    (['名称', '类型'], [(2, {'名称': '甲', '类型': ''})])
    """
    if not rows:
        return [], []
    header = [str(h).strip() for h in rows[0]]
    while header and not header[-1]:  # a worksheet's unused columns
        header.pop()
    out = [
        (number, {h: (row[i] if i < len(row) else "") for i, h in enumerate(header)})
        for number, row in data_rows(rows)
    ]
    return header, out

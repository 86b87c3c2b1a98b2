"""Rows an import left out, and the file that gives them back with their reasons.

An import is all or nothing by default. When an official asks for the valid rows only, the
rows with problems are set aside as :class:`RejectedRow` and handed back by
:func:`rejected_rows_csv` as the file's own columns plus a 原因 column, in UTF-8 with a BOM so
that Excel opens the Chinese text directly; corrected, that file imports as it is (the 原因
column is ignored).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from geociv.errors import Problem

__all__ = ["REASON_COLUMN", "RejectedRow", "rejected_rows_csv", "row_problems"]

#: The column that says why a row was left out.
REASON_COLUMN = "原因"


@dataclass
class RejectedRow:
    """One row left out of an import.

    ``row`` is its number as Excel shows it (the header is row 1; features of a vector file
    count from 1), ``values`` its cells by column and ``reasons`` what was wrong with it.
    """

    row: int
    values: Mapping[str, str]
    reasons: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        """The reasons in one line, after the row's number in the original file."""
        return f"（原第 {self.row} 行）" + "；".join(self.reasons)


def row_problems(
    problems: Iterable[Problem], columns: Mapping[str, str] | None = None
) -> tuple[list[Problem], dict[int, list[str]]]:
    """Split ``problems`` into those about the whole file and reasons by row.

    A reason names the file's own column (``columns`` maps a problem's field to it) so the
    official reads the heading they see in Excel.

    >>> whole, by_row = row_problems(
    ...     [Problem("缺少列"), Problem("不是数字", row=3, field="capacity_beds")],
    ...     {"capacity_beds": "床位"},
    ... )
    >>> [p.message for p in whole], by_row
    (['缺少列'], {3: ['床位：不是数字']})
    """
    columns = columns or {}
    whole: list[Problem] = []
    by_row: dict[int, list[str]] = defaultdict(list)
    for p in problems:
        if p.row is None:
            whole.append(p)
            continue
        heading = columns.get(p.field or "", p.field or "")
        by_row[p.row].append(f"{heading}：{p.message}" if heading else p.message)
    return whole, dict(by_row)


def rejected_rows_csv(columns: Sequence[str], rejected: Iterable[RejectedRow]) -> bytes:
    """The rejected rows as CSV: ``columns`` in the file's order, then 原因; UTF-8 with BOM.

    >>> data = rejected_rows_csv(["名称"], [RejectedRow(5, {"名称": "甲"}, ["床位：不是数字"])])
    >>> data.startswith(b"\\xef\\xbb\\xbf"), data.decode("utf-8-sig").splitlines()
    (True, ['名称,原因', '甲,（原第 5 行）床位：不是数字'])
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*columns, REASON_COLUMN])
    for r in rejected:
        writer.writerow([*(r.values.get(c, "") for c in columns), r.reason])
    return out.getvalue().encode("utf-8-sig")

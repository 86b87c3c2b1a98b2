"""Bulk import of heritage levels (地名文化遗产) onto name records.

A table (CSV in UTF-8 or GBK, or XLSX) names, row by row, a name, the division it lies in (code
or name), its heritage level and the list it comes from (the source). Each row must match
exactly one name record in force inside that division; the level is then set on the record.
Every row is checked before anything is written: an unknown level, an unknown or ambiguous
division, no record or several, a record outside the officer's jurisdiction — each is a
problem naming its row, and then nothing is written. Otherwise all levels are set in one
transaction, each change audited (``names.heritage``, with the row's source as the note).

Columns may be named in English or Chinese: ``name``/名称/地名, ``division``/区划/区划代码/
所属区划, ``heritage_level``/级别/保护级别, ``source``/来源/依据.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from geociv import uploads
from geociv.authority import code_prefix, problems_outside, refuse_rows, require
from geociv.divisions import Divisions, normalize_code
from geociv.errors import InputFileError, Problem, ValidationError
from geociv.gazetteer.importer import map_columns
from geociv.gazetteer.names import HERITAGE_LEVELS
from geociv.store import NameRecord, Store
from geociv.uploads.tables import numbered_records

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "名称", "地名", "标准名称", "标准地名"),
    "division": ("division", "division_code", "区划", "区划代码", "所属区划", "区划名称"),
    "heritage_level": ("heritage_level", "级别", "保护级别", "遗产级别", "地名文化遗产级别"),
    "source": ("source", "来源", "依据", "名录来源"),
}

#: How a local (non-national) level is written: ``地方:`` and the list's own name.
LOCAL_PREFIX = "地方:"


@dataclass(frozen=True)
class HeritageRow:
    """One row of a heritage file, with the row number Excel shows."""

    row: int
    name: str
    division: str
    level: str
    source: str


def normalise_level(text: str) -> str | None:
    """The level as stored, or ``None`` if it is not one: a national level
    (:data:`~geociv.gazetteer.names.HERITAGE_LEVELS`) or ``地方:<list>``.

    >>> [normalise_level(t) for t in (" 千年古县 ", "地方：河南省千年古镇", "古")]
    ['千年古县', '地方:河南省千年古镇', None]
    """
    level = (text or "").strip().replace("：", ":")
    if level in HERITAGE_LEVELS:
        return level
    if level.startswith(LOCAL_PREFIX) and level[len(LOCAL_PREFIX) :].strip():
        return LOCAL_PREFIX + level[len(LOCAL_PREFIX) :].strip()
    return None


def read_heritage_file(path: str | Path) -> list[HeritageRow]:
    """The rows of a heritage table (CSV or XLSX, judged by content); an
    :class:`~geociv.errors.InputFileError` if it cannot be read or lacks a column."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(Problem(f"文件不存在：{path}", field="file"), title="无法读取")
    header, rows = numbered_records(uploads.read_table(path))
    columns = map_columns(header, path.name, COLUMN_ALIASES, tuple(COLUMN_ALIASES))
    return [
        HeritageRow(i, *(str(row.get(columns[k]) or "").strip() for k in COLUMN_ALIASES))
        for i, row in rows
    ]


def import_heritage(store: Store, rows: Sequence[HeritageRow], *, actor: str) -> list[NameRecord]:
    """Set the heritage level of each row's name record, all rows or none.

    Returns the records changed (a row whose record already has that level changes nothing).

    Raises
    ------
    ValidationError
        Listing every bad row (row number and field); nothing is written.
    PermissionDeniedError
        If the actor is not an officer, or a row's record lies outside their jurisdiction.
    """
    who = require(store, actor, ("officer",), what="names.heritage")
    if not rows:
        raise ValidationError(
            Problem("文件中没有数据行", field="file"), title="地名文化遗产导入有误"
        )
    problems: list[Problem] = []
    matched: list[tuple[HeritageRow, NameRecord, str]] = []
    divisions = Divisions(store)
    for row in rows:
        level = normalise_level(row.level)
        if level is None:
            allowed = "、".join(HERITAGE_LEVELS)
            message = f"级别“{row.level}”不是 {allowed} 之一，也不是“{LOCAL_PREFIX}名录名称”"
            problems.append(Problem(message, row=row.row, field="heritage_level"))
        if not row.source:
            problems.append(Problem("须写明来源（名录及其公布文件）", row=row.row, field="source"))
        record = _record_of(store, divisions, row, problems)
        if record is not None and level is not None:
            earlier = next((r for r, rec, _ in matched if rec.name_id == record.name_id), None)
            if earlier is not None:
                message = f"与第 {earlier.row} 行是同一条地名记录 {record.name_id}"
                problems.append(Problem(message, row=row.row, field="name"))
            matched.append((row, record, level))
    if problems:
        raise ValidationError(problems, title="地名文化遗产导入有误，未写入任何一行")
    refuse_rows(store, who, problems_outside(who, [(r.row, rec.division_code)
                                                   for r, rec, _ in matched], "division"),
                "names.heritage")  # fmt: skip
    changed = {rec.name_id: (replace(rec, heritage_level=level), row.source)
               for row, rec, level in matched if rec.heritage_level != level}  # fmt: skip
    if changed:
        store.upsert_names([new for new, _ in changed.values()], actor=actor,
                           action="names.heritage",
                           notes={key: source for key, (_, source) in changed.items()})  # fmt: skip
    return [new for new, _ in changed.values()]


def _record_of(
    store: Store, divisions: Divisions, row: HeritageRow, problems: list[Problem]
) -> NameRecord | None:
    """The one record in force named ``row.name`` inside ``row.division`` (or the division
    itself), else a problem naming the row."""
    if not row.name:
        problems.append(Problem("名称不能为空", row=row.row, field="name"))
        return None
    code = _division_code(divisions, row, problems)
    if code is None:
        return None
    found = [
        r
        for r in store.query_names(name=row.name)
        if r.division_code.startswith(code_prefix(code)) or r.represents == code
    ]
    if len(found) == 1:
        return found[0]
    where = f"区划 {row.division}（{code}）"
    if not found:
        message = f"{where}内没有名为“{row.name}”的地名记录"
    else:
        ids = "、".join(r.name_id for r in found)
        message = f"{where}内有 {len(found)} 条名为“{row.name}”的地名记录（{ids}），请写更小的区划"
    problems.append(Problem(message, row=row.row, field="name"))
    return None


def _division_code(divisions: Divisions, row: HeritageRow, problems: list[Problem]) -> str | None:
    """The code of the row's division, given as a code or as a name."""
    text = row.division
    if not text:
        problems.append(Problem("区划不能为空（代码或名称）", row=row.row, field="division"))
        return None
    if text.isdigit():
        code = normalize_code(text)
        if divisions.store.get_division(code) is None:
            problems.append(Problem(f"未找到区划代码 {text}", row=row.row, field="division"))
            return None
        return code
    found = divisions.find(text)
    if len(found) == 1:
        return found[0].code
    codes = "、".join(d.code for d in found)
    message = (
        f"有 {len(found)} 个名为“{text}”的区划（{codes}），请写区划代码"
        if found
        else f"未找到名为“{text}”的区划"
    )
    problems.append(Problem(message, row=row.row, field="division"))
    return None

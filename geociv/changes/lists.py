r"""Official division code lists (区划代码名单): read one file, merge several, check them.

A list is a CSV (UTF-8 with or without BOM, or GBK/GB18030) or an XLSX, told apart by content
(:func:`geociv.uploads.read_table`, the one bounded reader of tables), with either the National
Bureau of Statistics' columns (counties ``code,name,cityCode,provinceCode``; townships
``code,name,areaCode,provinceCode,cityCode``; villages
``code,name,streetCode,provinceCode,cityCode,areaCode``) or plain ``code,name[,parent]``. A unit's
parent follows from its code (:func:`geociv.divisions.parent_of`); a parent column, and the NBS
ancestor columns, must agree with it.

Every problem is collected and raised once (:class:`~geociv.errors.ValidationError`, each
naming its row and field); a list with a problem gives nothing.

Examples
--------
>>> towns = read_division_list("code,name\n411702,驿城区\n".encode(), name="t.csv")
>>> towns["411702"]
Unit(code='411702', name='驿城区', parent_code='411700', level='county')
>>> try:
...     read_division_list(b"code,name\n4117021,x\n", name="bad.csv")
... except ValidationError as exc:
...     print(exc.problems[0].row, exc.problems[0].field)
2 code
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from geociv.divisions import level_of, normalize_code, parent_of
from geociv.errors import AdcodeError, InputFileError, Problem, ValidationError
from geociv.uploads import read_table
from geociv.uploads.limits import MB
from geociv.uploads.tables import numbered_records

logger = logging.getLogger(__name__)

#: Largest list file read: a whole province's villages (Henan 2023: 52,378 rows, 3.3 MB) with
#: room to spare.
MAX_LIST_BYTES = 16 * MB
#: Most data rows in one list.
MAX_LIST_ROWS = 100_000

#: Header names taken for each column (compared without case), the first the canonical one.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("code", "代码", "区划代码", "统计用区划代码"),
    "name": ("name", "名称", "区划名称"),
    "parent": ("parent", "parent_code", "上级代码", "上级"),
}
#: NBS ancestor columns and how many leading digits of a code each one repeats.
NBS_ANCESTORS: dict[str, int] = {"provinceCode": 2, "cityCode": 4, "areaCode": 6, "streetCode": 9}

SourceData = str | Path | bytes


@dataclass(frozen=True)
class Unit:
    """One division in a list: its code, name, parent's code and level."""

    code: str
    name: str
    parent_code: str | None
    level: str


@dataclass(frozen=True)
class Origin:
    """Where a unit was read: the file's name and the row as Excel numbers it."""

    file: str
    row: int


class DivisionList:
    """The units of one or more official lists of the same vintage, by code.

    Build one with :func:`read_division_list` or :meth:`merge` (both check it); the
    constructor takes units as they are (for units made by hand in code).
    """

    def __init__(
        self,
        units: Iterable[Unit] = (),
        *,
        name: str = "",
        origins: dict[str, Origin] | None = None,
    ) -> None:
        self.units: dict[str, Unit] = {u.code: u for u in units}
        self.name = name
        self.origins: dict[str, Origin] = dict(origins or {})

    def __len__(self) -> int:
        return len(self.units)

    def __iter__(self) -> Iterator[Unit]:
        return iter(self.units.values())

    def __contains__(self, code: object) -> bool:
        return code in self.units

    def __getitem__(self, code: str) -> Unit:
        return self.units[code]

    def get(self, code: str | None) -> Unit | None:
        """The unit with ``code``, or ``None``."""
        return self.units.get(code) if code else None

    def at_level(self, level: str) -> list[Unit]:
        """The units of ``level``, by code."""
        return sorted((u for u in self if u.level == level), key=lambda u: u.code)

    def is_under(self, code: str, ancestor: str) -> bool:
        """Whether the unit ``code`` lies below ``ancestor`` (by the parents in the list, and
        by the code where the list stops)."""
        seen: set[str] = set()
        current: str | None = code
        while current and current not in seen:
            seen.add(current)
            unit = self.units.get(current)
            current = unit.parent_code if unit else parent_of(current)
            if current == ancestor:
                return True
        return False

    def under(self, ancestor: str) -> DivisionList:
        """The units below ``ancestor`` (not ``ancestor`` itself)."""
        kept = [u for u in self if self.is_under(u.code, ancestor)]
        origins = {u.code: self.origins[u.code] for u in kept if u.code in self.origins}
        return DivisionList(kept, name=self.name, origins=origins)

    @classmethod
    def merge(cls, lists: Iterable[DivisionList], *, name: str = "") -> DivisionList:
        """One list of the units of several (counties, townships and villages of one
        vintage), checked across them: no code twice, no child whose parent's level is given
        but not its parent.

        Raises
        ------
        ValidationError
            Every duplicate code and missing parent, each naming its file and row.
        """
        lists = list(lists)
        units: dict[str, Unit] = {}
        origins: dict[str, Origin] = {}
        problems: list[Problem] = []
        for part in lists:
            for unit in part:
                origin = part.origins.get(unit.code, Origin(part.name, 0))
                if unit.code in units:
                    first = origins.get(unit.code)
                    where = f"{first.file} 第 {first.row} 行" if first else "另一份名单"
                    problems.append(_problem(f"代码 {unit.code} 已见于 {where}", origin, "code"))
                    continue
                units[unit.code] = unit
                origins[unit.code] = origin
        problems += _missing_parents(units, origins, with_file=True)
        title = name or "、".join(p.name for p in lists if p.name) or "名单"
        if problems:
            raise ValidationError(problems, title=f"{title} 有误，未读取任何区划")
        return cls(units.values(), name=title, origins=origins)


def read_division_list(source: SourceData, *, name: str = "") -> DivisionList:
    """Read one official division list (see the module's description).

    Parameters
    ----------
    source : path or bytes
        The file; CSV or XLSX judged by content, UTF-8 or GBK.
    name : str, optional
        The file's name for messages (default the path's name).

    Raises
    ------
    InputFileError
        The file is too large, of another kind or encoding, or lacks the code or name column.
    ValidationError
        Bad rows: a malformed code, a duplicate code, an empty name, a parent that disagrees
        with the code, a child whose parent is missing though its parent's level is there.
    """
    filename = name or (Path(source).name if isinstance(source, str | Path) else "名单")
    _check_size(source, filename)
    header, records = numbered_records(read_table(source, filename=filename))
    columns = _columns(header, filename)
    if len(records) > MAX_LIST_ROWS:
        raise _refuse(f"有 {len(records):,} 行，超过上限 {MAX_LIST_ROWS:,} 行", filename)
    units: dict[str, Unit] = {}
    origins: dict[str, Origin] = {}
    problems: list[Problem] = []
    for row, record in records:
        unit, found = _unit(record, columns, row)
        problems += found
        if unit is None:
            continue
        if unit.code in units:
            first = origins[unit.code].row
            problems.append(Problem(f"代码 {unit.code} 与第 {first} 行重复", row=row, field="code"))
            continue
        units[unit.code] = unit
        origins[unit.code] = Origin(filename, row)
    problems += _missing_parents(units, origins, with_file=False)
    if problems:
        raise ValidationError(problems, title=f"{filename} 有误，未读取任何区划")
    logger.info("read %d units from %s", len(units), filename)
    return DivisionList(units.values(), name=filename, origins=origins)


def _refuse(message: str, filename: str) -> InputFileError:
    return InputFileError(Problem(message, field="file"), title=f"{filename} 无法读取")


def _check_size(source: SourceData, filename: str) -> None:
    if isinstance(source, bytes | bytearray):
        size = len(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise _refuse(f"找不到文件 {path}", filename)
        size = path.stat().st_size
    if size > MAX_LIST_BYTES:
        raise _refuse(f"文件大小 {size / MB:.1f} MB，超过上限 {MAX_LIST_BYTES // MB} MB", filename)


def _columns(header: list[str], filename: str) -> dict[str, str]:
    """The header name of each column found: canonical names and the NBS ancestor columns."""
    lowered = {h.strip().lower(): h for h in header}
    found: dict[str, str] = {}
    for column, aliases in COLUMN_ALIASES.items():
        hit = next((lowered[a.lower()] for a in aliases if a.lower() in lowered), None)
        if hit is not None:
            found[column] = hit
    for column in NBS_ANCESTORS:
        if column.lower() in lowered:
            found[column] = lowered[column.lower()]
    missing = [c for c in ("code", "name") if c not in found]
    if missing:
        raise InputFileError(
            [Problem(f"缺少列 {c}（表头应为 NBS 的列或 code,name[,parent]）", field=c)
             for c in missing],
            title=f"{filename} 缺少必需的列",
        )  # fmt: skip
    return found


def _unit(
    record: dict[str, str], columns: dict[str, str], row: int
) -> tuple[Unit | None, list[Problem]]:
    """The unit of one row, or the row's problems."""
    raw_code = (record.get(columns["code"]) or "").strip()
    name = (record.get(columns["name"]) or "").strip()
    problems: list[Problem] = []
    if not name:
        problems.append(Problem("名称为空", row=row, field="name"))
    try:
        code = normalize_code(raw_code)
    except AdcodeError as exc:
        return None, [
            Problem(str(exc) if raw_code else "代码为空", row=row, field="code"),
            *problems,
        ]
    parent = parent_of(code)
    given = (record.get(columns["parent"]) or "").strip() if "parent" in columns else ""
    if given:
        try:
            given_parent = normalize_code(given)
        except AdcodeError as exc:
            problems.append(Problem(f"上级代码有误：{exc}", row=row, field="parent"))
        else:
            if given_parent != parent:
                problems.append(Problem(
                    f"上级代码 {given_parent} 与代码 {code} 不符：按代码应为 {parent}",
                    row=row, field="parent"))  # fmt: skip
    for column, digits in NBS_ANCESTORS.items():
        value = (record.get(columns.get(column, "")) or "").strip() if column in columns else ""
        if value and len(code) > digits and value != code[:digits]:
            problems.append(Problem(
                f"{column} {value} 与代码 {code} 的前 {digits} 位 {code[:digits]} 不符",
                row=row, field=column))  # fmt: skip
    if problems:
        return None, problems
    return Unit(code, name, parent, level_of(code)), []


def _missing_parents(
    units: dict[str, Unit], origins: dict[str, Origin], *, with_file: bool
) -> list[Problem]:
    """A problem for each unit whose parent is not there although its parent's level is."""
    levels = {u.level for u in units.values()}
    problems = []
    for unit in units.values():
        parent = unit.parent_code
        if parent is None or parent in units or level_of(parent) not in levels:
            continue
        origin = origins.get(unit.code, Origin("", 0))
        message = f"上级区划 {parent} 不在名单中（缺少 {unit.name} 的上级）"
        problems.append(_problem(message, origin, "parent") if with_file
                        else Problem(message, row=origin.row or None, field="parent"))  # fmt: skip
    return problems


def _problem(message: str, origin: Origin, field: str) -> Problem:
    prefix = f"{origin.file}：" if origin.file else ""
    return Problem(prefix + message, row=origin.row or None, field=field)

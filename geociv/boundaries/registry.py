"""The register of boundary lines (行政区域界线) kept in the store, with versions.

Lines come from three sources: ``derived`` from division polygons
(:func:`geociv.boundaries.lines.derive_lines`), ``surveyed`` (a 勘界 file with both sides'
codes), or ``sample`` (made up for the demo, labelled 示例). They live in the ``boundary_lines``
layer of the GeoPackage (MultiLineString, EPSG:4490; QGIS opens it).

Line ids
--------
A line keeps its id across versions: the two sides' adcodes, lower first, joined by ``-``
(``411702-411725`` for 驿确线). An edge line, with one known side only, is ``<code>-edge``.
When two divisions share more than one separate stretch of line, the second and later
stretches get ``-2``, ``-3`` … (``411702-411725-2``). Re-deriving matches stretches to the
stored ones by shape, so ids stay put.

Versions
--------
Nothing is overwritten. Storing the same geometry and fields again changes nothing; a
different geometry (a re-survey, 勘界, or changed polygons) closes the current version
(``valid_to``) and adds the next one. A derivation never replaces a surveyed (or sample) line:
the survey is the authority. Lines that a derivation no longer finds between divisions it covers are
closed.

Examples
--------
>>> import tempfile, pathlib
>>> import geopandas as gpd
>>> from shapely import box
>>> from geociv.store import open_store
>>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "l.gpkg")
>>> frame = gpd.GeoDataFrame({"code": ["411702", "411725"], "name": ["驿城区", "确山县"]},
...                          geometry=[box(114.0, 32.9, 114.1, 33.0),
...                                    box(114.1, 32.9, 114.2, 33.0)], crs="EPSG:4490")
>>> lines = BoundaryLines(store)
>>> lines.derive_from_divisions(frame, actor="doc", include_edge=False, on="2026-01-05")
LineChanges(inserted=1, versioned=0, unchanged=0, closed=0, kept=0)
>>> lines.derive_from_divisions(frame, actor="doc", include_edge=False, on="2026-01-06")
LineChanges(inserted=0, versioned=0, unchanged=1, closed=0, kept=0)
>>> current = lines.current()
>>> list(current["line_id"]), list(current["name"]), round(float(current["length_km"][0]), 2)
(['411702-411725'], ['驿确线'], 11.09)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import LineString, MultiLineString
from shapely.geometry.base import BaseGeometry

from geociv import crs as _crs
from geociv.authority import code_prefix as code_prefix
from geociv.authority import lines_outside, refuse_rows, require, require_line
from geociv.authority import side_of as side_of
from geociv.authority import side_unit as side_unit
from geociv.authority import within as within
from geociv.boundaries.lines import derive_lines, line_level, line_name
from geociv.divisions import normalize_code, read_vector
from geociv.errors import AdcodeError, InputFileError, NotFoundError, Problem, ValidationError
from geociv.fields import check_day
from geociv.store import LINE_LEVELS, BoundaryLine, Store

#: A line id: both sides' codes (lower first, or ``edge``) and an optional stretch number.
LINE_ID = re.compile(r"^(?P<a>\d{6})-(?P<b>\d{6}|edge)(?:-(?P<n>[2-9]|[1-9]\d))?$")

#: Columns of a surveyed-lines file, English or Chinese.
SURVEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "left": ("left", "left_code", "左侧", "左侧代码", "左侧区划代码"),
    "right": ("right", "right_code", "右侧", "右侧代码", "右侧区划代码"),
    "line_id": ("line_id", "界线编号", "界线代码"),
    "name": ("name", "界线名称", "名称"),
    "surveyed_on": ("surveyed_on", "valid_from", "勘界日期", "启用日期"),
    "note": ("note", "备注"),
}

#: Columns of :meth:`BoundaryLines.current`.
FRAME_COLUMNS = (
    "line_id",
    "version",
    "name",
    "section",
    "left",
    "right",
    "level",
    "internal",
    "length_km",
    "source",
    "valid_from",
)


def make_line_id(a: str, b: str | None, stretch: int = 1) -> str:
    """The id of the ``stretch``-th line between divisions ``a`` and ``b`` (``None`` or ``""``
    for an edge line).

    >>> make_line_id("411725", "411702"), make_line_id("411721", "")
    ('411702-411725', '411721-edge')
    >>> make_line_id("411702", "411725", 2)
    '411702-411725-2'
    """
    base = f"{a}-edge" if not b else "-".join(sorted((a, b)))
    return base if stretch == 1 else f"{base}-{stretch}"


def parse_line_id(text: str) -> tuple[str, str, int] | None:
    """``(a, b, stretch)`` of a line id (``b`` is ``""`` for an edge line), or ``None`` if
    ``text`` is not one.

    >>> parse_line_id("411702-411725-2"), parse_line_id("驿确线")
    (('411702', '411725', 2), None)
    """
    m = LINE_ID.match(text.strip())
    if m is None:
        return None
    a, b = m["a"], m["b"]
    if b != "edge" and a >= b:
        return None
    return a, "" if b == "edge" else b, int(m["n"] or 1)


@dataclass(frozen=True)
class LineChanges:
    """What a derivation or an import did: lines ``inserted`` (new ids), ``versioned`` (a new
    version closing the old one), ``unchanged``, ``closed`` (no longer found) and ``kept``
    (surveyed lines a derivation left alone)."""

    inserted: int = 0
    versioned: int = 0
    unchanged: int = 0
    closed: int = 0
    kept: int = 0

    @property
    def changed(self) -> int:
        """Lines written or closed."""
        return self.inserted + self.versioned + self.closed


@dataclass
class _Surveyed:
    """The rows of a surveyed file that make up one line."""

    a: str
    b: str
    day: str
    parts: list[BaseGeometry] = field(default_factory=list)
    name: str = ""
    note: str = ""

    def add(
        self,
        row: Mapping[str, object],
        columns: Mapping[str, str],
        geometry: BaseGeometry,
        day: str,
    ) -> None:
        """Join a row: its geometry, the latest survey day, its name and note when given."""
        self.parts.append(geometry)
        self.day = max(self.day, day)
        for key in ("name", "note"):
            if key in columns and not _blank(row[columns[key]]):
                setattr(self, key, str(row[columns[key]]).strip())


class _SurveyCheck:
    """What the rows of a surveyed file are checked against: the file's columns, the default
    survey day, the current lines (by id and by pair of sides) and the divisions' names."""

    def __init__(self, store: Store, columns: dict[str, str], default_day: str | None) -> None:
        self.store = store
        self.columns = columns
        self.default_day = default_day
        stored = store.query_boundary_lines(current_only=True)
        self.current = {line.line_id: line for line in stored}
        self.by_pair: dict[str, list[BoundaryLine]] = {}
        for line in stored:
            self.by_pair.setdefault(make_line_id(line.left_code, line.right_code), []).append(line)
        self._names: dict[str, str | None] = {}

    def division_name(self, code: str) -> str | None:
        """The stored name of a division, ``None`` when it is not in the store."""
        if code not in self._names:
            division = self.store.get_division(code)
            self._names[code] = None if division is None else division.name
        return self._names[code]

    def sides(self, row: Mapping[str, object], i: int) -> tuple[list[str], list[Problem]]:
        """The codes of both sides of row ``i`` (known divisions, not the same one)."""
        sides, problems = [], []
        for key in ("left", "right"):
            column = self.columns[key]
            try:
                code = normalize_code("" if _blank(row[column]) else str(row[column]))
            except AdcodeError as exc:
                problems.append(Problem(str(exc), row=i, field=column))
                continue
            if self.division_name(code) is None:
                problems.append(
                    Problem(f"区划 {code} 不在库中（先导入区划代码）", row=i, field=column)
                )
                continue
            sides.append(code)
        if len(sides) == 2 and sides[0] == sides[1]:
            problems.append(
                Problem(f"界线两侧是同一区划 {sides[0]}", row=i, field=self.columns["right"])
            )
        return sides, problems


def _survey_geometry_problems(geometry: BaseGeometry | None, i: int) -> list[Problem]:
    """What is wrong with the geometry of row ``i`` of a surveyed file: none, not a line, or
    of length 0."""
    if geometry is None or geometry.is_empty:
        return [Problem("几何为空", row=i, field="geometry")]
    if not isinstance(geometry, LineString | MultiLineString):
        message = f"几何类型应为线（LineString/MultiLineString），而不是 {geometry.geom_type}"
        return [Problem(message, row=i, field="geometry")]
    if geometry.length == 0:
        return [Problem("线的长度为 0", row=i, field="geometry")]
    return []


def _blank(value: object) -> bool:
    """Whether a cell read from a file is empty (None, NaN, NaT or blank text)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _day_text(value: object) -> str:
    """A date cell as text: dates and timestamps (GDAL reads date fields as such) as
    ``YYYY-MM-DD``, a ``YYYY-MM-DD 00:00:00`` text as its day, other text as is."""
    if hasattr(value, "date") and callable(value.date):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}[ T]00:00(:00)?$", text):
        return text[:10]
    return text


def _stretch_id(base: str, stretch: int) -> str:
    return base if stretch == 1 else f"{base}-{stretch}"


def _multiline(geometry: BaseGeometry) -> MultiLineString:
    if isinstance(geometry, LineString):
        return MultiLineString([geometry])
    if isinstance(geometry, MultiLineString):
        return geometry
    parts = [g for g in shapely.get_parts(geometry) if isinstance(g, LineString)]
    return MultiLineString(parts)


def _match_stretches(new: list[BaseGeometry], old: list[BoundaryLine]) -> dict[int, BoundaryLine]:
    """Pair new stretches with stored lines of the same two divisions by shape (smallest
    Hausdorff distance first); new stretches without a partner are absent from the result."""
    if not old:
        return {}
    if len(new) == 1 and len(old) == 1:
        return {0: old[0]}
    pairs = sorted(
        (shapely.hausdorff_distance(g, o.geometry), i, j)
        for i, g in enumerate(new)
        for j, o in enumerate(old)
        if o.geometry is not None
    )
    out: dict[int, BoundaryLine] = {}
    used: set[int] = set()
    for _, i, j in pairs:
        if i not in out and j not in used:
            out[i] = old[j]
            used.add(j)
    return out


def _derive_day(frame: gpd.GeoDataFrame, on: str | date | None, code_column: str) -> date:
    """The day derived lines take effect, the frame's code column checked."""
    problems: list[Problem] = []
    day = check_day(on, "on", problems)
    if code_column not in frame.columns:
        problems.append(Problem(f"区划数据缺少代码列 {code_column!r}", field=code_column))
    if problems:
        raise ValidationError(problems, title="界线推算参数有误")
    assert day is not None
    return day


def _stretch_ids(
    derived: gpd.GeoDataFrame, stored: list[BoundaryLine], taken: set[str]
) -> list[tuple[int, str, BoundaryLine | None]]:
    """Each derived row's line id: the stored stretch it matches, else the next free one.

    Returns ``(row, line_id, matched stored line or None)`` grouped by pair of sides;
    ``taken`` (every line id ever used) receives the new ids.
    """
    by_pair: dict[str, list[BoundaryLine]] = {}
    for line in stored:
        by_pair.setdefault(make_line_id(line.left_code, line.right_code), []).append(line)
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(derived.itertuples(index=False)):
        groups.setdefault(make_line_id(row.left, row.right), []).append(i)
    out: list[tuple[int, str, BoundaryLine | None]] = []
    for base, rows in groups.items():
        matched = _match_stretches([derived.geometry.iloc[i] for i in rows], by_pair.get(base, []))
        stretch = 1
        for k, i in enumerate(rows):
            old = matched.get(k)
            if old is not None:
                line_id = old.line_id
            else:
                while _stretch_id(base, stretch) in taken:
                    stretch += 1
                line_id = _stretch_id(base, stretch)
                taken.add(line_id)
            out.append((i, line_id, old))
    return out


def _derived_line(
    row: pd.Series, line_id: str, old: BoundaryLine | None, day: date
) -> BoundaryLine:
    """The new version of a derived line from its row of :func:`derive_lines`."""
    left, right, section = str(row["left"]), str(row["right"]), str(row["section"])
    if old is not None and bool(row["internal"]) and old.left_code == right:
        # both sides are the jurisdiction's: keep the stored orientation
        left, right = right, left
        section = "—".join(section.split("—")[::-1])
    return BoundaryLine(
        line_id=line_id,
        name=str(row["name"]),
        left_code=left,
        right_code=right,
        level=str(row["level"]),
        length_km=round(float(row["length_km"]), 6),
        section=section,
        internal=bool(row["internal"]),
        source="derived",
        valid_from=day,
        geometry=_multiline(row.geometry),
    )


def _no_longer_derived(
    stored: list[BoundaryLine],
    produced: set[str],
    covered: set[str],
    inside: set[str] | None,
    include_edge: bool,
) -> list[str]:
    """Ids of stored derived lines between the frame's divisions that were not derived again."""
    own = inside if inside is not None else covered
    return [
        line.line_id
        for line in stored
        if line.source == "derived"
        and line.line_id not in produced
        and line.left_code in covered
        and (line.right_code in covered if line.right_code else include_edge)
        and (line.left_code in own or line.right_code in own)
    ]


class BoundaryLines:
    """Boundary lines kept in a :class:`~geociv.store.Store`, with their versions."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- reads -----------------------------------------------------------------------------
    def get(self, line_id: str) -> BoundaryLine:
        """The current version of a line; ``LookupError`` if it has none."""
        line = self.store.get_boundary_line(line_id.strip())
        if line is None:
            raise NotFoundError(f"未找到现行界线 {line_id}")
        return line

    def find(self, text: str) -> list[BoundaryLine]:
        """Current lines whose id or name is ``text`` (a name may fit several stretches)."""
        key = (text or "").strip()
        if not key:
            return []
        if parse_line_id(key) is not None:
            line = self.store.get_boundary_line(key)
            return [] if line is None else [line]
        return [
            line for line in self.store.query_boundary_lines(with_geometry=True) if line.name == key
        ]

    def history(self, line_id: str) -> list[BoundaryLine]:
        """Every version of a line, oldest first; ``LookupError`` if there is none."""
        versions = self.store.boundary_line_versions(line_id.strip())
        if not versions:
            raise NotFoundError(f"未找到界线 {line_id}")
        return versions

    def current(
        self,
        parent: str | None = None,
        level: str | None = None,
        bbox: Sequence[float] | None = None,
    ) -> gpd.GeoDataFrame:
        """The lines in force as a GeoDataFrame in EPSG:4490.

        Parameters
        ----------
        parent
            Only lines with a side inside this division (adcode).
        level
            ``provincial``, ``city``, ``county`` or ``edge``.
        bbox
            Only lines whose extent meets this box (minx, miny, maxx, maxy; the store's
            spatial index answers).

        Returns
        -------
        GeoDataFrame
            Columns :data:`FRAME_COLUMNS` (``left``/``right`` are the sides' codes, ``right``
            empty on an edge line) and MultiLineString geometry, ordered by line id.
        """
        if level is not None and level not in LINE_LEVELS:
            raise ValidationError(
                Problem(f"未知的界线级别 {level!r}；可用：{', '.join(LINE_LEVELS)}", field="level")
            )
        prefix = None
        if parent is not None:
            try:
                prefix = code_prefix(normalize_code(parent))
            except AdcodeError as exc:
                raise ValidationError(Problem(str(exc), field="parent")) from None
        lines = self.store.query_boundary_lines(division_prefix=prefix, level=level, bbox=bbox)
        return to_frame(lines)

    # -- derivation ------------------------------------------------------------------------
    def derive_from_divisions(
        self,
        frame: gpd.GeoDataFrame,
        *,
        actor: str,
        names: Mapping[str, str] | None = None,
        inside: set[str] | None = None,
        abbreviations: Mapping[str, str] | None = None,
        official: Mapping[tuple[str, str], str] | None = None,
        include_edge: bool = True,
        code_column: str = "code",
        on: str | date | None = None,
    ) -> LineChanges:
        """Derive the lines between adjacent divisions and store them (idempotent).

        Parameters
        ----------
        frame
            Division polygons of one level (e.g. ``Divisions(store).frame(parent="411700",
            level="county")``) with a code column and ``name``.
        actor
            Who derives.
        names, inside, abbreviations, official, include_edge, code_column
            As for :func:`~geociv.boundaries.lines.derive_lines`; names of the cities and
            provinces used in city and provincial line names are taken from the store when
            not given.
        on
            Date the new versions take effect (default today).

        Returns
        -------
        LineChanges
            Same geometry and fields → ``unchanged``; surveyed lines are ``kept``; lines
            between the frame's divisions no longer found are ``closed``.
        """
        day = _derive_day(frame, on, code_column)
        frame = _crs.to_storage_crs(frame, None).reset_index(drop=True)
        codes = [str(c) for c in frame[code_column]]
        label = self._unit_names(codes)
        label.update(names or {})
        derived = derive_lines(
            frame,
            code_column=code_column,
            names=label,
            abbreviations=abbreviations,
            official=official,
            include_edge=include_edge,
            inside=inside,
        )
        stored = self.store.query_boundary_lines(current_only=True)
        every = self.store.query_boundary_lines(current_only=False, with_geometry=False)
        records: list[BoundaryLine] = []
        produced: set[str] = set()
        kept = 0
        for i, line_id, old in _stretch_ids(derived, stored, {line.line_id for line in every}):
            produced.add(line_id)
            if old is not None and old.source != "derived":
                kept += 1
                continue
            records.append(_derived_line(derived.iloc[i], line_id, old, day))
        self._require_lines(actor, records, "lines.derive")
        counts = self.store.save_boundary_lines(records, on=day, actor=actor, action="lines.derive")
        gone = _no_longer_derived(stored, produced, set(codes), inside, include_edge)
        closed = self.store.close_boundary_lines(
            gone, on=day, actor=actor, note="重新推算时已不存在"
        )
        return LineChanges(counts.inserted, counts.updated, counts.unchanged, closed, kept)

    def _require_lines(self, actor: str, records: list[BoundaryLine], what: str) -> None:
        """Lines are registered by inspectors of one of their sides."""
        who = require(self.store, actor, ("inspector",), what=what)
        refuse_rows(self.store, who, lines_outside(who, [(None, r) for r in records], "line_id"),
                    what)  # fmt: skip

    def _unit_names(self, codes: Iterable[str]) -> dict[str, str]:
        """Names of the cities and provinces of ``codes`` that the store holds."""
        out: dict[str, str] = {}
        for code in {c[:4] + "00" for c in codes} | {c[:2] + "0000" for c in codes}:
            division = self.store.get_division(code)
            if division is not None:
                out[code] = division.name
        return out

    # -- surveyed lines (勘界) ----------------------------------------------------------------
    def import_surveyed(
        self,
        path: str | Path,
        *,
        actor: str,
        declared_crs: str | None = None,
        surveyed_on: str | date | None = None,
        note: str = "",
        sample: bool = False,
        inside: set[str] | None = None,
        official: Mapping[tuple[str, str], str] | None = None,
    ) -> LineChanges:
        """Import surveyed lines (GeoJSON, GeoPackage or Shapefile) as new versions.

        The file needs the codes of both sides (``left``/``right`` or 左侧/右侧 …), optionally
        ``line_id`` (界线编号), ``name`` (界线名称; default the official name from
        ``official`` or the 简称+线 convention), ``surveyed_on`` (勘界日期) and ``note``.
        Rows without a line id go to the line of their two divisions (by shape when they share
        several stretches); rows of the same line are joined. The CRS must be declared in the
        file or by ``declared_crs`` (:func:`geociv.crs.to_storage_crs`). A line already in
        the register keeps its orientation and ``internal`` flag; a new one is ``internal``
        when both sides are in ``inside`` (default: always), and its side in ``inside`` is
        the left one. ``sample`` stores the lines as made-up demo lines (示例).

        Every row is checked before anything is written; each problem is reported with its
        row and field and nothing is stored. An unchanged line stays as it is; a changed one
        gets a new version and the old version is closed on the survey date.

        Raises
        ------
        InputFileError
            The file cannot be read or lacks the side columns.
        CRSError, CoordinateRangeError
            Undeclared or contradictory CRS, coordinates outside China.
        ValidationError
            Row problems (bad or unknown codes, both sides equal, not a line, empty geometry,
            a line id that does not fit the sides, bad dates).
        """
        path = Path(path)
        title = f"{path.name} 有误，未导入任何数据"
        problems: list[Problem] = []
        default_day = check_day(surveyed_on, "surveyed_on", problems)
        if problems:
            raise ValidationError(problems, title=title)
        frame = _crs.to_storage_crs(read_vector(path), declared_crs)
        columns = _map_columns(list(frame.columns), SURVEY_COLUMNS, path.name, ("left", "right"))
        survey = _SurveyCheck(self.store, columns, default_day)
        wanted: dict[str, _Surveyed] = {}
        for i, row in enumerate(frame.to_dict("records"), start=1):
            geometry = row[frame.geometry.name]
            line_id, sides, day, row_problems = self._check_survey_row(survey, row, i, geometry)
            problems += row_problems
            if row_problems or line_id is None:
                continue
            entry = wanted.setdefault(line_id, _Surveyed(sides[0], sides[1], str(day)))
            entry.add(row, columns, geometry, str(day))
        if problems:
            raise ValidationError(problems, title=title)
        records = [
            self._surveyed_line(survey, line_id, entry, inside=inside, official=official,
                                source="sample" if sample else "surveyed", note=note)
            for line_id, entry in wanted.items()
        ]  # fmt: skip
        self._require_lines(actor, records, "lines.survey")
        counts = self.store.save_boundary_lines(
            records, on=str(default_day), actor=actor, action="lines.survey"
        )
        return LineChanges(counts.inserted, counts.updated, counts.unchanged)

    def _check_survey_row(
        self, survey: _SurveyCheck, row: Mapping[str, object], i: int, geometry: BaseGeometry
    ) -> tuple[str | None, list[str], str | None, list[Problem]]:
        """Check row ``i`` of a surveyed file: its line id, its two sides, its survey day and
        the problems found (row and field named)."""
        columns = survey.columns
        sides, problems = survey.sides(row, i)
        problems += _survey_geometry_problems(geometry, i)
        day = survey.default_day
        if "surveyed_on" in columns and not _blank(row[columns["surveyed_on"]]):
            found: list[Problem] = []
            day = check_day(_day_text(row[columns["surveyed_on"]]), columns["surveyed_on"], found)
            problems += [Problem(p.message, row=i, field=p.field) for p in found]
        if problems:
            return None, sides, day, problems
        line_id = self._survey_target(row, columns, sides, geometry, survey.by_pair, i, problems)
        old = survey.current.get(line_id or "")
        if old is not None and day is not None and day < old.valid_from:
            problems.append(
                Problem(
                    f"勘界日期 {day} 早于界线 {line_id} 现行版本的启用日期 {old.valid_from}",
                    row=i,
                    field=columns.get("surveyed_on", "surveyed_on"),
                )
            )
        return line_id, sides, day, problems

    def _surveyed_line(
        self,
        survey: _SurveyCheck,
        line_id: str,
        entry: _Surveyed,
        *,
        inside: set[str] | None,
        official: Mapping[tuple[str, str], str] | None,
        source: str,
        note: str,
    ) -> BoundaryLine:
        """The new version of ``line_id`` from its surveyed rows: a line in the register keeps
        its orientation and ``internal`` flag; a new one has its side in ``inside`` on the left."""
        geometry = _multiline(shapely.line_merge(_multiline(shapely.union_all(entry.parts))))
        old = survey.current.get(line_id)
        a, b = entry.a, entry.b
        if (old is not None and old.left_code == b) or (
            old is None and inside is not None and a not in inside and b in inside
        ):
            a, b = b, a
        level = line_level(a, b)
        names = {a: survey.division_name(a) or a, b: survey.division_name(b) or b}
        names.update(self._unit_names([a, b]))
        internal = old.internal if old is not None else inside is None or {a, b} <= inside
        return BoundaryLine(
            line_id=line_id,
            name=entry.name or line_name(a, b, level, names, None, official),
            left_code=a,
            right_code=b,
            level=level,
            length_km=round(float(_crs.length_km([geometry])[0]), 6),
            section=f"{names[a]}—{names[b]}",
            internal=internal,
            source=source,
            valid_from=entry.day,
            note=(entry.note or note).strip(),
            geometry=geometry,
        )

    def _survey_target(
        self,
        row: Mapping[str, object],
        columns: Mapping[str, str],
        sides: list[str],
        geometry: BaseGeometry,
        by_pair: Mapping[str, list[BoundaryLine]],
        i: int,
        problems: list[Problem],
    ) -> str | None:
        """The line id a surveyed row belongs to (problems appended when it cannot tell)."""
        base = make_line_id(*sides)
        given = row.get(columns["line_id"]) if "line_id" in columns else None
        if not _blank(given):
            text = str(given).strip()
            parsed = parse_line_id(text)
            if parsed is None:
                problems.append(
                    Problem(
                        f"界线编号 {text!r} 格式有误：应为两侧代码（小者在前）加可选的段号，"
                        "如 411702-411725 或 411702-411725-2",
                        row=i,
                        field=columns["line_id"],
                    )
                )
                return None
            if make_line_id(parsed[0], parsed[1]) != base:
                problems.append(
                    Problem(
                        f"界线编号 {text} 与两侧代码 {sides[0]}、{sides[1]} 不符",
                        row=i,
                        field=columns["line_id"],
                    )
                )
                return None
            return text
        candidates = by_pair.get(base, [])
        if len(candidates) <= 1:
            return candidates[0].line_id if candidates else base
        best = min(candidates, key=lambda c: shapely.hausdorff_distance(geometry, c.geometry))
        return best.line_id

    # -- retirement ------------------------------------------------------------------------
    def close(
        self, line_id: str, *, actor: str, reason: str, on: str | date | None = None
    ) -> BoundaryLine:
        """Close the current version of a line that no longer exists (e.g. after a merger of
        divisions); the line and its history stay in the store."""
        problems: list[Problem] = []
        line = self.store.get_boundary_line((line_id or "").strip())
        if line is None:
            problems.append(Problem(f"未找到现行界线 {line_id}", field="line_id"))
        day = check_day(on, "on", problems, not_before=line.valid_from if line else None,
                        not_before_label="启用")  # fmt: skip
        if not (reason or "").strip():
            problems.append(Problem("须填写停用原因", field="reason"))
        if problems:
            raise ValidationError(problems, title="界线停用有误")
        assert line is not None and day is not None
        require_line(self.store, actor, line, what="lines.close")
        self.store.close_boundary_lines([line.line_id], on=day, actor=actor, note=reason.strip())
        closed = self.store.get_boundary_line(line.line_id, line.version)
        assert closed is not None
        return closed


def to_frame(lines: Iterable[BoundaryLine]) -> gpd.GeoDataFrame:
    """Line records as a GeoDataFrame in EPSG:4490 with :data:`FRAME_COLUMNS`."""
    rows = list(lines)
    data = {
        "line_id": [r.line_id for r in rows],
        "version": [r.version for r in rows],
        "name": [r.name for r in rows],
        "section": [r.section for r in rows],
        "left": [r.left_code for r in rows],
        "right": [r.right_code for r in rows],
        "level": [r.level for r in rows],
        "internal": [r.internal for r in rows],
        "length_km": np.array([r.length_km for r in rows], dtype=float),
        "source": [r.source for r in rows],
        "valid_from": [r.valid_from for r in rows],
    }
    return gpd.GeoDataFrame(
        pd.DataFrame(data, columns=list(FRAME_COLUMNS)),
        geometry=[r.geometry for r in rows],
        crs=_crs.STORAGE_CRS,
    )


def _map_columns(
    header: list[str],
    aliases: Mapping[str, tuple[str, ...]],
    filename: str,
    required: tuple[str, ...],
) -> dict[str, str]:
    """Canonical column name → the file's column, raising :class:`InputFileError` when a
    required one is missing."""
    cleaned = {str(h).strip().lstrip("\ufeff"): str(h) for h in header}
    lowered = {k.lower(): v for k, v in cleaned.items()}
    found: dict[str, str] = {}
    for key, names in aliases.items():
        for alias in names:
            if alias in cleaned:
                found[key] = cleaned[alias]
                break
            if alias.lower() in lowered:
                found[key] = lowered[alias.lower()]
                break
    missing = [k for k in required if k not in found]
    if missing:
        raise InputFileError(
            [Problem(f"缺少列 {k}（可写作 {'、'.join(aliases[k])}）", field=k) for k in missing],
            title=f"{filename} 缺少必需的列",
        )
    return found

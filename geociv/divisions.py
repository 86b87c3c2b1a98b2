"""行政区划: the adcode hierarchy (province → city → county → township → village).

Codes are GB/T 2260 six-digit adcodes for province, city and county, and the National Bureau of
Statistics' 9-digit (township) and 12-digit (village/community) codes below them.

Examples
--------
>>> level_of("411702"), parent_of("411702"), parent_of("411702001"), parent_of("411702001002")
('county', '411700', '411702', '411702001')
>>> normalize_code("4117")
'411700'
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
from shapely import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geociv import crs as _crs
from geociv.authority import problems_outside, refuse_rows, require
from geociv.errors import (
    AdcodeError,
    InputFileError,
    Problem,
    UnknownDivisionError,
    ValidationError,
)
from geociv.store import LEVELS, Division, DivisionVersion, Store, UpsertCounts
from geociv.uploads.sniff import Kind

#: First two digits of every province-level unit in GB/T 2260.
PROVINCE_PREFIXES = frozenset(
    ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
     "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
     "65", "71", "81", "82")
)  # fmt: skip

#: Columns a division code list (CSV) must have.
CODE_LIST_COLUMNS = ("code", "name")


def normalize_code(code: str | int) -> str:
    """Return the canonical form of a division code, or raise :class:`AdcodeError`.

    Two- and four-digit NBS province and city codes are padded to six digits
    (``41`` → ``410000``, ``4117`` → ``411700``).
    """
    text = str(code).strip()
    if not text.isdigit() or not text.isascii():
        raise AdcodeError(f"区划代码 {text!r} 应只含数字")
    if len(text) in (2, 4):
        text = text.ljust(6, "0")
    if len(text) not in (6, 9, 12):
        raise AdcodeError(
            f"区划代码 {text!r} 长度为 {len(text)}："
            "应为 6 位（省/市/县）、9 位（乡镇）或 12 位（村/社区）"
        )
    if text[:2] not in PROVINCE_PREFIXES:
        raise AdcodeError(f"区划代码 {text!r} 的前两位 {text[:2]} 不是有效的省级代码")
    if len(text) == 6 and text[2:4] == "00" and text[4:] != "00":
        raise AdcodeError(f"区划代码 {text!r} 无效：地级位为 00 时县级位也应为 00")
    if len(text) > 6 and text[6:9] == "000":
        raise AdcodeError(f"区划代码 {text!r} 无效：乡级位不能为 000")
    if len(text) == 12 and text[9:] == "000":
        raise AdcodeError(f"区划代码 {text!r} 无效：村级位不能为 000")
    return text


def level_of(code: str | int) -> str:
    """The level (``province``/``city``/``county``/``township``/``village``) of a code."""
    text = normalize_code(code)
    if len(text) == 12:
        return "village"
    if len(text) == 9:
        return "township"
    if text.endswith("0000"):
        return "province"
    if text.endswith("00"):
        return "city"
    return "county"


def parent_of(code: str | int) -> str | None:
    """The code of the division directly above, from the code alone (``None`` for a province).

    County-level units directly under a province (city digits ``90``, e.g. 济源市 419001) have
    the province as parent.
    """
    text = normalize_code(code)
    level = level_of(text)
    if level == "village":
        return text[:9]
    if level == "township":
        return text[:6]
    if level == "county":
        return text[:2] + "0000" if text[2:4] == "90" else text[:4] + "00"
    if level == "city":
        return text[:2] + "0000"
    return None


def division_record(code: str | int, name: str, **fields: object) -> Division:
    """A :class:`Division` whose level and parent follow from its code.

    >>> division_record("411702", "驿城区").parent_code
    '411700'
    """
    text = normalize_code(code)
    return Division(
        code=text, name=name, level=level_of(text), parent_code=parent_of(text), **fields
    )  # type: ignore[arg-type]


class Divisions:
    """Look-ups and loading of divisions over a :class:`~geociv.store.Store`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from geociv.store import open_store
    >>> divs = Divisions(open_store(pathlib.Path(tempfile.mkdtemp()) / "s.gpkg"))
    >>> _ = divs.load_records([Division("410000", "河南省", "province", None)], actor="doc")
    >>> divs.get("41").name
    '河南省'
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- look-ups --------------------------------------------------------------------------
    def get(self, code: str | int, *, on: str | None = None) -> Division:
        """The division with ``code`` (with ``on``, ``YYYY-MM-DD``: its version in force that
        day); :class:`UnknownDivisionError` if the store lacks it (or it was not in force)."""
        text = normalize_code(code)
        division = self.store.get_division(text, on=on)
        if division is None:
            when = f"（{on} 时不在册）" if on else ""
            raise UnknownDivisionError(f"未找到区划代码 {text}{when}")
        return division

    def find(
        self,
        name: str,
        *,
        match: str = "exact",
        level: str | None = None,
        within: str | int | None = None,
        limit: int = 50,
        on: str | None = None,
    ) -> list[Division]:
        """Divisions by name (``exact``, ``prefix`` or ``contains``), optionally inside
        ``within``; in force now, or with ``on`` that day."""
        if match not in ("exact", "prefix", "contains"):
            raise ValueError(f"match 应为 exact/prefix/contains，而不是 {match!r}")
        self._check_level(level)
        name = name.strip()
        if not name:
            raise ValueError("名称不能为空")
        return self.store.query_divisions(
            name=name,
            match=match,
            level=level,
            with_geometry=False,
            limit=limit,
            within=None if within is None else self._code_prefix(normalize_code(within)),
            on=on,
        )

    def children(
        self,
        code: str | int,
        *,
        level: str | None = None,
        include_statistical: bool = True,
        with_geometry: bool = False,
        on: str | None = None,
    ) -> list[Division]:
        """Direct children of ``code`` (or, with ``level``, all descendants at that level); in
        force now, or with ``on`` that day."""
        parent = self.get(code, on=on)
        self._check_level(level)
        if level is None or LEVELS.index(level) == LEVELS.index(parent.level) + 1:
            return self.store.query_divisions(
                parent=parent.code,
                level=level,
                include_statistical=include_statistical,
                with_geometry=with_geometry,
                on=on,
            )
        if LEVELS.index(level) <= LEVELS.index(parent.level):
            raise ValidationError(
                Problem(f"{level} 不在 {parent.name}（{parent.level}）之下", field="level"),
                title="查询参数有误",
            )
        return self.store.query_divisions(
            level=level,
            include_statistical=include_statistical,
            with_geometry=with_geometry,
            within=self._code_prefix(parent.code),
            on=on,
        )

    def versions(self, code: str | int) -> list[DivisionVersion]:
        """The earlier versions of ``code`` (name, level, parent before each change), oldest
        first."""
        return self.store.division_versions(normalize_code(code))

    def counts(self, code: str | int, *, include_statistical: bool = True) -> dict[str, int]:
        """Number of divisions under ``code`` per level (counted by the store, no rows read)."""
        parent = self.get(code)
        counts = self.store.count_divisions(
            within=self._code_prefix(parent.code), include_statistical=include_statistical
        )
        return {level: n for level, n in counts.items() if level != parent.level}

    def ancestors(self, code: str | int, *, on: str | None = None) -> list[Division]:
        """The chain of divisions above ``code``, from the province down (those the store has;
        with ``on``, as they were that day)."""
        chain = []
        parent = parent_of(code)
        while parent is not None:
            division = self.store.get_division(parent, on=on)
            if division is not None:
                chain.append(division)
            parent = parent_of(parent)
        return chain[::-1]

    def frame(
        self,
        *,
        parent: str | int | None = None,
        level: str | None = None,
        include_statistical: bool = False,
        with_geometry: bool = True,
    ) -> gpd.GeoDataFrame:
        """Divisions as a GeoDataFrame in EPSG:4490 (columns code, name, level, parent_code,
        kind, area_km2, geometry; no polygons read without ``with_geometry``)."""
        rows = (
            self.children(
                parent,
                level=level,
                include_statistical=include_statistical,
                with_geometry=with_geometry,
            )
            if parent is not None
            else self.store.query_divisions(
                level=self._check_level(level),
                include_statistical=include_statistical,
                with_geometry=with_geometry,
            )
        )
        return to_frame(rows)

    def meeting(self, area: BaseGeometry, *, level: str | None = None) -> gpd.GeoDataFrame:
        """The divisions (of ``level``) whose polygon meets ``area`` (EPSG:4490), as
        :meth:`frame` gives them: the store's spatial index reads only those whose extent
        meets the area's, shapely decides exactly."""
        rows = self.store.query_divisions(level=self._check_level(level), bbox=area.bounds)
        frame = to_frame(rows)
        return frame[frame.geometry.notna() & frame.intersects(area)].reset_index(drop=True)

    # -- loading ---------------------------------------------------------------------------
    def load_records(
        self, records: Iterable[Division], *, actor: str, rows: Sequence[int] | None = None
    ) -> UpsertCounts:
        """Write division records in one transaction (idempotent).

        Only administrators write divisions, and only inside their own division (a city
        administrator loads its counties, townships and villages); a record outside refuses
        the whole load with :class:`~geociv.errors.PermissionDeniedError`, naming the record
        by its file row when ``rows`` (one per record) are given, else by its position.
        """
        records = list(records)
        who = require(self.store, actor, ("admin",), what="divisions.load")
        numbers = list(rows) if rows is not None else range(1, len(records) + 1)
        codes = [(i, r.code) for i, r in zip(numbers, records, strict=True)]
        outside = problems_outside(who, codes, "code")
        refuse_rows(self.store, who, outside, "divisions.load")
        return self.store.upsert_divisions(records, actor=actor, action="divisions.load")

    def load_code_list(
        self, path: str | Path, *, actor: str, progress: bool = False, source: str = ""
    ) -> UpsertCounts:
        """Load a CSV code list (columns ``code,name`` and optionally ``kind``; UTF-8 or GBK).

        Every row is checked first; any problem aborts the whole load with all problems listed.
        Existing polygons are kept.
        """
        numbered = _code_list_rows(path, source=source or Path(path).name)
        known = {r.code for _, r in numbered}
        rows = [i for i, _ in numbered]
        stored = {r.code: self.store.get_division(r.code) for _, r in numbered}
        merged = [_keep_stored(r, stored[r.code]) for _, r in numbered]
        problems = [
            Problem(f"上级区划 {r.parent_code} 既不在文件中也不在库中", row=i, field="code")
            for i, r in zip(rows, merged, strict=True)
            if r.parent_code is not None
            and r.parent_code not in known
            and self.store.get_division(r.parent_code) is None
            and r.level != "city"
        ]
        problems += [
            p for i, r in zip(rows, merged, strict=True)
            if (p := _change_problem(i, r, stored[r.code])) is not None
        ]  # fmt: skip
        if problems:
            raise InputFileError(problems, title=f"区划代码表 {Path(path).name} 有误")
        return self.load_records(_progress(merged, progress, "区划代码"), actor=actor, rows=rows)

    def load_polygons(
        self,
        path: str | Path,
        *,
        actor: str,
        declared_crs: str | None = None,
        source: str = "",
    ) -> UpsertCounts:
        """Attach polygons from a vector file (GeoJSON, GeoPackage, …) to divisions.

        The file needs an ``adcode`` (or ``code``) column; ``name`` and ``level`` are optional
        (names and levels already in the store win when absent). The file's CRS must be declared
        in the file or by ``declared_crs`` (GCJ02/BD09 allowed). All rows are validated before any
        write.

        The counts are of boundaries: ``inserted`` the divisions that had no polygon before
        (known from a code list, or new), ``updated`` those whose polygon or record changed.
        """
        frame = read_vector(path)
        frame = _crs.to_storage_crs(frame, declared_crs)
        code_col = "adcode" if "adcode" in frame.columns else "code"
        if code_col not in frame.columns:
            raise InputFileError(
                Problem("缺少 adcode（或 code）列", field="adcode"),
                title=f"{Path(path).name} 无法导入",
            )
        problems: list[Problem] = []
        records: list[Division] = []
        new_boundaries = 0  # divisions without a polygon so far
        areas = _crs.area_km2(frame.geometry.values, crs=_crs.STORAGE_CRS)
        for i, (row, area) in enumerate(zip(frame.itertuples(index=False), areas, strict=True), 1):
            raw_code = getattr(row, code_col)
            try:
                code = normalize_code(raw_code)
            except AdcodeError as exc:
                problems.append(Problem(str(exc), row=i, field=code_col))
                continue
            geometry = row.geometry
            geom_problem = polygon_problem(geometry)
            if geom_problem:
                problems.append(Problem(geom_problem, row=i, field="geometry"))
                continue
            existing = self.store.get_division(code)
            name = str(getattr(row, "name", "") or "").strip() or (
                existing.name if existing else ""
            )
            if not name:
                problems.append(Problem(f"区划 {code} 没有名称，且库中也没有", row=i, field="name"))
                continue
            records.append(
                division_record(
                    code,
                    name,
                    kind=existing.kind if existing else "statutory",
                    geometry=_as_multipolygon(geometry),
                    area_km2=round(float(area), 3),
                    source=source or Path(path).name,
                )
            )
            new_boundaries += existing is None or existing.geometry is None
        if problems:
            raise InputFileError(problems, title=f"{Path(path).name} 有误，未导入任何数据")
        counts = self.load_records(records, actor=actor)
        # every division without a polygon before was written: a new boundary, not an update
        return UpsertCounts(new_boundaries, counts.changed - new_boundaries, counts.unchanged)

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _check_level(level: str | None) -> str | None:
        if level is not None and level not in LEVELS:
            raise ValueError(f"未知层级 {level!r}；可用：{', '.join(LEVELS)}")
        return level

    @staticmethod
    def _code_prefix(code: str) -> str:
        level = level_of(code)
        return {"province": code[:2], "city": code[:4], "county": code[:6]}.get(level, code)


def _keep_stored(record: Division, existing: Division | None) -> Division:
    """A loaded record over a stored one keeps the polygon and the version dates and links
    (a code list carries neither)."""
    if existing is None:
        return record
    return replace(
        record,
        geometry=existing.geometry if existing.geometry is not None else record.geometry,
        area_km2=existing.area_km2 if existing.geometry is not None else record.area_km2,
        source=existing.source or record.source,
        valid_from=existing.valid_from, valid_to=existing.valid_to,
        predecessors=existing.predecessors, change_case=existing.change_case,
    )  # fmt: skip


def _change_problem(row: int, record: Division, existing: Division | None) -> Problem | None:
    """A code list must not change a division silently: a new name (beyond a change of form,
    …街道办事处 → …街道), parent or level, or a retired code, is a division change case."""
    from geociv.changes.forms import same_but_form

    if existing is None:
        return None
    how = "请通过区划变更案件办理（geociv divisions changes）"
    if existing.valid_to is not None:
        return Problem(f"{record.code} 已于 {existing.valid_to} 撤销；{how}", row=row, field="code")
    if not same_but_form(existing.name, record.name):
        return Problem(
            f"{record.code} 库中名称为“{existing.name}”，名单中为“{record.name}”；{how}",
            row=row, field="name",
        )  # fmt: skip
    if (existing.parent_code, existing.level) != (record.parent_code, record.level):
        was, now = existing.parent_code, record.parent_code
        return Problem(
            f"{record.code} 库中上级为 {was}，名单中为 {now}；{how}", row=row, field="code"
        )
    return None


def to_frame(records: Iterable[Division]) -> gpd.GeoDataFrame:
    """Division records as a GeoDataFrame in EPSG:4490 (columns code, name, level,
    parent_code, kind, area_km2, geometry)."""
    rows = list(records)
    return gpd.GeoDataFrame(
        {
            "code": [d.code for d in rows],
            "name": [d.name for d in rows],
            "level": [d.level for d in rows],
            "parent_code": [d.parent_code for d in rows],
            "kind": [d.kind for d in rows],
            "area_km2": [d.area_km2 for d in rows],
        },
        geometry=[d.geometry for d in rows],
        crs=_crs.STORAGE_CRS,
    )


def read_text(path: str | Path) -> str:
    """Read a text file in UTF-8 (with or without BOM) or GBK/GB18030, bounded in size
    (:data:`geociv.uploads.limits.MAX_CSV_BYTES`), else raise :class:`InputFileError`."""
    from geociv.uploads.tables import read_text_bounded

    path = Path(path)
    if not path.is_file():
        raise InputFileError(Problem(f"文件不存在：{path}"), title="无法读取")
    return read_text_bounded(path, path.name)


def read_code_list(path: str | Path, *, source: str = "") -> Iterator[Division]:
    """Parse a division code list CSV into records; raise one error listing every bad row."""
    yield from (record for _, record in _code_list_rows(path, source=source))


def _code_list_rows(path: str | Path, *, source: str) -> list[tuple[int, Division]]:
    """The records of a code list CSV with their rows as Excel numbers them."""
    from geociv.uploads.tables import numbered_records

    header, rows = numbered_records(list(csv.reader(io.StringIO(read_text(path)))))
    missing = [c for c in CODE_LIST_COLUMNS if c not in header]
    if missing:
        raise InputFileError(
            [Problem(f"缺少列 {c}", field=c) for c in missing],
            title=f"{Path(path).name} 缺少必需的列",
        )
    problems: list[Problem] = []
    records: list[tuple[int, Division]] = []
    seen: dict[str, int] = {}
    for i, row in rows:
        name = (row.get("name") or "").strip()
        kind = (row.get("kind") or "statutory").strip()
        try:
            code = normalize_code(row.get("code") or "")
        except AdcodeError as exc:
            problems.append(Problem(str(exc), row=i, field="code"))
            continue
        if code in seen:
            problems.append(Problem(f"代码 {code} 与第 {seen[code]} 行重复", row=i, field="code"))
            continue
        seen[code] = i
        if not name:
            problems.append(Problem("名称为空", row=i, field="name"))
            continue
        if kind not in ("statutory", "statistical"):
            problems.append(
                Problem(f"kind 应为 statutory 或 statistical：{kind!r}", row=i, field="kind")
            )
            continue
        records.append((i, division_record(code, name, kind=kind, source=source)))
    if problems:
        raise InputFileError(problems, title=f"{Path(path).name} 有误，未导入任何数据")
    return records


def read_vector(
    path: str | Path, *, layer: str | None = None, kinds: Iterable[Kind] | None = None
) -> gpd.GeoDataFrame:
    """Read a vector file (GeoJSON, GeoPackage or zipped Shapefile, judged by content) through
    :func:`geociv.uploads.read_vector`: a checked private copy, GDAL fenced in; every failure
    is an :class:`InputFileError`."""
    from geociv import uploads

    path = Path(path)
    if not path.exists():
        raise InputFileError(Problem(f"文件不存在：{path}"), title="无法读取")
    return uploads.read_vector(path, kinds=kinds or uploads.VECTOR_KINDS, layer=layer)


def polygon_problem(geometry: BaseGeometry | None) -> str | None:
    """What is wrong with a geometry that should be a valid (multi)polygon, in Chinese, or
    ``None``.

    >>> from shapely.geometry import Point
    >>> polygon_problem(Point(0, 0))
    '几何类型应为面（Polygon/MultiPolygon），而不是 Point'
    """
    if geometry is None or geometry.is_empty:
        return "几何为空"
    if not isinstance(geometry, Polygon | MultiPolygon):
        return f"几何类型应为面（Polygon/MultiPolygon），而不是 {geometry.geom_type}"
    if not geometry.is_valid:
        from shapely.validation import explain_validity

        return f"几何无效：{explain_validity(geometry)}"
    return None


def _as_multipolygon(geometry: BaseGeometry) -> MultiPolygon:
    return geometry if isinstance(geometry, MultiPolygon) else MultiPolygon([geometry])


def _progress(items: list[Division], enabled: bool, label: str) -> Iterable[Division]:
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=label, unit="条", leave=False)

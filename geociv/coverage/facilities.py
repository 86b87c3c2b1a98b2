"""Elderly-care facilities and assistive-device rental stations (养老服务设施、辅具租赁服务站).

:class:`Facilities` imports them from CSV (UTF-8 or GBK), XLSX, GeoJSON or GeoPackage into the
store's ``facilities`` table and returns them as a GeoDataFrame.

* The coordinate system of a CSV or XLSX file **must** be declared (``WGS84``, ``CGCS2000``,
  ``GCJ02`` for Amap/Tencent coordinates, ``BD09`` for Baidu's); the points are converted to
  CGCS2000 with :func:`geociv.crs.convert_lonlat`. Vector files may carry their own CRS; a
  declared one is passed to :func:`geociv.crs.to_storage_crs`.
* Columns are recognised in Chinese or English (名称/name, 类型/type, 经度/lng/lon,
  纬度/lat, 床位/capacity_beds, 状态/status, 地址/address, 区划代码/division_code); a
  coordinate column may carry its system as a suffix (``lng_gcj02``). Types and statuses are
  accepted as codes or Chinese labels (养老院, 敬老院, 辅具租赁服务站, 已建, 规划 …). A file
  without a type column takes ``default_type``.
* Every row is checked before anything is stored, and every problem is reported with its row
  (as Excel numbers it: the header is row 1, the first data row row 2; features of a vector
  file count from 1) and field: missing or unknown type, bad capacity, missing,
  swapped or out-of-China coordinates, points outside the given ``area`` (with the reminder
  that a GCJ-02 file declared as WGS84 is shifted by hundreds of metres), and duplicates (the
  same name within :data:`DUPLICATE_M` metres, in the file or in the store). Given a road
  ``network``, a file not declared as GCJ-02/BD-09 whose points fit the roads far better read
  as GCJ-02 or BD-09 is refused (:func:`geociv.coverage.offsets.check_datum_offset`). If
  anything is wrong, nothing is stored — unless the planner explicitly asks for the valid
  rows only (:meth:`Facilities.import_valid_rows`): then the other rows come back as a file
  with a 原因 column, and the audit trail records how many were skipped.
* Facilities are never deleted: :meth:`Facilities.retire` sets ``status = "retired"``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geociv.authority import Authority, points_outside, refuse_rows, require
from geociv.coverage.network import WalkNetwork, local_metric_crs
from geociv.coverage.offsets import check_datum_offset
from geociv.crs import STORAGE_CRS, check_lonlat, convert_lonlat, to_storage_crs
from geociv.divisions import read_vector
from geociv.errors import CoordinateRangeError, Problem, ValidationError
from geociv.labels import FACILITY_STATUS_LABELS, FACILITY_TYPE_LABELS
from geociv.store import FACILITY_STATUSES, FACILITY_TYPES, Facility, Store
from geociv.uploads import FACILITY_KINDS, TABLE_KINDS, VECTOR_KINDS, kind_of, read_table
from geociv.uploads.rejected import RejectedRow, rejected_rows_csv, row_problems
from geociv.uploads.tables import numbered_records

__all__ = [
    "DECLARED_SYSTEMS",
    "DUPLICATE_M",
    "Facilities",
    "FacilityImport",
    "parse_status",
    "parse_type",
    "parse_types",
]

DUPLICATE_M = 50.0
"""Two facilities with the same name closer than this (metres) are duplicates."""

#: Coordinate systems a CSV/XLSX file may be declared in.
DECLARED_SYSTEMS = ("WGS84", "CGCS2000", "GCJ02", "BD09")

_TYPE_ALIASES: dict[str, str] = {
    **{code: code for code in FACILITY_TYPES},
    **{label: code for code, label in FACILITY_TYPE_LABELS.items()},
    "养老院": "nursing_home",
    "敬老院": "nursing_home",
    "养老机构": "nursing_home",
    "街道综合养老服务中心": "subdistrict_center",
    "日间照料中心": "day_care",
    "社区日间照料中心": "day_care",
    "幸福院": "rural_mutual_aid",
    "农村幸福院": "rural_mutual_aid",
    "辅具租赁服务站": "rental_station",
    "社区辅具租赁服务站": "rental_station",
    "适配服务中心": "fitting_center",
    "辅具适配服务中心": "fitting_center",
    "综合体验馆": "experience_hall",
}
_STATUS_ALIASES: dict[str, str] = {
    **{code: code for code in FACILITY_STATUSES if code != "retired"},
    **{label: code for code, label in FACILITY_STATUS_LABELS.items() if code != "retired"},
    "现有": "existing",
    "已有": "existing",
    "在建": "planned",
    "拟建": "planned",
}
_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("名称", "机构名称", "设施名称", "name"),
    "type": ("类型", "设施类型", "type"),
    "lon": ("经度", "lng", "lon", "longitude"),
    "lat": ("纬度", "lat", "latitude"),
    "capacity_beds": ("床位", "床位数", "capacity_beds", "capacity", "beds"),
    "status": ("状态", "status"),
    "address": ("地址", "address"),
    "division_code": ("区划代码", "division_code", "adcode"),
}
_SYSTEM_SUFFIX = re.compile(r"[_\s（(-]*(gcj-?02|bd-?09|wgs-?84|cgcs2000)[)）]?$", re.IGNORECASE)
_SHIFT_HINT = (
    "（若文件实为高德/腾讯 GCJ-02 或百度 BD-09 坐标却声明为 WGS84，"
    "点位会偏移数百米，请核对声明的坐标系）"
)


def parse_type(value: str) -> str | None:
    """The type code of a code or Chinese label, or ``None``.

    >>> parse_type("辅具租赁服务站"), parse_type("敬老院"), parse_type("x")
    ('rental_station', 'nursing_home', None)
    """
    return _TYPE_ALIASES.get(value.strip())


def parse_types(values: str | Sequence[object]) -> tuple[list[str], list[Problem]]:
    """Type codes of codes or Chinese labels (each once, in order) and the problems found
    (field ``types``): unknown ones, or none at all.

    >>> parse_types(["辅具租赁服务站", "rental_station", "x"])
    (['rental_station'], [Problem(message="未知的设施类型 'x'", row=None, field='types')])
    """
    names = [values] if isinstance(values, str) else list(values)
    codes: list[str] = []
    problems: list[Problem] = []
    for t in names:
        code = parse_type(str(t))
        if code is None:
            problems.append(Problem(f"未知的设施类型 {t!r}", field="types"))
        elif code not in codes:
            codes.append(code)
    if not names:
        problems.append(Problem("至少选择一种设施类型", field="types"))
    return codes, problems


def parse_status(value: str) -> str | None:
    """The status code of a code or Chinese label (``retired`` is not importable), or ``None``.

    >>> parse_status("规划"), parse_status("existing")
    ('planned', 'existing')
    """
    return _STATUS_ALIASES.get(value.strip())


def _declared_system(declared: str | None) -> str | None:
    if declared is None:
        return None
    key = declared.strip().upper().replace("-", "").replace("_", "")
    key = {"EPSG:4326": "WGS84", "EPSG:4490": "CGCS2000"}.get(key, key)
    if key not in DECLARED_SYSTEMS:
        raise ValidationError(
            Problem(
                f"不支持的坐标系 {declared!r}，可选：{'、'.join(DECLARED_SYSTEMS)}",
                field="declared_crs",
            ),
            title="坐标系有误",
        )
    return key


def _column_map(header: Sequence[str]) -> dict[str, str]:
    """Map our field names to the file's column names."""
    found: dict[str, str] = {}
    for column in header:
        key = _SYSTEM_SUFFIX.sub("", str(column).strip()).lower()
        for fieldname, aliases in _COLUMNS.items():
            if key in aliases and fieldname not in found:
                found[fieldname] = str(column)
    return found


#: Column of the rejected-rows file that holds a vector feature's geometry.
GEOMETRY_COLUMN = "几何（WKT）"


@dataclass
class _Rows:
    """A facility file's rows, each with its number (as Excel shows it; features from 1), the
    file's columns, and for a vector file the geometries (EPSG:4490) by row and its CRS."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]]
    geoms: dict[int, Any] | None = None
    file_crs: str = ""


@dataclass
class _Checked:
    """A facility file read and checked: every row understood and every problem found."""

    source: _Rows
    columns: dict[str, str]
    records: list[dict[str, Any]]
    lonlat: dict[int, tuple[float, float]]
    problems: list[Problem]

    def headings(self) -> dict[str, str]:
        """Our field names to the file's own column headings (for messages to officials)."""
        lonlat = "/".join(self.columns[k] for k in ("lon", "lat") if k in self.columns)
        return {**self.columns, "lon/lat": lonlat or "坐标", "location": lonlat or "位置"}


@dataclass
class FacilityImport:
    """What :meth:`Facilities.import_valid_rows` did: the stored facilities and the rows
    left out with their reasons (:meth:`rejected_csv` gives them back as a file)."""

    added: list[Facility]
    rejected: list[RejectedRow]
    columns: list[str]

    def rejected_csv(self) -> bytes:
        """The rejected rows: the file's columns plus 原因, UTF-8 with BOM (Excel opens it)."""
        return rejected_rows_csv(self.columns, self.rejected)


def _table_rows(path: Path) -> _Rows:
    header, rows = numbered_records(read_table(path, kinds=TABLE_KINDS))
    return _Rows(header, rows)


def _vector_rows(path: Path, declared: str | None) -> _Rows:
    """Rows (features numbered from 1), geometries (EPSG:4490) and the name of the file's CRS
    of a vector file."""
    raw = read_vector(path)
    crs_name = ""
    if raw.crs is not None:
        code = raw.crs.to_authority(min_confidence=90)
        crs_name = f"{code[0]}:{code[1]}" if code else str(raw.crs.name)
    gdf = to_storage_crs(raw, declared)
    props = gdf.drop(columns=gdf.geometry.name)
    rows = [
        (i, {str(k): "" if v is None or v != v else str(v) for k, v in rec.items()})
        for i, rec in enumerate(props.to_dict("records"), start=1)
    ]
    geoms = dict(enumerate(gdf.geometry, start=1))
    return _Rows([str(c) for c in props.columns], rows, geoms, crs_name)


def _required_columns(
    columns: dict[str, str], vector: bool, default_type: str | None, filename: str
) -> None:
    """Refuse a file without the columns every row needs (nothing is read further)."""
    if default_type is not None and parse_type(default_type) is None:
        raise ValidationError(Problem(f"未知的设施类型 {default_type!r}", field="type"))
    problems: list[Problem] = []
    for needed in ("name",) + (() if vector else ("lon", "lat")):
        if needed not in columns:
            aliases = "/".join(_COLUMNS[needed])
            problems.append(Problem(f"缺少列（{aliases}）", field=needed))
    if "type" not in columns and default_type is None:
        problems.append(Problem("缺少设施类型列（类型/type），也没有给出默认类型", field="type"))
    if problems:
        raise ValidationError(problems, title=f"{filename} 无法导入")


def _row_attributes(
    i: int,
    cell: Callable[[str], str],
    default_type: str | None,
    default_status: str,
    problems: list[Problem],
) -> dict[str, Any]:
    """Name, type, beds, status, address and division code of row ``i``."""
    rec: dict[str, Any] = {"row": i, "name": cell("name")}
    if not rec["name"]:
        problems.append(Problem("缺少名称", row=i, field="name"))
    raw_type = cell("type") or (default_type or "")
    rec["type"] = parse_type(raw_type) if raw_type else None
    if not raw_type:
        problems.append(Problem("缺少设施类型", row=i, field="type"))
    elif rec["type"] is None:
        choices = "、".join(FACILITY_TYPE_LABELS.values())
        problems.append(
            Problem(f"未知的设施类型 {raw_type!r}，可选：{choices}", row=i, field="type")
        )
    raw_beds = cell("capacity_beds")
    rec["capacity_beds"] = None
    if raw_beds:
        try:
            beds = float(raw_beds)
        except ValueError:
            beds = -1.0
        if not (beds >= 0 and beds == int(beds)):
            message = f"床位数必须为非负整数，收到 {raw_beds!r}"
            problems.append(Problem(message, row=i, field="capacity_beds"))
        else:
            rec["capacity_beds"] = int(beds)
    raw_status = cell("status")
    rec["status"] = parse_status(raw_status) if raw_status else default_status
    if rec["status"] is None:
        message = f"未知的状态 {raw_status!r}，可选：已建、规划、候选"
        problems.append(Problem(message, row=i, field="status"))
    rec["address"] = cell("address")
    rec["division_code"] = cell("division_code")
    return rec


def _row_position(
    i: int, cell: Callable[[str], str], geoms: dict[int, Any] | None, problems: list[Problem]
) -> tuple[float, float] | None:
    """The point of row ``i`` as read (a table's numbers or a vector feature's point)."""
    if geoms is not None:
        geom = geoms.get(i)
        if geom is None or geom.is_empty or geom.geom_type != "Point":
            problems.append(Problem("几何必须为点", row=i, field="geometry"))
            return None
        return (geom.x, geom.y)
    raw_lon, raw_lat = cell("lon"), cell("lat")
    if not raw_lon or not raw_lat:
        problems.append(Problem("缺少坐标（经度/纬度）", row=i, field="lon/lat"))
        return None
    try:
        return (float(raw_lon), float(raw_lat))
    except ValueError:
        problems.append(Problem(f"坐标不是数字：{raw_lon}, {raw_lat}", row=i, field="lon/lat"))
        return None


def _check_rows(
    source: _Rows, columns: dict[str, str], default_type: str | None, default_status: str
) -> tuple[list[dict[str, Any]], dict[int, tuple[float, float]], list[Problem]]:
    """Every row understood, the points read, and the problems of each row."""
    problems: list[Problem] = []
    records: list[dict[str, Any]] = []
    lonlat: dict[int, tuple[float, float]] = {}
    for i, row in source.rows:

        def cell(key: str, row: dict[str, str] = row) -> str:
            return str(row.get(columns.get(key, ""), "") or "").strip()

        records.append(_row_attributes(i, cell, default_type, default_status, problems))
        position = _row_position(i, cell, source.geoms, problems)
        if position is not None:
            lonlat[i] = position
    return records, lonlat, problems


def _to_storage(
    lonlat: dict[int, tuple[float, float]], system: str | None
) -> tuple[dict[int, tuple[float, float]], list[Problem]]:
    """A table's coordinates checked for range and swap, then converted to CGCS2000; rows
    out of range are dropped (and reported)."""
    problems: list[Problem] = []
    keys = np.array(sorted(lonlat))
    lon = np.array([lonlat[k][0] for k in keys])
    lat = np.array([lonlat[k][1] for k in keys])
    try:
        check_lonlat(lon, lat, rows=keys)
    except CoordinateRangeError as exc:
        problems.extend(exc.problems)  # type: ignore[attr-defined]
        bad = {p.row for p in exc.problems}  # type: ignore[attr-defined]
        lonlat = {k: v for k, v in lonlat.items() if k not in bad}
    if lonlat and system in ("GCJ02", "BD09"):
        keys = np.array(sorted(lonlat))
        clon, clat = convert_lonlat(
            [lonlat[k][0] for k in keys], [lonlat[k][1] for k in keys], system
        )
        lonlat = {
            int(k): (float(x), float(y))
            for k, x, y in zip(keys, np.atleast_1d(clon), np.atleast_1d(clat), strict=True)
        }
    return lonlat, problems


def _area_geometry(store: Store, area: Any) -> BaseGeometry | None:
    if area is None:
        return None
    if isinstance(area, str):
        division = store.get_division(area)
        if division is None or division.geometry is None:
            raise ValidationError(Problem(f"区划 {area} 不存在或没有边界", field="area"))
        return division.geometry
    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        series = area.geometry if isinstance(area, gpd.GeoDataFrame) else area
        return shapely.union_all(series.to_crs(STORAGE_CRS).to_numpy())
    return area


class Facilities:
    """Facilities kept in a store.

    Parameters
    ----------
    store : Store
        Where the facilities live.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def _check(
        self,
        path: Path,
        *,
        declared_crs: str | None,
        area: Any,
        default_type: str | None,
        default_status: str,
        network: WalkNetwork | None,
    ) -> _Checked:
        """Read ``path`` and check every row; file-level faults raise at once."""
        system = _declared_system(declared_crs)
        vector = kind_of(path, kinds=FACILITY_KINDS) in VECTOR_KINDS
        if not vector and system is None:
            raise ValidationError(
                Problem(
                    "CSV/Excel 文件必须声明坐标系（WGS84、CGCS2000、GCJ02 或 BD09）："
                    "高德/腾讯坐标为 GCJ02，百度坐标为 BD09，GPS 为 WGS84",
                    field="declared_crs",
                ),
                title="未声明坐标系",
            )
        source = _vector_rows(path, system) if vector else _table_rows(path)
        if not source.rows:
            raise ValidationError(Problem("文件中没有数据行"), title=f"{path.name} 无法导入")
        columns = _column_map(source.header)
        _required_columns(columns, vector, default_type, path.name)
        records, lonlat, problems = _check_rows(source, columns, default_type, default_status)
        if lonlat and not vector:
            lonlat, found = _to_storage(lonlat, system)
            problems += found
        problems += self._placement(lonlat, area, system, network, source.file_crs)
        if lonlat:
            problems.extend(self._duplicates(records, lonlat))
        problems.sort(key=lambda p: p.row or 0)
        return _Checked(source, columns, records, lonlat, problems)

    def _placement(
        self,
        lonlat: dict[int, tuple[float, float]],
        area: Any,
        system: str | None,
        network: WalkNetwork | None,
        file_crs: str,
    ) -> list[Problem]:
        """Points outside ``area``, and a file whose points fit the roads far better read as
        GCJ-02 or BD-09 than as declared (a problem about the whole file)."""
        problems: list[Problem] = []
        area_geom = _area_geometry(self.store, area)
        if area_geom is not None and lonlat:
            keys = np.array(sorted(lonlat))
            outside = ~shapely.covers(area_geom, shapely.points([lonlat[k] for k in keys]))
            hint = _SHIFT_HINT if system in (None, "WGS84", "CGCS2000") else ""
            for k in keys[outside]:
                problems.append(Problem(f"设施不在指定范围内{hint}", row=int(k), field="lon/lat"))
        if network is not None and lonlat and system not in ("GCJ02", "BD09"):
            keys = np.array(sorted(lonlat))
            check = check_datum_offset(
                network,
                gpd.GeoSeries(shapely.points([lonlat[k] for k in keys]), crs=STORAGE_CRS),
                declared=system or file_crs or "WGS84",
            )
            if check.suspect:
                problems.append(Problem(check.message, field="crs"))
        return problems

    @staticmethod
    def _numbered(
        checked: _Checked, rows: set[int] | None, source: str, sample: bool
    ) -> list[tuple[int, Facility]]:
        """The facilities of the checked rows (all, or those in ``rows``) with their rows."""
        return [
            (
                rec["row"],
                Facility(
                    facility_id="",
                    name=rec["name"],
                    type=rec["type"],
                    location=shapely.Point(checked.lonlat[rec["row"]]),
                    capacity_beds=rec["capacity_beds"],
                    status=rec["status"],
                    division_code=rec["division_code"],
                    address=rec["address"],
                    source=source,
                    sample=sample,
                ),
            )
            for rec in checked.records
            if rows is None or rec["row"] in rows
        ]

    def _checked_whole(self, path: Path, **options: Any) -> _Checked:
        """The checked file, refused whole (:class:`ValidationError`) if any row is wrong."""
        checked = self._check(path, **options)
        if checked.problems:
            n = len(checked.problems)
            raise ValidationError(checked.problems, title=f"{path.name} 有 {n} 处问题，未导入")
        return checked

    def parse_file(
        self,
        path: str | Path,
        *,
        declared_crs: str | None = None,
        sample: bool = False,
        area: Any = None,
        default_type: str | None = None,
        default_status: str = "existing",
        source: str | None = None,
        network: WalkNetwork | None = None,
    ) -> list[Facility]:
        """Read and check a file without storing it; see :meth:`import_file`."""
        path = Path(path)
        checked = self._checked_whole(
            path,
            declared_crs=declared_crs,
            area=area,
            default_type=default_type,
            default_status=default_status,
            network=network,
        )
        src = source if source is not None else path.name
        return [f for _, f in self._numbered(checked, None, src, sample)]

    def _duplicates(
        self, parsed: list[dict[str, Any]], lonlat: dict[int, tuple[float, float]]
    ) -> list[Problem]:
        keys = sorted(lonlat)
        xs = np.array([lonlat[k] for k in keys])
        crs = local_metric_crs(float(xs[:, 0].mean()), float(xs[:, 1].mean()))
        by_name: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        existing = [f for f in self.store.query_facilities() if f.location is not None]
        if existing:
            pts = gpd.GeoSeries([f.location for f in existing], crs=STORAGE_CRS).to_crs(crs)
            for fac, pt in zip(existing, pts, strict=True):
                by_name[fac.name].append((f"已有设施 {fac.facility_id}", pt))
        pts = gpd.GeoSeries(shapely.points(xs), crs=STORAGE_CRS).to_crs(crs)
        point_of = dict(zip(keys, pts, strict=True))
        problems = []
        for rec in parsed:
            row = rec["row"]
            if row not in point_of or not rec["name"]:
                continue
            here = point_of[row]
            for label, other in by_name[rec["name"]]:
                gap = here.distance(other)
                if gap <= DUPLICATE_M:
                    problems.append(
                        Problem(
                            f"与{label}重复（同名“{rec['name']}”，相距 {gap:.0f} 米）",
                            row=row,
                            field="name",
                        )
                    )
                    break
            by_name[rec["name"]].append((f"第 {row} 行", here))
        return problems

    def import_file(
        self,
        path: str | Path,
        *,
        declared_crs: str | None = None,
        actor: str,
        sample: bool = False,
        area: Any = None,
        default_type: str | None = None,
        default_status: str = "existing",
        source: str | None = None,
        network: WalkNetwork | None = None,
    ) -> list[Facility]:
        """Check a facility file and store all its rows, or none.

        Parameters
        ----------
        path : str or Path
            CSV (UTF-8 or GBK), XLSX, GeoJSON or GeoPackage.
        declared_crs : str, optional
            ``WGS84``, ``CGCS2000``, ``GCJ02`` or ``BD09``; required for CSV/XLSX.
        actor : str
            Who imports (audited).
        sample : bool
            Mark the rows as sample (示例) data.
        area : shapely geometry, GeoDataFrame, GeoSeries or division code, optional
            Every facility must lie inside it (geometries without a CRS are EPSG:4490). When
            given, rows without a division code must also lie inside the actor's division;
            rows with one must always be in the actor's jurisdiction
            (:func:`geociv.authority.points_outside`).
        default_type : str, optional
            Type for rows without one (code or Chinese label).
        default_status : str
            Status for rows without one.
        source : str, optional
            Recorded source; default the file name.
        network : WalkNetwork, optional
            A road network of the area (in WGS84/CGCS2000 positions, as OSM is). When given and
            the file is not declared as GCJ-02 or BD-09, its points are compared with the roads
            (:func:`~geociv.coverage.offsets.check_datum_offset`); if they fit far better read
            as GCJ-02 or BD-09, the file is refused with a problem on field ``crs`` that says
            so. Without it nothing changes.

        Returns
        -------
        list of Facility
            The stored facilities with their ids.

        Raises
        ------
        ValidationError
            Listing every problem by row and field; nothing is stored.
        """
        path = Path(path)
        checked = self._checked_whole(
            path,
            declared_crs=declared_crs,
            area=area,
            default_type=default_type,
            default_status=default_status,
            network=network,
        )
        src = source if source is not None else path.name
        numbered = self._numbered(checked, None, src, sample)
        # Jurisdiction: a row with a division code is that division's record and must lie in
        # the planner's jurisdiction, always. A row without one must lie inside the planner's
        # division when an area is asked for; without an area (the web's within=0) it is a
        # reference facility of no division (one across the border that serves residents).
        who = require(self.store, actor, ("planner",), what="facilities.import")
        outside = self._outside(who, numbered, uncoded=area is not None)
        refuse_rows(self.store, who, outside, "facilities.import")
        return self._store(numbered, actor=actor, source=src, rejected=[])

    def import_valid_rows(
        self,
        path: str | Path,
        *,
        declared_crs: str | None = None,
        actor: str,
        sample: bool = False,
        area: Any = None,
        default_type: str | None = None,
        default_status: str = "existing",
        source: str | None = None,
        network: WalkNetwork | None = None,
    ) -> FacilityImport:
        """Store the valid rows of a facility file and set the others aside with reasons.

        The explicit alternative to :meth:`import_file` (all or nothing) for a real, messy
        file: every row is checked the same way (parameters as there), rows with a problem,
        or outside the planner's jurisdiction, are left out, and the rest are stored in one
        transaction. A fault of the whole file (missing columns, undeclared or misdeclared
        coordinate system) still refuses it whole. The audit trail records how many rows were
        imported and which were skipped.

        Returns
        -------
        FacilityImport
            The stored facilities and the rejected rows (:meth:`FacilityImport.rejected_csv`
            is the file to give back: its columns plus 原因).

        Examples
        --------
        Not run as a doctest (it needs a store)::

            done = Facilities(store).import_valid_rows(
                "设施.csv", declared_crs="CGCS2000", actor="planner1")
            len(done.added), [r.row for r in done.rejected]
            # -> (69, [12])
        """
        path = Path(path)
        checked = self._check(
            path,
            declared_crs=declared_crs,
            area=area,
            default_type=default_type,
            default_status=default_status,
            network=network,
        )
        headings = checked.headings()
        whole, by_row = row_problems(checked.problems, headings)
        if whole:
            raise ValidationError(whole, title=f"{path.name} 无法导入")
        src = source if source is not None else path.name
        valid = {rec["row"] for rec in checked.records} - set(by_row)
        numbered = self._numbered(checked, valid, src, sample)
        who = require(self.store, actor, ("planner",), what="facilities.import")
        _, outside = row_problems(self._outside(who, numbered, uncoded=area is not None), headings)
        for row, reasons in outside.items():
            by_row.setdefault(row, []).extend(reasons)
        numbered = [(row, f) for row, f in numbered if row not in by_row]
        rejected = [self._rejected(checked.source, row, by_row[row]) for row in sorted(by_row)]
        added = self._store(numbered, actor=actor, source=src, rejected=rejected)
        columns = list(checked.source.header)
        if checked.source.geoms is not None:
            columns.append(GEOMETRY_COLUMN)
        return FacilityImport(added, rejected, columns)

    @staticmethod
    def _rejected(source: _Rows, row: int, reasons: list[str]) -> RejectedRow:
        values = dict(next(cells for i, cells in source.rows if i == row))
        if source.geoms is not None:
            geom = source.geoms.get(row)
            values[GEOMETRY_COLUMN] = "" if geom is None else geom.wkt
        return RejectedRow(row, values, reasons)

    def _outside(
        self, who: Authority, numbered: list[tuple[int, Facility]], *, uncoded: bool
    ) -> list[Problem]:
        rows = [(row, f.division_code, f.location) for row, f in numbered]
        return points_outside(self.store, who, rows, "location", uncoded=uncoded)

    def _store(
        self,
        numbered: list[tuple[int, Facility]],
        *,
        actor: str,
        source: str,
        rejected: list[RejectedRow],
    ) -> list[Facility]:
        """Store the facilities and audit the import (rows imported, rows skipped) at once."""
        note = f"导入 {len(numbered)} 行，跳过 {len(rejected)} 行"
        if rejected:
            shown = "、".join(str(r.row) for r in rejected[:50])
            note += f"（第 {shown}{' 等' if len(rejected) > 50 else ''} 行，原因见被拒行文件）"
        with self.store.transaction():
            added = self.store.add_facilities([f for _, f in numbered], actor=actor)
            self.store.record_event(
                actor=actor, action="facilities.import", entity="facilities", key=source, note=note
            )
        return added

    def retire(self, facility_id: str, *, actor: str) -> Facility:
        """Mark a facility closed (``status = "retired"``); it is kept, never deleted."""
        found = self.store.get_facility(facility_id)
        who = require(self.store, actor, ("planner",), what="facilities.retire")
        if found is not None:
            row = [(None, found.division_code, found.location)]
            outside = points_outside(self.store, who, row, "location", uncoded=False)
            refuse_rows(self.store, who, outside, "facilities.retire")
        return self.store.update_facility(facility_id, actor=actor, status="retired")

    def frame(self, type: str | None = None, status: str | None = None) -> gpd.GeoDataFrame:
        """Facilities (retired ones only if ``status="retired"``) as a GeoDataFrame in
        EPSG:4490, with a ``type_label`` column in Chinese. ``type`` is a code or a Chinese
        label."""
        if type is not None:
            code = parse_type(type)
            if code is None:
                raise ValidationError(Problem(f"未知的设施类型 {type!r}", field="type"))
            type = code
        records = self.store.query_facilities(type=type, status=status)
        rows = [f.attributes() for f in records]
        for row in rows:
            row.pop("lon")
            row.pop("lat")
            row["type_label"] = FACILITY_TYPE_LABELS[row["type"]]
        columns = [
            "facility_id",
            "name",
            "type",
            "type_label",
            "capacity_beds",
            "status",
            "division_code",
            "address",
            "source",
            "sample",
        ]
        return gpd.GeoDataFrame(
            rows,
            columns=columns,
            geometry=[f.location for f in records],
            crs=STORAGE_CRS,
        )

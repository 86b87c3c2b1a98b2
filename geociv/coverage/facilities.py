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
  (1-based, header not counted) and field: missing or unknown type, bad capacity, missing,
  swapped or out-of-China coordinates, points outside the given ``area`` (with the reminder
  that a GCJ-02 file declared as WGS84 is shifted by hundreds of metres), and duplicates (the
  same name within :data:`DUPLICATE_M` metres, in the file or in the store). Given a road
  ``network``, a file not declared as GCJ-02/BD-09 whose points fit the roads far better read
  as GCJ-02 or BD-09 is refused (:func:`geociv.coverage.offsets.check_datum_offset`). If
  anything is wrong, nothing is stored.
* Facilities are never deleted: :meth:`Facilities.retire` sets ``status = "retired"``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geociv.authority import points_outside, refuse_rows, require
from geociv.coverage.network import WalkNetwork, local_metric_crs
from geociv.coverage.offsets import check_datum_offset
from geociv.crs import STORAGE_CRS, check_lonlat, convert_lonlat, to_storage_crs
from geociv.divisions import read_vector
from geociv.errors import CoordinateRangeError, Problem, ValidationError
from geociv.store import (
    FACILITY_STATUS_LABELS,
    FACILITY_STATUSES,
    FACILITY_TYPE_LABELS,
    FACILITY_TYPES,
    Facility,
    Store,
)
from geociv.uploads import FACILITY_KINDS, TABLE_KINDS, VECTOR_KINDS, kind_of, read_table

__all__ = [
    "DECLARED_SYSTEMS",
    "DUPLICATE_M",
    "Facilities",
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


def _read_table(path: Path) -> list[dict[str, str]]:
    from geociv.uploads.tables import records

    return records(read_table(path, kinds=TABLE_KINDS))[1]


def _vector_rows(path: Path, declared: str | None) -> tuple[list[dict[str, str]], list[Any], str]:
    """Rows, geometries (EPSG:4490) and the name of the file's CRS of a vector file."""
    raw = read_vector(path)
    crs_name = ""
    if raw.crs is not None:
        code = raw.crs.to_authority(min_confidence=90)
        crs_name = f"{code[0]}:{code[1]}" if code else str(raw.crs.name)
    gdf = to_storage_crs(raw, declared)
    rows = [
        {str(k): "" if v is None or v != v else str(v) for k, v in rec.items()}
        for rec in gdf.drop(columns=gdf.geometry.name).to_dict("records")
    ]
    return rows, list(gdf.geometry), crs_name


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
        geoms: list[Any] | None = None
        file_crs = ""
        if vector:
            rows, geoms, file_crs = _vector_rows(path, system)
        else:
            rows = _read_table(path)
        if not rows:
            raise ValidationError(Problem("文件中没有数据行"), title=f"{path.name} 无法导入")
        columns = _column_map(list(rows[0]))
        if default_type is not None and parse_type(default_type) is None:
            raise ValidationError(Problem(f"未知的设施类型 {default_type!r}", field="type"))
        problems: list[Problem] = []
        for needed in ("name",) + (() if vector else ("lon", "lat")):
            if needed not in columns:
                aliases = "/".join(_COLUMNS[needed])
                problems.append(Problem(f"缺少列（{aliases}）", field=needed))
        if "type" not in columns and default_type is None:
            problems.append(
                Problem("缺少设施类型列（类型/type），也没有给出默认类型", field="type")
            )
        if problems:
            raise ValidationError(problems, title=f"{path.name} 无法导入")

        def cell(row: dict[str, str], key: str) -> str:
            return str(row.get(columns.get(key, ""), "") or "").strip()

        parsed: list[dict[str, Any]] = []
        lonlat: dict[int, tuple[float, float]] = {}
        for i, row in enumerate(rows, start=1):
            rec: dict[str, Any] = {"row": i, "name": cell(row, "name")}
            if not rec["name"]:
                problems.append(Problem("缺少名称", row=i, field="name"))
            raw_type = cell(row, "type") or (default_type or "")
            rec["type"] = parse_type(raw_type) if raw_type else None
            if not raw_type:
                problems.append(Problem("缺少设施类型", row=i, field="type"))
            elif rec["type"] is None:
                choices = "、".join(FACILITY_TYPE_LABELS.values())
                problems.append(
                    Problem(f"未知的设施类型 {raw_type!r}，可选：{choices}", row=i, field="type")
                )
            raw_beds = cell(row, "capacity_beds")
            rec["capacity_beds"] = None
            if raw_beds:
                try:
                    beds = float(raw_beds)
                except ValueError:
                    beds = -1.0
                if not (beds >= 0 and beds == int(beds)):
                    problems.append(
                        Problem(
                            f"床位数必须为非负整数，收到 {raw_beds!r}", row=i, field="capacity_beds"
                        )
                    )
                else:
                    rec["capacity_beds"] = int(beds)
            raw_status = cell(row, "status")
            rec["status"] = parse_status(raw_status) if raw_status else default_status
            if rec["status"] is None:
                problems.append(
                    Problem(
                        f"未知的状态 {raw_status!r}，可选：已建、规划、候选", row=i, field="status"
                    )
                )
            rec["address"] = cell(row, "address")
            rec["division_code"] = cell(row, "division_code")
            if geoms is not None:
                geom = geoms[i - 1]
                if geom is None or geom.is_empty or geom.geom_type != "Point":
                    problems.append(Problem("几何必须为点", row=i, field="geometry"))
                else:
                    lonlat[i] = (geom.x, geom.y)
            else:
                raw_lon, raw_lat = cell(row, "lon"), cell(row, "lat")
                if not raw_lon or not raw_lat:
                    problems.append(Problem("缺少坐标（经度/纬度）", row=i, field="lon/lat"))
                else:
                    try:
                        lonlat[i] = (float(raw_lon), float(raw_lat))
                    except ValueError:
                        problems.append(
                            Problem(f"坐标不是数字：{raw_lon}, {raw_lat}", row=i, field="lon/lat")
                        )
            parsed.append(rec)

        # Coordinates: range and swap check, then conversion to CGCS2000.
        if lonlat and geoms is None:
            keys = np.array(sorted(lonlat))
            lon = np.array([lonlat[k][0] for k in keys])
            lat = np.array([lonlat[k][1] for k in keys])
            try:
                check_lonlat(lon, lat, rows=keys)
            except CoordinateRangeError as exc:
                problems.extend(exc.problems)  # type: ignore[attr-defined]
                bad = {p.row for p in exc.problems}  # type: ignore[attr-defined]
                for k in bad:
                    lonlat.pop(int(k), None)  # type: ignore[arg-type]
            if lonlat and system in ("GCJ02", "BD09"):
                keys = np.array(sorted(lonlat))
                clon, clat = convert_lonlat(
                    [lonlat[k][0] for k in keys], [lonlat[k][1] for k in keys], system
                )
                lonlat = {
                    int(k): (float(x), float(y))
                    for k, x, y in zip(keys, np.atleast_1d(clon), np.atleast_1d(clat), strict=True)
                }

        # Outside the area.
        area_geom = _area_geometry(self.store, area)
        if area_geom is not None and lonlat:
            keys = np.array(sorted(lonlat))
            pts = shapely.points([lonlat[k] for k in keys])
            outside = ~shapely.covers(area_geom, pts)
            hint = _SHIFT_HINT if system in (None, "WGS84", "CGCS2000") else ""
            for k in keys[outside]:
                problems.append(Problem(f"设施不在指定范围内{hint}", row=int(k), field="lon/lat"))

        # GCJ-02/BD-09 coordinates declared as another system: compare with the road network.
        if network is not None and lonlat and system not in ("GCJ02", "BD09"):
            keys = np.array(sorted(lonlat))
            check = check_datum_offset(
                network,
                gpd.GeoSeries(shapely.points([lonlat[k] for k in keys]), crs=STORAGE_CRS),
                declared=system or file_crs or "WGS84",
            )
            if check.suspect:
                problems.append(Problem(check.message, field="crs"))

        # Duplicates: the same name within DUPLICATE_M metres, in the file or in the store.
        if lonlat:
            problems.extend(self._duplicates(parsed, lonlat))
        if problems:
            problems.sort(key=lambda p: p.row or 0)
            raise ValidationError(problems, title=f"{path.name} 有 {len(problems)} 处问题，未导入")
        src = source if source is not None else path.name
        return [
            Facility(
                facility_id="",
                name=rec["name"],
                type=rec["type"],
                location=shapely.Point(lonlat[rec["row"]]),
                capacity_beds=rec["capacity_beds"],
                status=rec["status"],
                division_code=rec["division_code"],
                address=rec["address"],
                source=src,
                sample=sample,
            )
            for rec in parsed
        ]

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
        facilities = self.parse_file(
            path,
            declared_crs=declared_crs,
            sample=sample,
            area=area,
            default_type=default_type,
            default_status=default_status,
            source=source,
            network=network,
        )
        # Jurisdiction: a row with a division code is that division's record and must lie in
        # the planner's jurisdiction, always. A row without one must lie inside the planner's
        # division when an area is asked for; without an area (the web's within=0) it is a
        # reference facility of no division (one across the border that serves residents).
        who = require(self.store, actor, ("planner",), what="facilities.import")
        rows = [(i, f.division_code, f.location) for i, f in enumerate(facilities, start=1)]
        outside = points_outside(self.store, who, rows, "location", uncoded=area is not None)
        refuse_rows(self.store, who, outside, "facilities.import")
        return self.store.add_facilities(facilities, actor=actor)

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

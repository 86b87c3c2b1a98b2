"""Exports of a coverage result (覆盖分析成果导出): a GeoPackage and two CSV tables.

* :func:`results_geopackage` writes one GeoPackage that QGIS or ArcGIS opens directly, with the
  layers ``facilities``, ``isochrones``, ``uncovered``, ``aoi``, ``zones`` (when the run had
  zones), ``suggested_sites`` (when a site suggestion is given) and the attribute table
  ``run_info`` (key/value: headline, method and every input of the run as JSON text). All
  layers are in CGCS2000 (EPSG:4490). The file is written next to its target and moved into
  place at the end, so a failed export never leaves a half-written file behind.
* :func:`zones_csv` is the per-zone table and :func:`summary_csv` the headline figures, as
  UTF-8 text with a byte-order mark so that Excel shows the Chinese headers correctly;
  percentages are numbers (one decimal) under headers ending in ``（%）``.

:func:`speed_text` and :func:`method_text` are the wording of the speed and the method used by
these tables and by the standalone map (``web.coverage_export``).

A site suggestion is passed as a GeoDataFrame of points with the columns ``rank`` (1 = first
chosen), ``site_id``, ``added_share`` and ``cumulative_share`` (shares as fractions, 0–1).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geociv.crs import STORAGE_CRS
from geociv.errors import Problem, ValidationError
from geociv.labels import FACILITY_STATUS_LABELS, FACILITY_TYPE_LABELS, METHOD_LABELS, SPEED_LABELS
from geociv.localtime import now_cell

if TYPE_CHECKING:
    from geociv.coverage.service import CoverageResult

__all__ = [
    "SPEED_LABELS",
    "SUGGESTION_COLUMNS",
    "facilities_layer",
    "method_text",
    "results_geopackage",
    "speed_text",
    "suggestion_layer",
    "summary_csv",
    "zones_csv",
]

#: Columns a site-suggestion GeoDataFrame must have.
SUGGESTION_COLUMNS = ("rank", "site_id", "added_share", "cumulative_share")

BOM = "\ufeff"


def speed_text(result: CoverageResult) -> str:
    """The travel mode and speed of a run in Chinese.

    >>> from types import SimpleNamespace as NS
    >>> speed_text(NS(inputs={"speed": "elderly"}, isochrones=NS(speed_mps=0.8)))
    '步行 0.8 m/s（老年人）'
    >>> speed_text(NS(inputs={"speed": 0.9}, isochrones=NS(speed_mps=0.9)))
    '步行 0.9 m/s'
    """
    preset = result.inputs.get("speed")
    speed = f"{result.isochrones.speed_mps:g} m/s"
    if isinstance(preset, str) and preset in SPEED_LABELS:
        mode, who = SPEED_LABELS[preset]
        return f"{mode} {speed}（{who}）"
    return f"步行 {speed}"


def method_text(result: CoverageResult) -> str:
    """How the service areas were drawn, in Chinese.

    >>> from types import SimpleNamespace as NS
    >>> method_text(NS(method="fallback", isochrones=NS(detour=1.3, access_m=None)))
    '直线距离估算：半径 = 速度 × 时间 ÷ 绕行系数 1.3'
    >>> method_text(NS(method="network", isochrones=NS(detour=None, access_m=50.0)))
    '路网步行计算（道路两侧接入距离 50 m）'
    """
    iso = result.isochrones
    if result.method == "fallback":
        detour = iso.detour if iso.detour is not None else 1.0
        return f"{METHOD_LABELS['fallback']}：半径 = 速度 × 时间 ÷ 绕行系数 {detour:g}"
    if iso.access_m:
        return f"{METHOD_LABELS['network']}（道路两侧接入距离 {iso.access_m:g} m）"
    return METHOD_LABELS["network"]


def _json(value: Any) -> str:
    def default(x: Any) -> Any:
        if isinstance(x, np.generic):
            return x.item()
        if isinstance(x, np.ndarray):
            return x.tolist()
        return str(x)

    return json.dumps(value, ensure_ascii=False, default=default)


def _in_storage_crs(frame: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if frame.crs is None:
        raise ValidationError(Problem(f"{what}未声明坐标系", field=what), title="无法导出")
    return frame.to_crs(STORAGE_CRS)


def facilities_layer(
    facilities: gpd.GeoDataFrame, result: CoverageResult | None = None
) -> gpd.GeoDataFrame:
    """The facilities as exported: ids, names, Chinese type and status labels, beds.

    Parameters
    ----------
    facilities : GeoDataFrame
        As returned by :meth:`geociv.coverage.facilities.Facilities.frame` (at least
        ``facility_id``, ``name``, ``type``, ``status`` and point geometry with a CRS).
    result : CoverageResult, optional
        With a result, ``in_run`` tells whether the facility counted in it.

    Returns
    -------
    GeoDataFrame
        Columns ``facility_id``, ``name``, ``type``, ``type_label`` (类型), ``status``,
        ``status_label``, ``capacity_beds`` (nullable integer), ``in_run``; EPSG:4490.

    Raises
    ------
    ValidationError
        A required column or the CRS is missing.
    """
    missing = [c for c in ("facility_id", "name", "type", "status") if c not in facilities]
    if missing:
        raise ValidationError(
            Problem(f"设施表缺少列：{'、'.join(missing)}", field="facilities"), title="无法导出"
        )
    frame = _in_storage_crs(facilities, "设施")
    counted = set(result.inputs.get("facility_ids", [])) if result is not None else set()
    beds = frame["capacity_beds"] if "capacity_beds" in frame else pd.Series(None, frame.index)
    out = pd.DataFrame(
        {
            "facility_id": frame["facility_id"].astype(str),
            "name": frame["name"].astype(str),
            "type": frame["type"].astype(str),
            "type_label": [FACILITY_TYPE_LABELS.get(t, t) for t in frame["type"]],
            "status": frame["status"].astype(str),
            "status_label": [FACILITY_STATUS_LABELS.get(s, s) for s in frame["status"]],
            "capacity_beds": pd.to_numeric(beds, errors="coerce").astype("Int64"),
            "in_run": [fid in counted for fid in frame["facility_id"]],
        },
        index=frame.index,
    ).reset_index(drop=True)
    return gpd.GeoDataFrame(out, geometry=frame.geometry.to_numpy(), crs=STORAGE_CRS)


def suggestion_layer(suggestion: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Check a site suggestion and return it sorted by rank, in EPSG:4490.

    Raises
    ------
    ValidationError
        A column of :data:`SUGGESTION_COLUMNS`, the CRS or a point geometry is missing.
    """
    if not isinstance(suggestion, gpd.GeoDataFrame):
        raise ValidationError(Problem("建议站点必须是 GeoDataFrame", field="suggestion"))
    missing = [c for c in SUGGESTION_COLUMNS if c not in suggestion]
    if missing:
        raise ValidationError(
            Problem(f"建议站点缺少列：{'、'.join(missing)}", field="suggestion"),
            title="无法导出",
        )
    frame = _in_storage_crs(suggestion, "建议站点")
    not_points = [
        i + 1
        for i, g in enumerate(frame.geometry)
        if g is None or g.is_empty or g.geom_type != "Point"
    ]
    if not_points:
        raise ValidationError(
            [Problem("建议站点的几何必须为点", row=i, field="geometry") for i in not_points],
            title="无法导出",
        )
    frame = frame.sort_values("rank").reset_index(drop=True)
    frame["site_id"] = frame["site_id"].astype(str)
    return frame


def _run_info(result: CoverageResult) -> pd.DataFrame:
    rows: list[tuple[str, str]] = [
        ("run_id", result.run_id),
        ("headline", result.headline),
        ("method", result.method),
        ("method_text", method_text(result)),
        ("speed_text", speed_text(result)),
        ("exported_at", now_cell()),  # Beijing time, as people read it
    ]
    rows += [(f"summary.{k}", _json(v)) for k, v in result.summary().items() if k != "headline"]
    rows += [(f"inputs.{k}", _json(v)) for k, v in result.inputs.items()]
    return pd.DataFrame(rows, columns=["key", "value"])


def results_geopackage(
    path: str | Path,
    *,
    result: CoverageResult,
    facilities: gpd.GeoDataFrame,
    suggestion: gpd.GeoDataFrame | None = None,
) -> Path:
    """Write a coverage result as one GeoPackage.

    Parameters
    ----------
    path : str or Path
        The file to write (replaced if it exists).
    result : CoverageResult
        From :meth:`geociv.coverage.service.Coverage.run`.
    facilities : GeoDataFrame
        The facilities to include (e.g. ``Facilities(store).frame()``); see
        :func:`facilities_layer`.
    suggestion : GeoDataFrame, optional
        Suggested new sites (columns :data:`SUGGESTION_COLUMNS`, points).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ValidationError
        Facilities or suggestion without a required column, CRS or point geometry; nothing is
        written then.

    Examples
    --------
    Not run as a doctest (it needs a store with a coverage run)::

        result = Coverage(store).run("rental_station", actor="x", aoi="411702")
        facilities = Facilities(store).frame()
        results_geopackage("cov.gpkg", result=result, facilities=facilities)
        # -> PosixPath('cov.gpkg')
    """
    target = Path(path)
    layers: list[tuple[str, pd.DataFrame, str | None]] = [
        ("facilities", facilities_layer(facilities, result), "Point"),
        (
            "isochrones",
            result.polygons[["minutes", "speed_mps", "method", "area_km2", "geometry"]],
            "MultiPolygon",
        ),
        ("uncovered", result.uncovered[["area_km2", "geometry"]], "MultiPolygon"),
        ("aoi", result.aoi.assign(area_km2=result.aoi_area_km2), "MultiPolygon"),
    ]
    if result.zones is not None:
        layers.append(("zones", result.zones.reset_index(drop=True), "MultiPolygon"))
    if suggestion is not None:
        layers.append(("suggested_sites", suggestion_layer(suggestion), "Point"))
    layers.append(("run_info", _run_info(result), None))

    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp.gpkg")
    try:
        for name, frame, geometry_type in layers:
            if geometry_type is None:
                pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG")
                continue
            frame = _in_storage_crs(frame, name)
            pyogrio.write_dataframe(
                frame,
                tmp,
                layer=name,
                driver="GPKG",
                geometry_type=geometry_type,
                promote_to_multi=geometry_type.startswith("Multi"),
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _pct(x: Any) -> str:
    """A share as a percentage number with one decimal (``""`` when unknown)."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x):
        return ""
    return f"{float(x) * 100:.1f}"


def _num(x: Any, digits: int = 2) -> str:
    if x is None or pd.isna(x):
        return ""
    return f"{float(x):.{digits}f}"


def _csv(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows)
    return BOM + out.getvalue()


def zones_csv(result: CoverageResult) -> str:
    """The per-zone table as CSV text (UTF-8 with BOM, for Excel).

    Columns 代码, 名称, 覆盖面积占比（%）, 是否达标 (是/否), 设施数 and, with a population
    raster, 人口, 覆盖人口, 人口覆盖率（%）. Percentages have one decimal, people are rounded.

    Raises
    ------
    ValidationError
        The run had no zones.

    Examples
    --------
    Not run as a doctest (it needs a store with a coverage run)::

        text = zones_csv(result)
        Path("服务单元.csv").write_text(text, encoding="utf-8")
    """
    zones = result.zones
    if zones is None:
        raise ValidationError(Problem("本次计算没有统计单元（街道/社区）", field="zones"))
    has_pop = "population" in zones
    header = ["代码", "名称", "覆盖面积占比（%）", "是否达标", "设施数"]
    if has_pop:
        header += ["人口", "覆盖人口", "人口覆盖率（%）"]
    rows: list[list[Any]] = [header]
    for _, z in zones.iterrows():
        row = [
            z.get("code", ""),
            z.get("name", ""),
            _pct(z["area_share"]),
            "是" if bool(z["served"]) else "否",
            int(z["facilities"]),
        ]
        if has_pop:
            row += [_num(z["population"], 0), _num(z["covered_population"], 0), _pct(z["share"])]
        rows.append(row)
    return _csv(rows)


def summary_csv(result: CoverageResult, suggestion: gpd.GeoDataFrame | None = None) -> str:
    """The headline figures as a two-column CSV (指标, 数值), UTF-8 with BOM.

    Rows: 结论, 计算方法, 出行方式与速度, 服务时间与圈层, 统计范围 and its area, covered and
    uncovered area, area share, population figures (with a raster), zones and the share
    served (with zones), the suggested sites (when given) and every input of the run
    (``输入参数：…``; text as is, other values as JSON).
    """
    s = result.summary()
    minutes = list(result.isochrones.minutes)
    rows: list[list[Any]] = [
        ["指标", "数值"],
        ["结论", result.headline],
        ["计算编号", result.run_id],
        ["计算方法", method_text(result)],
        ["出行方式与速度", speed_text(result)],
        ["服务时间（分钟）", f"{minutes[-1]:g}"],
        ["圈层（分钟）", "、".join(f"{m:g}" for m in minutes)],
        ["速度（m/s）", f"{result.isochrones.speed_mps:g}"],
        ["统计范围", result.inputs.get("aoi", {}).get("name", "")],
        ["统计范围面积（km²）", _num(s["aoi_area_km2"])],
        ["覆盖面积（km²）", _num(s["covered_area_km2"])],
        ["未覆盖面积（km²）", _num(s["uncovered_area_km2"])],
        ["面积覆盖率（%）", _pct(s["area_share"])],
    ]
    if result.population is not None:
        label = result.inputs.get("raster_label") or "人口"
        rows += [
            [f"{label}总数", _num(s["population_total"], 0)],
            [f"覆盖{label}", _num(s["population_covered"], 0)],
            [f"{label}覆盖率（%）", _pct(s["population_share"])],
        ]
    for other in s.get("other_populations") or []:
        rows += [
            [f"{other['label']}总数", _num(other["total"], 0)],
            [f"覆盖{other['label']}", _num(other["covered"], 0)],
            [f"{other['label']}覆盖率（%）", _pct(other["share"])],
        ]
    if result.zones is not None:
        rows += [
            ["服务单元数", s["zones"]],
            ["达标服务单元数（≥50 % 面积覆盖）", int(result.zones["served"].sum())],
            ["服务单元达标率（%）", _pct(s["zones_served_share"])],
        ]
    if suggestion is not None:
        sites = suggestion_layer(suggestion)
        rows.append(["建议新增站点数", len(sites)])
        if len(sites):
            rows.append(["新增后覆盖率（%）", _pct(sites["cumulative_share"].iloc[-1])])
    rows += [
        [f"输入参数：{k}", v if isinstance(v, str) else "" if v is None else _json(v)]
        for k, v in result.inputs.items()
    ]
    return _csv(rows)

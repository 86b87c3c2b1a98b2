"""Population covered by service areas, from a population-count raster.

Counts are weighted by the exact fraction of each raster cell that lies inside the
(unioned) covering polygons, so overlapping service areas are counted once and no people
are lost or gained by resampling: the polygons are brought to the raster's CRS, never the
raster to the polygons'. The fraction of a cell is the area of the intersection of the
cell's rectangle with the polygon divided by the cell's area, both measured in the raster's
own coordinates (the same definition exactextract uses).

Areas (:func:`area_share`) are measured in the Gauss-Krüger zone of the area of interest.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import rasterio
import rasterio.windows
import shapely
from numpy.typing import NDArray

from geociv.crs import projected_crs_for
from geociv.errors import InputFileError, Problem, ValidationError

__all__ = [
    "PopulationCoverage",
    "area_share",
    "covered_population",
    "zonal_table",
]

METHOD = "exact partial-pixel weighting (cell ∩ union of covering polygons), overlaps once"
"""How covered population is computed; recorded in every result."""

# Cells handled per block when intersecting cell rectangles with a polygon.
_BLOCK_CELLS = 200_000


@dataclass(frozen=True)
class PopulationCoverage:
    """Population covered by service areas, with the inputs needed to reproduce it.

    Attributes
    ----------
    total : float
        People in the area of interest (the whole raster when none was given).
    covered : float
        People inside the union of the covering polygons (and the area of interest).
    share : float
        ``covered / total`` (NaN when ``total`` is 0).
    raster : str
        Path of the population raster.
    raster_crs : str
        CRS of the raster, in which the fractions were computed.
    polygons_crs : str
        CRS the covering polygons were given in.
    reprojected : bool
        Whether the polygons were reprojected to the raster's CRS.
    method : str
        How the figures were computed.
    notes : tuple of str
        Human-readable remarks, e.g. the reprojection.
    """

    total: float
    covered: float
    share: float
    raster: str
    raster_crs: str
    polygons_crs: str
    reprojected: bool
    method: str = METHOD
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a JSON-ready dict."""
        out = asdict(self)
        out["notes"] = list(self.notes)
        return out


def _geoseries(obj: Any, what: str) -> gpd.GeoSeries:
    if isinstance(obj, gpd.GeoDataFrame):
        obj = obj.geometry
    if not isinstance(obj, gpd.GeoSeries):
        raise ValidationError(
            Problem(f"{what}必须是带坐标系的 GeoDataFrame 或 GeoSeries", field=what)
        )
    if obj.crs is None:
        raise ValidationError(Problem(f"{what}未声明坐标系", field=what))
    return obj


def _open(raster_path: str | Path) -> Any:
    from geociv.uploads.fence import rasterio_env
    from geociv.uploads.guard import check_not_protected

    check_not_protected(Path(raster_path))
    try:
        with rasterio_env():  # GeoTIFF only, GDAL's network and VRT tricks off
            src = rasterio.open(raster_path, driver="GTiff")
    except rasterio.errors.RasterioIOError as exc:
        raise InputFileError(Problem(f"无法读取人口栅格 {raster_path}：{exc}")) from exc
    if src.crs is None:
        src.close()
        raise InputFileError(
            Problem(
                f"人口栅格 {raster_path} 没有坐标系（CRS 缺失），无法与服务范围叠加；"
                "请先为其指定坐标系"
            )
        )
    t = src.transform
    if t.b != 0 or t.d != 0:
        src.close()
        raise InputFileError(Problem(f"人口栅格 {raster_path} 带旋转，不支持"))
    return src


def _to_raster_crs(series: gpd.GeoSeries, raster_crs: pyproj.CRS) -> tuple[shapely.Geometry, bool]:
    """Union the geometries in the raster's CRS; say whether they had to be reprojected."""
    reproject = not pyproj.CRS(series.crs).equals(raster_crs, ignore_axis_order=True)
    if reproject:
        series = series.to_crs(raster_crs)
    geoms = shapely.make_valid(series.dropna().to_numpy())
    return shapely.union_all(geoms), reproject


def _cell_fractions(
    geom: shapely.Geometry, transform: Any, rows: NDArray[np.int64], cols: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Exact fraction of each cell (rows, cols of the window) lying inside ``geom``."""
    x0 = transform.c + transform.a * cols
    x1 = x0 + transform.a
    y0 = transform.f + transform.e * rows
    y1 = y0 + transform.e
    cell_area = abs(transform.a * transform.e)
    out = np.zeros(rows.size, dtype=np.float64)
    shapely.prepare(geom)
    for start in range(0, rows.size, _BLOCK_CELLS):
        sl = slice(start, start + _BLOCK_CELLS)
        boxes = shapely.box(
            np.minimum(x0[sl], x1[sl]),
            np.minimum(y0[sl], y1[sl]),
            np.maximum(x0[sl], x1[sl]),
            np.maximum(y0[sl], y1[sl]),
        )
        hit = shapely.intersects(geom, boxes)
        inside = hit & shapely.contains_properly(geom, boxes)
        edge = hit & ~inside
        frac = np.zeros(boxes.size, dtype=np.float64)
        frac[inside] = 1.0
        if edge.any():
            frac[edge] = shapely.area(shapely.intersection(boxes[edge], geom)) / cell_area
        out[sl] = np.clip(frac, 0.0, 1.0)
    return out


def _weighted_sum(src: Any, geom: shapely.Geometry) -> float:
    """People in ``geom`` (raster CRS): cell values times exact covered fractions."""
    if geom is None or geom.is_empty:
        return 0.0
    full = rasterio.windows.Window(0, 0, src.width, src.height)
    try:
        window = rasterio.windows.from_bounds(*geom.bounds, transform=src.transform)
    except rasterio.errors.WindowError:
        return 0.0
    # Every cell the bounds touch, partly or wholly.
    col0 = math.floor(window.col_off)
    row0 = math.floor(window.row_off)
    col1 = math.ceil(window.col_off + window.width)
    row1 = math.ceil(window.row_off + window.height)
    window = rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)
    try:
        window = window.intersection(full)
    except rasterio.errors.WindowError:
        return 0.0
    data = src.read(1, window=window, masked=True)
    values = np.ma.filled(data.astype(np.float64), 0.0)
    values[~np.isfinite(values)] = 0.0
    rows, cols = np.nonzero(values)
    if rows.size == 0:
        return 0.0
    wt = rasterio.windows.transform(window, src.transform)
    frac = _cell_fractions(geom, wt, rows.astype(np.int64), cols.astype(np.int64))
    return float(np.sum(values[rows, cols] * frac))


def covered_population(
    raster_path: str | Path,
    covered: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    aoi: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> PopulationCoverage:
    """Count the people inside the covering polygons, with exact partial-pixel weighting.

    Parameters
    ----------
    raster_path : str or Path
        A population-count raster (people per cell; nodata cells count as 0).
    covered : GeoDataFrame or GeoSeries
        Service areas (e.g. isochrones), with a CRS. Overlaps are counted once.
    aoi : GeoDataFrame or GeoSeries, optional
        Area of interest; both totals are restricted to it. Default: the whole raster.

    Returns
    -------
    PopulationCoverage
        Total, covered, share and the inputs used (CRS, reprojection, method).

    Raises
    ------
    InputFileError
        If the raster cannot be read, has no CRS or is rotated.
    ValidationError
        If the polygons have no CRS.
    """
    cov = _geoseries(covered, "覆盖范围")
    notes: list[str] = []
    with _open(raster_path) as src:
        raster_crs = pyproj.CRS(src.crs)
        cov_geom, reprojected = _to_raster_crs(cov, raster_crs)
        if reprojected:
            notes.append(
                f"覆盖范围已从 {pyproj.CRS(cov.crs).to_string()} 重投影到栅格坐标系 "
                f"{raster_crs.to_string()}（栅格未重采样）"
            )
        if aoi is None:
            values = np.ma.filled(src.read(1, masked=True).astype(np.float64), 0.0)
            total = float(values[np.isfinite(values)].sum())
        else:
            aoi_geom, aoi_reproj = _to_raster_crs(_geoseries(aoi, "统计范围"), raster_crs)
            if aoi_reproj:
                notes.append(f"统计范围已重投影到栅格坐标系 {raster_crs.to_string()}")
            total = _weighted_sum(src, aoi_geom)
            cov_geom = shapely.intersection(cov_geom, aoi_geom)
        value = _weighted_sum(src, cov_geom)
    return PopulationCoverage(
        total=total,
        covered=value,
        share=value / total if total > 0 else math.nan,
        raster=str(raster_path),
        raster_crs=raster_crs.to_string(),
        polygons_crs=pyproj.CRS(cov.crs).to_string(),
        reprojected=reprojected,
        notes=tuple(notes),
    )


def area_share(
    aoi: gpd.GeoDataFrame | gpd.GeoSeries, covered: gpd.GeoDataFrame | gpd.GeoSeries
) -> float:
    """Share of the area of interest's area lying inside the covering polygons.

    Both are unioned (overlaps once) and measured in the Gauss-Krüger zone of ``aoi``.

    Parameters
    ----------
    aoi : GeoDataFrame or GeoSeries
        Area of interest, with a CRS.
    covered : GeoDataFrame or GeoSeries
        Service areas, with a CRS.

    Returns
    -------
    float
        Covered share in [0, 1] (NaN for an empty area of interest).
    """
    a = _geoseries(aoi, "统计范围")
    c = _geoseries(covered, "覆盖范围")
    gk = projected_crs_for(a)
    a_geom = shapely.union_all(shapely.make_valid(a.to_crs(gk).dropna().to_numpy()))
    c_geom = shapely.union_all(shapely.make_valid(c.to_crs(gk).dropna().to_numpy()))
    total = shapely.area(a_geom)
    if total <= 0:
        return math.nan
    return float(shapely.area(shapely.intersection(a_geom, c_geom)) / total)


def zonal_table(
    raster_path: str | Path,
    zones: gpd.GeoDataFrame,
    covered: gpd.GeoDataFrame | gpd.GeoSeries,
) -> pd.DataFrame:
    """Per-zone population, covered population, covered share and covered area share.

    Parameters
    ----------
    raster_path : str or Path
        A population-count raster.
    zones : GeoDataFrame
        Zones (e.g. subdistricts or communities), with a CRS; one row per zone.
    covered : GeoDataFrame or GeoSeries
        Service areas, with a CRS. Overlaps are counted once.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``zones``, with columns ``population``, ``covered_population``,
        ``share`` (covered / population) and ``area_share`` (covered area / zone area,
        Gauss-Krüger).

    Raises
    ------
    InputFileError
        If the raster cannot be read or has no CRS.
    ValidationError
        If the zones or the polygons have no CRS.
    """
    z = _geoseries(zones, "统计单元")
    cov = _geoseries(covered, "覆盖范围")
    gk = projected_crs_for(z)
    cov_gk = shapely.union_all(shapely.make_valid(cov.to_crs(gk).dropna().to_numpy()))
    z_gk = shapely.make_valid(z.to_crs(gk).to_numpy())
    zone_area = shapely.area(z_gk)
    with np.errstate(invalid="ignore", divide="ignore"):
        a_share = shapely.area(shapely.intersection(z_gk, cov_gk)) / zone_area
    with _open(raster_path) as src:
        raster_crs = pyproj.CRS(src.crs)
        cov_geom, _ = _to_raster_crs(cov, raster_crs)
        same = pyproj.CRS(z.crs).equals(raster_crs, ignore_axis_order=True)
        z_r = z if same else z.to_crs(raster_crs)
        pops, covs = [], []
        for geom in shapely.make_valid(z_r.to_numpy()):
            pops.append(_weighted_sum(src, geom))
            covs.append(_weighted_sum(src, shapely.intersection(geom, cov_geom)))
    pop = np.asarray(pops)
    cpop = np.asarray(covs)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(pop > 0, cpop / np.where(pop > 0, pop, 1.0), np.nan)
    return pd.DataFrame(
        {
            "population": pop,
            "covered_population": cpop,
            "share": share,
            "area_share": np.where(zone_area > 0, a_share, np.nan),
        },
        index=zones.index,
    )

"""Coordinate systems for geociv.

Everything geociv stores is in CGCS2000 geographic coordinates (:data:`STORAGE_CRS`,
EPSG:4490). This module

* picks the CGCS2000 3-degree Gauss-Krüger zone for a place (:func:`gk_zone_epsg`,
  :func:`projected_crs_for`) and measures areas and lengths in it (:func:`area_km2`,
  :func:`length_km`);
* checks that coordinates lie in China (:func:`check_lonlat`, :func:`in_china`), reporting
  every bad point at once and spotting swapped latitude/longitude;
* converts between WGS84/CGCS2000 and the offset systems of Chinese web maps, GCJ-02
  (AutoNavi/Amap, Tencent) and BD-09 (Baidu) (:func:`convert_lonlat` and friends);
* brings an uploaded GeoDataFrame into the storage CRS (:func:`to_storage_crs`).

WGS84 and CGCS2000 are treated as the same system. Both are geocentric frames aligned with
the ITRF and use nearly identical ellipsoids (the flattening differs in the ninth significant
digit, which moves points by about 0.1 mm); the frames differ by plate motion since the
CGCS2000 epoch 2000.0, which in China is a few centimetres a year and stays below 1 m. That is
far below the accuracy of the data geociv handles (web-map picks, GPS handsets, digitised
boundaries) and far below the hundreds of metres of the GCJ-02 offset.

The China range checks use a bounding box, :data:`CHINA_BOUNDS`; it is a plausibility check,
not a border test (parts of neighbouring countries lie inside it).

Examples
--------
>>> gk_zone_epsg(114.02)
4547
>>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
>>> round(lon, 8), round(lat, 8)
(116.4102445, 39.91640428)
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj.exceptions import CRSError as _PyprojCRSError

from geociv.errors import CoordinateRangeError, CRSError, Problem

__all__ = [
    "CHINA_BOUNDS",
    "GK_LON_RANGE",
    "STORAGE_CRS",
    "STORAGE_EPSG",
    "SYSTEMS",
    "area_km2",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "check_lonlat",
    "convert_lonlat",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "gk_zone_epsg",
    "in_china",
    "length_km",
    "projected_crs_for",
    "to_storage_crs",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

STORAGE_CRS = "EPSG:4490"
"""The CRS geociv stores geometries in: CGCS2000 geographic, longitude/latitude."""

STORAGE_EPSG = 4490
"""EPSG code of :data:`STORAGE_CRS`."""

CHINA_BOUNDS: tuple[float, float, float, float] = (73.4, 3.8, 135.1, 53.6)
"""Bounding box of China as (min lon, min lat, max lon, max lat), degrees."""

GK_LON_RANGE: tuple[float, float] = (73.5, 135.5)
"""Longitudes covered by the CGCS2000 3-degree Gauss-Krüger zones EPSG:4534..4554."""

SYSTEMS: tuple[str, ...] = ("WGS84", "CGCS2000", "GCJ02", "BD09")
"""Names of the longitude/latitude systems :func:`convert_lonlat` knows."""

FloatOrArray = float | NDArray[np.float64]

# First of the "CGCS2000 / 3-degree Gauss-Kruger CM ..E" codes (CM 75E); one code per 3 degrees.
_GK_FIRST_EPSG = 4534
_GK_FIRST_CM = 75

# How far (degrees) GCJ-02/BD-09 input may lie outside CHINA_BOUNDS: the offsets move points
# by up to about 0.013 degrees, so a point just inside the box in WGS84 can lie just outside
# it in BD-09 and must still convert back.
_OFFSET_MARGIN = 0.05

# Most bad coordinates named in one error raised for a file.
_MAX_LISTED = 20

# GCJ-02 ("Mars coordinates"), as published: Krasovsky 1940 ellipsoid, polynomial + sine offset.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
# BD-09, as published.
_X_PI = math.pi * 3000.0 / 180.0
_BD_DLON = 0.0065
_BD_DLAT = 0.006

# Inverse conversions iterate until the correction is below this (degrees, ~1e-5 m).
_INVERSE_TOL = 1e-10
_INVERSE_MAX_ITER = 30

_ACCEPTED_NAMES = "WGS84（EPSG:4326）、CGCS2000（EPSG:4490）、GCJ02（gcj-02）、BD09（bd-09）"
_ALIASES = {
    "WGS84": "WGS84",
    "EPSG:4326": "WGS84",
    "4326": "WGS84",
    "CGCS2000": "CGCS2000",
    "EPSG:4490": "CGCS2000",
    "4490": "CGCS2000",
    "GCJ02": "GCJ02",
    "BD09": "BD09",
    "BD09LL": "BD09",
}


# --------------------------------------------------------------------------------------------
# Range checks
# --------------------------------------------------------------------------------------------


def _inside(lon: NDArray[np.float64], lat: NDArray[np.float64], margin: float = 0.0) -> Any:
    min_lon, min_lat, max_lon, max_lat = CHINA_BOUNDS
    with np.errstate(invalid="ignore"):
        return (
            (lon >= min_lon - margin)
            & (lon <= max_lon + margin)
            & (lat >= min_lat - margin)
            & (lat <= max_lat + margin)
        )


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Tell which points lie in China's bounding box, :data:`CHINA_BOUNDS`.

    Parameters
    ----------
    lon, lat : float or array_like
        Longitude and latitude in degrees; broadcast against each other.

    Returns
    -------
    numpy.ndarray of bool
        True where the point is inside the box; NaN and infinite coordinates give False.
        A 0-d array for scalar input.

    Examples
    --------
    >>> in_china([114.02, -0.12], [32.98, 51.5]).tolist()
    [True, False]
    """
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    return np.asarray(_inside(lon_a, lat_a))


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _describe(lon: float, lat: float, margin: float = 0.0) -> str:
    """Say in Chinese what is wrong with one coordinate that failed the range check."""
    where = f"坐标 ({_fmt(lon)}, {_fmt(lat)})"
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return f"{where} 不是有效数字（空值或无穷大）"
    if _inside(np.float64(lat), np.float64(lon), margin):
        return f"{where} 不在中国境内，经纬度可能颠倒"
    if abs(lon) > 180 or abs(lat) > 90:
        return f"{where} 不是经纬度，看起来是投影坐标（单位为米），请检查坐标系"
    return f"{where} 不在中国境内"


def _range_error(
    problems: list[Problem], total: int, title: str = "坐标有误", hint: str | None = None
) -> CoordinateRangeError:
    """Build one CoordinateRangeError naming ``problems`` (the first of ``total``)."""
    if total == 1 and len(problems) == 1:
        message = f"{title}：{problems[0]}"
    else:
        head = f"{title}（共 {total} 处"
        if total > len(problems):
            head += f"，以下列出前 {len(problems)} 处"
        message = "\n".join([head + "）：", *(f"  - {p}" for p in problems)])
    if hint:
        message += f"\n{hint}"
    error = CoordinateRangeError(message)
    error.problems = problems  # type: ignore[attr-defined]
    error.total = total  # type: ignore[attr-defined]
    return error


def _raise_if_outside(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    labels: NDArray[np.int64] | None,
    *,
    margin: float = 0.0,
    label_is_row: bool = True,
    one_per_label: bool = False,
    limit: int | None = None,
    hint: str | None = None,
) -> None:
    """Raise one CoordinateRangeError for every point of the flat arrays outside China.

    ``labels`` numbers the points (file rows, or positions); ``None`` leaves them unnamed,
    which suits a single point. With ``one_per_label`` only a label's first bad point is
    described (a feature with many bad vertices is one problem).
    """
    bad = ~_inside(lon, lat, margin)
    if not bad.any():
        return
    positions = np.flatnonzero(bad)
    if one_per_label and labels is not None:
        _, first = np.unique(labels[positions], return_index=True)
        positions = positions[np.sort(first)]
    total = len(positions)
    problems = []
    for pos in positions[:limit]:
        message = _describe(float(lon[pos]), float(lat[pos]), margin)
        if labels is None:
            problems.append(Problem(message))
        elif label_is_row:
            problems.append(Problem(message, row=int(labels[pos])))
        else:
            problems.append(Problem(f"第 {int(labels[pos])} 个坐标：{message}"))
    raise _range_error(problems, total, hint=hint)


def check_lonlat(
    lon: ArrayLike,
    lat: ArrayLike,
    *,
    rows: Sequence[int] | NDArray[np.integer] | None = None,
    limit: int | None = None,
) -> None:
    """Check that coordinates are finite and lie in China; raise once for all bad ones.

    A coordinate is bad when it is NaN or infinite, or outside :data:`CHINA_BOUNDS`. When
    the swapped pair (lat, lon) would be inside China the message says "经纬度可能颠倒";
    values beyond ±180/±90 are said to look like projected metres.

    Parameters
    ----------
    lon, lat : float or array_like
        Longitude and latitude in degrees; broadcast against each other and read in
        C order.
    rows : sequence of int, optional
        Row number of each coordinate (1-based file rows), used in the messages. Without
        it, points of an array are named by their 1-based position and a lone scalar is
        not numbered.
    limit : int, optional
        Describe at most this many bad points (the total is always given). Default: all.

    Raises
    ------
    CoordinateRangeError
        Listing every bad coordinate; its ``problems`` attribute holds one
        :class:`~geociv.errors.Problem` per bad point and ``total`` their number.

    Examples
    --------
    >>> check_lonlat(114.02, 32.98)
    >>> check_lonlat(32.98, 114.02)
    Traceback (most recent call last):
    ...
    geociv.errors.CoordinateRangeError: 坐标有误：坐标 (32.98, 114.02) 不在中国境内，经纬度可能颠倒
    """
    lon_b, lat_b = np.broadcast_arrays(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    scalar = lon_b.ndim == 0
    lon_f, lat_f = lon_b.ravel(), lat_b.ravel()
    labels: NDArray[np.int64] | None
    if rows is not None:
        labels = np.asarray(rows, dtype=np.int64).ravel()
        if labels.shape != lon_f.shape:
            raise ValueError(f"rows has {labels.size} entries for {lon_f.size} coordinates")
    elif scalar:
        labels = None
    else:
        labels = np.arange(1, lon_f.size + 1)
    _raise_if_outside(lon_f, lat_f, labels, label_is_row=rows is not None, limit=limit)


# --------------------------------------------------------------------------------------------
# Gauss-Krüger zones and measurement
# --------------------------------------------------------------------------------------------


def _zone_cm(lon: NDArray[np.float64]) -> NDArray[np.float64]:
    # Nearest multiple of 3; a longitude exactly on a zone boundary goes to the eastern zone.
    return 3.0 * np.floor(lon / 3.0 + 0.5)


def gk_zone_epsg(lon: float) -> int:
    """Return the EPSG code of the CGCS2000 3-degree Gauss-Krüger zone for a longitude.

    The zones are EPSG:4534 (central meridian 75°E) to EPSG:4554 (135°E), eastings with a
    500 km false easting and no zone prefix. The central meridian is the multiple of 3
    nearest to ``lon``.

    Parameters
    ----------
    lon : float
        Longitude in degrees east, within :data:`GK_LON_RANGE` (73.5–135.5).

    Returns
    -------
    int
        ``4534 + (CM - 75) / 3``.

    Raises
    ------
    CoordinateRangeError
        If ``lon`` is outside 73.5–135.5 or not a number.

    Examples
    --------
    >>> gk_zone_epsg(114.0), gk_zone_epsg(75.0), gk_zone_epsg(135.0)
    (4547, 4534, 4554)
    """
    lon = float(lon)
    low, high = GK_LON_RANGE
    if not low <= lon <= high:
        message = f"经度 {_fmt(lon)} 不在中国的高斯-克吕格 3 度带范围（{low}°E–{high}°E）内"
        if CHINA_BOUNDS[1] <= lon <= CHINA_BOUNDS[3]:
            message += "，经纬度可能颠倒"
        raise CoordinateRangeError(message)
    cm = float(_zone_cm(np.float64(lon)))
    return _GK_FIRST_EPSG + round((cm - _GK_FIRST_CM) / 3)


def _geographic_view(
    geoseries: gpd.GeoSeries,
) -> gpd.GeoSeries:
    if geoseries.crs is not None and not geoseries.crs.is_geographic:
        return geoseries.to_crs(STORAGE_EPSG)
    return geoseries


def projected_crs_for(
    geometry_or_bounds: shapely.Geometry
    | gpd.GeoSeries
    | gpd.GeoDataFrame
    | Sequence[float]
    | NDArray[np.float64],
) -> pyproj.CRS:
    """Return the Gauss-Krüger zone CRS suited to a geometry or a bounding box.

    Parameters
    ----------
    geometry_or_bounds : shapely geometry, GeoSeries, GeoDataFrame or sequence of 4 floats
        A geometry in longitude/latitude (its centroid longitude picks the zone); a
        GeoSeries/GeoDataFrame (the centre of its total bounds; reprojected to
        :data:`STORAGE_CRS` first if its CRS is projected); or bounds
        ``(min lon, min lat, max lon, max lat)`` (the centre longitude).

    Returns
    -------
    pyproj.CRS
        The zone's CRS, e.g. EPSG:4547 for Zhumadian.

    Raises
    ------
    CoordinateRangeError
        If the longitude is outside the zones or the geometry is empty.

    Examples
    --------
    >>> projected_crs_for((113.9, 32.9, 114.1, 33.1)).to_epsg()
    4547
    """
    obj = geometry_or_bounds
    if isinstance(obj, gpd.GeoDataFrame):
        obj = obj.geometry
    if isinstance(obj, gpd.GeoSeries):
        min_lon, _, max_lon, _ = _geographic_view(obj).total_bounds
        lon = (min_lon + max_lon) / 2.0
    elif isinstance(obj, shapely.Geometry):
        if obj.is_empty:
            raise CoordinateRangeError("几何为空，无法确定投影带")
        lon = shapely.get_x(shapely.centroid(obj))
    else:
        bounds = np.asarray(obj, dtype=np.float64).ravel()
        if bounds.size != 4:
            raise ValueError("bounds must be (min lon, min lat, max lon, max lat)")
        lon = (bounds[0] + bounds[2]) / 2.0
    return pyproj.CRS.from_epsg(gk_zone_epsg(float(lon)))


_local = threading.local()


def _transformer(src: pyproj.CRS, dst: pyproj.CRS | int) -> pyproj.Transformer:
    """Return a cached always_xy transformer (one cache per thread: they are not shareable)."""
    cache: dict[tuple[str, str], pyproj.Transformer] = _local.__dict__.setdefault(
        "transformers", {}
    )
    dst_crs = pyproj.CRS.from_user_input(dst)
    key = (src.to_wkt(), dst_crs.to_wkt())
    if key not in cache:
        cache[key] = pyproj.Transformer.from_crs(src, dst_crs, always_xy=True)
    return cache[key]


def _project(geoms: NDArray[np.object_], transformer: pyproj.Transformer) -> NDArray[np.object_]:
    def func(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, func)


def _as_geometries(geoms: Any, crs: Any) -> tuple[NDArray[np.object_], pyproj.CRS]:
    own_crs = None
    if isinstance(geoms, gpd.GeoDataFrame):
        geoms = geoms.geometry
    if isinstance(geoms, gpd.GeoSeries):
        own_crs = geoms.crs
        arr = np.asarray(geoms.to_numpy(), dtype=object)
    elif isinstance(geoms, shapely.Geometry | np.ndarray):
        arr = np.asarray(geoms, dtype=object)
    else:
        arr = np.empty(len(geoms), dtype=object)
        arr[:] = list(geoms)
    if crs is not None:
        try:
            src = pyproj.CRS.from_user_input(crs)
        except _PyprojCRSError as exc:
            raise CRSError(f"无法识别的坐标系“{crs}”") from exc
        if own_crs is not None and not _same_crs(own_crs, src):
            raise CRSError(
                f"几何自带的坐标系 {_crs_name(own_crs)} 与指定的 {_crs_name(src)} 不一致"
            )
    else:
        src = pyproj.CRS.from_user_input(own_crs or STORAGE_CRS)
    return arr, src


def _measure(
    geoms: Any, crs: Any, metric: Callable[[NDArray[np.object_]], NDArray[np.float64]]
) -> NDArray[np.float64]:
    arr, src = _as_geometries(geoms, crs)
    if not src.is_geographic:
        arr = _project(arr, _transformer(src, STORAGE_EPSG))
        src = pyproj.CRS.from_epsg(STORAGE_EPSG)
    result = np.zeros(arr.shape, dtype=np.float64)
    missing = shapely.is_missing(arr)
    result[missing] = np.nan
    todo = ~missing & ~shapely.is_empty(arr)
    if not todo.any():
        return result
    lon = np.full(arr.shape, np.nan)
    lon[todo] = shapely.get_x(shapely.centroid(arr[todo]))
    low, high = GK_LON_RANGE
    with np.errstate(invalid="ignore"):
        bad = todo & ~((lon >= low) & (lon <= high))
    if bad.any():
        positions = np.flatnonzero(bad.ravel())
        problems = [
            Problem(
                f"第 {pos + 1} 个几何的中心经度 {_fmt(lon.ravel()[pos])} "
                f"不在中国的高斯-克吕格投影带范围（{low}°E–{high}°E）内"
            )
            for pos in positions[:_MAX_LISTED]
        ]
        raise _range_error(problems, len(positions), title="无法计算面积或长度")
    epsg = np.zeros(arr.shape, dtype=np.int64)
    epsg[todo] = _GK_FIRST_EPSG + np.rint((_zone_cm(lon[todo]) - _GK_FIRST_CM) / 3).astype(np.int64)
    for code in np.unique(epsg[todo]):
        mask = todo & (epsg == code)
        projected = _project(arr[mask], _transformer(src, int(code)))
        result[mask] = metric(projected)
    return result


def area_km2(geoms: Any, crs: Any = None) -> NDArray[np.float64]:
    """Area of each geometry in km², measured in its own Gauss-Krüger zone.

    Each geometry is projected to the CGCS2000 3-degree zone of its centroid longitude
    (geometries are grouped by zone, one transformation per zone) and its planar area
    taken there. Within a zone the Gauss-Krüger scale error changes areas by at most
    about 0.07 % against the ellipsoidal area.

    Parameters
    ----------
    geoms : GeoSeries, GeoDataFrame, array or list of shapely geometries, or one geometry
        The geometries, in longitude/latitude.
    crs : str, int or pyproj.CRS, optional
        CRS of ``geoms``. Default: the GeoSeries' own CRS, else :data:`STORAGE_CRS`. A
        projected CRS is accepted (the geometries are first brought to CGCS2000).

    Returns
    -------
    numpy.ndarray of float
        One area per geometry (same shape as the input): 0 for empty geometries, NaN for
        missing ones (None).

    Raises
    ------
    CoordinateRangeError
        If a centroid lies outside the zones (73.5°E–135.5°E).
    CRSError
        If ``crs`` is unknown or contradicts the GeoSeries' CRS.

    Examples
    --------
    >>> from shapely import box
    >>> float(area_km2([box(114.0, 33.0, 114.1, 33.1)])[0].round(1))
    103.6
    """
    return _measure(geoms, crs, shapely.area) / 1e6


def length_km(geoms: Any, crs: Any = None) -> NDArray[np.float64]:
    """Length of each geometry in km, measured in its own Gauss-Krüger zone.

    Lines give their length, polygons their perimeter (all rings), points 0. Parameters,
    errors and accuracy are as for :func:`area_km2` (length scale error at most ~0.035 %).

    Examples
    --------
    >>> from shapely import LineString
    >>> float(length_km([LineString([(114.0, 33.0), (114.0, 34.0)])])[0].round(1))
    110.9
    """
    return _measure(geoms, crs, shapely.length) / 1e3


# --------------------------------------------------------------------------------------------
# GCJ-02 and BD-09
# --------------------------------------------------------------------------------------------


def _gcj_offset(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The published GCJ-02 offset (degrees) of a WGS84 point."""
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    d_lat += common
    d_lat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    d_lon += common
    d_lon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    # The polynomials give metres-ish values; scale them to degrees on the Krasovsky ellipsoid.
    rad_lat = lat / 180.0 * pi
    magic = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * pi)
    d_lon = (d_lon * 180.0) / (_KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * pi)
    return d_lon, d_lat


def _wgs_to_gcj(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    d_lon, d_lat = _gcj_offset(lon, lat)
    return lon + d_lon, lat + d_lat


def _gcj_to_bd(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd_to_gcj_approx(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The published one-step BD-09 inverse (errors up to about a metre)."""
    x = lon - _BD_DLON
    y = lat - _BD_DLAT
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


_Forward = Callable[
    [NDArray[np.float64], NDArray[np.float64]], tuple[NDArray[np.float64], NDArray[np.float64]]
]


def _invert(
    forward: _Forward,
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    start: tuple[NDArray[np.float64], NDArray[np.float64]],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Solve ``forward(x) == (lon, lat)`` by fixed-point iteration from ``start``.

    ``forward`` is the identity plus a slowly varying offset, so ``x <- x - (forward(x) - target)``
    contracts quickly (the offsets' derivatives are of order 1e-2).
    """
    x_lon, x_lat = np.array(start[0], dtype=np.float64), np.array(start[1], dtype=np.float64)
    for _ in range(_INVERSE_MAX_ITER):
        f_lon, f_lat = forward(x_lon, x_lat)
        e_lon = f_lon - lon
        e_lat = f_lat - lat
        x_lon = x_lon - e_lon
        x_lat = x_lat - e_lat
        change = np.maximum(np.abs(e_lon), np.abs(e_lat))
        if np.max(change, initial=0.0, where=np.isfinite(change)) < _INVERSE_TOL:
            break
    return x_lon, x_lat


def _gcj_to_wgs(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    d_lon, d_lat = _gcj_offset(lon, lat)
    return _invert(_wgs_to_gcj, lon, lat, (lon - d_lon, lat - d_lat))


def _bd_to_gcj(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return _invert(_gcj_to_bd, lon, lat, _bd_to_gcj_approx(lon, lat))


# Conversion chains between the canonical systems (CGCS2000 is folded into WGS84).
_STEPS: dict[tuple[str, str], tuple[_Forward, ...]] = {
    ("WGS84", "GCJ02"): (_wgs_to_gcj,),
    ("GCJ02", "WGS84"): (_gcj_to_wgs,),
    ("GCJ02", "BD09"): (_gcj_to_bd,),
    ("BD09", "GCJ02"): (_bd_to_gcj,),
    ("WGS84", "BD09"): (_wgs_to_gcj, _gcj_to_bd),
    ("BD09", "WGS84"): (_bd_to_gcj, _gcj_to_wgs),
}


def _system(name: object) -> str:
    """Canonical name (WGS84, CGCS2000, GCJ02, BD09) of a system name or alias."""
    key = str(name).strip().upper().replace("-", "").replace("_", "").replace(" ", "")
    if isinstance(name, str) and key in _ALIASES:
        return _ALIASES[key]
    raise CRSError(f"无法识别的坐标系“{name}”，可用的名称：{_ACCEPTED_NAMES}（不区分大小写）")


def _margin(system: str) -> float:
    return _OFFSET_MARGIN if system in ("GCJ02", "BD09") else 0.0


def _convert(lon: ArrayLike, lat: ArrayLike, src: str, dst: str) -> tuple[Any, Any]:
    lon_b, lat_b = np.broadcast_arrays(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    scalar = lon_b.ndim == 0
    labels = None if scalar else np.arange(1, lon_b.size + 1)
    _raise_if_outside(lon_b.ravel(), lat_b.ravel(), labels, margin=_margin(src), label_is_row=False)
    out_lon, out_lat = np.array(lon_b), np.array(lat_b)
    for step in _STEPS.get((_canonical(src), _canonical(dst)), ()):
        out_lon, out_lat = step(out_lon, out_lat)
    if scalar:
        return float(out_lon), float(out_lat)
    return out_lon, out_lat


def _canonical(system: str) -> str:
    return "WGS84" if system == "CGCS2000" else system


def convert_lonlat(
    lon: ArrayLike, lat: ArrayLike, src: str, dst: str = "CGCS2000"
) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert longitude/latitude between WGS84, CGCS2000, GCJ-02 and BD-09.

    WGS84 and CGCS2000 are treated as identical (they differ by less than 1 m, see the
    module notes), so converting between them returns the input unchanged.

    Parameters
    ----------
    lon, lat : float or array_like
        Coordinates in degrees; broadcast against each other.
    src, dst : str
        System names, case-insensitive: "WGS84" (or "EPSG:4326"), "CGCS2000"
        ("EPSG:4490"), "GCJ02" ("gcj-02") or "BD09" ("bd-09"). ``dst`` defaults to
        CGCS2000, the storage system.

    Returns
    -------
    (lon, lat)
        Floats for scalar input, else float arrays of the broadcast shape.

    Raises
    ------
    CRSError
        If a name is not one of the accepted ones (the message lists them).
    CoordinateRangeError
        If any input point lies outside China (GCJ-02/BD-09 input may lie up to 0.05°
        outside :data:`CHINA_BOUNDS`, to allow for their offset), is NaN, or looks swapped.

    Examples
    --------
    >>> lon, lat = convert_lonlat(116.41024449916938, 39.91640428150164, "gcj-02")
    >>> round(lon, 9), round(lat, 9)
    (116.404, 39.915)
    """
    src_name, dst_name = _system(src), _system(dst)
    return _convert(lon, lat, src_name, dst_name)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert WGS84 longitude/latitude to GCJ-02 (Amap, Tencent), by the published formula.

    Raises :class:`~geociv.errors.CoordinateRangeError` for points outside China.

    Examples
    --------
    >>> wgs84_to_gcj02(116.404, 39.915)
    (116.41024449916938, 39.91640428150164)
    """
    return _convert(lon, lat, "WGS84", "GCJ02")


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert GCJ-02 longitude/latitude to WGS84.

    The published formula only goes forward; this inverts it by fixed-point iteration to
    1e-10° (about 0.01 mm), so ``wgs84_to_gcj02`` of the result gives back the input.

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(116.404, 39.915)
    >>> round(lon, 6), round(lat, 6)
    (116.397756, 39.913596)
    """
    return _convert(lon, lat, "GCJ02", "WGS84")


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert GCJ-02 longitude/latitude to BD-09 (Baidu), by the published formula.

    Examples
    --------
    >>> gcj02_to_bd09(116.404, 39.915)
    (116.41036949371029, 39.92133699351021)
    """
    return _convert(lon, lat, "GCJ02", "BD09")


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert BD-09 (Baidu) longitude/latitude to GCJ-02.

    Starts from the published one-step inverse and refines it by fixed-point iteration, so
    ``gcj02_to_bd09`` of the result gives back the input.

    Examples
    --------
    >>> lon, lat = bd09_to_gcj02(116.404, 39.915)
    >>> round(lon, 5), round(lat, 5)
    (116.39763, 39.90866)
    """
    return _convert(lon, lat, "BD09", "GCJ02")


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert WGS84 longitude/latitude to BD-09 (via GCJ-02)."""
    return _convert(lon, lat, "WGS84", "BD09")


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert BD-09 longitude/latitude to WGS84 (via GCJ-02, both steps iterated)."""
    return _convert(lon, lat, "BD09", "WGS84")


# --------------------------------------------------------------------------------------------
# Bringing files into the storage CRS
# --------------------------------------------------------------------------------------------


def _crs_name(crs: pyproj.CRS) -> str:
    code = crs.to_authority(min_confidence=90)
    return f"{code[0]}:{code[1]}" if code else crs.name


def _wgs_like(crs: pyproj.CRS) -> bool:
    if not crs.is_geographic:
        return False
    if crs.to_epsg() in (4326, 4490):
        return True
    return crs.equals(pyproj.CRS("OGC:CRS84"), ignore_axis_order=True)


def _same_crs(a: pyproj.CRS, b: pyproj.CRS) -> bool:
    """Whether two CRSs agree (axis order ignored; WGS84 and CGCS2000 count as one)."""
    a, b = pyproj.CRS.from_user_input(a), pyproj.CRS.from_user_input(b)
    return a.equals(b, ignore_axis_order=True) or (_wgs_like(a) and _wgs_like(b))


def _parse_declared(declared: Any) -> tuple[str | None, pyproj.CRS | None]:
    """Return (offset system, CRS): ("GCJ02"/"BD09", None) or (None, CRS) or (None, None)."""
    if declared is None or (isinstance(declared, str) and not declared.strip()):
        return None, None
    if isinstance(declared, str):
        try:
            system = _system(declared)
        except CRSError:
            system = None
        if system in ("GCJ02", "BD09"):
            return system, None
        if system is not None:
            return None, pyproj.CRS.from_epsg(4326 if system == "WGS84" else 4490)
    try:
        return None, pyproj.CRS.from_user_input(declared)
    except _PyprojCRSError as exc:
        raise CRSError(
            f"无法识别的坐标系“{declared}”，请使用 EPSG 代码（如 EPSG:4490、EPSG:4547）"
            "或 GCJ02、BD09"
        ) from exc


def _feature_labels(idx: NDArray[np.int64]) -> NDArray[np.int64]:
    return idx.astype(np.int64) + 1


def _raise_if_not_degrees(
    coords: NDArray[np.float64], idx: NDArray[np.int64], declared_name: str
) -> None:
    with np.errstate(invalid="ignore"):
        metres = (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
    # A swapped pair such as (32.98, 114.02) is reported as swapped later, not as metres.
    metres &= ~_inside(coords[:, 1], coords[:, 0])
    if not metres.any():
        return
    positions = np.flatnonzero(metres)
    _, first = np.unique(idx[positions], return_index=True)
    positions = positions[np.sort(first)]
    problems = [
        Problem(
            f"坐标 ({_fmt(coords[pos, 0])}, {_fmt(coords[pos, 1])}) 超出经纬度范围",
            row=int(idx[pos]) + 1,
        )
        for pos in positions[:_MAX_LISTED]
    ]
    raise _range_error(
        problems,
        len(positions),
        title=f"坐标看起来是投影坐标（单位为米），不是经纬度，坐标系 {declared_name} 可能有误",
    )


def _source_crs(
    system: str | None, declared_crs: pyproj.CRS | None, file_crs: pyproj.CRS | None
) -> tuple[pyproj.CRS | None, str]:
    """The CRS the coordinates are in (``None`` for an offset system) and its name.

    Raises :class:`CRSError` when nothing is declared or the declaration and the file disagree.
    """
    if system is None and declared_crs is None and file_crs is None:
        raise CRSError(
            "未声明坐标系：文件中没有坐标系信息，请注明数据的坐标系"
            "（如 EPSG:4490、EPSG:4326、EPSG:4547、GCJ02、BD09）"
        )
    if system is not None:
        if file_crs is not None and not file_crs.is_geographic:
            raise CRSError(
                f"声明的坐标系 {system} 是经纬度，但文件的坐标系是投影坐标系 "
                f"{_crs_name(file_crs)}，二者不一致"
            )
        return None, system
    if declared_crs is not None and file_crs is not None and not _same_crs(file_crs, declared_crs):
        raise CRSError(
            f"文件的坐标系 {_crs_name(file_crs)} 与声明的坐标系 {_crs_name(declared_crs)} 不一致"
        )
    src_crs = declared_crs if declared_crs is not None else file_crs
    return src_crs, _crs_name(src_crs)


def _check_units(
    coords: NDArray[np.float64], idx: NDArray[np.int64], src_crs: pyproj.CRS | None, src_name: str
) -> str | None:
    """Refuse metres in a geographic CRS; a hint when a projected CRS holds degree-like values.

    ``src_crs`` is ``None`` for an offset system (GCJ-02/BD-09, longitude/latitude).
    """
    if src_crs is None or src_crs.is_geographic:
        _raise_if_not_degrees(coords, idx, src_name)
        return None
    if (
        len(coords)
        and (np.nanmax(np.abs(coords[:, 0]), initial=0) <= 180)
        and (np.nanmax(np.abs(coords[:, 1]), initial=0) <= 90)
    ):
        return f"提示：坐标数值看起来是经纬度，但坐标系 {src_name} 是投影坐标系，坐标系可能有误"
    return None


def _from_offset_system(
    gdf: gpd.GeoDataFrame,
    geoms: NDArray[np.object_],
    coords: NDArray[np.float64],
    idx: NDArray[np.int64],
    system: str,
) -> gpd.GeoDataFrame:
    """``gdf`` in GCJ-02 or BD-09 converted point by point to EPSG:4490 (after a range check)."""
    _raise_if_outside(
        coords[:, 0],
        coords[:, 1],
        _feature_labels(idx),
        margin=_OFFSET_MARGIN,
        one_per_label=True,
        limit=_MAX_LISTED,
    )
    steps = _STEPS[(system, "WGS84")]

    def func(c: NDArray[np.float64]) -> NDArray[np.float64]:
        lon, lat = c[:, 0], c[:, 1]
        for step in steps:
            lon, lat = step(lon, lat)
        out = np.array(c, dtype=np.float64)
        out[:, 0], out[:, 1] = lon, lat
        return out

    out = gdf.set_crs(STORAGE_EPSG, allow_override=True)
    out[gdf.geometry.name] = gpd.GeoSeries(
        shapely.transform(geoms, func, include_z=None), index=gdf.index, crs=STORAGE_EPSG
    )
    return out


def to_storage_crs(gdf: gpd.GeoDataFrame, declared: str | None = None) -> gpd.GeoDataFrame:
    """Return ``gdf`` in :data:`STORAGE_CRS` (EPSG:4490), checking every coordinate.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The features as read from a file; its ``crs`` is the CRS the file declared, if any.
    declared : str, optional
        The CRS the user says the data is in: an EPSG string ("EPSG:4547"), "WGS84",
        "CGCS2000", or "GCJ02"/"BD09" (case-insensitive). For GCJ-02 and BD-09 the
        coordinates are read as longitude/latitude in that system and converted point by
        point; the file may then carry no CRS or a geographic one (offset data is usually
        labelled EPSG:4326), but not a projected one.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame in EPSG:4490. WGS84 (EPSG:4326, OGC:CRS84) data is relabelled without
        moving it (see the module notes); other CRSs are reprojected with pyproj.

    Raises
    ------
    CRSError
        If no CRS is declared and the file has none ("未声明坐标系…"), if ``declared`` is
        unknown, or if it disagrees with the file's CRS.
    CoordinateRangeError
        If a geographic CRS holds values beyond ±180/±90 (the coordinates look projected,
        so the CRS is wrong), or if after conversion any coordinate is outside China or not
        finite. Features are named by 1-based row; at most 20 are listed, with the total.

    Examples
    --------
    >>> from shapely import Point
    >>> gdf = gpd.GeoDataFrame(geometry=[Point(114.02, 32.98)], crs="EPSG:4326")
    >>> to_storage_crs(gdf).crs.to_epsg()
    4490
    """
    system, declared_crs = _parse_declared(declared)
    src_crs, src_name = _source_crs(system, declared_crs, gdf.crs)
    geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    hint = _check_units(coords, idx, src_crs, src_name)
    if system is not None:
        out = _from_offset_system(gdf, geoms, coords, idx, system)
    elif _wgs_like(src_crs):
        out = gdf.set_crs(STORAGE_EPSG, allow_override=True)
    else:
        out = gdf.set_crs(src_crs, allow_override=True).to_crs(STORAGE_EPSG)

    new_coords, new_idx = shapely.get_coordinates(
        np.asarray(out.geometry.to_numpy(), dtype=object), return_index=True
    )
    _raise_if_outside(
        new_coords[:, 0],
        new_coords[:, 1],
        _feature_labels(new_idx),
        one_per_label=True,
        limit=_MAX_LISTED,
        hint=hint,
    )
    return out

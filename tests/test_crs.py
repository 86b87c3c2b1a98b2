"""Tests for geociv.crs: zones, measurement, range checks, GCJ-02/BD-09, storage CRS."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from geociv import crs
from geociv.crs import (
    STORAGE_CRS,
    STORAGE_EPSG,
    area_km2,
    bd09_to_gcj02,
    bd09_to_wgs84,
    check_lonlat,
    convert_lonlat,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    gk_zone_epsg,
    in_china,
    length_km,
    projected_crs_for,
    to_storage_crs,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geociv.errors import CoordinateRangeError, CRSError, GeocivError

GEOD = pyproj.Geod(ellps="GRS80")
ZHUMADIAN = (114.02, 32.98)


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance in metres between two sets of points."""
    n = np.broadcast(lon1, lat1, lon2, lat2).shape
    args = [
        np.broadcast_to(np.asarray(v, dtype=float), n).ravel() for v in (lon1, lat1, lon2, lat2)
    ]
    return np.asarray(GEOD.inv(*args)[2]).reshape(n)


def china_grid(step: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """A grid over China's bounding box, every ``step`` degrees, points inside the box only."""
    lon, lat = np.meshgrid(np.arange(73.0, 136.0, step), np.arange(3.5, 54.0, step))
    inside = in_china(lon, lat)
    return lon[inside], lat[inside]


# ------------------------------------------------------------------------------------------
# Constants and zones
# ------------------------------------------------------------------------------------------


def test_storage_constants():
    assert STORAGE_CRS == "EPSG:4490"
    assert STORAGE_EPSG == 4490
    assert pyproj.CRS(STORAGE_CRS).name == "China Geodetic Coordinate System 2000"


@pytest.mark.parametrize(
    ("lon", "epsg", "cm"),
    [
        (75.0, 4534, 75),
        (73.5, 4534, 75),
        (76.4, 4534, 75),
        (76.6, 4535, 78),
        (112.4, 4546, 111),
        (113.4, 4547, 114),
        (114.0, 4547, 114),
        (114.02, 4547, 114),
        (115.6, 4548, 117),
        (135.0, 4554, 135),
        (135.5, 4554, 135),
    ],
)
def test_gk_zone_epsg(lon, epsg, cm):
    assert gk_zone_epsg(lon) == epsg
    # The code really is the zone with that central meridian.
    zone = pyproj.CRS.from_epsg(epsg)
    assert f"CM {cm}E" in zone.name
    origin = {p.name: p.value for p in zone.coordinate_operation.params}
    assert origin["Longitude of natural origin"] == cm


@pytest.mark.parametrize("lon", [73.4, 135.6, -0.12, 200.0, math.nan, math.inf])
def test_gk_zone_epsg_out_of_range(lon):
    with pytest.raises(CoordinateRangeError, match="3 度带"):
        gk_zone_epsg(lon)


def test_gk_zone_epsg_hints_at_latitude():
    with pytest.raises(CoordinateRangeError, match="颠倒"):
        gk_zone_epsg(32.98)


def test_projected_crs_for():
    assert projected_crs_for(Point(*ZHUMADIAN)).to_epsg() == 4547
    assert projected_crs_for((113.9, 32.9, 114.1, 33.1)).to_epsg() == 4547
    assert projected_crs_for(box(116.0, 39.0, 117.0, 40.0)).to_epsg() == 4548
    series = gpd.GeoSeries([Point(87.6, 43.8), Point(88.0, 44.0)], crs="EPSG:4490")
    assert projected_crs_for(series).to_epsg() == 4538  # CM 87E
    assert projected_crs_for(gpd.GeoDataFrame(geometry=series)).to_epsg() == 4538
    # A projected series is brought to lon/lat first.
    assert projected_crs_for(series.to_crs(3857)).to_epsg() == 4538
    with pytest.raises(CoordinateRangeError):
        projected_crs_for(Point(-0.12, 51.5))
    with pytest.raises(CoordinateRangeError):
        projected_crs_for(Point())


# ------------------------------------------------------------------------------------------
# Area and length
# ------------------------------------------------------------------------------------------


def geod_area_km2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


def geod_length_km(geom) -> float:
    return GEOD.geometry_length(geom) / 1e3


def test_area_of_box_near_zhumadian():
    geom = box(114.0, 33.0, 114.1, 33.1)
    got = area_km2([geom])
    assert got.shape == (1,)
    expected = geod_area_km2(geom)
    assert 100 < expected < 110
    assert got[0] == pytest.approx(expected, rel=1e-3)


def test_area_and_length_across_zones():
    geoms = [
        box(114.0, 33.0, 114.1, 33.1),  # zone centre
        box(115.3, 22.3, 115.45, 22.45),  # near the zone edge, low latitude: most distortion
        box(87.5, 43.7, 87.8, 43.9),  # Urumqi
        Polygon([(126.5, 45.7), (126.8, 45.7), (126.6, 45.9)]),  # Harbin, a triangle
        box(109.4, 18.2, 109.6, 18.3),  # Sanya
    ]
    areas = area_km2(geoms)
    lengths = length_km(geoms)
    for geom, area, length in zip(geoms, areas, lengths, strict=True):
        assert area == pytest.approx(geod_area_km2(geom), rel=1e-3)
        assert length == pytest.approx(geod_length_km(geom), rel=1e-3)


def test_length_of_lines():
    lines = gpd.GeoSeries(
        [
            LineString([(114.0, 33.0), (114.0, 34.0)]),  # one degree of meridian
            LineString([(100.0, 30.0), (100.5, 30.2), (101.0, 30.1)]),
            Point(*ZHUMADIAN),
        ],
        crs="EPSG:4490",
    )
    got = length_km(lines)
    assert got[0] == pytest.approx(geod_length_km(lines[0]), rel=1e-3)
    assert 110 < got[0] < 112
    assert got[1] == pytest.approx(geod_length_km(lines[1]), rel=1e-3)
    assert got[2] == 0


def test_area_shapes_empty_and_missing():
    arr = np.array([[box(114.0, 33.0, 114.1, 33.1), Polygon()], [None, box(110, 30, 110.1, 30.1)]])
    got = area_km2(arr)
    assert got.shape == (2, 2)
    assert got[0, 1] == 0
    assert math.isnan(got[1, 0])
    assert got[1, 1] == pytest.approx(geod_area_km2(arr[1, 1]), rel=1e-3)
    assert area_km2([]).shape == (0,)


def test_area_of_projected_input():
    geom = box(114.0, 33.0, 114.1, 33.1)
    projected = gpd.GeoSeries([geom], crs=STORAGE_CRS).to_crs(4547)
    assert area_km2(projected)[0] == pytest.approx(geod_area_km2(geom), rel=1e-3)
    # A bare array with an explicit CRS.
    assert area_km2(projected.to_numpy(), crs="EPSG:4547")[0] == pytest.approx(
        geod_area_km2(geom), rel=1e-3
    )


def test_area_errors():
    with pytest.raises(CoordinateRangeError, match="第 2 个几何"):
        area_km2([box(114.0, 33.0, 114.1, 33.1), box(-0.2, 51.4, -0.1, 51.5)])
    series = gpd.GeoSeries([box(114.0, 33.0, 114.1, 33.1)], crs="EPSG:4547")
    with pytest.raises(CRSError):
        area_km2(series, crs="EPSG:4490")
    with pytest.raises(CRSError):
        area_km2([box(114.0, 33.0, 114.1, 33.1)], crs="EPSG:no-such")


# ------------------------------------------------------------------------------------------
# Range checks
# ------------------------------------------------------------------------------------------


def test_in_china():
    got = in_china(
        [114.02, -0.12, 32.98, math.nan, 135.1, 73.4], [32.98, 51.5, 114.02, 30, 53.6, 3.8]
    )
    assert got.tolist() == [True, False, False, False, True, True]
    assert bool(in_china(*ZHUMADIAN))
    assert in_china(np.zeros((2, 3)) + 100, 30).shape == (2, 3)


def test_check_lonlat_accepts_good_points():
    check_lonlat(*ZHUMADIAN)
    check_lonlat([114.02, 87.6, 126.6], [32.98, 43.8, 45.75])


def test_check_lonlat_outside_china():
    with pytest.raises(CoordinateRangeError, match="不在中国境内") as info:
        check_lonlat(-0.12, 51.5)
    assert "(-0.12, 51.5)" in str(info.value)
    assert "颠倒" not in str(info.value)
    assert isinstance(info.value, GeocivError)
    assert isinstance(info.value, ValueError)


def test_check_lonlat_swapped():
    with pytest.raises(CoordinateRangeError, match="颠倒") as info:
        check_lonlat(32.98, 114.02)
    assert "(32.98, 114.02)" in str(info.value)


@pytest.mark.parametrize(("lon", "lat"), [(math.nan, 32.98), (114.02, math.nan), (math.inf, 30)])
def test_check_lonlat_not_a_number(lon, lat):
    with pytest.raises(CoordinateRangeError, match="不是有效数字"):
        check_lonlat(lon, lat)


def test_check_lonlat_projected_values():
    with pytest.raises(CoordinateRangeError, match="投影坐标"):
        check_lonlat(501234.0, 3650000.0)


def test_check_lonlat_reports_every_bad_point_with_rows():
    lon = [114.02, -0.12, 114.1, 32.98, math.nan]
    lat = [32.98, 51.5, 33.0, 114.02, 30.0]
    with pytest.raises(CoordinateRangeError) as info:
        check_lonlat(lon, lat, rows=[2, 3, 4, 5, 6])
    error = info.value
    text = str(error)
    assert "共 3 处" in text
    assert "第 3 行" in text and "第 5 行" in text and "第 6 行" in text
    assert "第 2 行" not in text and "第 4 行" not in text
    assert [p.row for p in error.problems] == [3, 5, 6]
    assert "颠倒" in str(error.problems[1])
    assert error.total == 3


def test_check_lonlat_numbers_points_without_rows():
    with pytest.raises(CoordinateRangeError) as info:
        check_lonlat([114.02, -0.12, 200.0], [32.98, 51.5, 30.0])
    text = str(info.value)
    assert "第 2 个坐标" in text and "第 3 个坐标" in text
    assert "第 1 个坐标" not in text


def test_check_lonlat_limit_and_rows_length():
    with pytest.raises(CoordinateRangeError) as info:
        check_lonlat(np.zeros(50), np.zeros(50), limit=5)
    assert "共 50 处" in str(info.value) and "前 5 处" in str(info.value)
    assert len(info.value.problems) == 5
    with pytest.raises(ValueError, match="rows"):
        check_lonlat([1.0, 2.0], [1.0, 2.0], rows=[1])


# ------------------------------------------------------------------------------------------
# GCJ-02 and BD-09
# ------------------------------------------------------------------------------------------

# Reference values published with wandergis/coordtransform (test/app.js) for input
# (116.404, 39.915). Its gcj02towgs84 and bd09togcj02 are one-step approximations.
PUBLISHED = {
    "wgs84_to_gcj02": (116.41024449916938, 39.91640428150164),
    "gcj02_to_wgs84": (116.39775550083061, 39.91359571849836),
    "gcj02_to_bd09": (116.41036949371029, 39.92133699351021),
    "bd09_to_gcj02": (116.39762729119315, 39.90865673957631),
}
BEIJING = (116.404, 39.915)


def test_published_forward_values():
    lon, lat = wgs84_to_gcj02(*BEIJING)
    assert (lon, lat) == pytest.approx(PUBLISHED["wgs84_to_gcj02"], abs=1e-9)
    lon, lat = gcj02_to_bd09(*BEIJING)
    assert (lon, lat) == pytest.approx(PUBLISHED["gcj02_to_bd09"], abs=1e-9)


@pytest.mark.parametrize(
    ("inverse", "forward", "name"),
    [
        (gcj02_to_wgs84, wgs84_to_gcj02, "gcj02_to_wgs84"),
        (bd09_to_gcj02, gcj02_to_bd09, "bd09_to_gcj02"),
    ],
)
def test_published_inverse_values(inverse, forward, name):
    published = PUBLISHED[name]
    ours = inverse(*BEIJING)
    # Within a metre of the published one-step value ...
    assert metres(*ours, *published) < 1.0
    # ... and closer to exact: going forward again lands back on the input.
    ours_back = forward(*ours)
    published_back = forward(*published)
    assert metres(*ours_back, *BEIJING) < 1e-3
    assert metres(*ours_back, *BEIJING) < metres(*published_back, *BEIJING)


def test_scalars_in_floats_out_and_shapes_kept():
    lon, lat = wgs84_to_gcj02(*ZHUMADIAN)
    assert type(lon) is float and type(lat) is float
    lon2, lat2 = wgs84_to_gcj02(np.full((2, 3), ZHUMADIAN[0]), ZHUMADIAN[1])
    assert lon2.shape == lat2.shape == (2, 3)
    assert lon2.dtype == np.float64
    assert np.all(lon2 == lon) and np.all(lat2 == lat)
    lon3, _ = bd09_to_wgs84([114.02, 114.03], [32.98, 32.99])
    assert isinstance(lon3, np.ndarray) and lon3.shape == (2,)
    empty = gcj02_to_wgs84(np.array([]), np.array([]))
    assert empty[0].shape == (0,)


def test_round_trip_wgs_gcj_over_china():
    lon, lat = china_grid(0.5)
    assert lon.size > 10_000
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    error = metres(lon, lat, *back)
    print(f"\nWGS84->GCJ02->WGS84 max round-trip error over {lon.size} points: {error.max():.3g} m")
    assert error.max() < 0.5
    assert error.max() < 1e-3  # the iteration actually converges, far better than required


def test_round_trip_wgs_bd_over_china():
    lon, lat = china_grid(0.5)
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    error = metres(lon, lat, *back)
    print(f"\nWGS84->BD09->WGS84 max round-trip error over {lon.size} points: {error.max():.3g} m")
    assert error.max() < 0.5
    assert error.max() < 1e-3


def test_round_trip_gcj_bd_over_china():
    lon, lat = china_grid(0.5)
    back = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    error = metres(lon, lat, *back)
    print(f"\nGCJ02->BD09->GCJ02 max round-trip error: {error.max():.3g} m")
    assert error.max() < 0.5


def test_one_step_inverse_would_not_be_good_enough():
    """The published one-step inverse misses by metres somewhere: iteration is needed."""
    lon, lat = china_grid(0.5)
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    d_lon, d_lat = crs._gcj_offset(g_lon, g_lat)
    one_step = metres(lon, lat, g_lon - d_lon, g_lat - d_lat)
    assert one_step.max() > 0.5


def test_gcj_offset_near_zhumadian():
    offset = metres(*ZHUMADIAN, *wgs84_to_gcj02(*ZHUMADIAN))
    assert 100 < offset < 700
    bd_offset = metres(*ZHUMADIAN, *wgs84_to_bd09(*ZHUMADIAN))
    assert bd_offset > offset  # BD-09 adds roughly another kilometre of shift


def test_conversions_raise_outside_china():
    for func in (wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, wgs84_to_bd09):
        with pytest.raises(CoordinateRangeError, match="不在中国境内"):
            func(-0.12, 51.5)
    with pytest.raises(CoordinateRangeError, match="颠倒"):
        wgs84_to_gcj02(32.98, 114.02)
    with pytest.raises(CoordinateRangeError, match="不是有效数字"):
        wgs84_to_gcj02(math.nan, 30.0)
    with pytest.raises(CoordinateRangeError) as info:
        gcj02_to_wgs84([114.02, -0.12, 114.0, 32.98], [32.98, 51.5, 33.0, 114.02])
    text = str(info.value)
    assert "共 2 处" in text and "第 2 个坐标" in text and "第 4 个坐标" in text


def test_points_at_the_edge_convert_back():
    # WGS84 points just inside the box move out of it in BD-09 and must still come back.
    lon = np.array([135.09, 135.1, 73.4, 100.0])
    lat = np.array([48.4, 53.6, 39.0, 3.8])
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert metres(lon, lat, *back).max() < 0.01


def test_convert_lonlat_names():
    expected = wgs84_to_gcj02(*BEIJING)
    for src, dst in [("WGS84", "GCJ02"), ("epsg:4326", "gcj-02"), ("cgcs2000", "GCJ_02")]:
        assert convert_lonlat(*BEIJING, src, dst) == expected
    # Default destination is CGCS2000 (== WGS84 here).
    assert convert_lonlat(*expected, "GCJ02") == pytest.approx(BEIJING, abs=1e-9)
    assert convert_lonlat(*BEIJING, "bd-09", "EPSG:4490") == bd09_to_wgs84(*BEIJING)
    assert convert_lonlat(*BEIJING, "BD09", "gcj02") == bd09_to_gcj02(*BEIJING)
    assert convert_lonlat(*BEIJING, "WGS84", "bd09") == wgs84_to_bd09(*BEIJING)
    # WGS84 and CGCS2000 are the same system here: identity.
    assert convert_lonlat(*BEIJING, "WGS84", "CGCS2000") == BEIJING
    assert convert_lonlat(*BEIJING, "gcj02", "GCJ-02") == BEIJING


def test_convert_lonlat_unknown_name():
    with pytest.raises(CRSError) as info:
        convert_lonlat(*BEIJING, "Mercator")
    text = str(info.value)
    for name in ("WGS84", "CGCS2000", "GCJ02", "BD09", "EPSG:4326", "EPSG:4490"):
        assert name in text
    with pytest.raises(CRSError):
        convert_lonlat(*BEIJING, "WGS84", "BD09MC")


def test_convert_lonlat_checks_range():
    with pytest.raises(CoordinateRangeError):
        convert_lonlat(-0.12, 51.5, "WGS84")
    with pytest.raises(CoordinateRangeError):
        convert_lonlat(-0.12, 51.5, "WGS84", "CGCS2000")


# ------------------------------------------------------------------------------------------
# to_storage_crs
# ------------------------------------------------------------------------------------------


def points_gdf(lonlats, crs=None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [f"p{i}" for i in range(len(lonlats))]},
        geometry=[Point(x, y) for x, y in lonlats],
        crs=crs,
    )


ZHUMADIAN_POINTS = [(114.02, 32.98), (114.35, 33.1), (113.7, 32.6)]


def test_to_storage_crs_from_gauss_kruger():
    original = points_gdf(ZHUMADIAN_POINTS, crs=STORAGE_CRS)
    projected = original.to_crs(4547)
    assert projected.geometry.x.min() > 400_000  # really metres
    got = to_storage_crs(projected, None)
    assert got.crs.to_epsg() == 4490
    assert np.allclose(got.geometry.x, original.geometry.x, atol=1e-8)
    assert np.allclose(got.geometry.y, original.geometry.y, atol=1e-8)
    assert list(got["name"]) == ["p0", "p1", "p2"]
    # Declaring the same CRS is fine; the input is not modified.
    assert to_storage_crs(projected, "EPSG:4547").geometry.x.iloc[0] == pytest.approx(114.02)
    assert projected.crs.to_epsg() == 4547
    # A file without CRS, declared projected.
    bare = projected.set_crs(None, allow_override=True)
    assert to_storage_crs(bare, "EPSG:4547").geometry.x.iloc[0] == pytest.approx(114.02)


def test_to_storage_crs_wgs84_is_relabelled():
    gdf = points_gdf(ZHUMADIAN_POINTS, crs="EPSG:4326")
    got = to_storage_crs(gdf)
    assert got.crs.to_epsg() == 4490
    assert got.geometry.x.tolist() == gdf.geometry.x.tolist()
    assert to_storage_crs(points_gdf(ZHUMADIAN_POINTS), "WGS84").crs.to_epsg() == 4490
    assert to_storage_crs(points_gdf(ZHUMADIAN_POINTS), "EPSG:4490").crs.to_epsg() == 4490
    # File says 4326, user says CGCS2000: the same at this precision, accepted.
    assert to_storage_crs(gdf, "CGCS2000").crs.to_epsg() == 4490


@pytest.mark.parametrize(
    ("system", "convert"), [("GCJ02", gcj02_to_wgs84), ("bd-09", bd09_to_wgs84)]
)
def test_to_storage_crs_declared_offset_system(system, convert):
    gdf = points_gdf(ZHUMADIAN_POINTS)
    got = to_storage_crs(gdf, system)
    assert got.crs.to_epsg() == 4490
    lon, lat = np.array(ZHUMADIAN_POINTS).T
    shift = metres(lon, lat, got.geometry.x.to_numpy(), got.geometry.y.to_numpy())
    if system == "GCJ02":
        assert np.all((shift > 100) & (shift < 700))
    exp_lon, exp_lat = convert(lon, lat)
    assert np.allclose(got.geometry.x, exp_lon, atol=1e-12)
    assert np.allclose(got.geometry.y, exp_lat, atol=1e-12)
    # Offset data labelled EPSG:4326 (as GeoJSON exports usually are) is accepted too.
    labelled = to_storage_crs(points_gdf(ZHUMADIAN_POINTS, crs="EPSG:4326"), system)
    assert np.allclose(labelled.geometry.x, exp_lon, atol=1e-12)


def test_to_storage_crs_converts_every_vertex_and_keeps_z():
    ring = [(114.0, 33.0), (114.1, 33.0), (114.1, 33.1), (114.0, 33.1)]
    gdf = gpd.GeoDataFrame(
        geometry=[Polygon(ring), LineString([(114.0, 33.0, 80.0), (114.2, 33.2, 90.0)])]
    )
    got = to_storage_crs(gdf, "GCJ02")
    coords = shapely.get_coordinates(got.geometry.to_numpy())
    lon, lat = np.array([*ring, ring[0]]).T
    exp_lon, exp_lat = gcj02_to_wgs84(lon, lat)
    assert np.allclose(coords[:5, 0], exp_lon) and np.allclose(coords[:5, 1], exp_lat)
    assert shapely.get_coordinates(got.geometry.iloc[1], include_z=True)[:, 2].tolist() == [80, 90]


def test_to_storage_crs_undeclared():
    with pytest.raises(CRSError, match="未声明坐标系"):
        to_storage_crs(points_gdf(ZHUMADIAN_POINTS), None)


def test_to_storage_crs_disagreement():
    projected = points_gdf(ZHUMADIAN_POINTS, crs=STORAGE_CRS).to_crs(4547)
    with pytest.raises(CRSError, match="不一致"):
        to_storage_crs(projected, "EPSG:4326")
    with pytest.raises(CRSError, match="不一致"):
        to_storage_crs(projected, "GCJ02")
    with pytest.raises(CRSError, match="不一致"):
        to_storage_crs(points_gdf(ZHUMADIAN_POINTS, crs="EPSG:4326"), "EPSG:4547")
    with pytest.raises(CRSError, match="无法识别"):
        to_storage_crs(points_gdf(ZHUMADIAN_POINTS), "EPSG:999999")


def test_to_storage_crs_metres_declared_geographic():
    metres_gdf = points_gdf(ZHUMADIAN_POINTS, crs=STORAGE_CRS).to_crs(4547)
    bare = metres_gdf.set_crs(None, allow_override=True)
    with pytest.raises(CoordinateRangeError, match="投影坐标") as info:
        to_storage_crs(bare, "EPSG:4326")
    assert "EPSG:4326" in str(info.value) and "第 1 行" in str(info.value)
    with pytest.raises(CoordinateRangeError, match="投影坐标"):
        to_storage_crs(bare, "GCJ02")
    # The file itself wrongly says 4326.
    with pytest.raises(CoordinateRangeError, match="投影坐标"):
        to_storage_crs(metres_gdf.set_crs(4326, allow_override=True), None)


def test_to_storage_crs_degrees_declared_projected_hints():
    with pytest.raises(CoordinateRangeError, match="看起来是经纬度"):
        to_storage_crs(points_gdf(ZHUMADIAN_POINTS), "EPSG:4547")


def test_to_storage_crs_reports_bad_rows():
    good = (114.02, 32.98)
    points = [good] * 30
    for i in (2, 5, 9):  # rows 3, 6, 10
        points[i] = (-0.12, 51.5)
    points[12] = (32.98, 114.02)  # row 13, swapped
    with pytest.raises(CoordinateRangeError) as info:
        to_storage_crs(points_gdf(points, crs="EPSG:4490"))
    error = info.value
    assert [p.row for p in error.problems] == [3, 6, 10, 13]
    assert "颠倒" in str(error.problems[-1])
    assert "共 4 处" in str(error)


def test_to_storage_crs_lists_at_most_20_features_once_each():
    rows = [
        Polygon([(-1.0, 51.0), (-0.5, 51.0), (-0.5, 51.5)]) if i % 2 else box(114, 33, 114.1, 33.1)
        for i in range(60)
    ]
    gdf = gpd.GeoDataFrame(geometry=rows, crs="EPSG:4490")
    with pytest.raises(CoordinateRangeError) as info:
        to_storage_crs(gdf)
    error = info.value
    assert error.total == 30  # one per feature, not one per vertex
    assert len(error.problems) == 20
    assert [p.row for p in error.problems] == list(range(2, 41, 2))
    assert "共 30 处" in str(error) and "前 20 处" in str(error)

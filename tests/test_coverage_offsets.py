"""GCJ-02/BD-09 files declared as WGS84, caught by comparing the facilities with the road network.

Real data: the OSM extract of Beijing Haidian around China Agricultural University (WGS84). The
"facilities" are points placed 5–15 m beside real ways of the extract, as facilities at street
addresses are, then written as GCJ-02 or BD-09 with geociv.crs (as Amap or Baidu would give
them) and declared as WGS84.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geociv.coverage.facilities import Facilities
from geociv.coverage.network import WalkNetwork
from geociv.coverage.offsets import (
    MIN_CLOSER_SHARE,
    MIN_DECLARED_M,
    MIN_POINTS,
    check_datum_offset,
)
from geociv.coverage.stored import CoverageInputs
from geociv.crs import convert_lonlat
from geociv.errors import ValidationError
from tests.conftest import BEIJING_PBF, BEIJING_ROADS

PBF = BEIJING_PBF
ROADS = BEIJING_ROADS

#: Ways a facility's address may lie on (the walkable ones; not motorways or cycleways).
ADDRESS_WAYS = ("primary", "secondary", "tertiary", "residential", "living_street", "service",
                "unclassified", "footway", "path", "pedestrian")  # fmt: skip


def sample_points(
    n: int = 30, seed: int = 0, side_m: tuple[float, float] = (5.0, 15.0)
) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat of ``n`` points beside real ways of the Beijing extract.

    Ways are picked with probability proportional to their length; each point lies at a random
    position along its way, ``side_m`` metres to its left or right.
    """
    roads = gpd.read_file(ROADS)
    roads = roads[roads["highway"].isin(ADDRESS_WAYS)].to_crs("EPSG:4548")
    lines = roads.geometry.to_numpy()
    lengths = shapely.length(lines)
    rng = np.random.default_rng(seed)
    xy = []
    for _ in range(n):
        line = lines[rng.choice(len(lines), p=lengths / lengths.sum())]
        at = rng.uniform(1.0, line.length - 1.0)
        before = np.asarray(line.interpolate(at - 1.0).coords[0])
        after = np.asarray(line.interpolate(at + 1.0).coords[0])
        tangent = (after - before) / np.linalg.norm(after - before)
        normal = np.array([-tangent[1], tangent[0]])
        offset = rng.uniform(*side_m) * rng.choice([-1.0, 1.0])
        xy.append(np.asarray(line.interpolate(at).coords[0]) + offset * normal)
    pts = gpd.GeoSeries(shapely.points(np.array(xy)), crs="EPSG:4548").to_crs("EPSG:4326")
    return pts.x.to_numpy(), pts.y.to_numpy()


def as_series(lon: np.ndarray, lat: np.ndarray, crs: str = "EPSG:4326") -> gpd.GeoSeries:
    return gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=crs)


def write_csv(path: Path, lon: np.ndarray, lat: np.ndarray, prefix: str = "养老驿站") -> Path:
    lines = ["名称,类型,经度,纬度"]
    rows = enumerate(zip(lon, lat, strict=True))
    lines += [f"{prefix}{i},日间照料中心,{x:.7f},{y:.7f}" for i, (x, y) in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def network() -> WalkNetwork:
    return WalkNetwork.from_pbf(PBF)


@pytest.fixture(scope="module")
def wgs84() -> tuple[np.ndarray, np.ndarray]:
    return sample_points()


def test_points_declared_in_their_own_system_are_ok(network, wgs84) -> None:
    check = check_datum_offset(network, as_series(*wgs84))
    assert check.verdict == "ok" and not check.suspect
    assert check.n_points == 30 and check.n_used >= 20
    # beside the ways: a few metres as declared, far more if read as GCJ-02 or BD-09
    assert check.declared_median_m < MIN_DECLARED_M
    assert check.gcj02_median_m > 2 * check.declared_median_m
    assert check.bd09_median_m > 10 * check.declared_median_m
    assert check.gcj02_closer_share < 0.5 and check.bd09_closer_share < 0.5
    assert "未发现" in check.message and "WGS84" in check.message
    # CGCS2000 (EPSG:4490) is the same positions
    same = check_datum_offset(network, as_series(*wgs84, crs="EPSG:4490"), declared="CGCS2000")
    assert same.verdict == "ok" and same.declared_median_m == check.declared_median_m


def test_gcj02_declared_as_wgs84_is_suspected(network, wgs84) -> None:
    lon, lat = convert_lonlat(*wgs84, "WGS84", "GCJ02")
    check = check_datum_offset(network, as_series(lon, lat))
    assert check.verdict == "suspect_gcj02" and check.suspect
    assert check.declared_median_m >= MIN_DECLARED_M
    assert check.gcj02_median_m <= 0.5 * check.declared_median_m
    assert check.gcj02_closer_share >= MIN_CLOSER_SHARE
    # read as GCJ-02 the points are back beside their ways
    assert check.gcj02_median_m < 15
    assert f"{check.declared_median_m:.0f} 米" in check.message
    assert "GCJ-02（高德/腾讯）" in check.message and "请以 GCJ02 重新导入" in check.message
    assert json.loads(json.dumps(check.to_dict(), ensure_ascii=False))["verdict"] == "suspect_gcj02"


def test_bd09_declared_as_wgs84_is_suspected(network, wgs84) -> None:
    lon, lat = convert_lonlat(*wgs84, "WGS84", "BD09")
    check = check_datum_offset(network, as_series(lon, lat))
    assert check.verdict == "suspect_bd09"
    assert check.bd09_median_m < 15 and check.declared_median_m > 100
    assert check.bd09_closer_share >= MIN_CLOSER_SHARE
    assert "BD-09（百度）" in check.message and "请以 BD09 重新导入" in check.message


@pytest.mark.parametrize("seed", [101, 102, 103])
def test_other_samples_give_the_same_verdicts(network, seed: int) -> None:
    lon, lat = sample_points(seed=seed)
    verdicts = [
        check_datum_offset(network, as_series(*convert_lonlat(lon, lat, "WGS84", truth))).verdict
        for truth in ("WGS84", "GCJ02", "BD09")
    ]
    assert verdicts == ["ok", "suspect_gcj02", "suspect_bd09"]


def test_too_few_points_or_points_off_the_network_are_undecided(network, wgs84) -> None:
    lon, lat = convert_lonlat(*wgs84, "WGS84", "GCJ02")
    inside = check_datum_offset(network, as_series(lon, lat))
    # three shifted points inside the network: not enough to tell
    few = check_datum_offset(network, as_series(lon[:3], lat[:3]))
    assert few.verdict == "undecided" and few.n_points == 3 and few.n_used < MIN_POINTS
    assert f"少于 {MIN_POINTS} 处" in few.message
    # the same shifted points 50 km north (in Beijing's hills): no road near any of them
    far = check_datum_offset(network, as_series(lon, lat + 50 / 111.0))
    assert far.verdict == "undecided" and far.n_used == 0 and far.declared_median_m is None
    assert "没有设施位于路网范围内" in far.message
    # points outside China are not compared; the rest still decide
    mixed = as_series(np.append(lon, [2.35, 13.4]), np.append(lat, [48.85, 52.5]))
    both = check_datum_offset(network, mixed)
    assert both.n_points == 32 and both.n_used == inside.n_used
    assert both.verdict == "suspect_gcj02"
    with pytest.raises(ValidationError, match="未声明坐标系"):
        check_datum_offset(network, gpd.GeoSeries(gpd.points_from_xy(lon, lat)))


def test_import_with_a_network_refuses_a_gcj02_file_declared_as_wgs84(
    empty_store, network, wgs84, tmp_path: Path
) -> None:
    facilities = Facilities(empty_store)
    glon, glat = convert_lonlat(*wgs84, "WGS84", "GCJ02")
    path = write_csv(tmp_path / "amap.csv", glon, glat)
    with pytest.raises(ValidationError) as info:
        facilities.import_file(path, declared_crs="WGS84", actor="t", network=network)
    (problem,) = info.value.problems
    assert problem.field == "crs" and problem.row is None
    assert "GCJ-02" in problem.message and "请以 GCJ02 重新导入" in problem.message
    assert empty_store.query_facilities() == []  # nothing stored
    # declared correctly, the same file imports, converted onto the roads
    stored = facilities.import_file(path, declared_crs="GCJ02", actor="t", network=network)
    assert len(stored) == 30
    located = gpd.GeoSeries([f.location for f in stored], crs="EPSG:4490")
    assert check_datum_offset(network, located).verdict == "ok"
    np.testing.assert_allclose(located.x, wgs84[0], atol=1e-7)
    # a WGS84 file declared as such passes the check
    right = write_csv(tmp_path / "gps.csv", *wgs84, prefix="社区站")
    assert len(facilities.parse_file(right, declared_crs="WGS84", network=network)) == 30
    # without a network nothing changes: the wrong declaration goes unnoticed
    assert len(facilities.parse_file(path, declared_crs="WGS84", source="x")) == 30


def test_import_refuses_a_bd09_geojson_and_names_its_crs(
    empty_store, network, wgs84, tmp_path: Path
) -> None:
    lon, lat = convert_lonlat(*wgs84, "WGS84", "BD09")
    path = tmp_path / "baidu.geojson"
    gpd.GeoDataFrame(
        {"名称": [f"养老院{i}" for i in range(30)], "类型": "养老院"},
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    ).to_file(path)
    with pytest.raises(ValidationError) as info:
        Facilities(empty_store).import_file(path, actor="t", network=network)
    (problem,) = info.value.problems
    assert problem.field == "crs"
    assert "按所声明的 EPSG:4326" in problem.message and "请以 BD09 重新导入" in problem.message
    assert empty_store.query_facilities() == []


def test_stored_inputs_check_the_stored_facilities(empty_store, wgs84, tmp_path: Path) -> None:
    inputs = CoverageInputs(empty_store)
    inputs.import_network(PBF, name="海淀", actor="t")
    glon, glat = convert_lonlat(*wgs84, "WGS84", "GCJ02")
    Facilities(empty_store).import_file(
        write_csv(tmp_path / "amap.csv", glon, glat), declared_crs="WGS84", actor="t"
    )
    check = inputs.offset_check("RN0001")
    assert check.verdict == "suspect_gcj02" and check.declared == "CGCS2000"
    frame = Facilities(empty_store).frame()
    assert inputs.offset_check("RN0001", frame).to_dict() == check.to_dict()
    with pytest.raises(ValidationError, match="路网 RN0099 不存在"):
        inputs.offset_check("RN0099")

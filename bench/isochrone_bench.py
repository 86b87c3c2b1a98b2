"""Isochrone benchmark on pyrosm's Helsinki walking network.

Compares geociv's multi-source isochrones (one Dijkstra search, reached edges cut part-way,
buffered and merged) with the OSMnx-style recipe as documented by OSMnx: for every facility a
networkx ``ego_graph`` within the distance budget, buffers around its nodes and edges, their union,
and finally the union over all facilities. The baseline is written here from that description.

For 50, 200 and 1,000 facilities (random network nodes, fixed seed) it prints both times, their
ratio and the covered-area agreement. Both methods use the same network (geociv's segments) and
the same walk-access buffer for nodes and edges. At 1,000 facilities the baseline is timed on a
random subsample and extrapolated linearly (its cost is one ego graph and one local union per
facility; the final union is included in the subsample), labelled as such; the area agreement is
then not available.

Run: ``python bench/isochrone_bench.py [--minutes 15] [--speed 0.8]`` (needs the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import time

import networkx as nx
import numpy as np
import pyrosm
import shapely

from geociv.coverage.isochrones import isochrone_polygons, reach
from geociv.coverage.network import WalkNetwork

SEED = 20261122
ACCESS_M = 50.0
SIZES = (50, 200, 1000)
SUBSAMPLE = 200  # baseline facilities actually run at 1,000


def build_graph(net: WalkNetwork) -> nx.Graph:
    """A networkx graph of the network's segments with ``length`` and ``geometry``."""
    graph = nx.Graph()
    for i, (x, y) in enumerate(net.xy):
        graph.add_node(i, x=float(x), y=float(y))
    for a, b, length, geom in zip(
        net.u.tolist(), net.v.tolist(), net.length.tolist(), net.segments, strict=True
    ):
        if not graph.has_edge(a, b) or graph[a][b]["length"] > length:
            graph.add_edge(a, b, length=length, geometry=geom)
    return graph


def baseline(graph: nx.Graph, sources: np.ndarray, budget_m: float) -> shapely.Geometry:
    """The OSMnx-style recipe: ego graph per facility, node and edge buffers, unions."""
    per_facility = []
    for s in sources.tolist():
        sub = nx.ego_graph(graph, s, radius=budget_m, distance="length")
        nodes = [shapely.Point(d["x"], d["y"]) for _, d in sub.nodes(data=True)]
        edges = [d["geometry"] for _, _, d in sub.edges(data=True)]
        buffers = shapely.buffer(np.array(nodes + edges, dtype=object), ACCESS_M, quad_segs=4)
        per_facility.append(shapely.union_all(buffers))
    return shapely.union_all(np.array(per_facility, dtype=object))


def geociv_run(net: WalkNetwork, sources: np.ndarray, minutes: float, speed: float) -> tuple:
    found = reach(net, net.xy[sources], minutes=minutes, speed=speed)
    return isochrone_polygons(net, found, found.limit_m, access_m=ACCESS_M), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--speed", type=float, default=0.8)
    args = parser.parse_args()
    budget = args.minutes * 60 * args.speed

    t0 = time.perf_counter()
    net = WalkNetwork.from_pbf(pyrosm.get_data("helsinki_pbf"))
    t_net = time.perf_counter() - t0
    t0 = time.perf_counter()
    graph = build_graph(net)
    t_graph = time.perf_counter() - t0
    comps = net.components()
    print(
        f"Helsinki walking network: {net.n_nodes} nodes, {net.n_edges} edges, "
        f"{net.length.sum() / 1000:.1f} km, {comps.count} components "
        f"(largest {comps.largest_length_share:.1%} of length), EPSG:{net.crs.to_epsg()}"
    )
    print(f"build: geociv network {t_net:.2f} s; networkx graph for the baseline {t_graph:.2f} s")
    print(
        f"budget: {args.minutes:g} min at {args.speed:g} m/s = {budget:.0f} m, "
        f"access buffer {ACCESS_M:g} m"
    )
    header = (
        f"{'facilities':>10} {'geociv s':>9} {'baseline s':>11} {'ratio':>8} "
        f"{'geociv km2':>10} {'baseline km2':>12} {'area diff':>9} {'sym diff':>8}  note"
    )
    print(header)
    rng = np.random.default_rng(SEED)
    for k in SIZES:
        sources = rng.choice(net.n_nodes, k, replace=False)
        t0 = time.perf_counter()
        poly, _ = geociv_run(net, sources, args.minutes, args.speed)
        t_geo = time.perf_counter() - t0
        note = ""
        if k > SUBSAMPLE:
            sub = rng.choice(sources, SUBSAMPLE, replace=False)
            t0 = time.perf_counter()
            baseline(graph, sub, budget)
            t_base = (time.perf_counter() - t0) * k / SUBSAMPLE
            note = f"baseline extrapolated from {SUBSAMPLE} facilities"
            cells = f"{'n/a':>12} {'n/a':>9} {'n/a':>8}"
        else:
            t0 = time.perf_counter()
            base = baseline(graph, sources, budget)
            t_base = time.perf_counter() - t0
            diff = (poly.area - base.area) / base.area
            sym = shapely.symmetric_difference(poly, base).area / base.area
            cells = f"{base.area / 1e6:>12.3f} {diff:>+9.2%} {sym:>8.2%}"
        print(
            f"{k:>10} {t_geo:>9.3f} {t_base:>11.2f} {t_base / t_geo:>7.1f}x "
            f"{poly.area / 1e6:>10.3f} {cells}  {note}"
        )


if __name__ == "__main__":
    main()

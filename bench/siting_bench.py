"""Site-suggestion benchmark: geociv's greedy MCLP against spopt's exact MCLP, on Wuhan.

The instance is real population data with a fallback coverage model:

* demand: the WorldPop 2020 60+ counts (~100 m cells) of a 10 × 10 km window of central
  Wuhan, one demand unit per populated cell at its centre;
* candidates: a regular grid of points (default every 500 m) over the window; a few of them
  (the four grid points nearest the window's quarter points) play existing sites, kept in
  every answer;
* coverage: a site serves a cell whose centre lies within 720 m in a straight line
  (0.8 m/s, the older-walker preset, × 15 min). This is the *straight-line fallback*
  coverage geociv uses without a road network; with a network the matrix would come from
  per-site isochrones instead. The comparison of the two solvers does not depend on it.

For each k the benchmark prints the covered 60+ population of both methods, the gap of the
greedy answer to the exact optimum (target: within 2 %), both times and their ratio
(exact ÷ greedy), and the feasibility bound (greedy lower bound; upper bound from
submodularity and the LP relaxation). "pure gr." is plain greedy; "greedy" is geociv's
default: greedy followed by single-site swaps, plus a second swap search started from the
k largest values of the LP relaxation, keeping the better answer.

Run: ``python bench/siting_bench.py [SHARED_DATA_DIR] [--k 5 10 20] [--spacing 500]``
(default ``../shared/data``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pyproj
import rasterio
import rasterio.windows
from _shared import shared_data  # bench/ is on sys.path when run as a script

from geociv.coverage.siting import SiteCoverage, coverage_within_distance

ROOT = Path(__file__).resolve().parents[1]
RASTER = Path("population") / "wuhan_pop_60plus_sum_derived.tif"
CENTRE = (114.30, 30.58)  # central Wuhan, between Hankou and Wuchang
HALF_SIDE_M = 5_000.0
RADIUS_M = 0.8 * 15 * 60  # 720 m: older-walker speed × 15 minutes, straight line
GK = "EPSG:4547"  # CGCS2000 / 3-degree Gauss-Krüger CM 114E


def demand_cells(raster: Path) -> tuple[np.ndarray, np.ndarray]:
    """Centres (GK metres) and 60+ counts of the populated cells of the window."""
    to_gk = pyproj.Transformer.from_crs("EPSG:4326", GK, always_xy=True)
    to_geo = pyproj.Transformer.from_crs(GK, "EPSG:4326", always_xy=True)
    cx, cy = to_gk.transform(*CENTRE)
    lon0, lat0 = to_geo.transform(cx - HALF_SIDE_M, cy - HALF_SIDE_M)
    lon1, lat1 = to_geo.transform(cx + HALF_SIDE_M, cy + HALF_SIDE_M)
    with rasterio.open(raster) as src:
        window = rasterio.windows.from_bounds(lon0, lat0, lon1, lat1, transform=src.transform)
        window = window.round_offsets().round_lengths()
        data = src.read(1, window=window, masked=True).astype(np.float64)
        transform = rasterio.windows.transform(window, src.transform)
    values = np.ma.filled(data, 0.0)
    rows, cols = np.nonzero(values > 0)
    lon = transform.c + (cols + 0.5) * transform.a
    lat = transform.f + (rows + 0.5) * transform.e
    x, y = to_gk.transform(lon, lat)
    xy = np.column_stack([x, y])
    inside = np.all(np.abs(xy - [cx, cy]) <= HALF_SIDE_M, axis=1)
    return xy[inside], values[rows, cols][inside]


def candidate_grid(spacing: float) -> np.ndarray:
    """A regular grid of candidate points over the window (GK metres)."""
    to_gk = pyproj.Transformer.from_crs("EPSG:4326", GK, always_xy=True)
    cx, cy = to_gk.transform(*CENTRE)
    ticks = np.arange(-HALF_SIDE_M, HALF_SIDE_M + 1e-6, spacing)
    gx, gy = np.meshgrid(cx + ticks, cy + ticks)
    return np.column_stack([gx.ravel(), gy.ravel()])


def main(shared: Path, ks: list[int], spacing: float) -> None:
    xy, weights = demand_cells(shared / RASTER)
    sites = candidate_grid(spacing)
    to_gk = pyproj.Transformer.from_crs("EPSG:4326", GK, always_xy=True)
    cx, cy = to_gk.transform(*CENTRE)
    quarter = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]]) * HALF_SIDE_M / 2 + [cx, cy]
    existing = sorted({int(np.argmin(np.hypot(*(sites - q).T))) for q in quarter})
    t0 = time.perf_counter()
    matrix = coverage_within_distance(xy, sites, RADIUS_M)
    t_matrix = time.perf_counter() - t0
    model = SiteCoverage(matrix, weights, existing=existing)
    print("Site suggestion on WorldPop 2020 60+ (Wuhan), 10 × 10 km window around 114.30E 30.58N")
    print(
        f"demand cells: {xy.shape[0]:,}  60+ people: {model.total:,.0f}  "
        f"candidate sites: {model.candidates.size} (grid {spacing:.0f} m)  existing: {existing}"
    )
    print(
        f"coverage: straight-line {RADIUS_M:.0f} m (0.8 m/s × 15 min; fallback without a road "
        f"network); matrix {matrix.nnz:,} pairs in {t_matrix:.2f} s"
    )
    share = model.existing_covered / model.total
    print(f"existing sites cover {model.existing_covered:,.0f} ({share:.1%})")
    header = (
        f"{'k':>3} {'pure gr.':>10} {'greedy':>10} {'exact':>10} {'gap':>7} {'ok':>3} "
        f"{'greedy s':>9} {'exact s':>9} {'ratio':>7} {'bound lo':>10} {'bound hi':>10}"
    )
    print(header)
    worst = 0.0
    for k in ks:
        pure = model.greedy_mclp(k, improve=False)
        greedy = model.greedy_mclp(k)
        exact = model.exact_mclp(k)
        bound = model.feasibility_bound(k)
        gap = (exact.covered - greedy.covered) / exact.covered
        worst = max(worst, gap)
        ratio = exact.seconds / greedy.seconds
        print(
            f"{k:>3} {pure.covered:>10,.0f} {greedy.covered:>10,.0f} "
            f"{exact.covered:>10,.0f} {gap:>7.2%} {'yes' if gap <= 0.02 else 'NO':>3} "
            f"{greedy.seconds:>9.3f} {exact.seconds:>9.2f} {ratio:>6.0f}× "
            f"{bound.lower:>10,.0f} {bound.upper:>10,.0f}"
            + ("" if exact.optimal else "  (exact not proven optimal)")
        )
    print(f"largest gap of greedy to exact: {worst:.2%} (target ≤ 2 %)")
    t0 = time.perf_counter()
    answer = model.what_if(add=[int(model.candidates[0])], remove=[existing[0]])
    print(
        f"what-if (add 1, remove 1): {answer.delta:+,.0f} people in "
        f"{(time.perf_counter() - t0) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shared", nargs="?", default=None)
    parser.add_argument("--k", type=int, nargs="+", default=[5, 10, 20, 40])
    parser.add_argument("--spacing", type=float, default=500.0)
    args = parser.parse_args()
    main(shared_data(args.shared), args.k, args.spacing)

"""Batch-coverage benchmark: :func:`geociv.coverage.batch.batch_coverage` on Dask against a plain
sequential loop doing the same per-division work.

Scenarios (straight-line fallback, 15 minutes at 0.8 m/s):

* **驻马店 10 counties**: the demo store's 10 county polygons and its 10 sample rental
  stations (all in 驿城区, so nine counties have none within reach);
* **驻马店 10 counties, 2,000 stations**: the same counties with 2,000 made-up stations
  scattered uniformly over the city (fixed seed), so that every county has real work;
* **郑州 160 townships**: the 160 real township/subdistrict polygons of Zhengzhou
  (``township-boundaries/``, stored as a zone set through ``CoverageInputs``) with 480
  made-up stations scattered over them (fixed seed). No real Zhengzhou facility list is
  available here; the stations are only there to give every township a realistic amount of
  work.

The baseline reads the same inputs from the store and calls
:func:`~geociv.coverage.batch.coverage_of_unit` (exactly the code each Dask task runs) for
each division in turn. The Dask run (``batch_coverage``'s default: a LocalCluster of threads in
this process) is timed end to end, cluster start-up included, with ``record=False``. For the
threads-or-processes choice the same batch is also sent (``scheduler=``) to a LocalCluster of
``--workers`` single-threaded worker *processes* started beforehand (its start-up printed once,
not in the times). Each time is the best of ``--repeat`` runs; all give the same figures
(checked).

Run: ``python bench/batch_bench.py [SHARED_DATA_DIR] [--workers 2] [--repeat 3]``
(default ``../shared/data``).
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from _shared import shared_data  # bench/ is on sys.path when run as a script
from distributed import LocalCluster
from shapely.geometry import Point

from geociv.coverage.batch import Settings, Unit, batch_coverage, coverage_of_unit
from geociv.coverage.stored import CoverageInputs
from geociv.demo import load_demo
from geociv.store import Facility, Store, open_store

SEED = 20261122


def scatter_stations(store: Store, area: shapely.Geometry, n: int, prefix: str) -> None:
    """Add ``n`` made-up rental stations uniformly over ``area`` (EPSG:4490)."""
    rng = np.random.default_rng(SEED)
    west, south, east, north = area.bounds
    shapely.prepare(area)
    points: list[tuple[float, float]] = []
    while len(points) < n:
        x = rng.uniform(west, east, 4 * n)
        y = rng.uniform(south, north, 4 * n)
        keep = shapely.contains_xy(area, x, y)
        points.extend(zip(x[keep].tolist(), y[keep].tolist(), strict=True))
    made_up = [
        Facility("", f"{prefix}站点{i + 1}", "rental_station", Point(x, y), source="bench")
        for i, (x, y) in enumerate(points[:n])
    ]
    store.add_facilities(made_up, actor="bench")


def sequential(store: Store, units_of: Callable[[Store], list[Unit]]) -> list[dict]:
    """The same work as the Dask tasks, one division after another, no Dask."""
    units = units_of(store)
    facilities = [
        f
        for f in store.query_facilities(type="rental_station", include_retired=True)
        if f.status == "existing" and f.location is not None
    ]
    settings = Settings(types=("rental_station",))
    return [coverage_of_unit(u, facilities, None, settings) for u in units]


def county_units(store: Store) -> list[Unit]:
    divisions = store.query_divisions(parent="411700", level="county", include_statistical=False)
    return [Unit(d.code, d.name, d.geometry) for d in divisions]


def zone_units(set_id: str) -> Callable[[Store], list[Unit]]:
    def units(store: Store) -> list[Unit]:
        zones = CoverageInputs(store).zones(set_id)
        return [
            Unit(
                str(z.code or f"{set_id}-{i}"),
                str(z.name),
                gpd.GeoDataFrame({"name": [z.name]}, geometry=[z.geometry], crs="EPSG:4490"),
            )
            for i, z in enumerate(zones.itertuples(index=False), start=1)
        ]

    return units


def best_of(repeat: int, run: Callable[[], object]) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
    return min(times), out


def scenario(
    label: str,
    store: Store,
    selection: dict,
    units_of: Callable[[Store], list[Unit]],
    workers: int,
    repeat: int,
    processes: str,
) -> None:
    seq_s, seq_rows = best_of(repeat, lambda: sequential(store, units_of))
    dask_s, result = best_of(
        repeat,
        lambda: batch_coverage(
            store, "rental_station", **selection, workers=workers, actor="bench", record=False
        ),
    )
    proc_s, by_processes = best_of(
        repeat,
        lambda: batch_coverage(
            store, "rental_station", **selection, scheduler=processes, actor="bench", record=False
        ),
    )
    table = result.table  # type: ignore[attr-defined]
    shares = np.array([r["area_share"] for r in seq_rows])  # type: ignore[union-attr]
    same = all(
        np.allclose(t["area_share"].to_numpy(), shares, rtol=0, atol=1e-12)
        for t in (table, by_processes.table)  # type: ignore[attr-defined]
    )
    n_fac = len(result.inputs()["facility_ids"])  # type: ignore[attr-defined]
    print(
        f"{label:<34} {len(table):>5} {n_fac:>6} {seq_s:>9.3f} {dask_s:>9.3f} "
        f"{seq_s / dask_s:>7.2f}× {proc_s:>9.3f} {seq_s / proc_s:>7.2f}×  "
        f"{'same figures' if same else 'DIFFERENT FIGURES'}"
    )
    print(f"{'':<34} {result.headline}")  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    townships = shared_data(args.data, "township-boundaries") / "township-boundaries"
    townships /= "zhengzhou_townships_geotrellis_demographics.geojson"

    started = time.perf_counter()
    cluster = LocalCluster(
        n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}, silence_logs=logging.ERROR,
    )  # fmt: skip
    print(
        f"CPU cores: {os.cpu_count()}; Dask threads: {args.workers}; Dask processes: "
        f"{args.workers} (started in {time.perf_counter() - started:.2f} s, not counted below)"
    )
    print(
        f"{'scenario':<34} {'units':>5} {'stns':>6} {'loop (s)':>9} {'threads':>9} "
        f"{'loop÷thr':>8} {'procs':>9} {'loop÷proc':>8}"
    )
    run = (args.workers, args.repeat, cluster.scheduler_address)
    with cluster, tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "demo.gpkg")
        load_demo(store, boundaries=False)
        scenario(
            "驻马店 10 个县区，示例 10 站",
            store, {"parent": "411700"}, county_units, *run,
        )  # fmt: skip

        city = store.get_division("411700")
        assert city is not None and city.geometry is not None
        scatter_stations(store, city.geometry, 2000, "驻马店")
        scenario(
            "驻马店 10 个县区，合成 2,000 站",
            store, {"parent": "411700"}, county_units, *run,
        )  # fmt: skip

        if townships.exists():
            other = open_store(Path(tmp) / "zhengzhou.gpkg")
            zones = CoverageInputs(other).add_zones_frame(
                gpd.read_file(townships), name="郑州乡镇街道", kind="subdistrict", actor="bench",
                source=townships.name,
            )  # fmt: skip
            area = shapely.union_all(CoverageInputs(other).zones(zones.set_id).geometry)
            scatter_stations(other, area, 480, "郑州")
            scenario(
                "郑州 160 个乡镇街道，合成 480 站",
                other, {"zone_set": zones.set_id}, zone_units(zones.set_id), *run,
            )  # fmt: skip
            other.close()
        else:
            print(f"(skipped Zhengzhou: {townships} not found)")
        store.close()


if __name__ == "__main__":
    main()

"""Batch coverage (批量覆盖分析): the service-circle coverage of many divisions at once, on Dask.

:func:`batch_coverage` measures, for every county of a city (or every division listed, or every
zone of a stored zone set), what :meth:`Coverage.run <geociv.coverage.service.Coverage.run>`
measures for one area: the covered share of its area, the covered and uncovered km² and, with a
population raster, the people covered. Each division is one Dask task; the figures are exactly
those of ``Coverage.run(..., record=False)`` on that division alone, because each task runs the
same code on the same inputs. A division with no facility within reach is not an error: it gets
share 0 and a note.

Where the tasks run
-------------------
By default on a ``distributed.LocalCluster`` of **threads** in this process (``workers``
threads). Threads rather than processes because

* the heavy part of a county's work is shapely 2 and GDAL calls, which release the GIL, so
  threads do run in parallel on a 2-core machine (``bench/batch_bench.py``: the 10 Zhumadian
  counties with 2,000 stations take 0.40 s on 2 threads against 0.54 s in a plain loop, while
  2 worker processes take 0.52 s *after* a 0.8 s start-up);
* a threaded cluster starts in milliseconds; worker processes each take about a second to
  start and import geopandas, and the facility list and road network are pickled to each;
* the tasks never touch the store (facilities, division polygons, the road network and the
  raster path are read once here and handed to the tasks), so the SQLite file is neither shared
  between threads nor forked into processes.

Dask's cost is about a few milliseconds of Python per task, so a batch of hundreds of *small*
units (e.g. 160 townships with a few stations each, ~7 ms of work apiece) is no faster than a
plain loop on 2 cores — threads are then slower (1.8 s against 1.1 s: the per-task Python
holds the GIL), processes break even. Such batches gain from a real cluster: start
``dask scheduler`` and ``dask worker tcp://host:8786 --nworkers N --nthreads 1`` on the
machines and pass ``scheduler="tcp://host:8786"`` (the workers need geociv installed and,
with a raster, the raster file at the same path; facilities, polygons and the network are
sent to them).

The batch is stored as **one** coverage run of kind ``batch:<types>`` (audited like every write)
with the per-division table in its summary.

Examples
--------
>>> import tempfile, pathlib
>>> from geociv.store import open_store
>>> from geociv.demo import load_demo
>>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "s.gpkg")
>>> _ = load_demo(store, boundaries=False)
>>> result = batch_coverage(store, ["辅具租赁服务站"], parent="411700", actor="doc")
>>> first = result.table.iloc[0]
>>> len(result.table), first["name"], int(first["facilities"]), first["note"]
(10, '驿城区', 10, '')
>>> second = result.table.iloc[1]
>>> second["name"], float(second["area_share"]), second["note"]
('西平县', 0.0, '周边 720 米内没有设施')
>>> result.headline
'驻马店市 10 个县级单元：15分钟社区租赁服务圈平均覆盖 0.1 %，最高 驿城区 0.7 %（直线距离估算）'
>>> store.get_coverage_run(result.run_id).kind
'batch:rental_station'
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import Polygon

from geociv.coverage.facilities import parse_types
from geociv.coverage.isochrones import resolve_speed
from geociv.coverage.network import WalkNetwork
from geociv.coverage.population import covered_population
from geociv.coverage.service import Coverage, circle_label, facilities_in_reach
from geociv.crs import STORAGE_CRS, projected_crs_for
from geociv.divisions import Divisions, normalize_code
from geociv.errors import AdcodeError, GeocivError, Problem, ValidationError
from geociv.labels import FACILITY_TYPE_LABELS, LEVEL_LABELS, METHOD_LABELS
from geociv.store import CoverageRun, Facility, Store

__all__ = ["BatchResult", "Settings", "Unit", "batch_coverage", "coverage_of_unit"]

Progress = Callable[[float, str], None]

_TITLE = "批量计算条件有误"

#: Address schemes of a ``dask.distributed`` scheduler.
_SCHEDULER_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://[^\s/]+$")

#: Columns of the per-division table (population ones only with a raster).
BASE_COLUMNS = (
    "code",
    "name",
    "area_km2",
    "facilities",
    "facilities_in_reach",
    "area_share",
    "covered_area_km2",
    "uncovered_area_km2",
)
POPULATION_COLUMNS = ("population", "covered_population", "population_share")

#: Chinese headers of the table columns (CLI, CSV).
COLUMN_LABELS: dict[str, str] = {
    "code": "代码",
    "name": "名称",
    "area_km2": "面积（km²）",
    "facilities": "区内设施",
    "facilities_in_reach": "可达设施",
    "area_share": "面积覆盖率",
    "covered_area_km2": "覆盖面积（km²）",
    "uncovered_area_km2": "未覆盖面积（km²）",
    "population": "人口",
    "covered_population": "覆盖人口",
    "population_share": "人口覆盖率",
    "note": "备注",
}


# -- what one task gets and computes ---------------------------------------------------------
@dataclass(frozen=True)
class Unit:
    """One division (or zone) of a batch: the area of one task.

    Attributes
    ----------
    code, name : str
        Its code (division code, or zone code) and name.
    aoi : shapely geometry or GeoDataFrame
        The area as :meth:`Coverage.run` takes it (a polygon in EPSG:4490, or a frame).
    """

    code: str
    name: str
    aoi: Any


@dataclass(frozen=True)
class Settings:
    """The coverage settings shared by every task of a batch."""

    types: tuple[str, ...]
    minutes: float = 15.0
    speed: float | str = "elderly"
    statuses: tuple[str, ...] = ("existing",)
    detour: float = 1.3
    access_m: float = 50.0
    raster: str | None = None
    raster_label: str = "老年人口"


class _GivenFacilities(Coverage):
    """:class:`Coverage` on facilities handed over rather than read from a store, so that a task
    runs anywhere (a worker thread, another process, another machine) without the store.

    Only :meth:`Coverage.run` with ``record=False`` and an area given as a polygon or frame is
    meant to be used on it.
    """

    def __init__(self, facilities: Sequence[Facility]) -> None:  # no store on purpose
        self.given = list(facilities)

    def _facilities(self, type_code: str, bbox: tuple | None = None) -> list[Facility]:
        # the given ones are already chosen: the box is measured exactly afterwards
        return [f for f in self.given if f.type == type_code]


def _num(x: Any) -> float | None:
    """A JSON-ready float (NaN and None become None)."""
    if x is None:
        return None
    value = float(x)
    return None if math.isnan(value) else value


def coverage_of_unit(
    unit: Unit,
    facilities: Sequence[Facility],
    network: WalkNetwork | None,
    settings: Settings,
) -> dict[str, Any]:
    """The coverage figures of one division: the work of one Dask task (no store needed).

    Parameters
    ----------
    unit : Unit
        The division.
    facilities : sequence of Facility
        Every facility of the batch's types and statuses (those within reach are picked here).
    network : WalkNetwork or None
        The walk network, else the straight-line fallback.
    settings : Settings
        Types, time, speed, raster …

    Returns
    -------
    dict
        One row of :attr:`BatchResult.table` without the geometry, plus ``facility_ids``
        (inside the division) and ``reach_ids`` (within reach).

    Raises
    ------
    ValidationError
        As :meth:`Coverage.run` (e.g. a facility too far from the road network).
    """
    coverage = _GivenFacilities(facilities)
    aoi_frame, _ = coverage.area_of_interest(unit.aoi, unit.name)
    reach_m = resolve_speed(settings.speed) * settings.minutes * 60.0
    near = facilities_in_reach(facilities, aoi_frame, reach_m)
    area = aoi_frame.geometry.iloc[0]
    inside = [f.facility_id for f in near if area.covers(f.location)]
    row: dict[str, Any] = {"code": unit.code, "name": unit.name, "note": ""}
    population = None
    if not near:
        gk = projected_crs_for(aoi_frame.geometry)
        area_km2 = float(shapely.area(shapely.union_all(aoi_frame.to_crs(gk).geometry)) / 1e6)
        row.update(
            area_km2=area_km2,
            area_share=0.0,
            covered_area_km2=0.0,
            note=f"周边 {reach_m:,.0f} 米内没有设施",
        )
        if settings.raster is not None:
            nothing = gpd.GeoSeries([Polygon()], crs=STORAGE_CRS)
            population = covered_population(settings.raster, nothing, aoi=aoi_frame)
    else:
        # the same figures as on every facility (those out of reach are dropped by run anyway)
        result = _GivenFacilities(near).run(
            list(settings.types),
            actor="batch",
            aoi=unit.aoi,
            aoi_name=unit.name,
            minutes=settings.minutes,
            speed=settings.speed,
            network=network,
            raster=settings.raster,
            raster_label=settings.raster_label,
            statuses=settings.statuses,
            detour=settings.detour,
            access_m=settings.access_m,
            record=False,
        )
        row.update(
            area_km2=result.aoi_area_km2,
            area_share=result.area_share,
            covered_area_km2=result.covered_area_km2,
        )
        population = result.population
        if not inside:
            row["note"] = "区内没有设施，由周边设施覆盖"
    row.update(
        facilities=len(inside),
        facilities_in_reach=len(near),
        uncovered_area_km2=row["area_km2"] - row["covered_area_km2"],
        facility_ids=inside,
        reach_ids=[f.facility_id for f in near],
    )
    if population is not None:
        row.update(
            population=population.total,
            covered_population=population.covered,
            population_share=population.share,
        )
    return row


# -- the result ------------------------------------------------------------------------------
def _pct(x: float | None) -> str:
    return "—" if x is None or math.isnan(x) else f"{x * 100:.1f} %"


@dataclass
class BatchResult:
    """The coverage of many divisions.

    Attributes
    ----------
    table : GeoDataFrame
        One row per division (EPSG:4490): ``code``, ``name``, ``area_km2``, ``facilities``
        (inside the division), ``facilities_in_reach``, ``area_share``, ``covered_area_km2``,
        ``uncovered_area_km2``, with a raster ``population``, ``covered_population``,
        ``population_share``, and ``note``.
    overall : dict
        Figures over all divisions: ``divisions``, ``area_km2``, ``covered_area_km2``,
        ``uncovered_area_km2``, ``area_share`` (area-weighted), ``mean_area_share``,
        ``divisions_covered``, ``facilities``, ``facilities_in_reach``, the best division and,
        with a raster, the population totals.
    headline : str
        The headline in Chinese.
    method : str
        ``"network"`` or ``"fallback"``.
    elapsed_s : float
        Wall time of the batch (reading, Dask, storing).
    run_id : str
        Id of the stored run (``""`` with ``record=False``).
    params : dict
        What :meth:`inputs` returns.
    """

    table: gpd.GeoDataFrame
    overall: dict[str, Any]
    headline: str
    method: str
    elapsed_s: float
    run_id: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def inputs(self) -> dict[str, Any]:
        """Everything needed to run the batch again: types, minutes, speed, method, network
        snapshot, raster, the divisions' codes, scheduler kind and number of workers."""
        return dict(self.params)

    def rows(self) -> list[dict[str, Any]]:
        """The table without geometry, JSON-ready (NaN as None)."""
        out = []
        for record in pd.DataFrame(self.table.drop(columns="geometry")).to_dict("records"):
            out.append(
                {
                    k: (_num(v) if isinstance(v, float) else int(v) if k.startswith("fac") else v)
                    for k, v in record.items()
                }
            )
        return out

    def summary(self) -> dict[str, Any]:
        """The headline, overall figures and per-division table as a JSON-ready dict."""
        return {
            "headline": self.headline,
            "method": self.method,
            **self.overall,
            "elapsed_s": round(self.elapsed_s, 3),
            "divisions_table": self.rows(),
        }


# -- reading the inputs ----------------------------------------------------------------------
def _type_codes(types: str | Sequence[str]) -> list[str]:
    codes, problems = parse_types(types)
    if problems:
        raise ValidationError(problems, title=_TITLE)
    return codes


def _no_polygon(missing: list[tuple[str, str]], field_name: str) -> ValidationError:
    shown = [
        Problem(f"区划 {code}（{name}）没有边界多边形，无法计算覆盖", field=field_name)
        for code, name in missing[:10]
    ]
    if len(missing) > 10:
        shown.append(Problem(f"另有 {len(missing) - 10} 个区划没有边界多边形", field=field_name))
    return ValidationError(shown, title="区划没有边界")


def _units_of_codes(store: Store, codes: Sequence[str]) -> tuple[list[Unit], str]:
    problems: list[Problem] = []
    found = []
    seen: set[str] = set()
    for raw in codes:
        try:
            code = normalize_code(raw)
        except AdcodeError as exc:
            problems.append(Problem(str(exc), field="codes"))
            continue
        if code in seen:
            continue
        seen.add(code)
        division = store.get_division(code)
        if division is None:
            problems.append(Problem(f"区划代码 {code} 不存在", field="codes"))
        else:
            found.append(division)
    if not codes:
        problems.append(Problem("至少给出一个区划代码", field="codes"))
    missing = [(d.code, d.name) for d in found if d.geometry is None]
    if missing:
        problems.extend(_no_polygon(missing, "codes").problems)
    if problems:
        raise ValidationError(problems, title="区划代码有误")
    levels = {d.level for d in found}
    label = f"{LEVEL_LABELS[levels.pop()]}单元" if len(levels) == 1 else "区划"
    parents = {d.parent_code for d in found}
    scope = "所选"
    if len(parents) == 1 and (parent_code := parents.pop()) is not None:
        parent = store.get_division(parent_code)
        scope = parent.name if parent is not None else scope
    return [Unit(d.code, d.name, d.geometry) for d in found], f"{scope} {len(found)} 个{label}"


def _units_of_parent(store: Store, parent: str, level: str) -> tuple[list[Unit], str]:
    divisions = Divisions(store)
    try:
        top = divisions.get(parent)
        children = divisions.children(
            top.code, level=level, include_statistical=False, with_geometry=True
        )
    except (AdcodeError, LookupError) as exc:
        raise ValidationError(Problem(str(exc), field="parent"), title="区划代码有误") from exc
    except ValueError as exc:  # unknown level, or a level not below the parent
        raise ValidationError(Problem(str(exc), field="level"), title=_TITLE) from exc
    label = LEVEL_LABELS[level]
    if not children:
        raise ValidationError(
            Problem(f"{top.name}（{top.code}）下没有{label}区划", field="parent"), title=_TITLE
        )
    missing = [(d.code, d.name) for d in children if d.geometry is None]
    if missing:
        raise _no_polygon(missing, "parent")
    units = [Unit(d.code, d.name, d.geometry) for d in children]
    return units, f"{top.name} {len(units)} 个{label}单元"


def _units_of_zone_set(store: Store, set_id: str) -> tuple[list[Unit], str]:
    from geociv.coverage.stored import CoverageInputs

    inputs = CoverageInputs(store)
    zones = inputs.zones(set_id)
    if zones.empty:
        raise ValidationError(Problem(f"统计单元集 {set_id} 没有单元", field="zone_set"))
    # Each zone as Coverage.run makes an area of interest of a one-row frame (valid, unioned),
    # done here once: a polygon is cheaper to ship to a task than a frame.
    valid = shapely.make_valid(zones.to_crs(STORAGE_CRS).geometry.to_numpy())
    units = []
    for i, (code, name) in enumerate(zip(zones["code"], zones["name"], strict=True)):
        code = str(code or f"{set_id}-{i + 1}")
        units.append(Unit(code, str(name or code), shapely.union_all(valid[i : i + 1])))
    return units, f"{inputs.zone_set(set_id).name} {len(units)} 个统计单元"


# -- Dask --------------------------------------------------------------------------------------
@dataclass
class _Cluster:
    client: Any
    local: Any | None
    kind: str
    address: str | None

    def close(self) -> None:
        self.client.close()
        if self.local is not None:
            self.local.close()


def _check_scheduler(scheduler: str | None, workers: int) -> None:
    problems = []
    if scheduler is not None and not _SCHEDULER_ADDRESS.match(scheduler.strip()):
        problems.append(
            Problem(
                f"调度器地址 {scheduler!r} 无效：应形如 tcp://192.168.1.10:8786", field="scheduler"
            )
        )
    if not (isinstance(workers, int) and 1 <= workers <= 64):
        problems.append(Problem(f"工作线程数应在 1–64 之间，收到 {workers!r}", field="workers"))
    if problems:
        raise ValidationError(problems, title=_TITLE)


def _connect(scheduler: str | None, workers: int, timeout: float) -> _Cluster:
    """A Dask client: on a threaded LocalCluster, or on the scheduler at ``scheduler``."""
    from distributed import Client, LocalCluster

    if scheduler is None:
        cluster = LocalCluster(
            processes=False,
            n_workers=1,
            threads_per_worker=workers,
            dashboard_address=None,
            # no dashboard; the scheduler's small HTTP server (health, metrics) on a free
            # local port rather than 8787 on every interface
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.ERROR,
        )
        return _Cluster(Client(cluster), cluster, "local-threads", None)
    address = scheduler.strip()
    try:
        client = Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ValidationError(
            Problem(f"无法在 {timeout:g} 秒内连接 Dask 调度器 {address}：{exc}", field="scheduler"),
            title="无法连接调度器",
        ) from exc
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        client.close()
        raise ValidationError(
            Problem(f"Dask 调度器 {address} 在 {timeout:g} 秒内没有可用的 worker", "scheduler"),
            title="无法连接调度器",
        ) from exc
    return _Cluster(client, None, "distributed", address)


def _threads(client: Any) -> int:
    workers = client.scheduler_info().get("workers", {})
    return int(sum(w.get("nthreads", 1) for w in workers.values())) or 1


# -- the batch ---------------------------------------------------------------------------------
def batch_coverage(
    store: Store,
    types: str | Sequence[str],
    *,
    parent: str | None = None,
    level: str = "county",
    codes: Sequence[str] | None = None,
    zone_set: str | None = None,
    minutes: float = 15.0,
    speed: float | str = "elderly",
    network_id: str | None = None,
    raster_id: str | None = None,
    statuses: Sequence[str] = ("existing",),
    detour: float = 1.3,
    access_m: float = 50.0,
    scheduler: str | None = None,
    workers: int = 2,
    connect_timeout: float = 10.0,
    actor: str,
    progress: Progress | None = None,
    record: bool = True,
) -> BatchResult:
    """Measure the service-circle coverage of many divisions, one Dask task per division.

    Parameters
    ----------
    store : Store
        Holds the divisions, facilities and stored inputs; receives the run.
    types : str or sequence of str
        Facility types (codes or Chinese labels).
    parent : str, optional
        Every statutory division of ``level`` under this division (e.g. ``"411700"``); or
    codes : sequence of str, optional
        these divisions; or
    zone_set : str, optional
        the zones of this stored zone set (e.g. ``"ZS0002"``). Exactly one of the three.
    level : str
        Level of the divisions under ``parent`` (default ``"county"``).
    minutes : float
        Time budget (default 15).
    speed : float or str
        Metres per second or a preset (``"elderly"`` 0.8 m/s …).
    network_id : str, optional
        A stored road network; without one the straight-line fallback (直线距离估算).
    raster_id : str, optional
        A stored population raster: adds population, covered population and share.
    statuses : sequence of str
        Facility statuses included (default existing only).
    detour, access_m : float
        Detour factor of the fallback; walk-access buffer of the network method.
    scheduler : str, optional
        Address of a ``dask.distributed`` scheduler (``tcp://host:8786``). Default: a
        LocalCluster of ``workers`` threads in this process (see the module notes).
    workers : int
        Threads of the local cluster.
    connect_timeout : float
        Seconds to wait for the scheduler (and one of its workers) before giving up.
    actor : str
        Who ran it (the run is stored and audited).
    progress : callable, optional
        ``progress(fraction, message)``, called as divisions finish.
    record : bool
        Store the batch as one coverage run of kind ``batch:<types>`` (default).

    Returns
    -------
    BatchResult

    Raises
    ------
    ValidationError
        Unknown type, code, parent, level, zone set, network or raster; a division without
        polygon; no facility of the types at all; a bad or unreachable scheduler; or an error of
        one division's computation (named).

    Examples
    --------
    ``batch_coverage(store, ["辅具租赁服务站"], parent="411700", actor="planner1")`` measures
    the 10 counties of 驻马店市; ``scheduler="tcp://10.0.0.5:8786"`` runs them on a cluster.
    """
    started = time.perf_counter()
    step = progress or (lambda fraction, message: None)
    step(0.0, "读取区划与设施")
    type_codes = _type_codes(types)
    _check_minutes(minutes)
    resolve_speed(speed)  # a bad speed is refused before anything is read
    _check_scheduler(scheduler, workers)
    units, scope, selection = _selected_units(store, parent, level, codes, zone_set)
    statuses = tuple(statuses)
    facilities = _facilities_of(store, type_codes, statuses)
    network, raster, raster_label = _stored_inputs(store, network_id, raster_id)
    settings = Settings(
        types=tuple(type_codes), minutes=float(minutes), speed=speed, statuses=statuses,
        detour=detour, access_m=access_m, raster=None if raster is None else str(raster),
        raster_label=raster_label,
    )  # fmt: skip
    step(0.0, f"开始分区县计算，共 {len(units)} 个区县")
    rows, cluster_info = _compute_units(
        units, facilities, network, settings, _connect(scheduler, workers, connect_timeout), step
    )
    method = "network" if network is not None else "fallback"
    table = _table(units, [r for r in rows if r is not None], raster is not None)
    overall = _overall(table, rows)
    headline = _headline(scope, type_codes, float(minutes), table, overall, method, raster_label)
    params = _batch_params(
        settings, network, network_id=network_id, raster_id=raster_id,
        selection=selection or {"codes": [u.code for u in units]}, units=units,
        facilities=facilities, cluster_info=cluster_info,
    )  # fmt: skip
    result = BatchResult(
        table=table,
        overall=overall,
        headline=headline,
        method=method,
        elapsed_s=time.perf_counter() - started,
        params=params,
    )
    if record:
        kind = "batch:" + ",".join(type_codes)
        run = CoverageRun("", kind=kind, params=params, summary=result.summary())
        result.run_id = store.add_coverage_run(run, actor=actor).run_id
        result.elapsed_s = time.perf_counter() - started
    return result


def _batch_params(
    settings: Settings,
    network: WalkNetwork | None,
    *,
    network_id: str | None,
    raster_id: str | None,
    selection: dict[str, Any],
    units: Sequence[Unit],
    facilities: Sequence[Facility],
    cluster_info: dict[str, Any],
) -> dict[str, Any]:
    """Everything needed to run a batch again, kept with its run."""
    return {
        "types": list(settings.types),
        "statuses": list(settings.statuses),
        "minutes": settings.minutes,
        "speed": settings.speed,
        "speed_mps": resolve_speed(settings.speed),
        "method": "network" if network is not None else "fallback",
        "detour": settings.detour if network is None else None,
        "access_m": settings.access_m if network is not None else None,
        "network_id": network_id,
        "network_snapshot": None if network is None else network.snapshot_id,
        "raster_id": raster_id,
        "raster": settings.raster,
        "raster_label": settings.raster_label if settings.raster is not None else None,
        "selection": selection,
        "codes": [u.code for u in units],
        "facility_ids": [f.facility_id for f in facilities],
        "crs": STORAGE_CRS,
        "scheduler": cluster_info,
    }


def _check_minutes(minutes: object) -> None:
    """Refuse a time budget outside 0–120 minutes."""
    if not (isinstance(minutes, int | float) and 0 < minutes <= 120):
        raise ValidationError(
            Problem(f"时间必须在 0–120 分钟之间，收到 {minutes!r}", field="minutes"), title=_TITLE
        )


def _selected_units(
    store: Store,
    parent: str | None,
    level: str,
    codes: Sequence[str] | None,
    zone_set: str | None,
) -> tuple[list[Unit], str, dict[str, Any] | None]:
    """The units to measure, the scope's name, and how they were chosen (``None`` for a list
    of codes): exactly one of ``parent`` (with ``level``), ``codes`` and ``zone_set``."""
    choices = (("parent", parent), ("codes", codes), ("zone_set", zone_set))
    given = [name for name, value in choices if value is not None and value != ""]
    if len(given) != 1:
        raise ValidationError(
            Problem(
                "请只给出以下之一：上级区划 parent、区划代码 codes、统计单元集 zone_set",
                field="parent",
            ),
            title=_TITLE,
        )
    if codes is not None:
        return (*_units_of_codes(store, list(codes)), None)
    if parent is not None:
        return (*_units_of_parent(store, parent, level), {"parent": parent, "level": level})
    assert zone_set is not None
    return (*_units_of_zone_set(store, zone_set), {"zone_set": zone_set})


def _facilities_of(
    store: Store, type_codes: Sequence[str], statuses: tuple[str, ...]
) -> list[Facility]:
    """The located facilities of the types in the statuses (retired ones only if asked)."""
    facilities = [
        f
        for code in type_codes
        for f in store.query_facilities(type=code, include_retired=True)
        if f.status in statuses and f.location is not None
    ]
    if not facilities:
        labels = "、".join(FACILITY_TYPE_LABELS[c] for c in type_codes)
        raise ValidationError(
            Problem(f"没有状态为 {'/'.join(statuses)} 的{labels}", field="types"),
            title="没有设施",
        )
    return facilities


def _stored_inputs(
    store: Store, network_id: str | None, raster_id: str | None
) -> tuple[WalkNetwork | None, Path | None, str]:
    """The stored road network and population raster asked for, and the raster's label."""
    network: WalkNetwork | None = None
    raster: Path | None = None
    raster_label = "老年人口"
    if network_id or raster_id:
        from geociv.coverage.stored import CoverageInputs

        inputs = CoverageInputs(store)
        if network_id:
            network = inputs.load_network(network_id)
        if raster_id:
            raster = inputs.raster_path(raster_id)
            raster_label = inputs.raster(raster_id).label or raster_label
    return network, raster, raster_label


def _compute_units(
    units: list[Unit],
    facilities: list[Facility],
    network: WalkNetwork | None,
    settings: Settings,
    cluster: _Cluster,
    step: Progress,
) -> tuple[list[dict[str, Any] | None], dict[str, Any]]:
    """Measure every unit on the cluster (closed when done), one task each; returns the rows
    in the order of ``units`` and what ran them. The first unit that fails stops the rest and
    is named in the error."""
    rows: list[dict[str, Any] | None] = [None] * len(units)
    try:
        from distributed import as_completed

        client = cluster.client
        n_threads = _threads(client)
        [shared_facilities] = client.scatter([facilities], broadcast=True, hash=False)
        [shared_network] = (
            client.scatter([network], broadcast=True, hash=False) if network else [None]
        )
        futures = {
            client.submit(
                coverage_of_unit, unit, shared_facilities, shared_network, settings, pure=False
            ): i
            for i, unit in enumerate(units)
        }
        for done, future in enumerate(as_completed(futures), start=1):
            unit = units[futures[future]]
            try:
                rows[futures[future]] = future.result()
            except GeocivError as exc:
                for other in futures:
                    other.cancel()
                raise _unit_failed(unit, exc) from exc
            step(done / len(units), f"{unit.name} 完成（{done}/{len(units)}）")
    finally:
        cluster.close()
    return rows, {"kind": cluster.kind, "address": cluster.address, "n_workers": n_threads}


def _unit_failed(unit: Unit, exc: GeocivError) -> ValidationError:
    """The error of one unit's computation, each problem prefixed with the unit's name."""
    problems = getattr(exc, "problems", [Problem(str(exc))])
    return ValidationError(
        [Problem(f"{unit.name}（{unit.code}）：{p.message}", p.row, p.field) for p in problems],
        title=getattr(exc, "title", "计算失败"),
    )


def _table(
    units: list[Unit], rows: list[dict[str, Any]], with_population: bool
) -> gpd.GeoDataFrame:
    columns = list(BASE_COLUMNS) + (list(POPULATION_COLUMNS) if with_population else []) + ["note"]
    frame = pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=columns)
    for c in ("facilities", "facilities_in_reach"):
        frame[c] = frame[c].astype("int64")
    geoms = []
    for unit in units:
        aoi = unit.aoi
        geoms.append(aoi.geometry.iloc[0] if isinstance(aoi, gpd.GeoDataFrame) else aoi)
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=STORAGE_CRS)


def _overall(table: gpd.GeoDataFrame, rows: list[dict[str, Any] | None]) -> dict[str, Any]:
    area = float(table["area_km2"].sum())
    covered = float(table["covered_area_km2"].sum())
    inside = {i for row in rows if row for i in row["facility_ids"]}
    reach = {i for row in rows if row for i in row["reach_ids"]}
    best = table.loc[table["area_share"].idxmax()] if len(table) else None
    out: dict[str, Any] = {
        "divisions": len(table),
        "area_km2": area,
        "covered_area_km2": covered,
        "uncovered_area_km2": area - covered,
        "area_share": covered / area if area > 0 else None,
        "mean_area_share": _num(table["area_share"].mean()),
        "divisions_covered": int((table["area_share"] > 0).sum()),
        "divisions_without_facilities": int((table["facilities"] == 0).sum()),
        "facilities": len(inside),
        "facilities_in_reach": len(reach),
        "best": None
        if best is None
        else {"code": best["code"], "name": best["name"], "area_share": _num(best["area_share"])},
    }
    if "population" in table.columns:
        total = float(table["population"].sum())
        people = float(table["covered_population"].sum())
        out.update(
            population=total,
            covered_population=people,
            population_share=people / total if total > 0 else None,
        )
    return out


def _headline(
    scope: str,
    types: list[str],
    minutes: float,
    table: gpd.GeoDataFrame,
    overall: dict[str, Any],
    method: str,
    raster_label: str,
) -> str:
    text = f"{scope}：{minutes:g}分钟{circle_label(types)}平均覆盖 {_pct(overall['area_share'])}"
    best = overall["best"]
    if best is not None and (best["area_share"] or 0) > 0:
        text += f"，最高 {best['name']} {_pct(best['area_share'])}"
    else:
        text += "，各单元均未覆盖"
    if "population_share" in overall:
        text += f"，{raster_label}覆盖 {_pct(overall['population_share'])}"
    method_text = METHOD_LABELS[method]
    return text + f"（{method_text}）"

"""Service-circle coverage (服务圈覆盖) of an area of interest, stored with its inputs.

:meth:`Coverage.run` takes the stored facilities of some types, draws their isochrones (on a
:class:`~geociv.coverage.network.WalkNetwork` when one is given, else the straight-line ×
detour-factor fallback, labelled 直线距离估算) and measures, against an area of interest (a
polygon or a division code):

* the covered share of its area, and the uncovered areas as polygons (area minus covered);
* with a population raster, the people covered (exact partial-pixel weighting, overlaps once);
* with zones (subdistricts, communities), a per-zone table and the share of zones **served**:
  a zone is served when at least :data:`SERVED_SHARE` (50 %) of its area is covered. The
  national rental-pilot target counts communities served; the Zhumadian plan counts the
  covered share of the main urban area, so both are reported.

Every run is stored in the ``coverage_runs`` table with its inputs (facility ids, method,
speed, minutes, CRS, network snapshot, raster) and headline figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geociv.coverage.facilities import parse_types
from geociv.coverage.isochrones import IsochroneResult, fallback_circles, resolve_speed, rings
from geociv.coverage.network import WalkNetwork
from geociv.coverage.population import (
    PopulationCoverage,
    area_share,
    covered_population,
    zonal_table,
)
from geociv.crs import STORAGE_CRS, projected_crs_for
from geociv.errors import Problem, ValidationError
from geociv.labels import FACILITY_TYPE_LABELS, METHOD_LABELS
from geociv.store import CoverageRun, Facility, Store

__all__ = [
    "SERVED_SHARE",
    "Coverage",
    "CoverageResult",
    "circle_label",
    "facilities_in_reach",
]

SERVED_SHARE = 0.5
"""A zone is served when at least this share of its area is covered."""


def circle_label(types: Sequence[str]) -> str:
    """The name of the service circle of some facility types.

    >>> circle_label(["rental_station"]), circle_label(["day_care", "nursing_home"])
    ('社区租赁服务圈', '养老服务圈')
    """
    if list(types) == ["rental_station"]:
        return "社区租赁服务圈"
    if len(types) == 1:
        return f"{FACILITY_TYPE_LABELS[types[0]]}服务圈"
    return "养老服务圈"


@dataclass
class CoverageResult:
    """The figures of one coverage run.

    Attributes
    ----------
    run_id : str
        Id of the stored run (``coverage_runs``).
    isochrones : IsochroneResult
        The service areas (``method`` ``"network"`` or ``"fallback"``).
    aoi : GeoDataFrame
        The area of interest (one row, EPSG:4490).
    uncovered : GeoDataFrame
        The area of interest minus the covered area, one row per part, with ``area_km2``.
    area_share : float
        Covered share of the area of interest.
    aoi_area_km2, covered_area_km2 : float
        Areas (Gauss-Krüger), the covered one inside the area of interest.
    population : PopulationCoverage or None
        People covered, with a raster.
    other_populations : dict
        Label → :class:`PopulationCoverage` of further rasters (e.g. the total population
        beside the 60+ one).
    zones : GeoDataFrame or None
        Per zone (EPSG:4490): ``area_share``, ``served``, ``facilities`` and, with a raster,
        ``population``, ``covered_population``, ``share``.
    zones_served_share : float or None
        Share of zones served (``area_share >= SERVED_SHARE``).
    headline : str
        The headline in Chinese.
    inputs : dict
        Everything needed to reproduce the run.
    """

    run_id: str
    isochrones: IsochroneResult
    aoi: gpd.GeoDataFrame
    uncovered: gpd.GeoDataFrame
    area_share: float
    aoi_area_km2: float
    covered_area_km2: float
    population: PopulationCoverage | None
    zones: gpd.GeoDataFrame | None
    zones_served_share: float | None
    headline: str
    inputs: dict[str, Any]
    other_populations: dict[str, PopulationCoverage] = field(default_factory=dict)

    @property
    def method(self) -> str:
        """``"network"`` or ``"fallback"``."""
        return self.isochrones.method

    @property
    def polygons(self) -> gpd.GeoDataFrame:
        """The isochrone polygons (EPSG:4490)."""
        return self.isochrones.polygons

    def summary(self) -> dict[str, Any]:
        """The headline figures as a JSON-ready dict."""

        def num(x: float | None) -> float | None:
            return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)

        pop = self.population
        return {
            "headline": self.headline,
            "method": self.method,
            "area_share": num(self.area_share),
            "aoi_area_km2": num(self.aoi_area_km2),
            "covered_area_km2": num(self.covered_area_km2),
            "uncovered_area_km2": num(self.aoi_area_km2 - self.covered_area_km2),
            "population_total": None if pop is None else num(pop.total),
            "population_covered": None if pop is None else num(pop.covered),
            "population_share": None if pop is None else num(pop.share),
            "zones": None if self.zones is None else len(self.zones),
            "zones_served_share": num(self.zones_served_share),
            "population_label": self.inputs.get("raster_label") if pop is not None else None,
            "other_populations": [
                {
                    "label": label,
                    "total": num(p.total),
                    "covered": num(p.covered),
                    "share": num(p.share),
                }
                for label, p in self.other_populations.items()
            ],
        }


def facilities_in_reach(
    facilities: Sequence[Facility], aoi: gpd.GeoDataFrame, reach_m: float
) -> list[Facility]:
    """The facilities within ``reach_m`` metres of an area (inside it or around it).

    Facilities serve an area when they can reach it: those within the time budget of its
    boundary, not the ones across the country. Distances are measured in the area's
    Gauss-Krüger zone; the order of ``facilities`` is kept.

    Parameters
    ----------
    facilities : sequence of Facility
        Candidates, each with a location (EPSG:4490).
    aoi : GeoDataFrame
        The area of interest (EPSG:4490).
    reach_m : float
        Straight-line reach in metres (speed × time).

    Returns
    -------
    list of Facility

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> area = gpd.GeoDataFrame(geometry=[box(114.0, 33.0, 114.01, 33.01)], crs=STORAGE_CRS)
    >>> near, far = (Facility(i, i, "day_care", Point(x, 33.005)) for i, x in
    ...              (("F1", 114.012), ("F2", 114.05)))
    >>> [f.facility_id for f in facilities_in_reach([near, far], area, 720.0)]
    ['F1']
    """
    if not facilities:
        return []
    gk = projected_crs_for(aoi.geometry)
    near = shapely.buffer(shapely.union_all(aoi.to_crs(gk).geometry.to_numpy()), reach_m)
    shapely.prepare(near)
    located = gpd.GeoSeries([f.location for f in facilities], crs=STORAGE_CRS).to_crs(gk)
    inside = shapely.contains_xy(near, located.x.to_numpy(), located.y.to_numpy())
    return [f for f, ok in zip(facilities, inside, strict=True) if ok]


def reach_box(aoi: gpd.GeoDataFrame, reach_m: float) -> tuple[float, float, float, float]:
    """The extent of an area (EPSG:4490) grown by ``reach_m`` metres, with a margin: every
    point within reach of the area lies in it, so the store's spatial index can pick the
    candidates of :func:`facilities_in_reach` (which measures exactly).

    >>> area = gpd.GeoDataFrame(geometry=[shapely.box(114.0, 33.0, 114.01, 33.01)], crs=STORAGE_CRS)
    >>> [round(v, 4) for v in reach_box(area, 720.0)]
    [113.9919, 32.9931, 114.0181, 33.0169]
    """
    minx, miny, maxx, maxy = (float(v) for v in aoi.to_crs(STORAGE_CRS).total_bounds)
    grow = reach_m * 1.05
    dlat = grow / 110_000.0  # a degree of latitude is at least 110.5 km
    lat = min(max(abs(miny), abs(maxy)) + dlat, 89.0)
    dlon = grow / (111_000.0 * math.cos(math.radians(lat)))
    return (minx - dlon, miny - dlat, maxx + dlon, maxy + dlat)


def _pct(x: float) -> str:
    return "—" if math.isnan(x) else f"{x * 100:.1f} %"


def _checked_types(types: str | Sequence[str], minutes: float) -> list[str]:
    """The facility type codes of a run, its time budget checked."""
    codes, problems = parse_types(types)
    if problems:
        raise ValidationError(problems)
    if not (isinstance(minutes, int | float) and 0 < minutes <= 120):
        raise ValidationError(
            Problem(f"时间必须在 0–120 分钟之间，收到 {minutes!r}", field="minutes")
        )
    return codes


def _raster_inputs(
    raster: str | Path | None, raster_label: str, other_rasters: Sequence[tuple[str | Path, str]]
) -> dict[str, Any]:
    """The population rasters of a run as kept with its inputs."""
    return {
        "raster": None if raster is None else str(raster),
        "raster_label": raster_label if raster is not None else None,
        "other_rasters": [{"raster": str(path), "label": label} for path, label in other_rasters],
    }


@dataclass
class _AreaFigures:
    """The covered and uncovered area of an area of interest (Gauss-Krüger)."""

    uncovered: gpd.GeoDataFrame
    aoi_km2: float
    covered_km2: float
    share: float

    @classmethod
    def measure(cls, aoi_frame: gpd.GeoDataFrame, covered: gpd.GeoDataFrame) -> _AreaFigures:
        """Measure ``covered`` against ``aoi_frame`` (both EPSG:4490) in their GK zone."""
        gk = projected_crs_for(aoi_frame.geometry)
        aoi_gk = shapely.union_all(aoi_frame.to_crs(gk).geometry.to_numpy())
        cov_gk = shapely.union_all(shapely.make_valid(covered.to_crs(gk).geometry.to_numpy()))
        parts = shapely.get_parts(shapely.difference(aoi_gk, cov_gk))
        parts = parts[shapely.area(parts) > 0]
        uncovered = gpd.GeoDataFrame(
            {"area_km2": shapely.area(parts) / 1e6},
            geometry=gpd.GeoSeries(parts, crs=gk).to_crs(STORAGE_CRS).to_numpy(),
            crs=STORAGE_CRS,
        )
        return cls(
            uncovered=uncovered,
            aoi_km2=float(shapely.area(aoi_gk) / 1e6),
            covered_km2=float(shapely.area(shapely.intersection(aoi_gk, cov_gk)) / 1e6),
            share=area_share(aoi_frame, covered),
        )


def _headline(result: CoverageResult) -> str:
    """The Chinese headline of a run: area share, people, zones served, and the method."""
    inputs = result.inputs
    label = circle_label(inputs["types"])
    place = inputs["aoi"]["name"]
    minutes = result.isochrones.minutes[-1]
    parts = [f"{minutes:g}分钟{label}覆盖{place}面积 {_pct(result.area_share)}"]
    if result.population is not None:
        parts.append(f"{inputs['raster_label']} {_pct(result.population.share)}")
    for other, figures in result.other_populations.items():
        parts.append(f"{other} {_pct(figures.share)}")
    if result.zones_served_share is not None:
        parts.append(f"服务单元覆盖达标（≥50 % 面积）{_pct(result.zones_served_share)}")
    return "，".join(parts) + f"（{METHOD_LABELS[result.method]}）"


class Coverage:
    """Coverage computations on the facilities of a store.

    Parameters
    ----------
    store : Store
        Holds the facilities and receives the runs.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def _facilities(
        self, type_code: str, bbox: tuple[float, float, float, float] | None = None
    ) -> list[Facility]:
        """The facilities of one type (retired ones too; :meth:`run` filters by status), in
        ``bbox`` only when given (found by the store's spatial index)."""
        return self.store.query_facilities(type=type_code, include_retired=True, bbox=bbox)

    def _located(
        self, codes: Sequence[str], statuses: Sequence[str], bbox: tuple | None
    ) -> list[Facility]:
        return [
            f
            for code in codes
            for f in self._facilities(code, bbox)
            if f.status in statuses and f.location is not None
        ]

    def _serving(
        self,
        codes: list[str],
        statuses: Sequence[str],
        aoi_frame: gpd.GeoDataFrame,
        place: str,
        reach_m: float,
    ) -> list[Facility]:
        """The located facilities of ``codes`` and ``statuses`` that reach the area.

        Facilities serve the area when they can reach it: those within the time budget of
        its boundary (outside it too), not the ones across the country. The store picks those
        in :func:`reach_box` by its spatial index, :func:`facilities_in_reach` measures; none
        is a ``ValidationError`` saying whether there are none at all or none near.
        """
        near = facilities_in_reach(
            self._located(codes, statuses, reach_box(aoi_frame, reach_m)), aoi_frame, reach_m
        )
        if near:
            return near
        labels = "、".join(FACILITY_TYPE_LABELS[c] for c in codes)
        everywhere = len(self._located(codes, statuses, None))  # only to say so
        if not everywhere:
            problem = Problem(f"没有状态为 {'/'.join(statuses)} 的{labels}", field="types")
        else:
            problem = Problem(
                f"{place}及其周边 {reach_m:,.0f} 米内没有状态为 {'/'.join(statuses)} 的"
                f"{labels}（共有 {everywhere} 处，均在范围外）",
                field="aoi",
            )
        raise ValidationError(problem, title="没有设施")

    def area_of_interest(
        self, aoi: Any, name: str | None = None
    ) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
        """The area of interest as one row in EPSG:4490, and its record for the inputs.

        ``aoi`` is a division code, a shapely polygon (EPSG:4490), a GeoDataFrame or a
        GeoSeries; a bad one is a :class:`ValidationError` on field ``aoi``.
        """
        record: dict[str, Any] = {}
        if isinstance(aoi, str):
            division = self.store.get_division(aoi)
            if division is None or division.geometry is None:
                raise ValidationError(Problem(f"区划 {aoi} 不存在或没有边界", field="aoi"))
            geom, name = division.geometry, name or division.name
            record["division_code"] = aoi
        elif isinstance(aoi, gpd.GeoDataFrame | gpd.GeoSeries):
            series = aoi.geometry if isinstance(aoi, gpd.GeoDataFrame) else aoi
            if series.crs is None:
                raise ValidationError(Problem("统计范围未声明坐标系", field="aoi"))
            geom = shapely.union_all(shapely.make_valid(series.to_crs(STORAGE_CRS).to_numpy()))
        elif isinstance(aoi, shapely.Geometry):
            geom = aoi
        else:
            raise ValidationError(Problem("统计范围必须是多边形或区划代码", field="aoi"))
        if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise ValidationError(Problem("统计范围必须是非空的多边形", field="aoi"))
        name = name or "统计范围"
        record.update(name=name, bounds=[round(v, 6) for v in geom.bounds])
        frame = gpd.GeoDataFrame({"name": [name]}, geometry=[geom], crs=STORAGE_CRS)
        return frame, record

    def run(
        self,
        types: str | Sequence[str],
        *,
        actor: str,
        aoi: Any,
        aoi_name: str | None = None,
        minutes: float = 15.0,
        speed: float | str = "elderly",
        network: WalkNetwork | None = None,
        raster: str | Path | None = None,
        raster_label: str = "老年人口",
        other_rasters: Sequence[tuple[str | Path, str]] = (),
        zones: gpd.GeoDataFrame | None = None,
        statuses: Sequence[str] = ("existing",),
        detour: float = 1.3,
        access_m: float = 50.0,
        ring_minutes: Sequence[float] = (),
        progress: Callable[[float, str], None] | None = None,
        request: dict[str, Any] | None = None,
        record: bool = True,
    ) -> CoverageResult:
        """Measure how much of an area lies within ``minutes`` of the facilities of ``types``.

        Parameters
        ----------
        types : str or sequence of str
            Facility types (codes or Chinese labels).
        actor : str
            Who ran it (the run is stored and audited).
        aoi : shapely polygon (EPSG:4490), GeoDataFrame, GeoSeries or division code
            The area of interest.
        aoi_name : str, optional
            Its name in the headline (default: the division's name, else 统计范围).
        minutes : float
            Time budget.
        speed : float or str
            Metres per second or a preset (``"elderly"`` 0.8 m/s …).
        network : WalkNetwork, optional
            Walk on it; without one the straight-line fallback is used (直线距离估算).
        raster : str or Path, optional
            Population-count raster (by default read as the 60+ population).
        raster_label : str
            What the raster counts, for the headline.
        other_rasters : sequence of (raster, label)
            Further population rasters measured the same way (e.g. the total population).
        zones : GeoDataFrame, optional
            Subdistricts or communities for the per-zone table and the share served.
        statuses : sequence of str
            Facility statuses included (default existing only).
        detour : float
            Detour factor of the fallback.
        access_m : float
            Walk-access buffer of the network method.
        ring_minutes : sequence of float
            Inner rings drawn too (e.g. ``(5, 10)``), from the same search; the figures are
            those of ``minutes``.
        progress : callable, optional
            Called as ``progress(fraction, message)`` at each stage (for progress bars).
        request : dict, optional
            The request as its caller received it (ids of the stored inputs), kept with the
            run's inputs so that it can be run again.

        Returns
        -------
        CoverageResult

        Raises
        ------
        ValidationError
            Unknown type, no matching facility, a bad area of interest, speed or time.
        """
        step = progress or (lambda fraction, message: None)
        step(0.02, "读取设施")
        codes = _checked_types(types, minutes)
        aoi_frame, aoi_record = self.area_of_interest(aoi, aoi_name)
        reach_m = resolve_speed(speed) * minutes * 60.0
        facilities = self._serving(codes, statuses, aoi_frame, aoi_record["name"], reach_m)
        times = sorted({float(m) for m in ring_minutes if 0 < float(m) < minutes} | {minutes})
        points = gpd.GeoSeries([f.location for f in facilities], crs=STORAGE_CRS)
        step(0.1, f"计算 {len(facilities)} 处设施的服务范围")
        if network is not None:
            iso = rings(network, points, times, speed, access_m)
        else:
            iso = fallback_circles(points, times, speed, detour)
        covered = iso.polygons.iloc[[-1]]

        step(0.5, "计算覆盖面积与未覆盖区域")
        area = _AreaFigures.measure(aoi_frame, covered)
        population = None
        if raster is not None:
            step(0.65, "统计覆盖人口")
            population = covered_population(raster, covered, aoi=aoi_frame)
        others = {
            label: covered_population(path, covered, aoi=aoi_frame) for path, label in other_rasters
        }
        zone_table, served_share = self._served(zones, covered, points, raster, step)

        inputs: dict[str, Any] = {
            **iso.inputs(),
            "types": codes,
            "statuses": list(statuses),
            "facility_ids": [f.facility_id for f in facilities],
            "speed": speed,
            "aoi": {**aoi_record, "area_km2": area.aoi_km2},
            **_raster_inputs(raster, raster_label, other_rasters),
            "zones": None if zones is None else len(zones),
            "served_rule": f"covered area share >= {SERVED_SHARE}",
            "request": request,
        }
        result = CoverageResult(
            run_id="",
            isochrones=iso,
            aoi=aoi_frame,
            uncovered=area.uncovered,
            area_share=area.share,
            aoi_area_km2=area.aoi_km2,
            covered_area_km2=area.covered_km2,
            population=population,
            zones=zone_table,
            zones_served_share=served_share,
            headline="",
            inputs=inputs,
            other_populations=others,
        )
        result.headline = _headline(result)
        if record:
            step(0.95, "保存计算记录")
            self._record(result, actor)
        return result

    @classmethod
    def _served(
        cls,
        zones: gpd.GeoDataFrame | None,
        covered: gpd.GeoDataFrame,
        points: gpd.GeoSeries,
        raster: str | Path | None,
        step: Callable[[float, str], None],
    ) -> tuple[gpd.GeoDataFrame | None, float | None]:
        """The per-zone table and the share of zones served (``None`` without zones)."""
        if zones is None:
            return None, None
        step(0.8, f"统计 {len(zones)} 个统计单元")
        table = cls._zones(zones, covered, points, raster)
        return table, float(table["served"].mean()) if len(table) else math.nan

    def _record(self, result: CoverageResult, actor: str) -> None:
        """Store ``result`` as a coverage run and give it the run's id."""
        kind = ",".join(result.inputs["types"])
        run = self.store.add_coverage_run(
            CoverageRun("", kind=kind, params=result.inputs, summary=result.summary()),
            actor=actor,
        )
        result.run_id = run.run_id

    @staticmethod
    def _zones(
        zones: gpd.GeoDataFrame,
        covered: gpd.GeoDataFrame,
        points: gpd.GeoSeries,
        raster: str | Path | None,
    ) -> gpd.GeoDataFrame:
        if zones.crs is None:
            raise ValidationError(Problem("统计单元未声明坐标系", field="zones"))
        keep = [c for c in ("code", "name") if c in zones.columns]
        table = pd.DataFrame(zones[keep]) if keep else pd.DataFrame(index=zones.index)
        if raster is not None:
            table = table.join(zonal_table(raster, zones, covered))
        else:
            gk = projected_crs_for(zones.geometry)
            z = shapely.make_valid(zones.to_crs(gk).geometry.to_numpy())
            cov = shapely.union_all(covered.to_crs(gk).geometry.to_numpy())
            with np.errstate(invalid="ignore", divide="ignore"):
                table["area_share"] = shapely.area(shapely.intersection(z, cov)) / shapely.area(z)
        table["served"] = table["area_share"] >= SERVED_SHARE
        z4490 = zones.to_crs(STORAGE_CRS).geometry.to_numpy()
        pts = points.to_numpy()
        table["facilities"] = [int(shapely.covers(g, pts).sum()) for g in z4490]
        return gpd.GeoDataFrame(table, geometry=z4490, crs=STORAGE_CRS)

"""Site suggestion from geography: where k new sites should go in an area of interest.

:func:`suggest_sites` builds a siting instance from real geography and solves it with
:class:`~geociv.coverage.siting.SiteCoverage`, keeping the existing facilities:

1. **Demand units.** A grid of ``cell_m`` cells over the area of interest (AOI), in the
   metric CRS of the road network or of the AOI (:func:`~geociv.coverage.network.local_metric_crs`:
   the CGCS2000 Gauss-Krüger zone in China). Without a raster each cell weighs its area inside
   the AOI (objective ``"area"``, km²) and sits at its centre (at a point of its part inside the
   AOI for cells cut by the boundary). With a population raster (objective ``"population"``,
   people) every raster cell is weighted by the exact fraction of it lying inside the AOI
   (partial-pixel weighting, computed in the raster's own CRS, never resampled) and the counts
   are summed per grid cell at their population-weighted centre; the total equals the AOI
   population of :func:`~geociv.coverage.population.covered_population`.
2. **Candidates.** The given points inside the AOI (e.g. stored facilities with status
   "candidate"), else a grid every ``candidate_spacing_m``; with a network the grid points are
   moved to their nearest network node, dropping those farther than
   :data:`~geociv.coverage.isochrones.DEFAULT_MAX_SNAP_M` and merging those on the same node.
3. **Coverage.** Without a network (fallback): a straight line of at most
   ``speed × minutes ÷ detour``. With a network: every demand point and site is snapped to its
   nearest street; a site covers a point when the walk site → street → along the streets → the
   point's snapped position, plus the point's own snap distance, is at most
   ``speed × minutes`` (limited Dijkstra searches from all sites, in batches).
4. **Optimisation.** k new sites by greedy MCLP with swaps (and the exact integer program when
   asked, or automatically when the instance is moderate), or the fewest sites reaching a target
   share (LSCP); always a feasibility bound for k with a verdict in Chinese.

The result (:class:`SiteSuggestion`) keeps the model, so "what if" questions take
milliseconds.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point, box
>>> aoi = box(114.00, 32.95, 114.03, 32.98)
>>> existing = gpd.GeoSeries([Point(114.005, 32.955)], crs="EPSG:4490")
>>> result = suggest_sites(existing, aoi, 2, cell_m=200, candidate_spacing_m=500)
>>> result.objective, len(result.sites), result.share_after > result.share_before
('area', 2, True)
>>> list(result.sites.site_id)
['S1', 'S2']
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import rasterio
import rasterio.windows
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from geociv.coverage.isochrones import (
    DEFAULT_MAX_SNAP_M,
    fallback_circles,
    resolve_speed,
    rings,
)
from geociv.coverage.network import WalkNetwork, local_metric_crs
from geociv.coverage.population import _cell_fractions, _open
from geociv.coverage.siting import (
    FeasibilityBound,
    SiteCoverage,
    SitingResult,
    coverage_within_distance,
)
from geociv.crs import STORAGE_CRS
from geociv.errors import Problem, ValidationError

__all__ = ["AUTO_EXACT_MAX_ENTRIES", "AUTO_EXACT_MAX_K", "SiteSuggestion", "suggest_sites"]

AUTO_EXACT_MAX_ENTRIES = 2_000_000
"""``method="auto"`` solves exactly when distinct open demand rows × candidates is at most this."""

AUTO_EXACT_MAX_K = 50
"""… and k is at most this."""

_BATCH_SITES = 64
"""Sites searched per Dijkstra batch (bounds the dense distance block kept in memory)."""

_TITLE = "选址输入有误"

Progress = Callable[[float, str], None]


def _fmt_share(share: float) -> str:
    return f"{share * 100:.1f} %"


@dataclass
class SiteSuggestion:
    """Suggested new sites, the coverage they give and the model to ask "what if".

    Attributes
    ----------
    sites : GeoDataFrame
        The new sites in EPSG:4490, in greedy order: ``rank``, ``site_id`` (the candidate's id
        when candidates were given, else ``"S1"``, ``"S2"`` …), ``candidate_id``, ``added``
        (weight each adds after the existing sites and those ranked before it), ``added_share``
        and ``cumulative_share`` (covered share with the existing sites and the sites up to
        this rank).
    before, after : float
        Demand weight covered by the existing sites, and with the new sites too.
    total : float
        Total demand weight in the area of interest.
    objective : str
        ``"area"`` (weights in km²) or ``"population"`` (people).
    unit : str
        ``"km²"`` or ``"人"``.
    method : str
        How the sites were chosen: ``"greedy"``, ``"exact"``, ``"lscp-greedy"`` or
        ``"lscp-exact"``.
    bound : FeasibilityBound
        What k new sites can cover at least and at most.
    bound_text : str
        The bound and the verdict on the target, in Chinese.
    model : SiteCoverage
        The coverage model (columns: existing sites, then candidates).
    coverage_method : str
        ``"network"`` or ``"fallback"`` (straight line ÷ detour).
    demand : GeoDataFrame
        The demand units (EPSG:4490 points) with ``weight``, ``covered_before`` and
        ``covered_after``.
    demand_xy : numpy.ndarray
        The demand points in ``metric_crs``.
    metric_crs : pyproj.CRS
        The CRS distances were measured in.
    candidates : GeoDataFrame
        Every candidate (EPSG:4490) with ``candidate_id``.
    existing_ids : list of str
        Ids of the existing sites (their index, or ``"E1"``, ``"E2"`` … for a default index).
    result : SitingResult
        The raw answer of the siting method.
    notes : list of str
        Remarks (dropped candidates, time limits …).
    """

    sites: gpd.GeoDataFrame
    before: float
    after: float
    total: float
    objective: str
    unit: str
    method: str
    bound: FeasibilityBound
    bound_text: str
    model: SiteCoverage
    coverage_method: str
    demand: gpd.GeoDataFrame
    demand_xy: NDArray[np.float64]
    metric_crs: pyproj.CRS
    candidates: gpd.GeoDataFrame
    existing_ids: list[str]
    result: SitingResult
    notes: list[str] = field(default_factory=list)
    _params: dict[str, Any] = field(default_factory=dict, repr=False)
    _network: WalkNetwork | None = field(default=None, repr=False)

    @property
    def k(self) -> int:
        """Number of new sites."""
        return len(self.sites)

    @property
    def share_before(self) -> float:
        """Covered share with the existing sites only."""
        return self.before / self.total if self.total > 0 else math.nan

    @property
    def share_after(self) -> float:
        """Covered share with the new sites too."""
        return self.after / self.total if self.total > 0 else math.nan

    def inputs(self) -> dict[str, Any]:
        """Return the inputs and the result summary as a JSON-ready dict."""
        p = self._params
        return {
            "k": self.k,
            "target_share": p["target_share"],
            "minutes": p["minutes"],
            "speed_mps": p["speed_mps"],
            "detour": p["detour"] if self.coverage_method == "fallback" else None,
            "access_m": p["access_m"] if self.coverage_method == "network" else None,
            "coverage_method": self.coverage_method,
            "network_id": self._network.snapshot_id if self._network is not None else None,
            "network_source": self._network.source if self._network is not None else None,
            "metric_crs": f"EPSG:{self.metric_crs.to_epsg()}",
            "crs": STORAGE_CRS,
            "cell_m": p["cell_m"],
            "candidate_spacing_m": p["candidate_spacing_m"],
            "candidates_given": p["candidates_given"],
            "n_demand": len(self.demand),
            "n_candidates": len(self.candidates),
            "n_existing": len(self.existing_ids),
            "raster": p["raster"],
            "objective": self.objective,
            "unit": self.unit,
            "method": self.method,
            "total": self.total,
            "before": self.before,
            "after": self.after,
            "share_before": self.share_before,
            "share_after": self.share_after,
            "bound": {"k": self.bound.k, "lower": self.bound.lower, "upper": self.bound.upper},
            "bound_text": self.bound_text,
            "site_ids": [str(s) for s in self.sites["site_id"]],
            "seconds": p["seconds"],
        }

    def summary(self) -> dict[str, Any]:
        """Return the headline figures as a JSON-ready dict (with a Chinese ``text``)."""
        what = "面积" if self.objective == "area" else "人口"
        text = (
            f"新增 {self.k} 处后{what}覆盖率 {_fmt_share(self.share_before)} → "
            f"{_fmt_share(self.share_after)}"
        )
        return {
            "k": self.k,
            "objective": self.objective,
            "unit": self.unit,
            "method": self.method,
            "coverage_method": self.coverage_method,
            "total": self.total,
            "before": self.before,
            "after": self.after,
            "share_before": self.share_before,
            "share_after": self.share_after,
            "bound_lower_share": self.bound.lower / self.total if self.total > 0 else None,
            "bound_upper_share": self.bound.upper / self.total if self.total > 0 else None,
            "bound_text": self.bound_text,
            "text": text,
            "site_ids": [str(s) for s in self.sites["site_id"]],
            "notes": list(self.notes),
        }

    def _column(self, site: Any, field_name: str) -> str:
        key = str(site)
        if key in self._params["aliases"]:
            return self._params["aliases"][key]
        if key in self._params["known"]:
            return key
        raise ValidationError(Problem(f"未知站点：{key}", field=field_name), title=_TITLE)

    def what_if(self, add: Sequence[Any] = (), remove: Sequence[Any] = ()) -> dict[str, Any]:
        """Coverage of the suggested plan (existing plus new sites) after a change.

        Parameters
        ----------
        add : sequence
            Other candidates to add (their ``candidate_id``).
        remove : sequence
            Sites of the plan to remove: suggested sites (their ``site_id``, e.g. ``"S1"``)
            or existing ones (see :attr:`existing_ids`).

        Returns
        -------
        dict
            ``before`` (the suggested plan) and ``after`` weights and shares, ``delta``,
            ``unit``, the resulting ``sites`` and ``seconds``.

        Raises
        ------
        ValidationError
            For unknown sites, adding a site already in the plan or removing one not in it.

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely.geometry import Point, box
        >>> existing = gpd.GeoSeries([Point(114.005, 32.955)], crs="EPSG:4490")
        >>> s = suggest_sites(existing, box(114.0, 32.95, 114.03, 32.98), 2, cell_m=200)
        >>> answer = s.what_if(remove=["S1"])
        >>> answer["share_before"] == s.share_after, answer["share_after"] < s.share_after
        (True, True)
        """
        plan = list(self.existing_ids) + [str(c) for c in self.sites["candidate_id"]]
        answer = self.model.what_if(
            add=[self._column(s, "add") for s in add],
            remove=[self._column(s, "remove") for s in remove],
            sites=plan,
        )
        back = {v: k for k, v in self._params["aliases"].items()}
        label = [back.get(str(s), str(s)) for s in answer.sites]
        return {
            "before": answer.before,
            "after": answer.after,
            "delta": answer.delta,
            "total": answer.total,
            "share_before": answer.share_before,
            "share_after": answer.share_after,
            "unit": self.unit,
            "added": [back.get(str(s), str(s)) for s in answer.added],
            "removed": [back.get(str(s), str(s)) for s in answer.removed],
            "sites": label,
            "seconds": answer.seconds,
        }

    def service_areas(self) -> gpd.GeoDataFrame:
        """The suggested sites' service areas for the map, one row per site (EPSG:4490).

        Network isochrones (:func:`~geociv.coverage.isochrones.rings`) when a network was
        used, else fallback circles (:func:`~geociv.coverage.isochrones.fallback_circles`).

        Returns
        -------
        GeoDataFrame
            ``rank``, ``site_id``, ``minutes``, ``speed_mps``, ``method``, ``area_km2`` and
            geometry.
        """
        p = self._params
        frames = []
        for rank, site_id, geom in zip(
            self.sites["rank"], self.sites["site_id"], self.sites.geometry, strict=True
        ):
            point = gpd.GeoSeries([geom], crs=STORAGE_CRS)
            if self._network is not None:
                iso = rings(
                    self._network,
                    point,
                    (p["minutes"],),
                    p["speed_mps"],
                    p["access_m"],
                    max_snap_m=math.inf,
                )
            else:
                iso = fallback_circles(point, p["minutes"], p["speed_mps"], p["detour"])
            frame = iso.polygons.copy()
            frame.insert(0, "site_id", site_id)
            frame.insert(0, "rank", rank)
            frames.append(frame)
        if not frames:
            columns = ["rank", "site_id", "minutes", "speed_mps", "method", "area_km2"]
            return gpd.GeoDataFrame(columns=columns, geometry=[], crs=STORAGE_CRS)
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=STORAGE_CRS)


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------


def _aoi_geometry(aoi: Any) -> shapely.Geometry:
    """The area of interest as one (valid) geometry in EPSG:4490."""
    if isinstance(aoi, gpd.GeoDataFrame | gpd.GeoSeries):
        geoms = aoi.geometry if isinstance(aoi, gpd.GeoDataFrame) else aoi
        if geoms.crs is not None:
            geoms = geoms.to_crs(STORAGE_CRS)
        geom = shapely.union_all(shapely.make_valid(geoms.dropna().to_numpy()))
    elif isinstance(aoi, shapely.Geometry):
        geom = shapely.make_valid(aoi)
    else:
        raise ValidationError(
            Problem("统计范围必须是面（GeoDataFrame、GeoSeries 或 shapely 面）", field="aoi"),
            title=_TITLE,
        )
    polys = [
        g
        for g in shapely.get_parts(geom)
        if shapely.get_type_id(g) in (3, 6) and not g.is_empty  # Polygon, MultiPolygon
    ]
    geom = shapely.union_all(polys) if polys else shapely.Polygon()
    if geom.is_empty or geom.area <= 0:
        raise ValidationError(Problem("统计范围为空（没有面积）", field="aoi"), title=_TITLE)
    return geom


def _points(obj: Any, what: str, field_name: str) -> gpd.GeoSeries:
    if isinstance(obj, gpd.GeoDataFrame):
        obj = obj.geometry
    if not isinstance(obj, gpd.GeoSeries):
        raise ValidationError(
            Problem(f"{what}必须是带坐标系的 GeoSeries 点", field=field_name), title=_TITLE
        )
    if len(obj) and obj.crs is None:
        raise ValidationError(Problem(f"{what}未声明坐标系", field=field_name), title=_TITLE)
    bad = np.flatnonzero(
        (obj.isna() | obj.is_empty | (obj.geom_type != "Point")).to_numpy(dtype=bool)
    )
    if len(bad):
        problems = [Problem(f"{what}不是有效的点", row=int(i) + 1, field=field_name) for i in bad]
        raise ValidationError(problems[:20], title=_TITLE)
    return obj


def _ids(index: pd.Index, prefix: str) -> list[str]:
    if isinstance(index, pd.RangeIndex):
        return [f"{prefix}{i + 1}" for i in range(len(index))]
    return [str(i) for i in index]


def _grid_cells(
    aoi_m: shapely.Geometry, cell_m: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """Grid cells meeting the AOI: reference points, areas inside (m²) and grid indices."""
    minx, miny, maxx, maxy = aoi_m.bounds
    x0 = math.floor(minx / cell_m) * cell_m
    y0 = math.floor(miny / cell_m) * cell_m
    nx = max(math.ceil((maxx - x0) / cell_m), 1)
    ny = max(math.ceil((maxy - y0) / cell_m), 1)
    if nx * ny > 4_000_000:
        raise ValidationError(
            Problem(f"需求网格过大（{nx} × {ny} 格），请增大网格尺寸", field="cell_m"),
            title=_TITLE,
        )
    ix, iy = np.meshgrid(np.arange(nx), np.arange(ny))
    ix, iy = ix.ravel(), iy.ravel()
    boxes = shapely.box(
        x0 + ix * cell_m, y0 + iy * cell_m, x0 + (ix + 1) * cell_m, y0 + (iy + 1) * cell_m
    )
    shapely.prepare(aoi_m)
    hit = shapely.intersects(aoi_m, boxes)
    inside = hit & shapely.contains_properly(aoi_m, boxes)
    edge = hit & ~inside
    area = np.zeros(boxes.size)
    area[inside] = cell_m * cell_m
    pts = np.column_stack([x0 + (ix + 0.5) * cell_m, y0 + (iy + 0.5) * cell_m])
    if edge.any():
        pieces = shapely.intersection(boxes[edge], aoi_m)
        area[edge] = shapely.area(pieces)
        pts[edge] = shapely.get_coordinates(shapely.point_on_surface(pieces))
    keep = area > 0
    return pts[keep], area[keep], ix[keep], iy[keep]


def _area_demand(
    aoi_m: shapely.Geometry, cell_m: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    pts, area, _, _ = _grid_cells(aoi_m, cell_m)
    return pts, area / 1e6


def _raster_demand(
    raster: str | Path, aoi_geo: shapely.Geometry, metric: pyproj.CRS, cell_m: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """People per grid cell (exact partial-pixel AOI weighting) at weighted centres."""
    with _open(raster) as src:
        raster_crs = pyproj.CRS(src.crs)
        aoi_r = gpd.GeoSeries([aoi_geo], crs=STORAGE_CRS).to_crs(raster_crs).iloc[0]
        full = rasterio.windows.Window(0, 0, src.width, src.height)
        try:
            window = rasterio.windows.from_bounds(*aoi_r.bounds, transform=src.transform)
            col0, row0 = math.floor(window.col_off), math.floor(window.row_off)
            col1 = math.ceil(window.col_off + window.width)
            row1 = math.ceil(window.row_off + window.height)
            window = rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)
            window = window.intersection(full)
        except rasterio.errors.WindowError:
            return np.zeros((0, 2)), np.zeros(0)
        data = src.read(1, window=window, masked=True)
        wt = rasterio.windows.transform(window, src.transform)
    values = np.ma.filled(data.astype(np.float64), 0.0)
    values[~np.isfinite(values) | (values < 0)] = 0.0
    rows, cols = np.nonzero(values)
    if rows.size == 0:
        return np.zeros((0, 2)), np.zeros(0)
    frac = _cell_fractions(aoi_r, wt, rows.astype(np.int64), cols.astype(np.int64))
    weight = values[rows, cols] * frac
    keep = weight > 0
    rows, cols, weight = rows[keep], cols[keep], weight[keep]
    cx = wt.c + (cols + 0.5) * wt.a
    cy = wt.f + (rows + 0.5) * wt.e
    to_metric = pyproj.Transformer.from_crs(raster_crs, metric, always_xy=True)
    mx, my = to_metric.transform(cx, cy)
    # Sum per cell_m grid cell, at the population-weighted centre.
    gx = np.floor(np.asarray(mx) / cell_m).astype(np.int64)
    gy = np.floor(np.asarray(my) / cell_m).astype(np.int64)
    _, inverse = np.unique(np.column_stack([gx, gy]), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    w = np.bincount(inverse, weights=weight)
    px = np.bincount(inverse, weights=weight * mx) / w
    py = np.bincount(inverse, weights=weight * my) / w
    return np.column_stack([px, py]), w


def _grid_candidates(aoi_m: shapely.Geometry, spacing: float) -> NDArray[np.float64]:
    minx, miny, maxx, maxy = aoi_m.bounds
    xs = np.arange(math.floor(minx / spacing), math.ceil(maxx / spacing) + 1) * spacing
    ys = np.arange(math.floor(miny / spacing), math.ceil(maxy / spacing) + 1) * spacing
    gx, gy = np.meshgrid(xs + spacing / 2, ys + spacing / 2)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    shapely.prepare(aoi_m)
    inside = shapely.contains_xy(aoi_m, pts[:, 0], pts[:, 1])
    return pts[inside]


# ---------------------------------------------------------------------------------------------
# Coverage matrices
# ---------------------------------------------------------------------------------------------


def _network_coverage(
    network: WalkNetwork,
    demand_xy: NDArray[np.float64],
    sites_xy: NDArray[np.float64],
    budget: float,
) -> sp.csc_array:
    """Demand × sites: walk site → network → demand's snapped position + its snap ≤ budget."""
    n = network.n_nodes
    m = len(sites_xy)
    ds = network.snap(demand_xy)
    ss = network.snap(sites_xy)
    fac = np.arange(n, n + m)
    base = network.adjacency.tocoo()
    w_u = ss.distance_m + ss.offset_m
    w_v = ss.distance_m + (network.length[ss.edge] - ss.offset_m)
    graph = sp.csr_matrix(
        (
            np.concatenate([base.data, w_u, w_v]),
            (
                np.concatenate([base.row, fac, fac]),
                np.concatenate([base.col, network.u[ss.edge], network.v[ss.edge]]),
            ),
        ),
        shape=(n + m, n + m),
    )
    # Demand points that can be reached at all (snap distance within budget).
    cand = np.flatnonzero(ds.distance_m <= budget)
    du = network.u[ds.edge[cand]]
    dv = network.v[ds.edge[cand]]
    off = ds.offset_m[cand]
    rest = network.length[ds.edge[cand]] - off
    snap_d = ds.distance_m[cand]
    rows: list[NDArray[np.int64]] = []
    cols: list[NDArray[np.int64]] = []
    for start in range(0, m, _BATCH_SITES):
        idx = fac[start : start + _BATCH_SITES]
        dist = dijkstra(graph, directed=True, indices=idx, limit=budget)[:, :n]
        total = np.minimum(dist[:, du] + off, dist[:, dv] + rest) + snap_d
        r, c = np.nonzero(total <= budget)
        rows.append(cand[c])
        cols.append(r + start)
    # A site and a demand point on the same edge: walk straight along it.
    order = np.argsort(ds.edge, kind="stable")
    sorted_edges = ds.edge[order]
    for j in range(m):
        lo, hi = np.searchsorted(sorted_edges, [ss.edge[j], ss.edge[j] + 1])
        if lo == hi:
            continue
        pts = order[lo:hi]
        along = ss.distance_m[j] + np.abs(ds.offset_m[pts] - ss.offset_m[j]) + ds.distance_m[pts]
        ok = pts[along <= budget]
        rows.append(ok)
        cols.append(np.full(ok.size, j, dtype=np.int64))
    r_all = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c_all = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    matrix = sp.csc_array(
        (np.ones(r_all.size, dtype=bool), (r_all, c_all)), shape=(len(demand_xy), m)
    )
    matrix.sum_duplicates()
    return matrix


# ---------------------------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------------------------


def suggest_sites(
    existing: gpd.GeoSeries,
    aoi: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry,
    k: int | None = None,
    *,
    target_share: float | None = None,
    candidates: gpd.GeoSeries | None = None,
    candidate_ids: Sequence[str] | None = None,
    network: WalkNetwork | None = None,
    raster: str | Path | None = None,
    minutes: float = 15,
    speed: float | str = "elderly",
    detour: float = 1.3,
    access_m: float = 50,
    cell_m: float = 100,
    candidate_spacing_m: float = 300,
    method: Literal["auto", "greedy", "exact"] = "auto",
    progress: Progress | None = None,
    exact_time_limit: float | None = None,
) -> SiteSuggestion:
    """Suggest where k new sites should go in an area of interest, existing sites kept.

    Parameters
    ----------
    existing : GeoSeries
        Existing facilities (points, any CRS; may be empty). Their ids are the index as
        text, or ``"E1"``, ``"E2"`` … for a default integer index.
    aoi : GeoDataFrame, GeoSeries or shapely geometry
        Area of interest; a bare shapely geometry is taken as EPSG:4490.
    k : int, optional
        Number of new sites.
    target_share : float, optional
        Target covered share in (0, 1]: without ``k``, the fewest sites reaching it (LSCP);
        with ``k``, the verdict of the feasibility bound.
    candidates : GeoSeries, optional
        Candidate points (any CRS); only those inside the AOI are used. Default: a grid.
    candidate_ids : sequence of str, optional
        An id per candidate. Default: the index as text (``"C1"`` … for a default index).
    network : WalkNetwork, optional
        Road network; without it the straight-line fallback is used.
    raster : str or Path, optional
        Population-count raster; with it the objective is people, else area.
    minutes : float
        Time budget.
    speed : float or str
        Metres per second or a preset of :data:`~geociv.coverage.isochrones.SPEEDS`.
    detour : float
        Network ÷ straight-line distance ratio of the fallback.
    access_m : float
        Walk-access buffer of the network service areas (:meth:`SiteSuggestion.service_areas`).
    cell_m : float
        Demand grid cell size, metres.
    candidate_spacing_m : float
        Spacing of generated candidates, metres.
    method : {"auto", "greedy", "exact"}
        ``"auto"`` solves exactly when the instance is moderate (see
        :data:`AUTO_EXACT_MAX_ENTRIES`, :data:`AUTO_EXACT_MAX_K`) and the greedy answer is
        not already proven optimal by the LP bound, else greedily.
    progress : callable, optional
        Called as ``progress(fraction, message)`` (message in Chinese) at each stage.
    exact_time_limit : float, optional
        Seconds the integer program may run (CBC); the better of its incumbent and the greedy
        answer is kept, and the result is then not proven optimal.

    Returns
    -------
    SiteSuggestion

    Raises
    ------
    ValidationError
        For a bad k or target, k larger than the number of candidates, an unreachable
        target, an empty AOI, no candidates in the AOI, or bad points.
    """
    t0 = time.perf_counter()
    report = progress or (lambda fraction, message: None)
    options = _SiteOptions(minutes, speed, detour, access_m, cell_m, candidate_spacing_m, method)
    options.check(k, target_share, network)
    budget = options.budget_m()
    existing = _points(existing, "已有设施", "existing")
    aoi_geo = _aoi_geometry(aoi)
    notes: list[str] = []
    report(0.0, "正在生成需求网格")
    demand = _demand_points(aoi_geo, network, raster, float(cell_m))
    report(0.2, "正在生成候选站点")
    cand_xy, cand_ids = _candidate_sites(
        candidates, candidate_ids, demand.aoi_m, demand.metric, network,
        float(candidate_spacing_m), notes,
    )  # fmt: skip
    existing_ids = _ids(existing.index, "E")
    all_ids = existing_ids + cand_ids
    _check_sites(all_ids, k, len(cand_xy))
    report(0.35, "正在计算覆盖矩阵")
    matrix, coverage_method = _coverage_matrix(
        network, demand, existing, cand_xy, budget, float(detour)
    )
    model = SiteCoverage(matrix, demand.weights, existing=existing_ids, site_ids=all_ids)
    report(0.7, "正在优化选址")
    res, used, k_eff = _optimise(model, k, target_share, method, exact_time_limit)
    notes.extend(res.notes)
    bound = _bound_of(model, res, used, k_eff)
    order = model.marginal_order(res.selected)
    given = candidates is not None
    frames = _result_frames(model, order, matrix, demand, cand_xy, cand_ids, given)
    report(1.0, "选址完成")
    return SiteSuggestion(
        sites=frames["sites"], before=model.existing_covered, after=float(res.covered),
        total=model.total, objective=demand.objective, unit=demand.unit, method=used,
        bound=bound, bound_text=_bound_text(bound, target_share), model=model,
        coverage_method=coverage_method, demand=frames["demand"], demand_xy=demand.xy,
        metric_crs=demand.metric, candidates=frames["candidates"], existing_ids=existing_ids,
        result=res, notes=notes,
        _params={
            **options.params(target_share, given, raster),
            "aliases": {} if given else {f"S{i + 1}": str(s) for i, (s, _) in enumerate(order)},
            "known": set(all_ids),
            "seconds": time.perf_counter() - t0,
        },
        _network=network,
    )  # fmt: skip


@dataclass(frozen=True)
class _SiteOptions:
    """How a suggestion measures reach and searches: the options of :func:`suggest_sites`.

    Numbers are kept as given, so that a refusal quotes them as the caller wrote them.
    """

    minutes: float
    speed: float | str
    detour: float
    access_m: float
    cell_m: float
    candidate_spacing_m: float
    method: str

    def budget_m(self) -> float:
        """The distance walked in the time budget, metres."""
        return float(self.minutes) * 60.0 * resolve_speed(self.speed)

    def params(
        self, target_share: float | None, given: bool, raster: str | Path | None
    ) -> dict[str, Any]:
        """The inputs kept with the suggestion (:meth:`SiteSuggestion.inputs`)."""
        return {
            "target_share": None if target_share is None else float(target_share),
            "minutes": float(self.minutes), "speed_mps": resolve_speed(self.speed),
            "detour": float(self.detour), "access_m": float(self.access_m),
            "cell_m": float(self.cell_m),
            "candidate_spacing_m": None if given else float(self.candidate_spacing_m),
            "candidates_given": given, "raster": None if raster is None else str(raster),
        }  # fmt: skip

    def check(self, k: int | None, target_share: float | None, network: WalkNetwork | None) -> None:
        """Refuse a request whose numbers cannot be used, naming every field at once."""
        problems: list[Problem] = []
        if k is None and target_share is None:
            problems.append(Problem("请给出新增站点数 k 或目标覆盖比例", field="k"))
        if k is not None and (
            isinstance(k, bool) or not isinstance(k, int | np.integer) or int(k) < 1
        ):
            problems.append(Problem(f"新增站点数 k 必须是正整数，收到 {k!r}", field="k"))
        if target_share is not None and not (0.0 < float(target_share) <= 1.0):
            problems.append(Problem("目标覆盖比例必须在 0 到 1 之间", field="target_share"))
        if self.method not in ("auto", "greedy", "exact"):
            problems.append(Problem(f"未知的求解方法 {self.method!r}，可选 auto、greedy、exact"))
        for name in ("cell_m", "candidate_spacing_m"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                problems.append(Problem(f"{name} 必须为正数，收到 {value}", field=name))
        minutes, detour = self.minutes, self.detour
        if not (np.isfinite(minutes) and minutes > 0):
            problems.append(Problem(f"时间必须为正数（分钟），收到 {minutes}", field="minutes"))
        if network is None and not detour >= 1.0:
            problems.append(Problem(f"绕行系数必须不小于 1，收到 {detour}", field="detour"))
        if problems:
            raise ValidationError(problems, title=_TITLE)


@dataclass(frozen=True)
class _Demand:
    """The demand of a suggestion: points (``xy``, metres in ``metric``) with their weights
    (people with a raster, else km² of area), and the area of interest in ``metric``."""

    metric: Any
    aoi_m: shapely.Geometry
    xy: NDArray[np.float64]
    weights: NDArray[np.float64]
    objective: str
    unit: str


def _demand_points(
    aoi_geo: shapely.Geometry,
    network: WalkNetwork | None,
    raster: str | Path | None,
    cell_m: float,
) -> _Demand:
    """The demand grid of the area of interest, in the network's CRS (else a local one)."""
    if network is not None:
        metric = network.crs
    else:
        c = shapely.centroid(aoi_geo)
        metric = local_metric_crs(c.x, c.y)
    aoi_m = gpd.GeoSeries([aoi_geo], crs=STORAGE_CRS).to_crs(metric).iloc[0]
    if raster is None:
        xy, weights = _area_demand(aoi_m, cell_m)
        return _Demand(metric, aoi_m, xy, weights, "area", "km²")
    xy, weights = _raster_demand(raster, aoi_geo, metric, cell_m)
    if weights.sum() <= 0:
        raise ValidationError(
            Problem("统计范围内人口为 0（栅格未覆盖该范围？）", field="raster"), title=_TITLE
        )
    return _Demand(metric, aoi_m, xy, weights, "population", "人")


def _candidate_sites(
    candidates: gpd.GeoSeries | None,
    candidate_ids: Sequence[str] | None,
    aoi_m: shapely.Geometry,
    metric: Any,
    network: WalkNetwork | None,
    spacing: float,
    notes: list[str],
) -> tuple[NDArray[np.float64], list[str]]:
    """The candidate sites inside the area (metres) and their ids: the given points, or a grid
    (snapped to the network's nodes when there is one). What is left out goes to ``notes``."""
    if candidates is not None:
        cand_xy, cand_ids = _given_candidates(candidates, candidate_ids, aoi_m, metric, notes)
    else:
        cand_xy = _grid_candidates(aoi_m, spacing)
        if network is not None and len(cand_xy):
            nodes, dist = network.nearest_nodes(cand_xy)
            near = dist <= DEFAULT_MAX_SNAP_M
            if (~near).any():
                far = int((~near).sum())
                notes.append(f"{far} 个网格候选点距路网超过 {DEFAULT_MAX_SNAP_M:.0f} 米，已舍弃")
            cand_xy = network.xy[np.unique(nodes[near])]
        cand_ids = [f"C{i + 1}" for i in range(len(cand_xy))]
    if len(cand_xy) == 0:
        raise ValidationError(
            Problem("统计范围内没有候选站点", field="candidates"), title="无候选站点"
        )
    return cand_xy, cand_ids


def _given_candidates(
    candidates: gpd.GeoSeries,
    candidate_ids: Sequence[str] | None,
    aoi_m: shapely.Geometry,
    metric: Any,
    notes: list[str],
) -> tuple[NDArray[np.float64], list[str]]:
    """The given candidates inside the area (metres) with their ids."""
    cand = _points(candidates, "候选站点", "candidates")
    if candidate_ids is not None:
        ids = [str(s) for s in candidate_ids]
        if len(ids) != len(cand):
            raise ValidationError(
                Problem(f"候选站点编号有 {len(ids)} 个，候选站点有 {len(cand)} 个",
                        field="candidate_ids"),
                title=_TITLE,
            )  # fmt: skip
    else:
        ids = _ids(cand.index, "C")
    if len(cand):
        cand_m = shapely.get_coordinates(cand.to_crs(metric).to_numpy())
        shapely.prepare(aoi_m)
        inside = shapely.intersects_xy(aoi_m, cand_m[:, 0], cand_m[:, 1])
    else:
        cand_m, inside = np.zeros((0, 2)), np.zeros(0, dtype=bool)
    if (~inside).any():
        notes.append(f"{int((~inside).sum())} 个候选站点在统计范围外，已忽略")
    return cand_m[inside], [i for i, ok in zip(ids, inside, strict=True) if ok]


def _check_sites(all_ids: list[str], k: int | None, n_candidates: int) -> None:
    """Refuse ids shared by an existing site and a candidate, and more new sites than
    candidates."""
    if len(set(all_ids)) != len(all_ids):
        raise ValidationError(
            Problem("已有设施与候选站点的编号有重复", field="candidate_ids"), title=_TITLE
        )
    if k is not None and int(k) > n_candidates:
        raise ValidationError(
            Problem(f"新增站点数 k = {k} 大于候选站点数 {n_candidates}", field="k"), title=_TITLE
        )


def _coverage_matrix(
    network: WalkNetwork | None,
    demand: _Demand,
    existing: gpd.GeoSeries,
    cand_xy: NDArray[np.float64],
    budget: float,
    detour: float,
) -> tuple[Any, str]:
    """Which demand points each site (the existing ones, then the candidates) reaches within
    ``budget`` metres: along the network, or in a straight line shortened by the detour
    factor; with the method used."""
    exist_xy = (
        shapely.get_coordinates(existing.to_crs(demand.metric).to_numpy())
        if len(existing)
        else np.zeros((0, 2))
    )
    sites_xy = np.vstack([exist_xy, cand_xy])
    if network is not None:
        return _network_coverage(network, demand.xy, sites_xy, budget), "network"
    return coverage_within_distance(demand.xy, sites_xy, budget / detour), "fallback"


def _optimise(
    model: SiteCoverage,
    k: int | None,
    target_share: float | None,
    method: str,
    exact_time_limit: float | None,
) -> tuple[Any, str, int]:
    """Solve: the fewest sites for ``target_share`` (LSCP) without ``k``, else the best ``k``
    (MCLP), exactly or greedily (see :func:`suggest_sites`). Returns the result, the method
    used and the number of new sites."""
    sub, _ = model._reduced()
    moderate = sub.shape[0] * sub.shape[1] <= AUTO_EXACT_MAX_ENTRIES
    use_exact = method == "exact" or (
        method == "auto" and moderate and (k is None or int(k) <= AUTO_EXACT_MAX_K)
    )
    if k is None:
        assert target_share is not None
        res = model.lscp(float(target_share), exact=use_exact)
        return res, "lscp-exact" if use_exact else "lscp-greedy", len(res.selected)
    greedy = model.greedy_mclp(int(k))
    # "auto" skips the integer program when the LP bound already proves greedy optimal.
    if use_exact and not (method == "auto" and greedy.optimal):
        res = model.exact_mclp(int(k), time_limit=exact_time_limit)
        if greedy.covered > res.covered:  # a time limit can leave exact behind
            return greedy, "exact", int(k)
        return res, "exact", int(k)
    return greedy, "greedy", int(k)


def _bound_of(model: SiteCoverage, res: Any, used: str, k_eff: int) -> FeasibilityBound:
    """The feasibility bound for ``k_eff`` new sites, tightened by the answer found."""
    if k_eff <= 0:
        covered = model.existing_covered
        return FeasibilityBound(k=0, lower=covered, upper=covered, total=model.total)
    raw = model.feasibility_bound(k_eff)
    lower, upper = raw.lower, raw.upper
    if res.optimal and used in ("exact", "lscp-exact"):
        upper = min(upper, res.covered)
    lower = max(lower, res.covered)
    return FeasibilityBound(k=k_eff, lower=lower, upper=max(upper, lower), total=model.total)


def _result_frames(
    model: SiteCoverage,
    order: list[tuple[str, float]],
    matrix: Any,
    demand: _Demand,
    cand_xy: NDArray[np.float64],
    cand_ids: list[str],
    given: bool,
) -> dict[str, gpd.GeoDataFrame]:
    """The suggestion's tables in EPSG:4490: ``sites`` (ranked by what each adds),
    ``demand`` (covered before and after) and ``candidates``."""
    pos = {s: i for i, s in enumerate(model.site_ids)}
    n_existing = len(model.existing)
    picked = [pos[s] - n_existing for s, _ in order]
    added = np.array([g for _, g in order], dtype=np.float64)
    total, before = model.total, model.existing_covered
    pts = gpd.GeoSeries(shapely.points(cand_xy[picked]) if picked else [], crs=demand.metric)
    sites = gpd.GeoDataFrame(
        {
            "rank": np.arange(1, len(order) + 1),
            "site_id": [s if given else f"S{i + 1}" for i, (s, _) in enumerate(order)],
            "candidate_id": [s for s, _ in order],
            "added": added,
            "added_share": added / total if total > 0 else added * np.nan,
            "cumulative_share": (before + np.cumsum(added)) / total
            if total > 0
            else added * np.nan,
        },
        geometry=pts.to_crs(STORAGE_CRS).to_numpy(),
        crs=STORAGE_CRS,
    )
    a_csr = sp.csr_array(matrix)
    new_cols = np.asarray([pos[s] for s, _ in order], dtype=np.int64)
    cov_before = np.asarray(a_csr[:, np.arange(n_existing)].sum(axis=1)).ravel() > 0
    cov_after = cov_before | (np.asarray(a_csr[:, new_cols].sum(axis=1)).ravel() > 0)

    def storage(xy: NDArray[np.float64]) -> Any:
        return gpd.GeoSeries(shapely.points(xy), crs=demand.metric).to_crs(STORAGE_CRS).to_numpy()

    return {
        "sites": sites,
        "demand": gpd.GeoDataFrame(
            {"weight": demand.weights, "covered_before": cov_before, "covered_after": cov_after},
            geometry=storage(demand.xy), crs=STORAGE_CRS,
        ),
        "candidates": gpd.GeoDataFrame(
            {"candidate_id": cand_ids}, geometry=storage(cand_xy), crs=STORAGE_CRS
        ),
    }  # fmt: skip


def _bound_text(bound: FeasibilityBound, target_share: float | None) -> str:
    """The feasibility bound and the verdict on the target, in Chinese."""
    total = bound.total
    if not total > 0:
        return "统计范围内没有需求，无法计算覆盖率"
    upper, lower = bound.upper / total, bound.lower / total
    text = f"新增 {bound.k} 处最多可使覆盖率达到 {_fmt_share(upper)}"
    if upper - lower > 5e-4:
        text += f"（本方案达到 {_fmt_share(lower)}）"
    if target_share is None:
        return text
    verdict = bound.verdict(float(target_share))
    target = _fmt_share(float(target_share)).replace(".0 %", " %")
    if verdict == "reachable":
        return f"{text}，目标 {target} 可以达到"
    if verdict == "unreachable":
        return f"{text}，目标 {target} 无法达到"
    return f"{text}，目标 {target} 可能达到，需精确求解确认"

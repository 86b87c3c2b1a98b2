"""Walking isochrones from many facilities at once.

:func:`reach` runs **one** multi-source Dijkstra search
(:func:`scipy.sparse.csgraph.dijkstra` with ``min_only=True`` and a ``limit``) from every
facility's snapped position: each facility becomes a virtual node joined to both ends of the edge
it snapped to, weighted by the snap distance plus the distance along the edge, so a facility in
the middle of a long street starts in the middle of it.

:func:`isochrone_polygons` turns the reached network into a polygon: every edge whose two ends
together have budget left for its whole length is taken whole, other edges are cut part-way (the
remaining budget from each reached end), the facility's own edge is walked both ways from the
facility, and the pieces are buffered by a walk-access distance (how far people walk off the
street to a door) and merged. Blocks wider than twice the access distance stay holes; no convex
or concave hull is drawn.

:func:`fallback_circles` is the straight-line method for places without a network: a radius of
``speed × time ÷ detour``, labelled ``method="fallback"`` in the result.

Speeds (:data:`SPEEDS`, metres per second):

* ``"elderly"`` 0.8: older people; walking-speed studies of people over 65 find 0.8-1.0 m/s,
  frail people below 0.8, so 0.8 is the planning value for elderly-care service circles;
* ``"design"`` 1.0: the usual design value for pedestrian planning;
* ``"adult"`` 1.2: a typical adult;
* ``"ebike"`` 4.2: about 15 km/h, an electric bicycle in town (the legal limit in China is 25 km/h);
* ``"car"`` 8.3: about 30 km/h, an average urban driving speed including stops.

The e-bike and car presets still search the walking graph (one-way streets are not respected).

Results (:class:`IsochroneResult`) are GeoDataFrames in EPSG:4490 that record their inputs
(network snapshot id, speed, minutes, metric CRS, method, access distance) so they can be
reproduced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pyproj
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from geociv.coverage.network import SnapResult, WalkNetwork, local_metric_crs
from geociv.crs import STORAGE_CRS
from geociv.errors import Problem, ValidationError
from geociv.labels import METHOD_LABELS, SPEED_LABELS

__all__ = [
    "METHOD_LABELS",
    "SPEEDS",
    "SPEED_LABELS",
    "IsochroneResult",
    "Reach",
    "fallback_circles",
    "isochrone_polygons",
    "isochrones",
    "reach",
    "resolve_speed",
    "rings",
]

SPEEDS: dict[str, float] = {
    "elderly": 0.8,
    "design": 1.0,
    "adult": 1.2,
    "ebike": 4.2,
    "car": 8.3,
}
"""Speed presets in metres per second (see the module docstring for their sources)."""

DEFAULT_MAX_SNAP_M = 500.0
"""Facilities farther than this from the network are rejected by :func:`reach`."""


def resolve_speed(speed: float | str) -> float:
    """Return a speed in m/s from a number or a :data:`SPEEDS` preset name.

    Parameters
    ----------
    speed : float or str
        Metres per second, or a preset name.

    Returns
    -------
    float

    Raises
    ------
    ValidationError
        For an unknown preset or a speed that is not positive.

    Examples
    --------
    >>> resolve_speed("elderly"), resolve_speed(1.1)
    (0.8, 1.1)
    """
    if isinstance(speed, str):
        if speed not in SPEEDS:
            names = "、".join(SPEEDS)
            raise ValidationError(
                Problem(f"未知的速度预设 {speed!r}，可选：{names}", field="speed")
            )
        return SPEEDS[speed]
    value = float(speed)
    if not np.isfinite(value) or value <= 0:
        raise ValidationError(Problem(f"速度必须为正数（米/秒），收到 {speed}", field="speed"))
    return value


def _budget(minutes: float, speed: float) -> float:
    if not np.isfinite(minutes) or minutes <= 0:
        raise ValidationError(Problem(f"时间必须为正数（分钟），收到 {minutes}", field="minutes"))
    return float(minutes) * 60.0 * speed


@dataclass(frozen=True)
class Reach:
    """Network distances from the nearest facility.

    Attributes
    ----------
    distance_m : numpy.ndarray
        Walking distance (metres) from the nearest facility to every node; ``inf`` beyond
        ``limit_m``.
    source : numpy.ndarray
        Index of the nearest facility for every node, ``-1`` where unreached.
    snap : SnapResult
        How the facilities were snapped to the network.
    limit_m : float
        The search limit (the largest budget), metres.
    speed_mps : float
        Speed used to convert distances to times.
    """

    distance_m: NDArray[np.float64]
    source: NDArray[np.int64]
    snap: SnapResult
    limit_m: float
    speed_mps: float

    @property
    def minutes(self) -> NDArray[np.float64]:
        """Travel time from the nearest facility to every node, minutes."""
        return self.distance_m / self.speed_mps / 60.0

    @property
    def reached(self) -> NDArray[np.int64]:
        """Indices of the reached nodes."""
        return np.flatnonzero(np.isfinite(self.distance_m))


def reach(
    network: WalkNetwork,
    facility_points: gpd.GeoSeries | gpd.GeoDataFrame | NDArray[np.float64],
    minutes: float = 15.0,
    speed: float | str = 0.8,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> Reach:
    """Search the network from all facilities at once.

    Parameters
    ----------
    network : WalkNetwork
        The network.
    facility_points : GeoSeries, GeoDataFrame or array
        Facility points with a CRS, or an ``(n, 2)`` array in the network CRS.
    minutes : float
        Time budget; the search stops at ``minutes × 60 × speed`` metres.
    speed : float or str
        Metres per second or a :data:`SPEEDS` preset.
    max_snap_m : float
        Facilities farther than this from the nearest edge are an error.

    Returns
    -------
    Reach

    Raises
    ------
    ValidationError
        No facilities, a bad speed or time, or facilities too far from the network (every such
        facility is listed with its distance).
    """
    speed_mps = resolve_speed(speed)
    limit = _budget(minutes, speed_mps)
    snap = network.snap(facility_points)
    k = len(snap.edge)
    if k == 0:
        raise ValidationError("没有设施点", title="设施无效")
    far = np.flatnonzero(snap.distance_m > max_snap_m)
    if len(far):
        problems = [
            Problem(
                f"设施距路网 {snap.distance_m[i]:.0f} 米，超过 {max_snap_m:.0f} 米", row=int(i) + 1
            )
            for i in far[:20]
        ]
        raise ValidationError(problems, title="设施不在路网范围内")
    n = network.n_nodes
    fac = np.arange(n, n + k)
    eu, ev = network.u[snap.edge], network.v[snap.edge]
    w_u = snap.distance_m + snap.offset_m
    w_v = snap.distance_m + (network.length[snap.edge] - snap.offset_m)
    base = network.adjacency.tocoo()
    rows = np.concatenate([base.row, fac, fac])
    cols = np.concatenate([base.col, eu, ev])
    data = np.concatenate([base.data, w_u, w_v])
    graph = sp.csr_matrix((data, (rows, cols)), shape=(n + k, n + k))
    dist, _, sources = dijkstra(
        graph, directed=True, indices=fac, min_only=True, limit=limit, return_predecessors=True
    )
    source = np.where(sources[:n] >= 0, sources[:n] - n, -1).astype(np.int64)
    return Reach(dist[:n], source, snap, limit, speed_mps)


def _pieces(network: WalkNetwork, reached: Reach, budget_m: float) -> NDArray[np.object_]:
    """Return the reachable parts of the network within ``budget_m`` as line pieces."""
    length = network.length
    du = reached.distance_m[network.u]
    dv = reached.distance_m[network.v]
    ru = budget_m - du  # -inf where unreached
    rv = budget_m - dv
    starts: list[NDArray[np.float64]] = []
    ends: list[NDArray[np.float64]] = []
    edges: list[NDArray[np.int64]] = []

    whole = (ru >= 0) & (rv >= 0) & (ru + rv >= length)
    idx = np.flatnonzero(whole)
    starts.append(np.zeros(len(idx)))
    ends.append(length[idx])
    edges.append(idx)
    from_u = ~whole & (ru > 0)
    idx = np.flatnonzero(from_u)
    starts.append(np.zeros(len(idx)))
    ends.append(np.minimum(ru[idx], length[idx]))
    edges.append(idx)
    from_v = ~whole & (rv > 0)
    idx = np.flatnonzero(from_v)
    starts.append(np.maximum(length[idx] - rv[idx], 0.0))
    ends.append(length[idx])
    edges.append(idx)
    # The facilities' own edges, walked both ways from the snapped position.
    snap = reached.snap
    left = budget_m - snap.distance_m
    ok = np.flatnonzero(left > 0)
    e = snap.edge[ok]
    starts.append(np.maximum(snap.offset_m[ok] - left[ok], 0.0))
    ends.append(np.minimum(snap.offset_m[ok] + left[ok], length[e]))
    edges.append(e)

    s = np.concatenate(starts)
    t = np.concatenate(ends)
    eid = np.concatenate(edges)
    a = network.xy[network.u[eid]]
    d = network.xy[network.v[eid]] - a
    frac_s = (s / length[eid])[:, None]
    frac_t = (t / length[eid])[:, None]
    pts = np.stack([a + d * frac_s, a + d * frac_t], axis=1)
    lines = [shapely.linestrings(pts)]
    # The path from each facility to the network.
    near = np.flatnonzero((snap.distance_m <= budget_m) & (snap.distance_m > 0))
    if len(near):
        lines.append(shapely.linestrings(np.stack([snap.xy[near], snap.snapped_xy[near]], axis=1)))
    lines.append(shapely.points(snap.xy[snap.distance_m <= budget_m]))
    return np.concatenate(lines)


def isochrone_polygons(
    network: WalkNetwork, reached: Reach, budget_m: float, access_m: float = 50.0
) -> shapely.Geometry:
    """Return the area within ``budget_m`` of the nearest facility, in the network CRS.

    Parameters
    ----------
    network : WalkNetwork
        The network searched.
    reached : Reach
        The result of :func:`reach` (its ``limit_m`` must be at least ``budget_m``).
    budget_m : float
        Walking distance budget, metres.
    access_m : float
        Buffer around the reached streets: how far off the street a door may be.

    Returns
    -------
    shapely.Polygon or shapely.MultiPolygon
        Possibly with holes; empty if nothing is reached.

    Raises
    ------
    ValueError
        If ``budget_m`` exceeds the search limit.
    """
    if budget_m > reached.limit_m * (1 + 1e-9):
        raise ValueError(f"budget {budget_m} m exceeds the search limit {reached.limit_m} m")
    pieces = _pieces(network, reached, budget_m)
    if len(pieces) == 0:
        return shapely.Polygon()
    # Joining touching segments into longer lines first makes the buffers and their union cheaper.
    is_line = shapely.get_type_id(pieces) == 1
    merged = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(pieces[is_line])))
    parts = np.concatenate([merged, pieces[~is_line]])
    return shapely.union_all(shapely.buffer(parts, access_m, quad_segs=4))


@dataclass
class IsochroneResult:
    """Isochrones with the inputs needed to reproduce them.

    Attributes
    ----------
    polygons : GeoDataFrame
        One row per time (cumulative, so rings nest), columns ``minutes``, ``speed_mps``,
        ``method``, ``area_km2`` and geometry, in EPSG:4490.
    method : str
        ``"network"`` or ``"fallback"`` (straight line × detour factor).
    speed_mps : float
        Speed used.
    minutes : tuple of float
        The times.
    metric_crs : str
        The metric CRS the computation ran in (``"EPSG:4548"`` …).
    network_id : str or None
        Snapshot id of the network (``None`` for the fallback).
    network_source : str or None
        Where the network came from.
    access_m : float or None
        Walk-access buffer (network method).
    detour : float or None
        Detour factor (fallback method).
    snap_distance_m : numpy.ndarray
        Distance from each facility to the network (zeros for the fallback).
    """

    polygons: gpd.GeoDataFrame
    method: str
    speed_mps: float
    minutes: tuple[float, ...]
    metric_crs: str
    network_id: str | None = None
    network_source: str | None = None
    access_m: float | None = None
    detour: float | None = None
    snap_distance_m: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def inputs(self) -> dict[str, object]:
        """Return the inputs as a JSON-ready dict."""
        return {
            "method": self.method,
            "speed_mps": self.speed_mps,
            "minutes": list(self.minutes),
            "metric_crs": self.metric_crs,
            "crs": STORAGE_CRS,
            "network_id": self.network_id,
            "network_source": self.network_source,
            "access_m": self.access_m,
            "detour": self.detour,
            "n_facilities": len(self.snap_distance_m),
            "max_snap_distance_m": float(self.snap_distance_m.max(initial=0.0)),
        }


def _frame(
    geoms: list[shapely.Geometry], minutes: Sequence[float], speed: float, method: str, crs: object
) -> gpd.GeoDataFrame:
    metric = gpd.GeoSeries(geoms, crs=crs)
    return gpd.GeoDataFrame(
        {
            "minutes": list(minutes),
            "speed_mps": speed,
            "method": method,
            "area_km2": metric.area.to_numpy() / 1e6,
        },
        geometry=metric.to_crs(STORAGE_CRS).to_numpy(),
        crs=STORAGE_CRS,
    )


def _minutes(minutes: float | Sequence[float]) -> tuple[float, ...]:
    values = (minutes,) if np.isscalar(minutes) else tuple(minutes)  # type: ignore[arg-type]
    if not values:
        raise ValidationError(Problem("至少需要一个时间", field="minutes"))
    return tuple(sorted(float(m) for m in values))


def rings(
    network: WalkNetwork,
    facility_points: gpd.GeoSeries | gpd.GeoDataFrame | NDArray[np.float64],
    minutes: float | Sequence[float] = (5, 10, 15),
    speed: float | str = 0.8,
    access_m: float = 50.0,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> IsochroneResult:
    """Isochrones at several times from one search.

    Parameters
    ----------
    network : WalkNetwork
        The network.
    facility_points : GeoSeries, GeoDataFrame or array
        Facilities, as for :func:`reach`.
    minutes : float or sequence of float
        Times; each polygon covers everything within that time (rings nest).
    speed : float or str
        Metres per second or a :data:`SPEEDS` preset.
    access_m : float
        Walk-access buffer, metres.
    max_snap_m : float
        As for :func:`reach`.

    Returns
    -------
    IsochroneResult
        ``method="network"``.
    """
    times = _minutes(minutes)
    speed_mps = resolve_speed(speed)
    found = reach(network, facility_points, max(times), speed_mps, max_snap_m)
    geoms = [
        isochrone_polygons(network, found, min(_budget(m, speed_mps), found.limit_m), access_m)
        for m in times
    ]
    return IsochroneResult(
        _frame(geoms, times, speed_mps, "network", network.crs),
        method="network",
        speed_mps=speed_mps,
        minutes=times,
        metric_crs=f"EPSG:{network.crs.to_epsg()}",
        network_id=network.snapshot_id,
        network_source=network.source,
        access_m=access_m,
        snap_distance_m=found.snap.distance_m,
    )


def isochrones(
    network: WalkNetwork,
    facility_points: gpd.GeoSeries | gpd.GeoDataFrame | NDArray[np.float64],
    minutes: float = 15.0,
    speed: float | str = 0.8,
    access_m: float = 50.0,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> IsochroneResult:
    """Isochrone at one time: :func:`rings` with a single time."""
    return rings(network, facility_points, (minutes,), speed, access_m, max_snap_m)


def fallback_circles(
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    minutes: float | Sequence[float] = 15.0,
    speed: float | str = 0.8,
    detour: float = 1.3,
) -> IsochroneResult:
    """Straight-line circles of radius ``speed × time ÷ detour``, for places without a network.

    Parameters
    ----------
    points : GeoSeries or GeoDataFrame
        Facility points with a CRS.
    minutes : float or sequence of float
        Time(s).
    speed : float or str
        Metres per second or a :data:`SPEEDS` preset.
    detour : float
        Ratio of network to straight-line distance (1.3 is typical of city street grids).

    Returns
    -------
    IsochroneResult
        ``method="fallback"``; overlapping circles are merged.

    Raises
    ------
    ValidationError
        For missing CRS, no points, or a detour factor below 1.
    """
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if geoms.crs is None:
        raise ValidationError(Problem("设施点未声明坐标系", field="crs"), title="设施无效")
    if len(geoms) == 0:
        raise ValidationError("没有设施点", title="设施无效")
    if not detour >= 1.0:
        raise ValidationError(Problem(f"绕行系数必须不小于 1，收到 {detour}", field="detour"))
    times = _minutes(minutes)
    speed_mps = resolve_speed(speed)
    lonlat = geoms.to_crs(STORAGE_CRS)
    min_lon, min_lat, max_lon, max_lat = lonlat.total_bounds
    crs: pyproj.CRS = local_metric_crs((min_lon + max_lon) / 2.0, (min_lat + max_lat) / 2.0)
    metric = geoms.to_crs(crs).to_numpy()
    out = [shapely.union_all(shapely.buffer(metric, _budget(m, speed_mps) / detour)) for m in times]
    return IsochroneResult(
        _frame(out, times, speed_mps, "fallback", crs),
        method="fallback",
        speed_mps=speed_mps,
        minutes=times,
        metric_crs=f"EPSG:{crs.to_epsg()}",
        detour=detour,
        snap_distance_m=np.zeros(len(geoms)),
    )

"""Catch facility files in GCJ-02 or BD-09 declared as WGS84/CGCS2000, using the road network.

Chinese web maps publish deliberately offset coordinates: GCJ-02 (Amap/AutoNavi, Tencent) and
BD-09 (Baidu) sit 100–700 m (BD-09 often more than 1 km) away from the WGS84/CGCS2000 positions
that OpenStreetMap roads use. A file of such coordinates declared as WGS84 imports without any
error, every point lying in China, but every facility is moved by the same few hundred metres:
a silent wrong number in every service-circle result.

Facilities sit at street addresses, so when their coordinates are right they lie close to the
walkable network; when they are offset, they lie wherever the shift puts them. The check
:func:`check_datum_offset` snaps the points three times: as declared, and as if the file were
really GCJ-02 or BD-09 (each converted to WGS84 with :func:`geociv.crs.convert_lonlat`), and
compares the snap distances.

Decision rule (constants below, measured on the OSM extract of Beijing Haidian around China
Agricultural University with points placed 5–15 m beside real ways):

* only points whose position under *every* hypothesis lies within the network's extent (the
  bounding box of its nodes) are compared, so that no hypothesis is judged by points moved off
  the mapped area; with fewer than :data:`MIN_POINTS` such points the verdict is
  ``"undecided"``;
* an alternative system is suspected when its median snap distance is at most
  :data:`MAX_RATIO` times the declared one, the declared median is at least
  :data:`MIN_DECLARED_M`, and it brings at least :data:`MIN_CLOSER_SHARE` of the points closer
  to a road (a paired test, robust where a dense network puts any point near some road);
* otherwise a declared median above :data:`FAR_M` is ``"undecided"`` (the points are far from
  the roads, but no offset explains it), and anything else is ``"ok"``.

Measured on that data with 200 samples of 30 points each (5–15 m beside the ways; medians over
the samples' medians in brackets):

========================  ===============  ===============  ===============  ==================
file really in            as declared      read as GCJ-02   read as BD-09    verdicts
========================  ===============  ===============  ===============  ==================
WGS84 (declared right)    5–12 m (8)       6–87 m (27)      80–447 m (222)   ok 200
GCJ-02 declared WGS84     14–102 m (35)    5–10 m (7)       26–283 m (121)   suspect_gcj02 197,
                                                                             ok 3
BD-09 declared WGS84      67–448 m (240)   11–117 m (32)    4–11 m (7)       suspect_bd09 200
========================  ===============  ===============  ===============  ==================

GCJ-02 brought 61–100 % of the points of GCJ-02 files closer to a road, but at most 55 % of
correctly declared ones. With points 20–60 m from their way (facilities set back from the
street) no correct file was suspected either, but only 121 of 200 GCJ-02 files were caught and
7 of 200 BD-09 files were named GCJ-02: in a network as dense as a campus, any point lies within
some tens of metres of a footway, so a miss is possible, a false alarm is not expected. The
often-quoted "declared median over 60 m" alone would miss most GCJ-02 files in such a network,
hence the lower floor together with the paired test.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import LineString
>>> streets = [LineString([(116.30, y), (116.34, y)]) for y in (39.990, 39.9925, 39.996,
...            39.9975, 40.001, 40.0045, 40.006, 40.009)]
>>> streets += [LineString([(x, 39.99), (x, 40.009)]) for x in (116.301, 116.306, 116.3085,
...             116.314, 116.318, 116.3195, 116.325, 116.331, 116.3335, 116.339)]
>>> net = WalkNetwork.from_lines(gpd.GeoSeries(streets, crs="EPSG:4326"))
>>> lon = [116.3035 + 0.0026 * i for i in range(12)]
>>> lat = [(39.9925, 39.9975, 40.0045)[i % 3] + 0.00007 for i in range(12)]
>>> check_datum_offset(net, gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4490)).verdict
'ok'
>>> glon, glat = convert_lonlat(lon, lat, "WGS84", "GCJ02")
>>> shifted = gpd.GeoSeries(gpd.points_from_xy(glon, glat), crs=4490)
>>> found = check_datum_offset(net, shifted)
>>> found.verdict
'suspect_gcj02'
>>> "请以 GCJ02 重新导入" in found.message
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from geociv.coverage.network import WalkNetwork
from geociv.crs import STORAGE_CRS, convert_lonlat, in_china
from geociv.errors import Problem, ValidationError

__all__ = [
    "FAR_M",
    "MAX_RATIO",
    "MIN_CLOSER_SHARE",
    "MIN_DECLARED_M",
    "MIN_POINTS",
    "OffsetCheck",
    "Verdict",
    "check_datum_offset",
]

Verdict = Literal["ok", "suspect_gcj02", "suspect_bd09", "undecided"]

MIN_POINTS = 5
"""Fewest points within the network's extent for a verdict other than ``"undecided"``."""

MAX_RATIO = 0.5
"""An alternative system's median snap distance must be at most this share of the declared."""

MIN_DECLARED_M = 15.0
"""Below this declared median snap distance (metres) the points fit the roads: never suspect."""

MIN_CLOSER_SHARE = 0.6
"""Share of the points an alternative system must bring closer to a road to be suspected."""

FAR_M = 60.0
"""Declared median (metres) above which an unexplained distance is ``"undecided"``, not ok."""

#: The alternative systems tried: (name for convert_lonlat, name in messages, whose maps, verdict).
_ALTERNATIVES: tuple[tuple[str, str, str, Verdict], ...] = (
    ("GCJ02", "GCJ-02", "高德/腾讯", "suspect_gcj02"),
    ("BD09", "BD-09", "百度", "suspect_bd09"),
)


@dataclass(frozen=True)
class OffsetCheck:
    """What comparing facility points with a road network says about their coordinate system.

    Attributes
    ----------
    verdict : {"ok", "suspect_gcj02", "suspect_bd09", "undecided"}
        ``ok``: the declared system fits the roads; ``suspect_*``: the points fit the roads far
        better read as GCJ-02 or BD-09; ``undecided``: too few points within the network's
        extent, or the points are far from the roads for another reason.
    message : str
        The finding in Chinese, with the medians and what to do.
    declared : str
        Name of the declared system, as used in the message.
    n_points : int
        Points given (with a location).
    n_used : int
        Points compared: in China and within the network's extent under every hypothesis.
    declared_median_m, gcj02_median_m, bd09_median_m : float or None
        Median snap distance (metres, 0.1 m) of the used points as declared, and converted
        from GCJ-02 or BD-09; ``None`` when no point was used.
    gcj02_closer_share, bd09_closer_share : float or None
        Share (0..1) of the used points that lie closer to a road when read as GCJ-02 or BD-09
        than as declared; ``None`` when no point was used.
    """

    verdict: Verdict
    message: str
    declared: str
    n_points: int
    n_used: int
    declared_median_m: float | None
    gcj02_median_m: float | None
    bd09_median_m: float | None
    gcj02_closer_share: float | None
    bd09_closer_share: float | None

    @property
    def suspect(self) -> bool:
        """Whether the file looks like GCJ-02 or BD-09 coordinates declared as another system."""
        return self.verdict in ("suspect_gcj02", "suspect_bd09")

    def to_dict(self) -> dict[str, Any]:
        """The check as a JSON-ready dict."""
        return asdict(self)


def _lonlat(points: gpd.GeoSeries | gpd.GeoDataFrame) -> NDArray[np.float64]:
    """The points as an ``(n, 2)`` array of EPSG:4490 longitude/latitude (empty ones dropped)."""
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if geoms.crs is None:
        raise ValidationError(Problem("设施点未声明坐标系", field="crs"), title="设施无效")
    geoms = geoms[~(geoms.isna() | geoms.is_empty)]
    if len(geoms) == 0:
        return np.zeros((0, 2))
    if not (geoms.crs.is_geographic and geoms.crs.to_epsg() == 4490):
        geoms = geoms.to_crs(STORAGE_CRS)
    return shapely.get_coordinates(shapely.point_on_surface(geoms.to_numpy()))


def _fmt_m(value: float) -> str:
    return f"{value:.0f} 米"


def check_datum_offset(
    network: WalkNetwork,
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    declared: str = "WGS84",
) -> OffsetCheck:
    """Tell whether points declared as WGS84/CGCS2000 are really GCJ-02 or BD-09 coordinates.

    The points are snapped to ``network`` as declared and as they would lie if their
    coordinates were GCJ-02 or BD-09 (converted to WGS84 with
    :func:`geociv.crs.convert_lonlat`); the median snap distances and the share of points each
    conversion brings closer to a road decide (see the module notes for the rule and the
    measurements behind it).

    Parameters
    ----------
    network : WalkNetwork
        A walking network in WGS84/CGCS2000 positions (OSM data is).
    points : GeoSeries or GeoDataFrame
        Facility locations with a CRS, as declared (normally EPSG:4490 or EPSG:4326); other
        CRSs are brought to EPSG:4490 first. Points outside China are not compared (the
        offsets only exist in China).
    declared : str
        Name of the declared system, for the message (e.g. WGS84, CGCS2000).

    Returns
    -------
    OffsetCheck
        The verdict, a Chinese message and the figures behind them.

    Raises
    ------
    ValidationError
        If ``points`` has no CRS.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> net = WalkNetwork.from_lines(
    ...     gpd.GeoSeries([LineString([(116.30, 39.99), (116.31, 39.99)])], crs="EPSG:4490"))
    >>> check = check_datum_offset(net, gpd.GeoSeries.from_xy([116.305] * 3, [39.99] * 3,
    ...                                                     crs="EPSG:4490"))
    >>> check.verdict, check.n_used
    ('undecided', 0)
    """
    lonlat = _lonlat(points)
    n_points = len(lonlat)
    lonlat = lonlat[np.asarray(in_china(lonlat[:, 0], lonlat[:, 1]), dtype=bool)]
    projected = [_projected(network, h) for h in _hypotheses(lonlat)]
    low, high = network.xy.min(axis=0), network.xy.max(axis=0)
    inside = np.ones(len(lonlat), dtype=bool)
    for xy in projected:
        inside &= np.all((xy >= low) & (xy <= high), axis=1)
    n_used = int(inside.sum())
    if n_used == 0:
        return OffsetCheck(
            "undecided",
            f"没有设施位于路网范围内（共 {n_points} 处设施），无法据路网检查坐标系是否有误",
            declared, n_points, 0, None, None, None, None, None,
        )  # fmt: skip
    snaps = _Snaps([network.snap(xy[inside]).distance_m for xy in projected])
    if n_used < MIN_POINTS:
        return OffsetCheck(
            "undecided",
            f"只有 {n_used} 处设施位于路网范围内（共 {n_points} 处），少于 {MIN_POINTS} 处，"
            "无法据路网判断坐标系是否有误",
            declared, n_points, n_used, **snaps.figures(),
        )  # fmt: skip
    return _judged(snaps, declared, n_points)


def _hypotheses(lonlat: NDArray[np.float64]) -> list[NDArray[np.float64]]:
    """The points as declared, then as if they were each alternative system (in WGS84)."""
    hypotheses = [lonlat]
    for system, *_ in _ALTERNATIVES:
        if len(lonlat):
            lon, lat = convert_lonlat(lonlat[:, 0], lonlat[:, 1], system, "WGS84")
            hypotheses.append(np.column_stack([np.atleast_1d(lon), np.atleast_1d(lat)]))
        else:
            hypotheses.append(lonlat)
    return hypotheses


def _projected(network: WalkNetwork, lonlat: NDArray[np.float64]) -> NDArray[np.float64]:
    """Longitude/latitude points in the network's projected CRS."""
    if not len(lonlat):
        return np.zeros((0, 2))
    return network.project(gpd.GeoSeries.from_xy(lonlat[:, 0], lonlat[:, 1], crs=STORAGE_CRS))


@dataclass(frozen=True)
class _Snaps:
    """Snap distances (metres) of the used points as declared, as GCJ-02 and as BD-09."""

    distances: list[NDArray[np.float64]]

    @property
    def n_used(self) -> int:
        return len(self.distances[0])

    @property
    def medians(self) -> list[float]:
        return [float(np.median(d)) for d in self.distances]

    @property
    def closer_counts(self) -> list[int]:
        """Points each alternative brings closer to a road than the declared system."""
        return [int(np.count_nonzero(d < self.distances[0])) for d in self.distances[1:]]

    @property
    def shares(self) -> list[float]:
        return [count / self.n_used for count in self.closer_counts]

    def figures(self) -> dict[str, Any]:
        """The rounded figures of :class:`OffsetCheck`."""
        medians, shares = self.medians, self.shares
        return {
            "declared_median_m": round(medians[0], 1),
            "gcj02_median_m": round(medians[1], 1),
            "bd09_median_m": round(medians[2], 1),
            "gcj02_closer_share": round(shares[0], 3),
            "bd09_closer_share": round(shares[1], 3),
        }

    def best(self) -> int:
        """The alternative nearer to the roads for more of the points (paired), then by median.

        1 is GCJ-02, 2 is BD-09 (their index in :attr:`distances`).
        """
        gcj_nearer = int(np.count_nonzero(self.distances[1] < self.distances[2]))
        bd_nearer = int(np.count_nonzero(self.distances[2] < self.distances[1]))
        if gcj_nearer != bd_nearer:
            return 1 if gcj_nearer > bd_nearer else 2
        return 1 + int(np.argmin(self.medians[1:]))


def _judged(snaps: _Snaps, declared: str, n_points: int) -> OffsetCheck:
    """The verdict and message of enough compared points (the rule of the module notes)."""
    medians, n_used = snaps.medians, snaps.n_used
    best = snaps.best()
    system, name, maps, verdict = _ALTERNATIVES[best - 1]
    other_name = _ALTERNATIVES[2 - best][1]
    figures = snaps.figures()
    base = f"按所声明的 {declared}，设施到道路的中位距离为 {_fmt_m(medians[0])}"
    if (
        medians[0] >= MIN_DECLARED_M
        and medians[best] <= MAX_RATIO * medians[0]
        and snaps.shares[best - 1] >= MIN_CLOSER_SHARE
    ):
        message = (
            f"{base}；若按 {name}（{maps}）坐标换算则为 {_fmt_m(medians[best])}"
            f"（按 {other_name} 为 {_fmt_m(medians[3 - best])}；{n_used} 处设施中 "
            f"{snaps.closer_counts[best - 1]} 处因此更靠近道路）："
            f"文件很可能是 {name} 坐标，请以 {system} 重新导入"
        )
        return OffsetCheck(verdict, message, declared, n_points, n_used, **figures)
    others = "、".join(
        f"{alt[1]} 为 {_fmt_m(m)}" for alt, m in zip(_ALTERNATIVES, medians[1:], strict=True)
    )
    if medians[0] > FAR_M:
        message = (
            f"{base}，设施普遍远离道路；按 {others}，也不更近，不像是坐标系所致："
            "请检查路网是否覆盖设施所在区域，并核对设施坐标"
        )
        return OffsetCheck("undecided", message, declared, n_points, n_used, **figures)
    message = (
        f"{base}（若按 {others}）：未发现 GCJ-02/BD-09 坐标偏移的迹象（比较了 {n_used} 处设施）"
    )
    return OffsetCheck("ok", message, declared, n_points, n_used, **figures)

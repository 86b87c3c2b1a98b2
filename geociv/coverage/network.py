"""Walkable road networks as sparse graphs.

A :class:`WalkNetwork` is built from an OSM PBF (:meth:`WalkNetwork.from_pbf`, walkable ways
chosen by their OSM tags through pyrosm's ``"walking"`` filter: ``highway`` values people may
walk on, excluding ways tagged ``foot=no``, ``access=private`` and motorways) or from a layer of
road lines (:meth:`WalkNetwork.from_lines`, :meth:`WalkNetwork.from_file`).

Every line is split into its straight segments; the segment end points, merged when they coincide
to the millimetre, are the nodes. Coordinates are projected to the CGCS2000 3-degree Gauss-Krüger
zone of the network's centre (metres); networks outside the zones (test data from abroad) use the
UTM zone of their centre. The adjacency is an undirected :class:`scipy.sparse.csr_matrix` of
segment lengths, since walking ignores one-way streets.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import LineString
>>> roads = gpd.GeoDataFrame(
...     geometry=[LineString([(116.30, 39.99), (116.31, 39.99), (116.31, 40.00)])],
...     crs="EPSG:4490",
... )
>>> net = WalkNetwork.from_lines(roads)
>>> net.n_nodes, net.n_edges, net.crs.to_epsg()
(3, 2, 4548)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import scipy.sparse as sp
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import connected_components

from geociv.crs import GK_LON_RANGE, STORAGE_CRS, gk_zone_epsg
from geociv.errors import InputFileError, Problem, ValidationError

__all__ = ["ComponentSummary", "SnapResult", "WalkNetwork", "local_metric_crs"]

# Segment end points closer than this (metres) are the same node.
_MERGE_M = 0.001


def local_metric_crs(lon: float, lat: float) -> pyproj.CRS:
    """Return the metric CRS used for a network centred at ``(lon, lat)``.

    Parameters
    ----------
    lon, lat : float
        Centre of the network in degrees.

    Returns
    -------
    pyproj.CRS
        The CGCS2000 Gauss-Krüger zone inside China's zones, else the WGS84 UTM zone.

    Examples
    --------
    >>> local_metric_crs(114.0, 33.0).to_epsg()
    4547
    >>> local_metric_crs(24.94, 60.17).to_epsg()
    32635
    """
    if GK_LON_RANGE[0] <= lon <= GK_LON_RANGE[1]:
        return pyproj.CRS.from_epsg(gk_zone_epsg(lon))
    zone = int((lon + 180.0) // 6.0) + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


@dataclass(frozen=True)
class ComponentSummary:
    """Connectivity of a network.

    Attributes
    ----------
    count : int
        Number of connected components.
    largest_length_share : float
        Share (0..1) of the total edge length in the largest component (by length).
    labels : numpy.ndarray
        Component label of every node.
    """

    count: int
    largest_length_share: float
    labels: NDArray[np.int32]


@dataclass(frozen=True)
class SnapResult:
    """Points snapped to the nearest edge of a network.

    Attributes
    ----------
    edge : numpy.ndarray
        Index of the nearest edge for every point.
    offset_m : numpy.ndarray
        Distance along that edge from its ``u`` end, metres.
    distance_m : numpy.ndarray
        Straight-line distance from the point to the edge, metres.
    node : numpy.ndarray
        The nearer end node of that edge (along the edge).
    xy : numpy.ndarray
        The points themselves in the network CRS, shape ``(n, 2)``.
    snapped_xy : numpy.ndarray
        The snapped positions on the edges, shape ``(n, 2)``.
    """

    edge: NDArray[np.int64]
    offset_m: NDArray[np.float64]
    distance_m: NDArray[np.float64]
    node: NDArray[np.int64]
    xy: NDArray[np.float64]
    snapped_xy: NDArray[np.float64]


class WalkNetwork:
    """An undirected walking network in a metric CRS.

    Use the ``from_*`` constructors; the initializer takes prepared arrays.

    Parameters
    ----------
    xy : numpy.ndarray
        Node coordinates in ``crs``, shape ``(n_nodes, 2)``.
    u, v : numpy.ndarray
        End nodes of every edge (straight segment).
    crs : pyproj.CRS
        The metric CRS of ``xy``.
    source : str
        Where the network came from (file name or description), kept for results.
    """

    def __init__(
        self,
        xy: NDArray[np.float64],
        u: NDArray[np.int64],
        v: NDArray[np.int64],
        crs: pyproj.CRS,
        source: str = "",
    ) -> None:
        self.xy = np.asarray(xy, dtype=np.float64)
        self.u = np.asarray(u, dtype=np.int64)
        self.v = np.asarray(v, dtype=np.int64)
        self.crs = crs
        self.source = source
        self.length = np.hypot(*(self.xy[self.v] - self.xy[self.u]).T)
        n = len(self.xy)
        # Parallel segments between the same nodes: csr_matrix would sum them; keep the shortest.
        a, b = np.minimum(self.u, self.v), np.maximum(self.u, self.v)
        order = np.lexsort((self.length, b, a))
        keep = np.ones(len(order), dtype=bool)
        keep[1:] = (a[order][1:] != a[order][:-1]) | (b[order][1:] != b[order][:-1])
        sel = order[keep]
        rows = np.concatenate([a[sel], b[sel]])
        cols = np.concatenate([b[sel], a[sel]])
        # Zero-length segments cannot occur (their ends are merged), so no explicit zeros here.
        data = np.concatenate([self.length[sel], self.length[sel]])
        self.adjacency: sp.csr_matrix = sp.csr_matrix((data, (rows, cols)), shape=(n, n))
        self._segments: NDArray[np.object_] | None = None
        self._tree: shapely.STRtree | None = None
        digest = hashlib.sha256()
        digest.update(self.crs.to_wkt().encode())
        digest.update(np.round(self.xy, 3).tobytes())
        digest.update(self.u.tobytes())
        digest.update(self.v.tobytes())
        self.snapshot_id = digest.hexdigest()[:16]

    # ----------------------------------------------------------------------------------------
    # Constructors
    # ----------------------------------------------------------------------------------------

    @classmethod
    def from_lines(cls, roads: gpd.GeoDataFrame | gpd.GeoSeries, source: str = "") -> WalkNetwork:
        """Build a network from road lines.

        Parameters
        ----------
        roads : GeoDataFrame or GeoSeries
            LineString/MultiLineString geometries with a CRS; other geometries are an error.
        source : str
            Description kept with the network.

        Returns
        -------
        WalkNetwork

        Raises
        ------
        ValidationError
            If there is no CRS, no line, or a geometry is not a line.
        """
        geoms = roads.geometry if isinstance(roads, gpd.GeoDataFrame) else roads
        if geoms.crs is None:
            raise ValidationError(Problem("道路图层未声明坐标系", field="crs"), title="道路网无效")
        geoms = geoms[~(geoms.isna() | geoms.is_empty)]
        kinds = geoms.geom_type
        bad = np.flatnonzero(~kinds.isin(["LineString", "MultiLineString"]).to_numpy())
        if len(bad):
            problems = [
                Problem(f"几何类型为 {kinds.iloc[i]}，应为线", row=int(i) + 1) for i in bad[:20]
            ]
            raise ValidationError(problems, title="道路网无效")
        if len(geoms) == 0:
            raise ValidationError("没有可步行的道路（线要素为空）", title="道路网无效")
        lonlat = geoms.to_crs(STORAGE_CRS)
        min_lon, min_lat, max_lon, max_lat = lonlat.total_bounds
        crs = local_metric_crs((min_lon + max_lon) / 2.0, (min_lat + max_lat) / 2.0)
        projected = geoms.to_crs(crs)
        parts = shapely.get_parts(projected.to_numpy())
        coords, index = shapely.get_coordinates(parts, return_index=True)
        same_line = index[1:] == index[:-1]
        starts = np.flatnonzero(same_line)
        keys = np.round(coords / _MERGE_M).astype(np.int64)
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        xy = np.zeros((len(uniq), 2))
        xy[inverse] = coords
        u, v = inverse[starts], inverse[starts + 1]
        proper = u != v
        u, v = u[proper], v[proper]
        if len(u) == 0:
            raise ValidationError("没有可步行的道路（线段长度均为零）", title="道路网无效")
        used, compact = np.unique(np.concatenate([u, v]), return_inverse=True)
        return cls(xy[used], compact[: len(u)], compact[len(u) :], crs, source=source)

    @classmethod
    def from_file(cls, path: str | Path, layer: str | None = None) -> WalkNetwork:
        """Build a network from a GeoPackage, GeoJSON or Shapefile of road lines.

        Parameters
        ----------
        path : str or Path
            The file.
        layer : str, optional
            Layer name for multi-layer files.

        Returns
        -------
        WalkNetwork

        Raises
        ------
        InputFileError
            If the file cannot be read.
        ValidationError
            As for :meth:`from_lines`.
        """
        from geociv import uploads

        path = Path(path)
        if not path.is_file():
            raise InputFileError(f"找不到文件 {path}", title="道路文件无法读取")
        with uploads.private_copy(path, kinds=uploads.NETWORK_KINDS) as upload:
            if upload.kind.code == "osm_pbf":
                return cls._from_pbf_copy(upload.path, path.name)
            roads = uploads.read_upload_vector(upload, layer=layer)
        return cls.from_lines(roads, source=path.name)

    @classmethod
    def from_pbf(cls, path: str | Path) -> WalkNetwork:
        """Build a network from the walkable ways of an OSM PBF.

        Parameters
        ----------
        path : str or Path
            An ``.osm.pbf`` file.

        Returns
        -------
        WalkNetwork

        Raises
        ------
        InputFileError
            If the file is missing or is not a readable PBF.
        ValidationError
            If it holds no walkable ways.
        """
        from geociv import uploads

        path = Path(path)
        if not path.is_file():
            raise InputFileError(f"找不到文件 {path}", title="OSM 文件无法读取")
        with uploads.private_copy(path, kinds=(uploads.sniff_module.OSM_PBF,)) as upload:
            return cls._from_pbf_copy(upload.path, path.name)

    @classmethod
    def _from_pbf_copy(cls, path: Path, name: str) -> WalkNetwork:
        """Build from a checked private copy of a PBF (``name`` for messages)."""
        import pyrosm

        try:
            edges = pyrosm.OSM(str(path)).get_network(network_type="walking")
        except Exception as exc:  # pyrosm raises plain errors for broken files
            raise InputFileError(
                f"{name} 不是可读取的 OSM PBF 文件：{exc}", title="OSM 文件无法读取"
            ) from exc
        if edges is None or len(edges) == 0:
            raise ValidationError(
                f"{name} 中没有可步行的道路（highway 标签的步行道路）", title="道路网无效"
            )
        return cls.from_lines(edges[["geometry"]], source=name)

    # ----------------------------------------------------------------------------------------
    # Properties and queries
    # ----------------------------------------------------------------------------------------

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.xy)

    @property
    def n_edges(self) -> int:
        """Number of edges (straight segments)."""
        return len(self.u)

    @property
    def segments(self) -> NDArray[np.object_]:
        """The edges as shapely LineStrings in the network CRS."""
        if self._segments is None:
            pts = np.stack([self.xy[self.u], self.xy[self.v]], axis=1)
            self._segments = shapely.linestrings(pts)
        return self._segments

    def edges(self) -> gpd.GeoDataFrame:
        """Return the edges as a GeoDataFrame (``u``, ``v``, ``length_m``) in the network CRS."""
        return gpd.GeoDataFrame(
            {"u": self.u, "v": self.v, "length_m": self.length},
            geometry=self.segments,
            crs=self.crs,
        )

    def components(self) -> ComponentSummary:
        """Summarise connectivity: component count and the largest component's length share.

        Returns
        -------
        ComponentSummary
        """
        count, labels = connected_components(self.adjacency, directed=False)
        per = np.bincount(labels[self.u], weights=self.length, minlength=count)
        total = float(per.sum())
        share = float(per.max() / total) if total > 0 else 0.0
        return ComponentSummary(int(count), share, labels.astype(np.int32))

    def project(self, points: gpd.GeoSeries | gpd.GeoDataFrame | ArrayLike) -> NDArray[np.float64]:
        """Return point coordinates in the network CRS.

        Parameters
        ----------
        points : GeoSeries, GeoDataFrame or array_like
            Points with a CRS, or an ``(n, 2)`` array already in the network CRS.

        Returns
        -------
        numpy.ndarray
            Shape ``(n, 2)``.
        """
        if isinstance(points, gpd.GeoDataFrame | gpd.GeoSeries):
            geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
            if geoms.crs is None:
                raise ValidationError(Problem("设施点未声明坐标系", field="crs"), title="设施无效")
            return shapely.get_coordinates(geoms.to_crs(self.crs).to_numpy())
        arr = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        return arr

    def snap(self, points: gpd.GeoSeries | gpd.GeoDataFrame | ArrayLike) -> SnapResult:
        """Snap points to the nearest edge, with the position along it.

        Parameters
        ----------
        points : GeoSeries, GeoDataFrame or array_like
            As for :meth:`project`.

        Returns
        -------
        SnapResult
            Nearest edge, offset along it, snap distance and nearer end node per point.
        """
        xy = self.project(points)
        if self._tree is None:
            self._tree = shapely.STRtree(self.segments)
        pts = shapely.points(xy)
        (which, edge), dist = self._tree.query_nearest(pts, all_matches=False, return_distance=True)
        order = np.argsort(which, kind="stable")
        edge = edge[order]
        dist = dist[order]
        a, b = self.xy[self.u[edge]], self.xy[self.v[edge]]
        d = b - a
        length = self.length[edge]
        t = np.clip(np.einsum("ij,ij->i", xy - a, d) / length**2, 0.0, 1.0)
        snapped = a + d * t[:, None]
        node = np.where(t <= 0.5, self.u[edge], self.v[edge])
        return SnapResult(edge, t * length, dist, node, xy, snapped)

    def nearest_nodes(
        self, points: gpd.GeoSeries | gpd.GeoDataFrame | ArrayLike
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Return the nearest node of every point and the distance to it (KD-tree).

        Parameters
        ----------
        points : GeoSeries, GeoDataFrame or array_like
            As for :meth:`project`.

        Returns
        -------
        nodes : numpy.ndarray
            Node index per point.
        distance_m : numpy.ndarray
            Straight-line distance to that node, metres.
        """
        from scipy.spatial import cKDTree

        dist, idx = cKDTree(self.xy).query(self.project(points))
        return idx.astype(np.int64), dist

    def __repr__(self) -> str:
        return (
            f"WalkNetwork({self.n_nodes} nodes, {self.n_edges} edges, "
            f"EPSG:{self.crs.to_epsg()}, {self.source or 'lines'})"
        )

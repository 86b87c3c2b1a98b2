"""Coverage inputs kept with the store: road networks, population rasters and zone sets.

:class:`CoverageInputs` imports them once, keeps them in the store (audited) and hands them back
by id, so a coverage run or the planner page picks ``RN0001`` rather than a file path:

* a road network from an OSM PBF (walkable ways by their OSM tags) or a roads layer
  (GeoPackage, Shapefile, GeoJSON; when it has a ``highway`` column the same tag rules are
  applied), with its connectivity, the snap distance of every facility and a check that the
  facilities are not GCJ-02/BD-09 coordinates stored as WGS84
  (:meth:`CoverageInputs.offset_check`);
* a population-count GeoTIFF, with its CRS, extent and total;
* zone sets: areas of interest (such as the main urban area), subdistricts, communities.

Examples
--------
>>> import tempfile, pathlib
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> from geociv.store import open_store
>>> inputs = CoverageInputs(open_store(pathlib.Path(tempfile.mkdtemp()) / "s.gpkg"))
>>> frame = gpd.GeoDataFrame({"name": ["甲"]}, geometry=[box(114.0, 33.0, 114.01, 33.01)],
...                          crs="EPSG:4490")
>>> zone_set = inputs.add_zones_frame(frame, name="示例", kind="aoi", actor="doc")
>>> zone_set.set_id, inputs.zones("ZS0001")["name"].tolist()
('ZS0001', ['甲'])
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from geociv import uploads
from geociv.authority import require
from geociv.coverage.isochrones import DEFAULT_MAX_SNAP_M
from geociv.coverage.network import WalkNetwork
from geociv.coverage.offsets import OffsetCheck, check_datum_offset
from geociv.crs import STORAGE_CRS, area_km2, to_storage_crs
from geociv.divisions import polygon_problem, read_vector
from geociv.errors import InputFileError, Problem, StoreError, UnknownRecordError, ValidationError
from geociv.labels import FACILITY_TYPE_LABELS, ZONE_SET_KIND_LABELS
from geociv.store import (
    ZONE_SET_KINDS,
    CoverageZone,
    Facility,
    PopulationRaster,
    RoadNetwork,
    Store,
    ZoneSet,
)
from geociv.uploads import fence
from geociv.uploads.limits import MAX_RASTER_CELLS

__all__ = ["CoverageInputs", "NetworkReport", "raster_cache_dir"]

#: Column names read as the zone name / code, compared without case (first match wins).
NAME_COLUMNS = ("name", "名称", "名字", "zone_name", "mc", "xzmc", "ename", "name_zh")
CODE_COLUMNS = ("code", "adcode", "代码", "编码", "gb", "gbcode", "xzqdm", "zone_code")

# Networks rebuilt from the store, by snapshot id (a few are kept; they are immutable).
_NETWORKS: OrderedDict[str, WalkNetwork] = OrderedDict()
_NETWORKS_KEPT = 4
_LOCK = threading.Lock()


def raster_cache_dir() -> Path:
    """Where :meth:`CoverageInputs.raster_path` writes rasters taken out of the store."""
    return Path(tempfile.gettempdir()) / "geociv-rasters"


@dataclass(frozen=True)
class NetworkReport:
    """What importing (or looking at) a stored road network found.

    Attributes
    ----------
    network_id, name, source, snapshot_id : str
        The stored network.
    crs : int
        EPSG code of its metric CRS.
    n_nodes, n_edges : int
        Graph size (edges are straight segments).
    length_km : float
        Total length of the edges.
    components : int
        Number of connected components.
    largest_share : float
        Share (0..1) of the length in the largest component.
    excluded_ways : int
        Rows of a roads layer left out by the walking tag rules (0 for a PBF, where pyrosm
        applies them).
    summary_text : str
        The findings in one Chinese paragraph.
    """

    network_id: str
    name: str
    source: str
    snapshot_id: str
    crs: int
    n_nodes: int
    n_edges: int
    length_km: float
    components: int
    largest_share: float
    excluded_ways: int
    summary_text: str

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        return asdict(self)


def _summary_text(record: RoadNetwork, excluded: int = 0) -> str:
    comp = record.components
    count = int(comp.get("count", 0))
    share = float(comp.get("largest_length_share", 0.0))
    text = (
        f"路网 {record.network_id}（{record.name}）：节点 {record.n_nodes:,} 个，"
        f"路段 {record.n_edges:,} 条，总长 {record.length_km:.1f} km；"
        f"连通分量 {count} 个，最大分量占总长 {share * 100:.1f} %"
    )
    if excluded:
        text += f"；按步行规则排除道路 {excluded} 条（如高速公路、自行车道、禁止步行的道路）"
    if count > 1:
        text += (
            f"。另有 {count - 1} 个与主路网不连通的分量，位于其上的设施服务范围会偏小，"
            "请检查设施吸附结果"
        )
    return text + "。"


def _report(record: RoadNetwork, excluded: int = 0) -> NetworkReport:
    comp = record.components
    return NetworkReport(
        network_id=record.network_id,
        name=record.name,
        source=record.source,
        snapshot_id=record.snapshot_id,
        crs=record.crs,
        n_nodes=record.n_nodes,
        n_edges=record.n_edges,
        length_km=record.length_km,
        components=int(comp.get("count", 0)),
        largest_share=float(comp.get("largest_length_share", 0.0)),
        excluded_ways=excluded,
        summary_text=_summary_text(record, excluded),
    )


_HSTORE = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


def _walkable(roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The rows of a roads layer that pyrosm's walking rules keep, judged by the ``highway``
    column and the other tags (columns of their own, or GDAL's ``other_tags`` hstore)."""
    from pyrosm.config.osm_filters import walking_filter

    rules = walking_filter()
    columns = [c for c in roads.columns if c != roads.geometry.name and c != "other_tags"]
    keep = np.ones(len(roads), dtype=bool)
    records = roads[columns].to_dict("records")
    extra = roads["other_tags"].tolist() if "other_tags" in roads.columns else [None] * len(roads)
    for i, (row, other) in enumerate(zip(records, extra, strict=True)):
        tags = {str(k): str(v) for k, v in row.items() if isinstance(v, str) and v}
        if isinstance(other, str):
            tags.update(_HSTORE.findall(other))
        if "highway" not in tags:
            keep[i] = False
            continue
        for key, rule in rules.items():
            if key == "access":
                if rule.closes(tags):
                    keep[i] = False
                    break
            elif key in tags and tags[key] in rule:
                keep[i] = False
                break
    return roads[keep]


def _graph_blob(network: WalkNetwork) -> bytes:
    epsg = network.crs.to_epsg()
    if epsg is None:
        raise ValidationError(Problem("路网坐标系没有 EPSG 代码，无法保存", field="crs"))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, xy=network.xy, u=network.u, v=network.v, crs=np.array([epsg]))
    return buffer.getvalue()


def _display_lines(network: WalkNetwork) -> list[tuple[BaseGeometry, float]]:
    """The edges merged into longer lines where they meet end to end, in EPSG:4490, with their
    lengths in metres (measured in the network's CRS)."""
    merged = shapely.line_merge(shapely.multilinestrings(network.segments))
    parts = shapely.get_parts(merged)
    lengths = shapely.length(parts)
    to_lonlat = pyproj.Transformer.from_crs(network.crs, STORAGE_CRS, always_xy=True)

    def move(coords: np.ndarray) -> np.ndarray:
        x, y = to_lonlat.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    lines = shapely.transform(parts, move)
    return [(line, float(length)) for line, length in zip(lines, lengths, strict=True)]


@dataclass(frozen=True)
class _RasterFigures:
    """What a population GeoTIFF holds: valid cells, people, CRS, lon/lat bounds."""

    cells: int
    total: float
    crs: str
    bounds: tuple[float, float, float, float]

    @classmethod
    def read(cls, data: bytes, name: str, title: str) -> _RasterFigures:
        """Read the GeoTIFF ``data`` (named ``name`` in messages) in the GDAL fence.

        Raises :class:`InputFileError` titled ``title`` for anything but a north-up GeoTIFF
        with a CRS within :data:`MAX_RASTER_CELLS`.
        """
        import rasterio
        import rasterio.warp
        from rasterio.errors import RasterioIOError

        try:
            with (
                fence.rasterio_env(),
                rasterio.MemoryFile(data) as memory,
                memory.open(driver="GTiff") as src,
            ):
                _check_grid(src, name, title)
                values = np.ma.filled(src.read(1, masked=True).astype(np.float64), np.nan)
                valid = np.isfinite(values)
                bounds = rasterio.warp.transform_bounds(
                    src.crs, "EPSG:4326", *src.bounds, densify_pts=21
                )
                return cls(int(valid.sum()), float(values[valid].sum()), src.crs.to_string(),
                           bounds)  # fmt: skip
        except RasterioIOError as exc:
            raise InputFileError(
                Problem(f"{name} 不是可读取的 GeoTIFF（{exc}）"), title=title
            ) from exc


def _check_grid(src: Any, name: str, title: str) -> None:
    """Refuse an open raster that is not a GeoTIFF, has no CRS, is rotated or too large."""
    if src.driver != "GTiff":
        raise InputFileError(Problem(f"{name} 是 {src.driver} 格式，应为 GeoTIFF"), title=title)
    if src.crs is None:
        raise InputFileError(
            Problem(f"{name} 没有坐标系（CRS 缺失），无法与服务范围叠加；请先为其指定坐标系"),
            title=title,
        )
    t = src.transform
    if t.b != 0 or t.d != 0:
        raise InputFileError(Problem(f"{name} 带旋转，不支持"), title=title)
    if src.width * src.height > MAX_RASTER_CELLS:
        raise InputFileError(
            Problem(f"{name} 有 {src.width * src.height:,} 个像元，超过上限 "
                    f"{MAX_RASTER_CELLS:,}（像元数上限）", field="file"),
            title=title,
        )  # fmt: skip


def _unknown(what: str, key: str, field: str) -> UnknownRecordError:
    return UnknownRecordError(Problem(f"{what} {key} 不存在", field=field), title=f"{what}不存在")


class CoverageInputs:
    """Road networks, population rasters and zone sets kept with the store.

    Parameters
    ----------
    store : Store
        Where the inputs are kept; every write is audited under the given ``actor``.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- road networks ---------------------------------------------------------------------
    def import_network(
        self,
        path: str | Path,
        *,
        name: str,
        actor: str,
        layer: str | None = None,
        progress: Callable[[float, str], None] | None = None,
    ) -> NetworkReport:
        """Build a walking network from a file and keep it in the store.

        Parameters
        ----------
        path : str or Path
            An OSM PBF (walkable ways chosen by their OSM tags) or a roads layer (GeoPackage,
            Shapefile, GeoJSON) with a CRS; a ``highway`` column, when present, is judged by
            the same walking rules.
        name : str
            Name shown in lists (e.g. 驿城区步行路网).
        actor : str
            Who imports (audited).
        layer : str, optional
            Layer of a multi-layer file.
        progress : callable, optional
            Called as ``progress(fraction, message)`` at each stage.

        Returns
        -------
        NetworkReport

        Raises
        ------
        InputFileError
            The file is missing or unreadable.
        ValidationError
            No walkable ways, no CRS, or geometries that are not lines (each row named).
        """
        require(self.store, actor, ("planner",), what="networks.add")  # before any parsing
        path = Path(path)
        step = progress or (lambda fraction, message: None)
        if not path.is_file():
            raise InputFileError(Problem(f"找不到文件 {path}"), title="路网文件无法读取")
        excluded = 0
        step(0.05, f"读取 {path.name}，按步行标签筛选道路")
        if uploads.kind_of(path, kinds=uploads.NETWORK_KINDS) == uploads.sniff_module.OSM_PBF:
            network = WalkNetwork.from_pbf(path)
        else:
            roads = read_vector(path, layer=layer)
            if "highway" in roads.columns:
                walkable = _walkable(roads)
                excluded = len(roads) - len(walkable)
                if len(walkable) == 0:
                    raise ValidationError(
                        f"{path.name} 中没有可步行的道路（{len(roads)} 条道路均按 highway 等"
                        "标签排除）",
                        title="道路网无效",
                    )
                roads = walkable
            network = WalkNetwork.from_lines(roads, source=path.name)
        step(0.7, f"保存路网（{network.n_edges:,} 条路段）并检查连通性")
        return self.add_network(network, name=name, actor=actor, excluded_ways=excluded)

    def add_network(
        self, network: WalkNetwork, *, name: str, actor: str, excluded_ways: int = 0
    ) -> NetworkReport:
        """Keep an already built :class:`WalkNetwork` in the store; see :meth:`import_network`."""
        if not name.strip():
            raise ValidationError(Problem("路网名称不能为空", field="name"), title="路网无效")
        comp = network.components()
        record = RoadNetwork(
            network_id="",
            name=name.strip(),
            snapshot_id=network.snapshot_id,
            crs=int(network.crs.to_epsg() or 0),
            n_nodes=network.n_nodes,
            n_edges=network.n_edges,
            length_km=round(float(network.length.sum()) / 1000.0, 6),
            components={"count": comp.count, "largest_length_share": comp.largest_length_share},
            source=network.source,
            graph=_graph_blob(network),
        )
        require(self.store, actor, ("planner",), what="networks.add")
        stored = self.store.add_road_network(record, _display_lines(network), actor=actor)
        with _LOCK:
            _NETWORKS[network.snapshot_id] = network
            while len(_NETWORKS) > _NETWORKS_KEPT:
                _NETWORKS.popitem(last=False)
        return _report(stored, excluded_ways)

    def _network_record(self, network_id: str, *, with_graph: bool = False) -> RoadNetwork:
        record = self.store.get_road_network(network_id, with_graph=with_graph)
        if record is None:
            raise _unknown("路网", network_id, "network_id")
        return record

    def network_report(self, network_id: str) -> NetworkReport:
        """The report of a stored network (as :meth:`import_network` gave it)."""
        return _report(self._network_record(network_id))

    def load_network(self, network_id: str) -> WalkNetwork:
        """Rebuild a stored network (kept in memory per snapshot after the first time).

        Raises
        ------
        ValidationError
            Unknown ``network_id``.
        StoreError
            The stored graph does not rebuild to its snapshot id.
        """
        record = self._network_record(network_id)
        with _LOCK:
            cached = _NETWORKS.get(record.snapshot_id)
            if cached is not None:
                _NETWORKS.move_to_end(record.snapshot_id)
                return cached
        full = self._network_record(network_id, with_graph=True)
        with np.load(io.BytesIO(full.graph or b""), allow_pickle=False) as arrays:
            xy, u, v, epsg = arrays["xy"], arrays["u"], arrays["v"], int(arrays["crs"][0])
        network = WalkNetwork(xy, u, v, pyproj.CRS.from_epsg(epsg), source=full.source)
        if network.snapshot_id != full.snapshot_id:
            raise StoreError(
                f"路网 {network_id} 的数据与其快照编号 {full.snapshot_id} 不符"
                "（存储文件可能已损坏）"
            )
        with _LOCK:
            _NETWORKS[network.snapshot_id] = network
            while len(_NETWORKS) > _NETWORKS_KEPT:
                _NETWORKS.popitem(last=False)
        return network

    def networks(self, *, include_retired: bool = False) -> list[RoadNetwork]:
        """Stored road networks (without their graphs)."""
        return self.store.road_networks(include_retired=include_retired)

    def network_edges(
        self, network_id: str, bbox: tuple[float, float, float, float] | None = None
    ) -> gpd.GeoDataFrame:
        """The display lines of a stored network (``length_m``, EPSG:4490); with ``bbox``
        (minx, miny, maxx, maxy), only those whose extent meets it, found by the store's
        spatial index."""
        self._network_record(network_id)
        pairs = self.store.road_edges(network_id, bbox=bbox)
        return gpd.GeoDataFrame(
            {"network_id": network_id, "length_m": [p[1] for p in pairs]},
            geometry=[p[0] for p in pairs],
            crs=STORAGE_CRS,
        )

    def snap_report(
        self,
        network_id: str,
        facilities: gpd.GeoDataFrame | Sequence[Facility] | None = None,
        *,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
    ) -> pd.DataFrame:
        """How far every facility lies from the network and on which part of it.

        Parameters
        ----------
        network_id : str
            A stored network.
        facilities : GeoDataFrame or sequence of Facility, optional
            Facilities (a frame with ``facility_id``, ``name``, ``type`` and a CRS, as
            :meth:`~geociv.coverage.facilities.Facilities.frame` gives, or store records).
            Default: every facility in the store that is not retired.
        max_snap_m : float
            Farther than this is flagged ``far`` (the isochrones refuse such facilities).

        Returns
        -------
        pandas.DataFrame
            One row per facility with a location: ``facility_id``, ``name``, ``type``,
            ``snap_distance_m``, ``component`` (label), ``component_length_km``,
            ``in_largest`` (on the largest connected component) and ``far``.
        """
        network = self.load_network(network_id)
        if facilities is None:
            facilities = self.store.query_facilities()
        if isinstance(facilities, gpd.GeoDataFrame):
            if facilities.crs is None:
                raise ValidationError(Problem("设施点未声明坐标系", field="crs"), title="设施无效")
            frame = facilities[~(facilities.geometry.isna() | facilities.geometry.is_empty)]
            ids = frame.get("facility_id", pd.Series([""] * len(frame), index=frame.index))
            names = frame.get("name", pd.Series([""] * len(frame), index=frame.index))
            types = frame.get("type", pd.Series([""] * len(frame), index=frame.index))
            points = frame.geometry
        else:
            located = [f for f in facilities if f.location is not None]
            ids = pd.Series([f.facility_id for f in located])
            names = pd.Series([f.name for f in located])
            types = pd.Series([f.type for f in located])
            points = gpd.GeoSeries([f.location for f in located], crs=STORAGE_CRS)
        columns = ["facility_id", "name", "type", "type_label", "snap_distance_m", "component",
                   "component_length_km", "in_largest", "far"]  # fmt: skip
        if len(points) == 0:
            return pd.DataFrame(columns=columns)
        snap = network.snap(points)
        comp = network.components()
        per = np.bincount(comp.labels[network.u], weights=network.length, minlength=comp.count)
        label = comp.labels[network.u[snap.edge]].astype(int)
        largest = int(np.argmax(per))
        return pd.DataFrame(
            {
                "facility_id": list(ids),
                "name": list(names),
                "type": list(types),
                "type_label": [FACILITY_TYPE_LABELS.get(t, t) for t in types],
                "snap_distance_m": np.round(snap.distance_m, 1),
                "component": label,
                "component_length_km": np.round(per[label] / 1000.0, 3),
                "in_largest": label == largest,
                "far": snap.distance_m > max_snap_m,
            },
            columns=columns,
        )

    def offset_check(
        self,
        network_id: str,
        facilities: gpd.GeoDataFrame | gpd.GeoSeries | Sequence[Facility] | None = None,
    ) -> OffsetCheck:
        """Whether the facilities look like GCJ-02/BD-09 coordinates stored as WGS84/CGCS2000.

        Compares their snap distances to a stored network as stored and as converted from
        GCJ-02 or BD-09, see :func:`~geociv.coverage.offsets.check_datum_offset`.

        Parameters
        ----------
        network_id : str
            A stored network.
        facilities : GeoDataFrame, GeoSeries or sequence of Facility, optional
            Facilities with a CRS (as for :meth:`snap_report`). Default: every facility in the
            store that is not retired.

        Returns
        -------
        OffsetCheck

        Raises
        ------
        ValidationError
            Unknown ``network_id``, or facilities without a CRS.
        """
        network = self.load_network(network_id)
        if facilities is None:
            facilities = self.store.query_facilities()
        if isinstance(facilities, gpd.GeoDataFrame | gpd.GeoSeries):
            points = facilities.geometry if isinstance(facilities, gpd.GeoDataFrame) else facilities
        else:
            located = [f.location for f in facilities if f.location is not None]
            points = gpd.GeoSeries(located, crs=STORAGE_CRS)
        return check_datum_offset(network, points, declared="CGCS2000")

    # -- population rasters ----------------------------------------------------------------
    def import_raster(self, path: str | Path, *, label: str, actor: str) -> PopulationRaster:
        """Keep a population-count GeoTIFF in the store.

        Parameters
        ----------
        path : str or Path
            A GeoTIFF of people per cell with a CRS (any CRS: coverage polygons are brought to
            the raster's, never the raster resampled); nodata cells count as 0.
        label : str
            What it counts, e.g. 60岁以上人口.
        actor : str
            Who imports (audited).

        Returns
        -------
        PopulationRaster
            The stored record (without its bytes): CRS, lon/lat bounds, total, valid cells.

        Raises
        ------
        InputFileError
            Missing file, not a readable GeoTIFF, no CRS, rotated grid.
        ValidationError
            No valid cell, or an empty label.
        """
        require(self.store, actor, ("planner",), what="rasters.add")  # before any parsing
        path = Path(path)
        if not label.strip():
            raise ValidationError(Problem("请说明栅格统计的人口（如 60岁以上人口）", field="label"))
        if not path.is_file():
            raise InputFileError(Problem(f"找不到文件 {path}"), title="人口栅格无法读取")
        data = uploads.raster_bytes(path)
        title = f"人口栅格 {path.name} 无法使用"
        if not data:
            raise InputFileError(Problem("文件为空", field="file"), title=title)
        figures = _RasterFigures.read(data, path.name, title)
        if figures.cells == 0:
            raise ValidationError(
                Problem(f"{path.name} 没有有效像元（全部为无数据值）"), title=title
            )
        record = PopulationRaster(
            raster_id="",
            label=label.strip(),
            filename=path.name,
            crs=figures.crs,
            bounds=tuple(round(float(b), 7) for b in figures.bounds),  # type: ignore[arg-type]
            total=figures.total,
            cells=figures.cells,
            data=data,
        )
        return self.store.add_population_raster(record, actor=actor)

    def _raster_record(self, raster_id: str) -> PopulationRaster:
        record = self.store.get_population_raster(raster_id, with_data=False)
        if record is None:
            raise _unknown("人口栅格", raster_id, "raster_id")
        return record

    def raster(self, raster_id: str) -> PopulationRaster:
        """The stored raster's record (without its bytes)."""
        return self._raster_record(raster_id)

    def raster_path(self, raster_id: str) -> Path:
        """A file holding the stored raster, for :func:`~geociv.coverage.population
        .covered_population` and friends.

        Written once into :func:`raster_cache_dir`, named by id and content hash, so a
        changed store never serves stale bytes.
        """
        record = self._raster_record(raster_id)
        target = raster_cache_dir() / f"{raster_id}-{record.sha256[:16]}.tif"
        if target.is_file() and target.stat().st_size == record.size:
            return target
        full = self.store.get_population_raster(raster_id, with_data=True)
        data = full.data if full is not None else None
        if not data or hashlib.sha256(data).hexdigest() != record.sha256:
            raise StoreError(f"人口栅格 {raster_id} 的数据与其校验值不符（存储文件可能已损坏）")
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=target.parent, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return target

    def rasters(self, *, include_retired: bool = False) -> list[PopulationRaster]:
        """Stored population rasters (without their bytes)."""
        return self.store.population_rasters(include_retired=include_retired)

    # -- zone sets -------------------------------------------------------------------------
    def import_zones(
        self,
        path: str | Path,
        *,
        name: str,
        kind: str,
        actor: str,
        name_field: str | None = None,
        code_field: str | None = None,
        sample: bool = False,
        declared_crs: str | None = None,
    ) -> ZoneSet:
        """Keep a file of zones (GeoJSON, GeoPackage, Shapefile) as a zone set.

        Parameters
        ----------
        path : str or Path
            Polygons with a declared CRS (or ``declared_crs``).
        name : str
            Name of the set, e.g. 金水区街道.
        kind : str
            ``aoi``, ``subdistrict``, ``community`` or ``other``.
        actor : str
            Who imports (audited).
        name_field, code_field : str, optional
            Columns of the zone name and code; by default recognised among
            :data:`NAME_COLUMNS` and :data:`CODE_COLUMNS` (the code is optional).
        sample : bool
            The zones are made-up sample data (示例).
        declared_crs : str, optional
            The CRS of a file that declares none (as for :func:`~geociv.crs.to_storage_crs`).

        Returns
        -------
        ZoneSet

        Raises
        ------
        InputFileError
            The file cannot be read.
        CRSError, CoordinateRangeError
            No CRS, or coordinates that do not fit it.
        ValidationError
            Every bad row (geometry not a polygon, invalid, blank name, repeated code) at once;
            nothing is stored then.
        """
        require(self.store, actor, ("planner",), what="zones.add")  # before any parsing
        path = Path(path)
        frame = read_vector(path)
        return self.add_zones_frame(
            frame, name=name, kind=kind, actor=actor, name_field=name_field,
            code_field=code_field, sample=sample, source=path.name, declared_crs=declared_crs,
        )  # fmt: skip

    def add_zones_frame(
        self,
        frame: gpd.GeoDataFrame,
        *,
        name: str,
        kind: str,
        actor: str,
        name_field: str | None = None,
        code_field: str | None = None,
        sample: bool = False,
        source: str = "",
        declared_crs: str | None = None,
    ) -> ZoneSet:
        """Keep a GeoDataFrame of zones as a zone set; see :meth:`import_zones`."""
        problems: list[Problem] = []
        if kind not in ZONE_SET_KINDS:
            labels = "、".join(f"{k}（{v}）" for k, v in ZONE_SET_KIND_LABELS.items())
            problems.append(Problem(f"类型 {kind!r} 无效，应为 {labels}", field="kind"))
        if not name.strip():
            problems.append(Problem("统计单元集名称不能为空", field="name"))
        if len(frame) == 0:
            problems.append(Problem("文件中没有任何要素"))
        names_col = self._column(frame, name_field, NAME_COLUMNS, "name_field", problems)
        codes_col = self._column(frame, code_field, CODE_COLUMNS, "code_field", problems)
        if names_col is None and name_field is None:
            columns = "、".join(str(c) for c in frame.columns if c != frame.geometry.name)
            problems.append(
                Problem(f"找不到名称列，请指定名称字段（现有列：{columns or '无'}）", field="name")
            )
        if problems:
            raise ValidationError(problems, title="统计单元无效")
        stored_frame = to_storage_crs(frame, declared_crs)
        seen: dict[str, int] = {}
        zones: list[tuple[str, str, BaseGeometry]] = []
        for i, geom in enumerate(stored_frame.geometry.to_numpy()):
            row = i + 1
            problem = polygon_problem(geom)
            if problem:
                problems.append(Problem(problem, row=row, field="geometry"))
            label = _text(frame[names_col].iloc[i]) if names_col else ""
            if not label:
                problems.append(Problem("名称为空", row=row, field=names_col))
            code = _text(frame[codes_col].iloc[i]) if codes_col else ""
            if code and code in seen:
                problems.append(Problem(f"代码 {code} 与第 {seen[code]} 行重复", row=row,
                                        field=codes_col))  # fmt: skip
            elif code:
                seen[code] = row
            zones.append((code, label, geom))
        if problems:
            raise ValidationError(problems, title="统计单元无效")
        shapes = [g if isinstance(g, MultiPolygon) else MultiPolygon([g]) for _, _, g in zones]
        areas = area_km2(shapes, STORAGE_CRS)
        records = [
            CoverageZone(code=code, name=label, area_km2=round(float(a), 6), geometry=shape)
            for (code, label, _), shape, a in zip(zones, shapes, areas, strict=True)
        ]
        require(self.store, actor, ("planner",), what="zones.add")
        zone_set = ZoneSet(set_id="", name=name.strip(), kind=kind, source=source, sample=sample)
        return self.store.add_zone_set(zone_set, records, actor=actor)

    @staticmethod
    def _column(
        frame: gpd.GeoDataFrame,
        given: str | None,
        candidates: Sequence[str],
        option: str,
        problems: list[Problem],
    ) -> str | None:
        columns = [str(c) for c in frame.columns if c != frame.geometry.name]
        if given is not None:
            if given not in columns:
                problems.append(
                    Problem(f"文件中没有列 {given!r}（现有列：{'、'.join(columns)}）", field=option)
                )
                return None
            return given
        lowered = {c.lower(): c for c in columns}
        for candidate in candidates:
            if candidate.lower() in lowered:
                return lowered[candidate.lower()]
        return None

    def _zone_set(self, set_id: str) -> ZoneSet:
        found = self.store.get_zone_set(set_id)
        if found is None:
            raise _unknown("统计单元集", set_id, "set_id")
        return found

    def zone_set(self, set_id: str) -> ZoneSet:
        """The record of a stored zone set."""
        return self._zone_set(set_id)

    def zones(self, set_id: str) -> gpd.GeoDataFrame:
        """The zones of a set: ``code``, ``name``, ``area_km2`` and the geometry (EPSG:4490).

        Raises
        ------
        ValidationError
            Unknown ``set_id``.
        """
        self._zone_set(set_id)
        zones = self.store.coverage_zones(set_id)
        return gpd.GeoDataFrame(
            {
                "code": [z.code for z in zones],
                "name": [z.name for z in zones],
                "area_km2": [z.area_km2 for z in zones],
            },
            geometry=[z.geometry for z in zones],
            crs=STORAGE_CRS,
        )

    def zone_sets(self, kind: str | None = None, *, include_retired: bool = False) -> list[ZoneSet]:
        """Stored zone sets, optionally of one kind."""
        if kind is not None and kind not in ZONE_SET_KINDS:
            raise ValidationError(Problem(f"类型 {kind!r} 无效", field="kind"))
        return self.store.zone_sets(kind, include_retired=include_retired)

    def retire(self, key: str, *, actor: str, reason: str = "") -> None:
        """Retire a stored network, raster or zone set (kept, no longer listed). Planners
        only (these inputs carry no division)."""
        require(self.store, actor, ("planner",), what="coverage_inputs.retire")
        try:
            self.store.retire_coverage_input(key, actor=actor, reason=reason)
        except StoreError as exc:
            raise ValidationError(Problem(str(exc), field="id"), title="无法停用") from exc


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()

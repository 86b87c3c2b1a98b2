"""SQL of the coverage-input tables (road networks with their display lines, population rasters,
zone sets with their zones) for the GeoPackage store. Mixed into
:class:`~geociv.store.sqlite.SQLiteStore`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geociv.errors import DuplicateError, StoreError
from geociv.store import _gpkg
from geociv.store._rows import from_row
from geociv.store._sqlite_ids import new_id
from geociv.store._sqlite_schema import STORAGE_SRS_ID
from geociv.store.records import (
    ZONE_SET_KINDS,
    CoverageZone,
    PopulationRaster,
    RoadNetwork,
    ZoneSet,
    now_utc,
)
from geociv.store.shared import ID_FORMATS

_NETWORK_COLUMNS = (
    "network_id, name, source, snapshot_id, crs, n_nodes, n_edges, length_km, components, "
    "size, sha256, retired, created_by, created_at"
)
_RASTER_COLUMNS = (
    "raster_id, label, filename, crs, bounds, total, cells, size, sha256, retired, "
    "created_by, created_at"
)
_SET_COLUMNS = "set_id, name, kind, source, n_zones, sample, retired, created_by, created_at"

#: Id prefix of each kind of input and the table and key column it lives in.
_INPUT_TABLES = {
    "RN": ("road_networks", "network_id", "路网"),
    "PR": ("population_rasters", "raster_id", "人口栅格"),
    "ZS": ("zone_sets", "set_id", "统计单元集"),
}


def _blob(row: sqlite3.Row, column: str) -> bytes | None:
    """The bytes of a BLOB column, ``None`` when it was not selected (``sqlite3.Row``'s ``in``
    looks at values, hence the explicit column list)."""
    columns = set(row.keys())
    return bytes(row[column]) if column in columns and row[column] is not None else None


def _network(row: sqlite3.Row) -> RoadNetwork:
    graph = _blob(row, "graph")
    return from_row(
        RoadNetwork,
        row,
        components=json.loads(row["components"]),
        graph=graph,
        retired=bool(row["retired"]),
    )


def _raster(row: sqlite3.Row) -> PopulationRaster:
    data = _blob(row, "data")
    return from_row(
        PopulationRaster,
        row,
        bounds=tuple(json.loads(row["bounds"])),
        data=data,
        retired=bool(row["retired"]),
    )


def _zone_set(row: sqlite3.Row) -> ZoneSet:
    return from_row(ZoneSet, row, sample=bool(row["sample"]), retired=bool(row["retired"]))


def _digest(geoms: Sequence[BaseGeometry]) -> str:
    """SHA-1 over the WKB of the geometries (for the audit trail)."""
    h = hashlib.sha1()
    for g in geoms:
        h.update(shapely.to_wkb(g, byte_order=1, flavor="iso"))
    return h.hexdigest()


def _multipolygon(geometry: BaseGeometry | None) -> MultiPolygon:
    if isinstance(geometry, MultiPolygon):
        return geometry
    if isinstance(geometry, Polygon):
        return MultiPolygon([geometry])
    kind = "空" if geometry is None else geometry.geom_type
    raise StoreError(f"统计单元的几何必须是面，而不是 {kind}")


def _new_id(conn: sqlite3.Connection, given: str, table: str) -> str:
    if given:
        column = ID_FORMATS[table].column
        if conn.execute(f"SELECT 1 FROM {table} WHERE {column} = ?", (given,)).fetchone():
            raise DuplicateError(f"{given} 已存在")
        return given
    return new_id(conn, table)


class InputsSQL:
    """Road-network, population-raster and zone-set methods of the SQLite store (expects
    ``_conn``, ``_write`` and ``_audit``)."""

    _conn: Any
    _write: Any
    _audit: Any

    # -- road networks ---------------------------------------------------------------------
    def add_road_network(
        self, network: RoadNetwork, edges: Sequence[tuple[BaseGeometry, float]], *, actor: str
    ) -> RoadNetwork:
        if not network.graph:
            raise StoreError("路网缺少图数据（graph）")
        graph = bytes(network.graph)
        sha = hashlib.sha256(graph).hexdigest()
        with self._write() as conn:
            network_id = _new_id(conn, network.network_id, "road_networks")
            conn.execute(
                "INSERT INTO road_networks (network_id, name, source, snapshot_id, crs, n_nodes, "
                "n_edges, length_km, components, graph, size, sha256, retired, created_by, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
                (
                    network_id,
                    network.name,
                    network.source,
                    network.snapshot_id,
                    int(network.crs),
                    int(network.n_nodes),
                    int(network.n_edges),
                    float(network.length_km),
                    json.dumps(network.components, ensure_ascii=False),
                    graph,
                    len(graph),
                    sha,
                    actor,
                    now_utc(),
                ),
            )
            lines = list(edges)
            conn.executemany(
                "INSERT INTO road_edges (geom, network_id, length_m) VALUES (?, ?, ?)",
                [
                    (_gpkg.encode(line, STORAGE_SRS_ID), network_id, float(length))
                    for line, length in lines
                ],
            )
            stored = self._load_network(conn, network_id, with_graph=False)
            self._audit(
                conn,
                actor=actor,
                action="road_networks.add",
                entity="road_networks",
                key=network_id,
                before=None,
                after={**stored.attributes(), "display_lines": len(lines)},
            )
        return stored

    @staticmethod
    def _load_network(
        conn: sqlite3.Connection, network_id: str, *, with_graph: bool
    ) -> RoadNetwork:
        columns = _NETWORK_COLUMNS + (", graph" if with_graph else "")
        row = conn.execute(
            f"SELECT {columns} FROM road_networks WHERE network_id = ?", (network_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"路网 {network_id} 不存在")
        return _network(row)

    def get_road_network(self, network_id: str, *, with_graph: bool = True) -> RoadNetwork | None:
        try:
            return self._load_network(self._conn(), network_id, with_graph=with_graph)
        except StoreError:
            return None

    def road_networks(self, *, include_retired: bool = False) -> list[RoadNetwork]:
        sql = f"SELECT {_NETWORK_COLUMNS} FROM road_networks"
        if not include_retired:
            sql += " WHERE retired = 0"
        return [_network(r) for r in self._conn().execute(sql + " ORDER BY network_id")]

    def road_edges(self, network_id: str) -> list[tuple[BaseGeometry, float]]:
        rows = self._conn().execute(
            "SELECT geom, length_m FROM road_edges WHERE network_id = ? ORDER BY fid",
            (network_id,),
        )
        return [(_gpkg.decode(r["geom"]), r["length_m"]) for r in rows]

    # -- population rasters ----------------------------------------------------------------
    def add_population_raster(self, raster: PopulationRaster, *, actor: str) -> PopulationRaster:
        if not raster.data:
            raise StoreError("人口栅格缺少文件内容（data）")
        data = bytes(raster.data)
        sha = hashlib.sha256(data).hexdigest()
        with self._write() as conn:
            raster_id = _new_id(conn, raster.raster_id, "population_rasters")
            conn.execute(
                f"INSERT INTO population_rasters ({_RASTER_COLUMNS}, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
                (
                    raster_id,
                    raster.label,
                    raster.filename,
                    raster.crs,
                    json.dumps([float(b) for b in raster.bounds]),
                    float(raster.total),
                    int(raster.cells),
                    len(data),
                    sha,
                    actor,
                    now_utc(),
                    data,
                ),
            )
            row = conn.execute(
                f"SELECT {_RASTER_COLUMNS} FROM population_rasters WHERE raster_id = ?",
                (raster_id,),
            ).fetchone()
            stored = _raster(row)
            self._audit(
                conn,
                actor=actor,
                action="population_rasters.add",
                entity="population_rasters",
                key=raster_id,
                before=None,
                after=stored.attributes(),
            )
        return stored

    def get_population_raster(
        self, raster_id: str, *, with_data: bool = True
    ) -> PopulationRaster | None:
        columns = _RASTER_COLUMNS + (", data" if with_data else "")
        row = (
            self._conn()
            .execute(f"SELECT {columns} FROM population_rasters WHERE raster_id = ?", (raster_id,))
            .fetchone()
        )
        return None if row is None else _raster(row)

    def population_rasters(self, *, include_retired: bool = False) -> list[PopulationRaster]:
        sql = f"SELECT {_RASTER_COLUMNS} FROM population_rasters"
        if not include_retired:
            sql += " WHERE retired = 0"
        return [_raster(r) for r in self._conn().execute(sql + " ORDER BY raster_id")]

    # -- zone sets -------------------------------------------------------------------------
    def add_zone_set(
        self, zone_set: ZoneSet, zones: Sequence[CoverageZone], *, actor: str
    ) -> ZoneSet:
        if zone_set.kind not in ZONE_SET_KINDS:
            raise StoreError(f"未知的统计单元集类型 {zone_set.kind!r}")
        zones = list(zones)
        if not zones:
            raise StoreError("统计单元集至少要有一个单元")
        shapes = [_multipolygon(z.geometry) for z in zones]
        with self._write() as conn:
            set_id = _new_id(conn, zone_set.set_id, "zone_sets")
            conn.execute(
                f"INSERT INTO zone_sets ({_SET_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
                (
                    set_id,
                    zone_set.name,
                    zone_set.kind,
                    zone_set.source,
                    len(zones),
                    int(zone_set.sample),
                    actor,
                    now_utc(),
                ),
            )
            conn.executemany(
                "INSERT INTO coverage_zones (geom, set_id, seq, code, name, area_km2) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (_gpkg.encode(shape, STORAGE_SRS_ID), set_id, i, z.code, z.name, z.area_km2)
                    for i, (z, shape) in enumerate(zip(zones, shapes, strict=True), start=1)
                ],
            )
            stored = self._load_zone_set(conn, set_id)
            self._audit(
                conn,
                actor=actor,
                action="zone_sets.add",
                entity="zone_sets",
                key=set_id,
                before=None,
                after={
                    **stored.attributes(),
                    "zones": [[z.code, z.name, round(z.area_km2, 6)] for z in zones],
                    "geometry_sha1": _digest(shapes),
                },
            )
        return stored

    @staticmethod
    def _load_zone_set(conn: sqlite3.Connection, set_id: str) -> ZoneSet:
        row = conn.execute(f"SELECT {_SET_COLUMNS} FROM zone_sets WHERE set_id = ?", (set_id,))
        found = row.fetchone()
        if found is None:
            raise StoreError(f"统计单元集 {set_id} 不存在")
        return _zone_set(found)

    def get_zone_set(self, set_id: str) -> ZoneSet | None:
        try:
            return self._load_zone_set(self._conn(), set_id)
        except StoreError:
            return None

    def zone_sets(self, kind: str | None = None, *, include_retired: bool = False) -> list[ZoneSet]:
        where, args = [], []
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)
        if not include_retired:
            where.append("retired = 0")
        sql = f"SELECT {_SET_COLUMNS} FROM zone_sets"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_zone_set(r) for r in self._conn().execute(sql + " ORDER BY set_id", args)]

    def coverage_zones(self, set_id: str) -> list[CoverageZone]:
        rows = self._conn().execute(
            "SELECT code, name, area_km2, geom FROM coverage_zones WHERE set_id = ? ORDER BY seq",
            (set_id,),
        )
        return [from_row(CoverageZone, r, geometry=_gpkg.decode(r["geom"])) for r in rows]

    # -- retiring --------------------------------------------------------------------------
    def retire_coverage_input(self, key: str, *, actor: str, reason: str = "") -> None:
        found = _INPUT_TABLES.get(key[:2])
        if found is None:
            raise StoreError(f"无法识别的编号 {key}：应以 RN、PR 或 ZS 开头")
        table, column, label = found
        with self._write() as conn:
            row = conn.execute(f"SELECT retired FROM {table} WHERE {column} = ?", (key,))
            current = row.fetchone()
            if current is None:
                raise StoreError(f"{label} {key} 不存在")
            if current["retired"]:
                return
            conn.execute(f"UPDATE {table} SET retired = 1 WHERE {column} = ?", (key,))
            self._audit(
                conn,
                actor=actor,
                action=f"{table}.retire",
                entity=table,
                key=key,
                before={"retired": False},
                after={"retired": True},
                note=reason,
            )

"""SQL of the coverage-input tables (road networks with their display lines, population rasters,
zone sets with their zones).

The same SQL serves both backends (mixed into :class:`~geociv.store.sqlite.SQLiteStore` and
:class:`~geociv.store.postgis.PostgisStore`); what differs is asked of the store: the driver's
placeholder (``_mark``), how a geometry goes in and comes out (``_geom_in`` and ``_geom_out``
in the SQL, ``_encode_geom`` and ``_decode_geom`` for the values), the box filter on the
spatial index (``_bbox_sql``) and how a new id is taken (``_take_id``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geociv.errors import DuplicateError, StoreError
from geociv.store._rows import from_row
from geociv.store.records import (
    ZONE_SET_KINDS,
    CoverageZone,
    PopulationRaster,
    RoadNetwork,
    ZoneSet,
    now_utc,
)
from geociv.store.shared import ID_FORMATS, box_condition, placeholders, where_clause

_NETWORK_COLUMNS = (
    "network_id, name, source, snapshot_id, crs, n_nodes, n_edges, length_km, components, "
    "size, sha256, retired, created_by, created_at"
)
_RASTER_COLUMNS = (
    "raster_id, label, filename, crs, bounds, total, cells, size, sha256, retired, "
    "created_by, created_at"
)
_SET_COLUMNS = "set_id, name, kind, source, n_zones, sample, retired, created_by, created_at"
#: What a read gives besides: why the set no longer matches the divisions (empty: it does).
_SET_READ = _SET_COLUMNS + ", stale"

#: Id prefix of each kind of input and the table and key column it lives in.
_INPUT_TABLES = {
    "RN": ("road_networks", "network_id", "路网"),
    "PR": ("population_rasters", "raster_id", "人口栅格"),
    "ZS": ("zone_sets", "set_id", "统计单元集"),
}


def _blob(row: Any, column: str) -> bytes | None:
    """The bytes of a BLOB column, ``None`` when it was not selected (``sqlite3.Row``'s ``in``
    looks at values, hence the explicit column list)."""
    columns = set(row.keys())
    return bytes(row[column]) if column in columns and row[column] is not None else None


def _network(row: Any) -> RoadNetwork:
    graph = _blob(row, "graph")
    return from_row(
        RoadNetwork,
        row,
        components=json.loads(row["components"]),
        graph=graph,
        retired=bool(row["retired"]),
    )


def _raster(row: Any) -> PopulationRaster:
    data = _blob(row, "data")
    return from_row(
        PopulationRaster,
        row,
        bounds=tuple(json.loads(row["bounds"])),
        data=data,
        retired=bool(row["retired"]),
    )


def _zone_set(row: Any) -> ZoneSet:
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


class InputsSQL:
    """Road-network, population-raster and zone-set methods of a store (expects ``_conn``,
    ``_write``, ``_audit`` and the backend's hooks named in the module notes)."""

    _conn: Any
    _write: Any
    _audit: Any
    _take_id: Any
    _encode_geom: Any
    _decode_geom: Any
    _bbox_sql: Any
    _mark = "?"
    _geom_in = "?"
    _geom_out = "geom"

    def _new_input_id(self, conn: Any, given: str, table: str) -> str:
        if given:
            column = ID_FORMATS[table].column
            sql = f"SELECT 1 FROM {table} WHERE {column} = {self._mark}"
            if conn.execute(sql, (given,)).fetchone():
                raise DuplicateError(f"{given} 已存在")
        return self._take_id(conn, table, given)

    # -- road networks ---------------------------------------------------------------------
    def add_road_network(
        self, network: RoadNetwork, edges: Sequence[tuple[BaseGeometry, float]], *, actor: str
    ) -> RoadNetwork:
        m = self._mark
        if not network.graph:
            raise StoreError("路网缺少图数据（graph）")
        graph = bytes(network.graph)
        sha = hashlib.sha256(graph).hexdigest()
        with self._write() as conn:
            network_id = self._new_input_id(conn, network.network_id, "road_networks")
            conn.execute(
                "INSERT INTO road_networks (network_id, name, source, snapshot_id, crs, n_nodes, "
                "n_edges, length_km, components, graph, size, sha256, retired, created_by, "
                f"created_at) VALUES ({placeholders(m, 12)}, FALSE, {m}, {m})",
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
            conn.cursor().executemany(
                "INSERT INTO road_edges (geom, network_id, length_m) "
                f"VALUES ({self._geom_in}, {m}, {m})",
                [
                    (self._encode_geom("road_edges", line), network_id, float(length))
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

    def _load_network(self, conn: Any, network_id: str, *, with_graph: bool) -> RoadNetwork:
        m = self._mark
        columns = _NETWORK_COLUMNS + (", graph" if with_graph else "")
        row = conn.execute(
            f"SELECT {columns} FROM road_networks WHERE network_id = {m}", (network_id,)
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
            sql += " WHERE NOT retired"
        return [_network(r) for r in self._conn().execute(sql + " ORDER BY network_id")]

    def road_edges(
        self, network_id: str, *, bbox: tuple[float, float, float, float] | None = None
    ) -> list[tuple[BaseGeometry, float]]:
        where, args = where_clause(
            [(f"network_id = {self._mark}", network_id),
             box_condition(self._bbox_sql, "road_edges", bbox)]
        )  # fmt: skip
        rows = self._conn().execute(
            f"SELECT {self._geom_out}, length_m FROM road_edges{where} ORDER BY fid", args
        )
        return [(self._decode_geom(r["geom"]), r["length_m"]) for r in rows]

    # -- population rasters ----------------------------------------------------------------
    def add_population_raster(self, raster: PopulationRaster, *, actor: str) -> PopulationRaster:
        m = self._mark
        if not raster.data:
            raise StoreError("人口栅格缺少文件内容（data）")
        data = bytes(raster.data)
        sha = hashlib.sha256(data).hexdigest()
        with self._write() as conn:
            raster_id = self._new_input_id(conn, raster.raster_id, "population_rasters")
            conn.execute(
                f"INSERT INTO population_rasters ({_RASTER_COLUMNS}, data) "
                f"VALUES ({m}, {m}, {m}, {m}, {m}, {m}, {m}, {m}, {m}, FALSE, {m}, {m}, {m})",
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
                f"SELECT {_RASTER_COLUMNS} FROM population_rasters WHERE raster_id = {m}",
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
        m = self._mark
        columns = _RASTER_COLUMNS + (", data" if with_data else "")
        row = (
            self._conn()
            .execute(
                f"SELECT {columns} FROM population_rasters WHERE raster_id = {m}", (raster_id,)
            )
            .fetchone()
        )
        return None if row is None else _raster(row)

    def population_rasters(self, *, include_retired: bool = False) -> list[PopulationRaster]:
        sql = f"SELECT {_RASTER_COLUMNS} FROM population_rasters"
        if not include_retired:
            sql += " WHERE NOT retired"
        return [_raster(r) for r in self._conn().execute(sql + " ORDER BY raster_id")]

    # -- zone sets -------------------------------------------------------------------------
    def add_zone_set(
        self, zone_set: ZoneSet, zones: Sequence[CoverageZone], *, actor: str
    ) -> ZoneSet:
        m = self._mark
        if zone_set.kind not in ZONE_SET_KINDS:
            raise StoreError(f"未知的统计单元集类型 {zone_set.kind!r}")
        zones = list(zones)
        if not zones:
            raise StoreError("统计单元集至少要有一个单元")
        shapes = [_multipolygon(z.geometry) for z in zones]
        with self._write() as conn:
            set_id = self._new_input_id(conn, zone_set.set_id, "zone_sets")
            conn.execute(
                f"INSERT INTO zone_sets ({_SET_COLUMNS}) "
                f"VALUES ({placeholders(m, 6)}, FALSE, {m}, {m})",
                (
                    set_id,
                    zone_set.name,
                    zone_set.kind,
                    zone_set.source,
                    len(zones),
                    bool(zone_set.sample),
                    actor,
                    now_utc(),
                ),
            )
            conn.cursor().executemany(
                "INSERT INTO coverage_zones (geom, set_id, seq, code, name, area_km2) "
                f"VALUES ({self._geom_in}, {m}, {m}, {m}, {m}, {m})",
                [
                    (
                        self._encode_geom("coverage_zones", shape),
                        set_id,
                        i,
                        z.code,
                        z.name,
                        z.area_km2,
                    )
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

    def _load_zone_set(self, conn: Any, set_id: str) -> ZoneSet:
        m = self._mark
        row = conn.execute(f"SELECT {_SET_READ} FROM zone_sets WHERE set_id = {m}", (set_id,))
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
        m = self._mark
        where, args = [], []
        if kind is not None:
            where.append(f"kind = {m}")
            args.append(kind)
        if not include_retired:
            where.append("NOT retired")
        sql = f"SELECT {_SET_READ} FROM zone_sets"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_zone_set(r) for r in self._conn().execute(sql + " ORDER BY set_id", args)]

    def coverage_zones(self, set_id: str) -> list[CoverageZone]:
        m = self._mark
        rows = self._conn().execute(
            f"SELECT code, name, area_km2, {self._geom_out} FROM coverage_zones WHERE set_id = {m} "
            "ORDER BY seq",
            (set_id,),
        )
        return [from_row(CoverageZone, r, geometry=self._decode_geom(r["geom"])) for r in rows]

    # -- retiring --------------------------------------------------------------------------
    def retire_coverage_input(self, key: str, *, actor: str, reason: str = "") -> None:
        m = self._mark
        found = _INPUT_TABLES.get(key[:2])
        if found is None:
            raise StoreError(f"无法识别的编号 {key}：应以 RN、PR 或 ZS 开头")
        table, column, label = found
        with self._write() as conn:
            row = conn.execute(f"SELECT retired FROM {table} WHERE {column} = {m}", (key,))
            current = row.fetchone()
            if current is None:
                raise StoreError(f"{label} {key} 不存在")
            if current["retired"]:
                return
            conn.execute(f"UPDATE {table} SET retired = TRUE WHERE {column} = {m}", (key,))
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

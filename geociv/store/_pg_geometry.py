"""Geometries in and out of PostGIS columns: WKB in EPSG:4490 both ways.

A single part bound for a multi-part column (``divisions``, ``boundary_lines``,
``coverage_zones``) is stored as a one-part multi-geometry, which is what the typed column
holds; :func:`for_column` gives the geometry as it will be stored, for comparing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from geociv.store._pg_schema import FEATURE_TABLES, STORAGE_SRID
from geociv.store.shared import Args, Box, Region, exact_extent

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

#: The SQL of a geometry parameter (WKB bytes) for ``INSERT``/``UPDATE``.
GEOM_IN = f"ST_GeomFromWKB(%s, {STORAGE_SRID})"
#: The SQL that selects the ``geom`` column as WKB bytes named ``geom``.
GEOM_OUT = "ST_AsBinary(geom) AS geom"


def for_column(table: str, geometry: BaseGeometry | None) -> BaseGeometry | None:
    """``geometry`` as ``table``'s geometry column holds it (single parts made multi)."""
    if geometry is None or not FEATURE_TABLES[table].startswith("Multi"):
        return geometry
    from shapely import MultiLineString, MultiPoint, MultiPolygon

    multi = {"Polygon": MultiPolygon, "LineString": MultiLineString, "Point": MultiPoint}
    make = multi.get(geometry.geom_type)
    return geometry if make is None else make([geometry])


def to_wkb(table: str, geometry: BaseGeometry | None) -> bytes | None:
    """The WKB parameter for ``table``'s geometry column (``None`` stays ``None``); a
    geometry with heights or measures as its 2-D footprint, which is what the columns hold
    (as on the GeoPackage)."""
    geometry = for_column(table, geometry)
    if geometry is None:
        return None
    import shapely

    if geometry.has_z or geometry.has_m:
        geometry = shapely.force_2d(geometry)
    return shapely.to_wkb(geometry, byte_order=1, flavor="iso")


def from_wkb(value: Any) -> BaseGeometry | None:
    """The shapely geometry of a WKB value read with :data:`GEOM_OUT`."""
    if value is None:
        return None
    import shapely

    return shapely.from_wkb(bytes(value))


def bbox_filter(table: str, box: Box) -> tuple[str, Args]:
    """The condition on ``table``'s rows whose geometry's extent meets ``box`` (edges count),
    and its arguments: ``&&`` on the GiST index finds the candidates (its boxes are 32-bit,
    rounded outwards) and the exact extents decide, as on the GeoPackage.

    >>> sql, args = bbox_filter("facilities", (114.0, 32.9, 114.1, 33.0))
    >>> "&&" in sql, sql.count("%s") == len(args)
    (True, True)
    """
    geom = f"{table}.geom"
    exact = exact_extent(("ST_XMin", "ST_XMax", "ST_YMin", "ST_YMax"), geom, "%s", box)
    sql = f"{geom} && ST_MakeEnvelope(%s, %s, %s, %s, {STORAGE_SRID}) AND {exact[0]}"
    return sql, Args(tuple(box) + exact[1])


def region_filter(conn: Any, table: str, code: str) -> Region | None:
    """The condition on ``table``'s rows that lie in the polygon of the division ``code``,
    wholly or in part: ``ST_Intersects`` on the GiST index, exact, so nothing is left for
    Python to test; ``None`` when the division is unknown or has no polygon."""
    row = conn.execute(
        "SELECT 1 FROM divisions WHERE code = %s AND geom IS NOT NULL AND NOT ST_IsEmpty(geom)",
        (code,),
    ).fetchone()
    if row is None:
        return None
    sql = f"ST_Intersects({table}.geom, (SELECT geom FROM divisions WHERE code = %s))"
    return Region(sql, Args((code,)), None)

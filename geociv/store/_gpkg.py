"""GeoPackage geometry blobs, written and read by fudgeo; geociv's geometries are shapely's.

The blob format (OGC GeoPackage, clause 2.1.3: magic, flags, srs id, envelope, then WKB) is
fudgeo's business: a shapely geometry goes to the fudgeo geometry class of its type through WKB
(``from_wkb``, the interchange fudgeo documents) and fudgeo writes the blob (``to_gpkg``).
fudgeo has no geometry collection class, so a collection (only ever in the ``names`` layer,
whose column takes any geometry) gets its header and envelope from fudgeo's own blob helpers.
Reading, fudgeo's header reader says where the WKB starts and shapely reads the WKB, whatever
its type.

Every geociv layer is registered two-dimensional (``z = 0``, ``m = 0`` in
``gpkg_geometry_columns``: heights and measures prohibited), so a geometry with Z or M (a name
imported from a 3-D file) is stored as its 2-D footprint; otherwise GDAL's validator rejects
the file (Req 19). Signs and inspection records already refuse a location with a height.
"""

from __future__ import annotations

import fudgeo.geometry
import shapely
from fudgeo.geometry.util import Envelope, make_header, unpack_header
from shapely.geometry.base import BaseGeometry

_HEADER_BYTES = 8
_XY_ENVELOPE = 1  # envelope code of [minx, maxx, miny, maxy]


def _fudgeo_class(geometry: BaseGeometry) -> type | None:
    """The fudgeo class of a 2-D geometry's type (None for a collection: fudgeo has none)."""
    kind = "LineString" if geometry.geom_type == "LinearRing" else geometry.geom_type
    return getattr(fudgeo.geometry, kind, None)


def _wkb(geometry: BaseGeometry) -> bytes:
    return shapely.to_wkb(geometry, byte_order=1, flavor="iso")


def encode(geometry: BaseGeometry | None, srs_id: int) -> bytes | None:
    """Return the GeoPackage blob of ``geometry`` (``None`` stays ``None``).

    >>> from shapely import Point
    >>> blob = encode(Point(114.0, 33.0), 4490)
    >>> blob[:2], decode(blob).wkt
    (b'GP', 'POINT (114 33)')
    """
    if geometry is None:
        return None
    if geometry.has_z or geometry.has_m:
        geometry = shapely.force_2d(geometry)
    cls = _fudgeo_class(geometry)
    if cls is not None:
        return bytes(cls.from_wkb(_wkb(geometry), srs_id).to_gpkg())
    if geometry.is_empty:
        return make_header(srs_id, True) + _wkb(geometry)
    minx, miny, maxx, maxy = geometry.bounds
    code, envelope = Envelope(_XY_ENVELOPE, srs_id, minx, maxx, miny, maxy).to_wkb()
    return make_header(srs_id, False, code) + envelope + _wkb(geometry)


def decode(blob: bytes | None) -> BaseGeometry | None:
    """Return the shapely geometry of a GeoPackage blob (``None`` stays ``None``)."""
    if blob is None:
        return None
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob")
    _srs_id, _code, offset, _empty = unpack_header(bytes(blob[:_HEADER_BYTES]))
    return shapely.from_wkb(bytes(blob[offset:]))

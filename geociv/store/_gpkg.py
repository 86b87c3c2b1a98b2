"""GeoPackage geometry blobs: the standard header (magic, flags, srs id, envelope) plus WKB.

See OGC GeoPackage 1.4, clause 2.1.3. Only the little-endian, xy-envelope flavour is written;
every envelope flavour is read.
"""

from __future__ import annotations

import struct

import shapely
from shapely.geometry.base import BaseGeometry

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def encode(geometry: BaseGeometry | None, srs_id: int) -> bytes | None:
    """Return the GeoPackage blob of ``geometry`` (``None`` stays ``None``).

    >>> from shapely import Point
    >>> blob = encode(Point(114.0, 33.0), 4490)
    >>> blob[:2], decode(blob).wkt
    (b'GP', 'POINT (114 33)')
    """
    if geometry is None:
        return None
    if geometry.is_empty:
        return b"GP" + struct.pack("<BBi", 0, 0b00010001, srs_id) + shapely.to_wkb(geometry)
    minx, miny, maxx, maxy = geometry.bounds
    header = b"GP" + struct.pack("<BBi4d", 0, 0b00000011, srs_id, minx, maxx, miny, maxy)
    return header + shapely.to_wkb(geometry, byte_order=1, flavor="iso")


def decode(blob: bytes | None) -> BaseGeometry | None:
    """Return the shapely geometry of a GeoPackage blob (``None`` stays ``None``)."""
    if blob is None:
        return None
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob")
    indicator = (blob[3] >> 1) & 0b111
    return shapely.from_wkb(bytes(blob[8 + _ENVELOPE_BYTES[indicator] :]))

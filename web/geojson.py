"""GeoJSON text for the API answers, with the geometries written by GEOS.

Writing a polygon through ``shapely.geometry.mapping`` and :func:`json.dumps` walks every
vertex in Python (a county outline: ~2 ms a request); :func:`shapely.to_geojson` writes the
same coordinates (shortest round-trip form, equal when read back) in C, ~5× faster. Empty
geometries and those with Z keep the Python path, whose output GEOS does not reproduce.

Examples
--------
>>> from shapely.geometry import Point
>>> feature_json({"type": "Feature", "id": "a", "properties": {"名": "驿城"}}, Point(114, 33))
'{"type": "Feature", "id": "a", "properties": {"名": "驿城"}, "geometry": {"type":"Point","coordinates":[114.0,33.0]}}'
>>> collection_json([feature_json({"type": "Feature", "properties": {}}, None)])
'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": null}]}'
"""  # noqa: E501

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry


def geometry_json(geometry: BaseGeometry | None) -> str:
    """The GeoJSON text of ``geometry`` (``null`` for none)."""
    if geometry is None:
        return "null"
    if geometry.is_empty or geometry.has_z:
        return json.dumps(mapping(geometry))
    return shapely.to_geojson(geometry)


def feature_json(members: dict[str, Any], geometry: BaseGeometry | None) -> str:
    """A Feature's text: the members of ``members`` (no ``geometry``) then ``geometry``."""
    head = json.dumps(members, ensure_ascii=False)
    return f'{head[:-1]}, "geometry": {geometry_json(geometry)}}}'


def collection_json(features: Iterable[str]) -> str:
    """A FeatureCollection's text from the texts of its features (:func:`feature_json`)."""
    return '{"type": "FeatureCollection", "features": [' + ", ".join(features) + "]}"

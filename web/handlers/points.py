"""A point read from request fields (longitude and latitude)."""

from __future__ import annotations

import math

from shapely import Point

from geociv.crs import check_lonlat
from geociv.errors import CoordinateRangeError, Problem


def parse_point(lon: object, lat: object) -> tuple[Point | None, list[Problem]]:
    """A point from longitude and latitude (CGCS2000 degrees, as text or numbers), with the
    problems found: not a number (field ``lon``/``lat``), outside China or swapped (field
    ``location``)."""
    problems: list[Problem] = []
    values: dict[str, float] = {}
    for field, value, label in (("lon", lon, "经度"), ("lat", lat, "纬度")):
        text = str(value if value is not None else "").strip()
        if not text:
            problems.append(Problem(f"{label}不能为空", field=field))
            continue
        try:
            number = float(text)
        except ValueError:
            problems.append(Problem(f"{label} {text!r} 不是数字", field=field))
            continue
        if not math.isfinite(number):
            problems.append(Problem(f"{label} {text!r} 不是有限数值", field=field))
            continue
        values[field] = number
    if problems:
        return None, problems
    try:
        check_lonlat(values["lon"], values["lat"])
    except CoordinateRangeError as exc:
        found = getattr(exc, "problems", None) or [Problem(str(exc))]
        message = f"{found[0].message}（应为 CGCS2000 经纬度：经度约 73–135，纬度约 18–54）"
        problems.append(Problem(message, field="location"))
    return Point(values["lon"], values["lat"]), problems

"""A GeoJSON upload checked in Python before GDAL reads it: size, UTF-8, top-level type,
feature count, finite numbers, no CRS links."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from geociv.errors import InputFileError, Problem
from geociv.uploads.limits import MAX_FEATURES, MAX_GEOJSON_BYTES, MB

GEOMETRY_TYPES = frozenset(
    ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
     "GeometryCollection")
)  # fmt: skip


class _NotFiniteError(ValueError):
    pass


def _constant(name: str) -> float:
    raise _NotFiniteError(name)


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFiniteError(text)
    return value


def check_geojson(path: Path, *, filename: str) -> int:
    """Check the GeoJSON at ``path`` and return its feature count.

    Raises
    ------
    InputFileError
        Too large, not UTF-8, not JSON, not a GeoJSON object, NaN/Infinity, too many
        features, or a linked CRS (field ``file``).
    """
    size = path.stat().st_size
    if size > MAX_GEOJSON_BYTES:
        raise _refuse(
            f"GeoJSON 大小 {size / MB:.1f} MB，超过上限 {MAX_GEOJSON_BYTES // MB} MB", filename
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(
            f"GeoJSON 必须为 UTF-8 编码（第 {exc.start} 字节处无法按 UTF-8 解码）", filename
        ) from exc
    del data
    try:
        obj = json.loads(text, parse_constant=_constant, parse_float=_number)
    except _NotFiniteError as exc:
        message = f"GeoJSON 含有非有限数值 {exc}（NaN/Infinity 不是合法坐标）"
        raise _refuse(message, filename) from exc
    except (ValueError, RecursionError) as exc:
        raise _refuse(f"不是有效的 JSON（{str(exc)[:120]}）", filename) from exc
    return _top_level(obj, filename)


def _top_level(obj: Any, filename: str) -> int:
    kind = obj.get("type") if isinstance(obj, dict) else None
    if kind not in GEOMETRY_TYPES | {"Feature", "FeatureCollection"}:
        raise _refuse("内容是 JSON，但不是 GeoJSON（顶层应为 FeatureCollection、Feature 或几何）",
                      filename)  # fmt: skip
    crs = obj.get("crs")
    if crs is not None and (not isinstance(crs, dict) or crs.get("type") != "name"):
        raise _refuse("GeoJSON 的 crs 只能是命名坐标系（不接受链接）", filename)
    if kind != "FeatureCollection":
        return 1
    features = obj.get("features")
    if not isinstance(features, list):
        raise _refuse("FeatureCollection 缺少 features 数组", filename)
    if len(features) > MAX_FEATURES:
        raise _refuse(
            f"GeoJSON 有 {len(features):,} 个要素，超过上限 {MAX_FEATURES:,} 个", filename
        )
    return len(features)


def _refuse(message: str, filename: str) -> InputFileError:
    return InputFileError(Problem(message, field="file"), title=f"{filename} 无法读取")

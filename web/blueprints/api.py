"""JSON API under ``/api``: GeoJSON out, described by ``/api/openapi.json``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from geociv.divisions import Divisions, normalize_code
from geociv.errors import AdcodeError, Problem, ValidationError
from geociv.fields import as_day
from geociv.store import LEVELS, Division
from geociv.uploads import DIVISION_KINDS
from web._helpers import actor, role_required, store
from web._uploads import received
from web.caching import conditional
from web.geojson import collection_json, feature_json
from web.openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api")

_TRUE = {"1", "true", "yes"}


def _properties(d: Division) -> dict[str, Any]:
    return {"adcode": d.code, "name": d.name, "level": d.level, "parent": d.parent_code,
            "kind": d.kind, "area_km2": d.area_km2}  # fmt: skip


def _history(d: Division, divs: Divisions) -> dict[str, Any]:
    """When the version shown was in force, what it was made from, the code's earlier
    versions."""
    versions = [
        {"name": v.name, "level": v.level, "parent": v.parent_code, "kind": v.kind,
         "valid_from": v.valid_from, "valid_to": v.valid_to, "change_case": v.change_case or None}
        for v in divs.versions(d.code)
    ]  # fmt: skip
    return {"valid_from": d.valid_from, "valid_to": d.valid_to,
            "predecessors": list(d.predecessors), "change_case": d.change_case or None,
            "versions": versions}  # fmt: skip


def _date_arg() -> str | None:
    """The ``date`` query argument (``YYYY-MM-DD``: divisions as they were that day)."""
    text = (request.args.get("date") or "").strip()
    if not text:
        return None
    try:
        return as_day(text).isoformat()
    except ValueError as exc:
        raise ValidationError(Problem(str(exc), field="date"), title="查询参数有误") from None


def _feature(d: Division, properties: dict[str, Any], *, geometry: bool = True) -> str:
    members = {"type": "Feature", "id": d.code, "properties": properties}
    return feature_json(members, d.geometry if geometry else None)


def _query_problems() -> list[Problem]:
    problems = []
    parent = request.args.get("parent")
    if parent is not None:
        try:
            normalize_code(parent)
        except AdcodeError as exc:
            problems.append(Problem(str(exc), field="parent"))
    level = request.args.get("level")
    if level is not None and level not in LEVELS:
        problems.append(Problem(f"未知层级 {level!r}；可用：{', '.join(LEVELS)}", field="level"))
    return problems


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document())


@bp.get("/divisions")
@conditional("divisions")
def divisions() -> Response:
    """Divisions as a GeoJSON FeatureCollection, filtered by ``parent``, ``level``, ``q``; in
    force now, or as they were on ``date``."""
    problems = _query_problems()
    if problems:
        raise ValidationError(problems, title="查询参数有误")
    on = _date_arg()
    divs = Divisions(store())
    parent = request.args.get("parent")
    level = request.args.get("level")
    include_statistical = request.args.get("include_statistical", "").lower() in _TRUE
    with_geometry = request.args.get("geometry", "true").lower() in _TRUE
    q = request.args.get("q", "").strip()
    if q:
        rows = divs.find(q, match="contains", level=level, within=parent, on=on)
    elif parent is not None:
        rows = divs.children(
            parent,
            level=level,
            include_statistical=include_statistical,
            with_geometry=with_geometry,
            on=on,
        )
    elif level is not None:
        rows = store().query_divisions(
            level=level,
            include_statistical=include_statistical,
            with_geometry=with_geometry,
            on=on,
        )
    else:
        raise ValidationError(
            Problem("至少给出 parent、level 或 q 之一", field="parent"), title="查询参数有误"
        )
    features = (_feature(d, _properties(d), geometry=with_geometry) for d in rows)
    return Response(collection_json(features), mimetype="application/geo+json")


@bp.get("/divisions/<code>")
@conditional("divisions")
def division(code: str) -> Response:
    """One division as a GeoJSON Feature, with its ancestors' codes and names, when it was in
    force, its predecessors and earlier versions; with ``date`` the version in force that day."""
    try:
        normalize_code(code)
    except AdcodeError as exc:
        raise ValidationError(Problem(str(exc), field="code"), title="区划代码有误") from exc
    on = _date_arg()
    divs = Divisions(store())
    d = divs.get(code, on=on)
    properties = _properties(d) | _history(d, divs) | {"ancestors": [
        {"adcode": a.code, "name": a.name, "level": a.level}
        for a in divs.ancestors(d.code, on=on)
    ]}  # fmt: skip
    return Response(_feature(d, properties), mimetype="application/geo+json")


@bp.post("/divisions/import")
@role_required("admin")
def import_divisions() -> Response:
    """Upload division polygons (GeoJSON/GeoPackage, field ``file``; optional ``crs``)."""
    with received(request.files.get("file"), DIVISION_KINDS) as upload:
        counts = Divisions(store()).load_polygons(
            upload.path,
            actor=actor(),
            declared_crs=request.form.get("crs") or None,
            source=f"上传：{upload.filename}",
        )
    return jsonify(inserted=counts.inserted, updated=counts.updated, unchanged=counts.unchanged)

"""Check a JSON API request against its operation in the OpenAPI document.

The document (:mod:`web.openapi`) says of every parameter and body field what type it has and
its bounds (``minimum``/``maximum``, ``maxLength``, ``maxItems``). :func:`check_operation`
enforces exactly that before the view runs, so that a wrong type (``types: 5``), an id beyond
64 bits or ``limit=-1`` is a 400 naming the field and never reaches SQLite or a service.
Enumerations and patterns are left to the views, whose messages list the choices.

Lenient where clients differ harmlessly: ``null`` means absent, numbers may come as their
text, a number is accepted where text is expected. Strict on structure: a list where a list is
described, an object where an object is.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from typing import Any

from flask import current_app, request
from flask_login import current_user

from geociv.errors import Problem, ValidationError
from web.params import json_value_problems, max_length

logger = logging.getLogger(__name__)

__all__ = ["check_operation", "value_problems"]

#: Bounds of integers and numbers the document leaves open (SQLite integers are 64-bit;
#: JSON numbers beyond 2**53 lose precision anyway).
INT_BOUND = 2**53
NUMBER_BOUND = 1e15
#: Longest list in a body where the document gives no ``maxItems``.
ITEMS_MAX = 1000

_TYPE_LABELS = {
    "string": "文本",
    "integer": "整数",
    "number": "数值",
    "boolean": "true 或 false",
    "array": "数组",
    "object": "对象",
}
_SCALARS = {"string", "integer", "number", "boolean"}
_SCALAR_VALUES = (str, int, float, bool)
_TRUE_FALSE = {"1", "0", "true", "false", "yes", "no", "on", "off", ""}
_INT_TEXT = re.compile(r"[+-]?\d{1,19}")


def _operations() -> dict[tuple[str, str], dict[str, Any]]:
    ext = current_app.extensions
    if "geociv_openapi_operations" not in ext:
        from web.openapi import openapi_document

        doc = openapi_document()
        ops = {}
        for path, item in doc["paths"].items():
            for method, op in item.items():
                ops[(path, method.upper())] = op
        ext["geociv_openapi_operations"] = ops
        ext["geociv_openapi_components"] = doc.get("components", {})
    return ext["geociv_openapi_operations"]


def _resolve(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if not ref:
        return schema
    node: Any = {"components": current_app.extensions["geociv_openapi_components"]}
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return _resolve(node)


def _properties(schema: Mapping[str, Any]) -> dict[str, Any]:
    schema = _resolve(schema)
    props = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        props.update(_properties(part))
    return props


def _types(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type")
    if kind is None:
        return set()
    return {kind} if isinstance(kind, str) else set(kind)


def _kind_of(value: Any, allowed: set[str]) -> str | None:
    """The document type ``value`` counts as, given the types allowed (``None``: none)."""
    if isinstance(value, bool):
        return "boolean" if "boolean" in allowed else None
    if isinstance(value, int | float):
        for kind in ("integer", "number", "string"):
            if kind in allowed and (kind != "integer" or float(value).is_integer()):
                return kind
        return None
    if isinstance(value, str):
        if "string" in allowed:
            return "string"
        text = value.strip()
        if "integer" in allowed and _INT_TEXT.fullmatch(text):
            return "integer"
        if "number" in allowed and _is_number(text):
            return "number"
        if "boolean" in allowed and text.lower() in _TRUE_FALSE:
            return "boolean"
        return None
    if isinstance(value, list):
        return "array" if "array" in allowed else None
    if isinstance(value, dict):
        return "object" if "object" in allowed else None
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _wanted(allowed: set[str]) -> str:
    return "或".join(_TYPE_LABELS.get(k, k) for k in sorted(allowed) if k != "null")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def value_problems(
    value: Any, schema: Mapping[str, Any], field: str, *, ranges: bool = True
) -> list[Problem]:
    """Problems of ``value`` against a document ``schema`` (type and bounds), naming
    ``field``; ``None`` is always accepted (absent). With ``ranges=False`` the documented
    ``minimum``/``maximum`` are left to the service (which reports them with every other
    problem of the request), only 64-bit and finiteness bounds are checked here."""
    schema = _resolve(schema)
    if value is None:
        return []
    for key in ("oneOf", "anyOf"):
        if key in schema:
            branches = [value_problems(value, s, field, ranges=ranges) for s in schema[key]]
            return [] if any(not b for b in branches) else branches[0]
    allowed = _types(schema)
    if not allowed:
        return []
    if not ranges and allowed & _SCALARS and isinstance(value, _SCALAR_VALUES):
        allowed = allowed | _SCALARS  # a body's text-for-number is the service's to explain
    kind = _kind_of(value, allowed)
    if kind is None:
        return [Problem(f"应为{_wanted(allowed)}，收到 {_shown(value)}", field=field)]
    if kind in ("integer", "number"):
        return _number_problems(value, kind, schema if ranges else {}, field)
    if kind == "string":
        cap = int(schema.get("maxLength", max_length(field)))
        if len(str(value)) > cap:
            return [Problem(f"过长：最多 {cap} 个字符，收到 {len(str(value))} 个", field=field)]
    if kind == "array":
        return _array_problems(value, schema, field, ranges)
    if kind == "object":
        props = _properties(schema)
        return [
            p
            for k, v in value.items()
            if k in props
            for p in value_problems(v, props[k], k, ranges=ranges)
        ]
    return []


def _number_problems(
    value: Any, kind: str, schema: Mapping[str, Any], field: str
) -> list[Problem]:
    bound = INT_BOUND if kind == "integer" else NUMBER_BOUND
    low = schema.get("minimum", -bound)
    high = schema.get("maximum", bound)
    try:
        number = int(str(value).strip()) if kind == "integer" and isinstance(value, str) else value
        number = float(number) if kind == "number" else int(number)
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    if (isinstance(number, float) and not math.isfinite(number)) or not low <= number <= high:
        label = "整数" if kind == "integer" else "有限数值"
        return [Problem(f"应为 {low:g}–{high:g} 之间的{label}，收到 {_shown(value)}", field=field)]
    return []


def _array_problems(
    value: list[Any], schema: Mapping[str, Any], field: str, ranges: bool
) -> list[Problem]:
    most = int(schema.get("maxItems", ITEMS_MAX))
    if len(value) > most:
        return [Problem(f"最多 {most} 项，收到 {len(value)} 项", field=field)]
    items = schema.get("items")
    if not items:
        return []
    for item in value:
        found = value_problems(item, items, field, ranges=ranges)
        if found:
            return found
    return []


def _parameter_problems(op: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for param in op.get("parameters", []):
        name, where, schema = param["name"], param["in"], param.get("schema", {})
        if where == "path":
            values = [(request.view_args or {}).get(name)]
        elif where == "query":
            values = request.args.getlist(name)
        else:
            continue
        for value in values:
            if value is None or (where == "query" and value == ""):
                continue
            found = value_problems(value, {"maxLength": max_length(name), **schema}, name)
            if found:
                problems += found
                break
    return problems


def _body_problems(op: Mapping[str, Any]) -> list[Problem]:
    content = op.get("requestBody", {}).get("content", {})
    mimetype = request.mimetype
    if mimetype == "application/json" or (mimetype.endswith("+json")):
        if not request.get_data(cache=True):
            return []
        data = request.get_json(silent=True)
        if data is None:
            return [Problem("请求体不是有效的 JSON", field="body")]
        schema = content.get("application/json", {}).get("schema")
        if not isinstance(data, dict):
            return [Problem("请求体应为 JSON 对象", field="body")]
        if schema is None:
            return json_value_problems(data, "body")
        found = value_problems(data, schema, "body", ranges=False)
        return found or json_value_problems(data, "body")
    schema = content.get(mimetype, {}).get("schema")
    forms = ("multipart/form-data", "application/x-www-form-urlencoded")
    if schema is None or mimetype not in forms:
        return []
    props = _properties(schema)
    problems: list[Problem] = []
    for key, value in request.form.items():
        prop = props.get(key)
        if prop is not None and not _types(_resolve(prop)) & {"array", "object"}:
            problems += value_problems(value, prop, key, ranges=False)
    return problems


def check_operation() -> None:
    """Check the current API request's parameters and body against its operation; raise a
    :class:`ValidationError` listing every problem (query ones titled 查询参数有误)."""
    rule = request.url_rule
    if rule is None:
        return
    path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
    op = _operations().get((path, request.method))
    if op is None or (op.get("security") and not current_user.is_authenticated):
        return  # unknown operation, or an anonymous caller the view answers 401 first
    problems = _parameter_problems(op)
    if problems:
        raise ValidationError(problems, title="查询参数有误")
    problems = _body_problems(op)
    if problems:
        raise ValidationError(problems, title="请求有误")

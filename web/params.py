"""What a request may bring, decided in one place, and the parsers that read it.

Every request passes :func:`check_request` (a ``before_request`` hook registered first, before
CSRF reads any form) which

1. refuses a body larger than its route's limit with a 413 *before reading it*
   (:data:`BODY_LIMITS`, else :data:`DEFAULT_BODY_LIMIT`), and caps the stream for bodies that
   declare no length;
2. caps the length of every query argument and form field by name (:func:`max_length`: place
   names :data:`NAME_MAX`, free text :data:`TEXT_MAX` …) so that no expensive check (name
   rules, pinyin, search) ever sees a huge input;
3. for the JSON API, checks path and query parameters and the JSON body against the
   operation's description in the OpenAPI document (types, ranges, lengths, list sizes): a
   non-object body, ``types: 5`` or ``limit=-1`` is a 400 naming the field before any view
   runs, and the document is by construction what the code enforces.

Views read composite values with the parsers here (:func:`int_arg`, :func:`bbox_arg` …), which
raise :class:`~geociv.errors.ValidationError` naming the field.

Examples
--------
>>> parse_int("7", "limit", low=1, high=100)
7
>>> try:
...     parse_int("-1", "limit", low=1, high=100)
... except ValidationError as exc:
...     print(exc.problems[0].field, exc.problems[0].message)
limit 应为 1–100 之间的整数，收到 '-1'
>>> parse_bbox("114,32.8,114.2,33")
(114.0, 32.8, 114.2, 33.0)
>>> max_length("name"), max_length("remarks")
(50, 2000)
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, abort, make_response, request
from werkzeug.exceptions import HTTPException

from geociv.errors import Problem, ValidationError

logger = logging.getLogger(__name__)

__all__ = [
    "BODY_LIMITS",
    "DEFAULT_BODY_LIMIT",
    "ID_INT_MAX",
    "ID_MAX",
    "NAME_MAX",
    "TEXT_MAX",
    "bbox_arg",
    "body_limit",
    "check_request",
    "int_arg",
    "max_length",
    "parse_bbox",
    "parse_float",
    "parse_int",
]

MB = 1024 * 1024

#: Body size of every route not listed in :data:`BODY_LIMITS` (JSON and form posts).
DEFAULT_BODY_LIMIT = 1 * MB

_PHOTO = 20 * MB
_TABLE = 50 * MB
_LAYER = 200 * MB

#: Body size of the routes that take uploads, by endpoint: GIS layers, networks and rasters
#: 200 MB; tables (names, facilities, markers) and case documents 50 MB; photos 20 MB.
BODY_LIMITS: dict[str, int] = {
    "api.import_divisions": _LAYER,
    "coverage_api.import_network": _LAYER,
    "coverage_api.import_raster": _LAYER,
    "coverage_api.import_zones": _LAYER,
    "coverage_api.import_facilities": _TABLE,
    "names_api.import_names": _TABLE,
    "names.import_page": _TABLE,
    "names_api.import_heritage_levels": _TABLE,
    "names.heritage": _TABLE,
    "boundaries_api.markers_import": _TABLE,
    "boundaries.markers_import": _TABLE,
    "cases_api.upload_document": _TABLE,
    "cases.upload": _TABLE,
    "changes_api.propose": _TABLE,
    "changes_api.attach": _TABLE,
    "changes.proposals_page": _TABLE,
    "changes.upload": _TABLE,
    "boundaries_api.add_record": _PHOTO,
    "boundaries.check_marker": _PHOTO,
    "boundaries.check_line": _PHOTO,
    "boundaries.add_photo": _PHOTO,
    "cases_api.add_patrol": _PHOTO,
    "signs.patrol": _PHOTO,
}

#: Largest integer id (plans, documents, versions) a request may name (SQLite takes 64 bits).
ID_INT_MAX = 2**31 - 1

#: Place names, list terms, special readings, sign texts (the longest real names are ~20).
NAME_MAX = 50
#: What a sign shows (a name, sometimes with a direction or a door-plate range).
SIGN_TEXT_MAX = 100
#: Pinyin of a name (a 50-character name spelled with tones and spaces).
PINYIN_MAX = 400
#: Search text.
SEARCH_MAX = 100
#: Ids, codes, enum values, dates and other short tokens.
ID_MAX = 64
#: Free text: remarks, reasons, notes, descriptions, addresses.
TEXT_MAX = 2000
#: User names and passwords on the log-in form.
USERNAME_MAX = 64
PASSWORD_MAX = 256

#: Longest value of a field, by field name (others: :data:`TEXT_MAX`).
FIELD_MAX: dict[str, int] = {
    **dict.fromkeys(
        ("name", "proposed_name", "word", "term", "aliases", "old_name"), NAME_MAX
    ),
    "text": SIGN_TEXT_MAX,
    "pinyin": PINYIN_MAX,
    "q": SEARCH_MAX,
    "username": USERNAME_MAX,
    "csrf_token": 512,
    "bbox": 200,
    "password": PASSWORD_MAX,
    **dict.fromkeys(
        (
            "category", "division_code", "division", "parent", "within", "code", "level",
            "status", "kind", "format", "crs", "date", "today", "inspected_on", "installed_on",
            "name_id", "sign_id", "case_id", "record_id", "line_id", "marker_id", "run_id",
            "suggestion", "suggestion_id", "network_id", "raster_id", "zones_id", "zone_set",
            "job_id", "type", "types", "statuses", "sign_type", "condition", "doc_type",
            "list", "rule", "step", "objective", "candidates", "method", "speed", "side",
            "change_type", "default_type", "default_status", "name_field", "code_field",
            "include_removed", "include_retired", "include_statistical",
            "geometry", "save", "sign", "pending", "other_raster_ids", "add", "remove",
            "lon", "lat",
        ),
        ID_MAX,
    ),
}  # fmt: skip

#: Deepest nesting of a JSON body (GeoJSON polygons need 4 levels below a property).
JSON_DEPTH_MAX = 12

#: Largest number of query arguments or form fields in one request.
FIELDS_MAX = 1000


def max_length(field: str) -> int:
    """Longest value a request may send in ``field`` (characters)."""
    return FIELD_MAX.get(field, TEXT_MAX)


def body_limit(endpoint: str | None) -> int:
    """Largest body (bytes) the route ``endpoint`` accepts."""
    return BODY_LIMITS.get(endpoint or "", DEFAULT_BODY_LIMIT)


def size_text(n: int) -> str:
    """``n`` bytes as ``1 MB`` or ``500 KB``."""
    return f"{n // MB} MB" if n >= MB else f"{n // 1024} KB"


# -- value parsers ----------------------------------------------------------------------------


def _bad(field: str, message: str, title: str = "请求参数有误") -> ValidationError:
    return ValidationError(Problem(message, field=field), title=title)


#: Words of a request value that mean yes (``sign=true``, ``pending=1``, a checked box).
YES_WORDS = frozenset({"1", "true", "yes", "on"})


def flag(value: object) -> bool:
    """Whether a request value says yes: ``True`` or one of :data:`YES_WORDS` (any case)."""
    return value is True or str(value or "").strip().lower() in YES_WORDS


def parse_int(value: object, field: str, *, low: int, high: int) -> int:
    """``value`` (an int or its decimal text) as an int in ``low``–``high``; else a
    :class:`ValidationError` naming ``field``."""
    text = str(value).strip() if not isinstance(value, bool) else "?"
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif re.fullmatch(r"[+-]?\d{1,19}", text):
        number = int(text)
    else:
        number = None
    if number is None or not low <= number <= high:
        raise _bad(field, f"应为 {low}–{high} 之间的整数，收到 {_shown(value)}")
    return number


def parse_float(value: object, field: str, *, low: float, high: float) -> float:
    """``value`` as a finite float in ``low``–``high``; else a :class:`ValidationError`."""
    try:
        number = float(value) if not isinstance(value, bool) else math.nan  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and low <= number <= high):
        raise _bad(field, f"应为 {low:g}–{high:g} 之间的有限数值，收到 {_shown(value)}")
    return number


#: Largest map extent a query may name (square degrees; China spans about 62° × 36°).
BBOX_AREA_MAX = 2500.0


def parse_bbox(text: str, field: str = "bbox") -> tuple[float, float, float, float]:
    """``minlon,minlat,maxlon,maxlat`` as four finite numbers in order, within the globe and
    at most :data:`BBOX_AREA_MAX` square degrees."""
    parts = str(text).split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise _bad(field, f"应为四个有限数值 minlon,minlat,maxlon,maxlat，收到 {_shown(text)}")
    x0, y0, x1, y1 = values
    if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
        raise _bad(
            field,
            "范围应满足 -180 ≤ minlon < maxlon ≤ 180、-90 ≤ minlat < maxlat ≤ 90，"
            f"收到 {_shown(text)}",
        )
    if (x1 - x0) * (y1 - y0) > BBOX_AREA_MAX:
        raise _bad(field, f"范围过大：最多 {BBOX_AREA_MAX:g} 平方度（约全国范围）")
    return x0, y0, x1, y1


def int_arg(name: str, default: int, *, low: int, high: int) -> int:
    """Query argument ``name`` as an int in ``low``–``high`` (``default`` when absent)."""
    text = (request.args.get(name) or "").strip()
    return default if not text else parse_int(text, name, low=low, high=high)


def bbox_arg(name: str = "bbox") -> tuple[float, float, float, float] | None:
    """Query argument ``name`` as a checked bbox, or ``None`` when absent."""
    text = (request.args.get(name) or "").strip()
    return parse_bbox(text, name) if text else None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


# -- the request hook -------------------------------------------------------------------------


def _refuse(status: int, title: str, problems: list[Problem] | None = None) -> None:
    from web._helpers import error_response

    abort(make_response(error_response(status, title, problems)))


def _check_size() -> None:
    limit = body_limit(request.endpoint)
    request.max_content_length = limit  # also caps bodies sent without a Content-Length
    length = request.content_length
    if length is not None and length > limit:
        _refuse(
            413,
            f"请求体过大：此处最多 {size_text(limit)}，收到 {length / MB:.1f} MB",
            [Problem(f"最多 {size_text(limit)}", field="body")],
        )


def _length_problems(items: Iterable[tuple[str, str]]) -> list[Problem]:
    problems = []
    seen = set()
    for count, (key, value) in enumerate(items):
        if count >= FIELDS_MAX:
            return [Problem(f"参数过多：最多 {FIELDS_MAX} 个", field="body")]
        key = key or ""  # a part without a name (reported by the caller)
        cap = max_length(key)
        if len(key) > ID_MAX and key not in seen:
            problems.append(Problem(f"参数名过长：最多 {ID_MAX} 个字符", field=key[:ID_MAX]))
        elif len(value) > cap and key not in seen:
            problems.append(Problem(f"过长：最多 {cap} 个字符，收到 {len(value)} 个", field=key))
        seen.add(key)
    return problems


def _check_fields() -> None:
    problems = _length_problems(request.args.items(multi=True))
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = request.form
        if any(not key for key in form) or any(not key for key in request.files):
            # a part without a name breaks CSRF and form handling further on
            message = "表单中有未命名的字段（Content-Disposition 缺少 name）"
            problems.append(Problem(message, field="body"))
        problems += _length_problems(form.items(multi=True))
        problems += _filename_problems()
    elif request.is_json and request.get_data(cache=True):
        problems += _json_problems()
    if problems:
        _refuse(400, "请求参数有误", problems)


#: Longest uploaded file name (most file systems' limit).
FILENAME_MAX = 255


def _filename_problems() -> list[Problem]:
    """Uploaded file names: at most :data:`FILENAME_MAX` characters, no control characters
    (a NUL in a name broke every upload route)."""
    problems = []
    for key, upload in request.files.items(multi=True):
        name = upload.filename or ""
        if len(name) > FILENAME_MAX:
            problems.append(Problem(f"文件名过长：最多 {FILENAME_MAX} 个字符", field=key))
        elif any(ord(c) < 32 or ord(c) == 127 for c in name):
            problems.append(Problem("文件名含有控制字符", field=key))
    return problems


def _json_problems() -> list[Problem]:
    """Every JSON body of this app is an object (forms posted as JSON included)."""
    data = request.get_json(silent=True)
    if data is None:
        return [Problem("请求体不是有效的 JSON", field="body")]
    if not isinstance(data, dict):
        return [Problem("请求体应为 JSON 对象", field="body")]
    return json_value_problems(data, "body")


def check_request() -> None:
    """``before_request``: body size, field lengths and, for the JSON API, the parameters and
    body described in the OpenAPI document (see the module's description)."""
    try:
        _check_size()
        _check_fields()
        if request.path.startswith("/api/") and request.url_rule is not None:
            from web.request_schema import check_operation

            check_operation()
    except HTTPException:
        raise
    except ValidationError as exc:
        _refuse(400, exc.title, exc.problems)


def init_app(app: Flask) -> None:
    """Register :func:`check_request` as the app's first ``before_request`` hook (before CSRF
    reads a form) and Flask's own form caps."""
    app.config.setdefault("MAX_FORM_PARTS", FIELDS_MAX)
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)


def json_value_problems(value: Any, field: str, depth: int = 0) -> list[Problem]:
    """Length caps on every string in a JSON value (by its field name) and its nesting."""
    if depth > JSON_DEPTH_MAX:
        return [Problem(f"嵌套过深：最多 {JSON_DEPTH_MAX} 层", field=field)]
    if isinstance(value, str):
        cap = max_length(field)
        if len(value) > cap:
            return [Problem(f"过长：最多 {cap} 个字符，收到 {len(value)} 个", field=field)]
        return []
    if isinstance(value, Mapping):
        problems = []
        for key, item in value.items():
            name = str(key) if depth == 0 else field
            if len(str(key)) > TEXT_MAX:
                problems.append(Problem("键过长", field=field))
            problems += json_value_problems(item, name, depth + 1)
        return problems
    if isinstance(value, list):
        problems = []
        for item in value:
            problems += json_value_problems(item, field, depth + 1)
            if problems:
                break
        return problems
    return []

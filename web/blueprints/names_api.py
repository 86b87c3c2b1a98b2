"""JSON API of the gazetteer: validate, search, pinyin, records, bulk files, officers' lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, request
from shapely.geometry import mapping, shape

from geociv.errors import Problem, ValidationError
from geociv.gazetteer.categories import CATEGORIES, infer_generic, split_generic
from geociv.gazetteer.importer import report_csv, report_xlsx, summary
from geociv.store import NameRecord
from web._helpers import (
    actor,
    division_labels,
    gazetteer,
    name_search,
    require_user_role,
    role_required,
    store,
)
from web.handlers.names import check_upload, heritage_upload
from web.params import bbox_arg, int_arg

bp = Blueprint("names_api", __name__, url_prefix="/api")


def _body(*required: str) -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError(Problem("请求体应为 JSON 对象", field="body"), title="请求有误")
    missing = [k for k in required if not str(data.get(k) or "").strip()]
    if missing:
        raise ValidationError([Problem("必填", field=k) for k in missing], title="请求有误")
    return data


def record_json(rec: NameRecord, *, former: bool = False) -> dict[str, Any]:
    """A name record as a GeoJSON Feature."""
    props = rec.attributes()
    if former:
        props["former_names"] = [
            {"name": f.name, "pinyin": f.pinyin, "valid_to": f.valid_to, "case_id": f.case_id}
            for f in store().former_names(rec.name_id)
        ]
    return {
        "type": "Feature",
        "id": rec.name_id,
        "properties": props,
        "geometry": mapping(rec.geometry) if rec.geometry is not None else None,
    }


@bp.post("/names/validate")
def validate() -> Response:
    """Check one name against every rule (no write; open to any caller)."""
    data = _body("name", "category", "division_code")
    report = gazetteer().check(
        str(data["name"]),
        str(data["category"]),
        str(data["division_code"]),
        pinyin=str(data.get("pinyin") or ""),
    )
    return jsonify(report.to_dict())


@bp.get("/names/search")
def search() -> Response:
    """Ranked search over names, aliases and former names."""
    q = request.args.get("q", "").strip()
    if not q:
        raise ValidationError(Problem("请输入查询内容", field="q"), title="查询参数有误")
    bbox = bbox_arg("bbox")
    limit = int_arg("limit", 20, low=1, high=100)
    searcher = name_search()
    hits = searcher.search(q, within=request.args.get("within") or None, bbox=bbox, limit=limit)
    labels = division_labels(h.division_code for h in hits)
    return jsonify(
        query=q,
        results=[
            {
                "name_id": h.name_id,
                "name": h.name,
                "matched": h.matched,
                "kind": h.kind,
                "how": h.how,
                "score": h.score,
                "category": h.category,
                "category_label": CATEGORIES[h.category].label if h.category in CATEGORIES else "",
                "division_code": h.division_code,
                "division_name": labels.get(h.division_code, ""),
                "pinyin": h.pinyin,
                "bbox": searcher.bounds(h.name_id),
            }
            for h in hits
        ],
    )


@bp.get("/pinyin")
def pinyin() -> Response:
    """Romanise a name by the place-name spelling rules."""
    name = request.args.get("name", "").strip()
    category = request.args.get("category") or None
    if not name:
        raise ValidationError(Problem("请输入地名", field="name"), title="查询参数有误")
    if category is not None and category not in CATEGORIES:
        raise ValidationError(
            Problem(f"未知类别 {category!r}", field="category"), title="查询参数有误"
        )
    inferred = category is None
    if category:
        specific, generic = split_generic(name, category)
    else:
        category, specific, generic = infer_generic(name)
    s = gazetteer().romanizer.spell(
        name, specific=specific or None, generic=generic or None, category=category
    )
    return jsonify(
        name=name,
        category=category,
        category_inferred=inferred,
        specific=specific,
        generic=generic,
        pinyin=s.text,
        toneless=s.toneless,
        initials=s.initials,
        uses_override=s.uses_override,
        polyphonic=list(s.polyphonic),
    )


@bp.get("/names/<name_id>")
def get_name(name_id: str) -> Response:
    """One name record with its former names."""
    rec = store().get_name(name_id)
    if rec is None:
        return jsonify(error=f"未找到地名 {name_id}", problems=[]), 404  # type: ignore[return-value]
    return jsonify(record_json(rec, former=True))


@bp.post("/names")
@role_required("officer")
def add_name() -> Response:
    """Register a name (checked first; errors block unless accepted with reasons)."""
    data = _body("name", "category", "division_code")
    geometry = None
    if data.get("geometry"):
        try:
            geometry = shape(data["geometry"])
        except Exception:  # shapely raises several kinds for bad GeoJSON
            raise ValidationError(
                Problem("geometry 不是有效的 GeoJSON 几何", field="geometry"), title="请求有误"
            ) from None
    rec, report = gazetteer().add(
        str(data["name"]),
        str(data["category"]),
        str(data["division_code"]),
        actor=actor(),
        geometry=geometry,
        status=str(data.get("status") or "proposed"),
        pinyin=data.get("pinyin") or None,
        aliases=data.get("aliases") or (),
        accept=data.get("accept") or None,
    )
    return jsonify(record=record_json(rec), report=report.to_dict()), 201  # type: ignore[return-value]


@bp.post("/names/accept")
@role_required("officer")
def accept() -> Response:
    """Accept a finding on a name with a reason (audited)."""
    data = _body("name", "rule", "reason")
    gazetteer().accept_finding(
        str(data["name"]), str(data["rule"]), reason=str(data["reason"]), actor=actor()
    )
    return jsonify(ok=True)


@bp.post("/names/readings")
@role_required("officer")
def add_reading() -> Response:
    """Add a special reading (word, TONE3 pinyin, note)."""
    data = _body("word", "pinyin")
    gazetteer().add_reading(
        str(data["word"]), str(data["pinyin"]), note=str(data.get("note") or ""), actor=actor()
    )
    return jsonify(ok=True)


@bp.post("/names/terms")
@role_required("officer")
def add_term() -> Response:
    """Add an entry to the person/leader/foreign/brand lists."""
    data = _body("list", "term")
    gazetteer().add_term(
        str(data["list"]), str(data["term"]), note=str(data.get("note") or ""), actor=actor()
    )
    return jsonify(ok=True)


@bp.post("/names/import")
@role_required("officer", "planner", "inspector")
def import_names() -> Response:
    """Check a names file; ``format`` json (default), csv or xlsx; ``save=true`` stores all
    rows as proposed names when none is blocked (officer role)."""
    gaz = gazetteer()
    reports, geometries, filename = check_upload(gaz)
    fmt = request.args.get("format", "json")
    stem = Path(filename).stem
    if fmt == "csv":
        return Response(
            report_csv(reports),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{stem}-检查结果.csv"},
        )
    if fmt == "xlsx":
        return Response(
            report_xlsx(reports),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{stem}-检查结果.xlsx"},
        )
    saved = 0
    if request.args.get("save", "").lower() in ("1", "true", "yes"):
        require_user_role("officer")
        saved = gaz.save_reports(reports, geometries, actor=actor(), source=f"导入：{filename}")
    return jsonify(
        file=filename, summary=summary(reports), saved=saved, reports=[r.to_dict() for r in reports]
    )


@bp.post("/names/heritage")
@role_required("officer")
def import_heritage_levels() -> Response:
    """Set heritage levels from a table (multipart ``file``: CSV or XLSX with columns name,
    division (code or name), heritage level, source), all rows or none."""
    changed, rows, filename = heritage_upload()
    return jsonify(file=filename, rows=rows, changed=[record_json(r) for r in changed])

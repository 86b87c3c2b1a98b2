"""Pages of the joint inspection of boundary lines (界线联检): the map of the jurisdiction's
lines, markers and findings; a line's page; the field entry page for marker and line checks
(made for a phone); a record with its versions and the two sides' sign-off; the round and its
plans; reports; topology QA; exports for GIS and field GPS units.

Writes need the ``inspector`` role and go through :mod:`geociv.boundaries` (audited); the
services decide an inspector's side from their division and refuse what the rules forbid
(a second signature by the same side, an edit of a final record), and the page shows why.
"""

from __future__ import annotations

import tempfile
import warnings
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from geociv.boundaries import exports
from geociv.boundaries.findings import BoundaryFinding, Findings
from geociv.boundaries.markers import Markers
from geociv.boundaries.registry import BoundaryLines
from geociv.boundaries.rounds import LineStatus, Rounds
from geociv.boundaries.topology import check_within
from geociv.changes.cases import DivisionChanges
from geociv.divisions import Divisions
from geociv.errors import Problem, ValidationError
from geociv.labels import (
    LINE_CHANGE_LABELS,
    LINE_LEVEL_LABELS,
    LINE_SOURCE_LABELS,
    MARKER_CONDITION_LABELS,
    MARKER_KIND_LABELS,
    PLAN_KIND_LABELS,
    PLAN_STATUS_LABELS,
    RECORD_KIND_LABELS,
    RECORD_STATUS_LABELS,
    SEVERITY_LABELS,
    SIDE_LABELS,
    TOPOLOGY_KIND_LABELS,
)
from geociv.store import MARKER_CONDITIONS, InspectionPlan, InspectionRecord, Marker
from geociv.uploads.limits import MAX_PHOTO_BYTES
from web._helpers import actor, flash_problems, not_found, role_required, store
from web._uploads import photo_bytes
from web.caching import cached
from web.handlers.boundaries import (
    build_report,
    correct_record,
    create_record,
    division_name,
    get_line,
    get_record,
    import_markers,
    inspections,
    jurisdiction,
    latest_checks,
    report_docx_file,
    report_filename,
    report_html_page,
    side_info,
    sign_record,
    user_side,
)
from web.handlers.files import download
from web.maps import add_labels, interactive_geojson, map_parts, offline_map
from web.maps import map_text as _text

bp = Blueprint("boundaries", __name__, url_prefix="/boundaries")

#: Colour of a line by its level.
LEVEL_COLOURS: dict[str, str] = {
    "provincial": "#6c3483",
    "city": "#1f3a93",
    "county": "#b03a2e",
    "edge": "#7f8c8d",
}

#: Colour of a marker by the condition found at its latest check (``None``: never checked).
CONDITION_COLOURS: dict[str | None, str] = {
    None: "#85929e",
    "intact": "#229954",
    "damaged": "#d68910",
    "buried": "#d68910",
    "illegible": "#d68910",
    "missing": "#c0392b",
    "displaced": "#8e44ad",
}

SEVERITY_COLOURS: dict[str, str] = {"error": "#c0392b", "warning": "#d68910", "notice": "#566573"}

#: County polygons behind the lines: a light fill only (the lines are the borders; the
#: simplified outline would stray from them when zoomed in), outlined on the topology page.
_COUNTY_FILL = {"stroke": False, "fill": True, "fillColor": "#eaecee", "fillOpacity": 0.35}
_COUNTY_OUTLINE = {"color": "#7f8c8d", "weight": 1.5, "fill": True, "fillColor": "#eaecee",
                   "fillOpacity": 0.35}  # fmt: skip

#: Up to this many line changes can be entered on the field page at once.
CHANGE_ROWS = 3


def _sample_tag(sample: bool) -> str:
    return ' <span class="sample">示例</span>' if sample else ""


# -- shared look-ups ----------------------------------------------------------------------------


def _plan_statuses() -> dict[int, LineStatus]:
    """plan id → status, for every plan of every round."""
    rounds = Rounds(store())
    out = {}
    for round_ in rounds.list():
        for status in rounds.status(round_.round_no):
            assert status.plan.plan_id is not None
            out[status.plan.plan_id] = status
    return out


def _current_round_status() -> tuple[Any, dict[str, LineStatus]]:
    """The current round (or ``None``) and line id → the status of its plan in it (the
    regular plan when there are several)."""
    rounds = Rounds(store())
    current = rounds.current()
    by_line: dict[str, LineStatus] = {}
    if current is not None:
        for status in rounds.status(current.round_no):
            if status.plan.kind == "regular" or status.plan.line_id not in by_line:
                by_line[status.plan.line_id] = status
    return current, by_line


#: Display tolerance of the lines on the overview map, in degrees (about 2 m): a pixel or two
#: at the closest zoom. A line's own page draws it unsimplified (markers are judged against it
#: there); stored geometries and every length or report are untouched.
OVERVIEW_TOLERANCE = 0.00002


def _rounded(geometry: Any, digits: int = 6, tolerance: float = 0.0) -> Any:
    """Geometries rounded for display (6 decimals: about 0.1 m), simplified by ``tolerance``
    degrees when it is positive, which keeps the map pages small."""
    if tolerance > 0:
        geometry = shapely.simplify(geometry, tolerance, preserve_topology=True)
    return shapely.transform(geometry, lambda coords: np.round(coords, digits))


def _counties() -> gpd.GeoDataFrame:
    counties = Divisions(store()).frame(parent=jurisdiction(), level="county")
    return counties[counties.geometry.notna()].copy()


def _bounds(*geometries: Any) -> tuple[float, float, float, float]:
    parts = [g for g in geometries if g is not None and not shapely.is_empty(g)]
    if not parts:
        return (73.5, 18.0, 135.0, 53.6)
    minx, miny, maxx, maxy = shapely.total_bounds(parts)
    pad = 0.01
    return (minx - pad, miny - pad, maxx + pad, maxy + pad)


def _base_map(bounds: tuple[float, float, float, float], *, outline: bool = False) -> folium.Map:
    """An offline map fitted to ``bounds`` with the jurisdiction's counties and their names
    underneath (outlined when ``outline``)."""
    from flask import current_app

    m = offline_map(bounds, tianditu_key=current_app.config["TIANDITU_KEY"])
    frame = _counties()
    if len(frame):
        simple = frame.geometry if outline else frame.geometry.simplify(0.0005)
        frame["geometry"] = _rounded(simple.values, 6 if outline else 5)
        style = _COUNTY_OUTLINE if outline else _COUNTY_FILL
        folium.GeoJson(
            frame[["code", "name", "geometry"]].to_json(),
            name="县级行政区",
            style_function=lambda _f: style,
            interactive=False,
        ).add_to(m)
        add_labels(m, frame, below=True)
    return m


def _add_lines(
    m: folium.Map,
    frame: gpd.GeoDataFrame,
    statuses: dict[str, LineStatus],
    tolerance: float = 0.0,
) -> None:
    """Lines in one layer per level, coloured by level; lines on the jurisdiction's edge drawn
    thick and dashed, internal ones thin and solid; simplified by ``tolerance`` degrees for an
    overview.

    Each level is one GeoJSON layer whose features carry their style, tooltip and popup as
    properties: one layer per line would repeat folium's script for every line and make the
    page several times larger.
    """
    features: dict[str, list[dict[str, Any]]] = {}
    for row, geom in zip(frame.drop(columns="geometry").to_dict("records"), frame.geometry,
                         strict=True):  # fmt: skip
        if geom is None:
            continue
        level = row["level"]
        status = statuses.get(row["line_id"])
        state = status.status_label if status else "未列入本轮计划"
        link = _text(url_for("boundaries.line_page", line_id=row["line_id"]))
        where = "辖区内部界线" if row["internal"] else "辖区外界"
        popup = (
            f'<b><a href="{link}">{_text(row["name"])}</a></b>'
            f"{_sample_tag(row['source'] == 'sample')}<br>{_text(row['section'])}<br>"
            f"{LINE_LEVEL_LABELS[level]} · {where} · {float(row['length_km']):,.2f} km<br>"
            f"本轮联检：{_text(state)}"
        )
        features.setdefault(level, []).append({
            "type": "Feature",
            "properties": {
                "tip": f"{row['name']}（{row['section']}）",
                "popup": popup,
                "color": LEVEL_COLOURS[level],
                "weight": 3 if row["internal"] else 5,
                "dash": None if row["internal"] else "10 6",
            },
            "geometry": mapping(_rounded(geom, 6 if tolerance <= 0 else 5, tolerance)),
        })  # fmt: skip
    for level in ("provincial", "city", "county", "edge"):
        if level not in features:
            continue
        group = folium.FeatureGroup(name=f"{LINE_LEVEL_LABELS[level]}界线")
        interactive_geojson(
            {"type": "FeatureCollection", "features": features[level]},
            style_function=lambda f: {
                "color": f["properties"]["color"],
                "weight": f["properties"]["weight"],
                "opacity": 0.9,
                "dashArray": f["properties"]["dash"],
            },
            highlight_function=lambda _f: {"weight": 7},
            tooltip=["tip"],
            tooltip_options={"labels": False},
            popup=["popup"],
            popup_options={"labels": False, "max_width": 320},
            html_fields=["popup"],
        ).add_to(group)
        group.add_to(m)


def _add_markers(m: folium.Map, markers: list[Marker], checks: dict[str, InspectionRecord]) -> None:
    group = folium.FeatureGroup(name="界桩")
    for marker in markers:
        if marker.location is None:
            continue
        check = checks.get(marker.marker_id)
        condition = check.condition if check is not None else None
        colour = CONDITION_COLOURS.get(condition, CONDITION_COLOURS[None])
        if check is None:
            last = "尚未检查"
        else:
            link = _text(url_for("boundaries.record_page", record_id=check.record_id))
            last = (
                f"最近检查 {check.inspected_on}：{MARKER_CONDITION_LABELS.get(condition or '', '')}"
                f'（<a href="{link}">{check.record_id}</a>，'
                f"{RECORD_STATUS_LABELS[check.status]}）"
            )
        line_link = _text(url_for("boundaries.line_page", line_id=marker.line_id))
        popup = (
            f"<b>{_text(marker.marker_id)}</b>{_sample_tag(marker.sample)}<br>"
            f"{MARKER_KIND_LABELS[marker.kind]} · {_text(marker.material or '—')} · "
            f'<a href="{line_link}">所在界线</a><br>{last}'
        )
        folium.CircleMarker(
            [marker.location.y, marker.location.x],
            radius=6,
            color="#1b2631",
            weight=1,
            fill=True,
            fill_color=colour,
            fill_opacity=0.95,
            tooltip=_text(marker.marker_id),
            popup=folium.Popup(popup, max_width=320),
        ).add_to(group)
    group.add_to(m)


def _finding_popup(f: BoundaryFinding) -> str:
    link = ""
    if f.record_id:
        url = _text(url_for("boundaries.record_page", record_id=f.record_id))
        link = f'<br><a href="{url}">联检记录 {_text(f.record_id)}</a>'
    return (
        f'<b class="sev-{f.severity}">{_text(f.title)}</b> '
        f'<small class="tag">{_text(f.rule_id)}</small><br>'
        f"{_text(f.message)}{link}"
    )


def _add_findings(m: folium.Map, found: list[BoundaryFinding]) -> None:
    group = folium.FeatureGroup(name="发现问题")
    for f in found:
        where = f.location
        if where is None or where.is_empty:
            continue
        colour = SEVERITY_COLOURS[f.severity]
        popup = folium.Popup(_finding_popup(f), max_width=340)
        tooltip = _text(f"{f.title}：{f.marker_id or f.line_id}")
        if where.geom_type == "LineString":
            coords = [[y, x] for x, y in where.coords]
            folium.PolyLine(coords, color=colour, weight=3, dash_array="4 4", tooltip=tooltip,
                            popup=popup).add_to(group)  # fmt: skip
            y, x = coords[-1]
            folium.CircleMarker([y, x], radius=5, color=colour, weight=2, fill=True,
                                fill_color="#ffffff", fill_opacity=1, tooltip=tooltip,
                                popup=folium.Popup(_finding_popup(f), max_width=340),
                                ).add_to(group)  # fmt: skip
            continue
        for point in shapely.get_parts(where):
            if point.geom_type != "Point":
                continue
            folium.CircleMarker(
                [point.y, point.x],
                radius=12,
                color=colour,
                weight=3,
                dash_array="3 3",
                fill=False,
                tooltip=tooltip,
                popup=folium.Popup(_finding_popup(f), max_width=340),
            ).add_to(group)
    group.add_to(m)


def _map_context(m: folium.Map) -> dict[str, Any]:
    folium.LayerControl(collapsed=True).add_to(m)
    return {**map_parts(m), "map_name": m.get_name()}


def _finding_spots(found: list[BoundaryFinding]) -> list[tuple[float, float] | None]:
    """Where to centre the map on each finding: ``(lat, lon)`` of the marker, or of the
    measured position of a displaced one."""
    out: list[tuple[float, float] | None] = []
    for f in found:
        where = f.location
        if where is None or where.is_empty:
            out.append(None)
            continue
        if where.geom_type == "LineString":
            x, y = where.coords[-1]
        else:
            point = where.centroid
            x, y = point.x, point.y
        out.append((round(y, 7), round(x, 7)))
    return out


def _finding_groups(found: list[BoundaryFinding]) -> dict[str, list[BoundaryFinding]]:
    out: dict[str, list[BoundaryFinding]] = {}
    for f in found:
        out.setdefault(f.marker_id or "", []).append(f)
    return out


# -- the map of the jurisdiction's lines --------------------------------------------------------


#: Tables the overview map is drawn from (photos are audited under their marker or record).
_MAP_TABLES = ("boundary_lines", "markers", "inspection_records", "inspection_plans",
               "inspection_rounds", "divisions")  # fmt: skip


@bp.get("/")
@login_required
def map_page() -> Any:
    """Lines coloured by level (edge vs internal), markers by their latest condition,
    findings as a layer; the table of lines with their round status; the findings list;
    records waiting for the user's side."""
    code = jurisdiction()
    lines = BoundaryLines(store()).current(parent=code)
    markers = Markers(store()).query(parent=code)
    svc = inspections()
    checks = latest_checks(svc.query(kind="marker"))
    found = Findings(store()).list(parent=code)
    current, statuses = _current_round_status()
    per_line = Counter(m.line_id for m in markers)
    sample_markers = Counter(m.line_id for m in markers if m.sample)
    outline = store().get_division(code)

    def build() -> dict[str, Any]:  # only when the boundary tables changed since
        bounds = _bounds(outline.geometry if outline is not None else None, *lines.geometry)
        m = _base_map(bounds)
        _add_lines(m, lines, statuses, tolerance=OVERVIEW_TOLERANCE)
        _add_markers(m, markers, checks)
        _add_findings(m, found)
        return _map_context(m)

    # the round status follows the date too
    context = cached(f"boundary-map:{code}:{date.today()}", _MAP_TABLES, build)
    pending = svc.pending(actor())
    sample = (
        bool(sample_markers)
        or any(lines["source"] == "sample")
        or any(r.sample for r in checks.values())
    )
    rows = lines.drop(columns="geometry").to_dict("records")
    rows.sort(key=lambda r: ({"provincial": 0, "city": 1, "county": 2}.get(r["level"], 3),
                             r["name"], r["line_id"]))  # fmt: skip
    return render_template(
        "boundaries_map.html",
        jurisdiction=outline,
        lines=rows,
        per_line=per_line,
        sample_markers=sample_markers,
        statuses=statuses,
        current_round=current,
        findings=found,
        spots=_finding_spots(found),
        severity_labels=SEVERITY_LABELS,
        level_labels=LINE_LEVEL_LABELS,
        level_colours=LEVEL_COLOURS,
        condition_colours=CONDITION_COLOURS,
        condition_labels=MARKER_CONDITION_LABELS,
        pending=pending,
        sample=sample,
        total_km=float(lines["length_km"].sum()) if len(lines) else 0.0,
        marker_count=len(markers),
        **context,
    )


@bp.post("/markers/import")
@role_required("inspector")
def markers_import() -> Any:
    """Import a 界桩登记表 from the map page; all rows or none, each problem named."""
    try:
        added = import_markers(request.files.get("file"), request.form)
    except ValidationError as exc:
        flash_problems(exc)
    else:
        flash(f"已导入 {len(added)} 颗界桩", "info")
    return redirect(url_for("boundaries.map_page"))


# -- one line -----------------------------------------------------------------------------------


@bp.get("/lines/<line_id>")
@login_required
def line_page(line_id: str) -> Any:
    """A line: details, versions, markers with their latest check, records with their
    signatures, plans with teams and status, findings, and a map."""
    line = get_line(line_id)
    registry = BoundaryLines(store())
    history = list(reversed(registry.history(line.line_id)))
    markers = Markers(store()).query(line_id=line.line_id, include_retired=True)
    svc = inspections()
    records = svc.query(line_id=line.line_id)
    checks = latest_checks(records)
    found = Findings(store()).list(line_id=line.line_id)
    statuses = _plan_statuses()
    plans = store().query_inspection_plans(line_id=line.line_id)
    m = _base_map(_bounds(line.geometry))
    frame = gpd.GeoDataFrame(
        [{"line_id": line.line_id, "name": line.name, "section": line.section,
          "level": line.level, "internal": line.internal, "length_km": line.length_km,
          "source": line.source}],
        geometry=[line.geometry], crs="EPSG:4490",
    )  # fmt: skip
    _current, by_line = _current_round_status()
    _add_lines(m, frame, by_line)
    _add_markers(m, [mk for mk in markers if mk.status == "active"], checks)
    _add_findings(m, found)
    sides = side_info(line)
    mine = user_side(current_user.user, line)
    surveys = [  # a division change touched the line: it waits for a re-survey (勘界)
        t for t in DivisionChanges(store()).survey_tasks(open_only=True)
        if line.line_id in t.line_ids
    ]  # fmt: skip
    return render_template(
        "boundaries_line.html",
        line=line,
        surveys=surveys,
        today=date.today().isoformat(),
        history=history,
        sides=sides,
        my_side=mine,
        markers=markers,
        checks=checks,
        records=list(reversed(records)),
        plans=plans,
        statuses=statuses,
        findings=found,
        by_marker=_finding_groups(found),
        severity_labels=SEVERITY_LABELS,
        level_labels=LINE_LEVEL_LABELS,
        source_labels=LINE_SOURCE_LABELS,
        kind_labels=MARKER_KIND_LABELS,
        condition_labels=MARKER_CONDITION_LABELS,
        record_kind_labels=RECORD_KIND_LABELS,
        record_status_labels=RECORD_STATUS_LABELS,
        plan_kind_labels=PLAN_KIND_LABELS,
        side_labels=SIDE_LABELS,
        check_plan=by_line[line.line_id].plan.plan_id if line.line_id in by_line else None,
        names=_team_names([s for s in statuses.values() if s.plan.line_id == line.line_id]),
        **_map_context(m),
    )


# -- the field entry page -----------------------------------------------------------------------


def _field_plans() -> tuple[list[InspectionPlan], list[InspectionPlan], dict[str, Any]]:
    """Plans of the current round (all rounds when none is current): those of lines the user
    is a side of, the others, and line id → line."""
    rounds = Rounds(store())
    current = rounds.current()
    plans = (
        rounds.plans(current.round_no) if current is not None else store().query_inspection_plans()
    )
    lines = {}
    for plan in plans:
        if plan.line_id not in lines:
            lines[plan.line_id] = get_line(plan.line_id)
    user = current_user.user
    mine = [p for p in plans if user_side(user, lines[p.line_id]) is not None]
    others = [p for p in plans if p not in mine]
    return mine, others, lines


def _marker_data(markers: list[Marker]) -> dict[str, Any]:
    return {
        m.marker_id: {
            "line": m.line_id,
            "lon": round(m.location.x, 7) if m.location is not None else None,
            "lat": round(m.location.y, 7) if m.location is not None else None,
            "refs": [
                f"{r.description}（{r.bearing_deg:g}°，{r.distance_m:g} 米）" for r in m.references
            ],
            "sample": m.sample,
        }
        for m in markers
    }


def _render_check(posted: dict[str, Any] | None = None, status: int = 200, form: str = "") -> Any:
    mine, others, lines = _field_plans()
    plans = mine + others
    line_ids = {p.line_id for p in plans}
    markers = Markers(store()).query(line_ids=line_ids)
    posted = posted or {}
    plan_id = str(posted.get("plan_id") or request.args.get("plan") or "")
    if not plan_id and len(mine) == 1:
        plan_id = str(mine[0].plan_id)
    marker_id = str(posted.get("marker_id") or request.args.get("marker") or "")
    selected = next((m for m in markers if m.marker_id == marker_id), None)
    today = date.today().isoformat()
    return render_template(
        "boundaries_check.html",
        mine=mine,
        others=others,
        lines=lines,
        markers=markers,
        marker_data=_marker_data(markers),
        selected=selected,
        plan_id=plan_id,
        marker_id=marker_id,
        posted=posted,
        form=form,
        refs_checked=posted.get("ref_ok"),
        conditions=MARKER_CONDITIONS,
        condition_labels=MARKER_CONDITION_LABELS,
        change_labels=LINE_CHANGE_LABELS,
        change_rows=CHANGE_ROWS,
        today=today,
    ), status


def _references(form: Any) -> Any:
    """The reference objects present from the form: one checkbox per registered object
    (``ref_ok`` = its index, ``ref_total`` = how many are registered), else a count."""
    total = (form.get("ref_total") or "").strip()
    if total.isdigit() and int(total) > 0:
        checked = set(form.getlist("ref_ok"))
        return [str(i) in checked for i in range(int(total))]
    return (form.get("references_present") or "").strip() or None


def _after_write(record: InspectionRecord, refused: str | None, asked: bool) -> None:
    if asked and refused is None:
        flash(f"已以本方名义签字（{_signed_by(record)}）", "info")
    elif refused:
        flash(f"未能签字：{refused}", "error")
    if record.is_final:
        flash("双方已签字，记录已确认", "info")
    else:
        waiting = [s for s in ("left", "right") if record.signature(s) is None]
        sides = side_info(get_line(record.line_id))
        names = "、".join(f"{sides[s]['label']}（{sides[s]['name']}）" for s in waiting)
        flash(f"等待 {names} 签字确认", "info")


def _signed_by(record: InspectionRecord) -> str:
    sides = side_info(get_line(record.line_id))
    return "、".join(
        f"{sides[s.side]['label']}{sides[s.side]['name']} {s.username}" for s in record.signatures
    )


@bp.get("/check")
@role_required("inspector")
def check_page() -> Any:
    """The field entry page: a marker check (position from the phone's GPS or typed in,
    condition, reference objects, photo, remarks) and a line check."""
    return _render_check()


@bp.post("/check")
@role_required("inspector")
def check_marker() -> Any:
    """Record a marker check from the field page (and sign for the user's side if asked)."""
    form = request.form
    posted: dict[str, Any] = {k: form.get(k) for k in form if k not in ("csrf_token", "ref_ok")}
    posted["ref_ok"] = form.getlist("ref_ok")
    data = {
        "kind": "marker",
        "plan_id": form.get("plan_id", ""),
        "marker_id": form.get("marker_id", ""),
        "inspected_on": form.get("inspected_on", ""),
        "lon": form.get("lon", ""),
        "lat": form.get("lat", ""),
        "gps_accuracy_m": form.get("gps_accuracy_m", ""),
        "condition": form.get("condition", ""),
        "references_present": _references(form),
        "remarks": form.get("remarks", ""),
        "sign": form.get("sign", ""),
    }
    try:
        record, refused = create_record(data, request.files.get("photo"))
    except ValidationError as exc:
        flash_problems(exc)
        return _render_check(posted, 400, "marker")
    condition = MARKER_CONDITION_LABELS.get(record.condition or "", "")
    flash(f"已记录界桩 {record.marker_id} 的检查：{condition}（记录 {record.record_id}）", "info")
    _after_write(record, refused, bool(data["sign"]))
    return redirect(url_for("boundaries.record_page", record_id=record.record_id))


@bp.post("/check/line")
@role_required("inspector")
def check_line() -> Any:
    """Record a line check (the changes found along the line) from the field page."""
    form = request.form
    posted: dict[str, Any] = {k: form.get(k) for k in form if k != "csrf_token"}
    changes = []
    for i in range(CHANGE_ROWS):
        kind = (form.get(f"change_type_{i}") or "").strip()
        text = (form.get(f"change_text_{i}") or "").strip()
        if kind or text:
            changes.append({"change_type": kind, "description": text})
    data = {
        "kind": "line",
        "plan_id": form.get("line_plan_id", ""),
        "inspected_on": form.get("line_inspected_on", ""),
        "changes": changes,
        "remarks": form.get("line_remarks", ""),
        "sign": form.get("line_sign", ""),
    }
    try:
        record, refused = create_record(data, request.files.get("line_photo"))
    except ValidationError as exc:
        flash_problems(exc)
        return _render_check(posted, 400, "line")
    found = f"{len(record.changes)} 项变化" if record.changes else "未发现变化"
    flash(f"已记录界线检查：{found}（记录 {record.record_id}）", "info")
    _after_write(record, refused, bool(data["sign"]))
    return redirect(url_for("boundaries.record_page", record_id=record.record_id))


# -- one record ---------------------------------------------------------------------------------


def _render_record(record_id: str, status: int = 200, posted: dict[str, Any] | None = None) -> Any:
    record = get_record(record_id)
    svc = inspections()
    line = get_line(record.line_id)
    versions = list(reversed(svc.versions(record.record_id)))
    marker = store().get_marker(record.marker_id) if record.marker_id else None
    plan = store().get_inspection_plan(record.plan_id)
    sides = side_info(line)
    mine = user_side(current_user.user, line)
    found = [
        f for f in Findings(store()).list(line_id=line.line_id) if f.record_id == record.record_id
    ]
    return render_template(
        "boundaries_record.html",
        record=record,
        versions=versions,
        line=line,
        marker=marker,
        plan=plan,
        sides=sides,
        my_side=mine,
        photos=svc.photos(record.record_id),
        findings=found,
        posted=posted or {},
        severity_labels=SEVERITY_LABELS,
        condition_labels=MARKER_CONDITION_LABELS,
        conditions=MARKER_CONDITIONS,
        change_labels=LINE_CHANGE_LABELS,
        record_kind_labels=RECORD_KIND_LABELS,
        record_status_labels=RECORD_STATUS_LABELS,
        side_labels=SIDE_LABELS,
        distance=_distance(marker, record),
        today=date.today().isoformat(),
        zip=zip,
    ), status


def _distance(marker: Marker | None, record: InspectionRecord) -> float | None:
    from geociv.boundaries.markers import distance_m

    if marker is None or marker.location is None or record.measured is None:
        return None
    return distance_m(marker.location, record.measured)


@bp.get("/records/<record_id>")
@login_required
def record_page(record_id: str) -> Any:
    """A record: its latest version, every earlier one, both sides' signatures, the sign
    button and the correction form."""
    return _render_record(record_id)


@bp.post("/records/<record_id>/sign")
@role_required("inspector")
def sign(record_id: str) -> Any:
    """Sign for the logged-in inspector's side; refused with the reason when it is not their
    line, their side has signed, or the record changed since it was read."""
    try:
        signed = sign_record(record_id, request.form)
    except ValidationError as exc:
        flash_problems(exc)
        return _render_record(record_id, 400)
    flash(f"已签字：{_signed_by(signed)}", "info")
    if signed.is_final:
        flash(f"双方已签字，联检记录 {signed.record_id} 第 {signed.version} 版已确认", "info")
    return redirect(url_for("boundaries.record_page", record_id=signed.record_id))


def _correction(record: InspectionRecord, form: Any) -> dict[str, Any]:
    """The fields of the correction form that differ from the record."""
    data: dict[str, Any] = {"reason": form.get("reason", "")}

    def given(key: str) -> str:
        return (form.get(key) or "").strip()

    if given("inspected_on") and given("inspected_on") != record.inspected_on:
        data["inspected_on"] = given("inspected_on")
    if given("remarks") != record.remarks:
        data["remarks"] = given("remarks")
    if record.kind == "marker":
        if given("condition") and given("condition") != record.condition:
            data["condition"] = given("condition")
        old = (
            (f"{record.measured.x:.7f}", f"{record.measured.y:.7f}")
            if record.measured is not None
            else ("", "")
        )
        lon, lat = given("lon"), given("lat")
        try:
            new = (f"{float(lon):.7f}", f"{float(lat):.7f}") if lon and lat else (lon, lat)
        except ValueError:
            new = (lon, lat)
        if new != old:
            data["lon"], data["lat"] = lon, lat
        accuracy = given("gps_accuracy_m")
        before = "" if record.gps_accuracy_m is None else f"{record.gps_accuracy_m:g}"
        try:
            changed = accuracy != before and (not accuracy or float(accuracy) != float(before))
        except ValueError:
            changed = True
        if changed:
            data["gps_accuracy_m"] = accuracy
        refs = given("references_present")
        if refs != ("" if record.references_present is None else str(record.references_present)):
            data["references_present"] = refs or None
    return data


@bp.post("/records/<record_id>/correct")
@role_required("inspector")
def correct(record_id: str) -> Any:
    """Correct a record: in place before any signature, a new version after one; a final
    record is refused."""
    record = get_record(record_id)
    posted = {k: request.form.get(k) for k in request.form if k != "csrf_token"}
    try:
        corrected = correct_record(record.record_id, _correction(record, request.form))
    except ValidationError as exc:
        flash_problems(exc)
        return _render_record(record_id, 400, posted)
    if corrected.version > record.version:
        flash(
            f"已更正为第 {corrected.version} 版；第 {record.version} 版及其签字保留为“已被更正”，"
            "新版本须双方重新签字",
            "info",
        )
    else:
        flash("已更正（尚无签字，直接修改，审计日志保留原值）", "info")
    return redirect(url_for("boundaries.record_page", record_id=corrected.record_id))


@bp.post("/records/<record_id>/photos")
@role_required("inspector")
def add_photo(record_id: str) -> Any:
    """Add a photo to a record (photos add evidence, they never change what was signed)."""
    record = get_record(record_id)
    upload = request.files.get("photo")
    try:
        found = photo_bytes(upload, limit=MAX_PHOTO_BYTES)
        if found is None:
            raise ValidationError(Problem("请选择照片", field="photo"), title="照片有误")
        inspections().add_photo(
            record.record_id, found[0], found[1], actor=actor(),
            note=request.form.get("note", ""),
        )  # fmt: skip
    except ValidationError as exc:
        flash_problems(exc)
        return _render_record(record_id, 400)
    flash("已添加照片", "info")
    return redirect(url_for("boundaries.record_page", record_id=record.record_id))


@bp.get("/records/<record_id>/photos/<int:photo_id>")
@login_required
def photo(record_id: str, photo_id: int) -> Response:
    """A photo of a record (shown in place); ``?size=thumb`` gives its stored thumbnail."""
    record = get_record(record_id)
    found = store().get_boundary_photo(photo_id)
    if (
        found is None
        or found.owner != "inspection"
        or found.owner_key != record.record_id
        or found.content is None
    ):
        not_found(f"联检记录 {record.record_id} 没有照片 {photo_id}")
    if request.args.get("size") == "thumb":
        small = store().boundary_photo_thumbnail(photo_id)
        if small is not None:
            return download(small, f"{Path(found.filename).stem}-缩略图.jpg", inline=True)
    return download(found.content, found.filename, inline=True)


# -- rounds and plans ---------------------------------------------------------------------------


@bp.get("/rounds")
@login_required
def rounds_page() -> Any:
    """A round (default the current one): the plans of each year with teams and status
    (overdue highlighted) and the lines not yet inspected in it."""
    rounds = Rounds(store())
    every = rounds.list()
    current = rounds.current()
    asked = (request.args.get("round") or "").strip()
    chosen = None
    if asked:
        if not asked.isdigit():
            not_found(f"未找到第 {asked} 轮联检")
        chosen = next((r for r in every if r.round_no == int(asked)), None)
        if chosen is None:
            not_found(f"未找到第 {asked} 轮联检")
    chosen = chosen or current or (every[-1] if every else None)
    statuses: list[LineStatus] = []
    pending_lines: list[dict[str, Any]] = []
    if chosen is not None:
        statuses = rounds.status(chosen.round_no)
        frame = rounds.not_inspected(chosen.round_no, parent=jurisdiction())
        pending_lines = frame.drop(columns="geometry").to_dict("records")
        for row in pending_lines:
            year = row["planned_year"]
            row["planned_year"] = int(year) if year is not None and year == year else None
    by_year: dict[int, list[LineStatus]] = {}
    for s in statuses:
        by_year.setdefault(s.plan.year, []).append(s)
    counts = Counter(s.status for s in statuses)
    return render_template(
        "boundaries_rounds.html",
        rounds=every,
        chosen=chosen,
        current=current,
        by_year=by_year,
        counts=counts,
        pending_lines=pending_lines,
        status_labels=PLAN_STATUS_LABELS,
        plan_kind_labels=PLAN_KIND_LABELS,
        level_labels=LINE_LEVEL_LABELS,
        names=_team_names(statuses),
        this_year=date.today().year,
    )


def _members(text: str) -> list[str]:
    return [m.strip() for m in text.replace("，", ",").replace("、", ",").split(",") if m.strip()]


@bp.post("/rounds/open")
@role_required("inspector")
def open_round() -> Any:
    """Open the 5-year round that a year falls in (default this year)."""
    raw = (request.form.get("year") or str(date.today().year)).strip()
    if not raw.isdigit():
        flash("年份应为数字", "error")
        return redirect(url_for("boundaries.rounds_page")), 302
    opened = Rounds(store()).open_for_year(int(raw), actor=actor())
    flash(f"已开启{opened.title}", "info")
    return redirect(url_for("boundaries.rounds_page", round=opened.round_no))


@bp.post("/rounds/<int:round_no>/plans")
@role_required("inspector")
def add_plan(round_no: int) -> Any:
    """Plan a line's joint inspection in a year of the round, with a team for each side."""
    form = request.form
    line_id = (form.get("line_id") or "").strip()
    try:
        year = _year(form.get("year"))
        line = BoundaryLines(store()).get(line_id)
        Rounds(store()).plan(
            round_no, line.line_id, year,
            left_team=(line.left_code, _members(form.get("left_team", ""))),
            right_team=(line.right_code, _members(form.get("right_team", ""))),
            kind=form.get("kind") or "regular", note=form.get("note", ""), actor=actor(),
        )  # fmt: skip
        flash(f"已安排 {line.name}（{line.section}）{year} 年联检", "info")
    except ValidationError as exc:
        flash_problems(exc)
        return redirect(url_for("boundaries.rounds_page", round=round_no)), 302
    except (LookupError, ValueError) as exc:
        flash(f"无法安排计划：{exc}", "error")
    return redirect(url_for("boundaries.rounds_page", round=round_no))


def _year(text: str | None) -> int:
    """A year typed in a form; a problem naming ``year`` when it is not a number."""
    text = (text or "").strip()
    if not text.isdigit():
        message = f"应为数字，收到“{text}”" if text else "请填写年度"
        raise ValidationError(Problem(message, field="year"))
    return int(text)


def _team_names(statuses: list[LineStatus]) -> dict[str, str]:
    codes = {s.plan.left_team.code for s in statuses} | {s.plan.right_team.code for s in statuses}
    return {c: division_name(c) for c in codes}


# -- reports ------------------------------------------------------------------------------------


@bp.get("/reports")
@login_required
def reports_page() -> Any:
    """Pick a year or a round; links to the printable report and the Word download."""
    rounds = Rounds(store()).list()
    years = sorted({y for r in rounds for y in range(r.first_year, r.last_year + 1)})
    this_year = date.today().year
    year_text = (request.args.get("year") or "").strip()
    round_text = (request.args.get("round") or "").strip()
    if year_text.isdigit():
        return redirect(url_for("boundaries.annual_report", year=int(year_text)))
    if round_text.isdigit():
        return redirect(url_for("boundaries.round_report", round_no=int(round_text)))
    return render_template(
        "boundaries_reports.html",
        rounds=rounds,
        years=[y for y in years if y <= this_year] or [this_year],
        this_year=this_year,
        current=Rounds(store()).current(),
    )


def _report(kind: str, number: int) -> Any:
    try:
        return build_report(kind, number, jurisdiction())
    except LookupError as exc:
        not_found(str(exc.args[0] if exc.args else exc))


@bp.get("/reports/annual/<int:year>")
@login_required
def annual_report(year: int) -> Response:
    """The printable annual report (A4 page with its map)."""
    return Response(report_html_page(_report("annual", year)), mimetype="text/html")


@bp.get("/reports/annual/<int:year>.docx")
@login_required
def annual_report_docx(year: int) -> Response:
    """The annual report as a Word document."""
    return report_docx_file(_report("annual", year), report_filename("annual", year) + ".docx")


@bp.get("/reports/round/<int:round_no>")
@login_required
def round_report(round_no: int) -> Response:
    """The printable round report."""
    return Response(report_html_page(_report("round", round_no)), mimetype="text/html")


@bp.get("/reports/round/<int:round_no>.docx")
@login_required
def round_report_docx(round_no: int) -> Response:
    """The round report as a Word document."""
    name = report_filename("round", round_no) + ".docx"
    return report_docx_file(_report("round", round_no), name)


# -- topology QA --------------------------------------------------------------------------------


@bp.get("/topology")
@login_required
def topology_page() -> Any:
    """Topology QA of the jurisdiction's county polygons: issues and holes on a map and in a
    table."""
    counties = _counties()
    report = check_within(Divisions(store()), jurisdiction(), units=counties)
    m = _base_map(_bounds(*list(counties.geometry)), outline=True)
    names = dict(zip(counties["code"], counties["name"], strict=True))
    layers = (("拓扑问题", report.issues, "#c0392b"),
              (TOPOLOGY_KIND_LABELS["hole"], report.holes, "#d68910"))  # fmt: skip
    for label, items, colour in layers:
        group = folium.FeatureGroup(name=label)
        for issue in items:
            text = f"{TOPOLOGY_KIND_LABELS[issue.kind]}：{issue.message}"
            _issue_layer(issue.geometry, colour, text).add_to(group)
        group.add_to(m)
    return render_template(
        "boundaries_topology.html",
        report=report,
        names=names,
        kind_labels=TOPOLOGY_KIND_LABELS,
        **_map_context(m),
    )


def _issue_layer(geometry: BaseGeometry, colour: str, message: str) -> Any:
    if geometry.geom_type == "Point":
        return folium.CircleMarker([geometry.y, geometry.x], radius=9, color=colour, weight=3,
                                   fill=False, tooltip=_text(message))  # fmt: skip
    style = {"color": colour, "weight": 3, "fillColor": colour, "fillOpacity": 0.5}
    return folium.GeoJson(
        {"type": "Feature", "properties": {}, "geometry": mapping(geometry)},
        style_function=lambda _f: style,
        tooltip=_text(message),
    )


# -- exports ------------------------------------------------------------------------------------

_EXPORTS = {
    "gpkg": (exports.write_gpkg, "gpkg"),
    "shp": (exports.write_shapefiles, "zip"),
    "kml": (exports.write_kml, "kml"),
    "gpx": (exports.write_gpx, "gpx"),
}


def export_frames(parent: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The current lines and the active markers of ``parent`` as export layers."""
    lines = BoundaryLines(store()).current(parent=parent)
    lines["internal"] = lines["internal"].astype(int)
    markers = Markers(store()).frame(parent=parent).rename(columns={"marker_id": "number"})
    markers["sample"] = markers["sample"].astype(int)
    markers = markers.set_crs("EPSG:4490", allow_override=True)
    return lines, markers


@bp.get("/export.<fmt>")
@login_required
def export(fmt: str) -> Response:
    """Lines and markers of the jurisdiction as GeoPackage, zipped Shapefile, KML or GPX."""
    if fmt not in _EXPORTS:
        not_found(f"不支持的导出格式 {fmt}；可用：{'、'.join(exports.FORMATS)}")
    writer, suffix = _EXPORTS[fmt]
    lines, markers = export_frames(jurisdiction())
    stem = f"boundaries-{jurisdiction()}"
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        # Shapefile field names are cut to 10 characters, as the format requires
        warnings.filterwarnings("ignore", "Normalized/laundered field name", RuntimeWarning)
        path = writer(lines, markers, Path(tmp) / f"{stem}.{suffix}")
        content = path.read_bytes()
    filename = f"{stem}-shp.zip" if fmt == "shp" else f"{stem}.{suffix}"
    return download(content, filename)

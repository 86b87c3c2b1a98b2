"""Pages for place-name signs (地名标志): the list with its rule 8 findings and a map, the
register form, a sign's page with its patrols (巡检), a patrol form and status changes."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import folium
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from geociv.auth import has_role
from geociv.divisions import Divisions
from geociv.errors import ValidationError
from geociv.gazetteer.rules import RULES, Finding
from geociv.gazetteer.signs import PATROL_DAYS, SIGN_RULES
from geociv.labels import (
    PATROL_CONDITION_LABELS,
    SEVERITY_LABELS,
    SIGN_STATUS_LABELS,
    SIGN_TYPE_LABELS,
)
from geociv.store import Sign
from web._helpers import (
    actor,
    fields_renamed,
    flash_problems,
    not_found,
    role_required,
    signs,
    store,
)
from web.handlers.cases import RENAMED, findings_by_sign, get_sign, record_patrol, register_sign
from web.handlers.files import download
from web.maps import add_labels, map_parts, offline_map
from web.maps import map_text as _text
from web.words import finding_html

bp = Blueprint("signs", __name__, url_prefix="/signs")

#: Sign type suggested for a name record's category when it is picked.
TYPE_FOR_CATEGORY: dict[str, str] = {
    "road": "road",
    "village": "village",
    "natural_village": "village",
    "mountain": "natural",
    "river": "natural",
    "lake": "natural",
}

_COUNTY_STYLE = {"color": "#7f8c8d", "weight": 1, "fill": False}
_COLOURS = {"warning": "#c0392b", "notice": "#d68910", None: "#229954"}


@bp.app_template_filter("sign_message")
def short_message(finding: Finding) -> str:
    """A sign finding's message without its subject (``标志 S000001（地名记录 …）：``), for
    tables that already show the sign and its record."""
    prefix = f"标志 {finding.related[0]}（" if finding.related else "\0"
    if finding.message.startswith(prefix) and "）：" in finding.message:
        return finding.message.split("）：", 1)[1]
    return finding.message


def _worst(findings: list[Finding]) -> str | None:
    severities = {f.severity for f in findings}
    return next((s for s in ("error", "warning", "notice") if s in severities), None)


def _counties() -> Any:
    code = current_app.config["JURISDICTION"]
    counties = Divisions(store()).frame(parent=code, level="county")
    counties = counties[counties.geometry.notna()].copy()
    # background only: ~100 m simplification keeps the page small
    counties["geometry"] = counties.geometry.simplify(0.001, preserve_topology=True)
    return counties


def _base_map(points: list[Sign]) -> folium.Map:
    """An offline map with the county outlines, fitted to ``points`` (or the jurisdiction)."""
    counties = _counties()
    located = [s.location for s in points if s.location is not None]
    if located:
        # the signs and the whole of every county they stand in, for context
        xs, ys = [p.x for p in located], [p.y for p in located]
        for geom in counties.geometry:
            if any(geom.covers(p) for p in located):
                minx, miny, maxx, maxy = geom.bounds
                xs += [minx, maxx]
                ys += [miny, maxy]
        pad = 0.01
        bounds = (min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad)
    elif len(counties):
        bounds = tuple(float(v) for v in counties.total_bounds)
    else:
        bounds = (73.5, 18.0, 135.0, 53.6)
    m = offline_map(bounds, tianditu_key=current_app.config["TIANDITU_KEY"])  # type: ignore[arg-type]
    if len(counties):
        folium.GeoJson(
            counties[["code", "name", "geometry"]].to_json(),
            name="县级行政区",
            style_function=lambda _f: _COUNTY_STYLE,
            interactive=False,
        ).add_to(m)
        add_labels(m, counties, below=True)
    return m


def _signs_map(shown: list[Sign], by_sign: dict[str, list[Finding]]) -> dict[str, Any]:
    """The map of the signs in service or damaged, coloured by their worst finding."""
    points = [s for s in shown if s.status != "removed" and s.location is not None]
    m = _base_map(points)
    group = folium.FeatureGroup(name="地名标志")
    for s in points:
        found = by_sign.get(s.sign_id, [])
        colour = _COLOURS.get(_worst(found), _COLOURS["warning"])
        lines = "".join(
            f'<div>{_text(short_message(f))} <small class="tag">{_text(f.rule_id)}</small></div>'
            for f in found
        )
        link = _text(url_for("signs.sign_page", sign_id=s.sign_id))
        popup = (
            f'<b><a href="{link}">{_text(s.sign_id)}</a> {_text(s.text)}</b><br>{_text(s.pinyin)}'
            f"<br>{SIGN_TYPE_LABELS[s.sign_type]} · {SIGN_STATUS_LABELS[s.status]}{lines}"
        )
        folium.CircleMarker(
            [s.location.y, s.location.x],  # type: ignore[union-attr]
            radius=7,
            color="#1b2631",
            weight=1,
            fill=True,
            fill_color=colour,
            fill_opacity=0.9,
            tooltip=_text(f"{s.sign_id} {s.text}"),
            popup=folium.Popup(popup, max_width=340),
        ).add_to(group)
    group.add_to(m)
    return _map_context(m)


def _map_context(m: folium.Map) -> dict[str, Any]:
    folium.LayerControl(collapsed=True).add_to(m)
    return {**map_parts(m), "map_name": m.get_name()}


@bp.get("/")
@login_required
def list_page() -> Any:
    """Every sign with its findings (text, pinyin, patrol), the last patrol and a map."""
    svc = signs()
    shown = svc.query()
    findings = svc.findings()
    by_sign = findings_by_sign(findings)
    last: dict[str, str] = {}
    for p in svc.patrols():
        last[p.sign_id] = max(last.get(p.sign_id, ""), p.patrolled_on)
    records = {s.name_id: store().get_name(s.name_id) for s in shown}
    return render_template(
        "signs_list.html",
        signs=shown,
        by_sign=by_sign,
        counts=Counter(f.rule_id for f in findings),
        sign_rules=list(SIGN_RULES),
        rules=SIGN_RULES,
        last=last,
        records=records,
        patrol_days=PATROL_DAYS,
        type_labels=SIGN_TYPE_LABELS,
        status_labels=SIGN_STATUS_LABELS,
        severity_labels=SEVERITY_LABELS,
        **_signs_map(shown, by_sign),
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required("officer")
def new() -> Any:
    """Register a sign: the name record (search box), type, the text and pinyin it shows
    (prefilled from the record), its position in CGCS2000 and its installation."""
    status = 200
    posted: dict[str, str] = {}
    if request.method == "POST":
        posted = {k: v for k, v in request.form.items() if k != "csrf_token"}
        try:
            sign = register_sign(posted)
        except ValidationError as exc:
            flash_problems(exc)
            status = 400
        else:
            found = signs().findings(sign_id=sign.sign_id)
            flash(f"已登记地名标志 {sign.sign_id}（{sign.text}）", "info")
            for f in found:
                if f.rule_id != "N8-SIGN-PATROL":
                    flash(finding_html(f.message, f.rule_id), "error")
            return redirect(url_for("signs.sign_page", sign_id=sign.sign_id))
    picked = store().get_name(posted["name_id"].strip()) if posted.get("name_id") else None
    return render_template(
        "signs_new.html",
        posted=posted,
        picked=picked,
        type_labels=SIGN_TYPE_LABELS,
        type_for_category=TYPE_FOR_CATEGORY,
        today=date.today().isoformat(),
        **_map_context(_base_map([])),
    ), status


def _patrol_map(sign: Sign, found: list[Finding]) -> dict[str, Any]:
    """The map of the patrol form (the sign in its county), for an officer only."""
    if sign.status == "removed" or not has_role(current_user.user, "officer"):
        return {}
    return _signs_map([sign], {sign.sign_id: found})


def _render_sign(sign_id: str, status: int = 200) -> Any:
    svc = signs()
    sign = get_sign(sign_id)
    found = svc.findings(sign_id=sign.sign_id)
    return render_template(
        "signs_sign.html",
        sign=sign,
        record=store().get_name(sign.name_id),
        findings=found,
        patrols=list(reversed(svc.patrols(sign.sign_id))),
        rules=RULES,
        patrol_days=PATROL_DAYS,
        type_labels=SIGN_TYPE_LABELS,
        status_labels=SIGN_STATUS_LABELS,
        condition_labels=PATROL_CONDITION_LABELS,
        severity_labels=SEVERITY_LABELS,
        today=date.today().isoformat(),
        **_patrol_map(sign, found),
    ), status


@bp.get("/<sign_id>")
@login_required
def sign_page(sign_id: str) -> Any:
    """One sign: what it shows against its name record, findings, patrol history."""
    return _render_sign(sign_id)


@bp.post("/<sign_id>/patrols")
@role_required("officer")
def patrol(sign_id: str) -> Any:
    """Record a patrol (date, condition, remarks, optional photo)."""
    before = get_sign(sign_id).status
    try:
        done = record_patrol(sign_id, request.form, request.files.get("photo"))
    except ValidationError as exc:
        flash_problems(exc)
        return _render_sign(sign_id, 400)
    flash(f"已记录 {done.patrolled_on} 的巡检：{PATROL_CONDITION_LABELS[done.condition]}", "info")
    after = get_sign(sign_id).status
    if after != before:
        flash(f"地名标志 {done.sign_id} 状态已改为“{SIGN_STATUS_LABELS[after]}”", "info")
    return redirect(url_for("signs.sign_page", sign_id=done.sign_id))


@bp.post("/<sign_id>/status")
@role_required("officer")
def set_status(sign_id: str) -> Any:
    """Mark a sign in service, damaged or removed (nothing is deleted)."""
    sign = get_sign(sign_id)
    try:
        with fields_renamed(**RENAMED):
            changed = signs().set_status(
                sign.sign_id,
                request.form.get("status", ""),
                actor=actor(),
                remarks=request.form.get("remarks", ""),
            )
    except ValidationError as exc:
        flash_problems(exc)
        return _render_sign(sign_id, 400)
    flash(f"地名标志 {changed.sign_id} 状态已改为“{SIGN_STATUS_LABELS[changed.status]}”", "info")
    return redirect(url_for("signs.sign_page", sign_id=changed.sign_id))


@bp.get("/<sign_id>/patrols/<int:patrol_id>/photo")
@login_required
def photo(sign_id: str, patrol_id: int) -> Response:
    """The photo taken at a patrol; ``?size=thumb`` gives its stored thumbnail."""
    sign = get_sign(sign_id)
    for p in signs().patrols(sign.sign_id, with_photo=True):
        if p.id == patrol_id and p.photo is not None:
            name = p.photo_filename or f"patrol-{patrol_id}.jpg"
            small = (
                store().patrol_thumbnail(patrol_id) if request.args.get("size") == "thumb" else None
            )
            if small is not None:
                return download(small, f"{Path(name).stem}-缩略图.jpg", inline=True)
            return download(p.photo, name, inline=True)
    not_found(f"地名标志 {sign.sign_id} 的巡检 {patrol_id} 没有照片")

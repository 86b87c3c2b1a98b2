"""The home page: the jurisdiction's map, today or as of a day (``?date=YYYY-MM-DD``).

Today's figures and map are cached until the divisions change (:func:`web.caching.cached`);
a view as of another day is built per request and never cached, so it cannot stand in for
today's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_login import login_required

from geociv.divisions import Divisions, to_frame
from geociv.errors import Problem, ValidationError
from geociv.fields import as_day
from geociv.labels import LEVEL_LABELS
from geociv.store import Division
from web._helpers import flash_problems, store
from web.caching import cached
from web.maps import division_map, map_parts

bp = Blueprint("home", __name__)


def _day_arg() -> tuple[str | None, list[Problem]]:
    """The ``date`` query argument as an ISO day (``None``: today), or its problem."""
    text = request.args.get("date", "").strip()
    if not text or text == date.today().isoformat():
        return None, []
    try:
        return as_day(text).isoformat(), []
    except ValueError as exc:
        return None, [Problem(str(exc), field="date")]


@bp.get("/")
@login_required
def index() -> Any:
    """Map of the jurisdiction: city outline, county polygons with labels and popups, the
    figures per level and the townships in force on the chosen day (default today)."""
    code = current_app.config["JURISDICTION"]
    day, problems = _day_arg()
    if problems:
        flash_problems(ValidationError(problems, title="日期有误，已显示今天的区划"))
    if day is None:
        summary = cached(f"home-summary:{code}", ("divisions",), lambda: _summary(code))
        context = cached(f"home-map:{code}", ("divisions",), lambda: _map(code, summary))
    else:
        summary = _summary(code, day)
        context = _map(code, summary)
    return render_template(
        "index.html",
        level_labels=LEVEL_LABELS,
        day=day or date.today().isoformat(),
        as_of=day is not None,
        today=date.today().isoformat(),
        **summary,
        **context,
    ), (400 if problems else 200)


def _map(code: str, summary: dict[str, Any]) -> dict[str, Any]:
    """The rendered map of the summary's counties (those with a polygon)."""
    jurisdiction = summary["jurisdiction"]
    city = to_frame([jurisdiction] if jurisdiction.geometry is not None else [])
    shapes = to_frame([c for c in summary["counties"] if c.geometry is not None])
    key = current_app.config["TIANDITU_KEY"]
    return map_parts(division_map(city, shapes, tianditu_key=key))


def _summary(code: str, day: str | None = None) -> dict[str, Any]:
    """The jurisdiction, its counties, the number of divisions per level and its townships
    by county, in force today or on ``day`` (then each township gone or renamed since is
    marked with today's state)."""
    divisions = Divisions(store())
    prefix = code.rstrip("0") if len(code) == 6 else code

    def query(level: str | None, on: str | None, geometry: bool = False) -> list[Division]:
        return [d for d in store().query_divisions(
            within=prefix, level=level, on=on, include_statistical=False, with_geometry=geometry,
        ) if d.code != code]  # fmt: skip

    if day is None:
        found = divisions.counts(code, include_statistical=False)
        towns = query("township", None)
    else:
        every = query(None, day)
        found = Counter(d.level for d in every)
        towns = [d for d in every if d.level == "township"]
    counties = query("county", day, geometry=True)
    if day is not None:
        counties = _with_polygons(counties, {d.code: d for d in query("county", None, True)})
    return {
        "jurisdiction": divisions.get(code),
        "counties": counties,
        "counts": {level: found.get(level, 0) for level in ("county", "township", "village")},
        "townships": _townships(towns, counties, query("township", None) if day else None),
    }


def _with_polygons(counties: list[Division], now: dict[str, Division]) -> list[Division]:
    """The counties with polygons: a version of an earlier day has none, the code's current
    polygon stands in while the code has one."""
    out = []
    for county in counties:
        current = now.get(county.code)
        if county.geometry is None and current is not None and current.geometry is not None:
            county = replace(county, geometry=current.geometry, area_km2=current.area_km2)
        out.append(county)
    return out


def _townships(
    towns: list[Division], counties: list[Division], now: list[Division] | None
) -> list[dict[str, Any]]:
    """Townships grouped by county: ``{"code", "county", "rows": [(division, note)],
    "changed"}``; with ``now`` (today's townships, for a view of an earlier day) ``note`` says
    what became of a township since (撤销, or its name today)."""
    today = {d.code: d for d in now} if now is not None else None
    names = {d.code: d.name for d in counties}
    groups: dict[str, list[tuple[Division, str]]] = {}
    for town in towns:
        note = ""
        if today is not None:
            current = today.get(town.code)
            note = "已撤销" if current is None else (
                f"现名 {current.name}" if current.name != town.name else "")  # fmt: skip
        groups.setdefault(town.parent_code or "", []).append((town, note))
    return [{"code": c, "county": names.get(c, c), "rows": rows,
             "changed": any(n for _, n in rows)} for c, rows in sorted(groups.items())]  # fmt: skip

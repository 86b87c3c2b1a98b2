"""The home page: the jurisdiction's map."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from flask_login import login_required

from geociv.divisions import Divisions, to_frame
from geociv.labels import LEVEL_LABELS
from web._helpers import store
from web.caching import cached
from web.maps import division_map, map_parts

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> Any:
    """Map of the jurisdiction: city outline, county polygons with labels and popups."""
    code = current_app.config["JURISDICTION"]
    key = current_app.config["TIANDITU_KEY"]
    summary = cached(f"home-summary:{code}", ("divisions",), lambda: _summary(code))

    def build() -> dict[str, Any]:  # only when divisions changed since the last render
        divisions = Divisions(store())
        jurisdiction = summary["jurisdiction"]
        city = to_frame([jurisdiction] if jurisdiction.geometry is not None else [])
        shapes = divisions.frame(parent=code, level="county")
        return map_parts(division_map(city, shapes, tianditu_key=key))

    context = cached(f"home-map:{code}", ("divisions",), build)
    return render_template("index.html", level_labels=LEVEL_LABELS, **summary, **context)


def _summary(code: str) -> dict[str, Any]:
    """The jurisdiction, its counties and the number of divisions per level: read once per
    change of the divisions, not per request."""
    divisions = Divisions(store())
    found = divisions.counts(code, include_statistical=False)
    return {
        "jurisdiction": divisions.get(code),
        "counties": divisions.children(code, level="county", include_statistical=False),
        "counts": {level: found.get(level, 0) for level in ("county", "township", "village")},
    }

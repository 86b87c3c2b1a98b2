"""The planner's map page (规划人员): 15-minute service circles, gaps, suggested sites.

The page is a Leaflet map drawn in the browser (``static/coverage.js``) from the JSON API in
:mod:`web.blueprints.coverage_api`; computations run as background jobs with a progress bar.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from geociv.auth import has_role
from geociv.labels import FACILITY_TYPE_LABELS
from web._helpers import role_required, store
from web.handlers.coverage import CRS_CHOICES, READERS

bp = Blueprint("coverage", __name__, url_prefix="/coverage")


@bp.get("/")
@role_required(*READERS)
def map_page() -> Any:
    """The planner's coverage map."""
    code = current_app.config["JURISDICTION"]
    divisions = [
        d
        for d in store().query_divisions(parent=code, level="county", with_geometry=False)
        if d.kind == "statutory"
    ]
    return render_template(
        "coverage_map.html",
        can_write=has_role(current_user.user, "planner"),
        divisions=divisions,
        type_labels=FACILITY_TYPE_LABELS,
        crs_choices=CRS_CHOICES,
    )

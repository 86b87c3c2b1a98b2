"""Third-party map assets (Leaflet, jQuery, Font Awesome) served from pip-installed XStatic
packages, so maps work on networks with no access to public CDNs."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from flask import Blueprint, abort, send_from_directory
from werkzeug.wrappers import Response

bp = Blueprint("vendor", __name__, url_prefix="/vendor")

#: URL name → XStatic module.
PACKAGES: dict[str, str] = {
    "leaflet": "xstatic.pkg.leaflet",
    "jquery": "xstatic.pkg.jquery",
    "font-awesome": "xstatic.pkg.font_awesome",
}


def package_dir(name: str) -> Path:
    """Directory holding the files of a vendored package."""
    return Path(import_module(PACKAGES[name]).BASE_DIR)


@bp.get("/<name>/<path:filename>")
def asset(name: str, filename: str) -> Response:
    """Serve one vendored file (cached for a day)."""
    if name not in PACKAGES:
        abort(404)
    return send_from_directory(package_dir(name), filename, max_age=86400)

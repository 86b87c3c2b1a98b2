"""Security headers sent with every response, and the session cookie settings.

The pages load nothing from elsewhere: scripts, styles, fonts and Leaflet come from this server
(``/static``, ``/vendor``). Only the optional basemap tiles (OpenStreetMap, 天地图, see
:mod:`web.maps`) are images from outside. folium writes its map set-up as inline scripts and
styles, so those need ``'unsafe-inline'``; no ``eval``, no plug-ins, no framing, forms post
only here.
"""

from __future__ import annotations

from flask import Flask, Response

#: Hosts of the basemap tiles the map pages offer (web/maps.py).
TILE_HOSTS = (
    "https://tile.openstreetmap.org",
    "https://*.tile.openstreetmap.org",
    "https://*.tianditu.gov.cn",
)

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob: " + " ".join(TILE_HOSTS),
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    )
)

#: Headers added to every response (a view that sets one keeps its own).
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def install(app: Flask, *, cookie_secure: bool) -> None:
    """Set whether the session cookie is HTTPS-only and send :data:`SECURITY_HEADERS` on every
    response.

    Parameters
    ----------
    app
        The application.
    cookie_secure
        Send the session cookie only over HTTPS (setting ``session_cookie_secure``,
        ``GEOCIV_SESSION_COOKIE_SECURE``); off for the plain-http demo.
    """
    app.config["SESSION_COOKIE_SECURE"] = cookie_secure

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

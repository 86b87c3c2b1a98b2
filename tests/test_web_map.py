"""The home map page as HTML: counties, labels, popups, offline assets, basemap choice."""

from __future__ import annotations

import re

from jinja2.utils import htmlsafe_json_dumps

from tests.conftest import login
from tests.test_divisions import COUNTIES


def js(text: str) -> str:
    """``text`` as folium writes it inside the page's script (escaped JSON string)."""
    return str(htmlsafe_json_dumps(text))[1:-1]


def _home(client) -> str:
    login(client, "planner1")
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_home_map_has_every_county_with_popup_fields(client) -> None:
    html = _home(client)
    for name in COUNTIES:
        assert js(f'<div class="division-label">{name}</div>') in html
    assert js("区划代码") in html and js("面积（km²）") in html
    assert "L.control.scale" in html and "L.control.layers" in html
    assert "fitBounds" in html
    assert js("河南驻马店经济开发区") not in html  # statistical unit: no polygon, not drawn


def test_home_map_needs_no_external_assets(client) -> None:
    html = _home(client)
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/") for a in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert client.get("/vendor/leaflet/images/marker-icon.png").status_code == 200
    assert client.get("/vendor/unknown/x.js").status_code == 404


def test_basemaps_offline_by_default_tianditu_with_a_key(demo_path) -> None:
    from web import create_app

    plain = create_app({"GEOCIV_STORE": str(demo_path), "WTF_CSRF_ENABLED": False})
    html = _home(plain.test_client())
    assert js("无底图（离线可用）") in html and js("OpenStreetMap（需联网）") in html
    assert "tianditu" not in html
    keyed = create_app(
        {"GEOCIV_STORE": str(demo_path), "WTF_CSRF_ENABLED": False, "TIANDITU_KEY": "abc123"}
    )
    html = _home(keyed.test_client())
    assert js("天地图矢量（需联网）") in html and "tk=abc123" in html

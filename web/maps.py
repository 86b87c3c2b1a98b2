"""Folium maps with offline assets.

Folium pages load Leaflet, jQuery and Bootstrap from public CDNs by default; on a closed network
the map would be blank. :func:`offline_map` points every asset at ``/vendor/…`` (XStatic
packages) and leaves Bootstrap out (geociv's pages bring their own CSS). Basemap tiles are
decoration: the page opens with no basemap, and OSM / 天地图 can be switched on when online.
"""

from __future__ import annotations

import html
from typing import Any

import folium
import geopandas as gpd
from branca.element import Element, MacroElement
from jinja2 import Template
from markupsafe import Markup

#: Assets every folium map on geociv loads, all served by the ``vendor`` blueprint.
OFFLINE_JS = [("leaflet", "/vendor/leaflet/leaflet.js"), ("jquery", "/vendor/jquery/jquery.min.js")]
OFFLINE_CSS = [
    ("leaflet_css", "/vendor/leaflet/leaflet.css"),
    ("font_awesome_css", "/vendor/font-awesome/css/all.min.css"),
]

TIANDITU_URL = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
    "&TILECOL={x}&tk={key}"
)

COUNTY_STYLE = {"color": "#b03a2e", "weight": 1.5, "fillColor": "#f5cba7", "fillOpacity": 0.35}
COUNTY_HIGHLIGHT = {"weight": 3, "fillOpacity": 0.6}
CITY_STYLE = {"color": "#1f3a93", "weight": 3, "fill": False}


class _MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "L.control.scale({imperial: false, maxWidth: 160}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )


def offline_map(bounds: tuple[float, float, float, float], *, tianditu_key: str = "") -> folium.Map:
    """An empty map fitted to ``bounds`` (minx, miny, maxx, maxy), with basemap choices.

    >>> m = offline_map((113.0, 32.0, 115.0, 34.0))
    >>> "cdn.jsdelivr" in m.get_root().render()
    False
    """
    m = folium.Map(tiles=None, control_scale=False, zoom_control=True)
    _MetricScale().add_to(m)
    m.default_js = list(OFFLINE_JS)
    m.default_css = list(OFFLINE_CSS)
    folium.FeatureGroup(name="无底图（离线可用）", overlay=False).add_to(m)
    folium.TileLayer(
        "OpenStreetMap",
        name="OpenStreetMap（需联网）",
        overlay=False,
        show=False,
        attr="© OpenStreetMap contributors",
    ).add_to(m)
    if tianditu_key:
        for layer, label, overlay in (
            ("vec", "天地图矢量（需联网）", False),
            ("cva", "天地图注记", True),
        ):
            folium.TileLayer(
                TIANDITU_URL.replace("{layer}", layer).replace("{key}", tianditu_key),
                name=label,
                attr="© 天地图 国家地理信息公共服务平台",
                subdomains="01234567",
                overlay=overlay,
                show=False,
                max_zoom=18,
            ).add_to(m)
    minx, miny, maxx, maxy = bounds
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def division_map(
    city: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, *, tianditu_key: str = ""
) -> folium.Map:
    """The home map: the city outline and its county-level units with labels and popups.

    Parameters
    ----------
    city
        One row: the jurisdiction's outline (may be empty when the store has no polygon).
    counties
        Columns ``code``, ``name``, ``area_km2`` and polygon geometry in EPSG:4490.
    """
    shown = counties[counties.geometry.notna()]
    extent = city if len(city) and city.geometry.notna().all() else shown
    m = offline_map(tuple(extent.total_bounds), tianditu_key=tianditu_key)
    if len(city) and city.geometry.notna().all():
        folium.GeoJson(
            city[["code", "name", "geometry"]].to_json(),
            name=f"{city.iloc[0]['name']}辖区边界",
            style_function=lambda _f: CITY_STYLE,
            interactive=False,
        ).add_to(m)
    table = shown[["code", "name", "area_km2", "geometry"]].copy()
    table["area_text"] = table["area_km2"].map(lambda a: f"{a:,.1f}")
    folium.GeoJson(
        table.to_json(),
        name="县级行政区",
        style_function=lambda _f: COUNTY_STYLE,
        highlight_function=lambda _f: COUNTY_HIGHLIGHT,
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        popup=folium.GeoJsonPopup(
            fields=["name", "code", "area_text"],
            aliases=["名称", "区划代码", "面积（km²）"],
            class_name="division-popup",
        ),
    ).add_to(m)
    add_labels(m, shown)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def add_labels(
    m: folium.Map, frame: gpd.GeoDataFrame, *, name: str = "县区名称", below: bool = False
) -> None:
    """Add a layer of name labels, one inside each polygon of ``frame`` (columns ``name`` and
    ``geometry`` in EPSG:4490), drawn as text that takes no clicks.

    With ``below`` the labels go in a pane under the vector layers, so that points drawn on
    the map (circle markers) are never hidden by a label.
    """
    pane: dict[str, str] = {}
    if below:
        folium.map.CustomPane("labels", z_index=350).add_to(m)
        pane["pane"] = "labels"
    labels = folium.FeatureGroup(name=name)
    for row in frame.itertuples():
        point = row.geometry.representative_point()
        folium.Marker(
            [point.y, point.x],
            icon=folium.DivIcon(
                html=f'<div class="division-label">{html.escape(str(row.name))}</div>',
                icon_size=(80, 20),
                icon_anchor=(40, 10),
                class_name="division-label-icon",
            ),
            interactive=False,
            **pane,
        ).add_to(labels)
    labels.add_to(m)
    m.get_root().header.add_child(Element(_LABEL_CSS))


_LABEL_CSS = """<style>
.division-label{font:600 13px/20px "Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1b2631;
text-align:center;white-space:nowrap;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff;
pointer-events:none}
.division-label-icon{background:none;border:none}
path.leaflet-interactive:focus{outline:none}
.division-popup table{font-size:13px}.division-popup th{text-align:left;padding-right:.6em}
</style>"""


def map_parts(m: folium.Map) -> dict[str, Any]:
    """The header, body and script of a folium map, for embedding in a Jinja page."""
    root = m.get_root()
    root.render()
    return {
        "map_header": Markup(root.header.render()),
        "map_html": Markup(root.html.render()),
        "map_script": Markup(root.script.render()),
    }

"""Folium maps with offline assets.

Folium pages load Leaflet, jQuery and Bootstrap from public CDNs by default; on a closed network
the map would be blank. :func:`offline_map` points every asset at ``/vendor/…`` (XStatic
packages) and leaves Bootstrap out (geociv's pages bring their own CSS). Basemap tiles are
decoration: the page opens with no basemap, and OSM / 天地图 can be switched on when online.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
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


def map_text(value: object) -> str:
    """``value`` as HTML text that is also safe inside the JavaScript template literals folium
    writes popups and tooltips into (no ``<``, backticks, ``${`` or backslashes left).

    This and :func:`interactive_geojson` are the one place where text reaches a map's popups
    and tooltips: names come from uploads and officers, and folium inserts them as HTML.

    >>> map_text("<img src=x onerror=alert(1)>`${x}`")
    '&lt;img src=x onerror=alert(1)&gt;&#96;&#36;{x}&#96;'
    """
    return (
        html.escape(str(value)).replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")
    )


def interactive_geojson(
    data: gpd.GeoDataFrame | Mapping[str, Any],
    *,
    tooltip: Sequence[str] = (),
    popup: Sequence[str] = (),
    tooltip_options: Mapping[str, Any] | None = None,
    popup_options: Mapping[str, Any] | None = None,
    html_fields: Sequence[str] = (),
    **geojson_options: Any,
) -> folium.GeoJson:
    """A GeoJSON layer whose tooltip and popup show the properties ``tooltip`` and ``popup``,
    each HTML-escaped with :func:`map_text` first.

    Parameters
    ----------
    data
        A GeoDataFrame (EPSG:4490) or a GeoJSON FeatureCollection dict.
    tooltip, popup
        Property names shown in the tooltip and the popup (none: no tooltip / popup).
    tooltip_options, popup_options
        Passed to ``folium.GeoJsonTooltip`` / ``folium.GeoJsonPopup`` (``aliases``, ``labels``…).
    html_fields
        Properties that already hold HTML built from :func:`map_text`-escaped parts (a popup
        with a link); every other shown property is escaped here.
    geojson_options
        Passed to ``folium.GeoJson`` (``name``, ``style_function``, ``marker``…).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> frame = gpd.GeoDataFrame({"name": ["<b>x</b>"]}, geometry=[Point(114, 33)], crs=4490)
    >>> layer = interactive_geojson(frame, tooltip=["name"])
    >>> layer.data["features"][0]["properties"]["name"]
    '&lt;b&gt;x&lt;/b&gt;'
    """
    collection = _feature_collection(data)
    shown = (set(tooltip) | set(popup)) - set(html_fields)
    for feature in collection["features"]:
        props = feature.get("properties") or {}
        for key in shown & props.keys():
            if isinstance(props[key], str):
                props[key] = map_text(props[key])
    if tooltip:
        geojson_options["tooltip"] = folium.GeoJsonTooltip(
            fields=list(tooltip), **dict(tooltip_options or {})
        )
    if popup:
        geojson_options["popup"] = folium.GeoJsonPopup(
            fields=list(popup), **dict(popup_options or {})
        )
    return folium.GeoJson(collection, **geojson_options)


def _feature_collection(data: gpd.GeoDataFrame | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(data, gpd.GeoDataFrame):
        return json.loads(data.to_json())
    return json.loads(json.dumps(data))  # a private copy: escaping must not touch the caller's


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
    interactive_geojson(
        table,
        name="县级行政区",
        style_function=lambda _f: COUNTY_STYLE,
        highlight_function=lambda _f: COUNTY_HIGHLIGHT,
        tooltip=["name"],
        tooltip_options={"labels": False},
        popup=["name", "code", "area_text"],
        popup_options={
            "aliases": ["名称", "区划代码", "面积（km²）"],
            "class_name": "division-popup",
        },
    ).add_to(m)
    add_labels(m, shown)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def add_labels(
    m: folium.Map, frame: gpd.GeoDataFrame, *, name: str = "县区名称", below: bool = False
) -> None:
    """Add a layer of name labels, one inside each polygon of ``frame`` (columns ``name`` and
    ``geometry`` in EPSG:4490), drawn as text that takes no clicks. Labels never overlap: a
    label that would cover another (of a larger polygon) is hidden until zoomed in enough.

    With ``below`` the labels go in a pane under the vector layers, so that points drawn on
    the map (circle markers) are never hidden by a label.
    """
    pane: dict[str, str] = {}
    if below:
        folium.map.CustomPane("labels", z_index=350).add_to(m)
        pane["pane"] = "labels"
    labels = folium.FeatureGroup(name=name)
    # Larger polygons first: where two labels collide, the larger unit keeps its label.
    order = np.argsort(-shapely.area(frame.geometry.to_numpy()), kind="stable")
    for row in frame.iloc[order].itertuples():
        point = row.geometry.representative_point()
        folium.Marker(
            [point.y, point.x],
            icon=folium.DivIcon(
                html=f'<div class="division-label">{map_text(row.name)}</div>',
                icon_size=(80, 20),
                icon_anchor=(40, 10),
                class_name="division-label-icon",
            ),
            interactive=False,
            **pane,
        ).add_to(labels)
    labels.add_to(m)
    _Declutter(labels).add_to(m)
    m.get_root().header.add_child(Element(_LABEL_CSS))


class _Declutter(MacroElement):
    """Show a label only where it fits: after every zoom or pan, labels (in the order they
    were added) that would overlap one already shown are hidden; zooming in brings them back.
    Each unit still names itself in its tooltip."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function () {"
        "var map = {{ this._parent.get_name() }}, group = {{ this.group.get_name() }};"
        "function declutter() {"
        "  var shown = [];"
        "  group.eachLayer(function (marker) {"
        "    var icon = marker.getElement && marker.getElement();"
        "    if (!icon || !icon.firstChild) { return; }"
        "    var text = icon.firstChild, r = text.getBoundingClientRect();"
        "    var w = Math.max(r.width, text.scrollWidth), cx = r.left + r.width / 2;"
        "    var box = {l: cx - w / 2 - 2, r: cx + w / 2 + 2, t: r.top - 1, b: r.bottom + 1};"
        "    var hit = shown.some(function (o) {"
        "      return box.l < o.r && box.r > o.l && box.t < o.b && box.b > o.t; });"
        "    icon.style.visibility = hit ? 'hidden' : '';"
        "    icon.classList.toggle('label-hidden', hit);"
        "    if (!hit) { shown.push(box); } });"
        "}"
        "map.on('zoomend moveend overlayadd', declutter);"
        "map.whenReady(function () { setTimeout(declutter, 0); });"
        # label widths change when the CJK font arrives, which a busy machine delays
        "if (document.fonts && document.fonts.ready) { document.fonts.ready.then(declutter); }"
        "window.addEventListener('load', declutter);"
        "window.addEventListener('resize', declutter);"
        "})();"
        "{% endmacro %}"
    )

    def __init__(self, group: folium.FeatureGroup) -> None:
        super().__init__()
        self._name = "Declutter"
        self.group = group


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

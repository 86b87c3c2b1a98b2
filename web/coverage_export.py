"""A coverage result as one self-contained HTML map (服务圈覆盖图), to open offline from disk.

:func:`standalone_map_html` draws a :class:`~geociv.coverage.service.CoverageResult` with folium
(on :func:`web.maps.offline_map`) and inlines everything the page needs into the one file:
Leaflet's JavaScript and CSS are read from the ``xstatic-leaflet`` package (with the images its
CSS refers to as ``data:`` URLs), jQuery only if the rendered map calls it, and no icon fonts
(points are circle markers, ranks are text labels). The file can be mailed, copied to a USB
stick or opened on an intranet without any server or CDN. Basemap tiles stay optional (the page
opens without a basemap; OpenStreetMap can be switched on when online).

Layers, bottom to top: uncovered areas (red), isochrone rings (dark to light green by minutes),
zones coloured by covered area share with tooltips, the outline of the area of interest,
facilities coloured by type with popups and suggested sites (orange, numbered by rank). A
panel shows the headline and key figures, a legend the minutes, travel mode, speed and
method.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template
from markupsafe import Markup

from geociv.coverage.exports import (
    facilities_layer,
    method_text,
    speed_text,
    suggestion_layer,
)
from geociv.labels import FACILITY_TYPE_LABELS
from geociv.templating import templates
from web.blueprints.vendor import package_dir
from web.maps import add_labels, interactive_geojson, offline_map

if TYPE_CHECKING:
    from geociv.coverage.service import CoverageResult

__all__ = [
    "FACILITY_COLORS",
    "SITE_COLOR",
    "ZONE_BINS",
    "inline_assets",
    "ring_colors",
    "standalone_map_html",
]

#: Circle-marker colour of each facility type.
FACILITY_COLORS: dict[str, str] = {
    "nursing_home": "#7b3fa0",
    "subdistrict_center": "#00838f",
    "day_care": "#8d5524",
    "rural_mutual_aid": "#546e7a",
    "rental_station": "#1f5fbf",
    "fitting_center": "#c2185b",
    "experience_hall": "#827717",
}
#: Colour of suggested sites.
SITE_COLOR = "#ff8f00"
UNCOVERED_COLOR = "#d62728"
AOI_COLOR = "#1b2631"
#: Zone choropleth classes: (upper bound of covered area share, colour, label).
#: The lowest class is left unfilled so that the rings underneath keep their colours.
ZONE_BINS: tuple[tuple[float, str | None, str], ...] = (
    (0.25, None, "< 25 %（不填色）"),
    (0.5, "#cbc9e2", "25–50 %"),
    (0.75, "#9e9ac8", "50–75 %（达标）"),
    (math.inf, "#6a51a3", "≥ 75 %（达标）"),
)
_DARK_GREEN = (0x0B, 0x6E, 0x35)
_LIGHT_GREEN = (0xC2, 0xE8, 0xB8)
_CSS_IMAGE = re.compile(r"url\((['\"]?)images/([\w.-]+\.png)\1\)")
_JQUERY_CALL = re.compile(r"\$\(|\$\.ajax|jQuery")
_TEMPLATES = Path(__file__).parent / "templates"
#: Where the inline assets go in the rendered page.
_ASSETS_MARK = "<!-- inline assets -->"


def ring_colors(n: int) -> list[str]:
    """``n`` greens from dark (the shortest time) to light (the longest).

    >>> ring_colors(3)
    ['#0b6e35', '#66ab76', '#c2e8b8']
    """
    if n == 1:
        return ["#52a866"]
    out = []
    for i in range(n):
        t = i / (n - 1)
        rgb = (round(a + (b - a) * t) for a, b in zip(_DARK_GREEN, _LIGHT_GREEN, strict=True))
        out.append("#" + "".join(f"{c:02x}" for c in rgb))
    return out


def _zone_color(share: float) -> str | None:
    if share is None or math.isnan(share):
        return None
    return next(color for upper, color, _ in ZONE_BINS if share < upper)


def _safe(text: str, tag: str) -> str:
    """Neutralise a closing tag inside inline script or style text."""
    return re.sub(f"</({tag})", r"<\\/\1", text, flags=re.IGNORECASE)


def _render(template: str, **values: Any) -> str:
    """A fragment of the page from ``web/templates/coverage_export/<template>``."""
    return templates(_TEMPLATES).get_template(f"coverage_export/{template}").render(**values)


def inline_assets(*, jquery: bool = False) -> str:
    """Leaflet's CSS and JavaScript (and jQuery) as inline ``<style>``/``<script>`` blocks.

    The files come from the XStatic packages (``web.blueprints.vendor.package_dir``); the
    images Leaflet's CSS refers to are embedded as ``data:`` URLs.

    >>> head = inline_assets()
    >>> head.count("<script>"), "url(images/" in head, "data:image/png;base64," in head
    (1, False, True)
    """
    leaflet = package_dir("leaflet")
    css = (leaflet / "leaflet.css").read_text(encoding="utf-8")

    def embed(match: re.Match[str]) -> str:
        data = base64.b64encode((leaflet / "images" / match.group(2)).read_bytes()).decode()
        return f"url(data:image/png;base64,{data})"

    css = _CSS_IMAGE.sub(embed, css)
    scripts = [leaflet / "leaflet.js"]
    if jquery:
        scripts.insert(0, package_dir("jquery") / "jquery.min.js")
    return _render(
        "assets.html",
        css=Markup(_safe(css, "style")),
        scripts=[Markup(_safe(path.read_text(encoding="utf-8"), "script")) for path in scripts],
    )


class _Panel(MacroElement):
    """A box of HTML shown as a Leaflet control (it stacks with the other controls).

    The box is written into the page body as plain HTML (readable and searchable in the file)
    and moved into the control when the map starts.
    """

    _template = Template(
        "{% macro html(this, kwargs) %}"
        '<div id="{{ this.get_name() }}" class="{{ this.css_class }}">{{ this.content }}</div>'
        "{% endmacro %}"
        "{% macro script(this, kwargs) %}"
        "(function () {"
        "var c = L.control({position: {{ this.position|tojson }}});"
        "c.onAdd = function () {"
        "var d = document.getElementById({{ this.get_name()|tojson }});"
        "L.DomEvent.disableClickPropagation(d); L.DomEvent.disableScrollPropagation(d);"
        "return d; };"
        "c.addTo({{ this._parent.get_name() }});"
        "})();"
        "{% endmacro %}"
    )

    def __init__(self, content: str, *, position: str, css_class: str) -> None:
        super().__init__()
        self._name = "Panel"
        self.content = content
        self.position = position
        self.css_class = css_class


class _ZoomBottomLeft(MacroElement):
    """Move the zoom buttons to the bottom left, leaving the top left to the headline."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.zoomControl.setPosition('bottomleft');"
        "{% endmacro %}"
    )


def _fmt(x: float, digits: int = 1) -> str:
    return "—" if x is None or math.isnan(x) else f"{x:,.{digits}f}"


def _pct(x: float | None) -> str:
    return "—" if x is None or math.isnan(x) else f"{x * 100:.1f} %"


def _rings(result: CoverageResult) -> gpd.GeoDataFrame:
    """The nested isochrones cut into rings (each minus the next smaller one)."""
    polys = result.polygons.sort_values("minutes").reset_index(drop=True)
    geoms = shapely.make_valid(polys.geometry.to_numpy())
    rows = []
    previous = 0.0
    for i, (minutes, geom) in enumerate(zip(polys["minutes"], geoms, strict=True)):
        ring = geom if i == 0 else shapely.difference(geom, geoms[i - 1])
        rows.append(
            {
                "minutes": float(minutes),
                "label": f"{previous:g}–{minutes:g} 分钟可达",
                "geometry": ring,
            }
        )
        previous = float(minutes)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=polys.crs)


def _headline_panel(
    result: CoverageResult,
    title: str,
    n_facilities: int,
    sites: gpd.GeoDataFrame | None,
) -> str:
    """The panel of the headline and key figures (``coverage_export/panel.html``)."""
    aoi_name = result.inputs.get("aoi", {}).get("name") or "统计范围"
    rows = [
        ("统计范围", f"{aoi_name}，{_fmt(result.aoi_area_km2)} km²", False),
        ("覆盖面积", f"{_fmt(result.covered_area_km2)} km²（{_pct(result.area_share)}）", True),
        ("未覆盖面积", f"{_fmt(result.aoi_area_km2 - result.covered_area_km2)} km²", False),
        ("参与计算设施", f"{n_facilities} 处", False),
    ]
    pop = result.population
    if pop is not None:
        label = result.inputs.get("raster_label") or "人口"
        figures = f"{_fmt(pop.covered, 0)} / {_fmt(pop.total, 0)}（{_pct(pop.share)}）"
        rows.append((f"{label}覆盖", figures, False))
    if result.zones is not None:
        served = int(result.zones["served"].sum())
        figures = f"{served} / {len(result.zones)}（{_pct(result.zones_served_share)}）"
        rows.append(("服务单元达标", figures, False))
    if sites is not None and len(sites):
        after = _pct(float(sites["cumulative_share"].iloc[-1]))
        rows.append(("建议新增站点", f"{len(sites)} 处，新增后覆盖 {after}", False))
    return _render(
        "panel.html", title=title, headline=result.headline, rows=rows, run_id=result.run_id
    )


def _legend(
    result: CoverageResult,
    colors: Sequence[str],
    rings: gpd.GeoDataFrame,
    types: Sequence[str],
    hollow: bool,
    sites: gpd.GeoDataFrame | None,
) -> str:
    """The legend: minutes, mode, method, a swatch per layer (``coverage_export/legend.html``)."""
    return _render(
        "legend.html",
        minutes=f"{result.isochrones.minutes[-1]:g}",
        mode=speed_text(result),
        method=method_text(result),
        rings=list(zip(colors, rings["label"], strict=True)),
        uncovered_color=UNCOVERED_COLOR,
        aoi_color=AOI_COLOR,
        zone_bins=[(c, label) for _, c, label in ZONE_BINS] if result.zones is not None else [],
        facility_types=[
            (FACILITY_COLORS.get(t, "#333"), FACILITY_TYPE_LABELS.get(t, t)) for t in types
        ],
        hollow=hollow,
        sites=sites is not None and len(sites) > 0,
        site_color=SITE_COLOR,
    )


def standalone_map_html(
    result: CoverageResult,
    facilities: gpd.GeoDataFrame,
    *,
    suggestion: gpd.GeoDataFrame | None = None,
    title: str = "15分钟服务圈覆盖图",
) -> str:
    """One self-contained HTML page showing a coverage result, for opening from disk.

    Parameters
    ----------
    result : CoverageResult
        From :meth:`geociv.coverage.service.Coverage.run`.
    facilities : GeoDataFrame
        Facilities to draw (e.g. ``Facilities(store).frame()``); those that did not count in
        the run are drawn hollow.
    suggestion : GeoDataFrame, optional
        Suggested sites: points with ``rank``, ``site_id``, ``added_share``,
        ``cumulative_share`` (see :func:`geociv.coverage.exports.suggestion_layer`).
    title : str
        Page title and panel heading.

    Returns
    -------
    str
        The HTML document (UTF-8; write it with ``encoding="utf-8"``). It refers to no
        external script or style sheet.

    Examples
    --------
    Not run as a doctest (it needs a store with a coverage run)::

        page = standalone_map_html(result, Facilities(store).frame())
        Path("覆盖图.html").write_text(page, encoding="utf-8")
    """
    facs = facilities_layer(facilities, result)
    facs = facs[facs.geometry.notna() & ~facs.geometry.is_empty].copy()
    sites = suggestion_layer(suggestion) if suggestion is not None else None
    rings = _rings(result)
    colors = ring_colors(len(rings))
    m = _base_map(result)
    _add_uncovered(m, result)
    _add_rings(m, rings, colors)
    if result.zones is not None and len(result.zones):
        _add_zones(m, result.zones)
    _add_aoi(m, result)
    if len(facs):
        _add_facilities(m, facs)
    if sites is not None and len(sites):
        _add_sites(m, sites)
    types = [t for t in FACILITY_COLORS if t in set(facs["type"])]
    types += sorted(set(facs["type"]) - set(types))
    hollow = bool((~facs["in_run"]).any())
    _Panel(
        _headline_panel(result, title, int(facs["in_run"].sum()), sites),
        position="topleft",
        css_class="cov-panel",
    ).add_to(m)
    _Panel(
        _legend(result, colors, rings, types, hollow, sites),
        position="bottomright",
        css_class="cov-legend",
    ).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return _page(m, title)


def _base_map(result: CoverageResult) -> folium.Map:
    """An offline map of the area with no asset links, its panes stacked for the layers."""
    minx, miny, maxx, maxy = result.aoi.total_bounds
    m = offline_map((minx, miny, maxx, maxy))
    m.default_js = []
    m.default_css = []
    # leave room for the headline panel (top left) and the legend (bottom right)
    m.options["zoom_snap"] = 0.25
    m.fit_bounds(
        [[miny, minx], [maxy, maxx]], padding_top_left=(380, 10), padding_bottom_right=(290, 10)
    )
    _ZoomBottomLeft().add_to(m)
    for name, z in (("uncovered", 402), ("rings", 404), ("zones", 406), ("aoi", 408)):
        folium.map.CustomPane(name, z_index=z, pointer_events=True).add_to(m)
    folium.map.CustomPane("points", z_index=450, pointer_events=True).add_to(m)
    return m


def _add_uncovered(m: folium.Map, result: CoverageResult) -> None:
    """Uncovered areas (none when everything is covered: folium cannot draw an empty layer)."""
    if not len(result.uncovered):
        return
    uncovered = result.uncovered[["area_km2", "geometry"]].copy()
    uncovered["text"] = uncovered["area_km2"].map(lambda a: f"未覆盖区域 {a:,.2f} km²")
    interactive_geojson(
        uncovered,
        name="未覆盖区域",
        style_function=lambda _f: {
            "color": UNCOVERED_COLOR,
            "weight": 1,
            "fillColor": UNCOVERED_COLOR,
            "fillOpacity": 0.25,
        },
        tooltip=["text"],
        tooltip_options={"labels": False},
        pane="uncovered",
    ).add_to(m)


def _add_rings(m: folium.Map, rings: gpd.GeoDataFrame, colors: Sequence[str]) -> None:
    """Isochrone rings, dark (near) to light (far)."""
    color_of = dict(zip(rings["minutes"], colors, strict=True))
    interactive_geojson(
        rings,
        name="步行等时圈（" + "/".join(f"{t:g}" for t in rings["minutes"]) + " 分钟）",
        style_function=lambda f: {
            "color": color_of[f["properties"]["minutes"]],
            "weight": 1,
            "fillColor": color_of[f["properties"]["minutes"]],
            "fillOpacity": 0.6,
        },
        tooltip=["label"],
        tooltip_options={"labels": False},
        pane="rings",
    ).add_to(m)


def _add_zones(m: folium.Map, table: gpd.GeoDataFrame) -> None:
    """Zones coloured by covered area share, with their names."""
    zones = table.reset_index(drop=True).copy()
    if "name" not in zones:
        zones["name"] = zones.get("code", "统计单元")
    zones["name"] = zones["name"].astype(str)
    zones["cover_text"] = [
        f"{_pct(s)}（{'达标' if ok else '未达标'}）"
        for s, ok in zip(zones["area_share"], zones["served"], strict=True)
    ]
    zones["fac_text"] = zones["facilities"].map(lambda n: f"{int(n)} 处")
    fields, aliases = ["name", "cover_text", "fac_text"], ["单元", "覆盖", "设施"]
    if "share" in zones:
        zones["pop_text"] = zones["share"].map(_pct)
        fields.append("pop_text")
        aliases.append("人口覆盖")
    zones["fill"] = zones["area_share"].map(_zone_color)
    keep = [*fields, "fill", "served", "geometry"]
    interactive_geojson(
        zones[keep],
        name="服务单元覆盖率",
        style_function=lambda f: {
            "color": "#4a3c8c",
            "weight": 2.5 if f["properties"]["served"] else 1.2,
            "fillColor": f["properties"]["fill"] or "#ffffff",
            # unfilled zones still take the mouse (an SVG fill of opacity 0 is "painted")
            "fillOpacity": 0.45 if f["properties"]["fill"] else 0.0,
        },
        highlight_function=lambda _f: {"weight": 3.5, "fillOpacity": 0.55},
        tooltip=fields,
        tooltip_options={"aliases": aliases, "sticky": True},
        pane="zones",
    ).add_to(m)
    add_labels(m, zones, name="服务单元名称")


def _add_aoi(m: folium.Map, result: CoverageResult) -> None:
    """The outline of the area of interest (no text to show, so not interactive)."""
    folium.GeoJson(
        result.aoi[["geometry"]].to_json(),
        name="统计范围边界",
        style_function=lambda _f: {
            "color": AOI_COLOR,
            "weight": 2.5,
            "dashArray": "8 5",
            "fill": False,
        },
        interactive=False,
        pane="aoi",
    ).add_to(m)


def _add_facilities(m: folium.Map, facs: gpd.GeoDataFrame) -> None:
    """Facilities, coloured by type; those outside the run hollow."""
    facs = facs.copy()
    facs["beds_text"] = facs["capacity_beds"].map(lambda b: "—" if pd.isna(b) else f"{b} 张")
    interactive_geojson(
        facs[["name", "type", "type_label", "status_label", "beds_text", "in_run", "geometry"]],
        name="设施",
        marker=folium.CircleMarker(radius=7, weight=2.5, fill=True),
        style_function=lambda f: {
            "color": FACILITY_COLORS.get(f["properties"]["type"], "#333333"),
            "fillColor": (
                FACILITY_COLORS.get(f["properties"]["type"], "#333333")
                if f["properties"]["in_run"]
                else "#ffffff"
            ),
            "fillOpacity": 0.95,
            "pane": "points",
        },
        tooltip=["name"],
        tooltip_options={"labels": False},
        popup=["name", "type_label", "status_label", "beds_text"],
        popup_options={"aliases": ["名称", "类型", "状态", "床位"]},
    ).add_to(m)


def _add_sites(m: folium.Map, sites: gpd.GeoDataFrame) -> None:
    """Suggested sites with their rank written on them."""
    group = folium.FeatureGroup(name="建议新增站点")
    table = sites[["rank", "site_id", "geometry"]].copy()
    table["title"] = table["rank"].map(lambda r: f"建议站点 第 {int(r)} 位")
    table["added_text"] = sites["added_share"].map(_pct)
    table["cum_text"] = sites["cumulative_share"].map(_pct)
    interactive_geojson(
        table,
        marker=folium.CircleMarker(radius=10, weight=2, fill=True),
        style_function=lambda _f: {
            "color": "#7a4a00",
            "fillColor": SITE_COLOR,
            "fillOpacity": 0.95,
            "pane": "points",
        },
        popup=["title", "site_id", "added_text", "cum_text"],
        popup_options={"aliases": ["", "站点编号", "新增覆盖", "累计覆盖"]},
        control=False,
    ).add_to(group)
    for row in table.itertuples():
        folium.Marker(
            [row.geometry.y, row.geometry.x],
            icon=folium.DivIcon(
                html=_render("rank.html", rank=int(row.rank)),
                icon_size=(20, 18),
                icon_anchor=(10, 9),
                class_name="cov-rank-icon",
            ),
            interactive=False,
        ).add_to(group)
    group.add_to(m)


def _page(m: folium.Map, title: str) -> str:
    """The rendered map as one page (``coverage_export/page.html``): our styles and title, and
    the inline assets (jQuery only if the rendered map calls it)."""
    root = m.get_root()
    root.header.add_child(Element(_render("style.html")), name="coverage_css")
    root._template = templates(_TEMPLATES).get_template("coverage_export/page.html")
    root.page_title = title
    root.assets_mark = Markup(_ASSETS_MARK)
    page = root.render()
    assets = inline_assets(jquery=bool(_JQUERY_CALL.search(page)))
    return page.replace(_ASSETS_MARK, assets, 1)

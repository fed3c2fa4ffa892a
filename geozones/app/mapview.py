"""Folium map builders: pure functions from GeoDataFrames to folium objects.

Nothing here imports streamlit or decides a verdict. Geometry is simplified and
rounded for *display only*; verdicts always come from the engine on the full
geometry.

Two rules hold for every builder:

* **Offline.** :func:`use_local_assets` points every JS/CSS asset at the copies
  vendored in ``static/`` (served by Streamlit at ``/app/static/``), and refuses
  any element whose assets it does not know, so a new plugin can never quietly
  fetch a CDN. Base maps have no tiles by default.
* **Escaped.** Every string that comes from data or users passes through
  :func:`safe_text` before it reaches a tooltip, popup or legend; Leaflet puts
  tooltip strings into ``innerHTML`` and folium puts ``Tooltip`` text into a JS
  template literal, so HTML, backticks and ``${`` are all neutralised.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.plugins import FastMarkerCluster
from folium.template import Template

from geozones.core.verdicts import COLORS, Verdict, label

#: URL prefix of Streamlit static serving. Root-relative on purpose: a relative
#: ``app/static`` URL resolves against the component iframe and 404s.
STATIC_URL = "/app/static"

#: Local copies of the assets folium and its plugins ask for, by folium's names.
LOCAL_JS = {
    "leaflet": f"{STATIC_URL}/leaflet/leaflet.js",
    "markerclusterjs": f"{STATIC_URL}/leaflet.markercluster/leaflet.markercluster.js",
}
LOCAL_CSS = {
    "leaflet_css": f"{STATIC_URL}/leaflet/leaflet.css",
    "markerclustercss": f"{STATIC_URL}/leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": f"{STATIC_URL}/leaflet.markercluster/MarkerCluster.Default.css",
}
#: Assets of folium's Map that no builder here uses (Bootstrap, jQuery, icon fonts);
#: dropped rather than vendored.
UNUSED_ASSETS = {"jquery", "bootstrap", "awesome_markers", "bootstrap_css", "glyphicons_css",
                 "awesome_markers_font_css", "awesome_markers_css", "awesome_rotate_css"}

#: Centre and zoom of Kota Jakarta Pusat.
JAKPUS_CENTER = (-6.1825, 106.8340)
JAKPUS_ZOOM = 13

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL"

#: How restricted geometry is drawn, by category (colour comes from the verdict).
CATEGORY_STYLE = {
    "parcel": {"weight": 1, "fillOpacity": 0.55, "dashArray": None},
    "advisory": {"weight": 1, "fillOpacity": 0.25, "dashArray": "4 4"},
    "corridor": {"weight": 0, "fillOpacity": 0.35, "dashArray": None},
    "kawasan": {"weight": 2, "fillOpacity": 0.15, "dashArray": "8 6"},
}
CATEGORIES = tuple(CATEGORY_STYLE)

#: Colours of the "where may APK go" classes (same palette as the verdicts).
ZONE_COLORS = {
    "forbidden": COLORS[Verdict.FORBIDDEN],
    "out_of_window": COLORS[Verdict.OUT_OF_WINDOW],
    "discretion": COLORS[Verdict.NEEDS_DISCRETION],
    "permit": COLORS[Verdict.NEEDS_PERMIT],
    "owner_consent": COLORS[Verdict.NEEDS_OWNER_CONSENT],
    "allowed": COLORS[Verdict.ALLOWED],
}


def safe_text(value: object) -> str:
    """Text safe to put into HTML, a JS string or a JS template literal.

    Parameters
    ----------
    value : object
        Any value; ``None`` and NaN become an empty string.

    Returns
    -------
    str
        ``html.escape`` of the text, with backtick, ``$`` and backslash also
        turned into character references (they render the same in HTML).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = html.escape(str(value), quote=True)
    return text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def use_local_assets(root: Element) -> Element:
    """Point every JS/CSS asset of ``root`` and its children at ``static/``.

    Parameters
    ----------
    root : branca.element.Element
        A folium map (or any element tree).

    Returns
    -------
    branca.element.Element
        ``root``, changed in place (instance attributes; classes are untouched).

    Raises
    ------
    ValueError
        If an element asks for an asset with no local copy.
    """
    stack = [root]
    while stack:
        elem = stack.pop()
        for attr, local in (("default_js", LOCAL_JS), ("default_css", LOCAL_CSS)):
            assets = getattr(elem, attr, None)
            if not assets:
                continue
            kept = []
            for name, url in assets:
                if url.startswith(STATIC_URL):
                    kept.append((name, url))
                elif name in local:
                    kept.append((name, local[name]))
                elif name not in UNUSED_ASSETS:
                    raise ValueError(f"{type(elem).__name__} needs asset '{name}' ({url}) "
                                     "that is not vendored in static/")
            setattr(elem, attr, kept)
        stack.extend(getattr(elem, "_children", {}).values())
    return root


def display_frame(gdf: gpd.GeoDataFrame, metric_crs, *, tolerance_m: float = 5.0,
                  precision: float = 1e-5, columns: Sequence[str] = ()) -> gpd.GeoDataFrame:
    """Simplify and round geometry for drawing (never for verdicts).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Layer in EPSG:4326.
    metric_crs : pyproj.CRS or str
        CRS in which ``tolerance_m`` is measured.
    tolerance_m : float
        Douglas-Peucker tolerance in metres (0 keeps every vertex).
    precision : float
        Grid size in degrees that coordinates are snapped to (1e-5 deg ~ 1.1 m).
    columns : sequence of str
        Attribute columns to keep; all others are dropped to keep the HTML small.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326, with empty geometries removed.
    """
    out = gdf[list(columns)].copy() if columns else gpd.GeoDataFrame(index=gdf.index)
    geom = gdf.geometry
    if tolerance_m > 0 and len(gdf):
        geom = geom.to_crs(metric_crs).simplify(tolerance_m, preserve_topology=True).to_crs(4326)
    else:
        geom = geom.to_crs(4326)
    vals = shapely.set_precision(geom.values, precision) if precision else geom.values
    out = gpd.GeoDataFrame(out, geometry=np.asarray(vals), crs=4326)
    return out.loc[~out.geometry.is_empty & out.geometry.notna()]


def _escaped_props(gdf: gpd.GeoDataFrame, fields: Iterable[str]) -> gpd.GeoDataFrame:
    out = gdf.copy()
    for f in fields:
        out[f] = [safe_text(v) for v in out[f].tolist()]
    return out


def base_map(center: tuple[float, float] = JAKPUS_CENTER, zoom: int = JAKPUS_ZOOM, *,
             online_tiles: bool = False, tiles_label: str = "OpenStreetMap (online)") -> folium.Map:
    """A map with no tiles that works offline, optionally with OSM tiles as an overlay.

    Parameters
    ----------
    center : (float, float)
        Latitude and longitude of the initial view.
    zoom : int
        Initial zoom.
    online_tiles : bool
        Add OpenStreetMap tiles as an overlay, *off* at start, so an offline
        browser makes no request until the user turns it on.
    tiles_label : str
        Name of the tile overlay in the layer control.
    """
    m = folium.Map(location=list(center), zoom_start=zoom, tiles=None, control_scale=True,
                   prefer_canvas=True)
    # With no tile layer folium leaves the map without zoom limits; marker clustering needs maxZoom.
    m.options.update({"max_zoom": 19, "min_zoom": 10})
    if online_tiles:
        folium.TileLayer(OSM_TILES, attr=safe_text(OSM_ATTRIBUTION), name=safe_text(tiles_label),
                         overlay=True, show=False, max_zoom=19).add_to(m)
    m.get_root().header.add_child(Element(
        "<style>.leaflet-container{background:#eef1f4}"
        ".geozones-legend{background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;"
        "font:12px/1.35 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:220px}"
        ".geozones-legend i{display:inline-block;width:12px;height:12px;margin-right:5px;"
        "vertical-align:-2px;border:1px solid #555}"
        ".leaflet-control-attribution{font-size:9px;line-height:1.2;max-width:65%}</style>"), name="geozones_css")
    return m


def kelurahan_layer(kel: gpd.GeoDataFrame, *, name: str, aliases: Sequence[str],
                    fields: Sequence[str] = ("kelurahan", "kecamatan", "kode_kemendagri", "kode_bps"),
                    show: bool = True) -> folium.GeoJson:
    """Kelurahan outlines with a tooltip of names and codes.

    Parameters
    ----------
    kel : geopandas.GeoDataFrame
        Kelurahan in EPSG:4326 (ideally from :func:`display_frame`).
    name : str
        Layer name in the layer control.
    aliases : sequence of str
        Tooltip labels for ``fields``, in the UI language.
    fields : sequence of str
        Columns shown in the tooltip; their values are escaped.
    show : bool
        Whether the layer is on at start.
    """
    data = _escaped_props(kel[[*list(fields), kel.geometry.name]], fields)
    layer = folium.GeoJson(
        data.to_json(drop_id=True), name=safe_text(name), show=show,
        style_function=lambda _f: {"color": "#333333", "weight": 1.2, "fillColor": "#ffffff",
                                   "fillOpacity": 0.05},
        highlight_function=lambda _f: {"weight": 3, "color": "#000000", "fillOpacity": 0.12},
        tooltip=folium.GeoJsonTooltip(fields=list(fields), aliases=[safe_text(a) for a in aliases],
                                      sticky=True),
        zoom_on_click=False, smooth_factor=1.0)
    return layer


def restricted_layers(restricted: gpd.GeoDataFrame, *, names: dict[str, str], lang: str = "id",
                      tooltip_aliases: Sequence[str] = ("Nama", "Aturan", "Putusan"),
                      show: Iterable[str] = CATEGORIES,
                      categories: Iterable[str] = CATEGORIES) -> list[folium.FeatureGroup]:
    """Restricted places, one feature group per category, coloured by verdict.

    Parameters
    ----------
    restricted : geopandas.GeoDataFrame
        EPSG:4326 with columns ``category`` (one of :data:`CATEGORIES`),
        ``verdict``, ``rule_ids``, ``name`` and display geometry (radii and
        corridors already buffered, for drawing).
    names : dict of str to str
        Layer-control name of each category, in the UI language.
    lang : str
        Language of the verdict labels.
    tooltip_aliases : sequence of str
        Labels for name, rules and verdict.
    show : iterable of str
        Categories visible at start.
    categories : iterable of str
        Categories to build (in :data:`CATEGORIES` order); the others are left
        out of the HTML, e.g. to add them later only when asked for.
    """
    groups = []
    shown, wanted = set(show), set(categories)
    for cat in (c for c in CATEGORIES if c in wanted):
        part = restricted.loc[restricted["category"] == cat]
        fg = folium.FeatureGroup(name=safe_text(names.get(cat, cat)), show=cat in shown)
        if len(part):
            data = gpd.GeoDataFrame({
                "name": [safe_text(v) for v in part["name"].tolist()],
                "rule_ids": [safe_text(v) for v in part["rule_ids"].tolist()],
                "verdict": [safe_text(label(v, lang)) for v in part["verdict"].tolist()],
                "color": [COLORS[Verdict(v)] for v in part["verdict"].tolist()],
            }, geometry=part.geometry.values, crs=4326)
            style = CATEGORY_STYLE[cat]
            folium.GeoJson(
                data.to_json(drop_id=True),
                style_function=lambda f, s=style: {"color": f["properties"]["color"],
                                                   "fillColor": f["properties"]["color"], **s},
                tooltip=folium.GeoJsonTooltip(fields=["name", "rule_ids", "verdict"],
                                              aliases=[safe_text(a) for a in tooltip_aliases]),
                zoom_on_click=False,
            ).add_to(fg)
        groups.append(fg)
    return groups


def zoning_layer(zones: gpd.GeoDataFrame, *, names: dict[str, str], name: str,
                 show: bool = True) -> folium.GeoJson:
    """Shade area classes (forbidden, discretion, permit, owner consent, allowed).

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        EPSG:4326 with a ``zone`` column (a key of :data:`ZONE_COLORS`), one
        (multi)polygon per class.
    names : dict of str to str
        Label of each class in the UI language.
    name : str
        Layer name in the layer control.
    show : bool
        Whether the layer is on at start.
    """
    data = gpd.GeoDataFrame({
        "zone": [safe_text(names.get(z, z)) for z in zones["zone"].tolist()],
        "color": [ZONE_COLORS[z] for z in zones["zone"].tolist()],
    }, geometry=zones.geometry.values, crs=4326)
    return folium.GeoJson(
        data.to_json(drop_id=True), name=safe_text(name), show=show,
        style_function=lambda f: {"color": f["properties"]["color"], "weight": 0,
                                  "fillColor": f["properties"]["color"], "fillOpacity": 0.6},
        tooltip=folium.GeoJsonTooltip(fields=["zone"], labels=False),
        zoom_on_click=False)


_POINT_CALLBACK = """
function callback(row) {
    var m = L.circleMarker([row[0], row[1]], {radius: 6, color: '#222', weight: 1,
                                             fillColor: row[2], fillOpacity: 0.9});
    m.bindTooltip(row[3]);
    return m;
}
"""


def verdict_points(table: pd.DataFrame, *, name: str, lang: str = "id", cluster_from: int = 300,
                   text_columns: Sequence[str] = ("site_id", "kelurahan")) -> FastMarkerCluster:
    """Sites coloured by verdict, drawn in the browser from one array.

    Folium ``Marker`` objects cost ~0.5 ms and ~430 bytes each; one array and a
    JS callback scale to 10,000+ sites. Points are clustered only from
    ``cluster_from`` sites on.

    Parameters
    ----------
    table : pandas.DataFrame
        Engine result with ``lat``, ``lon``, ``verdict`` and ``text_columns``.
    name : str
        Layer name in the layer control.
    lang : str
        Language of the verdict label in the tooltip.
    cluster_from : int
        Cluster when there are at least this many sites.
    text_columns : sequence of str
        Columns joined into the tooltip (escaped).
    """
    lat = np.round(table["lat"].to_numpy(dtype=float), 6)
    lon = np.round(table["lon"].to_numpy(dtype=float), 6)
    verdicts = table["verdict"].astype(str).tolist()
    colors = [COLORS.get(Verdict(v), "#777777") if v in Verdict.__members__ else "#777777"
              for v in verdicts]
    labels = {v: safe_text(label(v, lang)) for v in set(verdicts) if v in Verdict.__members__}
    cols = [table[c].tolist() for c in text_columns if c in table.columns]
    rows = []
    for i in range(len(table)):
        parts = [safe_text(c[i]) for c in cols]
        text = "<b>" + labels.get(verdicts[i], safe_text(verdicts[i])) + "</b><br>" + " · ".join(
            p for p in parts if p)
        rows.append([float(lat[i]), float(lon[i]), colors[i], text])
    options = {"chunkedLoading": True, "showCoverageOnHover": False}
    if len(rows) < cluster_from:
        options["disableClusteringAtZoom"] = 1
    return FastMarkerCluster(rows, callback=_POINT_CALLBACK, name=safe_text(name), options=options)


def point_marker(lat: float, lon: float, *, color: str, text: str,
                 name: str = "selected") -> folium.FeatureGroup:
    """A single highlighted point (the clicked spot), in its own feature group.

    ``text`` is escaped here; pass plain text.
    """
    fg = folium.FeatureGroup(name=safe_text(name), control=False)
    folium.CircleMarker([lat, lon], radius=9, color="#000000", weight=2, fill=True,
                        fill_color=color, fill_opacity=0.95,
                        tooltip=folium.Tooltip(safe_text(text))).add_to(fg)
    return fg


class Legend(MacroElement):
    """A legend box in a map corner; items are ``(colour, label)`` pairs (labels escaped)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function(){
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function() {
                var div = L.DomUtil.create('div', 'geozones-legend');
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, title: str, items: Sequence[tuple[str, str]], position: str = "bottomright"):
        super().__init__()
        self._name = "Legend"
        self.position = position
        rows = "".join(f'<div><i style="background:{safe_text(c)}"></i>{safe_text(t)}</div>'
                       for c, t in items)
        self.html = f"<b>{safe_text(title)}</b>{rows}"


class HtmlPopup(MacroElement):
    """A popup bound to its parent layer from an HTML string, without jQuery.

    folium's ``Popup`` builds its content with ``$(...)`` (jQuery), one of the
    :data:`UNUSED_ASSETS` this app never loads offline: the map would stop at that
    line. ``html`` must already be escaped (:func:`safe_text` on every value).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindPopup({{ this.html|tojson }}, {maxWidth: {{ this.max_width }}});
        {% endmacro %}
    """)

    def __init__(self, html: str, max_width: int = 320):
        super().__init__()
        self._name = "HtmlPopup"
        self.html = html
        self.max_width = int(max_width)


class Attribution(MacroElement):
    """Add data attribution lines to the map's attribution control (escaped)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {% for line in this.lines %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ line|tojson }});
        {% endfor %}
        {% endmacro %}
    """)

    def __init__(self, lines: Iterable[str]):
        super().__init__()
        self._name = "Attribution"
        self.lines = [safe_text(s) for s in lines]


def layer_control(m: folium.Map) -> folium.LayerControl:
    """Add a collapsed layer control (collapsed keeps phones usable)."""
    return folium.LayerControl(collapsed=True, position="topright").add_to(m)


def bounds_view(bounds: Sequence[float], *, width_px: int = 700,
                height_px: int = 560) -> tuple[tuple[float, float], int]:
    """Centre and zoom that fit ``(minx, miny, maxx, maxy)`` in a map of the given size.

    Returns
    -------
    ((float, float), int)
        ``(lat, lon)`` centre and a Web-Mercator zoom level between 10 and 18.
    """
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    center = ((miny + maxy) / 2.0, (minx + maxx) / 2.0)

    def merc_y(lat: float) -> float:
        s = math.sin(math.radians(lat))
        return math.log((1 + s) / (1 - s)) / 2.0

    dx = max(maxx - minx, 1e-6) / 360.0
    dy = max(abs(merc_y(maxy) - merc_y(miny)), 1e-9) / (2 * math.pi)
    zoom_x = math.log2(width_px / 256.0 / dx)
    zoom_y = math.log2(height_px / 256.0 / dy)
    return center, int(max(10, min(18, math.floor(min(zoom_x, zoom_y)))))


def map_html(m: folium.Map) -> str:
    """The complete standalone HTML of a map (what a browser downloads)."""
    return m.get_root().render()


def geojson_feature_count(layer: folium.GeoJson) -> int:
    """Number of features a folium GeoJson layer will draw."""
    data = layer.data if isinstance(layer.data, dict) else json.loads(layer.data)
    return len(data.get("features", []))


def grant_in_force(grant, at) -> bool:
    """Whether ``grant``'s window holds the aware instant ``at`` (start inclusive, end exclusive).

    A window bounded by schedule names (``"campaign"``) is judged by the engine and
    counts as in force here (shown always).
    """
    start, end = grant.window.start, grant.window.end
    if isinstance(start, str) or isinstance(end, str):
        return True
    return (start is None or start <= at) and (end is None or at < end)


def grants_layer(grants, at, lang: str = "id"):
    """Discretion grants in force at ``at`` as circles: place, window, conditions and letter (text escaped).

    Parameters
    ----------
    grants : list of geozones.rules.model.Grant
        The rule set's own and the register's granted ones.
    at : datetime
        Aware instant; grants whose window holds it are drawn.

    Returns
    -------
    folium.FeatureGroup or None
        None when no grant is in force then.
    """
    import folium
    import shapely.geometry

    from geozones.core.time import format_wib

    live = [g for g in grants if grant_in_force(g, at)]
    if not live:
        return None
    fg = folium.FeatureGroup(name="Diskresi berlaku" if lang == "id" else "Discretion in force")
    for g in live:
        geom = shapely.geometry.shape(g.place.geometry) if g.place.geometry else None
        if geom is None:
            continue
        window = " – ".join(format_wib(x) if x else "…" for x in (g.window.start, g.window.end))
        cond = g.conditions.get(lang) if g.conditions else "-"
        html = (f"<b>{safe_text('DISKRESI' if lang == 'id' else 'DISCRETION')} {safe_text(g.id)}</b>"
                f"<br>{safe_text(g.reference)}<br>{safe_text(window)}"
                f"<br>{safe_text(', '.join(g.lifts))}<br>{safe_text(cond)}")
        c = geom.centroid
        circle = folium.Circle([c.y, c.x], radius=max(float(g.place.radius), 8.0), color="#1d4ed8", fill=True,
                               fill_opacity=0.35, tooltip=safe_text(f"{g.id} · {g.reference}"))
        HtmlPopup(html).add_to(circle)
        circle.add_to(fg)
    return fg

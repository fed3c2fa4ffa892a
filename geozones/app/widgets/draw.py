"""The drawing widget: folium's Draw plugin, offline, through streamlit-folium.

What comes back and why it is built this way (workflows-research §2, verified with
streamlit-folium 0.27.4 and folium 0.20):

* leaflet-draw is served from ``static/leaflet-draw/`` (:class:`LocalDraw`), so the
  toolbar works with no internet; :func:`geozones.app.mapview.use_local_assets`
  keeps these ``/app/static`` URLs and still refuses any other CDN asset.
* Stored zones are made editable by **flattening** them into the Draw feature group
  (:class:`EditableFeatures`: ``L.geoJSON(data).eachLayer(l => fg.addLayer(l))``), so
  every polygon, line and point is its own editable layer and keeps its
  ``feature.properties`` (``zone_id``). A ``folium.GeoJson`` group in the Draw
  group is never used: it is not editable and stops editing of layers after it.
* ``st_folium`` returns ``all_drawings`` (every feature in the group after each
  create / edit / delete) and ``last_active_drawing`` (only on create); only those
  two are asked for, so panning does not rerun the app.
* :func:`split_drawings` turns ``all_drawings`` into new, changed and deleted zones
  against the stored ones (a feature without ``zone_id`` is new).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import folium
import shapely.geometry
from branca.element import MacroElement
from folium.plugins import Draw
from folium.template import Template
from streamlit_folium import st_folium

from geozones.app import mapview

#: What st_folium sends back for drawing (nothing else reruns the app).
RETURNED = ["all_drawings", "last_active_drawing"]
#: Shapes KPU staff draw: areas, lines (road segments) and points. Circles are off:
#: their GeoJSON is a bare point that loses the radius.
DRAW_OPTIONS = {"polygon": {"allowIntersection": False, "showArea": True}, "polyline": {}, "rectangle": {},
                "marker": {}, "circle": False, "circlemarker": False}
#: Style of the stored zones in the editor.
ZONE_STYLE = {"color": "#7b3294", "weight": 2, "fillOpacity": 0.2}


class LocalDraw(Draw):
    """folium's Draw control with leaflet-draw 1.0.4 from ``static/leaflet-draw`` (see static/README.md)."""

    default_js: ClassVar[list[tuple[str, str]]] = [
        ("leaflet_draw_js", f"{mapview.STATIC_URL}/leaflet-draw/leaflet.draw.js")]
    default_css: ClassVar[list[tuple[str, str]]] = [
        ("leaflet_draw_css", f"{mapview.STATIC_URL}/leaflet-draw/leaflet.draw.css")]


class EditableFeatures(MacroElement):
    """Adds GeoJSON features to its parent FeatureGroup one layer per feature, so Draw can edit them.

    Parameters
    ----------
    features : list of dict
        GeoJSON Features in EPSG:4326; their properties come back in ``all_drawings``. A
        ``label`` property is shown (as text) on hover.
    style : dict, optional
        Leaflet path style of lines and polygons.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.geoJSON({{ this.data_js }}, {style: function () { return {{ this.style_js }}; }})
            .eachLayer(function (layer) {
                var label = layer.feature && layer.feature.properties && layer.feature.properties.label;
                if (label) {  // as text, never HTML: names come from users
                    var tip = document.createElement("span");
                    tip.textContent = String(label);
                    layer.bindTooltip(tip, {sticky: true});
                }
                {{ this._parent.get_name() }}.addLayer(layer);
            });
        {% endmacro %}
    """)

    def __init__(self, features: Sequence[Mapping[str, Any]], style: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self._name = "EditableFeatures"
        # not folium's tojavascript: it camelCases keys (zone_id would come back as zoneId)
        self.data_js = _js_json({"type": "FeatureCollection", "features": list(features)})
        self.style_js = _js_json(dict(style or ZONE_STYLE))


def _js_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element: ``<``, ``>``, ``&``, ``'`` and line separators escaped."""
    text = json.dumps(value, ensure_ascii=False, default=float)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def zone_features(zones: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Stored zones as GeoJSON Features carrying ``zone_id`` and ``name`` (what the editor loads).

    Parameters
    ----------
    zones : iterable of mapping
        Each with ``zone_id`` (or ``id``), ``name`` and ``geometry`` (GeoJSON mapping or shapely).
    """
    out = []
    for z in zones:
        geom = z["geometry"]
        if not isinstance(geom, Mapping):
            geom = shapely.geometry.mapping(geom)
        out.append({"type": "Feature", "geometry": json.loads(json.dumps(geom)),
                    "properties": {"zone_id": str(z.get("zone_id") or z.get("id")), "name": str(z.get("name") or "")}})
    return out


def add_draw_control(m: folium.Map, features: Sequence[Mapping[str, Any]] = (), *,
                     draw_options: Mapping[str, Any] | None = None,
                     style: Mapping[str, Any] | None = None) -> folium.FeatureGroup:
    """Add the Draw toolbar to ``m``, with ``features`` loaded as editable layers.

    ``style`` is their Leaflet path style (default :data:`ZONE_STYLE`).

    Returns
    -------
    folium.FeatureGroup
        The edit group (``drawnItems`` in the browser).
    """
    fg = folium.FeatureGroup(name="zona", control=False)
    EditableFeatures(features, style).add_to(fg)
    fg.add_to(m)
    LocalDraw(feature_group=fg, show_geometry_on_click=False, draw_options=dict(draw_options or DRAW_OPTIONS),
              edit_options={"poly": {"allowIntersection": False}}).add_to(m)
    mapview.use_local_assets(m)
    return fg


@dataclass
class DrawnChanges:
    """What the user did on the map, against the stored zones.

    ``new``: features without a stored ``zone_id``; ``changed``: stored zones whose
    geometry differs (zone id to GeoJSON Feature); ``deleted``: stored zone ids gone
    from the map.
    """

    new: list[dict[str, Any]] = field(default_factory=list)
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.new or self.changed or self.deleted)


def split_drawings(all_drawings: Sequence[Mapping[str, Any]] | None,
                   stored: Sequence[Mapping[str, Any]]) -> DrawnChanges:
    """Compare ``all_drawings`` from st_folium with the stored zone features.

    Leaflet rounds coordinates to 6 decimals (about 0.1 m), so geometries are
    compared after the same rounding.
    """
    def norm(geom: Mapping[str, Any]) -> Any:
        g = shapely.geometry.shape(geom)
        return shapely.set_precision(g, 1e-6).normalize().wkb

    by_id = {str(f["properties"]["zone_id"]): f for f in stored}
    out = DrawnChanges()
    seen = set()
    for feat in all_drawings or []:
        zid = (feat.get("properties") or {}).get("zone_id")
        if zid is None or str(zid) not in by_id:
            out.new.append(dict(feat))
            continue
        seen.add(str(zid))
        if norm(feat["geometry"]) != norm(by_id[str(zid)]["geometry"]):
            out.changed[str(zid)] = dict(feat)
    out.deleted = [z for z in by_id if z not in seen]
    return out


def draw_map(m: folium.Map, *, key: str, features: Sequence[Mapping[str, Any]] = (), height: int = 560,
             draw_options: Mapping[str, Any] | None = None,
             style: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Show ``m`` with the drawing toolbar and return every feature on it.

    Parameters
    ----------
    m : folium.Map
        The base map (built once; keep it constant between reruns).
    key : str
        Streamlit widget key.
    features : list of dict
        Stored zones as GeoJSON Features (:func:`zone_features`), loaded editable.
    draw_options : dict, optional
        leaflet-draw ``draw`` options (default :data:`DRAW_OPTIONS`).
    style : dict, optional
        Leaflet path style of the stored zones (default :data:`ZONE_STYLE`).

    Returns
    -------
    list of dict
        GeoJSON Features (EPSG:4326) now in the edit group: stored ones (with their
        ``zone_id``, possibly moved) and new ones (empty properties). The stored
        features themselves until the user draws, edits or deletes.
    """
    add_draw_control(m, features, draw_options=draw_options, style=style)
    out = st_folium(m, key=key, height=height, use_container_width=True, returned_objects=RETURNED)
    drawings = out.get("all_drawings") if isinstance(out, dict) else None
    return [dict(f) for f in drawings] if drawings is not None else [dict(f) for f in features]


__all__ = ["DRAW_OPTIONS", "RETURNED", "DrawnChanges", "EditableFeatures", "LocalDraw", "add_draw_control",
           "draw_map", "split_drawings", "zone_features"]

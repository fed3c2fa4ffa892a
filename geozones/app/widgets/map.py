"""The map widget: st_folium with a stable base map and the click copied into session state.

The component is keyed and its base map does not change between reruns, so the
view stays where the user left it; the chosen spot is pushed through
``feature_group_to_add`` and view changes through ``center``/``zoom``. The click
is copied into ``st.session_state["selected_point"]`` by the ``on_change``
callback, before the script reruns, so the verdict panel and the marker agree
in the same run; tests set that key directly (AppTest cannot drive the map).
"""

from __future__ import annotations

import folium
import streamlit as st
from streamlit_folium import st_folium

from geozones.app import mapview, state

#: Only clicks make the app rerun; panning and zooming do not.
RETURNED = ["last_clicked"]


def add_area_context(m: folium.Map, *, fit: bool = True) -> bool:
    """Draw the area's kelurahan outlines (names on hover) and the data attribution on ``m``.

    Read through the app's shared context (the catalog and layers of the public
    map), so a user drawing a zone or pinning a report sees where the
    jurisdiction ends and which kelurahan a spot falls in. With ``fit`` the
    view is fitted to the area. Returns False, with a note under the map, when
    the layers cannot be read.
    """
    from geozones.app import context as data
    from geozones.app.i18n import t
    from geozones.app.text import md_escape
    from geozones.core.errors import InputError

    lang = state.lang()
    try:
        kel = data.kelurahan_display(*data.keys())
        lines = data.context().attributions
    except InputError as err:
        st.caption(md_escape(f"{t('layer.kelurahan', lang)}: " + "; ".join(p.text(lang) for p in err.problems)))
        return False
    mapview.kelurahan_layer(kel, name=t("layer.kelurahan", lang),
                            aliases=[t(f"tip.{f}", lang) for f in data.KEL_FIELDS]).add_to(m)
    if fit:
        b = kel.total_bounds
        m.fit_bounds([[b[1], b[0]], [b[3], b[2]]])
    mapview.Attribution(lines).add_to(m)
    return True


def _copy_click(key: str) -> None:
    out = st.session_state.get(key) or {}
    clicked = out.get("last_clicked") if isinstance(out, dict) else None
    if clicked and "lat" in clicked and "lng" in clicked:
        state.set_selected_point(clicked["lat"], clicked["lng"])


def show_map(m: folium.Map, *, key: str, height: int = 560, clickable: bool = False,
             center: tuple[float, float] | None = None, zoom: int | None = None,
             feature_group: folium.FeatureGroup | list[folium.FeatureGroup] | None = None) -> None:
    """Render a folium map offline; with ``clickable`` a click sets the selected point.

    ``feature_group`` (one or a list) is drawn on top of the map without
    reloading it, so the view is kept when it changes.
    """
    mapview.use_local_assets(m)
    for fg in ([feature_group] if isinstance(feature_group, folium.FeatureGroup) else feature_group or []):
        mapview.use_local_assets(fg)
    st_folium(m, key=key, height=height, use_container_width=True,
              returned_objects=RETURNED if clickable else [],
              on_change=(lambda: _copy_click(key)) if clickable else None,
              center=list(center) if center else None, zoom=zoom,
              feature_group_to_add=feature_group)

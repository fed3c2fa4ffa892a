"""Peta: click a spot (or type coordinates) and see its verdict with every reason."""

import streamlit as st

from geozones.app import context as data
from geozones.app import mapview, page, state
from geozones.app.i18n import apk_label, t
from geozones.app.text import md_escape
from geozones.app.widgets.map import show_map
from geozones.app.widgets.panel import after_election, attribution_footer, schedule_box, verdict_panel
from geozones.core.apk import ApkType
from geozones.core.verdicts import COLORS, Verdict, label

lang, ctx = page.start("peta_at")
st.title(t("map.title", lang))
st.caption(md_escape(t("map.help", lang)))

c1, c2, c3 = st.columns([2, 1, 1.4])
default_at, moved = state.default_judged_at(ctx.ruleset.schedule)
with c1:
    at = state.judged_at_picker(lambda k, **v: t(k, lang, **v), key="peta_at", default=default_at)
# "No choice" is a real option ("" / -1), not None: Streamlit reads a None value as "nothing
# selected" and shows its English placeholder, which is what a language switch used to leave here.
# Each language has its own widget (state.lang_key), started from the other's value.
apk_options = ["", *(a.value for a in ApkType)]
apk = c2.selectbox(t("ctl.apk_type", lang), apk_options, key=state.lang_key("peta_apk", lang),
                   format_func=lambda v: apk_label(v, lang)) or None
index = data.search_index(*data.keys())
choices = [-1, *range(len(index))]
found = c3.selectbox(
    t("ctl.search", lang), choices, key=state.lang_key("peta_search", lang),
    format_func=lambda i: t("ctl.search_none", lang) if i < 0 else
    f"{t('ctl.search_' + index.kind[i], lang)} {index.name[i]} ({index.code[i]})")
found = None if found is None or found < 0 else found
default_note = t("ctl.default_inside", lang, today=f"{state.now_wib():%d/%m/%Y}")
schedule_box(ctx.ruleset, at, lang, note=default_note if moved and at.date() == default_at.date() else None)

center, zoom = (mapview.JAKPUS_CENTER, mapview.JAKPUS_ZOOM)
if found is not None:
    center, zoom = mapview.bounds_view(index.bounds[found])

left, right = st.columns([3, 2], gap="medium")
with right:
    with st.expander(t("map.coords", lang)), st.form("peta_coords", border=False):
        sel = state.selected_point() or mapview.JAKPUS_CENTER
        lat = st.number_input(t("map.lat", lang), value=float(sel[0]), format="%.6f", min_value=-90.0,
                              max_value=90.0, key="peta_lat")
        lon = st.number_input(t("map.lon", lang), value=float(sel[1]), format="%.6f", min_value=-180.0,
                              max_value=180.0, key="peta_lon")
        if st.form_submit_button(t("map.check", lang)):
            state.set_selected_point(lat, lon)

with left:
    map_slot = st.container()  # the map goes above the switch, which must be read first
    advisory = st.toggle(t("map.advisory", lang), key="peta_advisory", help=t("map.advisory_help", lang))

point = state.selected_point()
result = None
if point is not None:
    from geozones.io.sites import sites_frame

    site = sites_frame(point[1], point[0], site_id="titik", apk_type=apk)
    result = ctx.checker.check(site, at)  # the CLI's checker: same rules, layers and grants

with map_slot:
    m = mapview.base_map(online_tiles=True, tiles_label=t("ctl.online_tiles", lang))
    mapview.kelurahan_layer(data.kelurahan_display(*data.keys()), name=t("layer.kelurahan", lang),
                            aliases=[t(f"tip.{f}", lang) for f in data.KEL_FIELDS]).add_to(m)
    names = {c: t(f"layer.{c}", lang) for c in mapview.CATEGORIES}
    tips = [t("tip.name", lang), t("tip.rules", lang), t("tip.verdict", lang)]
    restricted = data.restricted_display(*data.keys())
    # The 570 advisory radii are left out of the first page (a third of the map HTML) and added
    # on request through feature_group_to_add, which updates the map without reloading it.
    for fg in mapview.restricted_layers(restricted, names=names, lang=lang, tooltip_aliases=tips,
                                        categories=("parcel", "corridor", "kawasan")):
        fg.add_to(m)
    grants_fg = mapview.grants_layer([*ctx.ruleset.grants, *ctx.checker.grants], at, lang)
    if grants_fg is not None:
        grants_fg.add_to(m)
    legend = [(COLORS[v], label(v, lang)) for v in (Verdict.FORBIDDEN, Verdict.NEEDS_DISCRETION,
                                                    Verdict.NEEDS_PERMIT, Verdict.NEEDS_OWNER_CONSENT,
                                                    Verdict.ALLOWED)]
    mapview.Legend(t("legend.title", lang), [*legend, ("#ffffff", t("legend.dashed", lang))]).add_to(m)
    mapview.Attribution(ctx.attributions).add_to(m)
    mapview.layer_control(m)
    extra = []
    if result is not None:
        row = result.table.iloc[0]
        extra.append(mapview.point_marker(point[0], point[1], color=COLORS[Verdict(row["verdict"])],
                                          text=label(row["verdict"], lang), name=t("layer.selected", lang)))
    if advisory:
        extra += mapview.restricted_layers(restricted, names=names, lang=lang, tooltip_aliases=tips,
                                           categories=("advisory",))
    show_map(m, key="peta_map", clickable=True, center=center, zoom=zoom, feature_group=extra or None)
with left:
    attribution_footer(ctx.attributions, lang)

with right:
    st.subheader(t("panel.title", lang))
    if result is None:
        st.info(t("map.pick", lang))
    elif after_election(ctx.ruleset, at):
        # The schedule box above already says the date is after the election; the engine's
        # time rule (the quiet period) is kept out of sight rather than cited as the reason.
        with st.expander(t("sched.after_engine", lang)):
            verdict_panel(result, lang)
    else:
        verdict_panel(result, lang)

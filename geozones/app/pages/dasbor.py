"""Dasbor Bawaslu: overdue and due-soon cases first, counts, a map of reports by state, quiet-period sweeps."""

import html

import folium
import pandas as pd
import streamlit as st

from geozones.app import casework_view as cv
from geozones.app import mapview, state
from geozones.app.i18n import apk_label
from geozones.app.messages import show_error
from geozones.app.widgets.map import add_area_context, show_map
from geozones.core.errors import InputError
from geozones.core.time import format_wib
from geozones.services import cases as C

lang = state.lang()
who = cv.principal()
st.title(cv.tr("dash.title"))
try:
    store = cv.store()
    at = cv.now()
    dash = C.dashboard(store, who, at=at)
except InputError as err:
    st.warning(cv.tr("need_bawaslu"))
    show_error(err, cv.tr("cases.refused"), lang)
    st.stop()
st.caption(format_wib(at))

st.subheader(cv.tr("dash.overdue"))
urgent = dash["overdue"] + dash["due_soon"]
if urgent:
    frame = pd.DataFrame([{"case_id": r.case_id, "!": cv.tr("cases.overdue") if r.overdue else "≤24h",
                           "state": cv.state_text(r.state), "kelurahan": r.kelurahan,
                           "verdict": cv.verdict_text(r.verdict), "rule_ids": r.rule_ids,
                           "deadline": format_wib(r.deadline) if r.deadline else ""} for r in urgent])
    st.dataframe(frame, hide_index=True, width="stretch", column_config=cv.column_labels(frame.columns))
else:
    st.info(cv.tr("dash.none_overdue"))

st.subheader(cv.tr("dash.by_state"))
by_state = dash["open_by_state"]
if by_state:
    cols = st.columns(min(len(by_state), 6))
    for i, (name, n) in enumerate(sorted(by_state.items())):
        cols[i % len(cols)].metric(cv.state_text(name), n)

groups = {"kelurahan": "per_kelurahan", "kecamatan": "per_kecamatan", "rule": "per_rule", "paslon": "per_paslon",
          "apk": "per_apk_type", "day": "per_day"}
tabs = st.tabs([cv.tr(f"dash.tab.{g}") for g in groups])
for tab, (group, key) in zip(tabs, groups.items(), strict=True):
    with tab:
        counts = pd.Series(dash[key], dtype="int64").sort_index()
        if group == "apk":  # APK types by name, as everywhere else
            counts.index = [apk_label(v, lang) for v in counts.index]
        if len(counts):
            st.bar_chart(counts)

st.subheader(cv.tr("dash.map"))
m = mapview.base_map()
add_area_context(m)  # kelurahan outlines and the data attribution, so the points have a place
mapview.Legend(cv.tr("dash.legend"), cv.state_legend()).add_to(m)
fg = folium.FeatureGroup(name="reports")
for r in dash["rows"]:
    folium.CircleMarker([r.lat, r.lon], radius=7, color="#000", weight=1, fill=True, fill_opacity=0.9,
                        fill_color=cv.STATE_COLORS.get(r.state, "#999"),
                        tooltip=html.escape(f"#{r.case_id} {cv.state_text(r.state)} · {r.kelurahan} · "
                                            f"{cv.verdict_text(r.verdict)}")).add_to(fg)
show_map(m, key="dash_map", height=420, feature_group=fg)

st.subheader(cv.tr("dash.sweeps"))
sw = dash["sweeps"]
if sw:
    sweeps = pd.DataFrame(sw).T.fillna(0).astype(int)
    st.dataframe(sweeps, width="stretch", column_config={c: apk_label(c, lang) for c in sweeps.columns})
with st.form("sweep"):
    kec = st.text_input(cv.COLUMNS["kecamatan"][lang == "en"], key="sweep_kec")
    c1, c2, c3, c4 = st.columns(4)
    n = {"baliho": c1.number_input(apk_label("baliho", lang), 0, step=1, key="sw_b"),
         "billboard": c2.number_input(apk_label("billboard", lang), 0, step=1, key="sw_bb"),
         "spanduk": c3.number_input(apk_label("spanduk", lang), 0, step=1, key="sw_s"),
         "umbul_umbul": c4.number_input(apk_label("umbul_umbul", lang), 0, step=1, key="sw_u")}
    add = st.form_submit_button(cv.tr("dash.sweep_add"))
if add:
    try:
        C.record_sweep(store, who, kec, {k: int(v) for k, v in n.items()}, swept_at=cv.now(), now=cv.now())
        st.rerun()
    except InputError as err:
        show_error(err, cv.tr("cases.refused"), lang)

"""Aturan: the active rule set, read-only, with layer coverage and what is absent."""

import datetime as dt

import pandas as pd
import streamlit as st

from geozones.app import context as data
from geozones.app import coverage_view, page, state
from geozones.app.i18n import apk_label, t
from geozones.app.mapview import grant_in_force
from geozones.app.messages import show_error
from geozones.app.text import EMPTY, md_escape
from geozones.app.widgets.panel import attribution_footer, format_wib, schedule_box
from geozones.core.errors import InputError
from geozones.core.verdicts import label
from geozones.rules.describe import describe_rules

lang, ctx = page.start("aturan_at")  # the version in force on the page's date (store or files)
st.title(t("rules.title", lang))
# The same date control as the Peta page: today, or a day inside the campaign when today is outside it.
default_at, moved = state.default_judged_at(ctx.ruleset.schedule)
at = state.judged_at_picker(lambda k, **v: t(k, lang, **v), key="aturan_at", default=default_at)
rs = ctx.ruleset
st.subheader(md_escape(rs.title.get(lang)))
st.caption(md_escape(t("rules.meta", lang, version=rs.version, status=rs.status, issued_by=rs.issued_by)))
st.caption(md_escape(t("rules.default", lang, verdict=label(rs.default_verdict, lang))))
default_note = t("ctl.default_inside", lang, today=f"{state.now_wib():%d/%m/%Y}")
schedule_box(rs, at, lang, note=default_note if moved and at.date() == default_at.date() else None)


def _window(bounds) -> str:
    start, end = bounds
    if start is None and end is None:
        return t("window.always", lang)
    return f"{format_wib(start) if start is not None else '…'} – {format_wib(end) if end is not None else '…'}"


st.subheader(t("rules.rules", lang))
st.caption(t("rules.grades", lang))
rules = pd.DataFrame([{
    t("col.rule_id", lang): r.id,
    t("col.title", lang): r.title_in(lang),
    t("col.verdict", lang): label(r.verdict, lang),
    t("col.form", lang): r.form_text(lang),
    t("col.metres", lang): f"{r.metres:g}" if r.metres else "—",
    t("col.place", lang): r.place_detail,
    t("col.legal_basis", lang): "; ".join(r.citations),
    t("col.grade", lang): r.grades,
    t("col.window", lang): _window(r.window_at),
    t("col.apk_types", lang): ", ".join(apk_label(a, lang) for a in r.apk_types) if r.apk_types else "—",
    t("col.advisory", lang): t("yes", lang) if r.advisory else t("no", lang),
    t("col.note", lang): r.note_in(lang),
} for r in describe_rules(rs)])
st.dataframe(rules, hide_index=True, width="stretch", placeholder=EMPTY)

st.subheader(t("rules.quotas", lang))
st.dataframe(pd.DataFrame([{
    t("col.apk_type", lang): apk_label(q.apk_type, lang), t("col.unit", lang): q.unit,
    t("col.facilitated_max", lang): q.facilitated_max, t("col.cap", lang): q.cap,
    t("col.legal_basis", lang): "; ".join(b.cite() for b in q.legal_basis)} for q in rs.quotas]),
    hide_index=True, width="stretch", placeholder=EMPTY)

def _place(place) -> str:
    import shapely.geometry

    c = shapely.geometry.shape(place.geometry).centroid
    return f"{c.y:.6f}, {c.x:.6f}" + (f" (r {place.radius:g} m)" if place.radius else "")


st.subheader(t("rules.grants", lang))
all_grants = [*rs.grants, *ctx.checker.grants]  # the rule set's own and the KPU register's granted ones
live = [g for g in all_grants if grant_in_force(g, at)]
other = [g.id for g in all_grants if not grant_in_force(g, at)]
if live:
    st.caption(md_escape(t("rules.grants_at", lang, date=format_wib(at))))
    st.dataframe(pd.DataFrame([{
        t("col.id", lang): g.id, t("col.lifts", lang): ", ".join(g.lifts),
        t("col.window", lang): _window((g.window.start, g.window.end)), t("col.reference", lang): g.reference,
        ("Syarat" if lang == "id" else "Conditions"): g.conditions.get(lang) if g.conditions else "",
        ("Tempat" if lang == "id" else "Place"): g.place.site_id or _place(g.place)}
        for g in live]), hide_index=True, width="stretch", placeholder=EMPTY)
else:
    st.caption(t("rules.grants_none_at" if all_grants else "rules.grants_none", lang))
if other:
    st.caption(md_escape(t("rules.grants_other", lang, ids=", ".join(other))))

st.subheader(t("cov.title", lang))
st.caption(md_escape(t("cov.help", lang)))
titles = {n: lyr.spec.title.get(lang, lyr.spec.title.get("id", n)) for n, lyr in ctx.layers.layers.items()}
try:
    cov = data.coverage_report(*data.keys(), dt.date.today())
except InputError as err:
    show_error(err, t("cov.unavailable", lang), lang)
    cov = None
if cov is not None:
    layer_rows = coverage_view.layer_table(cov, rs, titles, lang)
    st.dataframe(layer_rows, hide_index=True, width="stretch", placeholder=EMPTY, height=35 * (len(layer_rows) + 1) + 3)
    absent = coverage_view.absent_items(cov, rs, lang)
    if absent:
        st.warning(md_escape(t("rules.absent", lang, names="; ".join(absent))))
    st.subheader(t("cov.kelurahan", lang))
    st.caption(md_escape(t("cov.gap_count", lang, n=len(cov.gaps), total=len(cov.kelurahan))))
    only_gaps = st.toggle(t("cov.only_gaps", lang), key="cov_only_gaps")
    st.dataframe(coverage_view.kelurahan_table(cov, titles, lang, gaps_only=only_gaps), hide_index=True,
                 width="stretch", placeholder=EMPTY)
    with st.expander(t("cov.categories", lang)):
        st.dataframe(coverage_view.category_table(cov, lang), hide_index=True, width="stretch", placeholder=EMPTY)
attribution_footer(ctx.attributions, lang)

"""Aturan: the active rule set, read-only, with layer coverage and what is absent."""

import datetime as dt

import pandas as pd
import streamlit as st

from geozones.apk import APK_LABELS
from geozones.i18n import t
from geozones.ui import page
from geozones.ui.panel import attribution_footer, fmt_wib, schedule_box
from geozones.ui.state import now_wib
from geozones.ui.text import md_escape
from geozones.verdicts import label

lang, ctx = page.start()
rs = ctx.ruleset
st.title(t("rules.title", lang))
st.subheader(md_escape(rs.title.get(lang)))
st.caption(md_escape(t("rules.meta", lang, version=rs.version, status=rs.status, issued_by=rs.issued_by)))
st.caption(md_escape(t("rules.default", lang, verdict=label(rs.default_verdict, lang))))
schedule_box(rs, now_wib(), lang)


def _window(w) -> str:
    if w.start is None and w.end is None:
        return t("window.always", lang)
    start = fmt_wib(rs.instant(w.start)) if w.start is not None else "…"
    end = fmt_wib(rs.instant(w.end)) if w.end is not None else "…"
    return f"{start} – {end}"


def _place(r) -> str:
    if r.zones:
        return "; ".join(z.name for z in r.zones)
    if r.layer:
        where = "; ".join(f"{k} ∈ {', '.join(map(str, v))}" for k, v in r.where.items())
        return f"{r.layer}" + (f" ({where})" if where else "")
    return "—"


st.subheader(t("rules.rules", lang))
st.caption(t("rules.grades", lang))
rules = pd.DataFrame([{
    t("col.rule_id", lang): r.id,
    t("col.title", lang): r.title.get(lang),
    t("col.verdict", lang): label(r.verdict, lang),
    t("col.form", lang): t(f"form.{r.spatial.form}", lang),
    t("col.metres", lang): r.spatial.metres or None,
    t("col.place", lang): _place(r),
    t("col.legal_basis", lang): "; ".join(b.cite() for b in r.legal_basis),
    t("col.grade", lang): "".join(sorted({b.grade for b in r.legal_basis})),
    t("col.window", lang): _window(r.window),
    t("col.apk_types", lang): ", ".join(APK_LABELS[a][0] for a in r.apk_types) if r.apk_types else "—",
    t("col.advisory", lang): t("yes", lang) if r.advisory else t("no", lang),
    t("col.note", lang): r.note.get(lang) if r.note else "",
} for r in rs.rules])
st.dataframe(rules, hide_index=True, width="stretch")

st.subheader(t("rules.quotas", lang))
st.dataframe(pd.DataFrame([{
    t("col.apk_type", lang): APK_LABELS[q.apk_type][0], t("col.unit", lang): q.unit,
    t("col.facilitated_max", lang): q.facilitated_max, t("col.cap", lang): q.cap,
    t("col.legal_basis", lang): "; ".join(b.cite() for b in q.legal_basis)} for q in rs.quotas]),
    hide_index=True, width="stretch")

st.subheader(t("rules.grants", lang))
if rs.grants:
    st.dataframe(pd.DataFrame([{
        t("col.id", lang): g.id, t("col.lifts", lang): ", ".join(g.lifts),
        t("col.window", lang): _window(g.window), t("col.reference", lang): g.reference}
        for g in rs.grants]), hide_index=True, width="stretch")
else:
    st.caption(t("rules.grants_none", lang))

st.subheader(t("rules.layers", lang))
today = dt.date.today()
st.dataframe(pd.DataFrame([{
    t("col.name", lang): lyr.name,
    t("col.title", lang): lyr.spec.title.get(lang, lyr.spec.title.get("id", lyr.name)),
    t("col.present", lang): lyr.present,
    t("col.features", lang): len(lyr) if lyr.present else None,
    t("col.date", lang): lyr.spec.date.isoformat() if lyr.spec.date else "",
    t("col.age_years", lang): round((today - lyr.spec.date).days / 365.25, 1) if lyr.spec.date else None,
    t("col.source", lang): lyr.spec.source,
    t("col.licence", lang): lyr.spec.licence,
    t("col.problem", lang): lyr.problem or "",
} for lyr in ctx.layers.layers.values()]), hide_index=True, width="stretch")
absent = [lyr.name for lyr in ctx.layers.absent]
if absent:
    st.warning(md_escape(t("rules.absent", lang, names=", ".join(absent))))
attribution_footer(ctx.attributions, lang)

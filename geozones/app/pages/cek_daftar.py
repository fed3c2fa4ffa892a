"""Cek daftar: upload a list of sites, get it back checked, filtered, mapped and downloadable.

A file whose date column does not tell day from month (``10/2/2024``) is not refused
with the command line's options: the page asks for the order with a choice and reads the
file again with it (the same reading as ``geozones check --dayfirst/--monthfirst``).
"""

import hashlib
import time

import pandas as pd
import streamlit as st

from geozones.app import context as data
from geozones.app import mapview, page, state
from geozones.app.i18n import apk_label, t
from geozones.app.messages import show_error
from geozones.app.text import EMPTY, md_escape
from geozones.app.widgets import uploads
from geozones.app.widgets.map import show_map
from geozones.app.widgets.panel import after_election, after_election_note, attribution_footer
from geozones.core.errors import InputError
from geozones.core.time import DAY_FIRST, MONTH_FIRST, asks_date_order
from geozones.core.verdicts import COLORS, Verdict, label
from geozones.io import exports
from geozones.services.checking import sign_hints

SAMPLE = ("id,lon,lat,apk_type,paslon,installed_at\n"
          "A1,106.83109,-6.17025,spanduk,1,2024-10-01T08:00\n"
          "A2,106.85210,-6.18200,spanduk,2,\n"
          "A3,106.82290,-6.19500,baliho,3,2024-11-25T09:00\n")

lang, ctx = page.start("list_at")
st.title(t("list.title", lang))
st.caption(md_escape(t("list.help", lang)))

c1, c2 = st.columns([3, 2])
uploaded = c1.file_uploader(t("list.upload", lang), type=uploads.UPLOAD_TYPES, key="list_file")
with c2:
    default_at, moved = state.default_judged_at(ctx.ruleset.schedule)
    at = state.judged_at_picker(lambda k, **v: t(k, lang, **v), key="list_at", default=default_at,
                                help_text=t("list.at_help", lang),
                                default_note=t("ctl.default_inside", lang, today=f"{state.now_wib():%d/%m/%Y}")
                                if moved else None)
    if after_election(ctx.ruleset, at):
        after_election_note(ctx.ruleset, lang)
    st.download_button(t("list.template", lang), SAMPLE.encode("utf-8"), file_name="contoh-lokasi.csv",
                       mime="text/csv", key="list_sample")

if uploaded is None:
    st.session_state.pop("list_result", None)
    attribution_footer(ctx.attributions, lang)
    st.stop()


def ask_date_order(file_key: str, column: str) -> str | None:
    """Ask how a file's date column writes day and month; the order chosen, or None until one is."""
    st.info(t("list.date_order_ask", lang, col=md_escape(column)))
    return st.radio(t("list.date_order", lang, col=md_escape(column)), [DAY_FIRST, MONTH_FIRST], index=None,
                    format_func=lambda o: t(f"list.{o}", lang), horizontal=True,
                    key=state.lang_key(f"list_order_{file_key}", lang))


# The choice belongs to one file (its content): another upload is asked afresh.
file_key = hashlib.sha256(uploaded.getvalue()).hexdigest()[:16]
asked = st.session_state.get("list_order_asked")  # (file key, column) once a file needed the choice
order = None
if asked and asked[0] == file_key:
    order = ask_date_order(file_key, asked[1])
    if order is None:
        st.stop()  # read again only with a choice: without one it fails as before
try:
    # None until the user chose: a file that needs no choice is read as the column decides.
    sites, digest = uploads.read_upload(uploaded, date_order=order)
except InputError as err:
    asking = [p for p in err.problems if asks_date_order(p.message) or asks_date_order(p.message_id or "")]
    if order is None and asking:
        st.session_state["list_order_asked"] = (file_key, asking[0].field or "installed_at")
        ask_date_order(file_key, asking[0].field or "installed_at")
        rest = [p for p in err.problems if p not in asking]
        if rest:
            show_error(InputError(rest), t("list.bad_file", lang), lang, t("list.bad_hint", lang))
        st.stop()
    show_error(err, t("list.bad_file", lang), lang, t("list.bad_hint", lang))
    st.stop()

cache_key = (digest, order, at.isoformat())
cached = st.session_state.get("list_result")
if cached is None or cached[0] != cache_key:
    bar = st.progress(0.0, text=t("list.checking", lang, n=len(sites)))
    t0 = time.perf_counter()
    # The same checker as `geozones check` (rule set, layers, grants), so both give the same answers.
    res = ctx.checker.check(sites, at,
                            progress=lambda _step, frac: bar.progress(min(max(float(frac), 0.0), 1.0)))
    bar.empty()
    st.session_state["list_result"] = (cache_key, res, time.perf_counter() - t0)
_, res, secs = st.session_state["list_result"]
table = res.table
st.success(t("list.checked", lang, n=len(table), s=f"{secs:.2f}"))
for hint in sign_hints(table, ctx.layers):  # e.g. latitudes that lost their minus sign
    st.warning(md_escape(hint))

# --- filters ---
with st.container(border=True):
    st.markdown(f"**{md_escape(t('list.filters', lang))}**")
    f1, f2, f3, f4 = st.columns(4)
    verdicts = [v.value for v in Verdict if v.value in set(table["verdict"])]
    sel_v = f1.multiselect(t("list.f_verdict", lang), verdicts, key=state.lang_key("f_verdict", lang),
                           placeholder=t("list.choose", lang),
                           format_func=lambda v: label(v, lang))
    kels = sorted(table["kelurahan"].dropna().astype(str).unique())
    sel_k = f2.multiselect(t("list.f_kelurahan", lang), kels, key="f_kel", placeholder=t("list.choose", lang))
    pas = sorted(table["paslon"].dropna().astype(str).unique())
    sel_p = f3.multiselect(t("list.f_paslon", lang), pas, key="f_paslon", placeholder=t("list.choose", lang))
    apks = sorted(table["apk_type"].dropna().astype(str).unique())
    sel_a = f4.multiselect(t("list.f_apk", lang), apks, key=state.lang_key("f_apk", lang),
                           placeholder=t("list.choose", lang),
                           format_func=lambda v: apk_label(v, lang))
mask = pd.Series(True, index=table.index)
if sel_v:
    mask &= table["verdict"].isin(sel_v)
if sel_k:
    mask &= table["kelurahan"].isin(sel_k)
if sel_p:
    mask &= table["paslon"].astype(str).isin(sel_p)
if sel_a:
    mask &= table["apk_type"].astype(str).isin(sel_a)
shown = table.loc[mask]
st.caption(t("list.shown", lang, n=len(shown), total=len(table)))

# --- summary ---
counts = shown["verdict"].value_counts()
cols = st.columns(min(len(counts), 6) or 1)
for i, (v, n) in enumerate(counts.items()):
    cols[i % len(cols)].metric(label(v, lang), int(n))

# --- results table ---
st.subheader(t("list.results", lang))
reasons = "reasons_en" if lang == "en" else "reasons_id"
view = pd.DataFrame({
    t("col.site_id", lang): shown["site_id"].astype(str),
    t("col.verdict", lang): [label(v, lang) for v in shown["verdict"]],
    t("col.kelurahan", lang): shown["kelurahan"],
    t("col.kecamatan", lang): shown["kecamatan"],
    t("col.paslon", lang): shown["paslon"],
    t("col.apk_type", lang): [apk_label(v, lang) for v in shown["apk_type"]],
    t("col.rule_id", lang): shown["rule_ids"],
    t("col.reason", lang): shown[reasons],
    t("col.nearest", lang): shown["nearest_name"],
    t("col.nearest_m", lang): shown["nearest_m"].round(0),
    t("col.lat", lang): shown["lat"],
    t("col.lon", lang): shown["lon"],
})
# Up to ten rows the table is as tall as its rows (no empty padding), then it scrolls.
st.dataframe(view, hide_index=True, width="stretch", placeholder=EMPTY,
             height="auto" if len(view) > 10 else "content")

# --- downloads ---
st.subheader(t("list.downloads", lang))
# The same writers, attribution and reason language as `geozones check --lang`, so a file
# downloaded here has the CLI's columns (io.exports owns them; nothing is built here).
attribution = ctx.checker.attribution()
d1, d2, d3 = st.columns(3)
stem = uploaded.name.rsplit(".", 1)[0][:60] or "lokasi"
# Files are built only when a button is clicked (deferred callables), not on every rerun.

# The CSV is what `geozones check --reasons full --lang <language>` writes (the app shows full reasons).
d1.download_button(t("list.dl_csv", lang), lambda: exports.table_csv(shown, attribution=attribution, lang=lang),
                   file_name=f"{stem}-hasil.csv", mime="text/csv", key="dl_csv", on_click="ignore")
d2.download_button(t("list.dl_geojson", lang),
                   lambda: exports.table_geojson(shown, attribution=attribution, lang=lang),
                   file_name=f"{stem}-hasil.geojson", mime="application/geo+json", key="dl_geojson",
                   on_click="ignore")
d3.download_button(t("list.dl_xlsx", lang),
                   lambda: exports.FORMATS["xlsx"](shown, attribution=attribution, lang=lang),
                   file_name=f"{stem}-hasil.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl_xlsx",
                   on_click="ignore")

# --- map ---
st.subheader(t("list.map", lang))
inside = shown.loc[shown["verdict"] != Verdict.OUTSIDE_AREA.value]
m = mapview.base_map(online_tiles=True, tiles_label=t("ctl.online_tiles", lang))
mapview.kelurahan_layer(data.kelurahan_display(*data.keys()), name=t("layer.kelurahan", lang),
                        aliases=[t(f"tip.{f}", lang) for f in data.KEL_FIELDS]).add_to(m)
if len(shown):
    mapview.verdict_points(shown, name=t("layer.sites", lang), lang=lang).add_to(m)
present = [Verdict(v) for v in counts.index]
mapview.Legend(t("legend.title", lang), [(COLORS[v], label(v, lang)) for v in present]).add_to(m)
mapview.Attribution(ctx.attributions).add_to(m)
mapview.layer_control(m)
if len(inside):
    minx, miny, maxx, maxy = inside.total_bounds
    m.fit_bounds([[miny, minx], [maxy, maxx]], max_zoom=16)
show_map(m, key="list_map", height=480)

# --- quotas ---
st.subheader(t("list.quota", lang))
from geozones.engine.quotas import quota_usage  # noqa: E402

usage = quota_usage(table, ctx.ruleset)
if usage.empty:
    st.caption(t("list.quota_none", lang))
else:
    over = int((usage["over"] > 0).sum())
    if over:
        st.warning(t("list.quota_over", lang, n=over))
    st.dataframe(usage.rename(columns={
        "unit": t("col.unit", lang), "unit_code": t("col.code", lang), "unit_name": t("col.unit_name", lang),
        "paslon": t("col.paslon", lang), "apk_type": t("col.apk_type", lang), "used": t("col.used", lang),
        "facilitated_max": t("col.facilitated_max", lang), "cap": t("col.cap", lang),
        "over": t("col.over", lang)}), hide_index=True, width="stretch", placeholder=EMPTY)
attribution_footer(ctx.attributions, lang)

"""Di mana boleh? Each kelurahan's area split by verdict class, usable streets, annex export."""

import pandas as pd
import streamlit as st

from geozones.app import context as data
from geozones.app import mapview, page, state
from geozones.app.i18n import apk_label, t
from geozones.app.text import EMPTY, md_escape
from geozones.app.widgets.map import show_map
from geozones.app.widgets.panel import attribution_footer, schedule_box
from geozones.core.apk import ApkType
from geozones.engine import zoning
from geozones.io import exports

lang, ctx = page.start("where_at")
st.title(t("where.title", lang))
st.caption(md_escape(t("where.help", lang)))

default, moved = state.default_judged_at(ctx.ruleset.schedule)
c1, c2 = st.columns([2, 1])
with c1:
    at = state.judged_at_picker(lambda k, **v: t(k, lang, **v), key="where_at", default=default,
                                help_text=t("where.date_note", lang))
apk_key = state.lang_key("where_apk", lang)
if apk_key not in st.session_state:
    st.session_state[apk_key] = "spanduk"  # the commonest APK; set through state, so a switch keeps the choice
apk = c2.selectbox(t("ctl.apk_type", lang), [a.value for a in ApkType], key=apk_key,
                   format_func=lambda v: apk_label(v, lang))
default_note = t("ctl.default_inside", lang, today=f"{state.now_wib():%d/%m/%Y}")
schedule_box(ctx.ruleset, at, lang, note=default_note if moved and at.date() == default.date() else None)

keys = data.keys()
with st.spinner(t("where.computing", lang)):
    split = data.zone_split(*keys, at, apk)
    shapes = data.zone_display(*keys, at, apk)
    segments, streets = data.streets(*keys, at, apk)

zone_names = {z: t(f"zone.{z}", lang) for z in zoning.ZONES}
m = mapview.base_map(online_tiles=True, tiles_label=t("ctl.online_tiles", lang))
mapview.zoning_layer(shapes, names=zone_names, name=t("layer.zoning", lang)).add_to(m)
mapview.kelurahan_layer(data.kelurahan_display(*keys), name=t("layer.kelurahan", lang),
                        aliases=[t(f"tip.{f}", lang) for f in data.KEL_FIELDS]).add_to(m)
present = [z for z in zoning.ZONES if z in set(shapes["zone"])]
mapview.Legend(t("legend.title", lang), [(mapview.ZONE_COLORS[z], zone_names[z]) for z in present]).add_to(m)
mapview.Attribution(ctx.attributions).add_to(m)
mapview.layer_control(m)
show_map(m, key="where_map", height=520)
attribution_footer(ctx.attributions, lang)

pct = {z: zone_names[z] + " %" for z in zoning.ZONES}
st.subheader(t("where.by_kec", lang))
kec = zoning.kecamatan_shares(split)
st.dataframe(kec.rename(columns={"kode_kemendagri_kec": t("tip.kode_kemendagri", lang),
                                 "kecamatan": t("col.kecamatan", lang), "area_ha": t("col.area_ha", lang),
                                 **pct}).round(1),
             hide_index=True, width="stretch", placeholder=EMPTY)

st.subheader(t("where.by_kel", lang))
kel = split.kelurahan.copy()
if streets is not None:
    kel = kel.merge(streets[["kode_kemendagri", "usable_m", "total_m"]], on="kode_kemendagri", how="left")
view = kel.drop(columns=[c for c in ("kode_kemendagri_kec",) if c in kel.columns]).rename(columns={
    "kode_kemendagri": t("tip.kode_kemendagri", lang), "kode_bps": t("tip.kode_bps", lang),
    "kelurahan": t("col.kelurahan", lang),
    "kecamatan": t("col.kecamatan", lang), "area_ha": t("col.area_ha", lang), **pct,
    "usable_m": t("col.usable_m", lang), "total_m": t("col.total_m", lang)})
st.dataframe(view.round(1), hide_index=True, width="stretch", placeholder=EMPTY)

st.subheader(t("where.streets", lang))
st.caption(md_escape(t("where.usable_note", lang)))
if segments is not None and len(segments):
    per_street = (segments.groupby(["kelurahan", "street"], sort=True)
                  .agg(length_m=("length_m", "sum"), segments=("length_m", "size")).reset_index())
    choice = st.selectbox(t("col.kelurahan", lang), sorted(per_street["kelurahan"].unique()), key="where_kel")
    part = per_street.loc[per_street["kelurahan"] == choice]
    st.dataframe(pd.DataFrame({t("col.street", lang): part["street"],
                               t("col.usable_m", lang): part["length_m"].round(0),
                               t("col.segments", lang): part["segments"]}),
                 hide_index=True, width="stretch", placeholder=EMPTY)
    title = t("where.annex_title", lang, ruleset=ctx.ruleset.id, version=ctx.ruleset.version)
    st.download_button(t("where.export", lang),
                       lambda: exports.annex_csv(segments, zoning=split, attribution=ctx.attributions,
                                                title=title),
                       file_name=f"lampiran-ruas-apk-{apk}-{at:%Y%m%d}.csv", mime="text/csv",
                       key="where_annex", on_click="ignore")

"""KPU · Riwayat: versions with decree and dates, the diff between two (table and map), the audit trail."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geozones.app import mapview
from geozones.app.kpu_common import fail, ruleset_choice, session, tr
from geozones.app.state import lang
from geozones.app.text import md_escape
from geozones.app.widgets.map import add_area_context, show_map
from geozones.core.errors import InputError
from geozones.core.time import format_wib
from geozones.rules.diff import CHANGE_LABELS, DIFF_COLORS, diff_frame, diff_map_frame
from geozones.services import drafts, rulesets
from geozones.services.audit_log import audit_frame, list_events
from geozones.services.authz import Action


def _readable(value, depth: int = 0) -> str:
    """A changed value as text a reader follows, instead of raw JSON.

    A bilingual text in the session's language, lists and mappings spelled out
    (``key: value``), geometries summarised.
    """
    if value is None:
        return ""
    if isinstance(value, dict):
        if set(value) == {"id", "en"}:
            return str(value[lang()])
        if "type" in value and "coordinates" in value:
            return tr(f"geometri {value['type']}", f"{value['type']} geometry")
        if depth > 1:
            return "…"
        return "; ".join(f"{k}: {_readable(v, depth + 1)}" for k, v in value.items() if v not in (None, "", [], {}))
    if isinstance(value, list | tuple):
        return ", ".join(_readable(v, depth + 1) for v in value)
    if isinstance(value, bool):
        return tr("ya", "yes") if value else tr("tidak", "no")
    return str(value)


store, me = session(Action.READ_AUDIT)
st.title(tr("KPU · Riwayat, perbedaan dan audit", "KPU · History, diff and audit"))
rid = ruleset_choice(store, "kpu_hist_rid")
if rid is None:
    st.stop()
versions = rulesets.list_versions(store, me, rid)
st.dataframe(pd.DataFrame([{
    "version": v.version, "status": v.status, "decree": v.decree_no or "", "signed": str(v.decree_signed_on or ""),
    "effective_from": format_wib(v.effective_from) if v.effective_from else "",
    "effective_to": format_wib(v.effective_to) if v.effective_to else "", "author": v.author,
    "publisher": v.publisher or "", "published_at": format_wib(v.published_at) if v.published_at else ""}
    for v in versions]), hide_index=True, use_container_width=True, column_config={
    "version": tr("Versi", "Version"), "status": tr("Status", "Status"), "decree": tr("Nomor SK", "Decree no."),
    "signed": tr("Ditandatangani", "Signed on"), "effective_from": tr("Berlaku sejak", "Effective from"),
    "effective_to": tr("Berlaku sampai", "Effective to"), "author": tr("Penulis", "Author"),
    "publisher": tr("Penerbit", "Publisher"), "published_at": tr("Diterbitkan pada", "Published at")})

st.subheader(tr("Ekspor untuk publikasi", "Exports for publication"))
st.caption(tr("Setiap berkas membawa versi, nomor SK dan atribusi data. Versi terbit bersifat publik; draf hanya untuk "
              "staf KPU.", "Each file carries the version, decree number and data attribution. Published versions "
              "are public; drafts are for KPU staff only."))
_published = [v.version for v in versions if v.status == "published"]
_names = [v.version for v in versions]
c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
exp_version = c1.selectbox(tr("Versi", "Version"), _names,
                           index=_names.index(_published[-1]) if _published else len(_names) - 1,
                           key="kpu_export_version")
_labels = {"yaml": "YAML", "geojson": tr("Zona · GeoJSON", "Zones · GeoJSON"),
           "gpkg": tr("Zona · GeoPackage", "Zones · GeoPackage"),
           "annex-xlsx": tr("Lampiran SK per kelurahan · XLSX", "Decree annex per kelurahan · XLSX"),
           "annex-pdf": tr("Lampiran SK per kelurahan · PDF", "Decree annex per kelurahan · PDF")}
exp_format = c2.selectbox(tr("Format", "Format"), list(_labels), format_func=_labels.get, key="kpu_export_format")
_want = (rid, exp_version, exp_format)
if c3.button(tr("Siapkan berkas", "Prepare file"), key="kpu_export_prepare"):
    from geozones.app.context import catalog as _files
    from geozones.services.version_exports import export_version

    try:
        with st.spinner(tr("Menyiapkan berkas…", "Preparing the file…")):
            st.session_state["kpu_export"] = (_want, export_version(store, me, rid, exp_version, exp_format,
                                                                    data_dir=_files().data_dir))
    except InputError as err:
        fail(err)
_ready = st.session_state.get("kpu_export")
if _ready and _ready[0] == _want:
    _out = _ready[1]
    st.download_button(tr("Unduh", "Download") + f" {_out.filename}", _out.data, file_name=_out.filename,
                       mime=_out.mime, key="kpu_export_download")
    st.caption(md_escape(" · ".join(_out.attribution)))

st.subheader(tr("Perbedaan", "Diff"))
names = [v.version for v in versions]
if len(names) >= 2:
    c1, c2 = st.columns(2)
    old = c1.selectbox(tr("Dari versi", "From version"), names, index=len(names) - 2, key="kpu_diff_old")
    new = c2.selectbox(tr("Ke versi", "To version"), names, index=len(names) - 1, key="kpu_diff_new")
    try:
        changes = drafts.diff_versions(store, me, rid, old, new)
    except InputError as err:
        fail(err)
        changes = []
    frame = diff_frame(changes)
    # old / new as text a reader follows (diff_frame keeps JSON, for files)
    frame["old"] = [_readable(c.old) for c in changes]
    frame["new"] = [_readable(c.new) for c in changes]
    st.dataframe(frame.drop(columns=["change"]), hide_index=True, use_container_width=True, column_config={
        "kind": tr("Jenis", "Kind"), "key": tr("Kunci", "Key"), "name": tr("Nama", "Name"),
        "change_label": tr("Perubahan", "Change"), "field": tr("Bidang", "Field"), "old": tr("Lama", "Old"),
        "new": tr("Baru", "New"), "area_m2": st.column_config.NumberColumn(tr("Luas berubah (m²)", "Area changed (m²)"),
                                                                           format="%.1f")})
    zones = diff_map_frame(changes)
    m = mapview.base_map()
    add_area_context(m, fit=not len(zones))  # the kelurahan as the base the changes are read against
    if len(zones):
        import folium

        for change, grp in zones.groupby("change"):
            folium.GeoJson(
                grp[["key", "name", "change", "geometry"]].assign(
                    label=CHANGE_LABELS[change], name=grp["name"].map(mapview.safe_text)).to_json(),
                name=CHANGE_LABELS[change],
                style_function=lambda _f, c=DIFF_COLORS[change]: {"color": c, "fillColor": c, "weight": 3,
                                                                  "fillOpacity": 0.4},
                tooltip=folium.GeoJsonTooltip(["key", "name", "label"])).add_to(m)
        b = zones.total_bounds
        m.fit_bounds([[b[1], b[0]], [b[3], b[2]]])
    mapview.Legend(tr("Perubahan zona", "Zone changes"),
                   [(DIFF_COLORS[k], CHANGE_LABELS[k]) for k in ("added", "removed", "changed")]).add_to(m)
    show_map(m, key=f"kpu_diff_map_{old}_{new}", height=420)
else:
    st.info(tr("Perlu dua versi untuk dibandingkan.", "Two versions are needed for a diff."))

st.subheader(tr("Jejak audit", "Audit trail"))
c1, c2, c3 = st.columns(3)
account = c1.text_input(tr("Akun", "Account"), key="kpu_audit_account")
entity = c2.text_input(tr("Versi / zona / diskresi", "Version / zone / grant"), key="kpu_audit_entity")
since = c3.date_input(tr("Sejak", "Since"), value=None, key="kpu_audit_since")
try:
    import datetime as dt

    from geozones.core.time import WIB

    rows = list_events(store, me, account=account or None, entity=entity or None,
                       since=dt.datetime.combine(since, dt.time(0), tzinfo=WIB) if since else None)
    table = audit_frame(rows)
    st.dataframe(table, hide_index=True, use_container_width=True)
    st.download_button("CSV", table.to_csv(index=False).encode("utf-8-sig"), file_name="geozones-audit.csv",
                       mime="text/csv", key="kpu_audit_csv")
except InputError as err:
    fail(err)

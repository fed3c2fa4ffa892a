"""KPU · Diskresi: the discretion register (request, decide, revoke; letters as PDF)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from geozones.app.kpu_common import fail, ruleset_choice, session, tr
from geozones.app.text import md_escape
from geozones.core.errors import InputError
from geozones.core.time import WIB, format_wib
from geozones.services import grants, media
from geozones.services.authz import Action, can

store, me = session()
st.title(tr("KPU · Register diskresi", "KPU · Discretion register"))
rid = ruleset_choice(store, "kpu_grant_rid")
if rid is None:
    st.stop()

rows = grants.list_grants(store, me, rid)
if rows:
    st.dataframe(pd.DataFrame([{
        "id": g.grant_id, "status": g.status, "lifts": ", ".join(g.lifts),
        "from": format_wib(g.window_start) if g.window_start else "", "to": format_wib(g.window_end)
        if g.window_end else "", "letter": g.reference or "", "addressee": g.addressee or "",
        "conditions": (g.conditions or {}).get("id", ""), "requested_by": g.requested_by,
        "decided_by": g.decided_by or ""} for g in rows]), hide_index=True, use_container_width=True)
else:
    st.info(tr("Belum ada diskresi.", "No grant yet."))

st.subheader(tr("Permohonan", "Request"))
with st.form("kpu_grant_request"):
    c1, c2, c3 = st.columns(3)
    lon = c1.number_input("Lon", value=106.820072, format="%.6f", key="kpu_g_lon")
    lat = c2.number_input("Lat", value=-6.163501, format="%.6f", key="kpu_g_lat")
    radius = c3.text_input(tr("Radius", "Radius"), value="15 m", key="kpu_g_radius")
    lifts = st.text_input(tr("Aturan yang diangkat (koma)", "Rules lifted (comma)"), value="R05-K,R15",
                          key="kpu_g_lifts")
    c4, c5 = st.columns(2)
    start = c4.date_input(tr("Dari", "From"), key="kpu_g_from")
    end = c5.date_input(tr("Sampai", "To"), key="kpu_g_to", value=dt.date.today() + dt.timedelta(days=14))
    addressee = st.text_input(tr("Ditujukan kepada (mis. Satpol PP, Bina Marga)",
                                 "Addressee (e.g. Satpol PP, Bina Marga)"), key="kpu_g_addressee")
    letter = st.file_uploader(tr("Surat permohonan (PDF)", "Request letter (PDF)"), type=["pdf"], key="kpu_g_pdf")
    reason = st.text_input(tr("Alasan", "Reason"), key="kpu_g_reason")
    ask = st.form_submit_button(tr("Ajukan", "Request"))
if ask:
    try:
        sha = media.store_media(store, me, letter.getvalue(), mime="application/pdf", filename=letter.name,
                                action=Action.EDIT_RULES).sha256 if letter is not None else None
        place = {"geometry": {"type": "Point", "coordinates": [lon, lat]}, "radius": radius or 0}
        g = grants.request_grant(store, me, rid, {
            "id": f"D-{len(rows) + 1:03d}", "lifts": [x.strip() for x in lifts.split(",") if x.strip()],
            "place": place, "window": {"start": dt.datetime.combine(start, dt.time(0), tzinfo=WIB),
                                       "end": dt.datetime.combine(end, dt.time(0), tzinfo=WIB)},
            "reference": grants.PENDING_REFERENCE, "granted_by": "KPU"}, addressee=addressee or None,
            reason=reason or None, attachment_sha256=sha)
        st.success(md_escape(g.grant_id))
        st.rerun()
    except InputError as err:
        fail(err)

if can(me, Action.PUBLISH) and rows:
    st.subheader(tr("Keputusan", "Decision"))
    open_ids = [g.grant_id for g in rows if g.status in ("requested", "granted")]
    with st.form("kpu_grant_decide"):
        gid = st.selectbox(tr("Diskresi", "Grant"), open_ids, key="kpu_d_id")
        decision = st.radio(tr("Keputusan", "Decision"), ["granted", "refused", "revoked"], horizontal=True,
                            key="kpu_d_decision")
        letter_no = st.text_input(tr("Nomor surat", "Letter number"), key="kpu_d_letter")
        cond = st.text_input(tr("Syarat (ID / EN)", "Conditions (ID / EN)"), key="kpu_d_cond")
        why = st.text_input(tr("Alasan", "Reason"), key="kpu_d_reason")
        go = st.form_submit_button(tr("Simpan keputusan", "Save decision"))
    if go and gid:
        try:
            cur = grants.get_grant(store, me, gid)
            idn, sep, en = cond.partition(" / ")
            grants.decide_grant(store, me, cur.id, cur.row_version, decision, reason=why or None,
                                reference=letter_no or None,
                                conditions={"id": idn.strip(), "en": (en if sep else idn).strip()} if cond else None)
            st.rerun()
        except InputError as err:
            fail(err)

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
for kind, text in st.session_state.pop("kpu_grant_flash", []):  # kept across st.rerun, shown once
    getattr(st, kind)(md_escape(text))
rid = ruleset_choice(store, "kpu_grant_rid")
if rid is None:
    st.stop()

#: Decisions as shown: both languages beside the stored word.
DECISIONS = {"granted": "Dikabulkan / granted", "refused": "Ditolak / refused", "revoked": "Dicabut / revoked"}
#: The statuses a grant must have to take each decision (as grants.decide_grant allows).
DECIDABLE = {"granted": ("requested",), "refused": ("requested",), "revoked": ("granted",)}


def _campaign(store, me, rid) -> tuple[dt.datetime, dt.datetime] | None:
    """The campaign period of the stack in force now (start, exclusive end), None when none is set or readable."""
    from geozones.services import drafts, rulesets

    try:
        v = rulesets.get_version(store, me, rid)
        sched = drafts.draft_schedule(store, me, v.id)[1] or {}
        period = sched.get("campaign") or {}
        return dt.datetime.fromisoformat(period["start"]), dt.datetime.fromisoformat(period["end"])
    except (InputError, KeyError, TypeError, ValueError):
        return None


rows = grants.list_grants(store, me, rid)
if rows:
    st.dataframe(pd.DataFrame([{
        "id": g.grant_id, "status": g.status, "lifts": ", ".join(g.lifts),
        "from": format_wib(g.window_start) if g.window_start else "", "to": format_wib(g.window_end)
        if g.window_end else "", "letter": g.reference or "", "addressee": g.addressee or "",
        "conditions": (g.conditions or {}).get("id", ""), "requested_by": g.requested_by,
        "decided_by": g.decided_by or ""} for g in rows]), hide_index=True, use_container_width=True,
        column_config={"id": tr("ID", "Id"), "status": tr("Status", "Status"),
                       "lifts": tr("Aturan diangkat", "Rules lifted"), "from": tr("Dari", "From"),
                       "to": tr("Sampai", "To"), "letter": tr("Nomor surat", "Letter no."),
                       "addressee": tr("Ditujukan kepada", "Addressee"), "conditions": tr("Syarat", "Conditions"),
                       "requested_by": tr("Pemohon", "Requested by"), "decided_by": tr("Diputus oleh", "Decided by")})
else:
    st.info(tr("Belum ada diskresi.", "No grant yet."))

campaign = _campaign(store, me, rid)
st.subheader(tr("Permohonan", "Request"))
if campaign:
    st.caption(md_escape(tr(f"Masa kampanye: {format_wib(campaign[0])} – {format_wib(campaign[1])}",
                            f"Campaign period: {format_wib(campaign[0])} – {format_wib(campaign[1])}")))
# The window outside the form, so the check against the schedule shows as the dates are picked.
c4, c5 = st.columns(2)
# the campaign period by default: a grant outside it lifts nothing anyone may do
first = campaign[0].astimezone(WIB).date() if campaign else dt.date.today()
last = campaign[1].astimezone(WIB).date() if campaign else dt.date.today() + dt.timedelta(days=14)
start = c4.date_input(tr("Dari", "From"), value=first, key="kpu_g_from", format="DD/MM/YYYY")
end = c5.date_input(tr("Sampai", "To"), value=last, key="kpu_g_to", format="DD/MM/YYYY")
if campaign and (dt.datetime.combine(start, dt.time(0), tzinfo=WIB) < campaign[0]
                 or dt.datetime.combine(end, dt.time(0), tzinfo=WIB) > campaign[1]):
    st.warning(md_escape(
        f"Jangka waktu {start:%d/%m/%Y}–{end:%d/%m/%Y} di luar masa kampanye ({format_wib(campaign[0])} – "
        f"{format_wib(campaign[1])}) / the window {start:%d/%m/%Y}–{end:%d/%m/%Y} lies outside the campaign "
        "period of the schedule"))
with st.form("kpu_grant_request"):
    c1, c2, c3 = st.columns(3)
    lon = c1.number_input("Lon", value=None, format="%.6f", key="kpu_g_lon", placeholder="106.820072")
    lat = c2.number_input("Lat", value=None, format="%.6f", key="kpu_g_lat", placeholder="-6.163501")
    radius = c3.text_input(tr("Radius", "Radius"), key="kpu_g_radius", placeholder="15 m")
    lifts = st.text_input(tr("Aturan yang diangkat (koma)", "Rules lifted (comma)"), key="kpu_g_lifts",
                          placeholder="R05-K, R15")
    addressee = st.text_input(tr("Ditujukan kepada (mis. Satpol PP, Bina Marga)",
                                 "Addressee (e.g. Satpol PP, Bina Marga)"), key="kpu_g_addressee")
    letter = st.file_uploader(tr("Surat permohonan (PDF)", "Request letter (PDF)"), type=["pdf"], key="kpu_g_pdf")
    reason = st.text_input(tr("Alasan", "Reason"), key="kpu_g_reason")
    ask = st.form_submit_button(tr("Ajukan", "Request"))
if ask:
    try:
        if lon is None or lat is None:
            raise InputError("isi koordinat lon dan lat / give the lon and lat coordinates", field="place")
        sha = media.store_media(store, me, letter.getvalue(), mime="application/pdf", filename=letter.name,
                                action=Action.EDIT_RULES).sha256 if letter is not None else None
        place = {"geometry": {"type": "Point", "coordinates": [lon, lat]}, "radius": radius or 0}
        g = grants.request_grant(store, me, rid, {
            "id": f"D-{len(rows) + 1:03d}", "lifts": [x.strip() for x in lifts.split(",") if x.strip()],
            "place": place, "window": {"start": dt.datetime.combine(start, dt.time(0), tzinfo=WIB),
                                       "end": dt.datetime.combine(end, dt.time(0), tzinfo=WIB)},
            "reference": grants.PENDING_REFERENCE, "granted_by": "KPU"}, addressee=addressee or None,
            reason=reason or None, attachment_sha256=sha)
        st.session_state["kpu_grant_flash"] = [("success", tr(f"Permohonan dicatat: {g.grant_id}",
                                                              f"Request recorded: {g.grant_id}"))]
        st.rerun()
    except InputError as err:
        fail(err)

if can(me, Action.PUBLISH) and rows:
    st.subheader(tr("Keputusan", "Decision"))
    # the decision first: it decides which grants can take it (a form would not rerun on its change)
    decision = st.radio(tr("Keputusan", "Decision"), list(DECISIONS), format_func=DECISIONS.get, horizontal=True,
                        key="kpu_d_decision")
    open_ids = [g.grant_id for g in rows if g.status in DECIDABLE[decision]]
    if not open_ids:
        st.info(tr("Tidak ada diskresi yang dapat diberi keputusan ini.", "No grant can take this decision."))
    with st.form("kpu_grant_decide"):
        gid = st.selectbox(tr("Diskresi", "Grant"), open_ids, index=None,
                           placeholder=tr("Pilih diskresi", "Choose a grant"), key="kpu_d_id")
        letter_no = st.text_input(tr("Nomor surat", "Letter number"), key="kpu_d_letter")
        cond = st.text_input(tr("Syarat (ID / EN)", "Conditions (ID / EN)"), key="kpu_d_cond")
        why = st.text_input(tr("Alasan", "Reason"), key="kpu_d_reason")
        go = st.form_submit_button(tr("Simpan keputusan", "Save decision"))
    if go and not gid:
        st.error(tr("Pilih diskresi lebih dulu.", "Choose a grant first."))
    if go and gid:
        try:
            cur = grants.get_grant(store, me, gid)
            idn, sep, en = cond.partition(" / ")
            grants.decide_grant(store, me, cur.id, cur.row_version, decision, reason=why or None,
                                reference=letter_no or None,
                                conditions={"id": idn.strip(), "en": (en if sep else idn).strip()} if cond else None)
            st.session_state["kpu_grant_flash"] = [("success", f"{gid}: {DECISIONS[decision]}")]
            st.rerun()
        except InputError as err:
            fail(err)

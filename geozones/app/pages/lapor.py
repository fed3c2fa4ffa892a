"""Lapor APK: the intake form. Everyone may send an informasi awal; Bawaslu also temuan and laporan."""

import streamlit as st

from geozones.app import casework_view as cv
from geozones.app import mapview, state
from geozones.app.i18n import apk_label
from geozones.app.messages import show_error
from geozones.app.text import md_escape
from geozones.app.widgets.geolocate import locate_button
from geozones.app.widgets.map import add_area_context, show_map
from geozones.core.apk import ApkType
from geozones.core.errors import InputError
from geozones.core.time import format_wib

lang = state.lang()
who = cv.principal()
is_bawaslu = "bawaslu" in who.roles
st.title(cv.tr("report.title"))
if who.is_public:
    st.info(cv.tr("report.public"))
st.caption(cv.tr("report.pin"))

uploads = st.file_uploader(cv.tr("report.photos"), type=["jpg", "jpeg", "png", "heic", "heif"],
                           accept_multiple_files=True, key="intake_photos")
photos = [(u.name, u.getvalue()) for u in uploads or []]
offered = None
if photos:
    from geozones.io.photos import read_photo

    for name, data in photos:
        try:
            p = read_photo(data, name, now=cv.now())
        except InputError as err:
            show_error(err, cv.tr("report.error"), lang)
            continue
        pos = f"{p.lon:.6f}, {p.lat:.6f}" if p.has_position else "-"
        st.caption(md_escape(cv.tr("report.exif", name=name, pos=pos,
                                   when=format_wib(p.taken_at) if p.taken_at else "-")))
        for note in p.notes:
            st.caption(md_escape(note))
        if offered is None and (p.has_position or p.taken_at):
            offered = p
    if offered is not None and st.button(cv.tr("report.use_exif"), key="use_exif"):
        if offered.has_position:
            st.session_state["intake_lon"] = f"{offered.lon:.6f}"
            st.session_state["intake_lat"] = f"{offered.lat:.6f}"
        if offered.taken_at:
            st.session_state["intake_observed"] = offered.taken_at.strftime("%Y-%m-%d %H:%M")

located = locate_button(cv.tr("report.locate"), key="intake_locate")
if located is not None and located.error:
    st.warning(cv.tr(f"report.locate_{located.error}"))
elif located is not None:
    # the phone's position becomes the pin, as a click on the map would
    state.set_selected_point(located.lat, located.lon)
    st.session_state["intake_located"] = (state.selected_point(), located.accuracy_m)
sel = state.selected_point()
if sel and st.session_state.get("intake_pin") != sel:
    st.session_state["intake_pin"] = sel
    st.session_state["intake_lat"], st.session_state["intake_lon"] = f"{sel[0]:.6f}", f"{sel[1]:.6f}"
# A pin is checked up close: the map is built around it (a new pin re-centres it); without one, the whole area.
m = mapview.base_map(center=sel, zoom=16) if sel else mapview.base_map()
add_area_context(m, fit=sel is None)
pin = None
if sel:
    pin = mapview.point_marker(sel[0], sel[1], color="#d9534f", text="pin")
show_map(m, key="intake_map", height=360, clickable=True, feature_group=pin)
fix = st.session_state.get("intake_located")
if sel and fix and fix[0] == sel and fix[1]:  # the pin is still the phone's position
    st.caption(cv.tr("report.located", acc=f"{fix[1]:,.0f}"))

with st.form("intake"):
    c1, c2 = st.columns(2)
    lon_text = c1.text_input(cv.tr("report.lon"), key="intake_lon")
    lat_text = c2.text_input(cv.tr("report.lat"), key="intake_lat")
    observed_text = c1.text_input(cv.tr("report.observed"), key="intake_observed")
    known_text = c2.text_input(cv.tr("report.known"), key="intake_known")
    sources = ["temuan", "laporan", "informasi_awal"] if is_bawaslu else ["informasi_awal"]
    source = c1.selectbox(cv.tr("report.source"), sources, key="intake_source")
    apk = c2.selectbox(cv.tr("report.apk"), [""] + [a.value for a in ApkType],
                       format_func=lambda v: apk_label(v, lang) if v else "-", key="intake_apk")
    paslon = c1.text_input(cv.tr("report.paslon"), key="intake_paslon")
    desc = st.text_area(cv.tr("report.desc"), key="intake_desc")
    with st.expander(cv.tr("report.reporter")):
        r_name = st.text_input(cv.tr("report.name"), key="intake_r_name")
        r_contact = st.text_input(cv.tr("report.contact"), key="intake_r_contact")
        r_address = st.text_input(cv.tr("report.address"), key="intake_r_address")
        r_nik = st.text_input(cv.tr("report.nik"), key="intake_r_nik")
    sent = st.form_submit_button(cv.tr("report.submit"), type="primary")

if sent:
    from geozones.io.sealing import ReporterIdentity
    from geozones.services.reports import ReportInput, submit_report

    def _num(text: str, field: str):
        if not text.strip():
            return None
        try:
            return float(text.replace(",", "."))
        except ValueError:
            raise InputError(f"'{text}' bukan angka / is not a number", field=field) from None

    def _when(text: str, field: str):
        if not text.strip():
            return None
        from geozones.core.time import parse_time

        try:
            return parse_time(text).to_pydatetime()
        except ValueError as exc:
            raise InputError(str(exc), field=field) from None

    try:
        reporter = ReporterIdentity(r_name.strip(), r_address.strip(), r_contact.strip(), r_nik.strip()) \
            if r_name.strip() else None
        inp = ReportInput(source=source, lon=_num(lon_text, "lon"), lat=_num(lat_text, "lat"),
                          observed_at=_when(observed_text, "observed_at"), known_at=_when(known_text, "known_at"),
                          apk_type=apk or None, paslon=paslon.strip() or None, description=desc.strip() or None,
                          photos=photos, reporter=reporter)
        done = submit_report(cv.store(), who, inp, now=cv.now())
    except InputError as err:
        show_error(err, cv.tr("report.error"), lang)
    else:
        if who.is_public or not is_bawaslu:
            st.success(cv.tr("report.receipt", n=done.report_id))
        else:
            from geozones.services.cases import case_detail

            rep = case_detail(cv.store(), who, done.case_id, at=cv.now())["report"]
            st.success(md_escape(cv.tr("report.done", case=done.case_id, kel=rep["kelurahan"] or "-",
                                       verdict=rep["suggested_verdict"] or "-",
                                       rules=rep["suggested_rule_ids"] or "")))
            st.session_state["case_pick"] = done.case_id
            for note in done.notes:
                st.caption(md_escape(note))

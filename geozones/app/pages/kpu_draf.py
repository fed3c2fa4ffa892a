"""KPU · Draf: zone editor (draw or import), rule table, YAML, review and publication of a draft."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
import yaml

from geozones.app import mapview
from geozones.app.kpu_common import fail, ruleset_choice, session, tr
from geozones.app.text import md_escape
from geozones.app.widgets.draw import draw_map, split_drawings, zone_features
from geozones.app.widgets.map import add_area_context
from geozones.core.errors import InputError
from geozones.core.time import WIB
from geozones.services import drafts, rulesets
from geozones.services.authz import Action, can

#: Stored zones on the editor map: a faint fill, so a large area (a whole kawasan) does not hide the map
#: or the kelurahan under it while drawing; the outline still shows where it ends.
EDITOR_STYLE = {"color": "#7b3294", "weight": 2, "fillOpacity": 0.06}


def _flash(messages: list[tuple[str, str]]) -> None:
    """Keep messages for the next run: ``st.rerun`` would drop what is shown before it."""
    st.session_state.setdefault("kpu_flash", []).extend(messages)


def _show_flash() -> None:
    """Show, once, the messages kept by :func:`_flash` (each escaped)."""
    for kind, text in st.session_state.pop("kpu_flash", []):
        getattr(st, kind)(md_escape(text))


def _read_zones(upload):
    """An uploaded vector file read like ``data import`` (every format read_vector reads), by its name."""
    import tempfile
    from pathlib import Path

    from geozones.io.vector import read_vector

    suffix = "".join(Path(upload.name).suffixes[-2:]) or ".geojson"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(upload.getvalue())
        notes: list[str] = []
        gdf = read_vector(path, source_name=upload.name, on_warning=notes.append)
    for n in notes[:20]:
        st.warning(md_escape(n))
    return gdf


def _day(text: str, what: str) -> dt.date | None:
    from geozones.app.state import parse_date

    if not text.strip():
        return None
    day = parse_date(text)
    if day is None:
        raise InputError(f"'{text}' bukan tanggal DD/MM/YYYY / is not a DD/MM/YYYY date", field=what)
    return day


def _error_list(errors: dict, label) -> None:
    """Errors beside the table or field they name (each escaped)."""
    for key, msg in errors.items():
        st.error(md_escape(f"{label(key)}: {msg}"))


def _quota_editor(rs, draft) -> None:
    """The level's own quotas as an editable table; errors beside it while typing, saved only when none."""
    from geozones.rules.editing import legal_basis_text, quota_errors

    st.subheader(tr("Kuota APK (per paslon per wilayah)", "APK quotas (per paslon per unit)"))
    table = pd.DataFrame([{"apk_type": q.apk_type.value, "unit": q.unit, "facilitated_max": q.facilitated_max,
                           "extra_pct": q.extra_pct, "legal_basis": legal_basis_text(q.legal_basis)}
                          for q in rs.quotas], columns=["apk_type", "unit", "facilitated_max", "extra_pct",
                                                        "legal_basis"])
    editable = draft.status == "draft"
    c_table, c_err = st.columns([3, 2], gap="medium")
    with c_table:
        edited = st.data_editor(
            table, key=f"kpu_quotas_{draft.id}_{draft.row_version}", hide_index=True, use_container_width=True,
            num_rows="dynamic" if editable else "fixed", disabled=not editable,
            column_config={
                "apk_type": st.column_config.TextColumn(tr("Jenis APK", "APK type")),
                "unit": st.column_config.SelectboxColumn(tr("Per wilayah", "Per unit"),
                                                         options=["kelurahan", "kecamatan", "kota"]),
                "facilitated_max": st.column_config.NumberColumn(tr("Difasilitasi KPU", "Facilitated"), step=1),
                "extra_pct": st.column_config.NumberColumn(tr("Tambahan paslon (%)", "Extra by paslon (%)"),
                                                           step=1),
                "legal_basis": st.column_config.TextColumn(
                    tr("Dasar hukum", "Legal basis"),
                    help=tr("mis. PKPU 13/2024 Pasal 70 [S]; tingkat bukti wajib",
                            "e.g. PKPU 13/2024 Pasal 70 [S]; the grade is required"))})
    rows = [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in edited.to_dict("records")]
    errors = quota_errors(rows)
    with c_err:
        if errors:
            _error_list(errors, lambda k: tr(f"Baris {k[0] + 1}", f"Row {k[0] + 1}") + (f" · {k[1]}" if k[1] else ""))
        elif editable:
            st.success(tr("Kuota sah.", "Quotas are valid."))
    changed = rows != [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in table.to_dict("records")]
    reason = st.text_input(tr("Alasan perubahan kuota", "Reason for the quota change"), key="kpu_quota_reason")
    if st.button(tr("Simpan kuota", "Save quotas"), key="kpu_quota_save",
                 disabled=not editable or bool(errors) or not changed):
        try:
            drafts.set_quotas(store, me, draft.id, rows, reason=reason, expected_row_version=draft.row_version)
            st.rerun()
        except InputError as err:
            fail(err)


def _schedule_editor(draft) -> None:
    """The election schedule: the level's own, or the inherited one to start from; each field checked as typed."""
    from geozones.core.time import format_wib
    from geozones.rules.editing import PERIODS, instant_text, schedule_errors

    st.subheader(tr("Jadwal tahapan", "Election schedule"))
    own, effective, origin = drafts.draft_schedule(store, me, draft.id)
    if own is None and effective is not None:
        st.caption(md_escape(tr(f"Diwarisi dari {origin}; menyimpan di sini membuat jadwal sendiri untuk tingkat ini.",
                                f"Inherited from {origin}; saving here gives this level a schedule of its own.")))
    base = own or effective or {}
    editable = draft.status == "draft"
    names = {"campaign": tr("Kampanye", "Campaign"), "quiet_period": tr("Masa tenang", "Quiet period"),
             "voting_day": tr("Hari pemungutan suara", "Voting day")}

    def shown(value: str | None) -> str:
        return format_wib(dt.datetime.fromisoformat(value)).removesuffix(" WIB") if value else ""

    edges = {"start": tr("mulai", "start"), "end": tr("berakhir (eksklusif)", "end (exclusive)")}
    key = f"kpu_sched_{draft.id}_{draft.row_version}"
    values: dict = {}
    inputs = []
    for period in PERIODS:
        c1, c2 = st.columns(2)
        for col, edge in ((c1, "start"), (c2, "end")):
            label = f"{names[period]} · {edges[edge]}"
            text = col.text_input(label, value=shown((base.get(period) or {}).get(edge)), key=f"{key}_{period}_{edge}",
                                  placeholder="DD-MM-YYYY HH:MM", disabled=not editable)
            values.setdefault(period, {})[edge] = instant_text(text)
            inputs.append((col, f"{period}.{edge}", period))
    source = st.text_input(tr("Sumber jadwal (instrumen hukum)", "Source of the schedule (legal instrument)"),
                           value=base.get("source", ""), key=f"{key}_source", disabled=not editable)
    values["source"] = source
    errors = schedule_errors(values) if editable else {}
    # beside the field: under the input it names (a whole period's error under its start)
    for col, field, period in inputs:
        msg = errors.get(field) or (errors.get(period) if field.endswith(".start") else None)
        if msg:
            col.error(md_escape(msg))
    if errors.get("source"):
        st.error(md_escape(errors["source"]))
    reason = st.text_input(tr("Alasan perubahan jadwal", "Reason for the schedule change"), key="kpu_sched_reason")
    c1, c2 = st.columns(2)
    if c1.button(tr("Simpan jadwal", "Save schedule"), key="kpu_sched_save", disabled=not editable or bool(errors)):
        try:
            drafts.set_schedule(store, me, draft.id, values, reason=reason, expected_row_version=draft.row_version)
            st.rerun()
        except InputError as err:
            fail(err)
    if own is not None and origin and c2.button(tr("Kembali ke jadwal induk", "Inherit the parent's schedule"),
                                                key="kpu_sched_inherit", disabled=not editable):
        try:
            drafts.set_schedule(store, me, draft.id, None, reason=reason, expected_row_version=draft.row_version)
            st.rerun()
        except InputError as err:
            fail(err)


def _reshape_form(changed: dict, zones: list[dict], draft) -> None:
    """Stored zones whose outline the officer edited on the map: listed, saved together with one reason.

    The new outlines go through :func:`geozones.services.drafts.reshape_zones` (checked like new
    zones, all or none); its repair warnings and the changed areas are shown after the rerun.
    """
    names = {z["zone_id"]: z["name"] for z in zones}
    st.markdown(f"**{tr('Bentuk zona diubah di peta', 'Zone shapes edited on the map')}**")
    st.dataframe(pd.DataFrame([{"zone_id": zid, tr("nama", "name"): names.get(zid, "")} for zid in changed]),
                 hide_index=True, use_container_width=True)
    why = st.text_input(tr("Alasan perubahan bentuk", "Reason for the new shapes"), key="kpu_reshape_reason")
    if st.button(tr("Simpan bentuk", "Save shapes"), key="kpu_reshape_save", type="primary"):
        try:
            _, out, notes = drafts.reshape_zones(store, me, draft.id,
                                                 {zid: f["geometry"] for zid, f in changed.items()}, reason=why,
                                                 expected_row_version=draft.row_version)
        except InputError as err:
            fail(err)
            return
        done = ", ".join(f"{r.zone_id} ({r.changed_m2:,.0f} m²)" for r in out)
        st.session_state["kpu_reshape_notes"] = notes
        st.session_state["kpu_reshape_done"] = tr(f"Bentuk disimpan: {done}", f"Shapes saved: {done}")
        st.rerun()


store, me = session()
st.title(tr("KPU · Draf aturan dan zona", "KPU · Rule and zone drafts"))
_show_flash()
rid = ruleset_choice(store, "kpu_rid")
if rid is None:
    st.stop()

versions = rulesets.list_versions(store, me, rid)
open_versions = [v for v in versions if v.status in ("draft", "in_review")]
with st.expander(tr("Draf baru dari versi yang berlaku", "New draft from the version in force"),
                 expanded=not open_versions):
    with st.form("kpu_new_draft"):
        why = st.text_input(tr("Alasan", "Reason"), key="kpu_new_reason")
        if st.form_submit_button(tr("Buat draf", "Create draft")):
            try:
                v = drafts.new_draft(store, me, rid, reason=why or None)
                st.session_state["kpu_draft"] = f"{v.ruleset_id}@{v.version}"
                st.rerun()
            except InputError as err:
                fail(err)
if not open_versions:
    st.stop()
labels = [f"{v.ruleset_id}@{v.version}" for v in open_versions]
current = st.session_state.get("kpu_draft")
pick = st.selectbox(tr("Draf", "Draft"), labels, index=labels.index(current) if current in labels else 0,
                    key="kpu_draft_pick")
draft = open_versions[labels.index(pick)]
st.caption(md_escape(f"{tr('status', 'status')}: {draft.status} · {tr('penulis', 'author')}: {draft.author} · "
                     f"{tr('terakhir diubah oleh', 'last edited by')}: {draft.updated_by} · row {draft.row_version}"))
rs = rulesets.parse_yaml_text(drafts.draft_yaml(store, me, draft.id), source=pick, check_layers=False)

tab_zones, tab_rules, tab_yaml, tab_review = st.tabs([tr("Zona", "Zones"), tr("Tabel aturan", "Rule table"),
                                                     "YAML", tr("Tinjau & terbitkan", "Review & publish")])

with tab_zones:
    zones = drafts.draft_zones(store, me, draft.id)
    # Every zone of the draft is drawn and editable: the rule's own (YAML) zones and the KPU overlay
    # features alike (drafts.reshape_zones and remove_zone take both), each labelled by rule and name.
    stored = zone_features(zones)
    rule_of = {z["zone_id"]: z["rule_id"] for z in zones}
    for f in stored:
        f["properties"]["label"] = f"{rule_of.get(f['properties']['zone_id'], '')} · {f['properties']['name']}"
    c1, c2 = st.columns([3, 2], gap="medium")
    with c1:
        m = mapview.base_map(online_tiles=False)
        add_area_context(m)
        drawn = draw_map(m, key=f"kpu_draw_{draft.id}_{draft.row_version}", features=stored, style=EDITOR_STYLE) \
            if draft.status == "draft" else []
        changes = split_drawings(drawn, stored) if draft.status == "draft" else None
    with c2:
        if draft.status != "draft":
            st.info(tr("Draf sedang ditinjau; kembalikan ke draf untuk mengubah.",
                       "The draft is in review; return it to draft to change it."))
        st.markdown(f"**{tr('Zona baru dari peta', 'New zones from the map')}**: "
                    f"{len(changes.new) if changes else 0}")
        choices = drafts.zone_rules(store, me, draft.id)
        rule_ids = [c[0] for c in choices]
        level_of = {c[0]: c[1] for c in choices}
        if st.session_state.pop("kpu_zone_clear", False):
            # a zone was saved: an empty form, so a second click does not add it again
            for k in ("kpu_zone_name", "kpu_zone_reason"):
                st.session_state.pop(k, None)
            st.session_state["kpu_zone_file_n"] = st.session_state.get("kpu_zone_file_n", 0) + 1
        with st.form("kpu_zone_form"):
            name = st.text_input(tr("Nama zona", "Zone name"), key="kpu_zone_name")
            rule = st.selectbox(tr("Aturan", "Rule"), rule_ids,
                                index=rule_ids.index("R08") if "R08" in rule_ids else 0, key="kpu_zone_rule",
                                format_func=lambda r: f"{r} · {tr('tingkat', 'level')} {level_of.get(r, '')}")
            category = st.text_input(tr("Kategori", "Category"), key="kpu_zone_category")
            basis = st.text_input(tr("Dasar hukum", "Legal basis"), key="kpu_zone_basis")
            buffer = st.text_input(tr("Buffer (mis. 10 m)", "Buffer (e.g. 10 m)"), key="kpu_zone_buffer")
            advisory = st.checkbox(tr("Anjuran (advisory)", "Advisory"), key="kpu_zone_advisory")
            upload = st.file_uploader(tr("atau impor berkas (GeoJSON, GPKG, KML, SHP zip)",
                                         "or import a file (GeoJSON, GPKG, KML, SHP zip)"),
                                      key=f"kpu_zone_file_{st.session_state.get('kpu_zone_file_n', 0)}")
            reason = st.text_input(tr("Alasan perubahan", "Reason for the change"), key="kpu_zone_reason")
            save = st.form_submit_button(tr("Simpan zona", "Save zones"), type="primary")
        if save:
            try:
                if rule is None:
                    raise InputError(tr("tidak ada aturan yang menerima zona", "no rule takes zones"), field="rule")
                inputs, source = [], f"digambar oleh / drawn by {me.name}"
                if upload is not None:
                    gdf, source = _read_zones(upload), f"{upload.name} (diimpor oleh / imported by {me.name})"
                    geoms = [(g.__geo_interface__, f"{name or upload.name} {i}") for i, g in
                             enumerate(gdf.geometry, 1)]
                else:
                    drawn_new = changes.new if changes else []
                    geoms = [(f["geometry"], name or f"zona {i}") for i, f in enumerate(drawn_new, 1)]
                for geom, zname in geoms:
                    inputs.append(drafts.ZoneInput(geometry=geom, name=zname if len(geoms) > 1 or not name else name,
                                                   category=category or None, legal_basis=basis or None,
                                                   buffer=buffer or None, advisory=advisory))
                v, ids, notes = drafts.add_zones(store, me, draft.id, inputs, rule, source=source, reason=reason,
                                                 expected_row_version=draft.row_version)
                _flash([("warning", n) for n in notes] + [("success", tr(
                    f"Zona disimpan untuk {rule}: {', '.join(ids)}", f"Zones saved for {rule}: {', '.join(ids)}"))])
                st.session_state["kpu_zone_clear"] = True
                st.rerun()
            except InputError as err:
                fail(err)
        for note in st.session_state.pop("kpu_reshape_notes", []):
            st.warning(md_escape(note))
        if "kpu_reshape_done" in st.session_state:
            st.success(md_escape(st.session_state.pop("kpu_reshape_done")))
        if changes and changes.changed:
            _reshape_form(changes.changed, zones, draft)
        if changes and changes.deleted:
            st.warning(md_escape(tr(f"Dihapus di peta: {', '.join(changes.deleted)}",
                                    f"Deleted on the map: {', '.join(changes.deleted)}")))
            why = st.text_input(tr("Alasan penghapusan", "Reason for the removal"), key="kpu_del_reason")
            if st.button(tr("Hapus zona", "Remove zones"), key="kpu_del"):
                try:
                    for zid in changes.deleted:
                        drafts.remove_zone(store, me, draft.id, zid, reason=why)
                    _flash([("success", tr(f"Zona dihapus: {', '.join(changes.deleted)}",
                                           f"Zones removed: {', '.join(changes.deleted)}"))])
                    st.rerun()
                except InputError as err:
                    fail(err)
        if zones:
            st.dataframe(pd.DataFrame([{k: z[k] for k in ("zone_id", "name", "rule_id", "layer", "source")}
                                       for z in zones]), hide_index=True, use_container_width=True,
                         column_config={
                             "zone_id": tr("ID zona", "Zone id"), "name": tr("Nama", "Name"),
                             "rule_id": tr("Aturan", "Rule"), "layer": tr("Lapisan", "Layer"),
                             "source": tr("Sumber", "Source")})

with tab_rules:
    st.caption(tr("Ubah sel lalu simpan; kesalahan validasi muncul di samping kolom yang disebut.",
                  "Edit cells, then save; validation errors appear beside the field they name."))
    table = pd.DataFrame([{"id": r.id, "verdict": str(r.verdict.value if hasattr(r.verdict, "value") else r.verdict),
                           "layer": r.layer or "", "advisory": r.advisory,
                           "title_id": r.title.id, "title_en": r.title.en} for r in rs.rules])
    edited = st.data_editor(table, key=f"kpu_rules_{draft.id}_{draft.row_version}", hide_index=True,
                            disabled=["id"] if draft.status == "draft" else True, use_container_width=True,
                            column_config={
                                "id": tr("Aturan", "Rule"), "verdict": tr("Putusan", "Verdict"),
                                "layer": tr("Lapisan", "Layer"),
                                "advisory": st.column_config.CheckboxColumn(tr("Anjuran", "Advisory")),
                                "title_id": tr("Judul (Indonesia)", "Title (Indonesian)"),
                                "title_en": tr("Judul (Inggris)", "Title (English)")})
    rule_reason = st.text_input(tr("Alasan perubahan", "Reason for the change"), key="kpu_rule_reason")
    if st.button(tr("Simpan aturan", "Save rules"), key="kpu_rule_save", disabled=draft.status != "draft"):
        row_version = draft.row_version
        for before, after in zip(table.to_dict("records"), edited.to_dict("records"), strict=True):
            values = {}
            for col in ("verdict", "layer", "advisory"):
                if before[col] != after[col]:
                    values[col] = after[col] if after[col] not in ("", None) else None
            if before["title_id"] != after["title_id"] or before["title_en"] != after["title_en"]:
                values["title"] = {"id": after["title_id"], "en": after["title_en"]}
            if not values:
                continue
            try:
                v = drafts.set_rule(store, me, draft.id, after["id"], values, reason=rule_reason,
                                    expected_row_version=row_version)
                row_version = v.row_version
            except InputError as err:
                c_field, c_msg = st.columns([1, 3])
                c_field.markdown(f"**{md_escape(after['id'])}** · {md_escape(', '.join(values))}")
                with c_msg:
                    fail(err)
                break
        else:
            st.rerun()

    _quota_editor(rs, draft)
    _schedule_editor(draft)

with tab_yaml:
    text = drafts.draft_yaml(store, me, draft.id)
    st.download_button(tr("Unduh YAML", "Download YAML"), text.encode("utf-8"), file_name=f"{rid}-{draft.version}.yaml",
                       mime="application/yaml", key="kpu_yaml_dl")
    st.code(text, language="yaml")
    st.caption(md_escape(f"{len(yaml.safe_load(text).get('rules', []))} rules"))

with tab_review:
    reason = st.text_input(tr("Alasan / komentar", "Reason / comment"), key="kpu_review_reason")
    c1, c2, c3 = st.columns(3)
    if draft.status == "draft" and c1.button(tr("Ajukan untuk ditinjau", "Submit for review"), key="kpu_submit"):
        try:
            rulesets.submit(store, me, draft.id, draft.row_version, reason=reason or None)
            st.rerun()
        except InputError as err:
            fail(err)
    if draft.status == "in_review" and can(me, Action.PUBLISH) and c2.button(
            tr("Kembalikan ke draf", "Return to draft"), key="kpu_return"):
        try:
            drafts.return_draft(store, me, draft.id, reason=reason, expected_row_version=draft.row_version)
            st.rerun()
        except InputError as err:
            fail(err)
    if c3.button(tr("Tarik draf", "Withdraw draft"), key="kpu_withdraw"):
        try:
            drafts.withdraw_draft(store, me, draft.id, reason=reason, expected_row_version=draft.row_version)
            st.rerun()
        except InputError as err:
            fail(err)
    if can(me, Action.PUBLISH):
        st.subheader(tr("Terbitkan dengan SK", "Publish under a decree"))
        with st.form("kpu_publish"):
            decree = st.text_input(tr("Nomor SK", "Decree number"), key="kpu_decree")
            # text fields (DD/MM/YYYY), as the public date picker: what is shown is what is sent
            signed_text = st.text_input(tr("Tanggal tanda tangan", "Signed on"), key="kpu_signed",
                                        placeholder="DD/MM/YYYY")
            start_text = st.text_input(tr("Berlaku sejak", "Effective from"), key="kpu_from", placeholder="DD/MM/YYYY")
            end_text = st.text_input(tr("Berlaku sampai (opsional)", "Effective to (optional)"), key="kpu_to",
                                     placeholder="DD/MM/YYYY")
            pdf = st.file_uploader(tr("PDF SK (opsional)", "Decree PDF (optional)"), type=["pdf"], key="kpu_pdf")
            pub_reason = st.text_input(tr("Alasan", "Reason"), key="kpu_pub_reason")
            go = st.form_submit_button(tr("Terbitkan", "Publish"), type="primary")
        if go:
            try:
                signed, start, end = (_day(x, label) for x, label in (
                    (signed_text, "signed"), (start_text, "effective-from"), (end_text, "effective-to")))
                if signed is None or start is None:
                    raise InputError(tr("tanggal tanda tangan dan berlaku sejak wajib (DD/MM/YYYY)",
                                        "the signing and effective-from dates are required (DD/MM/YYYY)"),
                                     field="effective-from")
                sha = None
                if pdf is not None:
                    from geozones.services import media

                    sha = media.store_media(store, me, pdf.getvalue(), mime="application/pdf", filename=pdf.name,
                                            action=Action.PUBLISH).sha256
                v = rulesets.publish(
                    store, me, draft.id, draft.row_version, decree_no=decree.strip(), signed_on=signed,
                    effective_from=dt.datetime.combine(start, dt.time(0), tzinfo=WIB),
                    effective_to=dt.datetime.combine(end, dt.time(0), tzinfo=WIB) if end else None,
                    decree_pdf_sha256=sha, reason=pub_reason or None)
                # a fresh run: the version is no longer an open draft, so no draft action is offered on it
                _flash([("success", tr(f"Diterbitkan: {v.ruleset_id}@{v.version} · status: {v.status} · "
                                       f"SK {v.decree_no}", f"Published: {v.ruleset_id}@{v.version} · status: "
                                       f"{v.status} · decree {v.decree_no}"))])
                st.session_state.pop("kpu_draft", None)
                st.rerun()
            except InputError as err:
                fail(err)

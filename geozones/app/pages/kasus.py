"""Kasus: the case list (overdue first), one case (suggestion, history, clocks, lock, steps), evidence and annex."""

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from geozones.app import casework_view as cv
from geozones.app import state
from geozones.app.i18n import apk_label
from geozones.app.messages import show_error
from geozones.app.text import md_escape
from geozones.cases.states import CaseState, allowed_targets, label, transition
from geozones.core.errors import InputError
from geozones.core.time import format_wib
from geozones.services import case_annex as A
from geozones.services import cases as C
from geozones.services import reports as R

lang = state.lang()
who = cv.principal()
st.title(cv.tr("cases.title"))
try:
    store = cv.store()
    at = cv.now()
    rows = C.list_cases(store, who, at=at)
except InputError as err:
    st.warning(cv.tr("need_bawaslu"))
    show_error(err, cv.tr("cases.refused"), lang)
    st.stop()
if not rows:
    st.info(cv.tr("cases.none"))
    st.stop()

# the frame keeps its keys; headers and values (state, verdict, APK type) are shown in the session's language
table = pd.DataFrame([{**r.as_dict(), "deadline": format_wib(r.deadline) if r.deadline else "",
                       "state": cv.state_text(r.state), "verdict": cv.verdict_text(r.verdict),
                       "apk_type": apk_label(r.apk_type, lang) if r.apk_type else ""} for r in rows])
table.insert(1, "!", [cv.tr("cases.overdue") if r.overdue else "≤24h" if r.due_soon else "" for r in rows])
shown = ["case_id", "!", "state", "kelurahan", "kecamatan", "verdict", "rule_ids", "apk_type", "paslon", "deadline",
         "assigned_to", "lock_holder"]
st.dataframe(table[shown], hide_index=True, width="stretch", column_config=cv.column_labels(shown))

ids = [r.case_id for r in rows]
default = st.session_state.get("case_pick")
case_id = st.selectbox(cv.tr("cases.pick"), ids, index=ids.index(default) if default in ids else 0,
                       format_func=lambda i: f"#{i}", key="case_select", placeholder=cv.tr("select"))
d = C.case_detail(store, who, case_id, at=at)
c, rep = d["case"], d["report"]
st.subheader(md_escape(f"#{c['id']} · {label(c['state'], lang)} · {rep['kelurahan'] or '-'} "
                       f"({rep['kecamatan'] or '-'})"))
st.markdown(md_escape(f"{rep['suggested_verdict'] or '-'} · {rep['suggested_rule_ids'] or '-'} · "
                      f"{rep['ruleset_id']}@{rep['ruleset_version']}"))
st.caption(md_escape(rep["suggested_reasons_en"] if lang == "en" else rep["suggested_reasons_id"] or ""))
st.caption(md_escape(f"{format_wib(rep['observed_at'])} · {rep['lon']:.6f}, {rep['lat']:.6f} · "
                     f"APK {apk_label(rep['apk_type'], lang) if rep['apk_type'] else '-'} · "
                     f"paslon {rep['paslon'] or '-'}"))
if rep["decision"]:
    st.caption(md_escape(f"{rep['decision']}: {rep['verdict']} {rep['rule_ids'] or ''} — {rep['decided_by']}"))
holder = c["lock_holder"]
if holder:
    since = format_wib(c["locked_at"]) if c["locked_at"] else "?"
    if holder == who.name:
        st.info(md_escape("🔒 " + cv.tr("cases.locked_you", when=since)))
    else:
        st.warning(md_escape("🔒 " + cv.tr("cases.locked_by", who=holder, when=since)))

st.markdown(f"**{cv.tr('cases.history')}**")
history = pd.DataFrame([{"at": format_wib(e.at), "actor": e.actor, "role": e.role,
                         "from": cv.state_text(e.from_state), "to": cv.state_text(e.to_state),
                         "fields": ", ".join(f"{k}={v}" for k, v in e.fields.items())} for e in d["history"]])
st.dataframe(history, hide_index=True, width="stretch", column_config=cv.column_labels(history.columns))
st.markdown(f"**{cv.tr('cases.clocks')}**")
clocks = pd.DataFrame([{"clock": k.clock_id, "deadline": format_wib(k.deadline),
                        "status": (format_wib(k.stopped_at) if k.stopped_at else
                                   cv.tr("cases.overdue") if k.clock_id in d["overdue"] else "…"),
                        "policy": f"{k.policy_id} {k.policy_version}", "basis": k.basis} for k in d["clocks"]])
st.dataframe(clocks, hide_index=True, width="stretch", column_config=cv.column_labels(clocks.columns))

col1, col2 = st.columns(2)
with col1.form("decide"):
    # option words follow the language: one widget per language, carrying the choice (state.lang_key)
    verdict = st.selectbox(cv.tr("cases.override"), ["", "FORBIDDEN", "CONDITIONAL", "ALLOWED", "UNKNOWN"],
                           key=state.lang_key("decide_verdict", lang), placeholder=cv.tr("select"),
                           format_func=lambda v: cv.verdict_text(v) or cv.tr("cases.keep"))
    rules = st.text_input("rule_ids", key="decide_rules")
    why = st.text_input(cv.tr("cases.reason"), key="decide_reason")
    ok = st.form_submit_button(cv.tr("cases.confirm"))
if ok:
    try:
        kind = R.decide(store, who, rep["id"], now=cv.now(), verdict=verdict or None, rule_ids=rules or None,
                        reason=why or None)
        st.success(f"{cv.tr('cases.saved')}: {kind}")
    except InputError as err:
        show_error(err, cv.tr("cases.refused"), lang)

targets = [s.value for s in allowed_targets(c["state"], "bawaslu")]
if targets:
    with col2.form("advance"):
        to = st.selectbox(cv.tr("cases.to"), targets, key=state.lang_key("adv_to", lang),
                          format_func=cv.state_text, placeholder=cv.tr("select"))
        reason = st.text_input(cv.tr("cases.reason"), key="adv_reason")
        letter = st.text_input(cv.tr("cases.letter"), key="adv_letter")
        order = st.text_input(cv.tr("cases.order"), key="adv_order")
        deadline = st.text_input(cv.tr("cases.deadline"), key="adv_deadline")
        after = st.file_uploader(cv.tr("cases.photo"), type=["jpg", "jpeg", "png", "heic"], key="adv_photo")
        count = st.number_input(cv.tr("cases.count"), min_value=0, step=1, key="adv_count")
        storage = st.text_input(cv.tr("cases.storage"), key="adv_storage")
        go = st.form_submit_button(cv.tr("cases.apply"), type="primary")
    if go:
        from geozones.core.time import parse_time

        try:
            try:
                when = parse_time(deadline).to_pydatetime() if deadline.strip() else None
            except ValueError as exc:
                raise InputError(str(exc), field="deadline") from None
            fields = {"reason": reason, "letter": letter or None, "order": order or None, "deadline": when,
                      "count": int(count) or None, "storage": storage or None}
            # the form keeps what was typed for an earlier step; send only what this step takes
            row = transition(c["state"], to)
            fields = {k: v for k, v in fields.items() if row is None or k in row.requires or k in row.optional}
            new = C.advance_case(store, who, case_id, to, fields, now=cv.now(),
                                 photo=(after.name, after.getvalue()) if after else None)
            st.success(f"{cv.tr('cases.saved')}: {cv.state_text(new.value)}")
            st.rerun()
        except InputError as err:
            show_error(err, cv.tr("cases.refused"), lang)

# the lock: taken before editing, released by its holder; the service refuses anyone else
if not holder:
    if st.button(cv.tr("cases.lock"), key="case_lock"):
        try:
            C.lock_case(store, who, case_id, now=cv.now())
            st.rerun()
        except InputError as err:
            show_error(err, cv.tr("cases.refused"), lang)
elif holder == who.name:
    if st.button(cv.tr("cases.unlock"), key="case_unlock"):
        try:
            C.unlock_case(store, who, case_id, now=cv.now())
            st.rerun()
        except InputError as err:
            show_error(err, cv.tr("cases.refused"), lang)

picked = st.multiselect(cv.tr("cases.evidence_pick"), ids, default=[case_id], format_func=lambda i: f"#{i}",
                        key=f"evidence_pick_{case_id}")
if st.button(cv.tr("cases.evidence"), key="make_evidence"):
    try:
        chosen = picked or [case_id]
        name = f"bukti-{chosen[0]}.zip" if len(chosen) == 1 else f"bukti-{len(chosen)}-kasus.zip"
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / name
            bundle = C.write_evidence(store, who, chosen[0] if len(chosen) == 1 else list(chosen), out,
                                      now=cv.now(), lang=lang)
            st.session_state["evidence_bytes"] = (tuple(picked), out.read_bytes(), bundle.sha256, name)
    except InputError as err:
        show_error(err, cv.tr("cases.refused"), lang)
ev = st.session_state.get("evidence_bytes")
if ev and ev[0] == tuple(picked):
    st.download_button(cv.tr("cases.download"), data=ev[1], file_name=ev[3], mime="application/zip",
                       key="download_evidence")
    st.caption(f"sha256 {ev[2]}")

st.subheader(cv.tr("annex.title"))
a1, a2, a3 = st.columns(3)
annex_by = a1.selectbox(cv.tr("annex.by"), list(A.GROUP_KEYS), key="annex_by", placeholder=cv.tr("select"))
annex_state = a2.selectbox(cv.tr("annex.state"), ["", *(s.value for s in CaseState)],
                           key=state.lang_key("annex_state", lang), placeholder=cv.tr("select"),
                           format_func=lambda v: cv.state_text(v) or cv.tr("annex.all"))
annex_fmt = a3.selectbox(cv.tr("annex.format"), list(A.FORMATS), key="annex_format", placeholder=cv.tr("select"))
annex_group = st.text_input(cv.tr("annex.group"), key="annex_group").strip()
if st.button(cv.tr("annex.make"), key="make_annex"):
    try:
        data, digest = A.annex_bytes(store, who, by=annex_by, fmt=annex_fmt, now=cv.now(), state=annex_state or None,
                                     group=annex_group or None)
        st.session_state["annex_bytes"] = ((annex_by, annex_state, annex_fmt, annex_group), data, digest)
    except InputError as err:
        show_error(err, cv.tr("cases.refused"), lang)
ax = st.session_state.get("annex_bytes")
if ax and ax[0] == (annex_by, annex_state, annex_fmt, annex_group):
    mime = "application/pdf" if annex_fmt == "pdf" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    st.download_button(cv.tr("annex.download"), data=ax[1], file_name=f"lampiran-{annex_by}.{annex_fmt}", mime=mime,
                       key="download_annex")
    st.caption(f"sha256 {ax[2]}")

"""The verdict panel, the schedule box and the attribution footer."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import streamlit as st

from geozones.app.i18n import apk_label, t
from geozones.app.text import md_escape, md_table
from geozones.core.time import format_wib
from geozones.core.verdicts import Verdict, label
from geozones.rules.model import RuleSet

#: Which Streamlit alert box shows which verdict.
_BOX = {
    Verdict.FORBIDDEN: st.error, Verdict.OUT_OF_WINDOW: st.error,
    Verdict.NEEDS_DISCRETION: st.warning, Verdict.NEEDS_PERMIT: st.warning,
    Verdict.NEEDS_OWNER_CONSENT: st.info, Verdict.OUTSIDE_AREA: st.info,
    Verdict.ALLOWED_ASSIGNED: st.success, Verdict.ALLOWED: st.success,
}





def verdict_panel(result, lang: str) -> None:
    """Show one site's verdict with every reason, legal basis, grade and the nearest place.

    Parameters
    ----------
    result : geozones.engine.Evaluation
        Evaluation of exactly one site.
    lang : str
        UI language.
    """
    row = result.table.iloc[0]
    verdict = Verdict(row["verdict"])
    box = _BOX[verdict]
    box(f"### {md_escape(label(verdict, lang))} · `{verdict.value}`")
    st.caption(md_escape(t("panel.point", lang, lat=f"{row['lat']:.6f}", lon=f"{row['lon']:.6f}"))
               + "  \n" + md_escape(t("panel.judged_at", lang, when=format_wib(row["judged_at"]))))
    if isinstance(row.get("kelurahan"), str) and row["kelurahan"]:
        st.markdown(f"**{md_escape(t('panel.where', lang))}:** "
                    + md_escape(f"Kel. {row['kelurahan']} ({row['kode_kemendagri']} · BPS {row['kode_bps']}), "
                                f"Kec. {row['kecamatan']}, {row['kota']}"))
    by_type = verdict_by_type_text(row.get("verdict_by_type"), lang)
    if by_type:
        st.markdown(f"**{md_escape(t('panel.by_type', lang))}:** {md_escape(by_type)}")
    reasons = str(row["reasons_en" if lang == "en" else "reasons_id"] or "")
    st.markdown(f"**{md_escape(t('panel.reasons', lang))}**")
    st.markdown("\n".join(f"- {md_escape(r.strip())}" for r in reasons.split(" | ") if r.strip()))
    nearest_m = row.get("nearest_m")
    if nearest_m is not None and not (isinstance(nearest_m, float) and math.isnan(nearest_m)):
        st.markdown(md_escape(t("panel.nearest", lang, name=row["nearest_name"] or "?",
                                layer=row["nearest_layer"], dist=f"{float(nearest_m):.0f}")))
    else:
        st.markdown(md_escape(t("panel.nearest_none", lang, bound=f"{result.nearest_bound_m:.0f}")))
    if bool(row.get("advisory")):
        st.warning(md_escape(t("panel.advisory", lang)))
    if bool(row.get("unverified")):
        st.warning(md_escape(t("panel.unverified", lang)))
    if result.not_checked:
        ids = ", ".join(f"{n['rule_id']} ({n['layer']})" for n in result.not_checked)
        st.caption(md_escape(t("panel.not_checked", lang, rules=ids)))
    if getattr(result, "provenance", None):  # tables built by hand (tests, previews) carry none
        provenance_note(result.provenance, lang)
    if len(result.matches):
        with st.expander(t("panel.matches", lang)):
            m = result.matches
            st.dataframe(pd.DataFrame({
                t("col.rule_id", lang): m["rule_id"],
                t("col.verdict", lang): [label(v, lang) for v in m["verdict"]],
                t("col.feature", lang): m["feature_name"],
                t("col.layer", lang): m["layer"],
                t("col.distance_m", lang): m["distance_m"].round(1),
                t("col.advisory", lang): m["advisory"],
                t("col.reason", lang): m["reason_en" if lang == "en" else "reason_id"],
            }), hide_index=True, width="stretch")


def provenance_note(provenance: dict, lang: str) -> None:
    """What a verdict rests on: the rule set's id and version, and the digest of every layer used.

    Parameters
    ----------
    provenance : dict
        :attr:`geozones.engine.Evaluation.provenance` (``ruleset_id``, ``ruleset_version``,
        ``area``, ``layers``: layer name to ``sha256:<hex>`` content digest).
    lang : str
        UI language.
    """
    st.caption(md_escape(t("panel.provenance", lang, ruleset=provenance["ruleset_id"],
                           version=provenance["ruleset_version"], area=provenance.get("area", ""),
                           n=len(provenance.get("layers", {})))))
    with st.expander(t("panel.digests", lang)):
        st.markdown(md_table([t("col.layer", lang), t("col.digest", lang)],
                             [[name, digest] for name, digest in sorted(provenance.get("layers", {}).items())]))


def verdict_by_type_text(value: object, lang: str) -> str:
    """``"billboard:NEEDS_PERMIT; spanduk:NEEDS_OWNER_CONSENT"`` as words in ``lang``; "" when absent.

    The engine's ``verdict_by_type`` column is empty when every APK type gets the same
    verdict. A part that is not ``type:VERDICT`` is kept as written.
    """
    if not isinstance(value, str) or not value.strip():
        return ""
    parts = []
    for part in value.split(";"):
        kind, _, code = part.strip().partition(":")
        try:
            parts.append(f"{apk_label(kind.strip(), lang)}: {label(Verdict(code.strip()), lang)}")
        except ValueError:
            parts.append(part.strip())
    return "; ".join(p for p in parts if p)


def schedule_box(ruleset: RuleSet, at: dt.datetime, lang: str, note: str | None = None) -> None:
    """The 2024 schedule as a small table, and which phase ``at`` falls in.

    Drawn as an escaped markdown table rather than ``st.dataframe``: three rows
    do not need the data-grid, and leaving it out keeps ~1.7 MB of grid
    JavaScript off the first page's critical path.
    """
    s = ruleset.schedule
    phases = [("sched.campaign", s.campaign), ("sched.quiet", s.quiet_period), ("sched.voting", s.voting_day)]
    phase = next((t(k, lang) for k, p in phases if p.start <= at < p.end), None)
    if phase is None:
        phase = t("sched.before", lang) if at < s.campaign.start else t("sched.after", lang)
    head = [t("sched.phase", lang), t("sched.from", lang), t("sched.to", lang)]
    rows = [[t(k, lang), format_wib(p.start), format_wib(p.end)] for k, p in phases]
    with st.expander(t("sched.title", lang)):
        st.markdown(md_table(head, rows))
        st.caption(md_escape(s.source))
    st.caption(md_escape(t("sched.now_in", lang, phase=phase) + (f" · {note}" if note else "")))
    if after_election(ruleset, at):
        after_election_note(ruleset, lang)


def after_election(ruleset: RuleSet, at: dt.datetime) -> bool:
    """Whether ``at`` lies after voting day of the rule set's schedule (the election is over)."""
    return at >= ruleset.schedule.voting_day.end


def after_election_note(ruleset: RuleSet, lang: str) -> None:
    """Say in plain words that the chosen date is after the election (rather than cite the quiet period)."""
    s = ruleset.schedule
    day = "%d-%m-%Y"
    last = s.campaign.end - dt.timedelta(microseconds=1)  # ends are exclusive
    st.warning(md_escape(t("sched.after_note", lang, voting=s.voting_day.start.strftime(day),
                           start=s.campaign.start.strftime(day), end=last.strftime(day))))


def attribution_footer(lines: list[str], lang: str) -> None:
    """Data attribution, shown under every map and table."""
    st.caption(f"**{md_escape(t('attr.title', lang))}:** " + " · ".join(md_escape(x) for x in lines))

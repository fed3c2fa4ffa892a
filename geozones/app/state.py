"""Session state shared by the pages: language, chosen spot, judged-at time."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from geozones.app.i18n import DEFAULT_LANG, LANGS, normalize_lang
from geozones.core.time import WIB

LANG_KEY = "lang"
#: The map click, copied out of the component so tests can set it directly.
SELECTED_KEY = "selected_point"
LANG_NAMES = {"id": "Bahasa Indonesia", "en": "English"}


def lang() -> str:
    """The UI language of this session (``"id"`` unless the user chose English)."""
    return normalize_lang(st.session_state.get(LANG_KEY, DEFAULT_LANG))


def language_toggle(label: str) -> str:
    """Draw the language switch in the sidebar and return the chosen language."""
    if LANG_KEY not in st.session_state:
        st.session_state[LANG_KEY] = DEFAULT_LANG
    st.sidebar.radio(label, LANGS, key=LANG_KEY, horizontal=True, format_func=LANG_NAMES.get)
    return lang()


def selected_point() -> tuple[float, float] | None:
    """The chosen ``(lat, lon)``, or None."""
    sel = st.session_state.get(SELECTED_KEY)
    if not sel:
        return None
    try:
        return float(sel["lat"]), float(sel["lon"])
    except (KeyError, TypeError, ValueError):
        return None


def set_selected_point(lat: float, lon: float) -> None:
    """Remember a chosen spot (from a map click or typed coordinates)."""
    st.session_state[SELECTED_KEY] = {"lat": round(float(lat), 6), "lon": round(float(lon), 6)}


def now_wib() -> dt.datetime:
    """The current time in WIB, to the minute."""
    return dt.datetime.now(WIB).replace(second=0, microsecond=0)


def judged_at_picker(t, key: str, default: dt.datetime | None = None,
                     help_text: str | None = None) -> dt.datetime:
    """Date and time inputs (WIB) side by side; returns an aware datetime.

    Parameters
    ----------
    t : callable
        ``t(key)`` translation function bound to the session language.
    key : str
        Prefix of the widget keys (one picker per page).
    default : datetime, optional
        Initial value; now (WIB) when omitted.
    help_text : str, optional
        Tooltip for the date input.
    """
    default = default or now_wib()
    c1, c2 = st.columns(2)
    day = c1.date_input(t("ctl.date"), value=default.date(), key=f"{key}_date", help=help_text,
                        format="DD/MM/YYYY")
    clock = c2.time_input(t("ctl.time"), value=default.time().replace(tzinfo=None), key=f"{key}_time",
                          step=dt.timedelta(minutes=30))
    return dt.datetime.combine(day, clock, tzinfo=WIB)

"""Session state shared by the pages: language, chosen spot, judged-at time."""

from __future__ import annotations

import datetime as dt
import re

import streamlit as st

from geozones.app.i18n import DEFAULT_LANG, LANGS, normalize_lang
from geozones.core.time import WIB

LANG_KEY = "lang"
#: The map click, copied out of the component so tests can set it directly.
SELECTED_KEY = "selected_point"
LANG_NAMES = {"id": "Bahasa Indonesia", "en": "English"}


#: Query parameter that carries the language in the page's URL (``?lang=en``); the switch's key.
LANG_PARAM = LANG_KEY


def url_lang() -> str | None:
    """The language named in the page's URL (``?lang=en``, ``?lang=id``), or None when absent or unknown."""
    value = st.query_params.get(LANG_PARAM)
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    names = {name.lower(): code for code, name in LANG_NAMES.items()}
    return value if value in LANGS else names.get(value)


def lang() -> str:
    """The UI language of this session: the user's choice, else the URL's ``?lang=``, else Indonesian."""
    if LANG_KEY in st.session_state:
        return normalize_lang(st.session_state[LANG_KEY])
    return url_lang() or DEFAULT_LANG


def language_toggle(label: str) -> str:
    """Draw the language switch in the sidebar and return the chosen language.

    A new session (a reload, a shared link) starts in the language of the URL's
    ``?lang=`` parameter; the choice is written back to the URL on every run
    (``?lang=en`` / ``?lang=id``; a page change drops query parameters), so
    reloading the page or sharing its address keeps the language.
    """
    if LANG_KEY not in st.session_state or st.session_state[LANG_KEY] not in LANGS:
        st.session_state[LANG_KEY] = url_lang() or DEFAULT_LANG
    st.sidebar.radio(label, LANGS, key=LANG_KEY, horizontal=True, format_func=LANG_NAMES.get)
    chosen = lang()
    if st.query_params.get(LANG_PARAM) != chosen:
        st.query_params[LANG_PARAM] = chosen
    return chosen


def lang_key(base: str, lang_: str) -> str:
    """Key of a choice widget whose options are shown in words of ``lang_``, carrying its value across a switch.

    Streamlit's select widgets keep the words of the selected options as they were
    first drawn, so after a language switch a chosen filter chip stayed Indonesian.
    Each language gets its own widget (``f_verdict_en``), started from the other
    language's value (option values are codes, the same in both languages).
    """
    key = f"{base}_{lang_}"
    last = st.session_state.get(f"{base}__lang")
    if last is not None and last != lang_ and f"{base}_{last}" in st.session_state:
        st.session_state[key] = st.session_state[f"{base}_{last}"]
    st.session_state[f"{base}__lang"] = lang_
    return key


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


#: Accepted forms of a typed date: day first (as shown), or ISO year first.
_DATE_DMY = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})\s*$")
_DATE_YMD = re.compile(r"^\s*(\d{4})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*$")
DATE_FORMAT = "%d/%m/%Y"


def parse_date(text: str) -> dt.date | None:
    """A typed date: ``DD/MM/YYYY`` (also ``-`` or ``.``) or ``YYYY-MM-DD``; None if not a real date."""
    m = _DATE_DMY.match(text or "")
    if m:
        day, month, year = (int(g) for g in m.groups())
    else:
        m = _DATE_YMD.match(text or "")
        if not m:
            return None
        year, month, day = (int(g) for g in m.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def default_judged_at(schedule) -> tuple[dt.datetime, bool]:
    """The date a page starts with: now, or a day inside the campaign when now is outside the schedule.

    Parameters
    ----------
    schedule : geozones.rules.model.Schedule
        The rule set's election schedule (WIB).

    Returns
    -------
    (datetime, bool)
        The instant (WIB) and whether it was moved into the campaign because today lies
        before the campaign or after voting day (then the page says so).
    """
    now = now_wib()
    if schedule.campaign.start <= now < schedule.voting_day.end:
        return now, False
    inside = schedule.campaign.start + dt.timedelta(days=14)
    if inside >= schedule.campaign.end:
        inside = schedule.campaign.start
    return inside.astimezone(WIB).replace(hour=12, minute=0, second=0, microsecond=0), True


def _check_typed_date(key: str) -> None:
    """on_change of the date field: keep a real date, else restore the last one and remember why."""
    typed = st.session_state.get(key, "")
    day = parse_date(typed)
    if day is None:
        st.session_state[f"{key}__error"] = typed
        st.session_state[key] = st.session_state.get(f"{key}__last", "")
    else:
        st.session_state.pop(f"{key}__error", None)
        st.session_state[key] = day.strftime(DATE_FORMAT)
        st.session_state[f"{key}__last"] = st.session_state[key]


def judged_at_picker(t, key: str, default: dt.datetime | None = None,
                     help_text: str | None = None, default_note: str | None = None) -> dt.datetime:
    """Date and time inputs (WIB) side by side; returns an aware datetime.

    The date is a text field (``DD/MM/YYYY``), not ``st.date_input``: Streamlit's
    date field keeps a typed date in the browser until the field loses focus to
    something outside its calendar, and a click into the map (an iframe) does not
    count, so the map was judged for the old date while the field showed the new
    one. A text field sends its value on Enter and on every blur, so the date
    used is always the date shown. A date that does not parse is refused with a
    message and the field goes back to the last good date.

    Parameters
    ----------
    t : callable
        ``t(key, **values)`` translation function bound to the session language.
    key : str
        Prefix of the widget keys (one picker per page); the date field is ``{key}_date``.
    default : datetime, optional
        Initial value; now (WIB) when omitted.
    help_text : str, optional
        Tooltip for the date input.
    default_note : str, optional
        Caption shown under the field while it holds the default date (e.g. why the
        default lies in the campaign rather than today).
    """
    default = default or now_wib()
    date_key = f"{key}_date"
    if date_key not in st.session_state:
        st.session_state[date_key] = default.strftime(DATE_FORMAT)
    if f"{date_key}__last" not in st.session_state:
        st.session_state[f"{date_key}__last"] = st.session_state[date_key]
    c1, c2 = st.columns(2)
    help_parts = [t("ctl.date_help")] + ([help_text] if help_text else [])
    c1.text_input(t("ctl.date"), key=date_key, help="\n\n".join(help_parts), placeholder="DD/MM/YYYY",
                  max_chars=12, on_change=_check_typed_date, args=(date_key,))
    bad = st.session_state.get(f"{date_key}__error")
    if bad is not None:
        from geozones.app.text import md_escape

        c1.error(md_escape(t("ctl.date_bad", value=bad)))
    day = parse_date(st.session_state[date_key]) or default.date()
    if default_note and day == default.date():
        from geozones.app.text import md_escape

        c1.caption(md_escape(default_note))
    clock = c2.time_input(t("ctl.time"), value=default.time().replace(tzinfo=None), key=f"{key}_time",
                          step=dt.timedelta(minutes=30))
    return dt.datetime.combine(day, clock, tzinfo=WIB)

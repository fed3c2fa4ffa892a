"""Time in WIB (Asia/Jakarta): the one place naive times are read and shown.

Rule windows, site installation times, the ``--at`` option and the app's date
pickers all pass through here, so a naive time is WIB everywhere and a time
with an offset is converted, never reinterpreted.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from geozones.core.errors import InputError

TIMEZONE = "Asia/Jakarta"
#: WIB as a ``datetime`` tzinfo (UTC+07:00, named "WIB"), for plain ``datetime`` values: rule-set
#: instants and the app's date pickers. A fixed offset is exact: Jakarta has kept UTC+7, without
#: daylight saving, since 1964 (IANA tz database, ``Asia/Jakarta``).
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")


def to_wib(value: object) -> pd.Timestamp:
    """A timestamp in WIB: naive values are taken as WIB, others converted."""
    ts = pd.Timestamp(value)
    return ts.tz_localize(TIMEZONE) if ts.tzinfo is None else ts.tz_convert(TIMEZONE)


def format_wib(value: object) -> str:
    """``dd-mm-yyyy HH:MM WIB``."""
    return to_wib(value).strftime("%d-%m-%Y %H:%M WIB")


_DAY_FIRST = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(\b.*)$")
_SLASHED = re.compile(r"^\s*\d{1,4}[/.]\d{1,2}[/.]\d{1,4}")


def parse_time(value: object) -> pd.Timestamp:
    """Parse a date/time; naive values are taken as WIB (Asia/Jakarta).

    ISO 8601 (``2024-10-01T08:00``, with or without offset) is preferred. The
    Indonesian day-first form ``01/10/2024 08:00`` (1 October) is accepted too;
    the month-first reading is never guessed.

    Raises
    ------
    ValueError
        For text that is not a time, or a year outside 1900-2100.
    """
    if isinstance(value, pd.Timestamp):
        ts = value
    else:
        text = str(value).strip()
        if text.lower() in ("now", "today", "tomorrow", "yesterday", "sekarang"):
            raise ValueError(f"'{value}' is not a fixed time; write the date (e.g. 2024-10-01T08:00)")
        m = _DAY_FIRST.match(text)
        if m:
            year = m.group(3) if len(m.group(3)) == 4 else f"20{m.group(3)}"
            text = f"{year}-{int(m.group(2)):02d}-{int(m.group(1)):02d}{m.group(4)}"
        elif _SLASHED.match(text) or re.fullmatch(r"\d{6}", text):
            # never guess month-first or packed forms
            raise ValueError(f"'{value}' is an ambiguous date; use ISO 8601 (2024-10-01) or day-first 01/10/2024")
        try:
            ts = pd.Timestamp(text)
        except (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime):
            raise ValueError(f"'{value}' is not a date/time (use ISO 8601, e.g. 2024-10-01T08:00, "
                             "or day-first 01/10/2024 08:00)") from None
    if ts is pd.NaT or pd.isna(ts):
        raise ValueError(f"'{value}' is not a date/time")
    if not 1900 <= ts.year <= 2100:
        raise ValueError(f"'{value}': year {ts.year} is outside 1900-2100")
    return to_wib(ts)


def resolve_at(at: object | None) -> pd.Timestamp:
    """The one time a batch is judged at when a site has none of its own.

    Parameters
    ----------
    at : datetime, str, pandas.Timestamp or None
        ``None``, ``"now"`` or ``"sekarang"`` mean the current time; anything else
        is parsed by :func:`parse_time` (naive values are WIB).

    Returns
    -------
    pandas.Timestamp
        Time-zone aware, in WIB.

    Raises
    ------
    InputError
        Naming the field ``at`` when the text is not a time.
    """
    if at is None or (isinstance(at, str) and at.strip().lower() in ("now", "sekarang")):
        return pd.Timestamp.now(tz=TIMEZONE)
    try:
        return parse_time(at)
    except ValueError as exc:
        raise InputError(str(exc), field="at") from None

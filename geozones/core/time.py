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


#: ``D/M/Y`` or ``M/D/Y`` (slash, dot or dash), optional time with seconds and AM/PM.
_NUMERIC_DMY = re.compile(
    r"^\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})"
    r"(?:[ T,]+(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:\.\d+)?)?\s*([AaPp]\.?[Mm]\.?)?)?\s*$")
#: Year first: ISO ``2024-10-02``, ``2024/10/02 09:00``, EXIF ``2024:10:02 09:15:00``.
_YEAR_FIRST = re.compile(
    r"^\s*(\d{4})([/.:-])(\d{1,2})\2(\d{1,2})(?:([ T])(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(\.\d+)?)?\s*"
    r"(Z|[+-]\d{2}:?\d{2})?)?\s*$")
_MONTHS_ID = {"januari": "January", "februari": "February", "maret": "March", "april": "April", "mei": "May",
              "juni": "June", "juli": "July", "agustus": "August", "september": "September",
              "oktober": "October", "november": "November", "desember": "December", "agu": "Aug",
              "okt": "Oct", "des": "Dec", "pukul": ""}

DAY_FIRST, MONTH_FIRST = "dayfirst", "monthfirst"
#: The command-line options that choose the order; a message naming one asks the user for the order.
DATE_ORDER_OPTIONS = ("--dayfirst", "--monthfirst")


def asks_date_order(message: str) -> bool:
    """Whether an error message of :func:`column_date_order` or :func:`parse_time` asks for the day/month order.

    Those messages (a column that stays ambiguous or mixes both orders, a month above 12
    read day first) name :data:`DATE_ORDER_OPTIONS`; the app asks for the order with a
    choice instead of naming command-line options.
    """
    return any(opt in str(message) for opt in DATE_ORDER_OPTIONS)


class TimeFormatError(ValueError):
    """A text that is not a time; ``message_id`` holds the Indonesian wording."""

    def __init__(self, en: str, id_text: str) -> None:
        super().__init__(en)
        self.message_id = id_text


def _bad(value: object) -> TimeFormatError:
    return TimeFormatError(
        f"'{value}' is not a date/time (use ISO 8601, e.g. 2024-10-01T08:00, or day-first 01/10/2024 08:00)",
        f"'{value}' bukan tanggal/waktu (tulis ISO 8601, mis. 2024-10-01T08:00, atau 01/10/2024 08:00)")


def _build(value: object, year: int, month: int, day: int, hh: str | None, mm: str | None, ss: str | None,
           ampm: str | None = None, tail: str = "") -> pd.Timestamp:
    hour = int(hh) if hh else 0
    if ampm:
        if not 1 <= hour <= 12:
            raise _bad(value)
        pm = ampm.lower().startswith("p")
        hour = (hour % 12) + (12 if pm else 0)
    text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{int(mm or 0):02d}:{int(ss or 0):02d}{tail}"
    try:
        return pd.Timestamp(text)
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
        raise _bad(value) from None


def date_order_hint(text: str) -> str | None:
    """What one value says about the order of day and month.

    Returns
    -------
    str or None
        ``"dayfirst"`` when the first part cannot be a month (> 12),
        ``"monthfirst"`` when the second cannot be (> 12), ``"ampm"`` when the
        value carries an AM/PM marker (the US month-first locale writes them),
        ``"either"`` for an ambiguous ``D/M/Y`` value whose two readings differ,
        and None when the order does not matter (year first, or day = month).
    """
    m = _NUMERIC_DMY.match(str(text))
    if not m:
        return None
    a, b = int(m.group(1)), int(m.group(3))
    if (a > 12 and b > 12) or a == 0 or b == 0:
        return None  # no reading is a date; the row itself is refused
    if a > 12 and b <= 12:
        return DAY_FIRST
    if b > 12 and a <= 12:
        return MONTH_FIRST
    if a == b:
        return None
    return "ampm" if m.group(8) else "either"


def parse_time(value: object, order: str | None = None) -> pd.Timestamp:
    """Parse a date/time; naive values are taken as WIB (Asia/Jakarta).

    Parameters
    ----------
    value : str or timestamp
        ISO 8601 (``2024-10-01T08:00``, with or without offset); year first with
        slashes (``2024/10/02 09:00``) or colons (EXIF ``2024:10:02 09:15:00``);
        ``D/M/Y`` with an optional time (``9:00:00 AM`` included); or a month name
        in English or Indonesian (``2 Oktober 2024``).
    order : {"dayfirst", "monthfirst"}, optional
        How to read ``a/b/YYYY``. Default day first (the Indonesian order) for one
        value; a whole column is decided by :func:`parse_time_column`.

    Raises
    ------
    ValueError
        (:class:`TimeFormatError`) for text that is not a time, a moving time
        ("now"), or a year outside 1900-2100.
    """
    if isinstance(value, pd.Timestamp):
        ts = value
    else:
        text = str(value).strip().replace("\u2212", "-")
        if text.lower() in ("now", "today", "tomorrow", "yesterday", "sekarang", "hari ini"):
            raise TimeFormatError(f"'{value}' is not a fixed time; write the date (e.g. 2024-10-01T08:00)",
                                  f"'{value}' bukan waktu yang tetap; tulis tanggalnya (mis. 2024-10-01T08:00)")
        m = _NUMERIC_DMY.match(text)
        y = _YEAR_FIRST.match(text)
        if m:
            a, b = int(m.group(1)), int(m.group(3))
            year = int(m.group(4)) if len(m.group(4)) == 4 else 2000 + int(m.group(4))
            day, month = (b, a) if order == MONTH_FIRST else (a, b)
            if not (1 <= month <= 12 and 1 <= day <= 31):
                if order is None and 1 <= a <= 12 < b <= 31:
                    raise TimeFormatError(
                        f"'{value}': month {b} does not exist (read day first); if the file writes the month "
                        "first (US style), pass --monthfirst",
                        f"'{value}': bulan {b} tidak ada (dibaca hari dulu); bila berkas menulis bulan dulu "
                        "(gaya AS), beri --monthfirst")
                raise _bad(value)
            ts = _build(value, year, month, day, m.group(5), m.group(6), m.group(7), m.group(8))
        elif y:
            month, day = int(y.group(3)), int(y.group(4))
            if not (1 <= month <= 12 and 1 <= day <= 31):
                raise _bad(value)
            tail = ("" if not y.group(10) else y.group(10) if y.group(10) != "Z" else "+00:00")
            ts = _build(value, int(y.group(1)), month, day, y.group(6), y.group(7), y.group(8), None, tail)
        elif re.match(r"^\s*\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}", text) or re.fullmatch(r"\d{6,8}", text):
            raise TimeFormatError(f"'{value}' is an ambiguous date; use ISO 8601 (2024-10-01) or day-first "
                                  "01/10/2024",
                                  f"'{value}' adalah tanggal yang ambigu; tulis ISO 8601 (2024-10-01) atau "
                                  "hari dulu 01/10/2024")
        else:
            words = re.sub(r"[A-Za-z]+", lambda w: _MONTHS_ID.get(w.group().lower(), w.group()), text)
            words = re.sub(r"(?<=\s)(\d{1,2})\.(\d{2})(?=(?:[.:]\d{2})?\s*$)", r"\1:\2", words)
            try:
                ts = pd.Timestamp(words)
            except (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime):
                raise _bad(value) from None
    if ts is pd.NaT or pd.isna(ts):
        raise _bad(value)
    if not 1900 <= ts.year <= 2100:
        raise TimeFormatError(f"'{value}': year {ts.year} is outside 1900-2100",
                              f"'{value}': tahun {ts.year} di luar 1900-2100")
    return to_wib(ts)


def column_date_order(values: list[str], order: str | None = None) -> tuple[str | None, dict[str, list[str]]]:
    """Decide how a column writes ``a/b/YYYY``, from all of its values.

    A first part above 12 means day first, a second part above 12 month first,
    and AM/PM markers (written by the US month-first locale) month first unless a
    value shows day first. ``order`` (the user's ``--dayfirst``/``--monthfirst``)
    wins when given.

    Returns
    -------
    (str or None, dict)
        The order (``"dayfirst"``, ``"monthfirst"``, or None when no value needs
        one), and the evidence: ``{"dayfirst": [...], "monthfirst": [...],
        "either": [...]}`` example values.

    Raises
    ------
    ValueError
        When the column holds both orders (and no ``order`` was given), or stays
        ambiguous; the message names the values and the options to choose.
    """
    seen: dict[str, list[str]] = {DAY_FIRST: [], MONTH_FIRST: [], "ampm": [], "either": []}
    for v in values:
        hint = date_order_hint(v)
        if hint:
            seen[hint].append(v)
    if order in (DAY_FIRST, MONTH_FIRST):
        return order, seen
    if seen[DAY_FIRST] and seen[MONTH_FIRST]:
        raise TimeFormatError(
            f"mixes day-first ('{seen[DAY_FIRST][0]}') and month-first ('{seen[MONTH_FIRST][0]}') dates; "
            "one column must use one order: correct the file, or choose with --dayfirst or --monthfirst "
            "(rows that do not fit are then named)",
            f"mencampur tanggal hari-dulu ('{seen[DAY_FIRST][0]}') dan bulan-dulu ('{seen[MONTH_FIRST][0]}'); "
            "satu kolom harus satu urutan: perbaiki berkas, atau pilih dengan --dayfirst atau --monthfirst "
            "(baris yang tidak cocok lalu disebut)")
    if seen[DAY_FIRST]:
        return DAY_FIRST, seen
    if seen[MONTH_FIRST] or seen["ampm"]:
        return MONTH_FIRST, seen
    if seen["either"]:
        ex = seen["either"][0]
        raise TimeFormatError(
            f"dates like '{ex}' can be read day first or month first, and no value in the column decides; "
            "choose with --dayfirst (Indonesian order) or --monthfirst (US order), or write ISO 8601 (2024-10-02)",
            f"tanggal seperti '{ex}' dapat dibaca hari dulu atau bulan dulu, dan tak ada nilai di kolom yang "
            "memastikan; pilih dengan --dayfirst (urutan Indonesia) atau --monthfirst (urutan AS), atau tulis "
            "ISO 8601 (2024-10-02)")
    return None, seen


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
    except TimeFormatError as exc:
        raise InputError(str(exc), field="at", message_id=exc.message_id) from None
    except ValueError as exc:
        raise InputError(str(exc), field="at") from None

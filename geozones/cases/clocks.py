"""Legal clocks as versioned data, and the deadlines they give.

A clock policy (YAML under ``rules/clocks/``) lists each clock with its unit
(calendar days, working days or hours), the events that start and stop it and
its legal basis, plus the office hours in which reports are received. Two
policies ship: ``pilkada-2024`` counts calendar days (Bawaslu RI, 22 Sep 2024:
"hari kalender sesuai UU 10/2016") and ``pemilu-2024`` counts working days
(UU 7/2017 Pasal 454). See ``workflows-research.md`` §4.1.

Deadlines are computed once, when a clock starts, and carried with the policy's
id and version so they never move when a policy is revised. Working days skip
Saturdays, Sundays and Indonesian holidays from the ``holidays`` package
(categories ``public`` and ``government``, i.e. with cuti bersama). A day-counted
deadline ends at 23:59:59 WIB of its last day; the day the clock starts is not
counted ("paling lama 7 hari sejak diketahui").
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import holidays
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from geozones.cases.states import CaseState, Source
from geozones.core.errors import InputError, Problem
from geozones.core.time import TIMEZONE

WIB = ZoneInfo(TIMEZONE)
#: Where the published clock policies live.
CLOCKS_DIR = Path(__file__).resolve().parents[2] / "rules" / "clocks"
#: Events a clock may start or stop on, besides entering any state.
INTAKE_EVENTS = ("known", "laporan_received")
Unit = Literal["calendar_day", "working_day", "hour"]
UNIT_LABELS = {"calendar_day": ("hari kalender", "calendar days"), "working_day": ("hari kerja", "working days"),
               "hour": ("jam", "hours")}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    """A text in Bahasa Indonesia (``id``) and English (``en``)."""

    id: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        """The text in ``lang``, falling back to Indonesian."""
        return self.en if lang == "en" else self.id


class Basis(_Model):
    """A legal instrument and article, with the evidence grade (as in rule sets)."""

    instrument: str = Field(min_length=1)
    article: str | None = None
    grade: Literal["P", "S", "I"]
    note: str | None = None
    url: str | None = None

    def cite(self) -> str:
        """Short citation, e.g. ``UU 1/2015 Pasal 134 ayat (4) [P]``."""
        return f"{self.instrument}{' ' + self.article if self.article else ''} [{self.grade}]"


class Extension(_Model):
    """Extra time a clock may be given, and when (e.g. 2 days for additional information)."""

    duration: int = Field(gt=0)
    when: Text


def _event_ok(value: str) -> str:
    if value not in INTAKE_EVENTS and value not in {s.value for s in CaseState}:
        raise ValueError(f"unknown event '{value}'; use one of {', '.join(INTAKE_EVENTS)} or a state name")
    return value


class Clock(_Model):
    """One legal clock."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Text
    starts: list[str] = Field(min_length=1, description="Events that start it (the first one counts)")
    stops: list[str] = Field(default_factory=list, description="Events that stop it (terminal states always do)")
    applies_to: list[Source] | None = Field(None, description="Case sources it runs for; all when absent")
    duration: int = Field(gt=0)
    unit: Unit
    extension: Extension | None = None
    typed_deadline: bool = Field(False, description="The deadline is typed from a letter; ours is a suggestion")
    legal_basis: list[Basis] = Field(min_length=1)

    @field_validator("starts", "stops")
    @classmethod
    def _events(cls, values: list[str]) -> list[str]:
        return [_event_ok(v) for v in values]

    def runs_for(self, source: Source | str) -> bool:
        """True when the clock applies to cases of ``source``."""
        return self.applies_to is None or Source(source) in self.applies_to

    def describe(self, lang: str = "id") -> str:
        """E.g. ``7 hari kalender`` / ``24 hours``."""
        ind, eng = UNIT_LABELS[self.unit]
        return f"{self.duration} {eng if lang == 'en' else ind}"


def _hhmm(text: str) -> tuple[dt.time, dt.time]:
    m = re.fullmatch(r"\s*(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})\s*", text)
    if not m:
        raise ValueError(f"'{text}' is not an opening-hours range such as '08:00-16:00'")
    h1, m1, h2, m2 = map(int, m.groups())
    if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60):
        raise ValueError(f"'{text}' holds an impossible time")
    opens, closes = dt.time(h1, m1), dt.time(h2, m2)
    if closes <= opens:
        raise ValueError(f"'{text}': closing is not after opening")
    return opens, closes


class IntakeHours(_Model):
    """When reports are received (Perbawaslu 9/2024 as reported for Pilkada 2024)."""

    weekdays: str = Field(description="Monday to Thursday, 'HH:MM-HH:MM'")
    friday: str
    closed_on_holidays: bool = True
    always_open: list[Literal["quiet_period", "voting_day"]] = Field(default_factory=list)
    legal_basis: list[Basis] = Field(min_length=1)

    @field_validator("weekdays", "friday")
    @classmethod
    def _range(cls, value: str) -> str:
        _hhmm(value)
        return value

    def hours(self, day: dt.date) -> tuple[dt.time, dt.time] | None:
        """Opening and closing time on ``day`` (weekends: ``None``; holidays are checked separately)."""
        if day.weekday() >= 5:
            return None
        return _hhmm(self.friday if day.weekday() == 4 else self.weekdays)


class ClockPolicy(_Model):
    """A versioned set of clocks for one kind of election."""

    schema_version: Literal[1] = 1
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str = Field(min_length=1)
    title: Text
    election: Literal["pilkada", "pemilu"]
    holiday_categories: list[str] = Field(default_factory=lambda: ["public", "government"])
    intake_hours: IntakeHours
    clocks: list[Clock] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ClockPolicy:
        ids = [c.id for c in self.clocks]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"clock id(s) used twice: {', '.join(dupes)}")
        return self

    def clock(self, clock_id: str) -> Clock:
        """The clock named ``clock_id``.

        Raises
        ------
        KeyError
            When the policy has no such clock.
        """
        for c in self.clocks:
            if c.id == clock_id:
                return c
        raise KeyError(f"clock policy {self.id} has no clock '{clock_id}'")

    def calendar_note(self) -> str:
        """What the holiday calendar was, stored with working-day deadlines."""
        return f"holidays {holidays.__version__} ID {'+'.join(self.holiday_categories)}"


# ------------------------------------------------------------------ loading


def parse_clock_policy(data: Any, *, source: str = "<clock policy>") -> ClockPolicy:
    """Validate a parsed YAML mapping as a :class:`ClockPolicy`.

    Raises
    ------
    InputError
        One problem per invalid field, naming the file and the field path.
    """
    if not isinstance(data, dict):
        raise InputError("kebijakan jam harus berupa pemetaan YAML / a clock policy must be a YAML mapping",
                         source=source)
    try:
        return ClockPolicy.model_validate(data)
    except ValidationError as exc:
        raise InputError([Problem(e["msg"].removeprefix("Value error, "), source,
                                  field=".".join(str(p) for p in e["loc"])) for e in exc.errors()]) from None


def load_clock_policy(name_or_path: str | os.PathLike) -> ClockPolicy:
    """Read a clock policy: a file path, or the id of one under ``rules/clocks/``.

    Raises
    ------
    InputError
        If the file is missing, not YAML, or does not validate.
    """
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = CLOCKS_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in CLOCKS_DIR.glob("*.yaml")))
        raise InputError(f"kebijakan jam tidak ditemukan (ada: {known}) / clock policy not found (known: {known})",
                         source=str(name_or_path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"bukan YAML yang sah / not valid YAML: {exc}", source=str(path)) from None
    return parse_clock_policy(data, source=str(path))


# ------------------------------------------------------------------ calendars


@functools.lru_cache(maxsize=64)
def _holiday_calendar(year: int, categories: tuple[str, ...]) -> holidays.HolidayBase:
    return holidays.country_holidays("ID", years=year, categories=categories, language="id")


def holiday_name(day: dt.date, categories: tuple[str, ...] = ("public", "government")) -> str | None:
    """Name of the Indonesian holiday on ``day`` (Bahasa Indonesia), or ``None``."""
    return _holiday_calendar(day.year, tuple(categories)).get(day)


def is_working_day(day: dt.date, categories: tuple[str, ...] = ("public", "government")) -> bool:
    """Monday to Friday and not an Indonesian holiday (with cuti bersama by default)."""
    return day.weekday() < 5 and holiday_name(day, categories) is None


def _aware(value: dt.datetime, what: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise InputError(f"{what} harus waktu dengan zona waktu / {what} must be a time with its time zone",
                         field=what)
    return value.astimezone(WIB)


def _end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=WIB)


def clock_deadline(start: dt.datetime, duration: int, unit: Unit, *,
                   holiday_categories: tuple[str, ...] = ("public", "government")) -> dt.datetime:
    """The deadline of a clock started at ``start``.

    Parameters
    ----------
    start : datetime
        When the clock starts (tz-aware; read in WIB).
    duration : int
        How many units (> 0).
    unit : {"calendar_day", "working_day", "hour"}
        ``hour``: exactly ``duration`` hours later. ``calendar_day``: the end
        (23:59:59 WIB) of the ``duration``-th day after the start day.
        ``working_day``: the end of the ``duration``-th working day after the
        start day (weekends and Indonesian holidays skipped).

    Returns
    -------
    datetime
        In WIB; never before ``start``.
    """
    start = _aware(start, "start")
    if duration <= 0:
        raise ValueError("duration must be > 0")
    if unit == "hour":
        return start + dt.timedelta(hours=duration)
    if unit == "calendar_day":
        return _end_of_day(start.date() + dt.timedelta(days=duration))
    if unit != "working_day":
        raise ValueError(f"unknown unit {unit!r}")
    day, counted = start.date(), 0
    while counted < duration:
        day += dt.timedelta(days=1)
        counted += is_working_day(day, tuple(holiday_categories))
    return _end_of_day(day)


def intake_start(arrived_at: dt.datetime, policy: ClockPolicy,
                 schedule: Mapping[str, tuple[dt.datetime, dt.datetime]] | None = None) -> dt.datetime:
    """When a report that arrived at ``arrived_at`` counts as received.

    Inside office hours, or in a period the policy keeps always open (masa tenang,
    voting day), it is the arrival itself; otherwise the next opening (or the start
    of the next always-open period, if that comes first). The report is recorded at
    once either way; only its ``received`` clocks wait.

    Parameters
    ----------
    arrived_at : datetime
        Arrival (tz-aware).
    policy : ClockPolicy
        Gives the office hours.
    schedule : mapping of str to (start, end), optional
        The election's periods by name (``quiet_period``, ``voting_day``), ends
        exclusive, e.g. from the rule set's schedule.

    Returns
    -------
    datetime
        In WIB, not before ``arrived_at``.
    """
    t = _aware(arrived_at, "arrived_at")
    hours = policy.intake_hours
    cats = tuple(policy.holiday_categories)
    periods = [(_aware(s, name), _aware(e, name)) for name, (s, e) in (schedule or {}).items()
               if name in hours.always_open]
    if any(s <= t < e for s, e in periods):
        return t
    upcoming = [s for s, _ in periods if s > t]
    opening: dt.datetime | None = None
    for offset in range(0, 60):
        day = t.date() + dt.timedelta(days=offset)
        oc = hours.hours(day)
        if oc is None or (hours.closed_on_holidays and holiday_name(day, cats)):
            continue
        opens = dt.datetime.combine(day, oc[0], tzinfo=WIB)
        closes = dt.datetime.combine(day, oc[1], tzinfo=WIB)
        if t < opens:
            opening = opens
            break
        if t < closes:
            return t
    if opening is None:  # pragma: no cover - 60 days without an open office cannot happen
        raise InputError("tidak ada jam buka dalam 60 hari / no office opening within 60 days")
    return min([opening, *upcoming])

"""The judged-at date: the date used is the date shown; a default inside the campaign; after the election.

The pages are run with AppTest, the clock fixed to 1 Dec 2026 (after the 2024
election, as the issue found it) so the defaults do not depend on the day the
suite runs.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from geozones.app import state
from geozones.rules.model import load_ruleset
from tests.conftest import DEFAULT_RULES

APP = str(Path(__file__).resolve().parents[2] / "app.py")
ISTIQLAL = {"lat": -6.17025, "lon": 106.83109}
LATE_2026 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=state.WIB)


@pytest.mark.parametrize(("text", "expected"), [
    ("15/10/2024", dt.date(2024, 10, 15)),
    (" 5/1/2024 ", dt.date(2024, 1, 5)),
    ("15-10-2024", dt.date(2024, 10, 15)),
    ("15.10.2024", dt.date(2024, 10, 15)),
    ("2024-10-15", dt.date(2024, 10, 15)),
    ("2024/10/15", dt.date(2024, 10, 15)),
    ("31/02/2024", None),  # not a real day
    ("10/15/2024", None),  # month first is not the field's form
    ("15/10/24", None),  # a two-digit year is ambiguous
    ("", None),
    ("besok", None),
])
def test_parse_date(text, expected):
    assert state.parse_date(text) == expected


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_a_date_shown_in_the_field_reads_back_as_itself(day):
    assert state.parse_date(day.strftime(state.DATE_FORMAT)) == day


@pytest.fixture(scope="module")
def schedule():
    return load_ruleset(DEFAULT_RULES).schedule


def test_default_is_now_inside_the_schedule(schedule, monkeypatch):
    now = dt.datetime(2024, 10, 20, 8, 30, tzinfo=state.WIB)
    monkeypatch.setattr(state, "now_wib", lambda: now)
    assert state.default_judged_at(schedule) == (now, False)
    quiet = dt.datetime(2024, 11, 25, 8, 0, tzinfo=state.WIB)  # the quiet period is inside the schedule
    monkeypatch.setattr(state, "now_wib", lambda: quiet)
    assert state.default_judged_at(schedule) == (quiet, False)


@pytest.mark.parametrize("now", [LATE_2026, dt.datetime(2024, 6, 1, tzinfo=state.WIB)])
def test_default_moves_into_the_campaign_outside_the_schedule(schedule, monkeypatch, now):
    monkeypatch.setattr(state, "now_wib", lambda: now)
    at, moved = state.default_judged_at(schedule)
    assert moved
    assert schedule.campaign.start <= at < schedule.campaign.end
    assert at == dt.datetime(2024, 10, 9, 12, 0, tzinfo=state.WIB)


@pytest.fixture
def app(shared_data, monkeypatch):
    monkeypatch.setenv("GEOZONES_DATA_DIR", str(shared_data))
    monkeypatch.setattr(state, "now_wib", lambda: LATE_2026)
    return AppTest.from_file(APP, default_timeout=120)


def _texts(at) -> str:
    kinds = ("markdown", "error", "warning", "info", "success", "caption")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def _judged_for(at) -> str:
    return next(c.value for c in at.caption if "Dinilai untuk" in c.value or "Judged for" in c.value)


def test_map_defaults_inside_the_campaign_and_says_so(app):
    app.session_state["selected_point"] = ISTIQLAL
    app.run()
    assert not app.exception
    assert app.text_input(key="peta_at_date").value == "09/10/2024"
    captions = "\n".join(c.value for c in app.caption)
    assert "Tanggal bawaan di dalam masa kampanye" in captions and "01/12/2026" in captions
    assert "09\\-10\\-2024 12\\:00 WIB" in _judged_for(app)
    assert any("FORBIDDEN" in e.value for e in app.error)  # judged in the campaign: Istiqlal, not R18


def test_typed_date_is_the_date_judged(app):
    app.session_state["selected_point"] = ISTIQLAL
    app.run()
    app.text_input(key="peta_at_date").input("15/10/2024").run()
    assert "15\\-10\\-2024" in _judged_for(app)
    assert "Tanggal bawaan" not in "\n".join(c.value for c in app.caption)  # no longer the default
    app.text_input(key="peta_at_date").input("2024-10-16").run()
    assert app.text_input(key="peta_at_date").value == "16/10/2024"  # shown as it is used
    assert "16\\-10\\-2024" in _judged_for(app)


def test_a_bad_date_is_refused_and_the_shown_date_stays_the_used_one(app):
    app.session_state["selected_point"] = ISTIQLAL
    app.run()
    app.text_input(key="peta_at_date").input("20/10/2024").run()
    app.text_input(key="peta_at_date").input("31/02/2024").run()
    assert not app.exception
    errors = "\n".join(e.value for e in app.error)
    assert "31/02/2024" in errors.replace("\\", "") and "bukan tanggal yang sah" in errors
    assert app.text_input(key="peta_at_date").value == "20/10/2024"
    assert "20\\-10\\-2024" in _judged_for(app)


def test_a_date_after_the_election_says_so_in_its_own_words(app):
    app.session_state["selected_point"] = {"lat": -6.186935, "lon": 106.854146}  # a quiet street, Johar Baru
    app.run()
    app.text_input(key="peta_at_date").input("01/12/2026").run()
    assert not app.exception
    warnings = "\n".join(w.value for w in app.warning)
    assert "setelah hari pemungutan suara \\(27\\-11\\-2024\\)" in warnings, warnings
    assert "25\\-09\\-2024 – 23\\-11\\-2024" in warnings  # the campaign's first and last day
    # The engine's verdict (the quiet-period rule) is not the headline: it sits in a closed expander.
    engine = [e for e in app.expander if "Putusan mesin aturan" in e.label]
    assert len(engine) == 1
    inside = [e.value for e in engine[0].error if "OUT_OF_WINDOW" in e.value]
    assert inside and len(inside) == len([e for e in app.error if "OUT_OF_WINDOW" in e.value])
    app.sidebar.radio(key="lang").set_value("en").run()
    assert "after voting day \\(27\\-11\\-2024\\)" in "\n".join(w.value for w in app.warning)


def test_list_and_where_pages_default_inside_the_campaign(app):
    app.run()
    app.switch_page("geozones/app/pages/cek_daftar.py").run()
    assert not app.exception
    assert app.text_input(key="list_at_date").value == "09/10/2024"
    assert "Tanggal bawaan di dalam masa kampanye" in "\n".join(c.value for c in app.caption)
    app.text_input(key="list_at_date").input("02/12/2024").run()
    assert "setelah hari pemungutan suara" in "\n".join(w.value for w in app.warning)
    app.switch_page("geozones/app/pages/di_mana_boleh.py").run()
    assert not app.exception
    assert app.text_input(key="where_at_date").value == "09/10/2024"
    assert "Masa kampanye" in _texts(app)  # the chosen date's phase

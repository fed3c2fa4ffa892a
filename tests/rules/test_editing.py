"""Form-level validation of the rule editor: quotas and schedule, each error keyed by the field it names."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from geozones.rules.editing import (
    instant_text,
    legal_basis_text,
    parse_legal_basis,
    quota_errors,
    schedule_errors,
)
from geozones.rules.model import MAX_EXTRA_PCT, MAX_FACILITATED, LegalBasis, Quota

BASIS = "PKPU 13/2024 Pasal 70 [S]"
SCHEDULE = {"campaign": {"start": "2024-09-25T00:00:00+07:00", "end": "2024-11-24T00:00:00+07:00"},
            "quiet_period": {"start": "2024-11-24T00:00:00+07:00", "end": "2024-11-27T00:00:00+07:00"},
            "voting_day": {"start": "2024-11-27T00:00:00+07:00", "end": "2024-11-28T00:00:00+07:00"},
            "source": "PKPU 2/2024"}


def _row(**kw):
    return {"apk_type": "baliho", "unit": "kota", "facilitated_max": 5, "extra_pct": 200, "legal_basis": BASIS, **kw}


@given(st.integers(-10**6, 10**6), st.integers(-10**4, 10**4))
def test_quota_numbers_are_refused_exactly_where_the_model_refuses(fac, extra):
    errors = quota_errors([_row(facilitated_max=fac, extra_pct=extra)])
    assert ((0, "facilitated_max") in errors) == (not 0 <= fac <= MAX_FACILITATED)
    assert ((0, "extra_pct") in errors) == (not 0 <= extra <= MAX_EXTRA_PCT)
    if not errors:
        Quota.model_validate({**_row(facilitated_max=fac, extra_pct=extra),
                              "legal_basis": parse_legal_basis(BASIS)})


def test_errors_name_row_and_field_in_both_languages():
    errors = quota_errors([_row(), _row(apk_type="Baliho", facilitated_max=3), _row(unit="desa"),
                           _row(unit="kelurahan", legal_basis="PKPU 13/2024")])
    assert set(errors) == {(1, "unit"), (2, "unit"), (3, "legal_basis")}
    assert "baris 1" in errors[(1, "unit")] and "row 1" in errors[(1, "unit")]  # a duplicate names the first
    assert " / " in errors[(2, "unit")] and "[P], [S] or [I]" in errors[(3, "legal_basis")]
    assert quota_errors([_row(), _row(unit="kecamatan")]) == {}


@given(st.lists(st.tuples(st.sampled_from(["PKPU 13/2024", "UU 7/2017", "Keputusan KPU 1395/2024"]),
                          st.one_of(st.none(), st.sampled_from(["Pasal 70", "Pasal 28 ayat (1)", "Lampiran II"])),
                          st.sampled_from("PSI")), min_size=1, max_size=4))
def test_legal_basis_text_round_trips(items):
    bases = [LegalBasis(instrument=i, article=a, grade=g) for i, a, g in items]
    back = [LegalBasis.model_validate(b) for b in parse_legal_basis(legal_basis_text(bases))]
    assert [(b.instrument, b.article, b.grade) for b in back] == [(b.instrument, b.article, b.grade) for b in bases]


def test_schedule_stages_must_follow_each_other():
    assert schedule_errors(SCHEDULE) == {}
    early = {**SCHEDULE, "quiet_period": {"start": "2024-11-23T00:00:00+07:00", "end": "2024-11-27T00:00:00+07:00"}}
    assert set(schedule_errors(early)) == {"quiet_period.start"}
    empty = {**SCHEDULE, "voting_day": {"start": "2024-11-27T00:00:00+07:00", "end": "2024-11-27T00:00:00+07:00"}}
    assert set(schedule_errors(empty)) == {"voting_day"}
    bad = {**SCHEDULE, "campaign": {"start": "25 Sept", "end": "2024-11-24"}, "source": ""}
    assert set(schedule_errors(bad)) == {"campaign.start", "source"}


@given(st.datetimes(min_value=dt.datetime(1901, 1, 1), max_value=dt.datetime(2099, 12, 31)))
def test_typed_day_month_year_is_the_same_instant_in_wib(when):
    when = when.replace(second=0, microsecond=0)
    text = instant_text(f"{when:%d/%m/%Y %H:%M}")
    assert dt.datetime.fromisoformat(text) == when.replace(tzinfo=dt.timezone(dt.timedelta(hours=7)))
    assert instant_text(when.isoformat()) == when.isoformat()

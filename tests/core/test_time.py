"""Reading times: day-first dates, two-digit years, and refusing what cannot be read for sure."""

from __future__ import annotations

import pytest

from geozones.core.time import parse_time


@pytest.mark.parametrize("text,expect", [("01/10/2024", "2024-10-01"), ("13/10/2024 08:30", "2024-10-13"),
                                         ("2024-10-01T08:00", "2024-10-01")])
def test_day_first_dates(text, expect):
    assert parse_time(text).date().isoformat() == expect


@pytest.mark.parametrize("text,expect", [("01/10/24 08:00", "2024-10-01"), ("1.10.2024", "2024-10-01")])
def test_two_digit_years_are_day_first(text, expect):
    assert parse_time(text).date().isoformat() == expect


@pytest.mark.parametrize("text", ["2024/13/01", "240101", "now", "today"])
def test_ambiguous_or_moving_times_are_refused(text):
    with pytest.raises(ValueError):
        parse_time(text)

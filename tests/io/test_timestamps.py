"""Issue 8.3: the day/month order of a time column is decided from all of its values."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geozones.cli.main import main
from geozones.core.errors import InputError
from geozones.core.time import column_date_order, parse_time
from geozones.io.sites import read_sites
from tests.io.helpers import write

HEAD = "id,lon,lat,installed_at\n"


def times(tmp_path, *values, **kw):
    body = "".join(f"S{i},106.85,-6.18,{v}\n" for i, v in enumerate(values))
    return read_sites(write(tmp_path, "t.csv", HEAD + body), **kw)["installed_at"]


def test_us_ampm_with_a_day_above_12_is_month_first(tmp_path):
    t = times(tmp_path, "10/2/2024 9:00:00 AM", "11/25/2024 9:00:00 AM")
    assert list(t) == [pd.Timestamp("2024-10-02 09:00", tz="Asia/Jakarta"),
                       pd.Timestamp("2024-11-25 09:00", tz="Asia/Jakarta")]


def test_ampm_markers_alone_mean_month_first_and_pm_adds_12_hours(tmp_path):
    t = times(tmp_path, "10/2/2024 9:00:00 AM", "10/5/2024 2:30:00 PM", "10/6/2024 12:15:00 AM")
    assert list(t) == [pd.Timestamp("2024-10-02 09:00", tz="Asia/Jakarta"),
                       pd.Timestamp("2024-10-05 14:30", tz="Asia/Jakarta"),
                       pd.Timestamp("2024-10-06 00:15", tz="Asia/Jakarta")]


def test_a_first_part_above_12_makes_the_whole_column_day_first(tmp_path):
    t = times(tmp_path, "13/10/2024 08:00", "02/10/2024 08:00")
    assert [x.date().isoformat() for x in t] == ["2024-10-13", "2024-10-02"]


def test_ambiguous_column_is_refused_naming_it_and_the_options(tmp_path):
    with pytest.raises(InputError) as e:
        times(tmp_path, "10/2/2024", "03/04/2024")
    msg = str(e.value)
    assert "field 'installed_at'" in msg and "--dayfirst" in msg and "--monthfirst" in msg


@pytest.mark.parametrize("order,expect", [("dayfirst", "2024-02-10"), ("monthfirst", "2024-10-02")])
def test_the_user_chooses_the_order(tmp_path, order, expect):
    assert times(tmp_path, "10/2/2024", "03/04/2024", date_order=order).iloc[0].date().isoformat() == expect


def test_a_column_never_mixes_orders(tmp_path):
    with pytest.raises(InputError, match="mixes day-first"):
        times(tmp_path, "13/2/2024", "2/25/2024")
    # with an order chosen, the row that does not fit is named
    with pytest.raises(InputError) as e:
        times(tmp_path, "13/2/2024", "2/25/2024", date_order="dayfirst")
    assert "row 2, field 'installed_at'" in str(e.value)


@pytest.mark.parametrize("text,expect", [
    ("2024/10/02 09:00", "2024-10-02T09:00:00+07:00"),
    ("2024:10:02 09:15:00", "2024-10-02T09:15:00+07:00"),   # EXIF DateTimeOriginal
    ("2024-10-02T02:15:00Z", "2024-10-02T09:15:00+07:00"),
    ("2 Oktober 2024 09.00", "2024-10-02T09:00:00+07:00"),
])
def test_year_first_and_exif_forms(text, expect):
    assert parse_time(text).isoformat() == expect


def test_year_first_slashes_are_not_ambiguous(tmp_path):
    assert times(tmp_path, "2024/10/02", "2024/10/03").iloc[1].date().isoformat() == "2024-10-03"


def test_cli_options_dayfirst_monthfirst(tmp_path, capsys, shared_data):
    p = write(tmp_path, "t.csv", HEAD + "A,106.85,-6.18,10/2/2024 09:00\nB,106.85,-6.18,03/04/2024 09:00\n")
    assert main(["check", str(p), "--data-dir", str(shared_data)]) == 2
    err = capsys.readouterr().err
    assert "installed_at" in err and "--monthfirst" in err and "Traceback" not in err
    out = tmp_path / "o.csv"
    assert main(["check", str(p), "--data-dir", str(shared_data), "--monthfirst", "--out", str(out)]) == 0
    judged = pd.read_csv(out, comment="#", dtype=str)["judged_at"]
    assert judged.str.startswith("2024-10-02T09:00").iloc[0] and judged.str.startswith("2024-03-04").iloc[1]
    assert main(["check", str(p), "--data-dir", str(shared_data), "--dayfirst", "--out", str(out)]) == 0
    assert pd.read_csv(out, comment="#", dtype=str)["judged_at"].iloc[0].startswith("2024-02-10")


@given(st.dates(min_value=pd.Timestamp("2000-01-01").date(), max_value=pd.Timestamp("2099-12-31").date()),
       st.integers(0, 23), st.integers(0, 59))
def test_every_written_order_reads_back_the_same_time(day, hour, minute):
    want = pd.Timestamp(day.year, day.month, day.day, hour, minute, tz="Asia/Jakarta")
    h12 = hour % 12 or 12
    ampm = "AM" if hour < 12 else "PM"
    assert parse_time(f"{day.day}/{day.month}/{day.year} {hour}:{minute:02d}", "dayfirst") == want
    assert parse_time(f"{day.month}/{day.day}/{day.year} {h12}:{minute:02d}:00 {ampm}", "monthfirst") == want
    assert parse_time(f"{day.year}:{day.month:02d}:{day.day:02d} {hour:02d}:{minute:02d}:00") == want
    assert column_date_order([f"{day.month}/{day.day}/{day.year} {h12}:{minute:02d} {ampm}"])[0] in (
        "monthfirst", None)

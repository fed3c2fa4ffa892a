"""Clock policies against hand-computed dates (Indonesian holidays from the `holidays` package)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import yaml

from geozones.cases import clocks as C
from geozones.cases import load_clock_policy, open_case
from geozones.core.errors import InputError

W = ZoneInfo("Asia/Jakarta")
SCHEDULE = {"quiet_period": (dt.datetime(2024, 11, 24, tzinfo=W), dt.datetime(2024, 11, 27, tzinfo=W)),
            "voting_day": (dt.datetime(2024, 11, 27, tzinfo=W), dt.datetime(2024, 11, 28, tzinfo=W))}


def t(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=W)


@pytest.fixture(scope="module")
def pilkada():
    return load_clock_policy("pilkada-2024")


@pytest.fixture(scope="module")
def pemilu():
    return load_clock_policy("pemilu-2024")


def test_policies_load_with_units(pilkada, pemilu):
    assert pilkada.election == "pilkada" and pemilu.election == "pemilu"
    assert {c.unit for c in pilkada.clocks} == {"calendar_day", "hour"}
    assert {c.unit for c in pemilu.clocks} == {"working_day", "hour"}
    assert pilkada.clock("laporan_window").duration == 7
    assert pilkada.clock("tindak_lanjut").duration == 3 and pilkada.clock("tindak_lanjut").extension.duration == 2
    assert pilkada.clock("perintah_kpu").describe("en") == "24 hours"
    assert pilkada.clock("imbauan_bawaslu").describe() == "72 jam"
    for policy in (pilkada, pemilu):
        for clock in policy.clocks:
            assert clock.legal_basis, clock.id


@pytest.mark.parametrize(("start", "n", "expected"), [
    (t(2024, 10, 10, 10), 7, t(2024, 10, 17, 23, 59, 59)),   # the day known is not counted
    (t(2024, 11, 20, 23, 30), 3, t(2024, 11, 23, 23, 59, 59)),
    (t(2024, 12, 30, 9), 3, t(2025, 1, 2, 23, 59, 59)),      # over the new year: holidays do not matter
])
def test_calendar_days(start, n, expected):
    assert C.clock_deadline(start, n, "calendar_day") == expected


@pytest.mark.parametrize(("start", "n", "expected"), [
    # Fri 22 Nov 2024; 27 Nov is "Hari Pemilihan Kepala Daerah": 25,26,28,29 Nov, 2,3,4 Dec
    (t(2024, 11, 22, 10), 7, t(2024, 12, 4, 23, 59, 59)),
    # Fri 20 Dec 2024; 25 Natal, 26 cuti bersama, 1 Jan: 23,24,27,30,31 Dec, 2,3 Jan
    (t(2024, 12, 20, 10), 7, t(2025, 1, 3, 23, 59, 59)),
    # Fri 5 Apr 2024; Idul Fitri 10-11 Apr, cuti bersama 8,9,12,15 Apr: 16,17,18,19,22,23,24 Apr
    (t(2024, 4, 5, 10), 7, t(2024, 4, 24, 23, 59, 59)),
    # Sat 10 Feb 2024 (Imlek); Wed 14 Feb Pemilu: 12, 13, 15 Feb
    (t(2024, 2, 10, 12), 3, t(2024, 2, 15, 23, 59, 59)),
])
def test_working_days_skip_indonesian_holidays(start, n, expected):
    assert C.clock_deadline(start, n, "working_day") == expected


def test_holiday_names_come_from_the_package():
    assert C.holiday_name(dt.date(2024, 11, 27)) == "Hari Pemilihan Kepala Daerah"
    assert C.holiday_name(dt.date(2024, 12, 26)).startswith("Cuti Bersama")
    assert C.holiday_name(dt.date(2024, 12, 26), ("public",)) is None
    assert not C.is_working_day(dt.date(2024, 11, 27)) and C.is_working_day(dt.date(2024, 11, 28))


def test_hours_are_exact():
    assert C.clock_deadline(t(2024, 10, 14, 9, 30), 24, "hour") == t(2024, 10, 15, 9, 30)
    assert C.clock_deadline(t(2024, 10, 14, 9, 30), 72, "hour") == t(2024, 10, 17, 9, 30)
    utc = dt.datetime(2024, 10, 14, 2, 30, tzinfo=dt.UTC)  # 09:30 WIB
    assert C.clock_deadline(utc, 24, "hour") == t(2024, 10, 15, 9, 30)


def test_naive_start_is_refused():
    with pytest.raises(InputError, match=r"zona waktu / .*time zone"):
        C.clock_deadline(dt.datetime(2024, 10, 14, 9), 3, "calendar_day")


@pytest.mark.parametrize(("arrived", "expected"), [
    (t(2024, 10, 10, 9), t(2024, 10, 10, 9)),            # Thu inside hours: at once
    (t(2024, 10, 10, 7, 30), t(2024, 10, 10, 8)),        # before opening
    (t(2024, 10, 10, 16, 15), t(2024, 10, 11, 8)),       # Thu after 16:00
    (t(2024, 10, 11, 16, 15), t(2024, 10, 11, 16, 15)),  # Fri open until 16:30
    (t(2024, 10, 11, 16, 45), t(2024, 10, 14, 8)),       # Fri evening: Monday
    (t(2024, 10, 12, 11), t(2024, 10, 14, 8)),           # Saturday
    (t(2024, 12, 24, 17), t(2024, 12, 27, 8)),           # Natal and cuti bersama closed
    (t(2024, 11, 24, 22), t(2024, 11, 24, 22)),          # masa tenang: 24 hours
    (t(2024, 11, 27, 3), t(2024, 11, 27, 3)),            # voting day (a holiday) is open
    (t(2024, 11, 23, 20), t(2024, 11, 24, 0)),           # Saturday night: the quiet period opens first
    (t(2024, 11, 28, 2), t(2024, 11, 28, 8)),            # after voting day: office hours again
])
def test_intake_hours(pilkada, arrived, expected):
    assert C.intake_start(arrived, pilkada, SCHEDULE) == expected


def test_without_the_schedule_the_quiet_period_is_not_open(pilkada):
    assert C.intake_start(t(2024, 11, 24, 22), pilkada) == t(2024, 11, 25, 8)


def test_laporan_after_hours_starts_its_follow_up_at_the_next_opening(pilkada):
    case = open_case("laporan", known_at=t(2024, 10, 10, 10), arrived_at=t(2024, 10, 11, 18), actor="pkd",
                     role="bawaslu", policy=pilkada, schedule=SCHEDULE)
    assert case.arrived_at == t(2024, 10, 11, 18) and case.received_at == t(2024, 10, 14, 8)
    window, follow = case.clock("laporan_window"), case.clock("tindak_lanjut")
    assert window.started_at == t(2024, 10, 10, 10) and window.deadline == t(2024, 10, 17, 23, 59, 59)
    assert follow.started_at == t(2024, 10, 14, 8) and follow.deadline == t(2024, 10, 17, 23, 59, 59)
    assert follow.extended_deadline == t(2024, 10, 19, 23, 59, 59)
    assert (follow.policy_id, follow.policy_version) == ("pilkada-2024", "2024.1")


def test_pemilu_counts_working_days_and_notes_the_calendar(pemilu):
    case = open_case("laporan", known_at=t(2024, 12, 20, 10), arrived_at=t(2024, 12, 23, 9), actor="pkd",
                     role="bawaslu", policy=pemilu)
    window = case.clock("laporan_window")
    assert window.deadline == t(2025, 1, 3, 23, 59, 59)
    assert window.calendar.startswith("holidays 0.") and "public+government" in window.calendar
    # follow-up: 7 working days from Mon 23 Dec 09:00: 24, 27, 30, 31 Dec, 2, 3, 6 Jan
    assert case.clock("tindak_lanjut").deadline == t(2025, 1, 6, 23, 59, 59)


def test_bad_policy_names_the_field(tmp_path):
    data = yaml.safe_load(C.CLOCKS_DIR.joinpath("pilkada-2024.yaml").read_text(encoding="utf-8"))
    data["clocks"][0]["unit"] = "fortnight"
    data["clocks"][1]["starts"] = ["whenever"]
    data["intake_hours"]["friday"] = "16:30-08:00"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InputError) as err:
        C.load_clock_policy(path)
    text = str(err.value)
    assert "clocks.0.unit" in text and "unknown event 'whenever'" in text and "closing is not after opening" in text
    with pytest.raises(InputError, match=r"tidak ditemukan.*pilkada-2024"):
        C.load_clock_policy("no-such-policy")

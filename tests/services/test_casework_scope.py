"""Who sees which case, through the services: a paslon account only its own paslon's cases (never a reporter),
other roles none; exports and locks are Bawaslu's alone."""

from __future__ import annotations

import datetime as dt

import pytest

from geozones.io.sealing import ReporterIdentity as Identity
from geozones.io.sealing import new_key
from geozones.services import accounts
from geozones.services import case_annex as A
from geozones.services import cases as C
from geozones.services import reports as R
from geozones.services.authz import Forbidden

W = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2024, 10, 11, 9, 0, tzinfo=W)
SPOTS = ((106.8311, -6.1700), (106.8272, -6.1754), (106.8330, -6.1700), (106.8400, -6.1800))


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("GEOZONES_SECRET_KEY", new_key())


@pytest.mark.parametrize("paslons", [("2", "1", None, "2"), ("1", "1", "3", None)])
def test_a_paslon_account_sees_only_its_own_cases(store, people, shared_data, paslons, tmp_path):
    bw = people["bawaslu"]
    for (lon, lat), paslon in zip(SPOTS, paslons, strict=True):
        R.submit_report(store, bw, R.ReportInput(source="temuan", lon=lon, lat=lat, observed_at=NOW, apk_type="baliho",
                                                 paslon=paslon, reporter=Identity("Pelapor Rahasia")),
                        now=NOW, data_dir=shared_data)
    every = C.list_cases(store, bw, at=NOW)
    assert len(every) == len(paslons)
    one = accounts.add_account(store, people["admin"], "tim_paslon_1", role="paslon", scope="paslon=1",
                               password="paslon-pass-1")
    for who, mine in ((people["paslon"], "2"), (one, "1")):  # the fixture's paslon account has scope paslon=2
        seen = C.list_cases(store, who, at=NOW)
        assert [r.case_id for r in seen] == [r.case_id for r in every if r.paslon == mine]
        for r in every:
            if r.paslon == mine:
                d = C.case_detail(store, who, r.case_id, at=NOW)
                assert d["report"]["paslon"] == mine and d["has_reporter"] is False
                with pytest.raises(Forbidden):
                    R.open_reporter(store, who, d["report"]["id"], now=NOW)
            else:
                with pytest.raises(Forbidden):
                    C.case_detail(store, who, r.case_id, at=NOW)
        # viewing its own cases is all: no dashboard, lock, step, evidence nor annex
        case = every[0].case_id
        calls = ((C.dashboard, (), {"at": NOW}), (C.lock_case, (case,), {"now": NOW}),
                 (C.advance_case, (case, "under_study", {"reason": "x"}), {"now": NOW}),
                 (C.write_evidence, ([case], tmp_path / "b.zip"), {"now": NOW}),
                 (A.annex_rows, (), {"by": "paslon"}),
                 (A.write_annex, (tmp_path / "a.xlsx",), {"by": "paslon", "fmt": "xlsx", "now": NOW}))
        for fn, args, kw in calls:
            with pytest.raises(Forbidden):
                fn(store, who, *args, **kw)
        assert not (tmp_path / "b.zip").exists() and not (tmp_path / "a.xlsx").exists()


@pytest.mark.parametrize("role", ["public", "kpu_editor", "kpu_publisher", "admin"])
def test_other_roles_cannot_list_or_export_cases(store, people, shared_data, role, tmp_path):
    bw = people["bawaslu"]
    sub = R.submit_report(store, bw, R.ReportInput(source="temuan", lon=SPOTS[0][0], lat=SPOTS[0][1], observed_at=NOW,
                                                   paslon="2"), now=NOW, data_dir=shared_data)
    who = people[role]
    for call in (lambda: C.list_cases(store, who, at=NOW),
                 lambda: C.case_detail(store, who, sub.case_id, at=NOW),
                 lambda: C.write_evidence(store, who, sub.case_id, tmp_path / "b.zip", now=NOW),
                 lambda: A.annex_rows(store, who, by="kota"),
                 lambda: C.unlock_case(store, who, sub.case_id, now=NOW)):
        with pytest.raises(Forbidden):
            call()
    assert [r.case_id for r in C.list_cases(store, bw, at=NOW)] == [sub.case_id]

"""The cases page (AppTest): the edit lock shows who holds it and refuses others; an evidence bundle for a
selection of cases verifies with ``sha256sum -c``; the annex download holds the stored cases."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import subprocess
import zipfile

import openpyxl
from streamlit.testing.v1 import AppTest

from geozones.app.login import TOKEN_KEY
from tests.app.test_casework_pages import PAGES, home  # noqa: F401  (the fixture)

W = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2024, 10, 11, 9, 0, tzinfo=W)


def _open(token: str, case_id: int) -> AppTest:
    at = AppTest.from_file(str(PAGES / "kasus.py"), default_timeout=90)
    at.session_state[TOKEN_KEY] = token
    at.run()
    assert not at.exception, at.exception
    at.selectbox(key="case_select").set_value(case_id).run()
    assert not at.exception, at.exception
    return at


def _seed(shared_data) -> tuple[list[int], str]:
    """Two reports by siti (paslon 2 and 1), and a second bawaslu account; returns case ids and its token."""
    from geozones.services import accounts
    from geozones.services import reports as R
    from geozones.store.database import open_store

    store = open_store()
    try:
        root = accounts.authenticate(store, "root", "root-pass-1")
        accounts.add_account(store, root, "budi", role="bawaslu", password="budi-pass-123")
        siti = accounts.authenticate(store, "siti", "siti-pass-12")
        ids = []
        for lon, lat, paslon in ((106.8311, -6.1700, "2"), (106.8272, -6.1754, "1")):
            sub = R.submit_report(store, siti, R.ReportInput(source="temuan", lon=lon, lat=lat, observed_at=NOW,
                                                             apk_type="baliho", paslon=paslon), now=NOW,
                                  data_dir=shared_data)
            ids.append(sub.case_id)
        token, _ = accounts.login(store, "budi", "budi-pass-123")
    finally:
        store.dispose()
    return ids, token


def _holder(case_id: int) -> str | None:
    from geozones.store.casework import CaseRecord
    from geozones.store.database import open_store

    store = open_store()
    try:
        with store.read() as s:
            return s.get(CaseRecord, case_id).lock_holder
    finally:
        store.dispose()


def _texts(at, *kinds) -> str:
    return "\n".join(str(e.value) for k in kinds for e in getattr(at, k))


def test_lock_shows_its_holder_and_refuses_others(home, shared_data):  # noqa: F811
    (first, _), budi = _seed(shared_data)
    siti = _open(home, first)
    siti.button(key="case_lock").click().run()
    assert not siti.exception and _holder(first) == "siti"
    assert "kunci" in _texts(siti, "info")
    other = _open(budi, first)
    assert "siti" in _texts(other, "warning")
    assert not [b for b in other.button if b.key in ("case_lock", "case_unlock")]
    other.selectbox(key="adv_to_id").select("under_study")
    other.text_input(key="adv_reason").input("kajian")
    other.button[1].click().run()
    assert "siti" in _texts(other, "error") and _holder(first) == "siti"
    siti = _open(home, first)
    siti.button(key="case_unlock").click().run()
    assert not siti.exception and _holder(first) is None


def test_evidence_for_a_selection_and_the_annex_download(home, shared_data, tmp_path):  # noqa: F811
    ids, _ = _seed(shared_data)
    at = _open(home, ids[0])
    at.multiselect(key=f"evidence_pick_{ids[0]}").set_value(ids).run()
    at.button(key="make_evidence").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    picked, data, digest, name = at.session_state["evidence_bytes"]
    assert list(picked) == ids and name.endswith(".zip") and hashlib.sha256(data).hexdigest() == digest
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        z.extractall(tmp_path / "unpacked")
        assert sum(n.endswith(".pdf") for n in z.namelist()) == 1
    check = subprocess.run(["sha256sum", "-c", "manifest.sha256"], cwd=tmp_path / "unpacked", capture_output=True,
                           text=True)
    assert check.returncode == 0 and check.stdout.count(": OK") >= 1, check.stdout + check.stderr

    at.selectbox(key="annex_by").select("paslon")
    at.selectbox(key="annex_format").select("xlsx")
    at.button(key="make_annex").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    key, data, digest = at.session_state["annex_bytes"]
    assert key == ("paslon", "", "xlsx", "") and hashlib.sha256(data).hexdigest() == digest
    rows = list(openpyxl.load_workbook(io.BytesIO(data))["lampiran"].iter_rows(min_row=2, values_only=True))
    assert sorted(int(r[1]) for r in rows) == sorted(ids)
    assert all(r[0] == r[5] for r in rows)  # grouped by paslon: the group is the case's paslon
    assert {r[5] for r in rows} == {"1", "2"}

"""The Bawaslu workspace through its services, on SQLite and PostgreSQL, with the real Jakarta layers."""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile

import pytest
from sqlalchemy import select

from geozones.cases.states import TransitionRefused
from geozones.core.errors import InputError
from geozones.io.sealing import ReporterIdentity as Identity
from geozones.io.sealing import new_key
from geozones.services import cases as C
from geozones.services import reports as R
from geozones.services.authz import Forbidden
from geozones.store.audit import verify_chain
from geozones.store.casework import Report, ReporterIdentity
from geozones.store.models import AuditEvent
from tests.io.photo_builders import make_photo

W = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2024, 10, 11, 9, 0, tzinfo=W)


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("GEOZONES_SECRET_KEY", new_key())


def _submit(store, who, shared_data, **kw):
    base = dict(source="temuan", photos=[("istiqlal.jpg", make_photo())], apk_type="baliho", paslon="2")
    base.update(kw)
    return R.submit_report(store, who, R.ReportInput(**base), now=kw.pop("now", NOW), data_dir=shared_data)


def test_photo_report_is_placed_classified_and_run_through_its_clocks(store, people, shared_data, tmp_path):
    bw = people["bawaslu"]
    sub = _submit(store, bw, shared_data, reporter=Identity("Budi", "Jl. Veteran 1", "0812", "3171020101800001"))
    d = C.case_detail(store, bw, sub.case_id, at=NOW)
    rep = d["report"]
    assert (rep["kelurahan"], rep["suggested_verdict"]) == ("Pasar Baru", "FORBIDDEN")
    assert "R01" in rep["suggested_rule_ids"].split(";") and rep["ruleset_version"] and rep["data_digests"]
    assert rep["observed_at"] == dt.datetime(2024, 10, 10, 10, 0, tzinfo=W)
    with store.read() as s:
        sealed = s.get(ReporterIdentity, rep["id"]).sealed
    assert "Budi" not in sealed
    assert R.open_reporter(store, bw, rep["id"], now=NOW).name == "Budi"
    for who in ("paslon", "kpu_publisher", "admin", "public"):
        with pytest.raises(Forbidden):
            R.open_reporter(store, people[who], rep["id"], now=NOW)
    with pytest.raises(InputError, match=r"alasan|reason"):
        R.decide(store, bw, rep["id"], verdict="ALLOWED", now=NOW)
    assert R.decide(store, bw, rep["id"], now=NOW) == "confirmed"
    C.advance_case(store, bw, sub.case_id, "under_study", {"reason": "kajian"}, now=NOW)
    with pytest.raises(TransitionRefused, match=r"letter|surat"):
        C.advance_case(store, bw, sub.case_id, "recommended", {"reason": "rekomendasi"}, now=NOW)
    C.advance_case(store, bw, sub.case_id, "recommended", {"reason": "rekomendasi", "letter": "001/REK"}, now=NOW)
    deadline = NOW + dt.timedelta(hours=25)
    C.advance_case(store, bw, sub.case_id, "ordered", {"reason": "perintah", "order": "KPU-7",
                                                        "deadline": deadline}, now=NOW + dt.timedelta(hours=1))
    rows = C.list_cases(store, bw, at=NOW + dt.timedelta(hours=2))
    assert rows[0].case_id == sub.case_id and rows[0].due_soon and not rows[0].overdue
    later = NOW + dt.timedelta(hours=30)
    assert [r.case_id for r in C.list_cases(store, bw, at=later, overdue=True)] == [sub.case_id]
    dash = C.dashboard(store, bw, at=later)
    assert dash["overdue"][0].case_id == sub.case_id and dash["per_kelurahan"] == {"Pasar Baru": 1}
    bundle = C.write_evidence(store, bw, sub.case_id, tmp_path / "b.zip", now=later, data_dir=shared_data)
    with zipfile.ZipFile(bundle.path) as z:
        manifest = z.read("manifest.sha256").decode()
        for line in manifest.splitlines():
            digest, name = line.split("  ", 1)
            assert hashlib.sha256(z.read(name)).hexdigest() == digest
        assert not any("Budi" in z.read(n).decode("latin-1") for n in z.namelist())
    with store.read() as s:
        ev = s.execute(select(AuditEvent).where(AuditEvent.action == "evidence.export")).scalar_one()
        assert ev.after["sha256"] == bundle.sha256
        assert verify_chain(s)[1] is None


def test_public_may_only_submit_informasi_awal_and_see_nothing(store, people, shared_data):
    pub = people["public"]
    with pytest.raises(Forbidden):
        _submit(store, pub, shared_data, source="temuan")
    sub = _submit(store, pub, shared_data, source="informasi_awal", reporter=Identity("Siti"))
    assert sub.case_id
    for call in (lambda: C.list_cases(store, pub, at=NOW), lambda: C.case_detail(store, pub, sub.case_id, at=NOW),
                 lambda: C.dashboard(store, pub, at=NOW), lambda: R.open_reporter(store, pub, sub.report_id, now=NOW)):
        with pytest.raises(Forbidden):
            call()
    with pytest.raises(Forbidden):
        C.advance_case(store, people["kpu_editor"], sub.case_id, "temuan", {"reason": "x"}, now=NOW)


def test_bad_input_leaves_nothing(store, people, shared_data):
    bw = people["bawaslu"]
    jpeg = make_photo()
    for photos, match in (([("x.jpg", b"not an image")], "x.jpg"), ([("t.jpg", jpeg[: len(jpeg) // 2])], "t.jpg")):
        with pytest.raises(InputError, match=match):
            _submit(store, bw, shared_data, photos=photos)
    with pytest.raises(InputError, match="Indonesia"):
        _submit(store, bw, shared_data, photos=[], lon=0.0, lat=0.0, observed_at=NOW)
    with pytest.raises(InputError, match=r"future|masa depan"):
        _submit(store, bw, shared_data, photos=[], lon=106.8311, lat=-6.17, observed_at=NOW + dt.timedelta(days=1))
    with store.read() as s:
        assert s.execute(select(Report)).first() is None


def test_late_laporan_is_kept_and_cannot_be_registered(store, people, shared_data):
    bw = people["bawaslu"]
    known = NOW - dt.timedelta(days=9)
    sub = _submit(store, bw, shared_data, source="laporan", photos=[], lon=106.8311, lat=-6.17, observed_at=known,
                  known_at=known)
    assert sub.late and any("late" in n for n in sub.notes)
    with pytest.raises(TransitionRefused, match="not_registered"):
        C.advance_case(store, bw, sub.case_id, "registered", {"reason": "x"}, now=NOW)
    assert C.advance_case(store, bw, sub.case_id, "not_registered", {"reason": "terlambat"}, now=NOW) == \
        "not_registered"


def test_duplicates_are_flagged_and_merged(store, people, shared_data):
    bw = people["bawaslu"]
    a = _submit(store, bw, shared_data, photos=[], lon=106.8311, lat=-6.17, observed_at=NOW)
    b = _submit(store, bw, shared_data, photos=[], lon=106.83112, lat=-6.17001, observed_at=NOW)
    c = _submit(store, bw, shared_data, photos=[], lon=106.8311, lat=-6.17, observed_at=NOW, paslon="1")
    far = _submit(store, bw, shared_data, photos=[], lon=106.8330, lat=-6.17, observed_at=NOW)
    assert b.duplicates == (a.report_id,) and c.duplicates == () and far.duplicates == ()
    R.merge_duplicate(store, bw, b.report_id, a.report_id, reason="sama", now=NOW)
    assert C.case_detail(store, bw, b.case_id, at=NOW)["case"]["state"] == "dismissed"


def test_lock_names_its_holder(store, people, shared_data):
    from geozones.services import accounts

    bw = people["bawaslu"]
    bw2 = accounts.add_account(store, people["admin"], "bawaslu2", role="bawaslu", password="bawaslu-pass-2")
    sub = _submit(store, bw, shared_data, photos=[], lon=106.8311, lat=-6.17, observed_at=NOW)
    C.lock_case(store, bw, sub.case_id, now=NOW)
    with pytest.raises(InputError, match="bawaslu1"):
        C.advance_case(store, bw2, sub.case_id, "under_study", {"reason": "x"}, now=NOW)
    C.unlock_case(store, bw, sub.case_id, now=NOW)
    C.assign_case(store, bw2, sub.case_id, "bawaslu2", now=NOW)
    with pytest.raises(InputError):
        C.assign_case(store, bw2, sub.case_id, "kpu_editor1", now=NOW)


def test_a_stale_lock_can_be_taken_over_and_the_takeover_is_audited(store, people, shared_data):
    from geozones.services import accounts
    from geozones.services.audit_log import list_events

    bw = people["bawaslu"]
    bw2 = accounts.add_account(store, people["admin"], "bawaslu2", role="bawaslu", password="bawaslu-pass-2")
    sub = _submit(store, bw, shared_data, photos=[], lon=106.8311, lat=-6.17, observed_at=NOW)
    C.lock_case(store, bw, sub.case_id, now=NOW)
    # the holder's own use keeps the lock live past the first LOCK_TTL
    used = NOW + C.LOCK_TTL - dt.timedelta(minutes=1)
    C.assign_case(store, bw, sub.case_id, "bawaslu2", now=used)
    with pytest.raises(InputError, match="bawaslu1"):
        C.lock_case(store, bw2, sub.case_id, now=NOW + C.LOCK_TTL + dt.timedelta(minutes=1))
    later = used + C.LOCK_TTL
    C.lock_case(store, bw2, sub.case_id, now=later)
    assert [r.lock_holder for r in C.list_cases(store, bw2, at=later) if r.case_id == sub.case_id] == ["bawaslu2"]
    with pytest.raises(InputError, match="bawaslu2"):
        C.advance_case(store, bw, sub.case_id, "under_study", {"reason": "x"}, now=later)
    takeover = [e for e in list_events(store, people["admin"], entity_type="case")
                if e.action == "case.lock" and e.actor == "bawaslu2"]
    assert takeover and takeover[-1].before == {"lock_holder": "bawaslu1"}


def test_db_dump_carries_reports_cases_and_media_with_the_reporter_still_sealed(store, people, shared_data,
                                                                                  tmp_path):
    from sqlalchemy import text

    from geozones.services.backup import dump_archive, restore_archive
    from geozones.store.database import open_store
    from tests.store.backends import create_pg_database, drop_pg_database

    bw = people["bawaslu"]
    sub = _submit(store, bw, shared_data, reporter=Identity("Budi Santoso"))
    C.advance_case(store, bw, sub.case_id, "under_study", {"reason": "kajian"}, now=NOW)
    C.record_sweep(store, bw, "Gambir", {"baliho": 4, "spanduk": 11}, swept_at=NOW, now=NOW)
    out = tmp_path / "dump.zip"
    dump_archive(store, people["admin"], out)
    with zipfile.ZipFile(out) as z:
        blob = b"".join(z.read(n) for n in z.namelist())
        assert b"Budi" not in blob
        assert "casework/bawaslu_case.json" in z.namelist()
    url = f"sqlite:///{tmp_path / 'r.sqlite'}" if store.dialect == "sqlite" else create_pg_database()
    try:
        target = open_store(url, migrate=True)
        counts = restore_archive(target, out)
        assert counts["report"] == 1 and counts["bawaslu_case"] == 1 and counts["case_event"] == 2
        assert counts["sweep"] == 1 and counts["reporter_identity"] == 1
        assert R.open_reporter(target, bw, sub.report_id, now=NOW).name == "Budi Santoso"
        assert C.case_detail(target, bw, sub.case_id, at=NOW)["report"]["kelurahan"] == "Pasar Baru"
        with target.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM report_photo")).scalar() == 1
        target.dispose()
    finally:
        if store.dialect != "sqlite":
            drop_pg_database(url)


def test_bulk_import_of_a_table_and_of_a_photo_zip_is_all_or_nothing(store, people, shared_data, tmp_path):
    bw = people["bawaslu"]
    good = tmp_path / "r.csv"
    good.write_text("id,lon,lat,apk_type,paslon,installed_at,source,known_at\n"
                    "a,106.8311,-6.17,baliho,2,2024-10-10 10:00,temuan,2024-10-10 11:00\n"
                    "b,106.8200,-6.18,spanduk,1,2024-10-10 12:00,laporan,2024-10-10 12:30\n", encoding="utf-8")
    done = R.import_reports(store, bw, good, now=NOW, data_dir=shared_data)
    assert len(done) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("id,lon,lat,installed_at\nx,106.8311,-6.17,2024-10-10 10:00\ny,106.8311,-6.17,2024-12-30 10:00\n",
                   encoding="utf-8")
    with pytest.raises(InputError, match=r"y\)"):
        R.import_reports(store, bw, bad, now=NOW, data_dir=shared_data)
    z = tmp_path / "photos.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.jpg", make_photo())
        zf.writestr("b.jpg", make_photo(106.8200, -6.18))
    assert len(R.import_reports(store, bw, z, now=NOW, data_dir=shared_data)) == 2
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../a.jpg", make_photo())
    with pytest.raises(InputError, match=r"\.\./a\.jpg"):
        R.import_reports(store, bw, evil, now=NOW, data_dir=shared_data)
    with store.read() as s:
        assert len(s.execute(select(Report)).all()) == 4
    with pytest.raises(Forbidden):
        R.import_reports(store, people["public"], good, now=NOW, data_dir=shared_data)
